"""The finding aggregate: one problem found in the campaign and every step taken on it."""

from __future__ import annotations

import dataclasses
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from eventsourcing.domain import Aggregate

from domain.errors import (
    AlreadyPlannedError,
    DateInFutureError,
    DateTooEarlyError,
    DeadlineBeforeFoundError,
    DeadlineNotLaterError,
    EmptyTextError,
    FindingClosedError,
    FindingWithdrawnError,
    ForbiddenCharacterError,
    FoundAfterStepError,
    NothingChangedError,
    NothingToUndoError,
    NotPlannedError,
    NotYourChangeError,
    TextTooLongError,
    UncorrectableFieldError,
    WrongStatusError,
)
from domain.state import CORRECTABLE_FIELDS, FindingState, Status
from domain.text import CELL_LIMIT, cell_length, forbidden_character

# The most characters one spreadsheet cell holds; longer text could not be exported.
MAX_TEXT = CELL_LIMIT


@dataclass(frozen=True)
class Stamp:
    """Who causes an event, when it is recorded, and what day it is for them."""

    operator: str
    operator_unit: str
    at: datetime
    today: date


def required_text(field: str, value: str) -> str:
    """Return the text stripped, refusing it when empty or too long for a cell."""
    text = value.strip()
    if not text:
        raise EmptyTextError(field)
    return optional_text(field, text)


def name_text(field: str, value: str) -> str:
    """Return a name stripped: required text on one line, without tabs, line breaks
    or invisible characters.

    A name stands on one line of every record and list it signs.
    """
    text = required_text(field, value)
    for index, char in enumerate(text, 1):
        # Nor an invisible one (a zero-width space): 张\u200b三 would pass for 张三.
        if char in "\t\n\r" or unicodedata.category(char) == "Cf":
            raise ForbiddenCharacterError(field, index, ord(char))
    return text


def optional_text(field: str, value: str) -> str:
    """Return the text stripped, refusing it when a cell cannot hold it.

    Length counts as the spreadsheet does (an emoji takes two), so nothing
    accepted here is ever cut short by an export.
    """
    text = value.strip()
    length = cell_length(text)
    if length > MAX_TEXT:
        raise TextTooLongError(field, length, MAX_TEXT)
    found = forbidden_character(text)
    if found is not None:
        raise ForbiddenCharacterError(field, found[0], ord(found[1]))
    return text


@dataclass(frozen=True)
class LastStep:
    """The latest event of a finding: what it was, who recorded it, which day it names."""

    kind: str
    operator: str
    operator_unit: str
    on: date


# State fields an undo never puts back: they describe the undo itself.
NOT_RESTORED = frozenset({"updated_at", "version"})
# The days of steps that answer a failed acceptance, never dated before it.
REWORK_DAYS = frozenset({"progress_on", "completed_on"})


# What a finding on a sealed ledger still takes: the acceptance decisions, and
# the rework of a finding that acceptance sent back (a new deadline for it, its
# progress, its completion), which could not otherwise be done. An undo of such
# a step is taken as the step was.
DECISIONS = frozenset({"AcceptancePassed", "AcceptanceFailed"})
REWORK = frozenset({"DeadlineExtended", "ProgressReported", "RectificationCompleted"})


def taken_after_seal(state: FindingState, kind: str) -> bool:
    """Tell whether a step of this kind is still recorded once the unit has sealed."""
    return kind in DECISIONS or (kind in REWORK and state.returned_count > 0)


def not_in_future(field: str, day: date, stamp: Stamp) -> date:
    if day > stamp.today:
        raise DateInFutureError(field, day, stamp.today)
    return day


