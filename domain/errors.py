"""The ledger's refusals: each carries the values involved, never wording."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any


class LedgerError(Exception):
    """Base of every rule break the domain reports to the edge."""


@dataclass
class FindingNotFoundError(LedgerError):
    finding_id: str


@dataclass
class FindingNumberError(LedgerError):
    """A finding's number given by its start is too short, or fits several findings."""

    given: str
    shortest: int
    # How many findings it fits (0 when too short to look).
    fits: int = 0


@dataclass
class FindingWithdrawnError(LedgerError):
    finding_id: str


@dataclass
class FindingClosedError(LedgerError):
    finding_id: str


@dataclass
class NotPlannedError(LedgerError):
    finding_id: str


@dataclass
class AlreadyPlannedError(LedgerError):
    finding_id: str


@dataclass
class WrongStatusError(LedgerError):
    """The step needs the finding in another status (e.g. acceptance before completion)."""

    finding_id: str
    status: str
    needed: str


@dataclass
class DeadlineBeforeFoundError(LedgerError):
    deadline: date
    found_on: date
    field: str = "deadline"


@dataclass
class DeadlineNotLaterError(LedgerError):
    deadline: date
    current: date
    field: str = "deadline"


@dataclass
class CheckItemNeededError(LedgerError):
    """A category corrected without choosing which of its check items the finding is."""

    category: str
    items: tuple[str, ...]
    field: str = "new_check_item"


@dataclass
class DateTooEarlyError(LedgerError):
    """A step's day before a day the finding already holds (`than`: which one)."""

    field: str
    day: date
    earliest: date
    than: str = "found_on"


@dataclass
class FoundAfterStepError(LedgerError):
    """A found date corrected to after a rectification step already recorded."""

    found_on: date
    step_on: date


@dataclass
class NotReportingUnitError(LedgerError):
    """A unit that receives the ledgers (the office, the team) asked to hand in
    a week (`act` "submit") or to hold a finding of its own ("record")."""

    unit: str
    act: str = "submit"


@dataclass
class MomentInFutureError(LedgerError):
    """A past view asked of a moment still to come (both in the campaign's time zone)."""

    moment: datetime
    now: datetime
    field: str = "moment"


@dataclass
class DateInFutureError(LedgerError):
    field: str
    day: date
    today: date


@dataclass
class DateOutsideCampaignError(LedgerError):
    field: str
    day: date
    first: date
    last: date


@dataclass
class EmptyTextError(LedgerError):
    field: str


@dataclass
class TextTooLongError(LedgerError):
    field: str
    length: int
    limit: int


# More households than a whole county has: a count above it is a typing slip.
MAX_COUNT = 1_000_000


@dataclass
class CountError(LedgerError):
    """A count (households screened, problems found) must be a whole number, 0 to MAX_COUNT.

    `value` is what was given, as text, so the edge can show typed input too.
    """

    field: str
    value: str


@dataclass
class UnknownValueError(LedgerError):
    """A value is not one the campaign defines (a category, a unit, a nature).

    `choices` are the values there are, where few enough to list; a help
    to the reader, not part of which refusal it is.
    """

    field: str
    value: str
    # dataclasses.field by its module: the class's own `field` shadows the name.
    choices: tuple[str, ...] = dataclasses.field(default=(), compare=False)


@dataclass
class UncorrectableFieldError(LedgerError):
    field: str


@dataclass
class NothingChangedError(LedgerError):
    field: str


@dataclass
class ConcurrentChangeError(LedgerError):
    """Someone else changed the finding since it was loaded; reload and retry."""

    finding_id: str


@dataclass
class PositionOutsideLogError(LedgerError):
    """A fingerprint was asked for at a position the event log does not reach."""

    position: int
    head: int


@dataclass
class EventLogDamagedError(LedgerError):
    """The log was edited outside the app: the chain already covers `position`.

    Raised instead of storing an event there, since chaining it would hide the
    deleted event whose position SQLite is about to reuse.
    """

    position: int


@dataclass
class LogShortenedError(LedgerError):
    """The ledger view had followed the log to `followed`, past its `head` now.

    Events at the log's end were deleted outside the app (with their chain
    rows, or the chain would say so). Nothing recorded now would show: its
    positions are ones the view has passed.
    """

    followed: int
    head: int


@dataclass
class UnreadableEventError(LedgerError):
    """A stored event no longer decodes, so it was changed outside the app.

    `position` is its place in the log when it was read from there (None when
    read through its finding). Nothing after it can be folded into the view.
    """

    position: int | None
    finding_id: str
    version: int


@dataclass
class NothingToUndoError(LedgerError):
    """The finding's latest event may not be undone: its recording, or an undo."""

    finding_id: str
    kind: str


@dataclass
class NotYourChangeError(LedgerError):
    """Only the operator who recorded the latest event may undo it."""

    finding_id: str
    recorded_by: str
    operator: str
    # The units each signed with: the same name under another unit is another hand.
    recorded_unit: str = dataclasses.field(default="", compare=False)
    unit: str = dataclasses.field(default="", compare=False)


