"""Read back the event-log fingerprint an exported workbook carries, to verify it."""

from __future__ import annotations

import re
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from domain.errors import LedgerError
from domain.ledger import Ledger
from domain.sheet import OfficialSheet
from domain.verify import Refusal, SubmittedFile, VerifyReport, parse_fingerprint
from exporters.consolidated import (
    ALL_UNITS,
    OVERDUE_TITLE,
    RESPONSIBLE_TITLE,
    WEEKS_TITLE,
    write_consolidated,
)
from exporters.consolidated import SUMMARY_TITLE as OFFICE_SUMMARY_TITLE
from exporters.final_report import STATISTICS_TITLE, SUMMARY_TITLE, final_sheet
from exporters.masking import mask_sheet
from exporters.official import (
    DETAIL_TITLE,
    LEDGER_TITLE,
    sheet_title,
    write_official_sheet,
)
from exporters.week_report import DIFFERENCES_TITLE, LATE_TITLE

# exporters.official writes "fingerprint=<F>" into both properties, or <F> = "none".
# The line under each official sheet's title.
_UNIT_LINE = re.compile(r"单位（盖章）：(.+)")
_KEY = "fingerprint="
_NONE = "none"

# The tables this software writes beside a unit's ledger and detail sheets
# (a final ledger's, a week's differences), and beside the units' sheets of
# the office's workbook: computed from the same rows, not compared cell by cell.
UNIT_EXTRAS = frozenset({STATISTICS_TITLE, SUMMARY_TITLE, LATE_TITLE, DIFFERENCES_TITLE})
OFFICE_TABLES = frozenset({OFFICE_SUMMARY_TITLE, WEEKS_TITLE, OVERDUE_TITLE, RESPONSIBLE_TITLE})
# A final ledger's tables: rebuilt from the log and compared like its rows.
_FINAL_TABLES = frozenset({STATISTICS_TITLE, SUMMARY_TITLE})

# Below these a row (points) or a column (characters) shows nothing: what was
# written there is hidden as surely as by `hidden`.
_FLAT_ROW = 3.0
_NARROW_COLUMN = 1.0

# What openpyxl raises for a file that is not a workbook: not a zip, a zip
# without the workbook parts (OSError, KeyError), or broken XML (ElementTree's
# and lxml's parse errors are both SyntaxErrors).
_NOT_A_WORKBOOK = (zipfile.BadZipFile, KeyError, OSError, ValueError, SyntaxError)


class FingerprintReadError(Exception):
    """Raise when a file's fingerprint cannot be read; `refusal` says why."""

    def __init__(self, path: Path, refusal: Refusal) -> None:
        super().__init__(path, refusal)
        self.path = path
        self.refusal = refusal

    def __str__(self) -> str:
        return f"cannot read a fingerprint from {self.path}: {self.refusal}"


def read_fingerprint(path: Path) -> str | None:
    """Return the fingerprint in a workbook's properties, or None when it has none.

    The keywords and the description both carry it; if they name different
    fingerprints the file was edited, and FingerprintReadError (CONFLICTING)
    is raised, as it is for a missing, unreadable or non-workbook file.
    """
    path = Path(path)
    try:
        stream = path.open("rb")
    except FileNotFoundError as error:
        raise FingerprintReadError(path, Refusal.NOT_FOUND) from error
    except OSError as error:
        raise FingerprintReadError(path, Refusal.UNREADABLE) from error

    with stream:
        try:
            workbook = load_workbook(stream, read_only=True)
        except _NOT_A_WORKBOOK as error:
            raise FingerprintReadError(path, Refusal.NOT_XLSX) from error
        try:
            properties = workbook.properties
            texts = (properties.keywords or "", properties.description or "")
        finally:
            workbook.close()

    found = {
        word[len(_KEY) :]
        for text in texts
        for word in text.split()
        if word.startswith(_KEY) and word != _KEY + _NONE
    }
    if len(found) > 1:
        raise FingerprintReadError(path, Refusal.CONFLICTING)
    return found.pop() if found else None


