"""An event that no longer decodes: a Chinese message, verify still runs, no traceback."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from pathlib import Path

import pytest

from domain.campaign import Campaign
from domain.clock import SetClock
from domain.ledger import NewFinding, Operator, open_ledger
from tests.conftest import SHANGHAI
from tui.app import TaizhangApp
from tui.cli import main

OPERATOR = Operator("张三", "褚河街道")


@pytest.fixture
def damaged(tmp_path: Path, campaign: Campaign) -> Path:
    """Three findings; the second event's stored bytes are then overwritten."""
    path = tmp_path / "ledger.sqlite"
    ledger = open_ledger(campaign, path, SetClock(datetime(2022, 6, 2, 10, tzinfo=SHANGHAI)))
    for statement in ("东村王某未挂牌", "西村李某房屋漏雨", "南村赵某危房未改造"):
        ledger.record(
            OPERATOR,
            NewFinding(
                reporting_unit="褚河街道", category="housing", check_item=1,
                nature="个性问题", statement=statement, found_on=date(2022, 6, 1),
            ),
        )
    ledger.close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE stored_events SET state = X'00ff7b' WHERE rowid = 2")
        # The view must fold the log again, as after an upgrade or a rebuild.
        db.execute("DELETE FROM tracking WHERE application_name = 'Ledger'")
    return path


def test_a_command_on_a_store_with_an_unreadable_event_explains_in_chinese(
    damaged: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--store", str(damaged), "stats"])

    out, err = capsys.readouterr()
    assert code == 2
    assert "第 2 条记录无法读取" in err and "taizhang verify" in err
    assert "Traceback" not in out + err


def test_verify_still_names_the_unreadable_event(
    damaged: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--store", str(damaged), "verify"])

    out, err = capsys.readouterr()
    assert code == 1, err
    assert "第 2 条记录被改动" in out


async def test_the_app_opens_shows_what_it_could_read_and_warns(
    damaged: Path, campaign: Campaign
) -> None:
    ledger = open_ledger(campaign, damaged, SetClock(datetime(2022, 6, 3, tzinfo=SHANGHAI)))
    app = TaizhangApp(ledger, OPERATOR)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(1.5)  # a poll or two
        warnings = [n.message for n in app._notifications]
        assert any("第 2 条记录无法读取" in text for text in warnings)
        assert len(warnings) == 1  # said once, not at every poll
        assert [s.statement for s in app.screen.shown()] == ["东村王某未挂牌"]  # type: ignore[attr-defined]
    assert app.return_code in (None, 0)
    ledger.close()


def test_verify_names_an_unreadable_event_whose_chain_was_recomputed(
    damaged: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With the chain made anew over the broken event, verify said 记录完整 with
    the chain in order, while every other command refused the store and sent
    the user to verify."""
    with sqlite3.connect(damaged) as db:
        db.execute("DELETE FROM event_chain")
        db.execute("DELETE FROM event_chain_origin")

    code = main(["--store", str(damaged), "verify"])

    out, err = capsys.readouterr()
    assert code == 1, err
    assert "记录完整" not in out
    assert "第 2 条记录无法读取" in out, out