@dataclass
class NoScreeningToUndoError(LedgerError):
    """The unit has no screening left standing to undo."""

    unit: str


@dataclass
class NotYourScreeningError(LedgerError):
    """Only the operator who recorded the unit's latest screening, signing for the
    same unit, may undo it."""

    unit: str
    recorded_by: str
    operator: str
    recorded_unit: str
    operator_unit: str


@dataclass
class SampleSizeError(LedgerError):
    """A spot-check sample takes 1 to MAX_PER_STRATUM findings from each stratum.

    `per_stratum` is what was given, as text, so the edge can show typed input too.
    """

    per_stratum: str


# More than any stratum (one unit's findings of one category) holds.
MAX_PER_STRATUM = 10_000
# Seeds a person can read out and type back.
SEED_LIMIT = 10**9


@dataclass
class SeedError(LedgerError):
    """A sample's seed is a whole number below SEED_LIMIT, one a person can read out."""

    seed: str


@dataclass
class NothingToSampleError(LedgerError):
    """No finding awaited acceptance at that position of the log."""

    position: int


@dataclass
class WeekNotOverError(LedgerError):
    """A week's ledger can be submitted only once the week has ended."""

    week: int
    last_day: date


@dataclass
class NotInFinalPhaseError(LedgerError):
    """A final ledger can be sealed only in the campaign's last phase."""

    phase: str
    start: date


@dataclass
class FinalReportTooEarlyError(LedgerError):
    """The final ledger and its summary are exported in the last phase only."""

    phase: str
    start: date


@dataclass
class WeekAlreadySubmittedError(LedgerError):
    """The week was handed in before, and its ledger has not changed since.

    Names the first submission: who, on which day, and the fingerprint both
    would carry; and what was recorded for the week after its cut-off, which
    no submission of it holds. A week whose ledger changed (findings recorded
    later with earlier times) may be handed in again.
    """

    unit: str
    week: int
    by: str
    on: date
    fingerprint: str
    # Recorded for the week after its cut-off: findings, and steps on others.
    late_findings: int = 0
    late_steps: int = 0


@dataclass
class AlreadySealedError(LedgerError):
    unit: str
    signer: str


@dataclass
class SealLeavesWorkError(LedgerError):
    """Sealing now would lock findings not yet rectified, or weeks not handed in.

    Nothing was sealed; asked again with force, it is.
    """

    unit: str
    pending: int
    in_progress: int
    missing_weeks: tuple[int, ...]


@dataclass
class UnitSealedError(LedgerError):
    """The unit's final ledger is sealed: its findings take only acceptance results."""

    unit: str


@dataclass
class CampaignMismatchError(LedgerError):
    """The store holds findings the campaign definition cannot describe.

    `categories` are category keys the definition lacks; `items` are
    (category key, check item number) pairs past the category's items;
    `units` are units with findings or screenings that it does not list.
    """

    categories: list[str]
    items: list[tuple[str, int]]
    units: list[str] = field(default_factory=list)


@dataclass
class SampleNotFoundError(LedgerError):
    sample_id: str


@dataclass
class AlreadyImportedError(LedgerError):
    """A file with the same content was brought in before; nothing was written.

    `previous_name` is the file's name then, which may differ from now.
    """

    file_name: str
    previous_name: str
    at: datetime
    operator: str
    findings: int


@dataclass
class CellErrorValueError(LedgerError):
    """A cell of an imported sheet holds a spreadsheet error (#N/A, #REF!), or a
    formula without its result, not a value.

    `date_format`: the cell is formatted as a date and held a number that is
    no date (20220618 typed into it), which the reader shows as #VALUE!.
    """

    code: str
    date_format: bool = False
    # The cell holds this formula, whose result the file never saved (`code`
    # is then the formula too).
    formula: bool = False


@dataclass
class RowsRefusedError(LedgerError):
    """Some rows of a file cannot come in, and bringing in only the good ones
    was not chosen; nothing was written."""

    bad: int
    total: int


@dataclass
class NothingToImportError(LedgerError):
    """A file holds no row that could come in."""

    file_name: str


@dataclass
class UnitNotGivenError(LedgerError):
    """A sheet names no unit (no 单位（盖章） line) and none was chosen."""

    file_name: str


@dataclass
class UnitMismatchError(LedgerError):
    """A sheet's unit line names another unit than the one chosen."""

    sheet_unit: str
    chosen: str


@dataclass
class DuplicateFindingError(LedgerError):
    """A statement repeats a recorded finding of the unit, or an earlier row.

    Exactly one of `finding_id` (recorded) and `row` (earlier in the file) is set.
    `differences` are the cells where a row repeating a recorded finding
    differs from it, as (field, the sheet's value, the ledger's value): a
    later week's sheet may carry a new deadline or new measures, which the
    import does not record.
    """

    statement: str
    finding_id: str = ""
    row: int = 0
    # Where the recorded one came from and when it was found, to tell it by.
    source_ref: str = dataclasses.field(default="", compare=False)
    found_on: date | None = dataclasses.field(default=None, compare=False)
    differences: tuple[tuple[str, Any, Any], ...] = dataclasses.field(
        default=(), compare=False
    )


