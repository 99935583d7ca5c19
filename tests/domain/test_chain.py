"""Tamper evidence on real SQLite files: the hash chain, fingerprints, verification.

Each tamperer edits the store with the sqlite3 module, as anyone holding the
file could, while the ledger that wrote it is still open.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest

import domain.chain
from domain.campaign import Campaign
from domain.chain import GENESIS, ChainedRecorder
from domain.clock import SetClock
from domain.errors import EventLogDamagedError, PositionOutsideLogError
from domain.ledger import Ledger, NewFinding, Operator, open_ledger, sqlite_env
from domain.verify import Match, Problem, ProblemKind, parse_fingerprint
from exporters.fingerprint import verify_ledger
from exporters.official import write_official_sheet

SHANGHAI = ZoneInfo("Asia/Shanghai")

NewFindingFactory = Callable[..., NewFinding]

PLAN: dict[str, Any] = {
    "measures": "组织住建部门上门鉴定并挂牌",
    "deadline": date(2022, 6, 10),
    "responsible_unit": "市住建局",
    "responsible_leader": "李四",
}


def at(month: int, day: int, hour: int = 10) -> datetime:
    """A moment in 2022, Shanghai time."""
    return datetime(2022, month, day, hour, tzinfo=SHANGHAI)


def sql(store: Path, statement: str, *params: Any) -> list[Any]:
    """Run one statement on the file directly and commit, as a tamperer would."""
    with closing(sqlite3.connect(store)) as db, db:
        return db.execute(statement, params).fetchall()


def position_of(store: Path, finding_id: str, version: int) -> int:
    rows = sql(
        store,
        "SELECT rowid FROM stored_events WHERE originator_id = ? AND originator_version = ?",
        UUID(finding_id).hex,
        version,
    )
    position: int = rows[0][0]
    return position


def flip_a_byte(store: Path, position: int) -> None:
    """Change one byte in the middle of an event's stored state."""
    [(state,)] = sql(store, "SELECT state FROM stored_events WHERE rowid = ?", position)
    changed = bytearray(state)
    changed[len(changed) // 2] ^= 0x01
    sql(
        store,
        "UPDATE stored_events SET state = ? WHERE rowid = ?",
        bytes(changed),
        position,
    )


def forge_copy(store: Path, position: int, finding_id: str, version: int) -> None:
    """Store a copy of an event under another finding id and version."""
    sql(
        store,
        "INSERT INTO stored_events"
        " SELECT ?, ?, topic, state FROM stored_events WHERE rowid = ?",
        UUID(finding_id).hex,
        version,
        position,
    )


@pytest.fixture
def recorded(
    ledger: Ledger, operator: Operator, new_finding: NewFindingFactory
) -> list[str]:
    """Three findings of 褚河街道, the first with a plan: four events."""
    first = ledger.record(operator, new_finding(**PLAN))
    second = ledger.record(operator, new_finding(statement="村卫生室缺药"))
    third = ledger.record(operator, new_finding(statement="饮水设施损坏"))
    return [first, second, third]


def test_an_untouched_store_verifies_clean(
    ledger: Ledger, recorded: list[str], operator: Operator
) -> None:
    ledger.report_progress(
        operator, recorded[0], 2, on=date(2022, 6, 2), progress="已联系"
    )

    report = ledger.verify()

    assert report.intact and report.clean
    assert report.problem is None
    assert report.head == ledger.head() == 5
    assert report.origin is not None and report.origin.adopted == 0


def test_an_empty_store_verifies_clean_and_has_the_genesis_fingerprint(
    ledger: Ledger,
) -> None:
    report = ledger.verify()
    fingerprint = ledger.fingerprint()

    assert report.clean and report.head == 0
    assert fingerprint.position == 0
    assert fingerprint.link == GENESIS.hex()


def test_every_event_has_one_chain_row_written_with_it(
    ledger: Ledger, recorded: list[str], store: Path
) -> None:
    rows = sql(
        store,
        "SELECT c.notification_id, e.originator_id, e.originator_version"
        " FROM event_chain c JOIN stored_events e ON e.rowid = c.notification_id"
        " WHERE c.originator_id = e.originator_id"
        " AND c.originator_version = e.originator_version ORDER BY 1",
    )

    assert [row[0] for row in rows] == [1, 2, 3, 4]
    assert (rows[1][1], rows[1][2]) == (UUID(recorded[0]).hex, 2)


def test_a_changed_byte_names_the_altered_event(
    ledger: Ledger, recorded: list[str], store: Path
) -> None:
    planned = position_of(store, recorded[0], 2)

    flip_a_byte(store, planned)
    report = ledger.verify()

    assert not report.intact
    assert report.problems == (Problem(ProblemKind.ALTERED, planned, recorded[0], 2),)


def test_a_reworded_statement_names_the_altered_event(
    ledger: Ledger, recorded: list[str], store: Path
) -> None:
    """The edited state still decodes: the tamperer changed words, not the format."""
    position = position_of(store, recorded[2], 1)

    sql(
        store,
        "UPDATE stored_events SET state = CAST(replace(CAST(state AS TEXT),"
        " '饮水设施损坏', '饮水设施完好') AS BLOB) WHERE rowid = ?",
        position,
    )
    report = ledger.verify()

    assert report.problem == Problem(ProblemKind.ALTERED, position, recorded[2], 1)


def test_a_topic_that_no_longer_decodes_is_still_checked(
    ledger: Ledger, recorded: list[str], store: Path
) -> None:
    """Invalid UTF-8 in a text column made sqlite3 refuse to read the row; the
    verifier reads stored bytes, so it reports the event instead of crashing."""
    position = position_of(store, recorded[1], 1)

    sql(
        store,
        "UPDATE stored_events SET topic = CAST(X'ff00fe' AS TEXT) WHERE rowid = ?",
        position,
    )
    report = ledger.verify()

    assert report.problem == Problem(ProblemKind.ALTERED, position, recorded[1], 1)


def test_a_deleted_event_is_named_as_removed(
    ledger: Ledger, recorded: list[str], store: Path
) -> None:
    position = position_of(store, recorded[1], 1)

    sql(store, "DELETE FROM stored_events WHERE rowid = ?", position)
    report = ledger.verify()

    assert report.problems == (Problem(ProblemKind.REMOVED, position, recorded[1], 1),)


def test_a_forged_copy_of_an_event_is_named_as_inserted(
    ledger: Ledger, recorded: list[str], store: Path
) -> None:
    forged = str(uuid4())

    forge_copy(store, position_of(store, recorded[1], 1), forged, 3)
    report = ledger.verify()

    assert report.problems == (Problem(ProblemKind.INSERTED, 5, forged, 3),)


def test_events_saved_after_a_forgery_still_chain_and_only_the_forgery_shows(
    ledger: Ledger,
    recorded: list[str],
    store: Path,
    operator: Operator,
    new_finding: NewFindingFactory,
) -> None:
    forged = str(uuid4())
    forge_copy(store, 1, forged, 1)

    ledger.record(operator, new_finding(statement="伪造之后的新问题"))
    report = ledger.verify()

    assert report.head == 6
    assert report.problems == (Problem(ProblemKind.INSERTED, 5, forged, 1),)


def test_an_edited_chain_row_is_told_apart_from_an_edited_event(
    ledger: Ledger, recorded: list[str], store: Path
) -> None:
    sql(store, "UPDATE event_chain SET link = zeroblob(32) WHERE notification_id = 2")

    report = ledger.verify()

    assert report.problems == (Problem(ProblemKind.BROKEN, 2, recorded[0], 2),)


def test_a_chain_row_naming_another_event_is_broken(
    ledger: Ledger, recorded: list[str], store: Path
) -> None:
    sql(
        store,
        "UPDATE event_chain SET originator_version = 9 WHERE notification_id = 3",
    )

    report = ledger.verify()

    assert report.problems == (Problem(ProblemKind.BROKEN, 3, recorded[1], 1),)


def test_the_first_problem_is_the_earliest_of_several(
    ledger: Ledger, recorded: list[str], store: Path
) -> None:
    flip_a_byte(store, 4)
    sql(store, "DELETE FROM stored_events WHERE rowid = 1")

    report = ledger.verify()

    assert [(p.kind, p.position) for p in report.problems] == [
        (ProblemKind.REMOVED, 1),
        (ProblemKind.ALTERED, 4),
    ]
    assert report.problem == report.problems[0]


def test_the_deleted_last_event_cannot_be_covered_by_the_next_save(
    ledger: Ledger,
    recorded: list[str],
    store: Path,
    operator: Operator,
    new_finding: NewFindingFactory,
) -> None:
    """SQLite gives the next event the position of a deleted last one; storing it
    there would overwrite the evidence, so the save is refused and nothing kept."""
    sql(store, "DELETE FROM stored_events WHERE rowid = 4")

    with pytest.raises(EventLogDamagedError) as refused:
        ledger.record(operator, new_finding(statement="删除之后的新问题"))

    assert refused.value.position == 4
    assert ledger.head() == 3
    assert ledger.verify().problems == (
        Problem(ProblemKind.REMOVED, 4, recorded[2], 1),
    )


def test_the_public_fingerprint_is_position_and_32_hex_digits(
    ledger: Ledger, recorded: list[str]
) -> None:
    fingerprint = ledger.fingerprint()

    assert re.fullmatch(r"p4-[0-9a-f]{32}", str(fingerprint))
    assert fingerprint.public == str(fingerprint)
    assert fingerprint.link.startswith(str(fingerprint)[3:])
    assert len(fingerprint.link) == 64
    assert parse_fingerprint(f"  {str(fingerprint).upper()} ") == (
        4,
        fingerprint.link[:32],
    )
    assert parse_fingerprint(f"p4-{fingerprint.link}") == (4, fingerprint.link)


def test_a_fingerprint_beyond_the_log_is_refused(
    ledger: Ledger, recorded: list[str]
) -> None:
    with pytest.raises(PositionOutsideLogError) as refused:
        ledger.fingerprint(5)

    assert (refused.value.position, refused.value.head) == (5, 4)
    with pytest.raises(PositionOutsideLogError):
        ledger.fingerprint(-1)


def test_a_past_fingerprint_still_matches_after_more_events(
    ledger: Ledger,
    recorded: list[str],
    operator: Operator,
    new_finding: NewFindingFactory,
) -> None:
    then = ledger.fingerprint()

    ledger.record(operator, new_finding(statement="后来登记的问题"))
    ledger.report_progress(
        operator, recorded[0], 2, on=date(2022, 6, 2), progress="已鉴定"
    )
    report = ledger.verify([str(then), str(ledger.fingerprint(2))])

    assert ledger.fingerprint(then.position) == then
    assert ledger.fingerprint() != then
    assert [f.match for f in report.fingerprints] == [Match.MATCHES, Match.MATCHES]
    assert report.clean


def test_a_fingerprint_taken_before_tampering_no_longer_matches(
    ledger: Ledger, recorded: list[str], store: Path
) -> None:
    before = str(ledger.fingerprint())
    early = str(ledger.fingerprint(1))

    flip_a_byte(store, 3)
    report = ledger.verify([before, early])

    assert [f.match for f in report.fingerprints] == [Match.DIFFERS, Match.MATCHES]
    assert [f.position for f in report.fingerprints] == [4, 1]
    assert not report.clean


def test_a_chain_rewritten_to_match_an_edit_is_caught_by_a_fingerprint(
    ledger: Ledger, recorded: list[str], store: Path, campaign: Campaign
) -> None:
    """A tamperer who recomputes the chain after editing an event leaves it
    consistent; a fingerprint handed out earlier still shows the edit."""
    handed_out = str(ledger.fingerprint())
    flip_a_byte(store, 2)

    sql(store, "DELETE FROM event_chain")
    sql(store, "DELETE FROM event_chain_origin")
    readopted = open_ledger(campaign, store)
    report = readopted.verify([handed_out])
    readopted.close()

    assert report.intact
    assert report.origin is not None and report.origin.adopted == 4
    assert report.fingerprints[0].match is Match.DIFFERS


def test_fingerprints_that_cannot_be_checked_say_why(
    ledger: Ledger, recorded: list[str]
) -> None:
    report = ledger.verify(["p99-" + "0" * 32, "not a fingerprint", "p1-abc"])

    assert [(f.match, f.position) for f in report.fingerprints] == [
        (Match.BEYOND, 99),
        (Match.MALFORMED, None),
        (Match.MALFORMED, None),
    ]
    assert report.intact and not report.clean


def test_a_fingerprint_of_removed_last_events_differs_rather_than_lies_beyond(
    ledger: Ledger, recorded: list[str], store: Path
) -> None:
    """The chain still reaches the old head, so the log did reach that far."""
    head = str(ledger.fingerprint())

    sql(store, "DELETE FROM stored_events WHERE rowid >= 3")
    report = ledger.verify([head])

    assert report.fingerprints[0].match is Match.DIFFERS
    assert report.head == 4


def test_an_exported_week_one_workbook_matches_until_an_earlier_event_changes(
    ledger: Ledger,
    recorded: list[str],
    store: Path,
    clock: SetClock,
    operator: Operator,
    new_finding: NewFindingFactory,
    tmp_path: Path,
) -> None:
    clock.set(at(6, 9))
    ledger.record(operator, new_finding(statement="第二周登记的问题"))
    sheet = ledger.official_sheet("褚河街道", 1)
    path = write_official_sheet(sheet, tmp_path / "第1周.xlsx")

    assert sheet.fingerprint == str(ledger.fingerprint(4))
    assert verify_ledger(ledger, [path]).files[0].matches

    flip_a_byte(store, 5)
    after_the_cutoff = verify_ledger(ledger, [path])
    flip_a_byte(store, 2)
    before_the_cutoff = verify_ledger(ledger, [path])

    assert after_the_cutoff.files[0].matches
    assert [p.position for p in after_the_cutoff.problems] == [5]
    check = before_the_cutoff.files[0].check
    assert check is not None and check.match is Match.DIFFERS
    assert check.fingerprint == sheet.fingerprint


def test_a_sheet_as_it_stands_now_carries_the_head_fingerprint(
    ledger: Ledger, recorded: list[str], operator: Operator
) -> None:
    ledger.withdraw(operator, recorded[2], 1, reason="重复")

    sheet = ledger.official_sheet("褚河街道")

    assert sheet.fingerprint == str(ledger.fingerprint()) == str(ledger.fingerprint(5))


def test_a_week_with_no_events_yet_carries_the_genesis_fingerprint(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    clock.set(at(6, 9))
    ledger.record(operator, new_finding())

    sheet = ledger.official_sheet("褚河街道", 1)

    assert sheet.rows == ()
    assert sheet.fingerprint == str(ledger.fingerprint(0))


def _record_without_chain(
    campaign: Campaign, store: Path, clock: SetClock, finding: NewFinding, count: int
) -> list[str]:
    """Write a store as taizhang did before the chain existed."""
    env = {k: v for k, v in sqlite_env(store).items() if "RECORDER" not in k}
    old = Ledger(campaign, env=env, clock=clock)
    try:
        assert not isinstance(old.recorder, ChainedRecorder)
        return [old.record(Operator("张三", "褚河街道"), finding) for _ in range(count)]
    finally:
        old.close()


def test_a_store_from_before_the_chain_is_adopted_on_first_open(
    campaign: Campaign,
    store: Path,
    clock: SetClock,
    new_finding: NewFindingFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ids = _record_without_chain(campaign, store, clock, new_finding(), 3)

    with caplog.at_level(logging.WARNING, logger="domain.chain"):
        ledger = open_ledger(campaign, store, clock)
    try:
        adopted = ledger.fingerprint()
        ledger.record(Operator("张三", "褚河街道"), new_finding(statement="升级后"))
        report = ledger.verify([str(adopted)])
    finally:
        ledger.close()
    reopened = open_ledger(campaign, store, clock)
    again = reopened.verify()
    listed = [r.finding_id for r in reopened.rows()]
    reopened.close()

    assert "chained 3 events" in caplog.text
    assert report.clean and report.head == 4
    assert report.origin is not None and report.origin.adopted == 3
    assert again.origin == report.origin
    assert listed[:3] == ids


def test_a_wiped_chain_is_not_adopted_again(
    ledger: Ledger,
    recorded: list[str],
    store: Path,
    campaign: Campaign,
    clock: SetClock,
) -> None:
    """Adoption happens once per store; a chain deleted afterwards stays missing,
    so its events show as inserted instead of being silently re-chained."""
    sql(store, "DELETE FROM event_chain")

    reopened = open_ledger(campaign, store, clock)
    report = reopened.verify()
    reopened.close()

    assert [(p.kind, p.position) for p in report.problems] == [
        (ProblemKind.INSERTED, n) for n in (1, 2, 3, 4)
    ]


def test_two_ledgers_writing_to_one_file_keep_one_chain(
    ledger: Ledger,
    campaign: Campaign,
    store: Path,
    clock: SetClock,
    new_finding: NewFindingFactory,
) -> None:
    """Each save reads the previous link inside its own write transaction, so
    writers that interleave never chain from a stale link."""
    other = open_ledger(campaign, store, clock)

    def write(into: Ledger, name: str) -> None:
        for n in range(25):
            into.record(Operator(name, "褚河街道"), new_finding(statement=f"{name}{n}"))

    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = [pool.submit(write, ledger, "甲"), pool.submit(write, other, "乙")]
        for run in runs:
            run.result()
    report = other.verify()
    other.close()

    assert report.clean and report.head == 50


@pytest.fixture
def big_store(campaign: Campaign, store: Path, clock: SetClock) -> Iterator[Ledger]:
    """A ledger whose log already holds 3,000 findings (adopted, so built fast)."""
    _record_without_chain(campaign, store, clock, VALID, 1)
    [(topic, state)] = sql(store, "SELECT topic, state FROM stored_events")
    with closing(sqlite3.connect(store)) as db, db:
        db.executemany(
            "INSERT INTO stored_events VALUES (?, 1, ?, ?)",
            [(uuid4().hex, topic, state) for _ in range(2999)],
        )
    opened = open_ledger(campaign, store, clock)
    yield opened
    opened.close()


VALID = NewFinding(
    reporting_unit="褚河街道",
    category="housing",
    check_item=1,
    nature="个性问题",
    statement="马坪村刘某房屋未做安全性认定",
    found_on=date(2022, 6, 1),
)


def _time_saves(ledger: Ledger, count: int) -> float:
    started = time.perf_counter()
    for n in range(count):
        ledger.record(Operator("张三", "褚河街道"), VALID)
    return time.perf_counter() - started


def test_a_save_hashes_only_its_own_events_however_long_the_log(
    big_store: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashed: list[int] = []
    real = domain.chain.next_link

    def counting(previous: bytes, event: Any) -> bytes:
        hashed.append(event.position)
        return real(previous, event)

    monkeypatch.setattr(domain.chain, "next_link", counting)
    _time_saves(big_store, 20)

    assert hashed == list(range(3001, 3021))
    assert big_store.verify().clean


def test_saving_stays_as_fast_on_a_long_log_as_on_an_empty_one(
    big_store: Ledger, campaign: Campaign, tmp_path: Path, clock: SetClock
) -> None:
    empty = open_ledger(campaign, tmp_path / "empty.sqlite", clock)
    try:
        _time_saves(empty, 5)
        _time_saves(big_store, 5)
        short = _time_saves(empty, 40)
        long = _time_saves(big_store, 40)
    finally:
        empty.close()

    # A save that re-hashed the log would take ~3,000 hashes and reads more.
    assert long < 3 * short + 0.5, (long, short)