def submit_file(path: Path) -> SubmittedFile:
    """Read a file's fingerprint for verification; a failure becomes a refusal."""
    try:
        fingerprint = read_fingerprint(path)
    except FingerprintReadError as error:
        return SubmittedFile(Path(path), refusal=error.refusal)
    if fingerprint is None:
        return SubmittedFile(Path(path), refusal=Refusal.NO_FINGERPRINT)
    return SubmittedFile(Path(path), fingerprint=fingerprint)


def verify_ledger(
    ledger: Ledger, files: Sequence[Path] = (), fingerprints: Sequence[str] = ()
) -> VerifyReport:
    """Verify a ledger's event log, the fingerprints given, and the files given.

    This is the entry point for a command line or a screen: nothing here
    raises for a bad file or fingerprint; each is a value in the report.
    """
    return ledger.verify(fingerprints, [submit_file(path) for path in files])


class Difference(NamedTuple):
    """Where a file shows otherwise than the sheet rebuilt from the log.

    `kind` "value": the cell holds `given`, the log gives `rebuilt`;
    "format": the cell's number format (a format of literal text shows words
    the cell does not hold); what the file hides from view and print, `place`
    naming the row, column or sheet: "hidden_row", "hidden_column",
    "hidden_sheet", "flat_row", "narrow_column", "white_text" (a cell),
    "conditional" (a format that may restyle cells), "print_area"; what it
    adds: "comment" (a cell's), "foreign_sheet"; "sheet_title": a unit's
    sheet of the office's workbook named for another unit.
    """

    sheet: str
    place: str
    given: object
    rebuilt: object
    kind: str = "value"


@dataclass(frozen=True)
class CellCheck:
    """A file's cells against the sheet rebuilt from the log at its fingerprint.

    `difference` is None when every cell of the ledger and detail sheets
    matches, in value, number format and visibility; otherwise the first that
    does not. `unchecked` says why no comparison was made. `uncompared` names
    the file's other sheets: tables computed from the same rows (a final
    ledger's 统计 and 汇总), not rebuilt here.
    """

    path: Path
    difference: Difference | None = None
    differing: int = 0
    unchecked: str = ""
    # The office's consolidated workbook: how many units' sheets were compared,
    # and the units the log gives a sheet that the file lacks.
    units: int = 0
    missing: tuple[str, ...] = ()
    uncompared: tuple[str, ...] = ()
    # Whether the file is the office's workbook (of every unit).
    office: bool = False

    @property
    def matches(self) -> bool:
        return not self.unchecked and self.difference is None and not self.missing


def check_cells(ledger: Ledger, path: Path) -> CellCheck:
    """Rebuild the sheet a file claims to be and compare every cell with it.

    The file's properties say which unit, report day, cut-off and log position
    it was exported from. The sheet is built again from the log (masked too,
    and the closer of the two is compared, since a masked copy may be given).
    A final ledger's 统计 and 汇总 are rebuilt and compared too; a week's
    difference tables (`uncompared`) are derived from the same log.
    """
    path = Path(path)
    try:
        book = load_workbook(path)
    except (*_NOT_A_WORKBOOK, FileNotFoundError):
        return CellCheck(path, unchecked="unreadable")
    try:
        claim = _claim(ledger, book.properties)
        if claim is not None and claim.unit == ALL_UNITS:
            return _check_units(ledger, path, book, claim)
        if claim is None:
            sheet = None
        elif claim.week is None and not claim.known and _FINAL_TABLES & set(book.sheetnames):
            sheet = final_sheet(ledger.final_report_at(claim.unit, claim.position, claim.day))
        else:
            sheet = claim.rebuild(ledger)
    except (LedgerError, ValueError):
        return CellCheck(path, unchecked="unknown_origin")
    if sheet is None:
        return CellCheck(path, unchecked="unknown_origin")
    compared = (LEDGER_TITLE, DETAIL_TITLE, *(t.title for t in sheet.extra))
    differences = []
    with tempfile.TemporaryDirectory() as folder:
        for variant, name in ((sheet, "plain.xlsx"), (mask_sheet(sheet), "masked.xlsx")):
            rebuilt = load_workbook(write_official_sheet(variant, Path(folder) / name))
            differences.append(_differences(book, rebuilt, compared))
    others = tuple(t for t in book.sheetnames if t not in compared)
    foreign = [Difference(t, t, True, False, "foreign_sheet") for t in others
               if t not in UNIT_EXTRAS]  # fmt: skip
    fewer = [*foreign, *min(differences, key=len)]
    return CellCheck(
        path,
        difference=fewer[0] if fewer else None,
        differing=len(fewer),
        uncompared=others,
    )


