"""The ledger application: records findings as events and answers from the read model."""

from __future__ import annotations

import logging
import re
import secrets
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    Mapper,
    RecordConflictError,
    StoredEvent,
    Tracking,
    Transcoder,
    Transcoding,
)
from eventsourcing.sqlite import SQLiteFactory
from eventsourcing.utils import get_topic

from domain import inspection, office
from domain.audit import (
    LateEntry,
    WeekCounts,
    WeekDiff,
    late_counts,
    late_reports,
    replay,
    week_diff,
)
from domain.campaign import Campaign, Category
from domain.chain import ChainedRecorder, EventChain
from domain.checks import Problem, check_ledger
from domain.clock import Clock, SystemClock
from domain.coverage import Screening, UnitCoverage, coverage
from domain.errors import (
    MAX_PER_STRATUM,
    SEED_LIMIT,
    AlreadyImportedError,
    AlreadySealedError,
    BundleAcceptanceError,
    BundleCampaignError,
    BundleChainError,
    BundleConflictError,
    BundleFormatError,
    BundleSubmissionError,
    CampaignMismatchError,
    CheckItemNeededError,
    ConcurrentChangeError,
    DateOutsideCampaignError,
    DuplicateFindingError,
    FinalReportTooEarlyError,
    FindingNotFoundError,
    FindingNumberError,
    FirstOperatorError,
    FoundAfterStepError,
    LastOfficeError,
    LedgerError,
    LogShortenedError,
    MomentInFutureError,
    NoScreeningToUndoError,
    NothingToImportError,
    NothingToSampleError,
    NotInFinalPhaseError,
    NotPermittedError,
    NotReportingUnitError,
    OperatorExistsError,
    OperatorNotRegisteredError,
    OperatorRetiredError,
    OperatorUnitMismatchError,
    PositionOutsideLogError,
    RoleUnitMismatchError,
    RowsRefusedError,
    SampleNotFoundError,
    SampleSizeError,
    SealLeavesWorkError,
    SeedError,
    StoreBusyError,
    TextTooLongError,
    UnitMismatchError,
    UnitNotGivenError,
    UnitSealedError,
    UnknownValueError,
    UnreadableEventError,
    WeekAlreadySubmittedError,
    WeekNotOverError,
)
from domain.finding import (
    Finding,
    Stamp,
    name_text,
    optional_text,
    required_text,
    taken_after_seal,
)
from domain.importing import (
    DEFAULT_CHECK_ITEM,
    IMPORT_SOURCE,
    CheckedRow,
    ImportedFile,
    ImportResult,
    ImportRow,
    ImportSheet,
    PreviousImport,
    RowProblem,
    found_days,
    same_statement,
)
from domain.inspection import SPOT_CHECK_SOURCE, Signal
from domain.keys import checked_key
from domain.office import OfficeOverview
from domain.progress import Cancelled, Progress, Steps
from domain.sheet import OfficialSheet, SheetRow
from domain.spotcheck import Sample, SpotCheck, draw, sample_from
from domain.sqlite_store import (
    StoreRecorder,
    StoreView,
    check_is_store,
    check_store_key,
    make_private,
)
from domain.staff import Act, Role, StaffEntry, StaffMember, permits
from domain.staff import fold as fold_staff
from domain.state import MIN_ID, SHORT_ID, FindingState, Status
from domain.store import check_reachable, is_postgres_url, postgres_env
from domain.text import cell_length
from domain.unit_ledger import UnitLedger
from domain.view import (
    LedgerProjection,
    LedgerQuery,
    LedgerView,
    Moment,
)

# Bundles, verification, statistics and the AES cipher are imported by the
# methods that use them: opening the ledger screen needs none of them, and
# loading them took a twentieth of the app's start-up.
if TYPE_CHECKING:
    from domain.bundle import Bundle, BundleResult
    from domain.statistics import FinalReport, Statistics
    from domain.verify import Fingerprint, SubmittedFile, VerifyReport

log = logging.getLogger(__name__)

# How far past the campaign's last day a deadline may still lie.
DEADLINE_HORIZON = timedelta(days=366)


# How often the final report reads again when other writes keep landing.
FINAL_READ_TRIES = 5
# The rectification steps of a finding: each speaks of a day on or after its found day.
STEP_KINDS = frozenset(
    {
        "RectificationPlanned",
        "DeadlineExtended",
        "ProgressReported",
        "RectificationCompleted",
        "AcceptancePassed",
        "AcceptanceFailed",
    }
)
# The longest operator name, in spreadsheet characters: it heads every
# screen and signs every record.
MAX_NAME = 20


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


@dataclass(frozen=True)
class Operator:
    """The person at the keyboard, the unit they work for, and their role.

    The role is "" until operators are registered (domain.staff); from then on
    the ledger signs operators in from the register.
    """

    name: str
    unit: str
    role: str = ""


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
    remarks: str = ""

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
    """A week's ledger as a unit handed it in.

    `imported` marks one that came in an offline unit's bundle: its position
    and fingerprint name the unit's own store, checked when it was imported,
    not this store's chain.
    """

    unit: str
    week: int
    cutoff: datetime
    position: int
    fingerprint: str
    by: str
    at: datetime
    # The business day it was handed in.
    on: date
    imported: bool = False


@dataclass(frozen=True)
class UnitReports:
    """Which weeks a unit has handed in, which are missing, and its seal."""

    unit: str
    submitted: tuple[int, ...]
    missing: tuple[int, ...]
    sealed_by: str
    # The business day each submitted week was first handed in.
    handed_in: Mapping[int, date] = field(default_factory=dict)


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


def _entry(event: Any, tz: Any = UTC) -> HistoryEntry:
    """An event as a history line; one without a business day (a sample
    drawn) is dated by its recording, in `tz`."""
    on = getattr(event, "on", None) or event.timestamp.astimezone(tz).date()
    return HistoryEntry(
        version=event.originator_version,
        kind=type(event).__name__,
        recorded_at=event.timestamp,
        on=on,
        operator=event.operator,
        operator_unit=event.operator_unit,
        details={k: v for k, v in event.__dict__.items() if k not in _BASE_FIELDS},
    )


@dataclass(frozen=True)
class JournalEntry:
    """One event of the store with the finding it belongs to.

    An event of no finding (a week handed in, a screening, the register, a
    sample, a sheet's or a bundle's import) has no `finding_id` nor
    `statement`, and its `kind` names its aggregate too (UnitLedger.Opened);
    `unit` is the unit it is about, or else the operator's.
    """

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


