"""Hand-kept ledgers brought in: rows as read from a sheet, their check, the file's record."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.errors import DuplicateFindingError, ReportDayMismatchError
from domain.finding import Stamp

# The campaign's source value for findings brought in from a file.
IMPORT_SOURCE = "导入"


@dataclass(frozen=True)
class RowProblem:
    """Why a row cannot come in: the field at fault and the refusal.

    `field` is a finding field ("deadline") or "" for the row as a whole;
    `error` is the same refusal the ledger raises when a finding is typed in,
    so the edge words it the same way.
    """

    row: int
    field: str
    error: Exception


@dataclass(frozen=True)
class ImportRow:
    """One row of a ledger sheet as read, before any campaign check.

    Texts are as the sheet holds them, trimmed. A day that could not be
    read is None, with the reason among `problems`. `check_item`,
    `found_on` and the household (`village`, `household_head`,
    `household_kind`) are filled only when the sheet has such a column.
    """

    number: int
    category: str = ""
    nature: str = ""
    statement: str = ""
    measures: str = ""
    deadline: date | None = None
    responsible_unit: str = ""
    responsible_leader: str = ""
    cause: str = ""
    check_item: str = ""
    found_on: date | None = None
    village: str = ""
    household_head: str = ""
    household_kind: str = ""
    remarks: str = ""
    problems: tuple[RowProblem, ...] = ()


@dataclass(frozen=True)
class SheetColumn:
    """A column of the table: its letter, its header as written, the field it fills.

    `field` is "" for a column kept as remarks.
    """

    letter: str
    header: str
    field: str


@dataclass(frozen=True)
class ImportSheet:
    """A ledger sheet read from a file, as plain values.

    `unit` and `report_day` come from the line under the title
    (单位（盖章）：… 2022年6月14日); either is empty when the sheet has none.
    `skipped` lists rows of text that are not findings (a heading, a
    signature line), by row number, so none is passed over unseen.
    `digest` is the SHA-256 of the file's bytes, in hex.
    """

    file_name: str
    digest: str
    sheet_name: str
    unit: str
    report_day: date | None
    columns: tuple[SheetColumn, ...]
    rows: tuple[ImportRow, ...]
    skipped: tuple[tuple[int, str], ...] = ()

    def column(self, field: str) -> SheetColumn | None:
        """Return the column that fills a field, if the sheet has one."""
        return next((c for c in self.columns if c.field == field), None)

    def dated(self, day: date) -> ImportSheet:
        """Return the sheet as reported on `day`, for one without a date line.

        Found days are worked out from it when the sheet has no column for
        them. A sheet that gives another day of its own keeps it: refused.
        """
        if self.report_day is not None and self.report_day != day:
            raise ReportDayMismatchError(self.report_day, day)
        return replace(self, report_day=day)


@dataclass(frozen=True)
class CheckedRow:
    """A row after the check: the problems that keep it out, or none.

    `finding_id` is set once the row has been recorded.
    """

    number: int
    statement: str
    found_on: date | None
    check_item: int
    problems: tuple[RowProblem, ...] = ()
    finding_id: str = ""

    @property
    def good(self) -> bool:
        return not self.problems

    @property
    def recorded(self) -> bool:
        """Whether the row only repeats a finding recorded already: a later
        week's sheet repeats the earlier ones', which is no fault of the file."""
        return bool(self.problems) and all(
            isinstance(p.error, DuplicateFindingError) and p.error.finding_id
            for p in self.problems
        )


@dataclass(frozen=True)
class PreviousImport:
    """When a file with the same content was brought in before, and by whom."""

    file_name: str
    unit: str
    at: datetime
    operator: str
    operator_unit: str
    findings: int


@dataclass(frozen=True)
class ImportResult:
    """The check of a whole sheet, and whether its good rows were recorded.

    `unit` is the reporting unit the findings get. `previous` is set when
    the same file was imported before; nothing is then written. `as_of` is
    the day found days are reckoned from: the report day, or else today,
    never after the campaign's last day.
    """

    sheet: ImportSheet
    unit: str
    rows: tuple[CheckedRow, ...]
    previous: PreviousImport | None = None
    written: bool = False
    as_of: date | None = None

    @property
    def good(self) -> tuple[CheckedRow, ...]:
        return tuple(r for r in self.rows if r.good)

    @property
    def bad(self) -> tuple[CheckedRow, ...]:
        """The rows not imported: the refused and those recorded already."""
        return tuple(r for r in self.rows if not r.good)

    @property
    def refused(self) -> tuple[CheckedRow, ...]:
        """The rows that keep the file out, unless only the good ones are taken."""
        return tuple(r for r in self.rows if not r.good and not r.recorded)

    @property
    def recorded(self) -> tuple[CheckedRow, ...]:
        return tuple(r for r in self.rows if r.recorded)

    @property
    def problems(self) -> tuple[RowProblem, ...]:
        return tuple(p for r in self.rows for p in r.problems)

    @property
    def defaulted_items(self) -> int:
        """How many good rows took the default check item, naming none."""
        named = {r.number for r in self.sheet.rows if r.check_item.strip()}
        return sum(1 for r in self.good if r.number not in named)


# The official form has no 排查内容 column: a row gets its category's first item,
# which the operator can correct afterwards.
DEFAULT_CHECK_ITEM = 1


def found_days(
    rows: Iterable[tuple[int, str, date | None, date | None]], latest: date
) -> dict[int, date]:
    """Choose each row's found day where the sheet gives none.

    `rows` are (row number, category, deadline, found day given) in sheet
    order; `latest` is the day the sheet reports as of (never after today).
    A row without its own found day was found by that day at the latest,
    and by its deadline; and since the official form lists a category's
    findings in the order found, by the found day of any later row of the
    same category. Each row gets the latest day all three allow, so no
    finding is claimed known earlier than the sheet shows, and exporting
    the imported rows lists them in the sheet's order again.
    """
    chosen: dict[int, date] = {}
    next_day: dict[str, date] = {}
    for number, category, deadline, given in reversed(list(rows)):
        day = given
        if day is None:
            day = min(latest, next_day.get(category, latest))
            if deadline is not None:
                day = min(day, deadline)
        chosen[number] = day
        next_day[category] = day
    return chosen


def same_statement(text: str) -> str:
    """Return the key under which two statements count as the same finding."""
    # Limitation: two findings of one unit worded exactly alike count as one;
    # telling them apart would need a household or village column to compare.
    return "".join(text.split())


class ImportedFile(Aggregate):
    """The record that a file's rows were brought in: one per file content.

    The id comes from the campaign and the file's digest, so bringing the
    same file in twice collides with this record and stores nothing.
    Its event has no `evolve`: the ledger view and replays pass over it.
    """

    @staticmethod
    def id_for(campaign_id: str, digest: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"taizhang:{campaign_id}:import:{digest}")

    class Imported(Aggregate.Created):
        """A file's rows were recorded as findings.

        `rows` and `finding_ids` pair up in sheet order; `left_out` are the
        rows that could not come in, when the operator chose the good ones.
        """

        operator: str
        operator_unit: str
        on: date
        campaign_id: str
        digest: str
        file_name: str
        sheet_name: str
        unit: str
        report_day: date | None
        rows: list[int]
        finding_ids: list[str]
        left_out: list[int]

        def apply(self, aggregate: Any) -> None:
            aggregate.file_name = self.file_name
            aggregate.unit = self.unit
            aggregate.operator = self.operator
            aggregate.operator_unit = self.operator_unit
            aggregate.finding_ids = list(self.finding_ids)

    file_name: str
    unit: str
    operator: str
    operator_unit: str
    finding_ids: list[str]

    def __init__(self) -> None:
        """Leave the state to the Imported event's apply."""

    @classmethod
    def record(
        cls,
        stamp: Stamp,
        *,
        campaign_id: str,
        sheet: ImportSheet,
        unit: str,
        rows: list[int],
        finding_ids: list[str],
        left_out: list[int],
    ) -> ImportedFile:
        """Record which findings a file's rows became."""
        return cls._create(
            cls.Imported,
            id=cls.id_for(campaign_id, sheet.digest),
            timestamp=stamp.at,
            operator=stamp.operator,
            operator_unit=stamp.operator_unit,
            on=stamp.today,
            campaign_id=campaign_id,
            digest=sheet.digest,
            file_name=sheet.file_name,
            sheet_name=sheet.sheet_name,
            unit=unit,
            report_day=sheet.report_day,
            rows=rows,
            finding_ids=finding_ids,
            left_out=left_out,
        )

    def previous(self) -> PreviousImport:
        """Describe this import for a refusal of the same file."""
        return PreviousImport(
            file_name=self.file_name,
            unit=self.unit,
            at=self.created_on,
            operator=self.operator,
            operator_unit=self.operator_unit,
            findings=len(self.finding_ids),
        )
