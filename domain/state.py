"""The state of one finding, derived only from its events."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """Where a finding stands; the values are the campaign's own words."""

    PENDING = "待整改"
    IN_PROGRESS = "整改中"
    AWAITING_ACCEPTANCE = "待验收"
    CLOSED = "已销号"
    WITHDRAWN = "已作废"


# A finding's number as shown (编号): the first characters of its id; the
# fewest a command takes in its stead.
SHORT_ID = 8
MIN_ID = 6

# Status values a finding can no longer leave; no step is recorded on them.
FINAL = frozenset({Status.CLOSED, Status.WITHDRAWN})
# Status values of a finding whose rectification is done (整改完成).
RECTIFIED = frozenset({Status.AWAITING_ACCEPTANCE, Status.CLOSED})

# Fields an operator may correct; the rest change only through their own event.
CORRECTABLE_FIELDS = (
    "category",
    "check_item",
    "nature",
    "statement",
    "village",
    "household_head",
    "household_kind",
    "cause",
    "found_on",
    "measures",
    "responsible_unit",
    "responsible_leader",
)


@dataclass(frozen=True)
class FindingState:
    """Everything the ledger shows about one finding, as of its last event.

    The same value is the aggregate's state, the read model's row and the
    result of replaying a past week, so all three agree by construction.
    """

    finding_id: str
    reporting_unit: str
    category: str
    check_item: int
    nature: str
    statement: str
    cause: str
    found_on: date
    source: str
    recorded_at: datetime
    recorded_by: str
    village: str = ""
    household_head: str = ""
    household_kind: str = ""
    source_ref: str = ""
    remarks: str = ""
    measures: str = ""
    deadline: date | None = None
    responsible_unit: str = ""
    responsible_leader: str = ""
    planned: bool = False
    extensions: int = 0
    latest_progress: str = ""
    progress_on: date | None = None
    first_step_on: date | None = None
    progress_count: int = 0
    completed_on: date | None = None
    effect: str = ""
    accepted_on: date | None = None
    # The latest acceptance decision, passed or failed: who made it, and why.
    inspector: str = ""
    acceptance_remarks: str = ""
    returned_count: int = 0
    # The day of the failed acceptance that last sent it back: rework follows it.
    returned_on: date | None = None
    withdrawn_reason: str = ""
    status: Status = Status.PENDING
    updated_at: datetime | None = None
    version: int = 1

    def but(self, **changes: Any) -> FindingState:
        """Return a copy with some fields changed, as `dataclasses.replace` would.

        Without running `__init__` over every field: folding a province's log
        copies a state twice per event, and `replace` was most of that cost.
        """
        unknown = changes.keys() - STATE_FIELDS
        if unknown:
            raise TypeError(f"FindingState has no field {', '.join(sorted(unknown))}")
        copy = object.__new__(FindingState)
        copy.__dict__.update(self.__dict__, **changes)
        return copy

    @property
    def acceptance_opinion(self) -> str:
        """The latest acceptance's remarks, marked 未通过 when it sent the finding back."""
        if self.status is Status.CLOSED or not self.acceptance_remarks:
            return self.acceptance_remarks
        return f"未通过：{self.acceptance_remarks}"

    @property
    def on_time(self) -> bool | None:
        """Whether the rectification was done no later than the deadline in
        force (按时完成); None while it is not done."""
        if self.status not in RECTIFIED:
            return None
        return (
            self.completed_on is not None
            and self.deadline is not None
            and self.completed_on <= self.deadline
        )

    def with_step_on(self, day: date) -> date:
        """Return the earliest business day of any step, counting this one."""
        return day if self.first_step_on is None else min(self.first_step_on, day)

    def is_overdue(self, today: date) -> bool:
        """Tell whether the deadline has passed with the work still open."""
        if self.deadline is None:
            return False
        if self.status in FINAL or self.status is Status.AWAITING_ACCEPTANCE:
            return False
        return today > self.deadline

    def days_to_deadline(self, today: date) -> int | None:
        """Count days from today to the deadline; negative once past it."""
        if self.deadline is None:
            return None
        return (self.deadline - today).days


STATE_FIELDS = frozenset(f.name for f in fields(FindingState))