@dataclass(frozen=True)
class _Standing:
    """Findings as they stood at a log position, and the day and cut-off they are shown for."""

    states: list[FindingState]
    position: int
    day: date
    cutoff: datetime | None


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
        *,
        level: bool = True,
    ) -> None:
        """Open the store; with `level` False the opener calls `level_view` itself.

        Opening brings the ledger view level with the log, which for a view
        far behind (a new version, a rebuild cut short) takes a while: an
        opener that shows progress defers it.
        """
        # Held by whoever reads the store from another thread, and by `close`.
        self._open_lock = threading.RLock()
        self._closed = False
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
        # The operator register, folded from the log up to `_staff_seen`.
        self._staff: dict[UUID, StaffEntry] = {}
        self._staff_seen = 0
        self._staff_lock = threading.Lock()
        # Set when an event in the log no longer decodes (the view stops
        # before it) or the log ends before the view's position; the store
        # stays open so that it can be verified, and rebuilt.
        self.damage: UnreadableEventError | LogShortenedError | None = None
        # Set once the campaign was checked against a view level with the log.
        self.view_checked = False
        if level:
            self.level_view()

    def construct_mapper(self) -> Mapper[UUID]:
        return self.factory.mapper(
            transcoder=self.construct_transcoder(), mapper_class=CheckedMapper
        )

    def _open_view(self) -> LedgerView:
        """Open the ledger view: beside the events, or only in memory when encrypted.

        The view holds every finding's current values as plain rows. With an
        encrypted store those would sit unencrypted in the same file, so the
        view lives in this process's memory instead and is rebuilt from the
        events at each opening (well under a second for a county's ledger).
        """
        if not isinstance(self.factory, SQLiteFactory):
            # Loaded only for a PostgreSQL store, which the embedded default is not.
            from domain.pgstore import PostgresLedgerView

            shared: Any = self.factory.tracking_recorder(PostgresLedgerView)
            return shared  # type: ignore[no-any-return]
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
        """Close the store, once no other thread is still reading it (`in_use`)."""
        with self._open_lock:
            self._closed = True
            super().close()
            if self._view_factory is not None:
                self._view_factory.close()

    @contextmanager
    def in_use(self) -> Iterator[bool]:
        """Hold the store open for a background reader; say whether it still is.

        A screen's poll runs in a worker thread that may outlive the screen:
        closing the store under its query crashed the process.
        """
        with self._open_lock:
            yield not self._closed

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
        usage = self.projection.view.category_usage()
        for key, top in sorted(usage.items()):
            try:
                items = self.campaign.category(key).items
            except KeyError:
                missing.append(key)
                continue
            if top > len(items):
                short.append((key, top))
        units = sorted(self.projection.view.units_in_use() - set(self.campaign.all_units))
        if missing or short or units:
            self.close()
            raise CampaignMismatchError(missing, short, units)
        self.view_checked = True

    def register_transcodings(self, transcoder: Transcoder) -> None:
        super().register_transcodings(transcoder)  # type: ignore[arg-type]
        transcoder.register(DateAsISO())  # type: ignore[attr-defined]

    # Commands

    def record(
        self, by: Operator, new: NewFinding, *, planned_on: date | None = None
    ) -> str:
        """Record a finding, and its rectification plan when one is given
        (`planned_on`: the plan's day, default today)."""
        by = self._authorised(by, Act.RECORD, new.reporting_unit)
        finding = self._new_finding(self.stamp(by), new, planned_on=planned_on)
        self._save(finding)
        return str(finding.id)

    def check_import(
        self,
        by: Operator,
        sheet: ImportSheet,
        *,
        unit: str = "",
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
    ) -> ImportResult:
        """Check every row of a sheet as `import_sheet` would, writing nothing.

        `unit` chooses the reporting unit; without it, the sheet's unit line
        names it, and without that the unit of a registered unit's operator.
        A refusal of the whole file (no unit, a sealed unit, no
        rows) is raised; the problems of single rows are values in the result.
        `progress` hears (rows done, rows total); a yes from `cancelled`
        raises WorkCancelledError.
        """
        steps = Steps("import", 2 * len(sheet.rows), _per_row(progress), cancelled)
        return self._check_import(self.stamp(by), sheet, unit, steps)[0]

    def import_sheet(
        self,
        by: Operator,
        sheet: ImportSheet,
        *,
        unit: str = "",
        only_good: bool = False,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
    ) -> ImportResult:
        """Record a sheet's rows as findings in one save: all of them, or nothing.

        Every row is checked first by the rules `record` applies. One bad
        row keeps the whole file out (RowsRefusedError) unless `only_good`;
        a row that repeats a recorded finding (a later week's cumulative
        sheet) is passed over, and keeps nothing out.
        Each row becomes a Recorded event (source 导入, the file's name and
        row number as its reference) and, since the form has them, a
        RectificationPlanned event dated the day the sheet reports as of.
        A record of the file, keyed by its content, is saved with them, so
        the same file brought in again is refused (AlreadyImportedError),
        also after only its good rows came in.
        The rows are checked again with `progress` and `cancelled` as for
        `check_import`; the last look for a cancel comes just before the save,
        so a cancelled import stores nothing.
        """
        stamp = self.stamp(by)
        steps = Steps("import", 2 * len(sheet.rows), _per_row(progress), cancelled)
        result, findings = self._check_import(stamp, sheet, unit, steps)
        if result.previous is not None:
            raise self._already_imported(sheet, result.previous)
        if result.refused and not only_good:
            raise RowsRefusedError(len(result.refused), len(result.rows))
        if not findings:
            raise NothingToImportError(sheet.file_name)

        numbers = [row.number for row in result.good]
        ids = [str(finding.id) for finding in findings]
        record = ImportedFile.record(
            stamp,
            campaign_id=self.campaign.id,
            sheet=sheet,
            unit=result.unit,
            rows=numbers,
            finding_ids=ids,
            left_out=[row.number for row in result.bad],
        )
        steps.check()
        try:
            self.save(*findings, record)
        except RecordConflictError as error:
            # Someone brought the same file in between the check and the save.
            previous = self._previous_import(sheet.digest)
            if previous is None:
                raise
            raise self._already_imported(sheet, previous) from error
        self.catch_up()
        log.info("imported %d rows of %s for %s", len(ids), sheet.file_name, unit)

        by_row = dict(zip(numbers, ids, strict=True))
        rows = tuple(replace(r, finding_id=by_row.get(r.number, "")) for r in result.rows)
        return replace(result, rows=rows, written=True)

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
        on: date | None = None,
    ) -> None:
        """Plan the rectification of a finding; `on` is the day of the plan (default today)."""
        self._change(
            by,
            finding_id,
            version,
            lambda f, s: self._plan(
                f, s, measures, deadline, responsible_unit, responsible_leader, on=on
            ),
            step=Finding.RectificationPlanned.__name__,
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
        on: date | None = None,
    ) -> None:
        """Move a finding's deadline later, with the reason and who approved it;
        `on` is the day the extension was granted (default today)."""
        self._check_deadline_day(deadline)
        self._change(
            by,
            finding_id,
            version,
            lambda f, s: f.extend_deadline(
                s, deadline=deadline, reason=reason, approved_by=approved_by, on=on
            ),
            step=Finding.DeadlineExtended.__name__,
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
        """Report what was done on a finding on a given day.

        Its reporting unit may, and so may its responsible unit (a sector
        department doing the work).
        """
        self._change(
            by,
            finding_id,
            version,
            lambda f, s: f.report_progress(
                s, on=on, progress=progress, evidence=evidence or []
            ),
            step=Finding.ProgressReported.__name__,
            responsible_too=True,
        )

    def complete(
        self, by: Operator, finding_id: str, version: int, *, on: date, effect: str
    ) -> None:
        """Declare a finding's rectification complete (its reporting or responsible unit)."""
        self._change(
            by,
            finding_id,
            version,
            lambda f, s: f.complete(s, on=on, effect=effect),
            step=Finding.RectificationCompleted.__name__,
            responsible_too=True,
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
            step=Finding.AcceptancePassed.__name__,
            act=Act.ACCEPT,
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
            step=Finding.AcceptanceFailed.__name__,
            act=Act.ACCEPT,
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
        check_item: int | None = None,
    ) -> None:
        """Correct one field of a finding; its old value stays in the history.

        A new category needs `check_item`, the finding's item in it: the old
        number would name another check there. Both are corrected together.
        """
        if field == "category":
            value = self._category_key(value)
            if check_item is None:
                raise CheckItemNeededError(value, tuple(self.campaign.category(value).items))
        elif field == "nature":
            value = self._nature(value)
        elif field == "responsible_unit":
            value = self._known(field, value)
        elif field == "household_kind":
            value = self._choice(field, value, self.campaign.household_kinds)
        elif field == "found_on":
            self._check_campaign_day(field, value)
            earliest = self._first_step_day(finding_id)
            if earliest is not None and earliest < value:
                raise FoundAfterStepError(value, earliest)

        def apply(finding: Finding, stamp: Stamp) -> None:
            new = value
            if field == "check_item":
                new = self._check_item(finding.state.category, value)
            elif field == "category":
                try:
                    item = self._check_item(value, check_item)
                except UnknownValueError as refused:
                    # Named as the new category's item, the form's field for it.
                    raise UnknownValueError(
                        "new_check_item", str(check_item), refused.choices
                    ) from None
                finding.correct(stamp, field=field, value=new, reason=reason)
                if item != finding.state.check_item:
                    finding.correct(stamp, field="check_item", value=item, reason=reason)
                return
            finding.correct(stamp, field=field, value=new, reason=reason)

        self._change(by, finding_id, version, apply, step=Finding.FieldCorrected.__name__)

    def _first_step_day(self, finding_id: str) -> date | None:
        """Return the business day of the finding's earliest step still standing.

        The plan and an extension count, which the state's first_step_on
        (progress and completion) leaves out; an undone step does not.
        """
        entries = self.history(finding_id)
        undone = {e.details["undone_version"] for e in entries if e.kind == "ChangeUndone"}
        days = [e.on for e in entries if e.kind in STEP_KINDS and e.version not in undone]
        return min(days, default=None)

    def withdraw(
        self, by: Operator, finding_id: str, version: int, *, reason: str
    ) -> None:
        """Withdraw a duplicate or mistaken finding; nothing is deleted."""
        self._change(
            by,
            finding_id,
            version,
            lambda f, s: f.withdraw(s, reason=reason),
            step=Finding.Withdrawn.__name__,
        )

    def submit_week(self, by: Operator, unit: str, week: int) -> str:
        """Record that a unit handed in a week's ledger; return its fingerprint.

        A week can be submitted once it is over. The fingerprint is the log's
        at the week's cut-off, the same one the week's exported sheet carries,
        so the office can match the file it received against the store.
        """
        self._known("unit", unit)
        by = self._authorised(by, Act.SUBMIT, unit)
        if unit in self.campaign.units.receiving:
            raise NotReportingUnitError(unit)
        if week not in self.campaign.report_weeks:
            raise self._unknown_week(week)
        cutoff = self.week_cutoff(week)
        if self.clock.now() < cutoff:
            raise WeekNotOverError(week, self.campaign.week_days(week)[1])
        position = self._states_before(cutoff)[1]
        fingerprint = self._public_fingerprint(position) or ""
        stamp = self.stamp(by)
        record = self._unit_ledger(stamp, unit)
        try:
            record.submit_week(
                stamp, week=week, cutoff=cutoff, position=position, fingerprint=fingerprint
            )
        except WeekAlreadySubmittedError as refusal:
            findings, steps = late_counts(self.week_view(week, unit).late)
            raise replace(refusal, late_findings=findings, late_steps=steps) from None
        self._save(record)
        return fingerprint

    def seal(self, by: Operator, unit: str, signer: str, *, force: bool = False) -> str:
        """Seal a unit's final ledger in the last phase; return its fingerprint.

        From then on the unit's findings take only what `check_seal` allows.
        While any is still to be rectified, or a week due was not handed in,
        it refuses (SealLeavesWorkError) unless `force`.
        """
        self._known("unit", unit)
        by = self._authorised(by, Act.SEAL, unit)
        signer = name_text("signer", signer)
        final = self.campaign.phases[-1]
        if self.today() < final.start:
            raise NotInFinalPhaseError(final.name, final.start)
        if not force:
            self._check_nothing_left(unit)
        position = self.head()
        fingerprint = self._public_fingerprint(position) or ""
        stamp = self.stamp(by)
        record = self._unit_ledger(stamp, unit)
        record.seal(stamp, signer=signer, position=position, fingerprint=fingerprint)
        self._save(record)
        return fingerprint

    def _check_nothing_left(self, unit: str) -> None:
        sealed = self.sealed_by(unit)
        if sealed:
            raise AlreadySealedError(unit, sealed)
        statuses = Counter(row.status for row in self.rows(LedgerQuery(unit=unit)))
        [reports] = [r for r in self.unit_reports() if r.unit == unit]
        pending, in_progress = statuses[Status.PENDING], statuses[Status.IN_PROGRESS]
        if pending or in_progress or reports.missing:
            raise SealLeavesWorkError(unit, pending, in_progress, reports.missing)

    def record_screening(
        self,
        by: Operator,
        unit: str,
        category: str,
        check_item: int,
        *,
        households: int,
        problems_found: int,
        on: date | None = None,
    ) -> Screening | None:
        """Record that a unit screened a check item on a day of the campaign
        (`on`, default today).

        `problems_found` 0 records that the item was screened and nothing was
        found. A unit may screen an item more than once (village by village);
        coverage adds the screenings up. Returns an earlier screening still
        standing with the same item, figures and day, if any: typed twice,
        perhaps, which the caller should say (undo_screening takes it back).
        """
        self._known("unit", unit)
        by = self._authorised(by, Act.RECORD, unit)
        key = self._category_key(category)
        number = self._check_item(key, check_item)
        # Within the campaign: papers entered after it name their day.
        day = self.today() if on is None else on
        self._check_campaign_day("screened_on", day)
        stamp = self.stamp(by)
        record = self._unit_ledger(stamp, unit)
        same = record.standing_like(key, number, households, problems_found, day)
        record.screen_item(
            stamp,
            category=key,
            check_item=number,
            households=households,
            problems_found=problems_found,
            on=on,
        )
        self._save(record)
        return None if same is None else _screening(unit, same)

    def check_undo_screening(self, by: Operator, unit: str) -> Screening:
        """Say which screening `undo_screening` would take back, or refuse as it would.

        Lets a screen show it before asking to confirm; the undo checks again.
        """
        record, stamp = self._screenings_of(by, unit)
        return _screening(unit, record.latest_screening(stamp))

    def undo_screening(self, by: Operator, unit: str) -> Screening:
        """Undo the unit's latest screening still standing, which the operator recorded.

        Coverage counts it no more; the screening and its undo stay on record.
        Undone again, the one before it goes too.
        """
        record, stamp = self._screenings_of(by, unit)
        undone = record.undo_screening(stamp)
        self._save(record)
        return _screening(unit, undone)

    def _screenings_of(self, by: Operator, unit: str) -> tuple[UnitLedger, Stamp]:
        """Find the record of a unit's screenings, for an operator who may record them."""
        self._known("unit", unit)
        by = self._authorised(by, Act.RECORD, unit)
        record = self._find_unit_ledger(unit)
        if record is None:
            raise NoScreeningToUndoError(unit)
        return record, self.stamp(by)

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
                # One command's events share its moment: a category corrected
                # with its check item is one step, and is undone whole.
                while (
                    before.version > 1
                    and before.modified_on == finding.modified_on
                    and before.last.kind == Finding.FieldCorrected.__name__
                ):
                    before = self.repository.get(finding.id, version=before.version - 1)
                previous = before.state
            finding.undo(stamp, previous=previous)

        # Only one's own step is undone: a responsible unit's can only be a
        # progress report or a completion.
        self._change(
            by,
            finding_id,
            version,
            undo,
            step=Finding.ChangeUndone.__name__,
            act=Act.UNDO,
            responsible_too=True,
        )

    def check_undo(self, by: Operator, finding_id: str) -> tuple[int, str]:
        """Refuse, as `undo_last` would, an undo the operator may not do now.

        Lets a screen say so before it asks to confirm; the undo checks again.
        Returns the step it would undo: its version and kind.
        """
        finding = self._get(finding_id)
        by = self._authorised(by, Act.UNDO, self.acting_for(by, finding.state, True))
        last = finding.check_undo(self.stamp(by))
        self._check_seal(finding, Finding.ChangeUndone.__name__)
        return finding.version, last.kind

    def draw_sample(
        self, by: Operator, *, per_stratum: int, seed: int | None = None
    ) -> str:
        """Draw findings awaiting acceptance for a spot-check; return the sample id.

        Up to `per_stratum` findings are drawn from each reporting unit and
        category (all of a smaller stratum). Without a seed one is chosen at
        random. The seed and the log position are recorded, so `redraw` can
        repeat the draw later, whatever was recorded since.
        """
        by = self._authorised(by, Act.SAMPLE, "")
        if not 1 <= per_stratum <= MAX_PER_STRATUM:
            raise SampleSizeError(str(per_stratum))
        if seed is not None and not 0 <= seed < SEED_LIMIT:
            raise SeedError(str(seed))
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

    # Operators and roles

    def register_operator(self, by: Operator, name: str, unit: str, role: str) -> None:
        """Put an operator on the register, or bring back a retired one.

        Only the office keeps the register. While it is empty anyone may start
        it, with an office operator, so that someone can add the rest; until
        then every operator may do everything, as before roles existed.
        """
        unit = self._known("unit", unit)
        wanted = self._role(role)
        if self._register():
            by = self._authorised(by, Act.REGISTER, "")
        elif wanted is not Role.OFFICE:
            raise FirstOperatorError(str(wanted))
        name = name_text("name", name)
        if (length := cell_length(name)) > MAX_NAME:
            raise TextTooLongError("name", length, MAX_NAME)
        self._check_role_fits(wanted, unit)
        member = self._find_staff(name)
        if member is not None and member.active:
            raise OperatorExistsError(name, member.unit, str(member.role))
        stamp = self.stamp(by)
        if member is None:
            member = StaffMember.register(
                stamp, campaign_id=self.campaign.id, name=name, unit=unit, role=wanted
            )
        else:
            member.assign(stamp, unit=unit, role=wanted)
        try:
            self._save(member)
        except ConcurrentChangeError:
            # Another office operator registered the same name just now.
            raise OperatorExistsError(name, unit, str(wanted)) from None

    def assign_operator(self, by: Operator, name: str, unit: str, role: str) -> None:
        """Give a registered operator another unit or role."""
        unit = self._known("unit", unit)
        wanted = self._role(role)
        by = self._authorised(by, Act.REGISTER, "")
        self._check_role_fits(wanted, unit)
        member = self._staff_member(name)
        if wanted is not Role.OFFICE:
            self._keep_an_office(member)
        member.assign(self.stamp(by), unit=unit, role=wanted)
        self._save(member)

    def _check_role_fits(self, role: Role, unit: str) -> None:
        """A unit's operator records for a unit that hands in ledgers; the office
        and the team may be staffed from a department, not from a township."""
        if role is Role.UNIT:
            fits = unit in self.campaign.reporting_units
        else:
            fits = unit not in self.campaign.units.townships
        if not fits:
            raise RoleUnitMismatchError(str(role), unit)

    def retire_operator(self, by: Operator, name: str) -> None:
        """Take an operator off the register; what they recorded stays theirs."""
        by = self._authorised(by, Act.REGISTER, "")
        member = self._staff_member(name)
        self._keep_an_office(member)
        member.retire(self.stamp(by))
        self._save(member)

    def operators(self) -> list[StaffEntry]:
        """List every operator ever registered, retired ones included."""
        order = {unit: n for n, unit in enumerate(self.campaign.all_units)}
        roles = [Role.OFFICE, Role.UNIT, Role.INSPECTION]
        return sorted(
            self._register().values(),
            key=lambda e: (roles.index(e.role), order.get(e.unit, 999), e.name),
        )

    def sign_in(self, name: str, unit: str = "") -> Operator:
        """Return the operator of that name as registered, with unit and role.

        With no operator registered, anyone may work as any unit: the name and
        unit come back as given. A unit given that differs from the
        registered one is refused, so nobody works under the wrong unit.
        """
        name = name.strip()
        if not self._register():
            return Operator(name, unit)
        entry = self._entry(name)
        if unit and unit != entry.unit:
            raise OperatorUnitMismatchError(name, entry.unit, unit)
        return Operator(entry.name, entry.unit, str(entry.role))

    def check_permission(self, by: Operator, act: Act, unit: str) -> None:
        """Refuse, as the command would, an act the operator may not do now.

        Lets a screen say so before anyone types; the command checks again.
        """
        self._authorised(by, act, unit)

    def acting_for(self, by: Operator, state: FindingState, responsible_too: bool) -> str:
        """Return the unit an operator acts for on a finding, to be authorised.

        Its reporting unit; for progress, completion and their undo
        (`responsible_too`), its responsible unit instead when that is the
        operator's own and the reporting unit is not.
        """
        unit = state.reporting_unit
        responsible = state.responsible_unit
        if (
            responsible_too
            and responsible
            and not self.may(by, Act.CHANGE, unit)
            and self.may(by, Act.CHANGE, responsible)
        ):
            return responsible
        return unit

    def may(self, by: Operator, act: Act, unit: str) -> bool:
        """Tell whether the operator may do an act on a unit's ledger now."""
        try:
            self._authorised(by, act, unit)
        except LedgerError:
            return False
        return True

    # Bundles for offline units

    def export_bundle(self, by: Operator, unit: str) -> bytes:
        """Put this store's whole event log in a bundle for the office.

        Every row goes in exactly as stored, so the office can recompute this
        store's chain and check the unit's weekly fingerprints against it; the
        office imports only the unit's own ledger from it.
        """
        from domain.bundle import write_bundle
        from domain.verify import verify_log

        self._known("unit", unit)
        with self._chain().read_log() as log:
            problem = verify_log(log).problem
        if problem is not None:
            raise BundleChainError(problem.position, str(problem.kind))
        with self._chain().read_log() as log:
            rows = list(log.events())
        return write_bundle(
            campaign=self.campaign.id,
            unit=unit,
            exported_at=self.clock.now(),
            exported_by=by.name,
            rows=rows,
        )

    def import_bundle(self, by: Operator, data: bytes) -> BundleResult:
        """Add an offline unit's ledger from its bundle, all or nothing.

        Refuses a bundle changed after export, one of another campaign, one
        whose weekly fingerprints no longer match its own chain, and one that
        disagrees with an event this store already holds. The unit's finding
        events and its submissions are stored byte for byte, so they keep
        their recording times and operators; they get new positions here,
        chained by this store. Events already here are not added again, so a
        bundle imported twice adds nothing, and a later bundle of the same
        unit adds only what is new. A record of the import (BundleImport)
        is stored with the events.
        """
        # Limitation: bundles go one way, unit to office. A step recorded here
        # on an offline unit's finding (an acceptance result) makes that unit's
        # next bundle conflict on the finding; a bundle back to the unit would
        # be needed for both sides to go on.
        from domain.bundle import BundleImport, BundleResult, read_bundle

        by = self._authorised(by, Act.IMPORT, "")
        bundle = read_bundle(data)
        if bundle.campaign != self.campaign.id:
            raise BundleCampaignError(bundle.campaign)
        self._known("unit", bundle.unit)
        mine, other_units, left_out = self._units_own(bundle)
        submissions = self._checked_submissions(bundle, mine)
        earlier = self._imports(bundle.unit)
        missing = self._missing_since_last(earlier, mine)
        latest = _latest_import(earlier)
        for attempt in (1, 2):
            new, present = self._not_yet_stored(mine)
            if not new:
                break
            self._check_acceptances(new, mine)
            stamp = self.stamp(by)
            record = BundleImport.record(
                campaign_id=self.campaign.id,
                at=stamp.at,
                operator=stamp.operator,
                operator_unit=stamp.operator_unit,
                on=stamp.today,
                bundle=bundle,
                added=[[str(e.originator_id), e.originator_version] for e in new],
            )
            stored = [self.mapper.to_stored_event(e) for e in record.collect_events()]
            try:
                self.recorder.insert_events([*new, *stored])
            except RecordConflictError:
                # Someone imported at the same moment: look again at what is here.
                if attempt == 2:
                    raise
                continue
            break
        self.catch_up()
        newer: tuple[str, int] | None = None
        early = 0
        if latest is not None:
            moment, exported_at, head = latest
            added: list[Any] = [self.mapper.to_domain_event(s) for s in new]
            early = sum(1 for e in added if hasattr(e, "evolve") and e.timestamp < moment)
            if missing and not new and moment > datetime.fromisoformat(bundle.exported_at):
                newer = (exported_at, head)
                missing = ()  # an older bundle lacks what came later, not what was deleted
        return BundleResult(
            unit=bundle.unit,
            digest=bundle.digest,
            newer=newer,
            early=(latest[1], early) if latest is not None and early else None,
            added=len(new),
            present=present,
            missing=missing,
            other_units=other_units,
            left_out=left_out,
            fingerprint=bundle.fingerprint,
            submissions=tuple(submissions),
        )

    def _check_acceptances(
        self, new: Sequence[StoredEvent], bundled: Sequence[StoredEvent]
    ) -> None:
        """Refuse new acceptance results recorded by someone who may not accept here.

        A unit's own file may have no register, so anybody could accept
        there; with a register here, only those it lets accept count, and
        only stamped with the unit it gives them (a name typed with the
        township's unit on the township's file is not the team's). An
        acceptance taken back (undone) in the unit's file is not counted;
        nor is one imported before (it is here already, for better or worse).
        """
        if not self._register():
            return
        kinds = (get_topic(Finding.AcceptancePassed), get_topic(Finding.AcceptanceFailed))
        undo = get_topic(Finding.ChangeUndone)
        undone = {
            (e.originator_id, e.undone_version)
            for e in map(self.mapper.to_domain_event, (s for s in bundled if s.topic == undo))
        }
        refused = []
        results: list[Any] = [self.mapper.to_domain_event(s) for s in new if s.topic in kinds]
        for e in results:
            if (e.originator_id, e.originator_version) in undone:
                continue
            by = Operator(e.operator, e.operator_unit)
            if not self.may(by, Act.ACCEPT, "") or self.sign_in(e.operator).unit != by.unit:
                refused.append((str(e.originator_id)[:SHORT_ID], e.operator))
        if refused:
            raise BundleAcceptanceError(tuple(refused))

    @staticmethod
    def _missing_since_last(
        earlier: Sequence[Any], events: Sequence[StoredEvent]
    ) -> tuple[tuple[str, int], ...]:
        """Name the events `earlier` imports of the unit added that its bundle
        no longer holds.

        Its file kept them once; now they are gone from it (the chain redone
        to hide that), which only an earlier import can show.
        """
        before = _added(earlier)
        held = {(str(e.originator_id), e.originator_version) for e in events}
        return tuple(
            (oid[:SHORT_ID], version) for oid, version in sorted(before - held)
        )

    def _imports(self, unit: str = "") -> list[Any]:
        """Return the records of bundles imported here (of one unit's, given `unit`)."""
        from domain.bundle import BundleImport

        topic = get_topic(BundleImport.Imported)
        return [e for e in self.events_in_order(topics=(topic,)) if not unit or e.unit == unit]

    def imported_events(self, unit: str = "") -> set[tuple[str, int]]:
        """Return (originator id, version) of every event that came in a bundle
        (of one unit's, given `unit`)."""
        return _added(self._imports(unit))

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

    def check_past(self, moment: datetime) -> None:
        """Refuse a moment still to come: its ledger would be today's under its name."""
        now = self.clock.now()
        if moment > now:
            tz = self.campaign.tz
            raise MomentInFutureError(moment.astimezone(tz), now.astimezone(tz))

    def stamp(self, by: Operator) -> Stamp:
        """Stamp an event with the operator and the clock's moment."""
        at = self.clock.now()
        return Stamp(by.name, by.unit, at, at.astimezone(self.campaign.tz).date())

    def rows(self, query: LedgerQuery | None = None) -> list[FindingState]:
        """Return the current ledger rows that match the query."""
        return self.projection.view.select(query or LedgerQuery())

    def row(self, finding_id: str, moment: datetime | None = None) -> FindingState:
        """Return one finding's current row, or its row as it stood at a moment."""
        if moment is None:
            found = self.projection.view.get_rows([finding_id])
        else:
            query = LedgerQuery(finding_id=finding_id)
            at = Moment.recorded_before(moment)
            found = {s.finding_id: s for s in self.projection.view.select(query, at)}
        if finding_id not in found:
            raise FindingNotFoundError(finding_id)
        return found[finding_id]

    def finding_numbered(self, given: str) -> str:
        """Return the id of the finding a whole id or its first characters name.

        The app shows the first SHORT_ID characters as a finding's 编号; at
        least MIN_ID are needed, and as many as tell it from every other.
        """
        start = given.strip().lower()
        if not re.fullmatch(r"[0-9a-f-]+", start):
            raise FindingNotFoundError(given)
        if len(start) < MIN_ID:
            raise FindingNumberError(given, MIN_ID)
        self.catch_up()
        fits = self.projection.view.ids_starting(start)
        if not fits:
            raise FindingNotFoundError(given)
        if len(fits) > 1 and start not in fits:
            count = len(self.projection.view.ids_starting(start, limit=1000))
            raise FindingNumberError(given, MIN_ID, count)
        return start if start in fits else fits[0]

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
        """List every event of the store, oldest first, filtered."""
        query = query or JournalQuery()
        states = {s.finding_id: s for s in self.rows()}
        # Which unit each unit record or operator is of: later events (a week
        # handed in, a retirement) do not say.
        units: dict[UUID, str] = {}
        entries = []
        for event in self.events_in_order():
            if hasattr(event, "evolve"):
                state = states.get(str(event.originator_id))
                if state is None:
                    continue
                key, unit, statement = state.finding_id, state.reporting_unit, state.statement
            else:
                if getattr(event, "unit", ""):
                    units[event.originator_id] = event.unit
                unit = units.get(event.originator_id) or event.operator_unit
                key, statement = "", ""
            line = _entry(event, self.campaign.tz)
            if not key:
                # Named with its aggregate: a sheet's import and a bundle's are
                # both an `Imported`.
                line = replace(line, kind=type(event).__qualname__)
            entry = JournalEntry(finding_id=key, unit=unit, statement=statement, event=line)
            if query.admits(entry, self.campaign.tz):
                entries.append(entry)
        return entries

    def rows_as_of(
        self, moment: datetime, query: LedgerQuery | None = None
    ) -> list[FindingState]:
        """Return the ledger rows as they stood at a moment, filtered like `rows`."""
        self.catch_up()
        return self.projection.view.select(
            query or LedgerQuery(), Moment.recorded_before(moment)
        )

    def count_rows(
        self, query: LedgerQuery | None = None, moment: datetime | None = None
    ) -> int:
        """Count the rows `rows` (or `rows_as_of` the moment) would return."""
        at = None if moment is None else Moment.recorded_before(moment)
        return self.projection.view.count(query or LedgerQuery(), at)

    def page_rows(
        self,
        offset: int,
        limit: int,
        query: LedgerQuery | None = None,
        moment: datetime | None = None,
        total: int | None = None,
    ) -> list[FindingState]:
        """Return `limit` of those rows from `offset`, for a screen that shows a page.

        `total`, the rows' count if known, lets a page near the end be read
        from the end.
        """
        at = None if moment is None else Moment.recorded_before(moment)
        return self.projection.view.page(query or LedgerQuery(), offset, limit, at, total)

    def index_of_row(
        self,
        finding_id: str,
        query: LedgerQuery | None = None,
        moment: datetime | None = None,
    ) -> int | None:
        """Return where a finding stands among those rows (None if not among them)."""
        at = None if moment is None else Moment.recorded_before(moment)
        return self.projection.view.index_of(query or LedgerQuery(), finding_id, at)

    def week_cutoff(self, week: int) -> datetime:
        """Return the end of a report week: midnight after its last day, in UTC."""
        return self.campaign.week_cutoff(week).astimezone(UTC)

    def states_as_of(self, cutoff: datetime) -> dict[str, FindingState]:
        """Return every finding as it stood, going by what was recorded before the cutoff.

        A finding's events count up to the first one recorded at or after the
        cutoff, so each state is one the finding really had. Read from the
        view's versions, not by replaying the log.
        """
        return self._states_before(cutoff)[0]

    def states_known_on(
        self, day: date, position: int | None = None, unit: str = ""
    ) -> dict[str, FindingState]:
        """Return every finding as now known for a business day, however late recorded.

        With `position`, as known once the log had reached there (what a
        sheet exported then showed); with `unit`, only that unit's findings.
        Findings whose business days never went backwards, and never
        corrected or voided, are read from the view's versions; the rarer
        others are replayed from their own events (domain.audit.replay).
        """
        self.catch_up()
        view = self.projection.view
        odd = view.to_replay(day, position, unit)
        states = {
            s.finding_id: s
            for s in view.select(LedgerQuery(unit=unit), Moment.known_on(day, position))
            if s.finding_id not in odd
        }
        for key in sorted(odd):
            events = self.events.get(self._uuid(key))
            if position is not None:
                then = self._states_at(position, LedgerQuery(finding_id=key))
                reached = then[0].version if then else 0
                events = (e for e in events if e.originator_version <= reached)
            states.update(
                (k, s)
                for k, s in replay(events, business_until=day).items()
                if not unit or s.reporting_unit == unit
            )
        if odd:
            # Replayed ones came last: put every finding back in ledger order.
            first = view.first_positions(unit)
            order = sorted(states.values(), key=lambda s: (s.recorded_at, first.get(s.finding_id, 0)))
            states = {s.finding_id: s for s in order}
        return states

    def week_view(self, week: int, unit: str = "") -> WeekView:
        """Show a report week as reported and as now known, and its change from the last."""
        if week not in self.campaign.report_weeks:
            raise self._unknown_week(week)
        if unit:
            self._known("unit", unit)
        first, last = self.campaign.week_days(week)
        cutoff = self.week_cutoff(week)

        def mine(states: dict[str, FindingState]) -> dict[str, FindingState]:
            return {
                k: s for k, s in states.items() if not unit or s.reporting_unit == unit
            }

        reported = mine(self.states_as_of(cutoff))
        known = mine(self.states_known_on(last, unit=unit))
        previous = mine(self.states_as_of(self.week_cutoff(week - 1)))
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

    def entered_after(self, unit: str, moment: datetime) -> int:
        """Count the unit's findings found by a moment's day but recorded after it.

        A ledger as it stood at that moment (a week's cut-off, a replay)
        cannot hold them, while the ledger as now known by that day does: an
        office entering old papers gets a blank sheet without them. `unit`
        "" counts every unit's.
        """
        day = (moment.astimezone(self.campaign.tz) - timedelta(microseconds=1)).date()

        def live(states: dict[str, FindingState]) -> set[str]:
            return {key for key, s in states.items() if s.status is not Status.WITHDRAWN}

        mine = LedgerQuery(unit=unit)
        reported = live(self._states_before(moment.astimezone(UTC), mine)[0])
        return len(live(self.states_known_on(day, unit=unit)) - reported)

    def week_table(self, unit: str = "") -> list[WeekCounts]:
        """Count every report week's new, completed, accepted and overdue findings.

        New, completed and accepted go by recording time within the week;
        overdue is judged on the week's last day over the ledger as reported
        at its cut-off. Only findings of the unit (as reported) count.
        """
        kinds = ("Recorded", "RectificationCompleted", "AcceptancePassed")
        view = self.projection.view
        counted = []
        for n in self.campaign.report_weeks:
            first, last = self.campaign.week_days(n)
            states = self.states_as_of(self.week_cutoff(n))
            units = {k for k, s in states.items() if not unit or s.reporting_unit == unit}
            tally = dict.fromkeys(kinds, 0)
            for key, kind in view.tally(kinds, self.week_cutoff(n - 1), self.week_cutoff(n)):
                if key in units:
                    tally[kind] += 1
            overdue = sum(1 for k in units if states[k].is_overdue(last))
            counted.append(WeekCounts(n, first, last, *tally.values(), overdue))
        return counted

    def official_sheet(
        self, unit: str, week: int | None = None, *, known: bool = False
    ) -> OfficialSheet:
        """Build the official ledger of one unit, for a report week or as it stands now.

        The sheet carries the fingerprint of the log up to the last event it
        could have used: for a week, the newest event (of any unit) recorded
        before the cut-off, so exporting that week again later gives the same
        fingerprint; as it stands now, the newest event in the log.

        `known` shows a week as now known instead: every step done by its last
        day, however late recorded (papers entered after the campaign), with
        the log's newest event as its fingerprint.
        """
        self._known("unit", unit)
        if known:
            if week not in self.campaign.report_weeks:
                raise self._unknown_week(week)
            last = self.campaign.week_days(week)[1]
            return self.official_sheet_at(unit, self.head(), last, known=True)
        return self.official_sheets(week, [unit])[0]

    def official_sheets(
        self, week: int | None = None, units: Sequence[str] | None = None
    ) -> list[OfficialSheet]:
        """Build the official ledgers of several units from one reading of the log.

        Without `units`, every unit that has a finding on its ledger, in
        campaign order. Each sheet is the one `official_sheet` gives.
        """
        # One unit's sheet reads only its rows; several read them all once.
        query = LedgerQuery(unit=units[0]) if units is not None and len(units) == 1 else None
        standing = self._standing(week, query)
        return self._sheets(
            standing.states, units, standing.day, standing.cutoff, standing.position
        )

    def consolidated(
        self, week: int | None = None
    ) -> tuple[OfficeOverview, list[OfficialSheet]]:
        """Build the office's overview and every unit's official sheet from one reading.

        The same as `office_overview(week)` and `official_sheets(week)`, which
        would each read every row of the ledger: the consolidated workbook.
        """
        standing = self._standing(week)
        overview = self._overview(standing, week)
        sheets = self._sheets(
            standing.states, None, standing.day, standing.cutoff, standing.position
        )
        return overview, sheets

    def _standing(self, week: int | None, query: LedgerQuery | None = None) -> _Standing:
        """Read the findings as they stand now, or as reported by a week's cut-off."""
        if week is None:
            position = self.head()
            return _Standing(self._states_at(position, query), position, self.today(), None)
        if week not in self.campaign.report_weeks:
            raise self._unknown_week(week)
        cutoff = self.week_cutoff(week)
        replayed, position = self._states_before(cutoff, query)
        day = self.campaign.week_days(week)[1]
        return _Standing(list(replayed.values()), position, day, cutoff)

    def official_sheet_at(
        self,
        unit: str,
        position: int,
        report_date: date,
        week: int | None = None,
        *,
        known: bool = False,
    ) -> OfficialSheet:
        """Build again the official ledger of one unit exported at a log position.

        As it stood (`week` None) when the log ended at `position` on
        `report_date`; or for a report week, as exported when the newest event
        recorded before its cut-off was at `position`; or (`known`) as known
        through the business day `report_date` when the log ended at
        `position`. A file's cells can so be checked against the log later.
        """
        self._known("unit", unit)
        if not 0 <= position <= self.head():
            raise PositionOutsideLogError(position, self.head())
        if known:
            states = list(self.states_known_on(report_date, position, unit).values())
            sheet = self._sheets(states, [unit], report_date, None, position)[0]
            return replace(sheet, known_on=report_date)
        if week is None:
            states = self._states_at(position, LedgerQuery(unit=unit))
            return self._sheets(states, [unit], report_date, None, position)[0]
        if week not in self.campaign.report_weeks:
            raise self._unknown_week(week)
        cutoff = self.week_cutoff(week)
        self.catch_up()
        states = self.projection.view.select(
            LedgerQuery(unit=unit), Moment.recorded_before(cutoff, position)
        )
        last = self.campaign.week_days(week)[1]
        return self._sheets(states, [unit], last, cutoff, position)[0]

    def _states_at(
        self, position: int, query: LedgerQuery | None = None
    ) -> list[FindingState]:
        """Every finding (that `query` keeps) as it stood once the log reached a position."""
        self.catch_up()
        view = self.projection.view
        if (view.max_tracking_id(self.name) or 0) == position:
            # The view stands exactly there: its current rows are that state,
            # read without grouping every version, unless a fold (which moves
            # rows and position together) came in between.
            rows = view.select(query or LedgerQuery())
            if (view.max_tracking_id(self.name) or 0) == position:
                return rows
        return view.select(query or LedgerQuery(), Moment.at_position(position))

    def _sheets(
        self,
        states: list[FindingState],
        units: Sequence[str] | None,
        report_date: date,
        cutoff: datetime | None,
        position: int,
    ) -> list[OfficialSheet]:
        every = states  # withdrawn too: their heads may be named in other rows
        states = [s for s in states if s.status is not Status.WITHDRAWN]
        if units is None:
            used = {s.reporting_unit for s in states}
            units = [u for u in self.campaign.all_units if u in used]
            units += sorted(used - set(units))
        order = {c.key: i for i, c in enumerate(self.campaign.categories)}
        states.sort(
            key=lambda s: (order.get(s.category, 99), s.found_on, s.recorded_at)
        )
        fingerprint = self._public_fingerprint(position)
        # Grouped once: a province's 100,000 rows scanned once per unit took
        # a second of its consolidated export.
        by_unit: dict[str, list[FindingState]] = {unit: [] for unit in units}
        for s in states:
            if s.reporting_unit in by_unit:
                by_unit[s.reporting_unit].append(s)
        heads: dict[str, set[str]] = {unit: set() for unit in units}
        for s in every:
            if s.household_head and s.reporting_unit in heads:
                heads[s.reporting_unit].add(s.household_head)
        categories = {c.key: c for c in self.campaign.categories}
        sheets = []
        for unit in units:
            mine = by_unit[unit]
            sheets.append(
                OfficialSheet(
                    title=self.campaign.ledger_title,
                    unit=unit,
                    report_date=report_date,
                    note=self.campaign.note,
                    rows=tuple(
                        self._sheet_row(n, s, report_date, categories)
                        for n, s in enumerate(mine, 1)
                    ),
                    cutoff=cutoff,
                    fingerprint=fingerprint,
                    household_heads=tuple(sorted(heads[unit])),
                )
            )
        return sheets

    def office_overview(self, week: int | None = None) -> OfficeOverview:
        """Show every unit at once: findings by status, overdue, weekly submissions.

        For a report week the findings stand as recorded by its cut-off and
        overdue is judged on its last day, as on that week's sheets; without
        one, as they stand today. Submissions are as known now: a week is
        missing once its cut-off has passed without one.
        """
        standing = self._standing(week)
        return self._overview(standing, week)

    def _overview(self, standing: _Standing, week: int | None) -> OfficeOverview:
        reports = self.unit_reports()
        # A week's overview owes the weeks due by its own cut-off, not by today.
        now = self.clock.now()
        if week is not None:
            now = min(now, self.week_cutoff(week))
        return self._overview_of(
            standing,
            week,
            {r.unit: r.handed_in for r in reports},
            {r.unit: r.sealed_by for r in reports if r.sealed_by},
            now,
        )

    def _overview_of(
        self,
        standing: _Standing,
        week: int | None,
        submitted: Mapping[str, Mapping[int, date]],
        sealed: dict[str, str],
        now: datetime,
    ) -> OfficeOverview:
        """The overview of findings standing so, with these submissions and
        seals, owing the weeks due by `now`."""
        return office.overview(
            standing.states,
            self.campaign.all_units,
            standing.day,
            week,
            self.campaign.report_weeks,
            submitted=submitted,
            due={w for w in self.campaign.owed_weeks if self.week_cutoff(w) <= now},
            sealed=sealed,
            receiving=self.campaign.units.receiving,
            owed=self.campaign.owed_weeks,
            lead_units=self.campaign.responsible_units,
            # What a workbook of it carries: the log it was read from.
            cutoff=standing.cutoff,
            fingerprint=self._public_fingerprint(standing.position),
        )

    def office_overview_at(
        self, position: int, day: date, week: int | None = None
    ) -> OfficeOverview:
        """Build again the office's overview exported on `day` when the log
        ended at `position`: what a workbook's summary tables are checked against.

        The findings as they stood then, judged on `day`; or for a report week
        as recorded by its cut-off, judged on its last day. The weeks handed
        in and the seals recorded by `position`; the weeks due by the start of
        `day` (cut-offs fall at midnight), or by the week's cut-off. A week's
        workbook showed the submissions known when it was written, which no
        position records: those cells are not to be compared.
        """
        if not 0 <= position <= self.head():
            raise PositionOutsideLogError(position, self.head())
        cutoff = None
        if week is None:
            states = self._states_at(position)
            start = datetime.combine(day, time(0), tzinfo=self.campaign.tz)
        else:
            if week not in self.campaign.report_weeks:
                raise self._unknown_week(week)
            cutoff = start = self.week_cutoff(week)
            self.catch_up()
            states = self.projection.view.select(
                LedgerQuery(), Moment.recorded_before(cutoff, position)
            )
            day = self.campaign.week_days(week)[1]
        units = {UnitLedger.id_for(self.campaign.id, u): u for u in self.campaign.all_units}
        topics = (get_topic(UnitLedger.WeekSubmitted), get_topic(UnitLedger.FinalLedgerSealed))
        handed_in: dict[str, dict[int, date]] = {}
        sealed: dict[str, str] = {}
        for event in self.events_in_order(until=position, topics=topics):
            unit = units.get(event.originator_id)
            if unit is None:
                continue
            if isinstance(event, UnitLedger.WeekSubmitted):
                handed_in.setdefault(unit, {}).setdefault(event.week, event.on)
            else:
                sealed[unit] = event.signer
        submitted = {u: dict(sorted(w.items())) for u, w in handed_in.items()}
        standing = _Standing(states, position, day, cutoff)
        return self._overview_of(standing, week, submitted, sealed, start)

    def statistics(self, unit: str = "", week: int | None = None) -> Statistics:
        """Compute the statistics of one unit or all, now or as of a report week.

        As of week N the figures come from the ledger as reported at the
        week's cut-off (`states_as_of`), judged on the week's last day; now,
        from the current rows, judged today. The weekly flow covers the
        report weeks up to that day. Definitions: `domain.statistics`.
        """
        from domain.statistics import statistics

        if unit:
            self._known("unit", unit)
        if week is None:
            day = self.today()
            states = self.rows(LedgerQuery(unit=unit))
        else:
            if week not in self.campaign.report_weeks:
                raise self._unknown_week(week)
            day = self.campaign.week_days(week)[1]
            states = list(self.states_as_of(self.week_cutoff(week)).values())
        return statistics(
            states, day, self.campaign, weeks=self._weeks_begun(day), unit=unit, week=week
        )

    def _weeks_begun(self, day: date) -> list[int]:
        """The report weeks begun by `day` (at least the first): a weekly flow's."""
        weeks = self.campaign.report_weeks
        return [n for n in weeks if self.campaign.week_days(n)[0] <= day] or weeks[:1]

    def screenings(self, unit: str = "") -> list[Screening]:
        """List every check-item screening standing (not undone), oldest first, from the view."""
        # A unit's record is found by its derived id, so no Opened event is read.
        units = {
            UnitLedger.id_for(self.campaign.id, name): name
            for name in ([unit] if unit else self.campaign.all_units)
        }
        rows = self.projection.view.screenings([str(key) for key in units])
        return [
            Screening(
                unit=units[UUID(unit_ledger)],
                category=category,
                check_item=check_item,
                households=households,
                problems_found=problems_found,
                on=date.fromisoformat(on),
                operator=operator,
                recorded_at=datetime.fromisoformat(recorded_at),
            )
            for _, unit_ledger, _, category, check_item, households, problems_found, on,
            operator, recorded_at in rows
        ]  # fmt: skip

    def coverage(self, unit: str = "") -> list[UnitCoverage]:
        """Say for every reporting unit (or one) which check items it has screened.

        A recorded screening counts, and so does a finding recorded under the
        item (withdrawn findings do not). The office and the team, which
        receive reports, screen nothing and are left out unless asked for.
        """
        if unit:
            self._known("unit", unit)
        units = [unit] if unit else self.campaign.reporting_units
        return coverage(
            self.screenings(unit),
            self.rows(LedgerQuery(unit=unit)),
            self.campaign,
            units,
        )

    def final_report(self, unit: str) -> FinalReport:
        """Gather a unit's final ledger, its statistics and coverage, as they stand.

        Only in the campaign's last phase (总结验收): before it there is no
        final ledger to summarise. Acceptance results and rework recorded after
        the seal are included; the sheet's fingerprint says how far the log
        reached, and a sealed sheet names the fingerprint it was sealed at
        and how many of the unit's steps came after.
        """
        from domain.statistics import FinalReport

        self._known("unit", unit)
        final = self.campaign.phases[-1]
        if self.today() < final.start:
            raise FinalReportTooEarlyError(final.name, final.start)

        # The sheet, the figures and the coverage are separate reads; read
        # again while another operator's write lands between them, so all
        # three describe the same events (the view is level with the log at
        # the start of each try, so only a new event can change it).
        for _ in range(FINAL_READ_TRIES):
            self.catch_up()
            head = self.head()
            sheet = self.official_sheet(unit)
            figures = self.statistics(unit)
            covered = self.coverage(unit)[0]
            if self.head() == head and figures.day == sheet.report_date:
                break
        record = self._find_unit_ledger(unit)
        signer = record.sealed_by if record else ""
        if record is not None and signer:
            sealed_at = record.sealed_at
            sheet = replace(
                sheet,
                sealed_by=signer,
                sealed_on=sealed_at.astimezone(self.campaign.tz).date() if sealed_at else None,
                sealed_fingerprint=record.sealed_fingerprint,
                after_seal=self.projection.view.steps_after(unit, record.sealed_position),
            )
        return FinalReport(
            campaign=self.campaign.name,
            unit=unit,
            day=sheet.report_date,
            sheet=sheet,
            statistics=figures,
            coverage=covered,
            categories=tuple((c.key, c.label) for c in self.campaign.categories),
            sealed_by=signer,
        )

    def final_report_at(self, unit: str, position: int, day: date) -> FinalReport:
        """Build again the figures of a unit's final ledger exported at a position.

        Its ledger as it stood when the log ended at `position`, its
        statistics judged on `day` (the file's report day), and its coverage
        from the screenings standing then: what a file's 统计 and 汇总 are
        checked against. The seal's words on the sheet are not rebuilt.
        """
        from domain.statistics import FinalReport, statistics

        sheet = self.official_sheet_at(unit, position, day)
        states = self._states_at(position, LedgerQuery(unit=unit))
        figures = statistics(states, day, self.campaign, weeks=self._weeks_begun(day), unit=unit)
        screened = self._screenings_at(unit, position)
        covered = coverage(screened, states, self.campaign, [unit])[0]
        return FinalReport(
            campaign=self.campaign.name,
            unit=unit,
            day=day,
            sheet=sheet,
            statistics=figures,
            coverage=covered,
            categories=tuple((c.key, c.label) for c in self.campaign.categories),
            sealed_by=sheet.sealed_by,
        )

    def _screenings_at(self, unit: str, position: int) -> list[Screening]:
        """The unit's screenings standing when the log ended at a position, from
        the log (the view keeps only those standing now)."""
        key = UnitLedger.id_for(self.campaign.id, unit)
        topics = (get_topic(UnitLedger.ItemScreened), get_topic(UnitLedger.ScreeningUndone))
        standing: dict[int, Screening] = {}
        for event in self.events_in_order(until=position, topics=topics):
            if event.originator_id != key:
                continue
            if isinstance(event, UnitLedger.ScreeningUndone):
                standing.pop(event.undone_version, None)
                continue
            standing[event.originator_version] = _screening(unit, event)
        return list(standing.values())

    def submissions(self, unit: str = "") -> list[Submission]:
        """List every weekly submission, oldest first."""
        imported = self._imported_submissions()
        found = []
        for name in [unit] if unit else self.campaign.all_units:
            record = self._find_unit_ledger(name)
            if record is None:
                continue
            found += [
                Submission(
                    unit=name, **s, imported=(name, s["week"], s["at"]) in imported
                )
                for s in record.submissions
            ]
        return sorted(found, key=lambda s: s.at)

    def _imported_submissions(self) -> set[tuple[str, int, datetime]]:
        keys = self.imported_events()
        if not keys:
            return set()
        units = {
            str(UnitLedger.id_for(self.campaign.id, u)): u
            for u in self.campaign.all_units
        }
        topic = get_topic(UnitLedger.WeekSubmitted)
        return {
            (units[str(e.originator_id)], e.week, e.timestamp)
            for e in self.events_in_order(topics=(topic,))
            if (str(e.originator_id), e.originator_version) in keys
            and str(e.originator_id) in units
        }

    def unit_reports(self) -> list[UnitReports]:
        """Say for every unit which weeks are in, which are due and missing, and any seal."""
        now = self.clock.now()
        due = [w for w in self.campaign.owed_weeks if self.week_cutoff(w) <= now]
        owing = set(self.campaign.reporting_units)
        reports = []
        for unit in self.campaign.all_units:
            record = self._find_unit_ledger(unit)
            handed_in: dict[int, date] = {}
            for s in record.submissions if record else []:
                handed_in.setdefault(s["week"], s["on"])
            weeks = sorted(handed_in)
            reports.append(
                UnitReports(
                    unit=unit,
                    submitted=tuple(weeks),
                    missing=tuple(w for w in due if w not in weeks and unit in owing),
                    sealed_by=record.sealed_by if record else "",
                    handed_in={w: handed_in[w] for w in weeks},
                )
            )
        return reports

    def sealed_by(self, unit: str) -> str:
        """Return who signed the unit's sealed final ledger, or "" if it is open."""
        record = self._find_unit_ledger(unit)
        return record.sealed_by if record else ""

    # Read model upkeep

    def level_view(
        self, progress: Progress | None = None, cancelled: Cancelled | None = None
    ) -> None:
        """Bring the ledger view level with the log, then check the campaign against it.

        What opening does unless told not to; `progress` and `cancelled` as
        for `catch_up`. A cancel leaves the campaign unchecked. A log that
        ends before the view's position is damage (see `LogShortenedError`):
        the view is left as it is, for verify to report, until a rebuild.
        """
        followed, head = self.projection.view.max_tracking_id(self.name) or 0, self.head()
        if followed > head:
            self.damage = LogShortenedError(followed, head)
            log.error("the log ends at %d, but the view had followed it to %d", head, followed)
            return
        try:
            self.catch_up(progress=progress, cancelled=cancelled)
        except UnreadableEventError as error:
            log.error("the log holds an event that does not decode: %s", error)
        self.check_campaign_fits()

    def behind(self) -> int:
        """Return how many log positions the ledger view has yet to fold in."""
        position = self.projection.view.max_tracking_id(self.name) or 0
        return max(0, self.head() - position)

    def catch_up(
        self,
        batch: int = 1000,
        *,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
    ) -> int:
        """Fold events not yet in the ledger view into it; return how many.

        Each batch is committed with its log position. After each one
        `progress(done, total)` hears how many of the positions the view
        lacked at the start (`behind`) it now holds; before each one
        `cancelled()` is asked, and a yes raises WorkCancelledError. The view
        is then level with the last batch committed, and the next catch-up
        goes on from there.
        """
        view = self.projection.view
        if not view.max_tracking_id(self.name) and self.head():
            # An empty view, on a log: folded whole, as `rebuild` does.
            with self._catch_up_lock:
                folded = self._refold(5 * batch, progress, cancelled, "catch_up")
            if folded is not None:
                return folded + self.catch_up(batch)
        done = 0
        with self._catch_up_lock:
            first = view.max_tracking_id(self.name) or 0
            steps = Steps("catch_up", self.head() - first, progress, cancelled)
            while True:
                start = view.max_tracking_id(self.name) or 0
                notes = self.recorder.select_notifications(
                    start=start, limit=batch, inclusive_of_start=False
                )
                if not notes:
                    break
                steps.done = start - first
                steps.report()
                entries: list[tuple[int, Any]] = []
                try:
                    for note in notes:
                        entries.append((note.id, self.mapper.to_domain_event(note)))
                except UnreadableEventError as error:
                    # Fold what precedes it, so the view shows all that can be read.
                    self.damage = error
                    if entries:
                        self.projection.process_batch(
                            entries, Tracking(self.name, entries[-1][0]), start
                        )
                    raise
                last = notes[-1].id
                steps.total = max(steps.total, last - first)
                if self.projection.process_batch(
                    entries, Tracking(self.name, last), start
                ):
                    done += len(notes)
        if progress is not None and steps.total:
            progress(steps.total, steps.total)
        if done:
            log.debug("ledger view folded in %d events", done)
        return done

    def rebuild(
        self,
        batch: int = 5000,
        *,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
    ) -> int:
        """Empty the ledger view and fold the whole log into it again; return how many.

        For a view that may be wrong: a table changed by hand, or a fold
        since corrected. The events are not touched. One transaction (see
        `LedgerRows.refolding`): `progress` hears how far it is after every
        `batch` events, and a rebuild stopped half-way (cancelled,
        interrupted, crashed) leaves the view as it was before.
        """
        with self._catch_up_lock:
            done = self._refold(batch, progress, cancelled, "rebuild", anew=True)
        assert done is not None
        return done + self.catch_up(batch)

    def _refold(
        self,
        batch: int,
        progress: Progress | None,
        cancelled: Cancelled | None,
        work: str,
        *,
        anew: bool = False,
    ) -> int | None:
        """Empty the ledger view and fold the log into it in one transaction.

        Returns how many events were folded, or None, changing nothing, when
        the view was not empty (unless `anew`): another process folded it
        meanwhile. Progress and cancel as for `catch_up`, but a cancel leaves
        the view as it was before. An event that no longer decodes ends the
        fold there, which is then kept, and is raised.
        """
        view = self.projection.view
        steps = Steps(work, self.head(), progress, cancelled)
        steps.start()
        damage: UnreadableEventError | None = None
        folded = 0
        with view.refolding(self.name, anew=anew) as fold:
            if fold is None:
                return None
            try:
                for entries in self._event_batches(batch):
                    fold(entries)
                    folded += len(entries)
                    steps.done = entries[-1][0]
                    steps.total = max(steps.total, steps.done)
                    steps.report()
            except UnreadableEventError as error:
                damage = self.damage = error
        log.info("ledger view folded anew: %d events", folded)
        if damage is not None:
            raise damage
        self.damage = None  # the view now ends where the log does
        return folded

    def head(self) -> int:
        """Return the position of the newest event in the log (0 when empty)."""
        return self.recorder.max_notification_id() or 0

    # Tamper evidence

    def fingerprint(self, position: int | None = None) -> Fingerprint:
        """Return the fingerprint of the log up to a position (default: the newest).

        Hand out `str(fingerprint)`; `verify` later says whether the log up to
        that position is still as it was.
        """
        from domain.verify import Fingerprint

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
        from domain.verify import verify_log

        with self._chain().read_log() as log_:
            report = verify_log(log_, fingerprints, files)
        followed = self.projection.view.max_tracking_id(self.name) or 0
        if followed > report.head:
            return replace(report, view_followed=followed)
        if not report.intact:
            return report  # the log itself is wrong: the view cannot be judged by it
        try:
            if isinstance(self.damage, UnreadableEventError):
                raise self.damage
            differs = self._check_view()
        except UnreadableEventError as error:
            # The chain agrees with an event that does not decode: it was
            # recomputed over the edit, which only a fingerprint handed out
            # earlier can show.
            log.error("verify could not fold the log to check the view: %s", error)
            self.damage = error
            return replace(report, unreadable=(error.position, error.finding_id, error.version))
        return replace(report, view_differs=tuple(differs))

    def _check_view(self) -> list[str]:
        """Fold the log afresh into a scratch view and name what the view has otherwise.

        The screens and exports read the view, not the log, so a view edited
        outside the app would mislead them while the log verifies. Versions
        and moments are compared up to the view's position; current rows with
        each finding's newest version. Returns the findings that differ ("" for
        a moment).
        """
        self.catch_up()
        view = self.projection.view
        upto = view.max_tracking_id(self.name) or 0
        with tempfile.TemporaryDirectory() as folder:
            factory = SQLiteFactory({"SQLITE_DBNAME": str(Path(folder) / "view.sqlite")})
            scratch = factory.tracking_recorder(LedgerView)
            assert isinstance(scratch, LedgerView)
            scratch.extra_terms = self._category_terms  # type: ignore[method-assign]
            with scratch.refolding(self.name) as fold:
                assert fold is not None  # a new file is empty
                for entries in self._event_batches(5000, until=upto):
                    fold(entries)
            differs = set(view.rows_unlike_versions())
            differs.update(_unmatched(view.logged_rows(upto), scratch.logged_rows(upto)))
            factory.close()
        if differs:
            log.warning("the ledger view differs from the log for %d findings", len(differs))
        return sorted(differs)

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
        self,
        batch: int = 1000,
        *,
        until: int | None = None,
        topics: tuple[str, ...] = (),
        after: int = 0,
    ) -> Iterator[tuple[int, Any]]:
        last = after
        while True:
            notes = self.recorder.select_notifications(
                start=last,
                limit=batch,
                stop=until,
                topics=topics,
                inclusive_of_start=False,
            )
            for note in notes:
                yield note.id, self.mapper.to_domain_event(note)
            if len(notes) < batch:
                # A short batch is the last: another query would only scan
                # the rest of the log to find nothing.
                return
            last = notes[-1].id

    def _event_batches(
        self, size: int, *, until: int | None = None
    ) -> Iterator[list[tuple[int, Any]]]:
        """Yield the log's (position, event) pairs in order, `size` at a time.

        An event that no longer decodes ends the batch before it, which is
        yielded first; its error is raised after.
        """
        entries: list[tuple[int, Any]] = []
        try:
            for entry in self._all_events(size, until=until):
                entries.append(entry)
                if len(entries) == size:
                    yield entries
                    entries = []
        except UnreadableEventError:
            if entries:
                yield entries
            raise
        if entries:
            yield entries

    def _states_before(
        self, cutoff: datetime, query: LedgerQuery | None = None
    ) -> tuple[dict[str, FindingState], int]:
        """Read the states as states_as_of does, and say how far the log reached then.

        The position returned is the newest one whose event was recorded
        before the cutoff (0 when none was), whatever `query` keeps.
        """
        self.catch_up()
        view = self.projection.view
        states = view.select(query or LedgerQuery(), Moment.recorded_before(cutoff))
        return {s.finding_id: s for s in states}, view.position_before(cutoff)

    def _chain(self) -> EventChain:
        # Both stores keep one (domain.chain, domain.pgstore); an in-memory
        # store or one opened with another recorder does not.
        if not isinstance(self.recorder, EventChain):
            raise NotImplementedError("this store keeps no event chain")
        return self.recorder

    def _public_fingerprint(self, position: int) -> str | None:
        if not isinstance(self.recorder, EventChain):
            return None
        return str(self.fingerprint(position))

    def _sheet_row(
        self, number: int, s: FindingState, today: date, categories: Mapping[str, Category]
    ) -> SheetRow:
        """One finding's row on its unit's sheet; `categories` by their keys."""
        category = categories.get(s.category) or self.campaign.category(s.category)
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
            effect=s.effect,
            accepted_on=s.accepted_on,
            village=s.village,
            household_head=s.household_head,
            household_kind=s.household_kind,
            source=s.source,
            inspector=s.inspector,
            acceptance_remarks=s.acceptance_opinion,
            on_time=s.on_time,
            extensions=s.extensions,
        )

    def _change(
        self,
        by: Operator,
        finding_id: str,
        version: int,
        command: Callable[[Finding, Stamp], None],
        *,
        step: str,
        act: Act = Act.CHANGE,
        responsible_too: bool = False,
    ) -> None:
        """Run a command on a finding at the version the operator saw, and save it.

        `step` names the event the command records, for what a sealed unit's
        finding still takes (`check_seal`); an undo is judged by the step it
        takes back.
        """
        finding = self._get(finding_id)
        by = self._authorised(by, act, self.acting_for(by, finding.state, responsible_too))
        if finding.version != version:
            # Bring the view level first, so whoever reloads sees that change.
            self.catch_up()
            raise ConcurrentChangeError(finding_id)
        self._check_seal(finding, step)
        command(finding, self.stamp(by))
        self._save(finding)

    def _check_seal(self, finding: Finding, step: str) -> None:
        """Refuse a step its unit's seal no longer allows; an undo goes as its step."""
        kind = finding.last.kind if step == Finding.ChangeUndone.__name__ else step
        self.check_seal(finding.state, kind)

    def check_seal(self, state: FindingState, step: str) -> None:
        """Refuse a step (an event's kind) that the seal of the finding's unit forbids.

        A finding on the sealed ledger takes only what
        domain.finding.taken_after_seal names. One recorded after the seal —
        only a problem an acceptance spot-check found can be — is not on it,
        and takes every step.
        """
        if taken_after_seal(state, step):
            return  # without reading the unit's record
        unit = state.reporting_unit
        record = self._find_unit_ledger(unit)
        if record is None or not record.sealed_by:
            return
        if record.sealed_at is not None and state.recorded_at > record.sealed_at:
            return
        raise UnitSealedError(unit)

    def _save(self, aggregate: Aggregate) -> None:
        try:
            self.save(aggregate)
        except RecordConflictError as error:
            self.catch_up()
            raise ConcurrentChangeError(str(aggregate.id)) from error
        try:
            self.catch_up()
        except StoreBusyError:
            # The events are stored; saying otherwise would invite a second
            # entry. The view follows at the next catch-up (the screen polls).
            log.warning("saved, but the ledger view is behind: the store is busy")

    def _register(self) -> dict[UUID, StaffEntry]:
        """Return the operator register, reading only the log not yet read."""
        with self._staff_lock:
            head = self.head()
            if head > self._staff_seen:
                topics = tuple(
                    get_topic(kind)
                    for kind in (
                        StaffMember.Registered,
                        StaffMember.Assigned,
                        StaffMember.Retired,
                    )
                )
                for _, event in self._all_events(
                    until=head, topics=topics, after=self._staff_seen
                ):
                    fold_staff(self._staff, event)
                self._staff_seen = head
            return dict(self._staff)

    def _entry(self, name: str) -> StaffEntry:
        for entry in self._register().values():
            if entry.name == name.strip():
                if not entry.active:
                    raise OperatorRetiredError(entry.name)
                return entry
        raise OperatorNotRegisteredError(name.strip())

    def _authorised(self, by: Operator, act: Act, unit: str) -> Operator:
        """Return the operator as registered, if their role allows the act.

        With an empty register everybody may do everything, as before roles.
        """
        if not self._register():
            return by
        entry = self._entry(by.name)
        if not permits(entry, act, unit):
            raise NotPermittedError(
                entry.name, str(entry.role), entry.unit, str(act), unit
            )
        return Operator(entry.name, entry.unit, str(entry.role))

    def _find_staff(self, name: str) -> StaffMember | None:
        try:
            member: StaffMember = self.repository.get(
                StaffMember.id_for(self.campaign.id, name.strip())
            )
        except AggregateNotFoundError:
            return None
        return member

    def _staff_member(self, name: str) -> StaffMember:
        member = self._find_staff(name)
        if member is None:
            raise OperatorNotRegisteredError(name.strip())
        return member

    def _keep_an_office(self, member: StaffMember) -> None:
        if not (member.active and member.role is Role.OFFICE):
            return
        others = [
            e
            for e in self._register().values()
            if e.active and e.role is Role.OFFICE and e.name != member.name
        ]
        if not others:
            raise LastOfficeError(member.name)

    @staticmethod
    def _role(text: str) -> Role:
        try:
            return Role(text.strip())
        except ValueError:
            raise UnknownValueError("role", text) from None

    def _units_own(
        self, bundle: Bundle
    ) -> tuple[list[StoredEvent], tuple[tuple[str, int], ...], int]:
        """Pick the unit's findings and its submissions out of a bundle's rows.

        Returns them in log order, with the other units' findings left out
        (how many, by unit) and how many rows besides were left out.
        """
        from domain.bundle import stored_values

        decoded = []
        for row in bundle.rows:
            originator_id, version, topic, state = stored_values(row)
            stored = StoredEvent(originator_id, version, topic, state)
            try:
                event = self.mapper.to_domain_event(stored)
            except Exception:  # an unknown topic or a state that does not decode
                log.info("bundle row %d does not decode", row.position, exc_info=True)
                raise BundleFormatError("event") from None
            decoded.append((stored, event))
        reported = {
            e.originator_id: e.reporting_unit
            for _, e in decoded
            if isinstance(e, Finding.Recorded)
        }
        ledger_id = UnitLedger.id_for(self.campaign.id, bundle.unit)
        mine = [
            stored
            for stored, e in decoded
            if e.originator_id == ledger_id
            or (
                isinstance(e, Finding.Event)
                and reported.get(e.originator_id) == bundle.unit
            )
        ]
        versions: dict[UUID, list[int]] = {}
        for stored in mine:
            versions.setdefault(UUID(str(stored.originator_id)), []).append(
                stored.originator_version
            )
        if any(v != list(range(1, len(v) + 1)) for v in versions.values()):
            raise BundleFormatError("versions")
        others = {key: unit for key, unit in reported.items() if unit != bundle.unit}
        theirs = sum(1 for _, e in decoded if e.originator_id in others)
        by_unit = Counter(others.values())
        return mine, tuple(sorted(by_unit.items())), len(decoded) - len(mine) - theirs

    def _checked_submissions(
        self, bundle: Bundle, mine: Sequence[StoredEvent]
    ) -> list[tuple[int, str]]:
        """Check every submitted week's fingerprint against the bundle's chain."""
        from domain.bundle import chain_of, link_matches

        links = chain_of(bundle.rows)
        weeks = []
        for stored in mine:
            event = self.mapper.to_domain_event(stored)
            if isinstance(event, UnitLedger.WeekSubmitted) and event.fingerprint:
                if not link_matches(links, event.fingerprint):
                    raise BundleSubmissionError(event.week, event.fingerprint)
                weeks.append((event.week, event.fingerprint))
        return weeks

    def _not_yet_stored(
        self, events: Sequence[StoredEvent]
    ) -> tuple[list[StoredEvent], int]:
        """Split a bundle's events into those to add and a count of those here.

        An event here with other content than the bundle's is a conflict.
        """
        new, present = [], 0
        held: dict[Any, dict[int, StoredEvent]] = {}
        for event in events:
            key = event.originator_id
            if key not in held:
                held[key] = {
                    e.originator_version: e for e in self.recorder.select_events(key)
                }
            mine = held[key].get(event.originator_version)
            if mine is None:
                new.append(event)
            elif (mine.topic, bytes(mine.state)) == (event.topic, bytes(event.state)):
                present += 1
            else:
                raise BundleConflictError(str(key), event.originator_version)
        return new, present

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

    def _new_finding(
        self, stamp: Stamp, new: NewFinding, *, planned_on: date | None = None
    ) -> Finding:
        """Check a new finding against the campaign and build it, unsaved.

        `planned_on` is the business day of its plan (default: the stamp's day).
        """
        category = self._category_key(new.category)
        item_count = len(self.campaign.category(category).items)
        if not 1 <= new.check_item <= item_count:
            raise UnknownValueError("check_item", str(new.check_item), _numbers(item_count))
        self._check_campaign_day("found_on", new.found_on)
        self._check_reporting(new.reporting_unit)
        if new.source != SPOT_CHECK_SOURCE and self.sealed_by(new.reporting_unit):
            # A spot-check's finding is entered after the seal, off the sealed ledger.
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
            remarks=new.remarks,
        )
        if new.has_plan:
            self._plan(
                finding,
                stamp,
                new.measures,
                new.deadline,
                new.responsible_unit,
                new.responsible_leader,
                on=planned_on,
            )
        return finding

    def _check_import(
        self, stamp: Stamp, sheet: ImportSheet, chosen_unit: str, steps: Steps
    ) -> tuple[ImportResult, list[Finding]]:
        """Check a sheet's rows; build, unsaved, the findings of the good ones.

        Each row is two steps: its check, and building its finding.
        """
        by = Operator(stamp.operator, stamp.operator_unit)
        unit = self._import_unit(sheet, chosen_unit, self._own_unit(by))
        self._authorised(by, Act.RECORD, unit)
        if self.sealed_by(unit):
            raise UnitSealedError(unit)
        self._choice("source", IMPORT_SOURCE, self.campaign.sources)
        if not sheet.rows:
            raise NothingToImportError(sheet.file_name)
        if sheet.report_day is not None:
            # Found days are reckoned from it: one outside the campaign would
            # quietly leave every row at its deadline instead.
            day = sheet.report_day
            first, last = self.campaign.first_day, self.campaign.last_day
            if not first <= day <= last:
                raise DateOutsideCampaignError("report_day", day, first, last)

        # Another process may have recorded some of these rows since the view
        # last followed the log.
        self.catch_up()
        recorded = {
            same_statement(s.statement): s
            for s in self.rows(LedgerQuery(unit=unit))
            if s.status is not Status.WITHDRAWN
        }
        first_row: dict[str, int] = {}
        problems: dict[int, list[RowProblem]] = {}
        values: dict[int, tuple[str, int, str]] = {}
        steps.start()
        for row in sheet.rows:
            found, checked = self._row_problems(row)
            key = same_statement(row.statement)
            earlier = first_row.setdefault(key, row.number) if key else row.number
            if key in recorded:
                same = recorded[key]
                duplicate = DuplicateFindingError(
                    row.statement, same.finding_id,
                    source_ref=same.source_ref, found_on=same.found_on,
                    differences=self._differences(row, same),
                )
                found.append(RowProblem(row.number, "statement", duplicate))
            elif earlier != row.number:
                duplicate = DuplicateFindingError(row.statement, row=earlier)
                found.append(RowProblem(row.number, "statement", duplicate))
            problems[row.number] = found
            if checked is not None:
                values[row.number] = checked
            steps.step()

        good = [row for row in sheet.rows if not problems[row.number]]
        # Found by the report day, today, and the campaign's last day: entered
        # years later, a sheet without a report day was otherwise "found" on a
        # deadline after the campaign, and refused for a day it never gave.
        latest = min(sheet.report_day or stamp.today, stamp.today, self.campaign.last_day)
        days = found_days(
            (
                (row.number, values[row.number][0], row.deadline, row.found_on)
                for row in good
            ),
            latest,
        )
        built: dict[int, Finding] = {}
        # Bad rows build nothing: their second steps are done at once.
        steps.step(len(sheet.rows) - len(good))
        for row in good:
            category, item, responsible = values[row.number]
            day = days[row.number]
            new = NewFinding(
                reporting_unit=unit,
                category=category,
                check_item=item,
                nature=row.nature,
                statement=row.statement,
                found_on=day,
                cause=row.cause,
                village=row.village,
                household_head=row.household_head,
                household_kind=row.household_kind,
                source=IMPORT_SOURCE,
                source_ref=f"{sheet.file_name} 第{row.number}行",
                measures=row.measures,
                deadline=row.deadline,
                responsible_unit=responsible,
                responsible_leader=row.responsible_leader,
                remarks=row.remarks,
            )
            # The plan was there by the report day, and by its own deadline.
            planned = min(latest, row.deadline) if row.deadline else latest
            try:
                built[row.number] = self._new_finding(
                    stamp, new, planned_on=max(day, planned)
                )
            except LedgerError as error:
                field = getattr(error, "field", "")
                field = field if isinstance(field, str) else ""
                problems[row.number].append(RowProblem(row.number, field, error))
            steps.step()

        result = ImportResult(
            sheet=sheet,
            unit=unit,
            rows=tuple(
                CheckedRow(
                    number=row.number,
                    statement=row.statement,
                    found_on=days.get(row.number),
                    check_item=values[row.number][1] if row.number in values else 0,
                    problems=tuple(problems[row.number]),
                )
                for row in sheet.rows
            ),
            previous=self._previous_import(sheet.digest),
            as_of=latest,
        )
        return result, [built[row.number] for row in result.good]

    def _row_problems(
        self, row: ImportRow
    ) -> tuple[list[RowProblem], tuple[str, int, str] | None]:
        """Check one row's fields on their own; all problems, not only the first.

        Returns the problems and, when the category, check item and
        responsible unit are good, their campaign values.
        """
        found = list(row.problems)
        read = {problem.field for problem in row.problems}

        def check(field: str, value: Any) -> Any:
            if field in read:
                return None  # already refused as read (a day, an error cell)
            try:
                return value()
            except LedgerError as error:
                found.append(RowProblem(row.number, field, error))
                return None

        category = check("category", lambda: self._category_key(row.category))
        item = None
        if category is not None:
            item = check("check_item", lambda: self._import_item(category, row))
        check("nature", lambda: self._nature(row.nature))
        check("statement", lambda: required_text("statement", row.statement))
        # A row with none of the plan's cells is a finding not yet planned;
        # with any of them, the plan needs them all.
        responsible: str | None = ""
        planned = row.measures.strip() or row.responsible_unit.strip()
        if planned or row.deadline is not None or "deadline" in read:
            check("measures", lambda: required_text("measures", row.measures))
            if row.deadline is not None:
                check("deadline", lambda: self._check_deadline_day(row.deadline))
            elif "deadline" not in read:
                missing = UnknownValueError("deadline", "")
                found.append(RowProblem(row.number, "deadline", missing))
            responsible = check(
                "responsible_unit", lambda: self._unit_named(row.responsible_unit)
            )
        check("cause", lambda: optional_text("cause", row.cause))
        check("village", lambda: optional_text("village", row.village))
        head = row.household_head
        check("household_head", lambda: optional_text("household_head", head))
        check(
            "household_kind",
            lambda: self._choice(
                "household_kind", row.household_kind, self.campaign.household_kinds
            ),
        )
        check("remarks", lambda: optional_text("remarks", row.remarks))
        check(
            "responsible_leader",
            lambda: optional_text("responsible_leader", row.responsible_leader),
        )
        if category is None or item is None or responsible is None:
            return found, None
        return found, (category, item, responsible)

    def _differences(
        self, row: ImportRow, state: FindingState
    ) -> tuple[tuple[str, Any, Any], ...]:
        """Name the cells where a row repeating a recorded finding says otherwise.

        Returns (field, the sheet's value, the ledger's value) for each. Only
        cells the sheet fills are compared: a blank cell of a hand-kept sheet
        is more likely not filled in than cleared. Names are compared as the
        ledger takes them (共性 is 共性问题), texts without spaces or breaks.
        """
        found: list[tuple[str, Any, Any]] = []
        for name in COMPARED_ON_REIMPORT:
            given, held = getattr(row, name), getattr(state, name)
            if isinstance(given, str):
                if not given.strip() or self._as_recorded(name, given) == _bare(held):
                    continue
                if name == "category":
                    held = self._category_label(held)
            elif given is None or given == held:
                continue
            found.append((name, given, held))
        return tuple(found)

    def _as_recorded(self, field: str, text: str) -> str:
        """Return a sheet's text as the ledger would record it, without spaces."""
        try:
            if field == "category":
                return self._category_key(text)
            if field == "nature":
                return self._nature(text)
        except UnknownValueError:
            pass
        name = _bare(text)
        if field == "responsible_unit" and f"市{name}" in self.campaign.all_units:
            return f"市{name}"
        return name

    def _category_label(self, key: str) -> str:
        try:
            return self.campaign.category(key).label
        except KeyError:
            return key

    def _import_item(self, category: str, row: ImportRow) -> int:
        """Return the check item a row names: its number, or its text, or the default."""
        text = "".join(row.check_item.split())
        if not text:
            return DEFAULT_CHECK_ITEM
        items = ["".join(item.split()) for item in self.campaign.category(category).items]
        number = re.match(r"(\d+)(?:[.．、]|$)", text)
        if number and 1 <= int(number.group(1)) <= len(items):
            return int(number.group(1))
        for index, item in enumerate(items, 1):
            if text == item or (len(text) >= 4 and text in item):
                return index
        raise UnknownValueError("check_item", row.check_item, _numbers(len(items)))

    def _unit_named(self, text: str) -> str:
        """Return the responsible unit a sheet names, also when it drops the 市 prefix.

        Only the campaign's responsible units (the categories' lead units)
        may be named, as the form offers: a township named here could then
        complete another unit's finding. A refusal lists the units the name
        is part of, or else all of them.
        """
        name = "".join(text.split())
        units = self.campaign.responsible_units
        if name and name not in units and f"市{name}" in units:
            return f"市{name}"
        if name not in units:
            meant = tuple(u for u in units if name and name in u)
            raise UnknownValueError("responsible_unit", name, meant or tuple(units))
        return name

    def _own_unit(self, by: Operator) -> str:
        """The unit a registered unit's operator works for; else "".

        Before anyone is registered an operator's unit is only what the edge
        assumed (the first township, say), too weak to file a sheet under.
        """
        if not self._register():
            return ""
        entry = self._entry(by.name)
        return entry.unit if entry.role is Role.UNIT else ""

    def _import_unit(self, sheet: ImportSheet, chosen: str, own: str) -> str:
        """Which unit a sheet's rows are for: the one chosen, or the sheet's unit
        line, or else the operator's own unit (`own`, "" for none)."""
        written = "".join(sheet.unit.split())
        chosen = chosen.strip() or ("" if written else own)
        if chosen:
            self._known("unit", chosen)
            # A unit line with a typo may be overruled; another real unit may not.
            if written and written != chosen and written in self.campaign.all_units:
                raise UnitMismatchError(written, chosen)
            return self._check_reporting(chosen)
        if not written:
            raise UnitNotGivenError(sheet.file_name)
        return self._check_reporting(self._known("unit", written))

    def _check_reporting(self, unit: str) -> str:
        """Refuse a finding for a unit that receives the ledgers: it holds none."""
        if unit in self.campaign.units.receiving:
            raise NotReportingUnitError(unit, "record")
        return unit

    def imported(self, sheet: ImportSheet) -> PreviousImport | None:
        """Say when, by whom and with how many findings this file was imported, if it was."""
        return self._previous_import(sheet.digest)

    def _previous_import(self, digest: str) -> PreviousImport | None:
        try:
            record: ImportedFile = self.repository.get(
                ImportedFile.id_for(self.campaign.id, digest)
            )
        except AggregateNotFoundError:
            return None
        previous = record.previous()
        # In the campaign's zone, so a refusal can name the local time.
        return replace(previous, at=previous.at.astimezone(self.campaign.tz))

    @staticmethod
    def _already_imported(
        sheet: ImportSheet, previous: PreviousImport
    ) -> AlreadyImportedError:
        return AlreadyImportedError(
            sheet.file_name,
            previous.file_name,
            previous.at,
            previous.operator,
            previous.findings,
        )

    def _plan(
        self,
        finding: Finding,
        stamp: Stamp,
        measures: str,
        deadline: date | None,
        responsible_unit: str,
        responsible_leader: str,
        *,
        on: date | None = None,
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
            on=on,
        )

    def _check_item(self, category: str, value: Any) -> int:
        """Return a check item number of the category; a form gives it as text."""
        items = self.campaign.category(category).items
        text = str(value).strip()
        if not (text.isdecimal() and 1 <= int(text) <= len(items)):
            raise UnknownValueError("check_item", str(value), _numbers(len(items)))
        return int(text)

    def _category_key(self, text: str) -> str:
        try:
            return self.campaign.category(text.strip()).key
        except KeyError:
            labels = tuple(c.label for c in self.campaign.categories)
            raise UnknownValueError("category", text, labels) from None

    def _nature(self, text: str) -> str:
        try:
            return self.campaign.nature(text.strip())
        except KeyError:
            raise UnknownValueError("nature", text, tuple(self.campaign.natures)) from None

    def _unknown_week(self, week: int) -> UnknownValueError:
        """The refusal of a week the campaign does not report, naming those it does."""
        return UnknownValueError(
            "week", str(week), tuple(str(n) for n in self.campaign.report_weeks)
        )

    def _known(self, field: str, unit: str) -> str:
        units = self.campaign.all_units
        if unit not in units:
            # A name typed in part (褚河) names the units it could be, if few;
            # one misspelt (褚河镇, 市住建委), those it is closest to.
            meant = tuple(u for u in units if unit.strip() and unit.strip() in u)
            if not meant:
                import difflib

                meant = tuple(difflib.get_close_matches(unit.strip(), units, n=3, cutoff=0.5))
            raise UnknownValueError(field, unit, meant if len(meant) <= 5 else ())
        return unit

    @staticmethod
    def _choice(field: str, value: str, allowed: list[str]) -> str:
        value = value.strip()
        if value and value not in allowed:
            raise UnknownValueError(field, value, tuple(allowed))
        return value

    def _check_campaign_day(self, field: str, day: date, *, to_the_end: bool = True) -> None:
        """Refuse a day before the campaign or (`to_the_end`) after its last day.

        A day between today and the campaign's end is left to the aggregate,
        which refuses it as still to come.
        """
        first, last = self.campaign.first_day, self.campaign.last_day
        if day < first or (to_the_end and day > last):
            raise DateOutsideCampaignError(field, day, first, min(last, self.today()))

    def _check_deadline_day(self, day: date) -> None:
        # A finding found on the campaign's last day still gets a year; its
        # papers entered years later do not move the bound.
        first = self.campaign.first_day
        last = self.campaign.last_day + DEADLINE_HORIZON
        if not first <= day <= last:
            raise DateOutsideCampaignError("deadline", day, first, last)

    def _category_terms(self, state: FindingState) -> list[str]:
        try:
            category = self.campaign.category(state.category)
        except KeyError:
            return []
        return [category.name, category.label]