@dataclass(frozen=True)
class _Claim:
    """What a file's properties say it was built from."""

    unit: str
    position: int
    day: date
    week: int | None = None
    known: bool = False

    def rebuild(self, ledger: Ledger, unit: str = "") -> OfficialSheet:
        return ledger.official_sheet_at(
            unit or self.unit, self.position, self.day, self.week, known=self.known
        )


def _claim(ledger: Ledger, properties: Any) -> _Claim | None:
    words = dict(
        word.split("=", 1) for word in (properties.keywords or "").split() if "=" in word
    )
    unit, _, day = (properties.subject or "").rpartition(" ")
    parsed = parse_fingerprint(words.get("fingerprint", ""))
    if not unit or parsed is None:
        return None
    claim = _Claim(unit, parsed[0], date.fromisoformat(day))
    cutoff = words.get("cutoff", "")
    if cutoff == "now":
        return claim
    if cutoff == "known":
        return replace(claim, known=True)
    for week in ledger.campaign.report_weeks:
        if ledger.week_cutoff(week).isoformat() == cutoff:
            return replace(claim, week=week)
    return None


def _check_units(ledger: Ledger, path: Path, book: Any, claim: _Claim) -> CellCheck:
    """Compare each unit's sheet of the office's workbook with the log's, and
    the overview tables of a workbook of the ledger as it stood.

    A report week's workbook shows submissions as known when it was
    written, which no log position records: its 各周报送 and its summary's
    two columns of them (应报未报, 封存) are not compared (`uncompared`).
    """
    given = {}
    found: list[Difference] = []
    for ws in book.worksheets:
        named = _UNIT_LINE.fullmatch(str(ws["A2"].value or ""))
        if named:
            given[named.group(1)] = ws
            # Named as the consolidated export names it: the unit, or its
            # first 28 characters and a number where two would clash.
            title = sheet_title(named.group(1))
            if ws.title != title and not ws.title.startswith(f"{title[:28]}("):
                found.append(Difference(ws.title, ws.title, ws.title, title, "sheet_title"))
        elif ws.title not in OFFICE_TABLES:
            found.append(Difference(ws.title, ws.title, True, False, "foreign_sheet"))
    missing = []
    units = 0
    uncompared = tuple(t for t in book.sheetnames if t in OFFICE_TABLES)
    with tempfile.TemporaryDirectory() as folder:
        if not claim.known:
            overview = ledger.office_overview_at(claim.position, claim.day, claim.week)
            labels = {c.key: c.label for c in ledger.campaign.categories}
            tables = load_workbook(
                write_consolidated(overview, [], labels, Path(folder) / "tables.xlsx")
            )
            if claim.week is None:
                found += _differences(book, tables, tables.sheetnames)
                uncompared = ()
            else:
                # The submissions' cells: the summary's last two columns.
                summary = tables[OFFICE_SUMMARY_TITLE]
                skip = {OFFICE_SUMMARY_TITLE: {summary.max_column - 1, summary.max_column}}
                titles = [t for t in tables.sheetnames if t != WEEKS_TITLE]
                found += _differences(book, tables, titles, skip)
                uncompared = (WEEKS_TITLE,)
        for unit in ledger.campaign.all_units:
            sheet = claim.rebuild(ledger, unit)
            if unit not in given:
                if sheet.rows:
                    missing.append(unit)
                continue
            units += 1
            rebuilt = load_workbook(write_official_sheet(sheet, Path(folder) / "unit.xlsx"))
            found += _cells_differing(given[unit], rebuilt[LEDGER_TITLE])
    return CellCheck(
        path,
        difference=found[0] if found else None,
        differing=len(found),
        units=units,
        missing=tuple(missing),
        uncompared=uncompared,
        office=True,
    )


def _differences(
    given: Any,
    rebuilt: Any,
    titles: Sequence[str],
    skip: Mapping[str, set[int]] | None = None,
) -> list[Difference]:
    """Compare the sheets of those titles; `skip` names columns left out, by sheet."""
    found: list[Difference] = []
    for title in titles:
        if title not in given.sheetnames:
            found.append(Difference(title, "", None, title))
            continue
        found += _cells_differing(given[title], rebuilt[title], (skip or {}).get(title, set()))
    return found


