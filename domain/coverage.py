"""Check-item coverage: which of the campaign's check items each unit has screened."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from domain.campaign import Campaign
from domain.state import FindingState, Status


class Screened(StrEnum):
    """How a unit's check item counts as screened, if it does."""

    RECORDED = "recorded"  # a screening was recorded for it
    BY_FINDING = "by_finding"  # no screening recorded, but a finding under it
    NOT = "not"


@dataclass(frozen=True)
class Screening:
    """One recorded screening of a check item by a unit."""

    unit: str
    category: str
    check_item: int
    households: int
    problems_found: int
    on: date
    operator: str
    recorded_at: datetime


@dataclass(frozen=True)
class ItemCoverage:
    """One check item of one unit: whether it was screened, and what was recorded.

    `households` and `problems_found` add up every screening recorded for the
    item; `findings` counts the findings (withdrawn ones left out) recorded
    under it.
    """

    category: str
    check_item: int
    item: str
    screened: Screened
    screenings: int
    households: int
    problems_found: int
    findings: int

    @property
    def disagrees(self) -> bool:
        """Tell a screening whose problems found differ from the findings recorded.

        Either way is worth asking about: problems found but not entered, or
        findings (a spot check's, say) the unit's screening did not count.
        """
        return self.screened is Screened.RECORDED and self.problems_found != self.findings


@dataclass(frozen=True)
class UnitCoverage:
    """Every check item of the campaign, in its order, for one unit."""

    unit: str
    items: tuple[ItemCoverage, ...]

    @property
    def screened(self) -> int:
        """How many check items count as screened, either way."""
        return sum(1 for i in self.items if i.screened is not Screened.NOT)

    @property
    def disagreeing(self) -> tuple[ItemCoverage, ...]:
        return tuple(i for i in self.items if i.disagrees)

    def of_category(self, category: str) -> tuple[ItemCoverage, ...]:
        return tuple(i for i in self.items if i.category == category)


def coverage(
    screenings: Iterable[Screening],
    states: Iterable[FindingState],
    campaign: Campaign,
    units: Sequence[str],
) -> list[UnitCoverage]:
    """Say for each unit and check item whether it was screened.

    A recorded screening counts first; otherwise a finding recorded under
    the item counts as screened. A withdrawn finding proves nothing: it was
    recorded in error or twice.
    """
    recorded: dict[tuple[str, str, int], list[Screening]] = {}
    for s in screenings:
        recorded.setdefault((s.unit, s.category, s.check_item), []).append(s)
    found: dict[tuple[str, str, int], int] = {}
    for f in states:
        if f.status is not Status.WITHDRAWN:
            key = (f.reporting_unit, f.category, f.check_item)
            found[key] = found.get(key, 0) + 1

    result = []
    for unit in units:
        items = []
        for category in campaign.categories:
            for number, text in enumerate(category.items, 1):
                key = (unit, category.key, number)
                done = recorded.get(key, [])
                findings = found.get(key, 0)
                if done:
                    how = Screened.RECORDED
                elif findings:
                    how = Screened.BY_FINDING
                else:
                    how = Screened.NOT
                items.append(
                    ItemCoverage(
                        category=category.key,
                        check_item=number,
                        item=text,
                        screened=how,
                        screenings=len(done),
                        households=sum(s.households for s in done),
                        problems_found=sum(s.problems_found for s in done),
                        findings=findings,
                    )
                )
        result.append(UnitCoverage(unit, tuple(items)))
    return result
