"""The ledger's refusals: each carries the values involved, never wording."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path


class LedgerError(Exception):
    """Base of every rule break the domain reports to the edge."""


@dataclass
class FindingNotFoundError(LedgerError):
    finding_id: str


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


@dataclass
class DeadlineNotLaterError(LedgerError):
    deadline: date
    current: date


@dataclass
class DateBeforeFoundError(LedgerError):
    field: str
    day: date
    found_on: date


@dataclass
class FoundAfterStepError(LedgerError):
    """A found date corrected to after a rectification step already recorded."""

    found_on: date
    step_on: date


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


@dataclass
class ForbiddenCharacterError(LedgerError):
    """Text holds a character the ledger refuses (a control, a direction override).

    `position` counts characters from 1; `codepoint` is the character's number.
    """

    field: str
    position: int
    codepoint: int


@dataclass
class UnknownValueError(LedgerError):
    """A value is not one the campaign defines (a category, a unit, a nature)."""

    field: str
    value: str


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


@dataclass
class SampleSizeError(LedgerError):
    """A spot-check sample needs at least one finding from each stratum."""

    per_stratum: int


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
class AlreadySealedError(LedgerError):
    unit: str
    signer: str


@dataclass
class UnitSealedError(LedgerError):
    """The unit's final ledger is sealed: its findings take only acceptance results."""

    unit: str


@dataclass
class CampaignMismatchError(LedgerError):
    """The store holds findings the campaign definition cannot describe.

    `categories` are category keys the definition lacks; `items` are
    (category key, check item number) pairs past the category's items.
    """

    categories: list[str]
    items: list[tuple[str, int]]


@dataclass
class SampleNotFoundError(LedgerError):
    sample_id: str


@dataclass
class StoreBusyError(LedgerError):
    """Another program kept the store locked for `waited` seconds; nothing was saved."""

    waited: int


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
class KeyFileError(LedgerError):
    """A key file cannot be used.

    `problem`: "missing", "unreadable", "not_a_file", "not_private" (group or
    others may read it), "malformed", "exists" (keygen never overwrites),
    "unwritable".
    """

    path: Path
    problem: str
