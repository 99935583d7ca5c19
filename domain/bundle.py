"""Bundles: an offline unit's event log in one file, for the office to import.

A bundle holds every row of the unit store's event log exactly as stored
(position and raw values, as the hash chain reads them), the fingerprint of
that log, and a SHA-256 digest over all of it. The office recomputes the
digest and the chain before importing anything, so a bundle changed after
export, or a unit log changed after a week was submitted, is refused.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.chain import GENESIS, RawEvent, finding_id_of, next_link
from domain.errors import BundleAlteredError, BundleFormatError
from domain.verify import PUBLIC_HEX_DIGITS, Fingerprint, parse_fingerprint

# Limitation: the digest proves the bundle unchanged since export, not who
# exported it: someone able to rewrite the rows, the chain and the digest
# together passes, unless the office compares the weekly fingerprints the
# import prints with the submitted files it holds. A signature with a key per
# unit, registered with the office, would close that gap.
FORMAT = "taizhang-bundle"
VERSION = 1


@dataclass(frozen=True)
class Bundle:
    """A bundle as read back: who exported which log, and its rows.

    `fingerprint` names the unit store's log at `head`; `digest` is the
    SHA-256 of everything else, which names the bundle itself.
    """

    campaign: str
    unit: str
    exported_at: str
    exported_by: str
    head: int
    fingerprint: str
    rows: tuple[RawEvent, ...]
    digest: str


@dataclass(frozen=True)
class BundleResult:
    """What an import did: events added and already present, and what was left out.

    `missing` names (finding number, version) of the unit's events imported
    from an earlier bundle that this one lacks: removed from the unit's file
    since. `newer` is set instead for a bundle exported before one of the
    unit's already imported, all of whose events are here: (that one's export
    moment, its unit-store head). `early` counts the finding events it added
    that were recorded (so their times say) before the unit's previous bundle
    was exported, which did not hold them: (that export moment, how many); see
    domain.inspection's RECORDED_BEFORE_LAST_BUNDLE. `other_units` are
    findings of other units that the unit's store held, by unit, not
    imported; `left_out` counts the store's other events outside the unit's
    ledger (its operator register, samples); `submissions` are the weeks the
    bundle submitted, with their fingerprints as checked against the bundle's
    own chain.
    """

    unit: str
    digest: str
    added: int
    present: int
    missing: tuple[tuple[str, int], ...]
    other_units: tuple[tuple[str, int], ...]
    left_out: int
    fingerprint: str
    submissions: tuple[tuple[int, str], ...]
    newer: tuple[str, int] | None = None
    early: tuple[str, int] | None = None


def _field(field: tuple[str, bytes | None]) -> list[Any]:
    kind, data = field
    return [kind, None if data is None else base64.b64encode(data).decode("ascii")]


def _unfield(value: Any) -> tuple[str, bytes | None]:
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str)):
        raise BundleFormatError("row")
    kind, data = value
    if data is None:
        return kind, None
    if not isinstance(data, str):
        raise BundleFormatError("row")
    try:
        return kind, base64.b64decode(data.encode("ascii"), validate=True)
    except ValueError:
        raise BundleFormatError("row") from None


def _canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(
        body, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    ).encode("utf-8")


def chain_of(rows: Iterable[RawEvent]) -> dict[int, bytes]:
    """Recompute the chain link after each row, from GENESIS."""
    link, links = GENESIS, {}
    for row in rows:
        link = next_link(link, row)
        links[row.position] = link
    return links


def write_bundle(
    *,
    campaign: str,
    unit: str,
    exported_at: datetime,
    exported_by: str,
    rows: Sequence[RawEvent],
) -> bytes:
    """Encode a bundle of a store's whole log (the rows as stored)."""
    links = chain_of(rows)
    head = rows[-1].position if rows else 0
    body = {
        "format": FORMAT,
        "version": VERSION,
        "campaign": campaign,
        "unit": unit,
        "exported_at": exported_at.isoformat(),
        "exported_by": exported_by,
        "head": head,
        "fingerprint": str(Fingerprint(head, links.get(head, GENESIS).hex())),
        "rows": [
            [
                row.position,
                _field(row.originator_id),
                _field(row.originator_version),
                _field(row.topic),
                _field(row.state),
            ]
            for row in rows
        ],
    }
    body["digest"] = hashlib.sha256(_canonical(body)).hexdigest()
    return _canonical(body) + b"\n"


