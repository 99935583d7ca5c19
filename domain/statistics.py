"""Ledger statistics: counts by kind and unit, overdue, on-time rate, weekly flow.

Every figure is computed here from finding states and the day they are
judged on, so the screen, the command line, the sheets and the Markdown
summary all show the same numbers. The definitions, which the screens and
the summary repeat in words:

- found (发现问题): every finding except withdrawn ones (已作废);
- rectified (已整改): awaiting acceptance (待验收) or closed out (已销号);
- still open (尚未完成): pending (待整改) or in progress (整改中);
- overdue (逾期): still open with the deadline passed before the day judged on;
- due (应完成): rectified findings and overdue ones, i.e. every finding that
  either finished or should have finished by the day judged on;
- on time (按时完成): rectified no later than the deadline in force (after
  any extension);
- on-time completion rate (按时完成率): on time / due, none when nothing is due;
- new in a week (新增): findings found (business date) in that week;
- closed in a week (销号): closed-out findings accepted in that week.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from domain.campaign import Campaign
from domain.coverage import UnitCoverage
from domain.sheet import OfficialSheet
from domain.state import FindingState, Status


@dataclass(frozen=True)
class Tally:
    """How a group of findings stands: one count per status, overdue and on time."""

    pending: int = 0
    in_progress: int = 0
    awaiting: int = 0
    closed: int = 0
    withdrawn: int = 0
    overdue: int = 0
    on_time: int = 0

    @property
    def found(self) -> int:
        """Every finding of the group except the withdrawn ones."""
        return self.pending + self.in_progress + self.awaiting + self.closed

    @property
    def rectified(self) -> int:
        return self.awaiting + self.closed

    @property
    def still_open(self) -> int:
        return self.pending + self.in_progress

    @property
    def due(self) -> int:
        return self.rectified + self.overdue

    @property
    def rate(self) -> float | None:
        """On time over due, or None when nothing is due yet."""
        return self.on_time / self.due if self.due else None

    def count(self, status: Status) -> int:
        """Return how many findings of the group stand in a status."""
        return {
            Status.PENDING: self.pending,
            Status.IN_PROGRESS: self.in_progress,
            Status.AWAITING_ACCEPTANCE: self.awaiting,
            Status.CLOSED: self.closed,
            Status.WITHDRAWN: self.withdrawn,
        }[status]


def tally(states: Iterable[FindingState], day: date) -> Tally:
    """Count findings by status, and the overdue and on-time ones, judged on `day`."""
    counts = {status: 0 for status in Status}
    overdue = on_time = 0
    for s in states:
        counts[s.status] += 1
        if s.is_overdue(day):
            overdue += 1
        if s.on_time:
            on_time += 1
    return Tally(
        pending=counts[Status.PENDING],
        in_progress=counts[Status.IN_PROGRESS],
        awaiting=counts[Status.AWAITING_ACCEPTANCE],
        closed=counts[Status.CLOSED],
        withdrawn=counts[Status.WITHDRAWN],
        overdue=overdue,
        on_time=on_time,
    )


@dataclass(frozen=True)
class KindRow:
    """The findings of one category and one nature."""

    category: str
    nature: str
    tally: Tally


@dataclass(frozen=True)
class CategoryRow:
    """The findings of one category, both natures together."""

    category: str
    tally: Tally


@dataclass(frozen=True)
class UnitRow:
    """The findings one unit reported."""

    unit: str
    tally: Tally


@dataclass(frozen=True)
class OverdueRow:
    """One overdue finding and how many days past its deadline it is."""

    finding_id: str
    unit: str
    category: str
    nature: str
    statement: str
    deadline: date
    days_overdue: int
    responsible_unit: str
    status: Status


@dataclass(frozen=True)
class WeekFlow:
    """How many findings were found, and how many closed out, in one report week."""

    week: int
    first_day: date
    last_day: date
    new: int
    closed: int


@dataclass(frozen=True)
class Statistics:
    """Every figure of the statistics screen, for one unit or all, on one day.

    `week` is the report week whose cut-off the states were replayed to, or
    None for the ledger as it stands; `day` is the day overdue is judged on
    (that week's last day, or today). Rows follow the campaign's order of
    categories, natures and units; every category × nature and every unit in
    scope has a row, zeros included (the units that hand in a ledger; the
    office and the team only when they report findings of their own).
    """

    unit: str
    week: int | None
    day: date
    total: Tally
    by_kind: tuple[KindRow, ...]
    by_category: tuple[CategoryRow, ...]
    by_unit: tuple[UnitRow, ...]
    # By 责任单位: every lead unit, then any other unit findings name, then ""
    # for findings no plan has given one yet.
    by_responsible: tuple[UnitRow, ...]
    overdue: tuple[OverdueRow, ...]
    weeks: tuple[WeekFlow, ...]


@dataclass(frozen=True)
class FinalReport:
    """A unit's final ledger with the figures of its summary.

    `categories` pairs each category key with its name, in the campaign's
    order; `sealed_by` is who signed the sealed final ledger, or "".
    """

    campaign: str
    unit: str
    day: date
    sheet: OfficialSheet
    statistics: Statistics
    coverage: UnitCoverage
    categories: tuple[tuple[str, str], ...]
    sealed_by: str


def statistics(
    states: Iterable[FindingState],
    day: date,
    campaign: Campaign,
    *,
    weeks: Sequence[int],
    unit: str = "",
    week: int | None = None,
) -> Statistics:
    """Compute every figure from finding states judged on `day`.

    `weeks` are the consecutive report weeks the weekly flow covers. A
    finding found or closed before the first of them counts in the first,
    after the last in the last, so the weeks add up to the whole.
    """
    chosen = [s for s in states if not unit or s.reporting_unit == unit]
    categories = _ordered([c.key for c in campaign.categories], chosen, "category")
    natures = _ordered(campaign.natures, chosen, "nature")
    # The units that hand in a ledger; the office or the team only with findings.
    units = [unit] if unit else _ordered(campaign.reporting_units, chosen, "reporting_unit")

    def of(**match: str) -> Tally:
        return tally(
            (s for s in chosen if all(getattr(s, k) == v for k, v in match.items())),
            day,
        )

    return Statistics(
        unit=unit,
        week=week,
        day=day,
        total=tally(chosen, day),
        by_kind=tuple(
            KindRow(c, n, of(category=c, nature=n)) for c in categories for n in natures
        ),
        by_category=tuple(CategoryRow(c, of(category=c)) for c in categories),
        by_unit=tuple(UnitRow(u, of(reporting_unit=u)) for u in units),
        by_responsible=responsible_rows(chosen, day, campaign.responsible_units),
        overdue=overdue_rows(chosen, day),
        weeks=week_flow(chosen, campaign, weeks),
    )


def responsible_rows(
    states: Iterable[FindingState], day: date, lead_units: Sequence[str]
) -> tuple[UnitRow, ...]:
    """Tally findings by 责任单位: every lead unit (zeros included), then any
    other unit they name, then "" for those no plan has given one yet."""
    states = list(states)
    named = _ordered(lead_units, states, "responsible_unit")
    order = [u for u in named if u] + [""] * ("" in named)
    return tuple(
        UnitRow(u, tally((s for s in states if s.responsible_unit == u), day)) for u in order
    )


def overdue_rows(states: Iterable[FindingState], day: date) -> tuple[OverdueRow, ...]:
    """List the overdue findings, longest overdue first."""
    rows = [
        OverdueRow(
            finding_id=s.finding_id,
            unit=s.reporting_unit,
            category=s.category,
            nature=s.nature,
            statement=s.statement,
            deadline=s.deadline,
            days_overdue=(day - s.deadline).days,
            responsible_unit=s.responsible_unit,
            status=s.status,
        )
        for s in states
        if s.deadline is not None and s.is_overdue(day)
    ]
    rows.sort(key=lambda r: (-r.days_overdue, r.unit, r.deadline))
    return tuple(rows)


def week_flow(
    states: Iterable[FindingState], campaign: Campaign, weeks: Sequence[int]
) -> tuple[WeekFlow, ...]:
    """Count each week's new (by day found) and closed (by day accepted) findings.

    `weeks` are consecutive; days before the first count in it, after the last
    in it, and its days are widened to them, so that a week never shows a
    count of days outside the days it names.
    """
    if not weeks:
        return ()
    first, last = min(weeks), max(weeks)
    days = {n: campaign.week_days(n) for n in weeks}

    def count(counts: dict[int, int], day: date) -> None:
        n = min(max(campaign.week_of(day), first), last)
        counts[n] += 1
        start, end = days[n]
        days[n] = (min(start, day), max(end, day))

    new = dict.fromkeys(weeks, 0)
    closed = dict.fromkeys(weeks, 0)
    for s in states:
        if s.status is Status.WITHDRAWN:
            continue
        count(new, s.found_on)
        if s.status is Status.CLOSED and s.accepted_on is not None:
            count(closed, s.accepted_on)
    return tuple(WeekFlow(n, *days[n], new=new[n], closed=closed[n]) for n in weeks)


def _ordered(known: Sequence[str], states: list[FindingState], field: str) -> list[str]:
    """The campaign's values in its order, then any value only the states use."""
    extra = sorted({getattr(s, field) for s in states} - set(known))
    return [*known, *extra]