@dataclass
class StoreRefusedError(LedgerError):
    """The shared store's server answered, and refused the connection.

    `problem` is no_database, no_user, no_schema, password or other; `detail`
    is the name it lacks, or for other the server's own words.
    """

    address: str
    problem: str
    detail: str = ""


@dataclass
class StoreAddressError(LedgerError):
    """A shared store's address cannot be used.

    `problem` is one of bad_address, no_database, unknown_option, bad_schema,
    bad_timeout, other_database; `detail` is the part of the address at fault.
    """

    address: str
    problem: str
    detail: str = ""


@dataclass
class OperatorNotRegisteredError(LedgerError):
    """Operators are registered in this store, and this name is not one of them."""

    name: str


@dataclass
class OperatorExistsError(LedgerError):
    name: str
    unit: str
    role: str


@dataclass
class OperatorRetiredError(LedgerError):
    name: str


@dataclass
class NotPermittedError(LedgerError):
    """The operator's role does not allow the act, or not on that unit's ledger.

    `act` is a domain.staff.Act value; `unit` is the ledger it concerns ("" for
    acts on no unit's ledger, such as drawing a sample).
    """

    name: str
    role: str
    own_unit: str
    act: str
    unit: str


@dataclass
class FirstOperatorError(LedgerError):
    """The first operator registered must be the office, or nobody could add more."""

    role: str


@dataclass
class RoleUnitMismatchError(LedgerError):
    """A role its unit cannot have: a receiving unit's operator recording as a unit,
    or a township's working as the office or the inspection team."""

    role: str
    unit: str


@dataclass
class LastOfficeError(LedgerError):
    """Retiring or reassigning the last office operator would lock the register."""

    name: str


@dataclass
class BundleFormatError(LedgerError):
    """The file is not a bundle this version can read; `problem` says which part."""

    problem: str


@dataclass
class BundleAlteredError(LedgerError):
    """The bundle's content no longer matches its digest, or its rows their chain."""

    check: str


@dataclass
class ReportDayMismatchError(LedgerError):
    """A day was given for a sheet whose date line names another."""

    sheet_day: date
    given: date


@dataclass
class BundleChainError(LedgerError):
    """The store's own chain no longer matches its events (a record edited,
    removed or inserted at `position`): a bundle of it would carry that
    change to the office under a fingerprint that hides it."""

    position: int
    kind: str


@dataclass
class BundleAcceptanceError(LedgerError):
    """Acceptance results in the bundle were recorded by someone this store's
    register does not let accept: (finding number, operator) of each."""

    accepted: tuple[tuple[str, str], ...]


@dataclass
class BundleCampaignError(LedgerError):
    """The bundle comes from a store of another campaign."""

    campaign: str


@dataclass
class BundleConflictError(LedgerError):
    """This store holds a different event where the bundle has one."""

    originator_id: str
    version: int


@dataclass
class BundleSubmissionError(LedgerError):
    """A week the bundle submitted no longer matches the bundle's own chain:
    the unit's log was changed after that week was handed in."""

    week: int
    fingerprint: str


@dataclass
class OperatorUnitMismatchError(LedgerError):
    """The unit given at start is not the one the operator is registered with."""

    name: str
    registered: str
    given: str


@dataclass
class ForbiddenCharacterError(LedgerError):
    """Text holds a character the ledger refuses (a control, a direction override).

    `position` counts characters from 1; `codepoint` is the character's number.
    """

    field: str
    position: int
    codepoint: int


@dataclass
class StoreBusyError(LedgerError):
    """Another program kept the store locked for `waited` seconds; nothing was saved."""

    waited: int


@dataclass
class WorkCancelledError(LedgerError):
    """The operator stopped long work; nothing half-done was kept.

    `work`: "catch_up" or "rebuild" (the view keeps the batches already
    committed, and the next catch-up goes on from there), "export" (no file
    was left), "import" (no row was stored).
    """

    work: str


@dataclass
class StoreKeyError(LedgerError):
    """The key does not fit the store.

    `problem`: "key_missing" (the store is encrypted, no key was given),
    "key_wrong" (another key encrypted it), "store_plain" (the store holds
    plain events, so a key cannot apply), "key_malformed" (not base64 of 16,
    24 or 32 bytes).
    """

    problem: str


@dataclass
class NotAStoreError(LedgerError):
    """The file named as the store holds something else, and is left untouched.

    `problem`: "not_sqlite" (not a database at all), "foreign" (another
    program's SQLite database), "folder".
    """

    path: Path
    problem: str


@dataclass
class KeyFileError(LedgerError):
    """A key file cannot be used.

    `problem`: "missing", "unreadable", "not_a_file", "not_private" (group or
    others may read it), "malformed", "exists" (keygen never overwrites),
    "unwritable".
    """

    path: Path
    problem: str
