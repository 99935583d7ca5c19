"""A unit's ledger as a whole: weekly submissions, screened check items, the seal."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.errors import (
    MAX_COUNT,
    AlreadySealedError,
    CountError,
    EmptyTextError,
    NoScreeningToUndoError,
    NotYourScreeningError,
    UnitSealedError,
    WeekAlreadySubmittedError,
)
from domain.finding import Stamp, not_in_future


class UnitLedger(Aggregate):
    """What a unit handed in: one aggregate per campaign and unit.

    The id is derived from both, so every operator of a shared store finds
    the same aggregate without a lookup table.
    """

    unit: str
    submissions: list[dict[str, Any]]
    # The screenings still standing (not undone), in the order recorded.
    standing: list[UnitLedger.ItemScreened]
    sealed_by: str
    sealed_at: datetime | None
    # What was sealed: the log position and its fingerprint when it was.
    sealed_position: int
    sealed_fingerprint: str

    @staticmethod
    def id_for(campaign_id: str, unit: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"taizhang:{campaign_id}:{unit}")

    class Event(Aggregate.Event):
        operator: str
        operator_unit: str
        on: date

    class Opened(Event, Aggregate.Created):
        unit: str

        def apply(self, aggregate: Any) -> None:
            aggregate.unit = self.unit
            aggregate.submissions = []
            aggregate.standing = []
            aggregate.sealed_by = ""
            aggregate.sealed_at = None
            aggregate.sealed_position = 0
            aggregate.sealed_fingerprint = ""

    class WeekSubmitted(Event):
        week: int
        cutoff: datetime
        position: int
        fingerprint: str

        def apply(self, aggregate: Any) -> None:
            aggregate.submissions.append(
                {
                    "week": self.week,
                    "cutoff": self.cutoff,
                    "position": self.position,
                    "fingerprint": self.fingerprint,
                    "by": self.operator,
                    "at": self.timestamp,
                    "on": self.on,
                }
            )

    class ItemScreened(Event):
        """The unit screened a check item: how many households, how many problems.

        `problems_found` 0 says the item was screened and nothing was found.
        The findings themselves are recorded one by one as findings.
        """

        category: str
        check_item: int
        households: int
        problems_found: int

        def apply(self, aggregate: Any) -> None:
            aggregate.standing.append(self)

    class ScreeningUndone(Event):
        """A screening was taken back (typed wrong, or twice); both stay on record.

        Its business day is the screening's own.
        """

        undone_version: int

        def apply(self, aggregate: Any) -> None:
            aggregate.standing = [
                s for s in aggregate.standing if s.originator_version != self.undone_version
            ]

    class FinalLedgerSealed(Event):
        signer: str
        position: int
        fingerprint: str

        def apply(self, aggregate: Any) -> None:
            aggregate.sealed_by = self.signer
            aggregate.sealed_at = self.timestamp
            aggregate.sealed_position = self.position
            aggregate.sealed_fingerprint = self.fingerprint

    def __init__(self) -> None:
        """Leave the state to the Opened event's apply."""

    @classmethod
    def open(cls, stamp: Stamp, *, campaign_id: str, unit: str) -> UnitLedger:
        """Start a unit's record; the first submission or seal does this."""
        return cls._create(
            cls.Opened,
            id=cls.id_for(campaign_id, unit),
            timestamp=stamp.at,
            operator=stamp.operator,
            operator_unit=stamp.operator_unit,
            on=stamp.today,
            unit=unit,
        )

    def submit_week(
        self,
        stamp: Stamp,
        *,
        week: int,
        cutoff: datetime,
        position: int,
        fingerprint: str,
    ) -> None:
        """Record that a week's ledger was handed in, fixed by its fingerprint.

        Again only if the week's ledger has changed since: the same
        fingerprint twice would say nothing new.
        """
        self._check_not_sealed()
        for earlier in self.submissions:
            if (earlier["week"], earlier["fingerprint"]) == (week, fingerprint):
                raise WeekAlreadySubmittedError(
                    self.unit, week, earlier["by"], earlier["on"], fingerprint
                )
        self.trigger_event(
            self.WeekSubmitted,
            timestamp=stamp.at,
            operator=stamp.operator,
            operator_unit=stamp.operator_unit,
            on=stamp.today,
            week=week,
            cutoff=cutoff,
            position=position,
            fingerprint=fingerprint,
        )

    def screen_item(
        self,
        stamp: Stamp,
        *,
        category: str,
        check_item: int,
        households: int,
        problems_found: int,
        on: date | None = None,
    ) -> None:
        """Record that a check item was screened (`on`, default today); the caller
        checks campaign values."""
        if self.sealed_by:
            raise UnitSealedError(self.unit)
        counts = {"households": households, "problems_found": problems_found}
        for field, count in counts.items():
            if not 0 <= count <= MAX_COUNT:
                raise CountError(field, str(count))
        self.trigger_event(
            self.ItemScreened,
            timestamp=stamp.at,
            operator=stamp.operator,
            operator_unit=stamp.operator_unit,
            on=stamp.today if on is None else not_in_future("screened_on", on, stamp),
            category=category,
            check_item=check_item,
            households=households,
            problems_found=problems_found,
        )

    def standing_like(
        self, category: str, check_item: int, households: int, problems_found: int, on: date
    ) -> UnitLedger.ItemScreened | None:
        """Return a screening still standing with these very figures and day, if any."""
        wanted = (category, check_item, households, problems_found, on)
        return next(
            (
                s
                for s in self.standing
                if (s.category, s.check_item, s.households, s.problems_found, s.on) == wanted
            ),
            None,
        )

    def latest_screening(self, stamp: Stamp) -> UnitLedger.ItemScreened:
        """Return the screening `undo_screening` would take back, or refuse as it would.

        The latest still standing, which only its recorder, signing for the
        same unit, may undo, and only while the final ledger is not sealed.
        """
        if self.sealed_by:
            raise UnitSealedError(self.unit)
        if not self.standing:
            raise NoScreeningToUndoError(self.unit)
        latest = self.standing[-1]
        if (latest.operator, latest.operator_unit) != (stamp.operator, stamp.operator_unit):
            raise NotYourScreeningError(
                self.unit,
                latest.operator,
                stamp.operator,
                latest.operator_unit,
                stamp.operator_unit,
            )
        return latest

    def undo_screening(self, stamp: Stamp) -> UnitLedger.ItemScreened:
        """Take back the latest screening still standing; return it."""
        latest = self.latest_screening(stamp)
        self.trigger_event(
            self.ScreeningUndone,
            timestamp=stamp.at,
            operator=stamp.operator,
            operator_unit=stamp.operator_unit,
            on=latest.on,
            undone_version=latest.originator_version,
        )
        return latest

    def seal(
        self, stamp: Stamp, *, signer: str, position: int, fingerprint: str
    ) -> None:
        """Seal the final ledger, signed by the unit's principal."""
        self._check_not_sealed()
        signer = signer.strip()
        if not signer:
            raise EmptyTextError("signer")
        self.trigger_event(
            self.FinalLedgerSealed,
            timestamp=stamp.at,
            operator=stamp.operator,
            operator_unit=stamp.operator_unit,
            on=stamp.today,
            signer=signer,
            position=position,
            fingerprint=fingerprint,
        )

    def _check_not_sealed(self) -> None:
        if self.sealed_by:
            raise AlreadySealedError(self.unit, self.sealed_by)
