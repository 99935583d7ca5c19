"""Audit replays: the ledger as reported and as now known, and what changed between weeks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from domain.state import FindingState, Status

# The fields a week-over-week comparison reports as "changed".
COMPARED_FIELDS = (
    "category",
    "check_item",
    "nature",
    "statement",
    "cause",
    "found_on",
    "measures",
    "deadline",
    "responsible_unit",
    "responsible_leader",
    "status",
)


# Events that mend the record rather than take a step on the finding: a
# correction or a void says how things were all along.
MENDING = frozenset({"FieldCorrected", "Withdrawn"})
# Fields a finding has only once planned: their corrections wait for the plan.
PLAN_FIELDS = frozenset({"measures", "responsible_unit", "responsible_leader"})


def replay(
    events: Iterable[Any],
    *,
    recorded_before: datetime | None = None,
    business_until: date | None = None,
) -> dict[str, FindingState]:
    """Fold finding events into states, keeping only some of them.

    With `recorded_before`, a finding's events count up to the first one
    recorded at or after that moment: the ledger as it could have been
    reported then. With `business_until`, the ledger as now known: every step
    whose business day is on or before that day counts, however late it was
    recorded, and so does every mend (MENDING) whenever it was made, unless
    it was taken back (then it and its undo count by their day, as steps);
    a finding counts from its found day as finally corrected. A finding
    whose Recorded event does not count is left out.
    """
    found: dict[str, date] = {}
    taken_back: set[tuple[str, int]] = set()
    if business_until is not None:
        events = list(events)
        found, taken_back = _as_mended(events)
    states: dict[str, FindingState] = {}
    stopped: set[str] = set()
    for event in events:
        if not hasattr(event, "evolve"):
            continue
        key = str(event.originator_id)
        if key in stopped:
            continue
        if business_until is None:
            on_time = True
        else:
            kind = type(event).__name__
            if (key, event.originator_version) in taken_back:
                # A mend and its undo share a day: both count by it, as steps.
                on_time = event.on <= business_until
            elif kind in MENDING:
                if kind == "FieldCorrected" and event.field in PLAN_FIELDS and not (
                    key in states and states[key].planned
                ):
                    continue
                on_time = True
            elif kind == "Recorded":
                on_time = found[key] <= business_until
            else:
                on_time = event.on <= business_until
        counts = (recorded_before is None or event.timestamp < recorded_before) and on_time
        if not counts:
            if recorded_before is not None or key not in states:
                stopped.add(key)
            continue
        states[key] = event.evolve(states.get(key))
    return states


def _as_mended(events: list[Any]) -> tuple[dict[str, date], set[tuple[str, int]]]:
    """Read each finding's found day as finally corrected, and the mends taken back.

    Returns the key and version of each mend taken back and of its undo; an
    undo takes back every correction made in the same moment (one command's,
    such as a category and its check item).
    """
    final: dict[str, FindingState] = {}
    of_finding: dict[str, dict[int, Any]] = {}
    taken_back: set[tuple[str, int]] = set()
    for event in events:
        if not hasattr(event, "evolve"):
            continue
        key = str(event.originator_id)
        mine = of_finding.setdefault(key, {})
        mine[event.originator_version] = event
        final[key] = event.evolve(final.get(key))
        if type(event).__name__ == "ChangeUndone" and event.undone_kind in MENDING:
            undone = mine[event.undone_version]
            taken_back |= {
                (key, version)
                for version, e in mine.items()
                if type(e) is type(undone) and e.timestamp == undone.timestamp
            }
            taken_back.add((key, event.originator_version))
    return {key: state.found_on for key, state in final.items()}, taken_back


@dataclass(frozen=True)
class LateEntry:
    """A finding, or a step on it, that the week's report did not show but should have."""

    finding_id: str
    unit: str
    statement: str
    kind: str  # "finding": recorded after the cut-off; "step": its state differs
    reported: str
    known: str


def late_counts(late: Iterable[LateEntry]) -> tuple[int, int]:
    """Count late entries: (findings recorded after the cut-off, steps on others)."""
    entries = list(late)
    findings = sum(1 for entry in entries if entry.kind == "finding")
    return findings, len(entries) - findings


def late_reports(
    reported: dict[str, FindingState], known: dict[str, FindingState]
) -> list[LateEntry]:
    """List what the as-known ledger has that the as-reported one lacked.

    A finding now known to be void (a duplicate, entered by mistake) is not
    a report that came late.
    """
    entries = []
    for key, now in sorted(known.items(), key=lambda kv: kv[1].recorded_at):
        if now.status is Status.WITHDRAWN:
            continue
        then = reported.get(key)
        if then is None:
            entries.append(
                LateEntry(key, now.reporting_unit, now.statement, "finding", "（未报）",
                          str(now.status))
            )
        elif then.status != now.status or then.deadline != now.deadline:
            entries.append(
                LateEntry(
                    key,
                    now.reporting_unit,
                    now.statement,
                    "step",
                    _brief(then),
                    _brief(now),
                )
            )
    return entries


def _brief(state: FindingState) -> str:
    deadline = state.deadline.isoformat() if state.deadline else "无时限"
    return f"{state.status}，{deadline}"


@dataclass(frozen=True)
class Change:
    """One field of a finding that differs between two weeks' ledgers."""

    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class WeekDiff:
    """What changed from one week's reported ledger to the next."""

    new: list[FindingState] = field(default_factory=list)
    closed: list[FindingState] = field(default_factory=list)
    slipped: list[FindingState] = field(default_factory=list)
    changed: list[tuple[FindingState, list[Change]]] = field(default_factory=list)


def week_diff(
    before: dict[str, FindingState],
    after: dict[str, FindingState],
    before_day: date,
    after_day: date,
) -> WeekDiff:
    """Compare two ledgers, each judged on its own last day for overdue."""
    diff = WeekDiff()
    for key, now in sorted(after.items(), key=lambda kv: kv[1].recorded_at):
        then = before.get(key)
        if then is None:
            diff.new.append(now)
            continue
        if now.status is Status.CLOSED and then.status is not Status.CLOSED:
            diff.closed.append(now)
        if now.is_overdue(after_day) and not then.is_overdue(before_day):
            diff.slipped.append(now)
        changes = [
            Change(name, getattr(then, name), getattr(now, name))
            for name in COMPARED_FIELDS
            if getattr(then, name) != getattr(now, name)
        ]
        if changes:
            diff.changed.append((now, changes))
    return diff


@dataclass(frozen=True)
class WeekCounts:
    """A report week's activity as it was recorded, and its overdue tally at week end."""

    week: int
    first_day: date
    last_day: date
    new: int
    completed: int
    accepted: int
    overdue: int
