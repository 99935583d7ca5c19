"""The hash chain on PostgreSQL: adoption, tampering, and writers racing."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from domain.campaign import Campaign
from domain.clock import SetClock
from domain.ledger import Ledger, NewFinding, Operator, open_ledger
from domain.pgstore import PostgresChainedRecorder
from domain.store import postgres_env
from domain.verify import ProblemKind
from tests.pg import execute_on

NewFindingFactory = Callable[..., NewFinding]
ZHANG = Operator("张三", "褚河街道")


@pytest.fixture
def store(pg_store: str) -> str:
    return pg_store


def test_events_stored_before_the_chain_are_adopted_once(
    campaign: Campaign, store: str, clock: SetClock, new_finding: NewFindingFactory
) -> None:
    env = {k: v for k, v in postgres_env(store).items() if "RECORDER" not in k}
    old = Ledger(campaign, env=env, clock=clock)
    assert not isinstance(old.recorder, PostgresChainedRecorder)
    for _ in range(3):
        old.record(ZHANG, new_finding())
    old.close()

    ledger = open_ledger(campaign, store, clock)
    ledger.record(ZHANG, new_finding())
    again = open_ledger(campaign, store, clock)

    report = again.verify()
    assert report.intact and report.head == 4
    assert report.origin is not None and report.origin.adopted == 3
    ledger.close()
    again.close()


def test_an_edited_event_is_found_at_its_position(
    ledger: Ledger, store: str, new_finding: NewFindingFactory
) -> None:
    for _ in range(3):
        ledger.record(ZHANG, new_finding())
    before = ledger.fingerprint(1)

    execute_on(
        store,
        "",
        "UPDATE ledger_events SET state = convert_to(replace("
        "convert_from(state, 'UTF8'), '刘某', '王某'), 'UTF8')"
        " WHERE notification_id = 2",
    )

    report = ledger.verify([str(before), str(ledger.fingerprint(3))])
    assert [(p.kind, p.position) for p in report.problems] == [(ProblemKind.ALTERED, 2)]
    assert [c.match.value for c in report.fingerprints] == ["matches", "differs"]


def test_writers_racing_on_two_connections_keep_one_chain(
    ledger: Ledger,
    campaign: Campaign,
    store: str,
    clock: SetClock,
    new_finding: NewFindingFactory,
) -> None:
    other = open_ledger(campaign, store, clock)

    def write(target: Ledger) -> None:
        for _ in range(15):
            target.record(ZHANG, new_finding())

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, [ledger, other, ledger, other]))

    report = ledger.verify()
    assert report.intact and report.head == 60
    assert len(ledger.rows()) == 60
    other.catch_up()
    assert other.rows() == ledger.rows()
    other.close()