def _older_layout(mine: Any, theirs: Any) -> bool:
    """Tell a 明细 written before columns were appended to it (整改成效, 验收日期):
    its header is the start of today's, which it is compared up to.

    Cutting whole columns off a file's end hides what they said but falsifies
    nothing the file still shows.
    """
    if mine.title != DETAIL_TITLE or mine.max_column >= theirs.max_column:
        return False
    header = [cell.value for cell in mine[1]]
    return header == [cell.value for cell in theirs[1]][: len(header)]


def _cells_differing(
    mine: Any, theirs: Any, skip: set[int] | frozenset[int] = frozenset()
) -> list[Difference]:
    """Compare two sheets cell by cell (but the columns in `skip`), then what
    each hides from view."""
    found = []
    rows = max(mine.max_row, theirs.max_row)
    columns = max(mine.max_column, theirs.max_column)
    if _older_layout(mine, theirs):
        columns = mine.max_column
    for row in range(1, rows + 1):
        for column in range(1, columns + 1):
            if column in skip:
                continue
            a, b = mine.cell(row, column), theirs.cell(row, column)
            found += _cell_differing(mine.title, a, b)
    for kind, hidden in (
        ("hidden_row", _hidden_rows),
        ("hidden_column", _hidden_columns),
        ("flat_row", _flat_rows),
        ("narrow_column", _narrow_columns),
    ):
        for place in sorted(hidden(mine) - hidden(theirs)):
            shown = place if kind.endswith("row") else get_column_letter(place)
            found.append(Difference(mine.title, str(shown), True, False, kind))
    if mine.sheet_state != theirs.sheet_state:
        found.append(Difference(mine.title, mine.title, True, False, "hidden_sheet"))
    if len(mine.conditional_formatting) > len(theirs.conditional_formatting):
        found.append(Difference(mine.title, mine.title, True, False, "conditional"))
    if mine.print_area != theirs.print_area:
        found.append(
            Difference(mine.title, mine.title, mine.print_area, theirs.print_area, "print_area")
        )
    return found


def _cell_differing(title: str, a: Any, b: Any) -> list[Difference]:
    """Compare one cell: its value, how its value is shown, and a comment on it."""
    place = a.coordinate
    if a.value != b.value:
        if a.number_format != b.number_format and isinstance(b.value, date | datetime):
            # A date shown through a format of literal text is read as its
            # serial number: the format, not the value, was changed.
            return [Difference(title, place, a.number_format, b.number_format, "format")]
        return [Difference(title, place, a.value, b.value)]
    found = []
    if a.value is not None:
        if a.number_format != b.number_format:
            found.append(Difference(title, place, a.number_format, b.number_format, "format"))
        if _white(a.font) and not _white(b.font):
            found.append(Difference(title, place, True, False, "white_text"))
    if a.comment is not None and b.comment is None:
        found.append(Difference(title, place, a.comment.text, None, "comment"))
    return found


def _white(font: Any) -> bool:
    color = getattr(font, "color", None)
    rgb = getattr(color, "rgb", None)
    return isinstance(rgb, str) and rgb.upper().endswith("FFFFFF")


def _flat_rows(ws: Any) -> set[int]:
    return {
        row
        for row, d in ws.row_dimensions.items()
        if d.height is not None and d.height < _FLAT_ROW
    }


def _narrow_columns(ws: Any) -> set[int]:
    return {
        column
        for d in ws.column_dimensions.values()
        if d.width is not None and d.customWidth and d.width < _NARROW_COLUMN
        and d.min is not None
        for column in range(d.min, (d.max or d.min) + 1)
    }  # fmt: skip


def _hidden_rows(ws: Any) -> set[int]:
    return {row for row, d in ws.row_dimensions.items() if d.hidden}


def _hidden_columns(ws: Any) -> set[int]:
    # openpyxl keeps a run of like columns as one dimension, min to max.
    return {
        column
        for d in ws.column_dimensions.values()
        if d.hidden and d.min is not None
        for column in range(d.min, (d.max or d.min) + 1)
    }
