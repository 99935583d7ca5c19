"""Busy stores: another program's lock is waited out; a lock that stays is told in Chinese."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from domain.campaign import Campaign
from domain.clock import SetClock
from domain.errors import StoreBusyError
from domain.ledger import Ledger, NewFinding, Operator, sqlite_env
from domain.sqlite_store import make_private
from tui.wording import explain

OPERATOR = Operator("张三", "褚河街道")


def impatient_ledger(campaign: Campaign, store: Path, clock: SetClock) -> Ledger:
    """A ledger whose SQLite waits only one second for a lock per attempt."""
    make_private(store)
    env = sqlite_env(store) | {"SQLITE_LOCK_TIMEOUT": "1"}
    return Ledger(campaign, env=env, clock=clock)


@contextmanager
def locked_for(store: Path, seconds: float) -> Iterator[None]:
    """Hold the store's write lock from another connection, as another program would."""
    other = sqlite3.connect(store, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    release = threading.Timer(seconds, lambda: other.execute("ROLLBACK"))
    release.start()
    try:
        yield
    finally:
        release.join()
        other.close()


def test_a_lock_longer_than_sqlites_own_wait_is_waited_out(
    campaign: Campaign, store: Path, clock: SetClock, new_finding: object
) -> None:
    """SQLite alone gave up after its timeout with "database is locked"."""
    ledger = impatient_ledger(campaign, store, clock)
    finding: NewFinding = new_finding()  # type: ignore[operator]

    with locked_for(store, 2.5):
        finding_id = ledger.record(OPERATOR, finding)

    assert ledger.row(finding_id).statement == finding.statement
    assert ledger.verify().clean
    ledger.close()


def test_a_lock_that_stays_is_told_in_chinese_and_nothing_is_half_written(
    campaign: Campaign,
    store: Path,
    clock: SetClock,
    new_finding: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("domain.sqlite_store.PATIENCE", 0.5)
    ledger = impatient_ledger(campaign, store, clock)
    before = ledger.head()

    with locked_for(store, 2.5), pytest.raises(StoreBusyError) as refused:
        ledger.record(OPERATOR, new_finding())  # type: ignore[operator]

    message = explain(refused.value)
    assert "被其他程序占用" in message and "没有保存" in message
    assert "locked" not in message
    assert ledger.head() == before
    assert ledger.verify().clean
    ledger.close()


def test_a_stored_change_is_not_called_unsaved_when_only_the_view_lags(
    ledger: Ledger, new_finding: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The view's catch-up after a save used to turn a stored change into a refusal."""
    caught_up = ledger.catch_up

    def still_busy(batch: int = 1000) -> int:
        raise StoreBusyError(60)

    monkeypatch.setattr(ledger, "catch_up", still_busy)

    finding_id = ledger.record(OPERATOR, new_finding())  # type: ignore[operator]

    monkeypatch.setattr(ledger, "catch_up", caught_up)
    ledger.catch_up()
    assert ledger.row(finding_id).version == 1
