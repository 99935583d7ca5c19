"""A ledger check: what would embarrass a unit when its ledger is accepted."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from domain.campaign import Campaign
from domain.state import FINAL, FindingState, Status


class ProblemKind(StrEnum):
    """What is wrong with a ledger row."""

    DEADLINE_MISSING = "deadline_missing"
    DEADLINE_BEFORE_FOUND = "deadline_before_found"
    MEASURES_MISSING = "measures_missing"
    COMPLETED_WITHOUT_PROGRESS = "completed_without_progress"
    COMPLETED_BEFORE_PROGRESS = "completed_before_progress"
    CAUSE_MISSING = "cause_missing"
    UNKNOWN_RESPONSIBLE_UNIT = "unknown_responsible_unit"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one finding's row.

    `detail` holds the values at fault (ISO days, a unit's name), never
    wording; it is empty when the kind says it all.
    """

    finding_id: str
    unit: str
    statement: str
    kind: ProblemKind
    detail: str = ""


def check_ledger(
    states: Iterable[FindingState], campaign: Campaign, today: date
) -> list[Problem]:
    """List the problems of each row in the order given; withdrawn rows are skipped.

    Open means neither closed (已销号) nor withdrawn. `today` decides overdue.
    """
    units = set(campaign.all_units)
    return [
        Problem(s.finding_id, s.reporting_unit, s.statement, kind, detail)
        for s in states
        if s.status is not Status.WITHDRAWN
        for kind, detail in _problems_of(s, units, today)
    ]


def _problems_of(
    s: FindingState, units: set[str], today: date
) -> Iterator[tuple[ProblemKind, str]]:
    is_open = s.status not in FINAL
    if is_open and s.deadline is None:
        yield ProblemKind.DEADLINE_MISSING, ""
    if s.deadline is not None and s.deadline < s.found_on:
        yield (
            ProblemKind.DEADLINE_BEFORE_FOUND,
            f"{s.deadline.isoformat()} < {s.found_on.isoformat()}",
        )
    if is_open and not s.measures.strip():
        yield ProblemKind.MEASURES_MISSING, ""
    done = s.status in (Status.AWAITING_ACCEPTANCE, Status.CLOSED)
    if done and s.progress_count == 0:
        yield ProblemKind.COMPLETED_WITHOUT_PROGRESS, ""
    if s.completed_on and s.progress_on and s.completed_on < s.progress_on:
        yield (
            ProblemKind.COMPLETED_BEFORE_PROGRESS,
            f"{s.completed_on.isoformat()} < {s.progress_on.isoformat()}",
        )
    if not s.cause.strip():
        yield ProblemKind.CAUSE_MISSING, ""
    if s.responsible_unit and s.responsible_unit not in units:
        yield ProblemKind.UNKNOWN_RESPONSIBLE_UNIT, s.responsible_unit
    if s.deadline is not None and s.is_overdue(today):
        yield ProblemKind.OVERDUE, s.deadline.isoformat()