# The cells of a sheet's row compared with the finding it repeats.
COMPARED_ON_REIMPORT = (
    "category",
    "nature",
    "found_on",
    "village",
    "household_head",
    "household_kind",
    "cause",
    "measures",
    "deadline",
    "responsible_unit",
    "responsible_leader",
)


def _bare(value: Any) -> str:
    """Return a value as text without any whitespace, to compare as written."""
    return "".join(str(value or "").split())


def _per_row(progress: Progress | None) -> Progress | None:
    """Report an import's steps (two passes over every row) as rows."""
    if progress is None:
        return None
    return lambda done, total: progress(done // 2, total // 2)


def _added(imports: Iterable[Any]) -> set[tuple[str, int]]:
    """(originator id, version) of every event these bundle imports added."""
    return {(str(oid), int(version)) for e in imports for oid, version in e.added}


def _latest_import(imports: Iterable[Any]) -> tuple[datetime, str, int] | None:
    """The export moment (as a moment, and as recorded) and the unit-store head
    of the latest-exported of these bundle imports."""
    return max(
        ((datetime.fromisoformat(e.exported_at), e.exported_at, e.source_head) for e in imports),
        default=None,
    )


def _screening(unit: str, event: UnitLedger.ItemScreened) -> Screening:
    return Screening(
        unit=unit,
        category=event.category,
        check_item=event.check_item,
        households=event.households,
        problems_found=event.problems_found,
        on=event.on,
        operator=event.operator,
        recorded_at=event.timestamp,
    )


def _unmatched(
    mine: Iterator[tuple[Any, str, tuple[Any, ...]]],
    right: Iterator[tuple[Any, str, tuple[Any, ...]]],
) -> set[str]:
    """Merge two streams sorted by key; name the owners of rows not in both alike."""
    differs: set[str] = set()
    a, b = next(mine, None), next(right, None)
    while a is not None or b is not None:
        if b is None or (a is not None and a[0] < b[0]):
            differs.add(a[1])  # type: ignore[index]
            a = next(mine, None)
        elif a is None or b[0] < a[0]:
            differs.add(b[1])
            b = next(right, None)
        else:
            if a != b:
                differs.update((a[1], b[1]))
            a, b = next(mine, None), next(right, None)
    return differs


class CheckedMapper(Mapper[UUID]):
    """Decode stored events, naming one that no longer decodes in the domain's terms."""

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        try:
            return super().to_domain_event(stored_event)
        except Exception as error:
            raise UnreadableEventError(
                getattr(stored_event, "id", None),
                str(stored_event.originator_id),
                stored_event.originator_version,
            ) from error


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


# The library's name for the table of stored events, which every store has.
EVENTS_TABLE = "stored_events"


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
        "CIPHER_TOPIC": _cipher_topic() if key else "",
        "CIPHER_KEY": checked_key(key) if key else "",
    }


