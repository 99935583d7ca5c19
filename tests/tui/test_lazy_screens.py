"""Screens the operator has not opened are not loaded, not even to refresh the ledger."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CHECK = """
import asyncio, sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo
from domain.campaign import load_campaign
from domain.clock import SetClock
from domain.ledger import NewFinding, Operator, open_ledger
from tui.app import TaizhangApp

campaign = load_campaign()
clock = SetClock(datetime(2022, 6, 2, 9, tzinfo=ZoneInfo("Asia/Shanghai")))
ledger = open_ledger(campaign, Path(sys.argv[1]), clock)
operator = Operator("张三", "褚河街道")

async def main():
    app = TaizhangApp(ledger, operator, export_dir=Path(sys.argv[1]).parent)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        ledger.record(operator, NewFinding(
            reporting_unit="褚河街道", category="housing", check_item=1,
            nature="个性问题", statement="东村王某未挂牌", found_on=date(2022, 6, 1),
        ))
        app.refresh_screens()
        await pilot.pause()
    screens = {"tui.inspection_screen", "tui.statistics_screen",
               "tui.coverage_screen", "tui.office_screen", "tui.finding_screen"}
    print(sorted(screens & set(sys.modules)))

asyncio.run(main())
"""


def test_refreshing_after_a_new_event_loads_no_screen_that_is_not_open(
    tmp_path: Path,
) -> None:
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", CHECK, str(tmp_path / "ledger.sqlite")],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"
