"""The ledger application: records findings as events and answers from the read model."""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    RecordConflictError,
    Tracking,
    Transcoder,
    Transcoding,
)
from eventsourcing.cryptography import AESCipher
from eventsourcing.sqlite import SQLiteFactory
from eventsourcing.utils import get_topic

from domain import inspection
from domain.audit import (
    LateEntry,
    WeekCounts,
    WeekDiff,
    late_reports,
    replay,
    week_counts,
    week_diff,
)
from domain.campaign import Campaign
from domain.chain import ChainedRecorder
from domain.checks import Problem, check_ledger
from domain.clock import Clock, SystemClock
from domain.errors import (
    CampaignMismatchError,
    ConcurrentChangeError,
    LedgerError,
    DateOutsideCampaignError,
    FindingNotFoundError,
    NothingToSampleError,
    NotInFinalPhaseError,
    PositionOutsideLogError,
    SampleNotFoundError,
    SampleSizeError,
    StoreBusyError,
    UnitSealedError,
    UnknownValueError,
    WeekNotOverError,
)
from domain.finding import Finding, Stamp, required_text
from domain.inspection import Signal
from domain.keys import checked_key
from domain.sheet import OfficialSheet, SheetRow
from domain.spotcheck import Sample, SpotCheck, draw, sample_from
from domain.store import StoreRecorder, StoreView, check_store_key, make_private
from domain.state import FindingState, Status
from domain.unit_ledger import UnitLedger
from domain.verify import Fingerprint, SubmittedFile, VerifyReport, verify_log
from domain.view import LedgerProjection, LedgerQuery, LedgerView, filter_states

log = logging.getLogger(__name__)

# How far past the campaign's last day a deadline may still lie.
DEADLINE_HORIZON = timedelta(days=366)

# Chosen seeds stay below this so a person can read one out and type it back.
SEED_LIMIT = 10**9


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


@dataclass(frozen=True)
class Operator:
    """The person at the keyboard, and the unit they work for."""

    name: str
    unit: str


@dataclass(frozen=True)
class NewFinding:
    """The values of a finding to record; the plan fields may be left empty."""

    reporting_unit: str
    category: str
    check_item: int
    nature: str
    statement: str
    found_on: date
    cause: str = ""
    source: str = "自查"
    source_ref: str = ""
    village: str = ""
    household_head: str = ""
    household_kind: str = ""
    measures: str = ""
    deadline: date | None = None
    responsible_unit: str = ""
    responsible_leader: str = ""

    @property
    def has_plan(self) -> bool:
        # Any plan field counts, so a leader typed alone is refused, not dropped.
        return bool(
            self.measures.strip()
            or self.deadline
            or self.responsible_unit.strip()
            or self.responsible_leader.strip()
        )


@dataclass(frozen=True)
class Submission:
    """A week's ledger as a unit handed it in."""

    unit: str
    week: int
    cutoff: datetime
    position: int
    fingerprint: str
    by: str
    at: datetime


@dataclass(frozen=True)
class UnitReports:
    """Which weeks a unit has handed in, which are missing, and its seal."""

    unit: str
    submitted: tuple[int, ...]
    missing: tuple[int, ...]
    sealed_by: str


@dataclass(frozen=True)
class WeekView:
    """A report week seen two ways, with what was late and what changed."""

    week: int
    unit: str
    first_day: date
    last_day: date
    cutoff: datetime
    reported: dict[str, FindingState]
    known: dict[str, FindingState]
    late: list[LateEntry]
    diff: WeekDiff


@dataclass(frozen=True)
class HistoryEntry:
    """One event of a finding, as the history screen lists it."""

    version: int
    kind: str
    recorded_at: datetime
    on: date
    operator: str
    operator_unit: str
    details: Mapping[str, Any] = field(default_factory=dict)


_BASE_FIELDS = frozenset(
    {
        "originator_id",
        "originator_version",
        "originator_topic",
        "timestamp",
        "operator",
        "operator_unit",
        "on",
    }
)


def _entry(event: Any) -> HistoryEntry:
    return HistoryEntry(
        version=event.originator_version,
        kind=type(event).__name__,
        recorded_at=event.timestamp,
        on=event.on,
        operator=event.operator,
        operator_unit=event.operator_unit,
        details={k: v for k, v in event.__dict__.items() if k not in _BASE_FIELDS},
    )


