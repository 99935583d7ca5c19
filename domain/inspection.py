"""What an inspector looks for in the event log: candidate omitted or concealed reports.

A signal is not a finding of fault. It points at an event whose timing
deserves a question (漏报、瞒报、弄虚作假) and names the days that show it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from domain.campaign import Campaign
from domain.state import FindingState, Status

# A withdrawal or a nature flip this close before a weekly cut-off is flagged.
CUTOFF_WINDOW = timedelta(hours=48)

# A deadline extended this many days or fewer before the old deadline is flagged.
DEADLINE_MARGIN_DAYS = 2

# A completion recorded more than this many days after the day it claims is flagged.
BACKDATING_DAYS = 7

# The events of acceptance results, by class name.
ACCEPTANCES = frozenset({"AcceptancePassed", "AcceptanceFailed"})

# The campaign's source value for problems found by an acceptance spot-check.
SPOT_CHECK_SOURCE = "验收抽查"


class SignalKind(StrEnum):
    """What an inspector would ask about."""

    LATE_RECORDED = "late_recorded"
    SPOT_CHECK_FOUND = "spot_check_found"
    WITHDRAWN_BEFORE_CUTOFF = "withdrawn_before_cutoff"
    NATURE_FLIPPED_BEFORE_CUTOFF = "nature_flipped_before_cutoff"
    DEADLINE_MOVED_BEFORE_OVERDUE = "deadline_moved_before_overdue"
    LATE_COMPLETION = "late_completion"
    # Brought by a unit's bundle, recorded (so its time says) before the unit's
    # previous bundle was exported, which did not hold it.
    RECORDED_BEFORE_LAST_BUNDLE = "recorded_before_last_bundle"
    # An acceptance result recorded on a unit's own file and brought by its
    # bundle: whose name it bears, that file cannot show.
    ACCEPTED_IN_UNIT_BUNDLE = "accepted_in_unit_bundle"


# Clues that stand on a step's own claim, gone when the step is undone. A
# withdrawal or a nature flip undone after a cut-off stays: it is how a
# report is dodged.
TAKEN_BACK_WITH_STEP = frozenset(
    {SignalKind.LATE_COMPLETION, SignalKind.DEADLINE_MOVED_BEFORE_OVERDUE}
)


@dataclass(frozen=True)
class Signal:
    """One event worth an inspector's question, with the days that show it.

    `dates` names its evidence in order, each a day or a moment in the
    campaign's time zone: found_on, recorded_at (when the telling event was
    stored), cutoff (the weekly cut-off it came just before), old_deadline,
    new_deadline, completed_on (the day a completion claims). The field
    `recorded_at` is the same moment in UTC, as the log holds it. `week` is
    the report week the signal bears on. `detail` carries the operator's own
    words or the values that changed (a reason, a source reference, old →
    new nature), never wording of ours.
    """

    unit: str
    finding_id: str
    statement: str
    kind: SignalKind
    version: int
    recorded_at: datetime
    week: int
    dates: tuple[tuple[str, date | datetime], ...]
    detail: str = ""

    def when(self, name: str) -> date | datetime:
        """Return one of the evidence dates by name."""
        return dict(self.dates)[name]


def signals(events: Iterable[Any], campaign: Campaign) -> list[Signal]:
    """List the signals in a log of events, by unit (campaign order) then time.

    Of the events without `evolve` (not finding events) only the records of
    imported bundles are read. Each signal names the finding's reporting unit
    and statement as they stand after the whole log.
    """
    # Here, not at the top: the app's opening would wait for the bundle code.
    from domain.bundle import BundleImport

    states: dict[str, FindingState] = {}
    found: list[Signal] = []
    recordings: list[Any] = []
    undone: set[tuple[str, int]] = set()
    # Each unit's latest bundle export imported so far, and the finding events
    # recorded before the latest of them: only those can be brought too early.
    exported: dict[str, datetime] = {}
    newest: datetime | None = None  # the latest of them
    early: dict[tuple[str, int], Any] = {}
    # Acceptance results since the last bundle's record: a bundle's events
    # come just before it.
    accepted: dict[tuple[str, int], Any] = {}
    for event in events:
        if isinstance(event, BundleImport.Imported):
            found.extend(_before_last_bundle(event, exported, early, campaign))
            found.extend(_accepted_in_bundle(event, accepted, campaign))
            newest = max(exported.values())
            continue
        if not hasattr(event, "evolve"):
            continue
        if newest is not None and event.timestamp < newest:
            early[(str(event.originator_id), event.originator_version)] = event
        if type(event).__name__ in ACCEPTANCES:
            accepted[(str(event.originator_id), event.originator_version)] = event
        key = str(event.originator_id)
        before = states.get(key)
        states[key] = event.evolve(before)
        found.extend(_signals_of(event, before, states[key], campaign))
        if before is None:
            recordings.append(event)
        if type(event).__name__ == "ChangeUndone":
            undone.add((key, event.undone_version))
    # A step taken back no longer claims its day or its deadline.
    found = [
        s
        for s in found
        if s.kind not in TAKEN_BACK_WITH_STEP or (s.finding_id, s.version) not in undone
    ]
    # Judged on the found day as finally corrected, not as first typed; a
    # finding voided (a duplicate, typed by mistake) was never owed.
    found.extend(
        s
        for event in recordings
        if states[str(event.originator_id)].status is not Status.WITHDRAWN
        and (s := _late_recorded(event, states[str(event.originator_id)], campaign))
    )

    now = [
        replace(
            s,
            unit=states[s.finding_id].reporting_unit,
            statement=states[s.finding_id].statement,
        )
        for s in found
    ]
    units = {unit: n for n, unit in enumerate(campaign.all_units)}
    now.sort(
        key=lambda s: (units.get(s.unit, len(units)), s.unit, s.recorded_at, s.version)
    )
    return now


def _before_last_bundle(
    imported: Any,
    exported: dict[str, datetime],
    early: dict[tuple[str, int], Any],
    campaign: Campaign,
) -> Iterable[Signal]:
    """Flag what a bundle brought that was recorded before the unit's previous
    bundle was exported: that bundle held the unit's whole file, so the record
    was not in it then, whatever its time says. Updates `exported`; empties
    `early`, since a bundle's events come just before its record."""
    previous = exported.get(imported.unit)
    if previous is not None:
        exported_at = ("exported_at", previous.astimezone(campaign.tz))
        for event in _brought(imported, early):
            if event.timestamp < previous:
                yield _bundle_signal(
                    SignalKind.RECORDED_BEFORE_LAST_BUNDLE, event, campaign, exported_at
                )
    at = datetime.fromisoformat(imported.exported_at)
    exported[imported.unit] = max(at, previous or at)
    early.clear()


