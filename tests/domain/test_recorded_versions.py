"""Finding.Recorded gained `remarks` in version 2; stores written before still read."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

from eventsourcing.persistence import StoredEvent

from domain.campaign import Campaign
from domain.clock import SetClock
from domain.finding import Finding
from domain.ledger import Ledger, NewFinding, Operator, open_ledger


def write_version_1_recording(ledger: Ledger, operator: Operator) -> str:
    """Store a Recorded event as version 1 wrote it: no remarks, no class_version."""
    finding = Finding.record(
        ledger.stamp(operator),
        reporting_unit="褚河街道",
        category="housing",
        check_item=1,
        nature="个性问题",
        statement="马坪村刘某房屋未做安全性认定",
        cause="",
        found_on=ledger.today(),
        source="自查",
    )
    (event,) = finding.collect_events()
    stored = ledger.mapper.to_stored_event(event)
    state = json.loads(stored.state)
    del state["remarks"], state["class_version"]
    old = StoredEvent(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=json.dumps(state).encode(),
    )
    ledger.recorder.insert_events([old])
    return str(finding.id)


def test_a_store_with_version_1_recordings_opens_and_reads(
    campaign: Campaign, store: Path, clock: SetClock, operator: Operator
) -> None:
    first = open_ledger(campaign, store, clock)
    finding_id = write_version_1_recording(first, operator)
    first.close()
    with sqlite3.connect(store) as db:
        (raw,) = db.execute("SELECT state FROM stored_events").fetchone()
    assert b"remarks" not in raw

    ledger = open_ledger(campaign, store, clock)
    try:
        row = ledger.row(finding_id)
        assert row.statement == "马坪村刘某房屋未做安全性认定"
        assert row.remarks == ""
        assert ledger.history(finding_id)[0].details["remarks"] == ""
        assert ledger.states_as_of(clock.now().replace(year=2023))[finding_id] == row
        assert ledger.verify().clean
    finally:
        ledger.close()


def test_remarks_are_recorded_and_read_back(
    ledger: Ledger, operator: Operator, new_finding: Callable[..., NewFinding]
) -> None:
    finding_id = ledger.record(operator, new_finding(remarks="备注：已入户核实"))

    assert ledger.row(finding_id).remarks == "备注：已入户核实"
    assert ledger.history(finding_id)[0].details["remarks"] == "备注：已入户核实"