class Finding(Aggregate):
    """A problem found in the campaign, with its rectification.

    Each command checks the ledger's rules against the current state and then
    records exactly one event. The state is a FindingState rebuilt by the
    events' `evolve` methods, which the read models use as well.
    """

    state: FindingState
    last: LastStep

    class Event(Aggregate.Event):
        """Common facts of every finding event: who, from which unit, for which day."""

        operator: str
        operator_unit: str
        on: date

        def apply(self, aggregate: Any) -> None:
            aggregate.state = self.evolve(aggregate.state)
            aggregate.last = self.step()

        def step(self) -> LastStep:
            return LastStep(
                type(self).__name__, self.operator, self.operator_unit, self.on
            )

        def evolve(self, state: FindingState) -> FindingState:
            return self.changes(state).but(
                updated_at=self.timestamp,
                version=self.originator_version,
            )

        def changes(self, state: FindingState) -> FindingState:
            raise NotImplementedError

    class Recorded(Event, Aggregate.Created):
        """A finding was recorded.

        Version 2 added `remarks`: what an imported sheet held beyond the
        official columns. Version 1 events read back with no remarks.
        """

        class_version = 2

        reporting_unit: str
        category: str
        check_item: int
        nature: str
        statement: str
        cause: str
        village: str
        household_head: str
        household_kind: str
        source: str
        source_ref: str
        remarks: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["remarks"] = ""

        def apply(self, aggregate: Any) -> None:
            aggregate.state = self.evolve(None)
            aggregate.last = self.step()

        def evolve(self, state: FindingState | None) -> FindingState:  # type: ignore[override]
            return FindingState(
                finding_id=str(self.originator_id),
                reporting_unit=self.reporting_unit,
                category=self.category,
                check_item=self.check_item,
                nature=self.nature,
                statement=self.statement,
                cause=self.cause,
                found_on=self.on,
                source=self.source,
                source_ref=self.source_ref,
                remarks=self.remarks,
                village=self.village,
                household_head=self.household_head,
                household_kind=self.household_kind,
                recorded_at=self.timestamp,
                recorded_by=self.operator,
                updated_at=self.timestamp,
                version=self.originator_version,
            )

    class RectificationPlanned(Event):
        measures: str
        deadline: date
        responsible_unit: str
        responsible_leader: str

        def changes(self, state: FindingState) -> FindingState:
            return state.but(
                measures=self.measures,
                deadline=self.deadline,
                responsible_unit=self.responsible_unit,
                responsible_leader=self.responsible_leader,
                planned=True,
                status=Status.IN_PROGRESS,
            )

    class DeadlineExtended(Event):
        """The deadline moved later; version 2 names who approved the extension."""

        class_version = 2

        deadline: date
        reason: str
        approved_by: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            # Extensions recorded before approvals were asked for name nobody.
            state["approved_by"] = ""

        def changes(self, state: FindingState) -> FindingState:
            return state.but(deadline=self.deadline, extensions=state.extensions + 1)

    class ProgressReported(Event):
        progress: str
        evidence: list[str]

        def changes(self, state: FindingState) -> FindingState:
            # 最新进展 is the latest by its day; one entered later about an
            # earlier day is counted, not shown as the latest.
            earlier = state.progress_on is not None and self.on < state.progress_on
            return state.but(
                latest_progress=state.latest_progress if earlier else self.progress,
                progress_on=state.progress_on if earlier else self.on,
                first_step_on=state.with_step_on(self.on),
                progress_count=state.progress_count + 1,
                status=Status.IN_PROGRESS,
            )

    class RectificationCompleted(Event):
        effect: str

        def changes(self, state: FindingState) -> FindingState:
            return state.but(
                completed_on=self.on,
                first_step_on=state.with_step_on(self.on),
                effect=self.effect,
                status=Status.AWAITING_ACCEPTANCE,
            )

    class AcceptancePassed(Event):
        inspector: str
        remarks: str

        def changes(self, state: FindingState) -> FindingState:
            return state.but(
                accepted_on=self.on,
                inspector=self.inspector,
                acceptance_remarks=self.remarks,
                status=Status.CLOSED,
            )

    class AcceptanceFailed(Event):
        inspector: str
        remarks: str

        def changes(self, state: FindingState) -> FindingState:
            return state.but(
                completed_on=None,
                inspector=self.inspector,
                acceptance_remarks=self.remarks,
                returned_count=state.returned_count + 1,
                returned_on=self.on,
                status=Status.IN_PROGRESS,
            )

    class FieldCorrected(Event):
        field: str
        old: Any
        new: Any
        reason: str

        def changes(self, state: FindingState) -> FindingState:
            return state.but(**{self.field: self.new})

    class Withdrawn(Event):
        reason: str

        def changes(self, state: FindingState) -> FindingState:
            return state.but(withdrawn_reason=self.reason, status=Status.WITHDRAWN)

    class ChangeUndone(Event):
        """The latest event was taken back; `restored` holds the values it had replaced.

        The undone event stays in the log. Its business day is the undone
        event's, so a replay by business day keeps or drops both together.
        Version 2: the state came to hold the latest acceptance's inspector
        and remarks, which `restored` names when it changed them; version 3,
        likewise, the day of the latest return.
        """

        class_version = 3

        undone_version: int
        undone_kind: str
        restored: dict[str, Any]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            # An acceptance undone before the state held its inspector and
            # remarks: what stood before it is not in the event, so nothing
            # is shown rather than the words of a decision taken back.
            if state["undone_kind"] in ("AcceptancePassed", "AcceptanceFailed"):
                state["restored"] = {
                    "inspector": "", "acceptance_remarks": "", **state["restored"]
                }

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            # A failed acceptance undone before the state held the day of the
            # return: the day before it is not in the event; none bounds the
            # rework rather than the day of a decision taken back.
            if state["undone_kind"] == "AcceptanceFailed":
                state["restored"] = {"returned_on": None, **state["restored"]}

        def changes(self, state: FindingState) -> FindingState:
            values = dict(self.restored)
            if "status" in values:
                # Stored as JSON text; the state holds the enum.
                values["status"] = Status(values["status"])
            return state.but(**values)

    def __init__(self) -> None:
        """Leave the state to the Recorded event's apply."""

    @classmethod
    def record(
        cls,
        stamp: Stamp,
        *,
        reporting_unit: str,
        category: str,
        check_item: int,
        nature: str,
        statement: str,
        cause: str,
        found_on: date,
        source: str,
        source_ref: str = "",
        village: str = "",
        household_head: str = "",
        household_kind: str = "",
        remarks: str = "",
    ) -> Finding:
        """Record a newly found problem. Campaign values are checked by the caller."""
        return cls._create(
            cls.Recorded,
            timestamp=stamp.at,
            operator=stamp.operator,
            operator_unit=stamp.operator_unit,
            on=not_in_future("found_on", found_on, stamp),
            reporting_unit=reporting_unit,
            category=category,
            check_item=check_item,
            nature=nature,
            statement=required_text("statement", statement),
            cause=optional_text("cause", cause),
            village=optional_text("village", village),
            household_head=optional_text("household_head", household_head),
            household_kind=household_kind,
            source=source,
            source_ref=source_ref,
            remarks=optional_text("remarks", remarks),
        )

    def plan(
        self,
        stamp: Stamp,
        *,
        measures: str,
        deadline: date,
        responsible_unit: str,
        responsible_leader: str,
        on: date | None = None,
    ) -> None:
        """Plan the rectification: measures, a deadline, who answers for it.

        `on` is the day the plan was made, by default the stamp's day: an
        office entering past papers gives theirs, an imported sheet the day it
        reports as of.
        """
        self._check_open()
        if self.state.planned:
            raise AlreadyPlannedError(self.state.finding_id)
        self._check_deadline(deadline)
        self._record(
            self.RectificationPlanned,
            stamp,
            stamp.today if on is None else self._step_day("planned_on", on, stamp),
            measures=required_text("measures", measures),
            deadline=deadline,
            responsible_unit=required_text("responsible_unit", responsible_unit),
            responsible_leader=optional_text("responsible_leader", responsible_leader),
        )

    def extend_deadline(
        self,
        stamp: Stamp,
        *,
        deadline: date,
        reason: str,
        approved_by: str = "",
        on: date | None = None,
    ) -> None:
        """Move the deadline later, saying why and who approved; the old one stays.

        `on` is the day the extension was granted, by default the stamp's day.
        """
        self._check_in_rectification()
        assert self.state.deadline is not None
        if deadline <= self.state.deadline:
            raise DeadlineNotLaterError(deadline, self.state.deadline)
        self._record(
            self.DeadlineExtended,
            stamp,
            stamp.today if on is None else self._step_day("extended_on", on, stamp),
            deadline=deadline,
            reason=required_text("reason", reason),
            approved_by=optional_text("approved_by", approved_by),
        )

    def report_progress(
        self, stamp: Stamp, *, on: date, progress: str, evidence: list[str]
    ) -> None:
        """Report what was done on a given day, with references to evidence."""
        self._check_in_rectification()
        self._record(
            self.ProgressReported,
            stamp,
            self._step_day("progress_on", on, stamp),
            progress=required_text("progress", progress),
            evidence=[optional_text("evidence", e) for e in evidence if e.strip()],
        )

    def complete(self, stamp: Stamp, *, on: date, effect: str) -> None:
        """Declare the rectification done on a given day, with the effect achieved."""
        self._check_in_rectification()
        self._record(
            self.RectificationCompleted,
            stamp,
            self._step_day("completed_on", on, stamp),
            effect=required_text("effect", effect),
        )

    def pass_acceptance(
        self, stamp: Stamp, *, on: date, inspector: str, remarks: str
    ) -> None:
        """Accept the rectification: the finding is closed out (销号)."""
        self._check_awaiting_acceptance()
        self._record(
            self.AcceptancePassed,
            stamp,
            self._acceptance_day(on, stamp),
            inspector=required_text("inspector", inspector),
            remarks=optional_text("remarks", remarks),
        )

    def fail_acceptance(
        self, stamp: Stamp, *, on: date, inspector: str, remarks: str
    ) -> None:
        """Return the finding for rework; the remarks say what is still wrong."""
        self._check_awaiting_acceptance()
        self._record(
            self.AcceptanceFailed,
            stamp,
            self._acceptance_day(on, stamp),
            inspector=required_text("inspector", inspector),
            remarks=required_text("remarks", remarks),
        )

    def correct(self, stamp: Stamp, *, field: str, value: Any, reason: str) -> None:
        """Correct one recorded field; the old value stays in the history."""
        self._check_open()
        if field not in CORRECTABLE_FIELDS:
            raise UncorrectableFieldError(field)
        if isinstance(value, str):
            value = (
                required_text(field, value)
                if field in ("statement", "measures", "responsible_unit")
                else optional_text(field, value)
            )
        if field == "found_on":
            not_in_future(field, value, stamp)
            if self.state.deadline is not None and self.state.deadline < value:
                raise DeadlineBeforeFoundError(self.state.deadline, value)
            if self.state.first_step_on is not None and self.state.first_step_on < value:
                raise FoundAfterStepError(value, self.state.first_step_on)
        if field in ("measures", "responsible_unit") and not self.state.planned:
            raise NotPlannedError(self.state.finding_id)
        old = getattr(self.state, field)
        if old == value:
            raise NothingChangedError(field)
        self._record(
            self.FieldCorrected,
            stamp,
            stamp.today,
            field=field,
            old=old,
            new=value,
            reason=required_text("reason", reason),
        )

    def withdraw(self, stamp: Stamp, *, reason: str) -> None:
        """Withdraw a duplicate or mistaken finding. Nothing is deleted."""
        self._check_open()
        self._record(
            self.Withdrawn, stamp, stamp.today, reason=required_text("reason", reason)
        )

    def check_undo(self, stamp: Stamp) -> LastStep:
        """Refuse an undo by the stamp's operator now; return the event it would undo."""
        last = self.last
        if last.kind in (self.Recorded.__name__, self.ChangeUndone.__name__):
            raise NothingToUndoError(self.state.finding_id, last.kind)
        if (last.operator, last.operator_unit) != (stamp.operator, stamp.operator_unit):
            raise NotYourChangeError(
                self.state.finding_id, last.operator, stamp.operator,
                last.operator_unit, stamp.operator_unit,
            )
        return last

    def undo(self, stamp: Stamp, *, previous: FindingState | None) -> None:
        """Take back the latest event, which the same operator must have recorded.

        `previous` is the state before that event, or before the command that
        recorded it with others (a category with its check item); None only
        when the finding has nothing but its recording. A recording is
        withdrawn, never undone, and an undo is not undone in turn.
        """
        last = self.check_undo(stamp)
        assert previous is not None and previous.version < self.version
        restored = {
            f.name: getattr(previous, f.name)
            for f in dataclasses.fields(FindingState)
            if f.name not in NOT_RESTORED
            and getattr(previous, f.name) != getattr(self.state, f.name)
        }
        self._record(
            self.ChangeUndone,
            stamp,
            last.on,
            undone_version=self.version,
            undone_kind=last.kind,
            restored=restored,
        )

    def _record(
        self, event_class: type[Event], stamp: Stamp, on: date, **fields: Any
    ) -> None:
        self.trigger_event(
            event_class,
            timestamp=stamp.at,
            operator=stamp.operator,
            operator_unit=stamp.operator_unit,
            on=on,
            **fields,
        )

    def _check_open(self) -> None:
        if self.state.status is Status.WITHDRAWN:
            raise FindingWithdrawnError(self.state.finding_id)
        if self.state.status is Status.CLOSED:
            raise FindingClosedError(self.state.finding_id)

    def _check_in_rectification(self) -> None:
        self._check_open()
        if not self.state.planned:
            raise NotPlannedError(self.state.finding_id)
        if self.state.status is Status.AWAITING_ACCEPTANCE:
            raise WrongStatusError(
                self.state.finding_id, self.state.status, Status.IN_PROGRESS
            )

    def _check_awaiting_acceptance(self) -> None:
        self._check_open()
        if self.state.status is not Status.AWAITING_ACCEPTANCE:
            raise WrongStatusError(
                self.state.finding_id, self.state.status, Status.AWAITING_ACCEPTANCE
            )

    def _check_deadline(self, deadline: date) -> None:
        if deadline < self.state.found_on:
            raise DeadlineBeforeFoundError(deadline, self.state.found_on)

    def _step_day(self, field: str, on: date, stamp: Stamp) -> date:
        if on < self.state.found_on:
            raise DateTooEarlyError(field, on, self.state.found_on)
        returned = self.state.returned_on
        if returned is not None and on < returned and field in REWORK_DAYS:
            # Rework answers the acceptance that sent the finding back.
            raise DateTooEarlyError(field, on, returned, "returned_on")
        return not_in_future(field, on, stamp)

    def _acceptance_day(self, on: date, stamp: Stamp) -> date:
        completed_on = self.state.completed_on
        assert completed_on is not None
        if on < completed_on:
            raise DateTooEarlyError("accepted_on", on, completed_on, "completed_on")
        return not_in_future("accepted_on", on, stamp)
