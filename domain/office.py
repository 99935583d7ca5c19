"""The office's view of all units: counts, weekly submissions, overdue findings."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from domain.state import FindingState, Status
from domain.statistics import UnitRow, responsible_rows


class WeekMark(StrEnum):
    """Where a unit stands with one report week."""

    SUBMITTED = "submitted"
    MISSING = "missing"
    NOT_DUE = "not_due"
    # The unit receives reports rather than hands them in, or no unit owes
    # the week (one the final ledger reports: Campaign.owed_weeks).
    NOT_OWED = "not_owed"


@dataclass(frozen=True)
class UnitSummary:
    """One unit's findings by status, its overdue ones, and its submissions.

    `weeks` pairs every report week with its mark, in week order. Submissions
    are as known now, also in the overview of a past week: `handed_in` says
    when each came in.
    """

    unit: str
    total: int
    by_status: tuple[tuple[Status, int], ...]
    overdue: int
    weeks: tuple[tuple[int, WeekMark], ...]
    sealed_by: str
    # The business day each submitted week came in.
    handed_in: Mapping[int, date] = field(default_factory=dict)

    def count(self, status: Status) -> int:
        return dict(self.by_status).get(status, 0)

    @property
    def missing(self) -> tuple[int, ...]:
        return tuple(w for w, mark in self.weeks if mark is WeekMark.MISSING)

    @property
    def submitted(self) -> tuple[int, ...]:
        return tuple(w for w, mark in self.weeks if mark is WeekMark.SUBMITTED)


@dataclass(frozen=True)
class OfficeOverview:
    """Every unit at once, as the office sees it on a day (or at a week's end).

    `week` is the report week the counts stand at, None for now; `day` is the
    day overdue is judged on. `overdue` lists overdue findings by unit in
    campaign order, then by deadline.
    """

    day: date
    week: int | None
    units: tuple[UnitSummary, ...]
    overdue: tuple[FindingState, ...]
    # The findings by 责任单位 (domain.statistics.responsible_rows).
    by_responsible: tuple[UnitRow, ...] = ()
    # The log the figures were read from, for a workbook of them: the week's
    # cut-off (None for now) and the log's fingerprint there.
    cutoff: datetime | None = None
    fingerprint: str | None = None

    @property
    def total(self) -> int:
        return sum(u.total for u in self.units)


# Statuses counted per unit; withdrawn findings are not on any ledger.
COUNTED = (
    Status.PENDING,
    Status.IN_PROGRESS,
    Status.AWAITING_ACCEPTANCE,
    Status.CLOSED,
)


def overview(
    states: Iterable[FindingState],
    units: Sequence[str],
    day: date,
    week: int | None,
    report_weeks: Sequence[int],
    submitted: Mapping[str, Mapping[int, date]],
    due: set[int],
    sealed: dict[str, str],
    receiving: Sequence[str] = (),
    owed: Collection[int] | None = None,
    lead_units: Sequence[str] = (),
    cutoff: datetime | None = None,
    fingerprint: str | None = None,
) -> OfficeOverview:
    """Summarise findings and submissions for every unit, in the order given.

    A unit in `receiving` is left out unless it has findings, and owes no
    week; nor does any unit owe a week not in `owed` (all, if None). Units outside
    `units` that still report findings (a campaign file since changed) come
    last, so no finding drops out of the totals.
    """
    live = [s for s in states if s.status is not Status.WITHDRAWN]
    reporting = {s.reporting_unit for s in live}
    # A receiving unit (the office, the team) is one only with findings of its own.
    order = [u for u in units if u not in receiving or u in reporting]
    order += sorted(reporting - set(units))
    place = {unit: n for n, unit in enumerate(order)}
    by_unit: dict[str, list[FindingState]] = {unit: [] for unit in order}
    for s in live:
        by_unit[s.reporting_unit].append(s)
    summaries = []
    for unit in order:
        mine = by_unit[unit]
        weeks = tuple(
            (
                w,
                WeekMark.SUBMITTED
                if w in submitted.get(unit, {})
                else WeekMark.NOT_OWED
                if unit in receiving or (owed is not None and w not in owed)
                else WeekMark.MISSING
                if w in due
                else WeekMark.NOT_DUE,
            )
            for w in report_weeks
        )
        summaries.append(
            UnitSummary(
                unit=unit,
                total=len(mine),
                by_status=tuple(
                    (status, sum(1 for s in mine if s.status is status))
                    for status in COUNTED
                ),
                overdue=sum(1 for s in mine if s.is_overdue(day)),
                weeks=weeks,
                sealed_by=sealed.get(unit, ""),
                handed_in=dict(submitted.get(unit, {})),
            )
        )
    overdue = sorted(
        (s for s in live if s.is_overdue(day)),
        key=lambda s: (place[s.reporting_unit], s.deadline, s.recorded_at),
    )
    return OfficeOverview(
        day=day,
        week=week,
        units=tuple(summaries),
        overdue=tuple(overdue),
        by_responsible=responsible_rows(live, day, lead_units),
        cutoff=cutoff,
        fingerprint=fingerprint,
    )