def _accepted_in_bundle(
    imported: Any, accepted: dict[tuple[str, int], Any], campaign: Campaign
) -> Iterable[Signal]:
    """Flag the acceptance results a unit's bundle brought; empties `accepted`."""
    for event in _brought(imported, accepted):
        yield _bundle_signal(
            SignalKind.ACCEPTED_IN_UNIT_BUNDLE, event, campaign, detail=event.operator
        )
    accepted.clear()


def _brought(imported: Any, pool: dict[tuple[str, int], Any]) -> Iterator[Any]:
    """Yield the events of `pool` that a bundle's import added."""
    for oid, version in imported.added:
        event = pool.get((str(oid), int(version)))
        if event is not None:
            yield event


def _bundle_signal(
    kind: SignalKind,
    event: Any,
    campaign: Campaign,
    *dates: tuple[str, date | datetime],
    detail: str = "",
) -> Signal:
    local = event.timestamp.astimezone(campaign.tz)
    return Signal(
        unit="",
        finding_id=str(event.originator_id),
        statement="",
        kind=kind,
        version=event.originator_version,
        recorded_at=event.timestamp,
        week=max(1, campaign.week_of(local.date())),
        dates=(("recorded_at", local), *dates),
        detail=detail,
    )


def _late_recorded(
    recorded: Any, now: FindingState, campaign: Campaign
) -> Signal | None:
    """Flag a finding recorded in a later week than it was found in.

    `now` is the finding after the whole log: its found day as corrected.
    """
    at: datetime = recorded.timestamp
    local = at.astimezone(campaign.tz)
    # Whatever was found before week 1 belongs in week 1's report.
    found_week = max(1, campaign.week_of(now.found_on))
    if campaign.week_of(local.date()) <= found_week:
        return None
    return Signal(
        unit="",
        finding_id=now.finding_id,
        statement="",
        kind=SignalKind.LATE_RECORDED,
        version=recorded.originator_version,
        recorded_at=at,
        week=found_week,
        dates=(("found_on", now.found_on), ("recorded_at", local)),
    )


def _signals_of(
    event: Any, before: FindingState | None, after: FindingState, campaign: Campaign
) -> Iterable[Signal]:
    kind = type(event).__name__
    at: datetime = event.timestamp
    local = at.astimezone(campaign.tz)
    recorded_on = local.date()

    def signal(kind: SignalKind, week: int, *dates: Any, detail: str = "") -> Signal:
        return Signal(
            unit="",
            finding_id=after.finding_id,
            statement="",
            kind=kind,
            version=event.originator_version,
            recorded_at=at,
            week=week,
            dates=tuple(dates),
            detail=detail,
        )

    if kind == "Recorded":
        if after.source == SPOT_CHECK_SOURCE:
            yield signal(
                SignalKind.SPOT_CHECK_FOUND,
                campaign.week_of(recorded_on),
                ("found_on", after.found_on),
                ("recorded_at", local),
                detail=after.source_ref,
            )
        return

    assert before is not None
    week = campaign.week_of(recorded_on)
    cutoff = campaign.week_cutoff(week)
    near_cutoff = week in campaign.report_weeks and cutoff - at <= CUTOFF_WINDOW
    if near_cutoff and kind == "Withdrawn":
        yield signal(
            SignalKind.WITHDRAWN_BEFORE_CUTOFF,
            week,
            ("recorded_at", local),
            ("cutoff", cutoff),
            detail=event.reason,
        )
    # A correction or an undo may flip it; either way the report changes its nature.
    if near_cutoff and after.nature != before.nature:
        yield signal(
            SignalKind.NATURE_FLIPPED_BEFORE_CUTOFF,
            week,
            ("recorded_at", local),
            ("cutoff", cutoff),
            detail=f"{before.nature} → {after.nature}",
        )

    if kind == "DeadlineExtended":
        old = before.deadline
        assert old is not None
        if (old - recorded_on).days <= DEADLINE_MARGIN_DAYS:
            yield signal(
                SignalKind.DEADLINE_MOVED_BEFORE_OVERDUE,
                week,
                ("recorded_at", local),
                ("old_deadline", old),
                ("new_deadline", event.deadline),
                detail=event.reason,
            )

    late_by = (recorded_on - event.on).days
    if kind == "RectificationCompleted" and late_by > BACKDATING_DAYS:
        yield signal(
            SignalKind.LATE_COMPLETION,
            max(1, campaign.week_of(event.on)),
            ("completed_on", event.on),
            ("recorded_at", local),
        )