def _cipher_topic() -> str:
    # Imported for an encrypted store only: the cipher library is slow to load.
    from eventsourcing.cryptography import AESCipher

    return get_topic(AESCipher)


def open_ledger(
    campaign: Campaign,
    store: Path | str | None = None,
    clock: Clock | None = None,
    key: str | None = None,
    *,
    level: bool = True,
) -> Ledger:
    """Open (creating on first use) the store of a campaign.

    A `postgresql://` URL opens that shared database (domain.store); anything
    else is the embedded SQLite file. The default file's folder is created; a
    given path's folder must exist.
    The store file is created readable by its owner only. `key` encrypts the
    events (see `sqlite_env`); a store must always be opened with its key.
    With `level` False the caller brings the view level (`Ledger.level_view`).
    """
    if isinstance(store, str) and is_postgres_url(store):
        env = postgres_env(store)
        check_reachable(store, env)
        return Ledger(campaign, env=env, clock=clock, level=level)
    path = Path(store) if store else default_store_path()
    if store is None:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    check_is_store(path, EVENTS_TABLE)
    make_private(path)
    return Ledger(campaign, env=sqlite_env(path, key), clock=clock, level=level)


def _numbers(count: int) -> tuple[str, ...]:
    """The check item numbers a category has, as a refusal lists them."""
    return tuple(str(n) for n in range(1, count + 1))
