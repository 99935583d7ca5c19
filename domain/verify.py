"""Check the stored event log against its hash chain and against fingerprints."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from domain.chain import (
    GENESIS,
    ChainOrigin,
    ChainRow,
    LogReader,
    RawEvent,
    finding_id_of,
    next_link,
    version_of,
)

# How many hex digits of the link the public fingerprint shows (128 bits).
PUBLIC_HEX_DIGITS = 32
# At most this many problems are listed; the rest are only counted.
MAX_LISTED = 1000

_PUBLIC_RE = re.compile(r"p(\d+)-([0-9a-f]{32,64})")


@dataclass(frozen=True)
class Fingerprint:
    """The event log's chain link after every event up to a position.

    Its public form, `str(fingerprint)`, is `p{position}-{first 32 hex digits
    of the link}`, e.g. `p42-9c1e…` (37 characters at position 42). It stays
    the same however many events are added later, and changes if any event
    at or before the position is altered, removed or inserted.
    """

    position: int
    link: str

    @property
    def public(self) -> str:
        return f"p{self.position}-{self.link[:PUBLIC_HEX_DIGITS]}"

    def __str__(self) -> str:
        return self.public


def parse_fingerprint(text: str) -> tuple[int, str] | None:
    """Return the position and hex digits of a public fingerprint, or None.

    Case and surrounding spaces are ignored; a full 64-digit link is accepted
    in place of the first 32 digits.
    """
    found = _PUBLIC_RE.fullmatch(text.strip().lower())
    if found is None:
        return None
    return int(found[1]), found[2]


class ProblemKind(StrEnum):
    """What is wrong at a position of the log."""

    # The stored event's bytes give another link than the chain recorded.
    # Normally the event itself was edited; if the chain table was rewritten
    # too, the edit may lie at an earlier event whose chain row was redone.
    ALTERED = "altered"
    # The chain names an event at this position, but none is stored there.
    REMOVED = "removed"
    # An event is stored at this position, but the chain has no row for it.
    INSERTED = "inserted"
    # The chain table itself was edited: its row here has a link that does not
    # follow from the one before although the event is intact, or it names
    # another event than the one stored.
    BROKEN = "broken"


@dataclass(frozen=True)
class Problem:
    """One discrepancy, at a log position (notification id).

    `finding_id` and `version` name the event the chain recorded there, or,
    where the stored event is trusted (inserted; a chain row naming another
    event), the event stored there; `version` is None when the value is not
    a number.
    """

    kind: ProblemKind
    position: int
    finding_id: str
    version: int | None


class Match(StrEnum):
    """How a fingerprint compares with the log as it is now."""

    MATCHES = "matches"
    DIFFERS = "differs"
    BEYOND = "beyond"
    MALFORMED = "malformed"


class Refusal(StrEnum):
    """Why a file's fingerprint could not be read."""

    NOT_FOUND = "not_found"
    UNREADABLE = "unreadable"
    NOT_XLSX = "not_xlsx"
    NO_FINGERPRINT = "no_fingerprint"
    CONFLICTING = "conflicting"


@dataclass(frozen=True)
class FingerprintCheck:
    """A fingerprint given for checking, and how it compares with the log."""

    fingerprint: str
    match: Match
    position: int | None = None


@dataclass(frozen=True)
class SubmittedFile:
    """A file given for checking, as the edge read it: its fingerprint or a refusal."""

    path: Path
    fingerprint: str | None = None
    refusal: Refusal | None = None


