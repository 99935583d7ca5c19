"""Two writers, one file: no lock reaches a user, nothing is lost, clashes are told."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

from domain.audit import replay
from domain.campaign import Campaign
from domain.errors import ConcurrentChangeError
from domain.ledger import NewFinding, Operator, open_ledger
from tui.wording import explain

ROOT = Path(__file__).resolve().parents[2]
# The issue asks for thirty seconds; TAIZHANG_DUEL_SECONDS shortens a local run.
SECONDS = float(os.environ.get("TAIZHANG_DUEL_SECONDS", "30"))
SHARED = 3


def test_two_processes_write_one_store_for_thirty_seconds(
    campaign: Campaign, tmp_path: Path
) -> None:
    store = tmp_path / "ledger.sqlite"
    ledger = open_ledger(campaign, store)
    by = Operator("准备", "褚河街道")
    shared = [
        ledger.record(
            by,
            NewFinding(
                reporting_unit="褚河街道",
                category="water",
                check_item=1,
                nature="共性问题",
                statement=f"共用问题{n}",
                found_on=date(2022, 6, 1),
                measures="整改",
                deadline=date(2022, 6, 20),
                responsible_unit="市水利局",
            ),
        )
        for n in range(SHARED)
    ]
    head = ledger.head()
    ledger.close()

    writers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.store.writer",
                "duel",
                str(store),
                name,
                str(SECONDS),
                *shared,
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("甲", "乙")
    ]
    outputs = [w.communicate(timeout=SECONDS + 120) for w in writers]

    lines = {}
    for name, writer, (out, err) in zip(("甲", "乙"), writers, outputs, strict=True):
        assert writer.returncode == 0, err
        assert "locked" not in out + err and "Traceback" not in err, err
        lines[name] = [line.split(" ", 2) for line in out.splitlines()]
        assert lines[name][0] == ["ready"] and lines[name][-1] == ["done"]
        errors = [line for line in lines[name] if line[0] == "error"]
        assert not errors, errors

    acks = {
        name: [(line[1], int(line[2])) for line in found if line[0] == "ack"]
        for name, found in lines.items()
    }
    conflicts = [
        line for found in lines.values() for line in found if line[0] == "conflict"
    ]
    everyone = acks["甲"] + acks["乙"]
    # No two writers were told they wrote the same version: nothing overwritten.
    assert not [k for k, n in Counter(everyone).items() if n > 1]
    # Writes to the same finding clashed, and each clash was told, in our words.
    assert conflicts
    wording = explain(ConcurrentChangeError("x"))
    assert all(line[2] == wording for line in conflicts)

    with sqlite3.connect(store) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    ledger = open_ledger(campaign, store)
    try:
        # Every acknowledged change is there, by its writer, and nothing else is.
        for name, found in acks.items():
            for finding_id, version in found:
                history = {e.version: e for e in ledger.history(finding_id)}
                assert history[version].operator == name
        recorded = sum(1 for fid, v in everyone if v == 2 and fid not in shared)
        progress = sum(1 for fid, v in everyone if fid in shared)
        assert ledger.head() == head + 2 * recorded + progress
        assert ledger.verify().clean
        assert {s.finding_id: s for s in ledger.rows()} == replay(
            ledger.events_in_order()
        )
    finally:
        ledger.close()