@dataclass(frozen=True)
class JournalEntry:
    """One event of the store with the finding it belongs to."""

    finding_id: str
    unit: str
    statement: str
    event: HistoryEntry


@dataclass(frozen=True)
class JournalQuery:
    """Which events the journal lists; empty fields do not filter.

    `since` and `until` are local recording days, both included.
    """

    unit: str = ""
    operator: str = ""
    kind: str = ""
    since: date | None = None
    until: date | None = None

    def admits(self, entry: JournalEntry, tz: Any) -> bool:
        day = entry.event.recorded_at.astimezone(tz).date()
        return (
            (not self.unit or entry.unit == self.unit)
            and (not self.operator or self.operator in entry.event.operator)
            and (not self.kind or entry.event.kind == self.kind)
            and (self.since is None or day >= self.since)
            and (self.until is None or day <= self.until)
        )


class Ledger(Application):
    """The rectification ledger of one campaign.

    Commands take plain values and the operator, check them against the
    campaign definition, and store one or more finding events. Queries read
    the ledger view, which follows the event log; `catch_up` brings it level.
    """

    name = "Ledger"

    def __init__(
        self,
        campaign: Campaign,
        env: Mapping[str, str] | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(env)
        self.campaign = campaign
        self.clock: Clock = clock or SystemClock()
        self._view_factory: SQLiteFactory | None = None
        if isinstance(self.recorder, ChainedRecorder):
            try:
                check_store_key(
                    self.recorder.datastore,
                    self.recorder.events_table_name,
                    self.mapper.cipher,
                )
            except LedgerError:
                self.close()
                raise
        view = self._open_view()
        view.extra_terms = self._category_terms  # type: ignore[method-assign]
        self.projection = LedgerProjection(view)
        self._catch_up_lock = threading.Lock()
        self.catch_up()
        self.check_campaign_fits()

    def _open_view(self) -> LedgerView:
        """Open the ledger view: beside the events, or only in memory when encrypted.

        The view holds every finding's current values as plain rows. With an
        encrypted store those would sit unencrypted in the same file, so the
        view lives in this process's memory instead and is rebuilt from the
        events at each opening (well under a second for a county's ledger).
        """
        if self.mapper.cipher is None or not isinstance(self.recorder, ChainedRecorder):
            view = self.factory.tracking_recorder(StoreView)
            assert isinstance(view, LedgerView)
            return view
        name = f"file:taizhang-view-{uuid4().hex}?mode=memory&cache=shared"
        self._view_factory = SQLiteFactory({"SQLITE_DBNAME": name})
        memory = self._view_factory.tracking_recorder(StoreView)
        assert isinstance(memory, LedgerView)
        return memory

    def close(self) -> None:
        super().close()
        if self._view_factory is not None:
            self._view_factory.close()

    @property
    def encrypted(self) -> bool:
        """Tell whether the events are stored encrypted."""
        return self.mapper.cipher is not None

    def check_campaign_fits(self) -> None:
        """Refuse a definition that lacks categories or check items the store uses.

        Another definition file may rename or drop what recorded findings
        refer to; opening the store with it would misread them.
        """
        missing: list[str] = []
        short: list[tuple[str, int]] = []
        for key, top in sorted(self.projection.view.category_usage().items()):
            try:
                items = self.campaign.category(key).items
            except KeyError:
                missing.append(key)
                continue
            if top > len(items):
                short.append((key, top))
        if missing or short:
            self.close()
            raise CampaignMismatchError(missing, short)

    def register_transcodings(self, transcoder: Transcoder) -> None:
        super().register_transcodings(transcoder)  # type: ignore[arg-type]
        transcoder.register(DateAsISO())  # type: ignore[attr-defined]

    # Commands

    def record(self, by: Operator, new: NewFinding) -> str:
        """Record a finding, and its rectification plan when one is given."""
        stamp = self.stamp(by)
        category = self._category_key(new.category)
        item_count = len(self.campaign.category(category).items)
        if not 1 <= new.check_item <= item_count:
            raise UnknownValueError("check_item", str(new.check_item))
        self._check_campaign_day("found_on", new.found_on)
        if self.sealed_by(new.reporting_unit):
            raise UnitSealedError(new.reporting_unit)
        finding = Finding.record(
            stamp,
            reporting_unit=self._known("reporting_unit", new.reporting_unit),
            category=category,
            check_item=new.check_item,
            nature=self._nature(new.nature),
            statement=new.statement,
            cause=new.cause,
            found_on=new.found_on,
            source=self._choice("source", new.source, self.campaign.sources),
            source_ref=new.source_ref,
            village=new.village,
            household_head=new.household_head,
            household_kind=self._choice(
                "household_kind", new.household_kind, self.campaign.household_kinds
            ),
        )
        if new.has_plan:
            self._plan(
                finding,
                stamp,
                new.measures,
                new.deadline,
                new.responsible_unit,
                new.responsible_leader,
            )
        self._save(finding)
        return str(finding.id)

    def plan(
        self,
        by: Operator,
        finding_id: str,
        version: int,
        *,
        measures: str,
        deadline: date | None,
        responsible_unit: str,
        responsible_leader: str = "",
    ) -> None:
        """Plan the rectification of a finding."""
        self._change(
            by,
            finding_id,
            version,
            lambda f, s: self._plan(
                f, s, measures, deadline, responsible_unit, responsible_leader
            ),
        )

    def extend_deadline(
        self,
        by: Operator,
        finding_id: str,
        version: int,
        *,
        deadline: date,
        reason: str,
        approved_by: str = "",
    ) -> None:
        """Move a finding's deadline later, with the reason and who approved it."""
        self._check_deadline_day(deadline)
        self._change(
            by,
            finding_id,
            version,
            lambda f, s: f.extend_deadline(
                s, deadline=deadline, reason=reason, approved_by=approved_by
            ),
        )

    def report_progress(
        self,
        by: Operator,
        finding_id: str,
        version: int,
        *,
        on: date,
        progress: str,
        evidence: list[str] | None = None,
    ) -> None:
        """Report what was done on a finding on a given day."""
        self._change(
            by,
            finding_id,
            version,
            lambda f, s: f.report_progress(
                s, on=on, progress=progress, evidence=evidence or []
            ),
        )

    def complete(
        self, by: Operator, finding_id: str, version: int, *, on: date, effect: str
    ) -> None:
        """Declare a finding's rectification complete."""
        self._change(
            by, finding_id, version, lambda f, s: f.complete(s, on=on, effect=effect)
        )

    def pass_acceptance(
        self,
        by: Operator,
        finding_id: str,
        version: int,
        *,
        on: date,
        remarks: str = "",
    ) -> None:
        """Record that acceptance passed: the finding is closed out (销号)."""
        self._change(
            by,
            finding_id,
            version,
            lambda f, s: f.pass_acceptance(
                s, on=on, inspector=by.name, remarks=remarks
            ),
            acceptance=True,
        )

    def fail_acceptance(
        self, by: Operator, finding_id: str, version: int, *, on: date, remarks: str
    ) -> None:
        """Record that acceptance failed: the finding goes back for rework."""
        self._change(
            by,
            finding_id,
            version,
            lambda f, s: f.fail_acceptance(
                s, on=on, inspector=by.name, remarks=remarks
            ),
            acceptance=True,
        )

    def correct(
        self,
        by: Operator,
        finding_id: str,
        version: int,
        *,
        field: str,
        value: Any,
        reason: str,
    ) -> None:
        """Correct one field of a finding; its old value stays in the history."""
        if field == "category":
            value = self._category_key(value)
        elif field == "nature":
            value = self._nature(value)
        elif field == "responsible_unit":
            value = self._known(field, value)
        elif field == "household_kind":
            value = self._choice(field, value, self.campaign.household_kinds)
        elif field == "found_on":
            self._check_campaign_day(field, value)

        def apply(finding: Finding, stamp: Stamp) -> None:
            new = value
            if field == "check_item":
                new = self._check_item(finding.state.category, value)
            elif field == "category":
                self._check_item(value, finding.state.check_item)
            finding.correct(stamp, field=field, value=new, reason=reason)

        self._change(by, finding_id, version, apply)

    def withdraw(
        self, by: Operator, finding_id: str, version: int, *, reason: str
    ) -> None:
        """Withdraw a duplicate or mistaken finding; nothing is deleted."""
        self._change(by, finding_id, version, lambda f, s: f.withdraw(s, reason=reason))

    def submit_week(self, by: Operator, unit: str, week: int) -> str:
        """Record that a unit handed in a week's ledger; return its fingerprint.

        A week can be submitted once it is over. The fingerprint is the log's
        at the week's cut-off, the same one the week's exported sheet carries,
        so the office can match the file it received against the store.
        """
        self._known("unit", unit)
        if week not in self.campaign.report_weeks:
            raise UnknownValueError("week", str(week))
        cutoff = self.week_cutoff(week)
        if self.clock.now() < cutoff:
            raise WeekNotOverError(week, self.campaign.week_days(week)[1])
        position = self._replay_until(cutoff)[1]
        fingerprint = self._public_fingerprint(position) or ""
        stamp = self.stamp(by)
        record = self._unit_ledger(stamp, unit)
        record.submit_week(
            stamp, week=week, cutoff=cutoff, position=position, fingerprint=fingerprint
        )
        self._save(record)
        return fingerprint

    def seal(self, by: Operator, unit: str, signer: str) -> str:
        """Seal a unit's final ledger in the last phase; return its fingerprint.

        From then on the unit's findings take only acceptance results.
        """
        self._known("unit", unit)
        signer = required_text("signer", signer)
        final = self.campaign.phases[-1]
        if self.today() < final.start:
            raise NotInFinalPhaseError(final.name, final.start)
        position = self.head()
        fingerprint = self._public_fingerprint(position) or ""
        stamp = self.stamp(by)
        record = self._unit_ledger(stamp, unit)
        record.seal(stamp, signer=signer, position=position, fingerprint=fingerprint)
        self._save(record)
        return fingerprint

    def undo_last(self, by: Operator, finding_id: str, version: int) -> None:
        """Undo the operator's own latest event on a finding; both stay on the record.

        The undo records the fields that event changed with their values
        before it. A finding's recording cannot be undone (withdraw it), nor
        can an undo.
        """

        def undo(finding: Finding, stamp: Stamp) -> None:
            previous = None
            if finding.version > 1:
                before: Finding = self.repository.get(
                    finding.id, version=finding.version - 1
                )
                previous = before.state
            finding.undo(stamp, previous=previous)

        self._change(by, finding_id, version, undo)

    def draw_sample(
        self, by: Operator, *, per_stratum: int, seed: int | None = None
    ) -> str:
        """Draw findings awaiting acceptance for a spot-check; return the sample id.

        Up to `per_stratum` findings are drawn from each reporting unit and
        category (all of a smaller stratum). Without a seed one is chosen at
        random. The seed and the log position are recorded, so `redraw` can
        repeat the draw later, whatever was recorded since.
        """
        if per_stratum < 1:
            raise SampleSizeError(per_stratum)
        if seed is None:
            seed = secrets.randbelow(SEED_LIMIT)
        position = self.head()
        finding_ids = self._draw(position, per_stratum, seed)
        if not finding_ids:
            raise NothingToSampleError(position)
        spot_check = SpotCheck.draw(
            self.clock.now(),
            operator=by.name,
            operator_unit=by.unit,
            seed=seed,
            per_stratum=per_stratum,
            position=position,
            finding_ids=finding_ids,
        )
        self._save(spot_check)
        return str(spot_check.id)

    # Queries

    def redraw(self, sample_id: str) -> list[str]:
        """Draw a recorded sample again from the log as it stood; return the ids.

        The result equals the recorded ids unless the log before the
        sample's position, or the drawing rule, has changed.
        """
        sample = self.sample(sample_id)
        return self._draw(sample.position, sample.per_stratum, sample.seed)

    def sample(self, sample_id: str) -> Sample:
        """Return a recorded spot-check sample."""
        try:
            key = UUID(sample_id)
        except ValueError:
            raise SampleNotFoundError(sample_id) from None
        for event in self.events.get(key, limit=1):
            if isinstance(event, SpotCheck.SampleDrawn):
                return sample_from(event)
        raise SampleNotFoundError(sample_id)

    def samples(self) -> list[Sample]:
        """List every spot-check sample drawn, oldest first."""
        topic = get_topic(SpotCheck.SampleDrawn)
        return [sample_from(e) for e in self.events_in_order(topics=(topic,))]

    def signals(self, unit: str = "") -> list[Signal]:
        """List what an inspector would ask about, by unit then recording time."""
        if unit:
            self._known("unit", unit)
        found = inspection.signals(self.events_in_order(), self.campaign)
        return [s for s in found if not unit or s.unit == unit]

    def check(self, unit: str = "") -> list[Problem]:
        """List what is wrong with the current ledger rows of one unit or all."""
        if unit:
            self._known("unit", unit)
        rows = self.rows(LedgerQuery(unit=unit))
        return check_ledger(rows, self.campaign, self.today())

    def today(self) -> date:
        """Return today's date where the campaign runs."""
        return self.clock.now().astimezone(self.campaign.tz).date()

    def stamp(self, by: Operator) -> Stamp:
        """Stamp an event with the operator and the clock's moment."""
        at = self.clock.now()
        return Stamp(by.name, by.unit, at, at.astimezone(self.campaign.tz).date())

    def rows(self, query: LedgerQuery | None = None) -> list[FindingState]:
        """Return the current ledger rows that match the query."""
        return self.projection.view.select(query or LedgerQuery())

    def row(self, finding_id: str) -> FindingState:
        """Return one finding's current row."""
        found = self.projection.view.get_rows([finding_id])
        if finding_id not in found:
            raise FindingNotFoundError(finding_id)
        return found[finding_id]

    def history(self, finding_id: str) -> list[HistoryEntry]:
        """List every event of a finding, oldest first."""
        entries = [
            _entry(e)
            for e in self.events.get(self._uuid(finding_id))
            if isinstance(e, Finding.Event)  # a sample's id is not a finding's
        ]
        if not entries:
            raise FindingNotFoundError(finding_id)
        return entries

    def journal(self, query: JournalQuery | None = None) -> list[JournalEntry]:
        """List every finding event of the store, oldest first, filtered."""
        query = query or JournalQuery()
        states = {s.finding_id: s for s in self.rows()}
        entries = []
        for event in self.events_in_order():
            if not hasattr(event, "evolve"):
                continue
            state = states.get(str(event.originator_id))
            if state is None:
                continue
            entry = JournalEntry(
                finding_id=state.finding_id,
                unit=state.reporting_unit,
                statement=state.statement,
                event=_entry(event),
            )
            if query.admits(entry, self.campaign.tz):
                entries.append(entry)
        return entries

    def rows_as_of(
        self, moment: datetime, query: LedgerQuery | None = None
    ) -> list[FindingState]:
        """Return the ledger rows as they stood at a moment, filtered like `rows`."""
        states = self.states_as_of(moment).values()
        return filter_states(states, query or LedgerQuery(), self._category_terms)

    def week_cutoff(self, week: int) -> datetime:
        """Return the end of a report week: midnight after its last day, in UTC."""
        return self.campaign.week_cutoff(week).astimezone(UTC)

    def states_as_of(self, cutoff: datetime) -> dict[str, FindingState]:
        """Replay the log, keeping only what had been recorded before the cutoff.

        A finding's events are taken in order up to the first one recorded at
        or after the cutoff, so each state is one the finding really had.
        """
        return self._replay_until(cutoff)[0]

    def week_view(self, week: int, unit: str = "") -> WeekView:
        """Show a report week as reported and as now known, and its change from the last."""
        if week not in self.campaign.report_weeks:
            raise UnknownValueError("week", str(week))
        if unit:
            self._known("unit", unit)
        events = self.events_in_order()
        first, last = self.campaign.week_days(week)
        cutoff = self.week_cutoff(week)

        def mine(states: dict[str, FindingState]) -> dict[str, FindingState]:
            return {
                k: s for k, s in states.items() if not unit or s.reporting_unit == unit
            }

        reported = mine(replay(events, recorded_before=cutoff))
        known = mine(replay(events, business_until=last))
        previous = mine(replay(events, recorded_before=self.week_cutoff(week - 1)))
        return WeekView(
            week=week,
            unit=unit,
            first_day=first,
            last_day=last,
            cutoff=cutoff,
            reported=reported,
            known=known,
            late=late_reports(reported, known),
            diff=week_diff(previous, reported, first - timedelta(days=1), last),
        )

    def week_table(self, unit: str = "") -> list[WeekCounts]:
        """Count every report week's new, completed, accepted and overdue findings."""
        weeks = []
        for n in self.campaign.report_weeks:
            first, last = self.campaign.week_days(n)
            weeks.append((n, first, last, self.week_cutoff(n - 1), self.week_cutoff(n)))
        return week_counts(self.events_in_order(), weeks, unit)

    def official_sheet(self, unit: str, week: int | None = None) -> OfficialSheet:
        """Build the official ledger of one unit, for a report week or as it stands now.

        The sheet carries the fingerprint of the log up to the last event it
        could have used: for a week, the newest event (of any unit) recorded
        before the cut-off, so exporting that week again later gives the same
        fingerprint; as it stands now, the newest event in the log.
        """
        self._known("unit", unit)
        if week is None:
            cutoff = None
            report_date = self.today()
            states = self.rows(LedgerQuery(unit=unit))
            # Read after the rows, so the fingerprint covers every event in them.
            position = self.head()
        else:
            if week not in self.campaign.report_weeks:
                raise UnknownValueError("week", str(week))
            cutoff = self.week_cutoff(week)
            report_date = self.campaign.week_days(week)[1]
            replayed, position = self._replay_until(cutoff)
            states = [s for s in replayed.values() if s.reporting_unit == unit]
        # Withdrawn findings too: their heads may be named in other rows' text.
        heads = sorted({s.household_head for s in states if s.household_head})
        states = [s for s in states if s.status is not Status.WITHDRAWN]
        order = {c.key: i for i, c in enumerate(self.campaign.categories)}
        states.sort(
            key=lambda s: (order.get(s.category, 99), s.found_on, s.recorded_at)
        )
        return OfficialSheet(
            title=self.campaign.ledger_title,
            unit=unit,
            report_date=report_date,
            note=self.campaign.note,
            rows=tuple(
                self._sheet_row(n, s, report_date) for n, s in enumerate(states, 1)
            ),
            cutoff=cutoff,
            fingerprint=self._public_fingerprint(position),
            household_heads=tuple(heads),
        )

    def submissions(self, unit: str = "") -> list[Submission]:
        """List every weekly submission, oldest first."""
        found = []
        for name in [unit] if unit else self.campaign.all_units:
            record = self._find_unit_ledger(name)
            if record is None:
                continue
            found += [Submission(unit=name, **s) for s in record.submissions]
        return sorted(found, key=lambda s: s.at)

    def unit_reports(self) -> list[UnitReports]:
        """Say for every unit which weeks are in, which are due and missing, and any seal."""
        now = self.clock.now()
        due = [w for w in self.campaign.report_weeks if self.week_cutoff(w) <= now]
        reports = []
        for unit in self.campaign.all_units:
            record = self._find_unit_ledger(unit)
            weeks = sorted({s["week"] for s in record.submissions}) if record else []
            reports.append(
                UnitReports(
                    unit=unit,
                    submitted=tuple(weeks),
                    missing=tuple(w for w in due if w not in weeks),
                    sealed_by=record.sealed_by if record else "",
                )
            )
        return reports

    def sealed_by(self, unit: str) -> str:
        """Return who signed the unit's sealed final ledger, or "" if it is open."""
        record = self._find_unit_ledger(unit)
        return record.sealed_by if record else ""

    # Read model upkeep

    def catch_up(self, batch: int = 1000) -> int:
        """Fold events not yet in the ledger view into it; return how many."""
        view = self.projection.view
        done = 0
        with self._catch_up_lock:
            while True:
                start = view.max_tracking_id(self.name) or 0
                notes = self.recorder.select_notifications(
                    start=start, limit=batch, inclusive_of_start=False
                )
                if not notes:
                    break
                events = [self.mapper.to_domain_event(n) for n in notes]
                last = notes[-1].id
                if self.projection.process_batch(
                    events, Tracking(self.name, last), start
                ):
                    done += len(notes)
        if done:
            log.debug("ledger view folded in %d events", done)
        return done

    def head(self) -> int:
        """Return the position of the newest event in the log (0 when empty)."""
        return self.recorder.max_notification_id() or 0

    # Tamper evidence

    def fingerprint(self, position: int | None = None) -> Fingerprint:
        """Return the fingerprint of the log up to a position (default: the newest).

        Hand out `str(fingerprint)`; `verify` later says whether the log up to
        that position is still as it was.
        """
        head = self.head()
        if position is None:
            position = head
        elif not 0 <= position <= head:
            raise PositionOutsideLogError(position, head)
        return Fingerprint(position, self._chain().link_at(position).hex())

    def verify(
        self, fingerprints: Sequence[str] = (), files: Sequence[SubmittedFile] = ()
    ) -> VerifyReport:
        """Check the stored events against their chain, and fingerprints against both.

        Reads the raw stored rows, not decoded events, so a row that no longer
        decodes is still checked. Files come already read by the edge (their
        fingerprint, or why it could not be read), since the domain reads no
        workbooks. Discrepancies and refusals are values in the report.
        """
        with self._chain().read_log() as log:
            return verify_log(log, fingerprints, files)

    # Helpers

    def events_in_order(
        self, *, until: int | None = None, topics: tuple[str, ...] = ()
    ) -> list[Any]:
        """Decode the events of the log in the order they were stored.

        `until` stops at that log position (inclusive); `topics` keeps only
        events of those types.
        """
        return [event for _, event in self._all_events(until=until, topics=topics)]

    def _all_events(
        self, batch: int = 1000, *, until: int | None = None, topics: tuple[str, ...] = ()
    ) -> Iterator[tuple[int, Any]]:
        last = 0
        while True:
            notes = self.recorder.select_notifications(
                start=last,
                limit=batch,
                stop=until,
                topics=topics,
                inclusive_of_start=False,
            )
            if not notes:
                return
            for note in notes:
                yield note.id, self.mapper.to_domain_event(note)
            last = notes[-1].id

    def _replay_until(self, cutoff: datetime) -> tuple[dict[str, FindingState], int]:
        """Replay as states_as_of does, and say how far the replay reached.

        The position returned is the newest one whose event was recorded
        before the cutoff (0 when none was).
        """
        notes = list(self._all_events())
        position = max((n for n, e in notes if e.timestamp < cutoff), default=0)
        states = replay([e for _, e in notes], recorded_before=cutoff)
        return states, position

    def _chain(self) -> ChainedRecorder:
        # Limitation: only the SQLite store keeps a chain. A PostgreSQL store
        # needs a PostgresApplicationRecorder subclass that does the same in
        # its insert transaction (which already holds an EXCLUSIVE lock).
        if not isinstance(self.recorder, ChainedRecorder):
            raise NotImplementedError("this store keeps no event chain")
        return self.recorder

    def _public_fingerprint(self, position: int) -> str | None:
        if not isinstance(self.recorder, ChainedRecorder):
            return None
        return str(self.fingerprint(position))

    def _sheet_row(self, number: int, s: FindingState, today: date) -> SheetRow:
        category = self.campaign.category(s.category)
        items = category.items
        item = items[s.check_item - 1] if 1 <= s.check_item <= len(items) else ""
        return SheetRow(
            number=number,
            category_label=category.label,
            nature=s.nature,
            statement=s.statement,
            measures=s.measures,
            deadline=s.deadline,
            responsible_unit=s.responsible_unit,
            reporting_unit=s.reporting_unit,
            category_name=category.name,
            check_item=f"{s.check_item}. {item}",
            cause=s.cause,
            responsible_leader=s.responsible_leader,
            latest_progress=s.latest_progress,
            status=str(s.status),
            completed_on=s.completed_on,
            overdue=s.is_overdue(today),
            found_on=s.found_on,
        )

    def _change(
        self,
        by: Operator,
        finding_id: str,
        version: int,
        command: Callable[[Finding, Stamp], None],
        *,
        acceptance: bool = False,
    ) -> None:
        finding = self._get(finding_id)
        if finding.version != version:
            raise ConcurrentChangeError(finding_id)
        if not acceptance and self.sealed_by(finding.state.reporting_unit):
            raise UnitSealedError(finding.state.reporting_unit)
        command(finding, self.stamp(by))
        self._save(finding)

    def _save(self, aggregate: Aggregate) -> None:
        try:
            self.save(aggregate)
        except RecordConflictError as error:
            raise ConcurrentChangeError(str(aggregate.id)) from error
        try:
            self.catch_up()
        except StoreBusyError:
            # The events are stored; saying otherwise would invite a second
            # entry. The view follows at the next catch-up (the screen polls).
            log.warning("saved, but the ledger view is behind: the store is busy")

    def _find_unit_ledger(self, unit: str) -> UnitLedger | None:
        try:
            record: UnitLedger = self.repository.get(
                UnitLedger.id_for(self.campaign.id, unit)
            )
        except AggregateNotFoundError:
            return None
        return record

    def _unit_ledger(self, stamp: Stamp, unit: str) -> UnitLedger:
        found = self._find_unit_ledger(unit)
        if found is None:
            return UnitLedger.open(stamp, campaign_id=self.campaign.id, unit=unit)
        return found

    def _get(self, finding_id: str) -> Finding:
        try:
            finding: Aggregate = self.repository.get(self._uuid(finding_id))
        except AggregateNotFoundError as error:
            raise FindingNotFoundError(finding_id) from error
        if not isinstance(finding, Finding):
            # A spot-check sample's id, say: not a finding.
            raise FindingNotFoundError(finding_id)
        return finding

    def _draw(self, position: int, per_stratum: int, seed: int) -> list[str]:
        states = replay(self.events_in_order(until=position))
        return draw(states.values(), per_stratum, seed)

    @staticmethod
    def _uuid(finding_id: str) -> UUID:
        try:
            return UUID(finding_id)
        except ValueError as error:
            raise FindingNotFoundError(finding_id) from error

    def _plan(
        self,
        finding: Finding,
        stamp: Stamp,
        measures: str,
        deadline: date | None,
        responsible_unit: str,
        responsible_leader: str,
    ) -> None:
        if deadline is None:
            raise UnknownValueError("deadline", "")
        self._check_deadline_day(deadline)
        finding.plan(
            stamp,
            measures=measures,
            deadline=deadline,
            responsible_unit=self._known("responsible_unit", responsible_unit.strip()),
            responsible_leader=responsible_leader,
        )

    def _check_item(self, category: str, value: Any) -> int:
        """Return a check item number of the category; a form gives it as text."""
        items = self.campaign.category(category).items
        text = str(value).strip()
        if not (text.isdecimal() and 1 <= int(text) <= len(items)):
            raise UnknownValueError("check_item", str(value))
        return int(text)

    def _category_key(self, text: str) -> str:
        try:
            return self.campaign.category(text.strip()).key
        except KeyError:
            raise UnknownValueError("category", text) from None

    def _nature(self, text: str) -> str:
        try:
            return self.campaign.nature(text.strip())
        except KeyError:
            raise UnknownValueError("nature", text) from None

    def _known(self, field: str, unit: str) -> str:
        if unit not in self.campaign.all_units:
            raise UnknownValueError(field, unit)
        return unit

    @staticmethod
    def _choice(field: str, value: str, allowed: list[str]) -> str:
        value = value.strip()
        if value and value not in allowed:
            raise UnknownValueError(field, value)
        return value

    def _check_campaign_day(self, field: str, day: date) -> None:
        # The upper bound is today, which the aggregate checks with the stamp.
        first = self.campaign.first_day
        if day < first:
            raise DateOutsideCampaignError(field, day, first, self.today())

    def _check_deadline_day(self, day: date) -> None:
        # A finding found late in (or after) the campaign still gets a year.
        first = self.campaign.first_day
        last = max(self.campaign.last_day, self.today()) + DEADLINE_HORIZON
        if not first <= day <= last:
            raise DateOutsideCampaignError("deadline", day, first, last)

    def _category_terms(self, state: FindingState) -> list[str]:
        try:
            category = self.campaign.category(state.category)
        except KeyError:
            return []
        return [category.name, category.label]


def default_store_path() -> Path:
    """Return where the embedded store lives when no path is given."""
    import os
    import sys

    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "taizhang" / "ledger.sqlite"


def sqlite_env(path: Path, key: str | None = None) -> dict[str, str]:
    """Return the eventsourcing settings for an embedded store at path.

    With a key (base64 of 16, 24 or 32 bytes) every event is encrypted with
    the library's own AES-GCM cipher before it is stored.
    """
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        # Absolute, so a name such as "file:x" is never read as an SQLite URI.
        "SQLITE_DBNAME": str(Path(path).absolute()),
        "SQLITE_LOCK_TIMEOUT": "10",
        # Every save also extends the tamper-evident hash chain (domain.chain),
        # and waits out another process's lock (domain.store).
        "APPLICATION_RECORDER_TOPIC": get_topic(StoreRecorder),
        # Set both ways, so a CIPHER_* variable in the environment cannot decide.
        # Limitation: the cipher covers each event's state only; its topic (the
        # kind of step), originator id and version stay plain, as do the chain's
        # ids, so the log's shape is readable without the key. Hiding it would
        # take a recorder that stores one opaque blob per event and its own index.
        "CIPHER_TOPIC": get_topic(AESCipher) if key else "",
        "CIPHER_KEY": checked_key(key) if key else "",
    }


def open_ledger(
    campaign: Campaign,
    store: Path | None = None,
    clock: Clock | None = None,
    key: str | None = None,
) -> Ledger:
    """Open (creating on first use) the embedded SQLite store of a campaign.

    The default store's folder is created, readable by its owner only; a
    given path's folder must exist. The store file is created readable by
    its owner only. `key` encrypts the events (see `sqlite_env`); a store
    must always be opened with the key it was created with.
    """
    path = store or default_store_path()
    if store is None:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    make_private(path)
    return Ledger(campaign, env=sqlite_env(path, key), clock=clock)