@dataclass(frozen=True)
class FileCheck:
    """A file given for checking: its fingerprint's check, or why there is none."""

    path: Path
    check: FingerprintCheck | None = None
    refusal: Refusal | None = None

    @property
    def matches(self) -> bool:
        return self.check is not None and self.check.match is Match.MATCHES


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of verifying the event log, fingerprints and files.

    `problems` lists discrepancies in position order (`problem` is the first);
    after MAX_LISTED, `unlisted` counts the rest. `head` is the furthest
    position that the events or the chain reach. `origin` says when the chain
    began and how many older events it adopted then; None means its record
    is missing.
    """

    head: int
    problems: tuple[Problem, ...] = ()
    unlisted: int = 0
    fingerprints: tuple[FingerprintCheck, ...] = ()
    files: tuple[FileCheck, ...] = ()
    origin: ChainOrigin | None = None
    # Findings ("" for a log moment) whose rows in the ledger view differ from
    # a fresh fold of the log: the view was edited outside the app.
    view_differs: tuple[str, ...] = ()
    # How far the ledger view had followed the log, when further than `head`:
    # events at the log's end were deleted (0 otherwise).
    view_followed: int = 0
    # An event that no longer decodes, though the chain agrees with it (the
    # chain was recomputed over the edit): (position, finding, version).
    unreadable: tuple[int | None, str, int] | None = None

    @property
    def problem(self) -> Problem | None:
        return self.problems[0] if self.problems else None

    @property
    def intact(self) -> bool:
        """Whether the stored events and the chain agree everywhere."""
        return not self.problems

    @property
    def clean(self) -> bool:
        """Whether the log is intact and as long as the view has seen, the view agrees,
        and every fingerprint and file matches."""
        return (
            self.intact
            and not self.view_differs
            and not self.view_followed
            and self.unreadable is None
            and all(f.match is Match.MATCHES for f in self.fingerprints)
            and all(f.matches for f in self.files)
        )


@dataclass
class _Walk:
    """The state of one pass over the events and the chain, in position order."""

    wanted: list[int]
    problems: list[Problem] = field(default_factory=list)
    unlisted: int = 0
    # The chain recomputed from the stored events alone, from GENESIS.
    recomputed: bytes = GENESIS
    links: dict[int, bytes] = field(default_factory=dict)
    # The chain's own previous link, and the link that row should have had
    # when it did not match its event (to tell an edited chain row apart).
    previous: bytes = GENESIS
    expected: bytes | None = None
    # The listed ALTERED problem that the next row may show to be BROKEN.
    suspect: int | None = None
    head: int = 0

    def note(self, kind: ProblemKind, position: int, at: ChainRow | RawEvent) -> None:
        if len(self.problems) >= MAX_LISTED:
            self.unlisted += 1
            return
        self.problems.append(
            Problem(
                kind,
                position,
                finding_id_of(at.originator_id),
                version_of(at.originator_version),
            )
        )

    def recompute(self, event: RawEvent) -> None:
        while self.wanted and self.wanted[-1] < event.position:
            self.links[self.wanted.pop()] = self.recomputed
        self.recomputed = next_link(self.recomputed, event)

    def compare(self, event: RawEvent, row: ChainRow) -> None:
        link = next_link(self.previous, event)
        if row.link == link:
            if row.identity != event.identity:
                self.note(ProblemKind.BROKEN, row.position, event)
            self.expected, self.suspect = None, None
        elif self.expected is not None and row.link == next_link(self.expected, event):
            # This row follows from what the previous row should have been:
            # the previous event is intact and its chain row was edited.
            if self.suspect is not None:
                edited = self.problems[self.suspect]
                self.problems[self.suspect] = Problem(
                    ProblemKind.BROKEN,
                    edited.position,
                    edited.finding_id,
                    edited.version,
                )
            self.expected, self.suspect = None, None
        else:
            self.note(ProblemKind.ALTERED, row.position, row)
            self.expected = link
            listed = bool(self.problems) and self.problems[-1].position == row.position
            self.suspect = len(self.problems) - 1 if listed else None
        self.previous = row.link


def _in_step(
    events: Iterable[RawEvent], chain: Iterable[ChainRow]
) -> Iterator[tuple[RawEvent | None, ChainRow | None]]:
    """Pair events and chain rows by position; either side may be missing."""
    event_it, chain_it = iter(events), iter(chain)
    event, row = next(event_it, None), next(chain_it, None)
    while event is not None or row is not None:
        if row is None or (event is not None and event.position < row.position):
            yield event, None
            event = next(event_it, None)
        elif event is None or row.position < event.position:
            yield None, row
            row = next(chain_it, None)
        else:
            yield event, row
            event, row = next(event_it, None), next(chain_it, None)


def _walk(
    events: Iterable[RawEvent], chain: Iterable[ChainRow], wanted: set[int]
) -> _Walk:
    walk = _Walk(sorted(wanted, reverse=True))
    for event, row in _in_step(events, chain):
        if event is not None:
            walk.recompute(event)
            walk.head = max(walk.head, event.position)
        if row is not None:
            walk.head = max(walk.head, row.position)
        if event is not None and row is not None:
            walk.compare(event, row)
        elif event is not None:
            walk.note(ProblemKind.INSERTED, event.position, event)
        elif row is not None:
            walk.note(ProblemKind.REMOVED, row.position, row)
            walk.previous, walk.expected, walk.suspect = row.link, None, None
    for position in walk.wanted:
        walk.links[position] = walk.recomputed
    return walk


def _check(text: str, walk: _Walk) -> FingerprintCheck:
    parsed = parse_fingerprint(text)
    if parsed is None:
        return FingerprintCheck(text, Match.MALFORMED)
    position, digits = parsed
    if position > walk.head:
        return FingerprintCheck(text, Match.BEYOND, position)
    same = walk.links[position].hex().startswith(digits)
    return FingerprintCheck(text, Match.MATCHES if same else Match.DIFFERS, position)


def verify_log(
    log: LogReader,
    fingerprints: Sequence[str] = (),
    files: Sequence[SubmittedFile] = (),
) -> VerifyReport:
    """Recompute the chain from the stored events and compare it, in one pass.

    The stored chain is checked row by row against the events, each row from
    the stored row before it, so every discrepancy is reported where it lies.
    Fingerprints are compared with the chain recomputed from the events alone,
    so they also catch a chain table rewritten to match edited events.
    """
    given = [*fingerprints, *(f.fingerprint for f in files if f.fingerprint)]
    wanted = {parsed[0] for parsed in map(parse_fingerprint, given) if parsed}
    walk = _walk(log.events(), log.chain(), wanted)
    file_checks = tuple(
        FileCheck(f.path, refusal=f.refusal)
        if f.fingerprint is None
        else FileCheck(f.path, check=_check(f.fingerprint, walk))
        for f in files
    )
    return VerifyReport(
        head=walk.head,
        problems=tuple(walk.problems),
        unlisted=walk.unlisted,
        fingerprints=tuple(_check(text, walk) for text in fingerprints),
        files=file_checks,
        origin=log.origin(),
    )
