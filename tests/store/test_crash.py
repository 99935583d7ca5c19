"""Crashes lose nothing: a writer killed mid-burst, twenty times, on one store."""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from domain.audit import replay
from domain.campaign import Campaign
from domain.ledger import Ledger, Operator, open_ledger
from tui.app import TaizhangApp
from tui.ledger_screen import LedgerScreen
from tui.ledger_table import LedgerTable

ROOT = Path(__file__).resolve().parents[2]
KILLS = 20


def run_until_killed(store: Path, name: str, acks_wanted: int) -> list[tuple[str, int]]:
    """Start a writer, let it acknowledge some changes, SIGKILL it mid-burst."""
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.store.writer", "burst", str(store), name],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    lines = []
    try:
        for line in writer.stdout:
            lines.append(line.split())
            if len(lines) > acks_wanted:  # "ready" comes first
                break
        # A random moment into the next write: inside a transaction, or between.
        time.sleep(random.random() / 50)
    finally:
        writer.kill()
        # Through the same reader the loop used: it may hold the start of the
        # next line, which communicate() would leave out, cutting that line.
        rest = writer.stdout.read()
        _, errors = writer.communicate()
    lines += [line.split() for line in rest.splitlines()]
    assert lines and lines[0] == ["ready"], errors
    assert writer.returncode == -9, errors
    return [(finding_id, int(v)) for word, finding_id, v in lines[1:] if word == "ack"]


async def test_every_acknowledged_change_survives_twenty_kills(
    campaign: Campaign, tmp_path: Path
) -> None:
    store = tmp_path / "ledger.sqlite"
    open_ledger(campaign, store).close()
    acknowledged: list[tuple[str, int]] = []

    for kill in range(KILLS):
        acknowledged += run_until_killed(store, f"写入员{kill}", random.randint(0, 8))

    with sqlite3.connect(store) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    ledger = open_ledger(campaign, store)
    try:
        assert len(acknowledged) >= KILLS
        for finding_id, version in acknowledged:
            versions = [e.version for e in ledger.history(finding_id)]
            assert version in versions, (finding_id, version)
        assert ledger.verify().clean
        rows = {s.finding_id: s for s in ledger.rows()}
        assert rows == replay(ledger.events_in_order())
        await starts_normally(ledger, len(rows))
    finally:
        ledger.close()


async def starts_normally(ledger: Ledger, count: int) -> None:
    app = TaizhangApp(ledger, Operator("张三", "褚河街道"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LedgerScreen)
        assert app.screen.query_one(LedgerTable).row_count == count
    assert app.return_code in (None, 0)
