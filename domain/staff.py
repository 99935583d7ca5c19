"""Who may do what: a campaign's operators and their roles, recorded as events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.errors import NothingChangedError, OperatorRetiredError
from domain.finding import Stamp, name_text


class Role(StrEnum):
    """What an operator is there to do."""

    # A township, street or department: records and rectifies its own findings.
    UNIT = "单位"
    # The leading group's office: sees every unit, keeps the operator list.
    OFFICE = "办公室"
    # The inspection and guidance team: acceptance results and spot-checks.
    INSPECTION = "调研指导组"


class Act(StrEnum):
    """What an operator asks to do, as far as roles are concerned."""

    RECORD = "record"
    CHANGE = "change"
    ACCEPT = "accept"
    SAMPLE = "sample"
    SUBMIT = "submit"
    SEAL = "seal"
    REGISTER = "register"
    IMPORT = "import"
    UNDO = "undo"


# Acts a role may do; those in OWN_UNIT_ONLY only on its own unit's ledger.
ALLOWED = {
    Role.UNIT: frozenset({Act.RECORD, Act.CHANGE, Act.SUBMIT, Act.SEAL, Act.UNDO}),
    Role.OFFICE: frozenset({Act.REGISTER, Act.IMPORT, Act.UNDO}),
    Role.INSPECTION: frozenset({Act.ACCEPT, Act.SAMPLE, Act.UNDO}),
}
OWN_UNIT_ONLY = frozenset({Act.RECORD, Act.CHANGE, Act.SUBMIT, Act.SEAL})
# Limitation: roles govern what is recorded, not what is read: every operator
# can read every unit's ledger. Limiting it needs a unit filter fixed to the
# operator's unit on every screen and command, widened for a department to the
# findings it is responsible for. (A responsible unit's own steps on another
# unit's finding are allowed by Ledger.acting_for.)


@dataclass(frozen=True)
class StaffEntry:
    """One operator as the register stands: retired ones stay listed."""

    name: str
    unit: str
    role: Role
    active: bool


def permits(entry: StaffEntry, act: Act, unit: str) -> bool:
    """Tell whether an operator may do an act on a unit's ledger."""
    if not entry.active or act not in ALLOWED[entry.role]:
        return False
    return act not in OWN_UNIT_ONLY or unit == entry.unit


class StaffMember(Aggregate):
    """A registered operator: name, unit and role, and whether still active.

    The id is derived from the campaign and the name, so a name is registered
    once per campaign and every operator of a shared store finds the same
    record.
    """

    name: str
    unit: str
    role: Role
    active: bool

    @staticmethod
    def id_for(campaign_id: str, name: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"taizhang:{campaign_id}:operator:{name}")

    class Event(Aggregate.Event):
        """Who changed the register, from which unit, on which day."""

        operator: str
        operator_unit: str
        on: date

    class Registered(Event, Aggregate.Created):
        name: str
        unit: str
        role: str

        def apply(self, aggregate: Any) -> None:
            aggregate.name = self.name
            aggregate.unit = self.unit
            aggregate.role = Role(self.role)
            aggregate.active = True

    class Assigned(Event):
        """The operator's unit or role changed, or a retired one came back."""

        unit: str
        role: str

        def apply(self, aggregate: Any) -> None:
            aggregate.unit = self.unit
            aggregate.role = Role(self.role)
            aggregate.active = True

    class Retired(Event):
        def apply(self, aggregate: Any) -> None:
            aggregate.active = False

    def __init__(self) -> None:
        """Leave the state to the Registered event's apply."""

    @classmethod
    def register(
        cls, stamp: Stamp, *, campaign_id: str, name: str, unit: str, role: Role
    ) -> StaffMember:
        """Put a new operator on the register."""
        name = name_text("name", name)
        return cls._create(
            cls.Registered,
            id=cls.id_for(campaign_id, name),
            timestamp=stamp.at,
            operator=stamp.operator,
            operator_unit=stamp.operator_unit,
            on=stamp.today,
            name=name,
            unit=unit,
            role=str(role),
        )

    def assign(self, stamp: Stamp, *, unit: str, role: Role) -> None:
        """Give the operator another unit or role, or bring a retired one back."""
        if self.active and (unit, role) == (self.unit, self.role):
            raise NothingChangedError("role")
        self.trigger_event(
            self.Assigned,
            timestamp=stamp.at,
            operator=stamp.operator,
            operator_unit=stamp.operator_unit,
            on=stamp.today,
            unit=unit,
            role=str(role),
        )

    def retire(self, stamp: Stamp) -> None:
        """Take the operator off duty; what they recorded stays theirs."""
        if not self.active:
            raise OperatorRetiredError(self.name)
        self.trigger_event(
            self.Retired,
            timestamp=stamp.at,
            operator=stamp.operator,
            operator_unit=stamp.operator_unit,
            on=stamp.today,
        )

    def entry(self) -> StaffEntry:
        return StaffEntry(self.name, self.unit, self.role, self.active)


def fold(entries: dict[UUID, StaffEntry], event: Any) -> None:
    """Apply one register event to the entries by operator id (reading the log)."""
    key = event.originator_id
    if isinstance(event, StaffMember.Registered):
        entries[key] = StaffEntry(event.name, event.unit, Role(event.role), True)
        return
    known = entries.get(key)
    if known is None:
        return
    if isinstance(event, StaffMember.Assigned):
        entries[key] = StaffEntry(known.name, event.unit, Role(event.role), True)
    elif isinstance(event, StaffMember.Retired):
        entries[key] = StaffEntry(known.name, known.unit, known.role, False)