def read_bundle(data: bytes) -> Bundle:
    """Decode a bundle, refusing one that is malformed or changed since export.

    The digest must match the content, and the chain recomputed from the rows
    must give the fingerprint the bundle names.
    """
    try:
        body = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BundleFormatError("not_json") from None
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise BundleFormatError("not_a_bundle")
    if body.get("version") != VERSION:
        raise BundleFormatError("version")
    digest = body.pop("digest", None)
    if (
        not isinstance(digest, str)
        or hashlib.sha256(_canonical(body)).hexdigest() != digest
    ):
        raise BundleAlteredError("digest")
    # Any byte changed is a change, even one JSON would read the same.
    if _canonical({**body, "digest": digest}) != data.rstrip(b"\r\n"):
        raise BundleAlteredError("bytes")
    try:
        rows = tuple(
            RawEvent(
                position=int(r[0]),
                originator_id=_unfield(r[1]),
                originator_version=_unfield(r[2]),
                topic=_unfield(r[3]),
                state=_unfield(r[4]),
            )
            for r in body["rows"]
        )
        bundle = Bundle(
            campaign=str(body["campaign"]),
            unit=str(body["unit"]),
            exported_at=str(body["exported_at"]),
            exported_by=str(body["exported_by"]),
            head=int(body["head"]),
            fingerprint=str(body["fingerprint"]),
            rows=rows,
            digest=digest,
        )
    except (KeyError, TypeError, ValueError, IndexError):
        raise BundleFormatError("fields") from None
    positions = [row.position for row in rows]
    if positions != sorted(set(positions)) or (rows and positions[-1] != bundle.head):
        raise BundleFormatError("positions")
    links = chain_of(rows)
    parsed = parse_fingerprint(bundle.fingerprint)
    expected = links.get(bundle.head, GENESIS).hex()[:PUBLIC_HEX_DIGITS]
    if parsed != (bundle.head, expected):
        raise BundleAlteredError("chain")
    return bundle


def stored_values(row: RawEvent) -> tuple[UUID, int, str, bytes]:
    """Return a row's originator id, version, topic and state as the store wants them."""
    try:
        originator_id = UUID(finding_id_of(row.originator_id))
        version = int((row.originator_version[1] or b"").decode("ascii"))
        topic = (row.topic[1] or b"").decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise BundleFormatError("row") from None
    return originator_id, version, topic, row.state[1] or b""


def link_matches(links: dict[int, bytes], fingerprint: str) -> bool:
    """Tell whether a fingerprint names the bundle's chain at its position."""
    parsed = parse_fingerprint(fingerprint)
    if parsed is None:
        return False
    position, digits = parsed
    if position == 0:
        link = GENESIS
    elif position in links:
        link = links[position]
    else:
        return False
    return link.hex().startswith(digits)


class BundleImport(Aggregate):
    """The record that a bundle was imported: one per bundle, named by its digest.

    Stored in the same transaction as the events it brought, so an import is
    either wholly in the log, with this record, or not at all.
    """

    @staticmethod
    def id_for(campaign_id: str, digest: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"taizhang:{campaign_id}:bundle:{digest}")

    class Imported(Aggregate.Created):
        operator: str
        operator_unit: str
        on: date
        unit: str
        digest: str
        exported_at: str
        exported_by: str
        source_head: int
        source_fingerprint: str
        added: list[list[str | int]]

    def __init__(self) -> None:
        """Leave the state to the Imported event."""

    @classmethod
    def record(
        cls,
        *,
        campaign_id: str,
        at: datetime,
        operator: str,
        operator_unit: str,
        on: date,
        bundle: Bundle,
        added: list[list[str | int]],
    ) -> BundleImport:
        """Record an import; `added` lists [originator id, version] of each event."""
        return cls._create(
            cls.Imported,
            id=cls.id_for(campaign_id, bundle.digest),
            timestamp=at,
            operator=operator,
            operator_unit=operator_unit,
            on=on,
            unit=bundle.unit,
            digest=bundle.digest,
            exported_at=bundle.exported_at,
            exported_by=bundle.exported_by,
            source_head=bundle.head,
            source_fingerprint=bundle.fingerprint,
            added=added,
        )
