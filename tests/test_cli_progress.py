"""`taizhang rebuild`, and progress lines on stderr for long work on the command line."""

from __future__ import annotations

import io
import sqlite3
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import openpyxl
import pytest

import tui.cli
from domain.audit import replay
from domain.campaign import Campaign
from domain.clock import SetClock
from domain.ledger import Ledger, NewFinding, Operator, open_ledger
from domain.state import FindingState
from tests.exporters.workbooks import make_book, row_values
from tui.cli import main
from tui.wording import REBUILD_STOPPED

OPERATOR = Operator("张三", "褚河街道")
WHO = ["--operator", "张三", "--unit", "褚河街道"]


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TAIZHANG_OPERATOR", raising=False)
    monkeypatch.delenv("TAIZHANG_UNIT", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def filled(
    campaign: Campaign,
    store: Path,
    clock: SetClock,
    new_finding: Callable[..., NewFinding],
) -> Path:
    """A store of 20 planned findings (40 events), closed again."""
    ledger = open_ledger(campaign, store, clock)
    for n in range(20):
        ledger.record(
            OPERATOR,
            new_finding(
                statement=f"第{n}户住房未做安全性认定",
                measures="完成认定并挂牌",
                deadline=date(2022, 6, 20),
                responsible_unit="市住建局",
            ),
        )
    ledger.close()
    return store


def stored(campaign: Campaign, store: Path) -> tuple[list[FindingState], Ledger]:
    """Open the store as the next run would; return its rows and the ledger."""
    ledger = open_ledger(campaign, store)
    return ledger.rows(), ledger


def fresh_replay(ledger: Ledger) -> list[FindingState]:
    return list(replay(ledger.events_in_order()).values())


class Terminal(io.StringIO):
    """A stderr that says it is a terminal, as an operator's is."""

    def isatty(self) -> bool:
        return True


def test_rebuild_mends_a_damaged_view_and_shows_progress_when_asked(
    campaign: Campaign, filled: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with sqlite3.connect(filled) as db:
        db.execute(
            "DELETE FROM ledger_rows WHERE rowid IN (SELECT rowid FROM ledger_rows LIMIT 3)"
        )
        db.execute("UPDATE ledger_rows SET status = '已销号'")

    code = main(["--store", str(filled), "rebuild", "--progress"])

    out, err = capsys.readouterr()
    assert code == 0, err
    assert "已重建台账视图：重新推算记录 40 条，台账共 20 个问题。" in out
    # Not a terminal (a log file): a line per report, not rewritten in place.
    assert err == (
        "正在重建台账视图：0 / 40 条记录（0%）\n"
        "正在重建台账视图：40 / 40 条记录（100%）\n"
    )
    rows, ledger = stored(campaign, filled)
    try:
        assert len(rows) == 20 and {str(r.status) for r in rows} == {"整改中"}
        assert rows == fresh_replay(ledger)
    finally:
        ledger.close()


def test_without_a_terminal_or_the_option_stderr_stays_clean(
    filled: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--store", str(filled), "rebuild"])

    out, err = capsys.readouterr()
    assert code == 0
    assert err == ""
    assert "已重建台账视图" in out


def test_a_terminal_gets_the_progress_line_unasked(
    filled: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)

    code = main(["--store", str(filled), "rebuild"])

    assert code == 0
    assert "\r正在重建台账视图：40 / 40 条记录（100%）\n" in terminal.getvalue()


def test_ctrl_c_stops_a_rebuild_and_says_the_view_stays_as_it_was(
    campaign: Campaign,
    filled: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def interrupted(done: int, total: int, unit: str) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(tui.cli, "progress_count", interrupted)

    code = main(["--store", str(filled), "rebuild", "--progress"])

    _, err = capsys.readouterr()
    assert code == 130
    # One transaction: nothing half-rebuilt is kept, which is what it must say.
    assert REBUILD_STOPPED in err
    assert "接着重建" not in err
    monkeypatch.undo()
    rows, ledger = stored(campaign, filled)
    try:
        assert len(rows) == 20 and rows == fresh_replay(ledger)
    finally:
        ledger.close()


def test_a_view_behind_its_log_is_caught_up_with_a_progress_line(
    campaign: Campaign, filled: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = open_ledger(campaign, filled)
    ledger.projection.view.clear(ledger.name)
    ledger.close()

    code = main(["--store", str(filled), *WHO, "--progress", "export", "-o", "a.xlsx"])

    _, err = capsys.readouterr()
    assert code == 0, err
    assert "正在整理台账视图：40 / 40 条记录（100%）\n" in err
    assert "正在导出 a.xlsx：40 / 40 行（100%）\n" in err
    sheet = openpyxl.load_workbook("a.xlsx")["整改台账"]
    assert sheet["D4"].value == "第0户住房未做安全性认定"
    assert sheet["D23"].value == "第19户住房未做安全性认定"


def test_an_import_shows_its_reading_and_recording(
    campaign: Campaign, store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = make_book(tmp_path / "台账.xlsx", [row_values(n) for n in range(1, 61)])

    code = main(["--store", str(store), *WHO, "--progress", "import", str(book)])

    _, err = capsys.readouterr()
    assert code == 0, err
    assert "正在读取并检查 台账.xlsx：60 / 60 行（100%）\n" in err
    assert "正在与已有台账核对 台账.xlsx：60 / 60 行（100%）\n" in err
    assert "正在导入 台账.xlsx：60 / 60 行（100%）\n" in err
    # Each phase has its own line: none goes back from 100% under one title.
    for title in ("正在读取并检查", "正在与已有台账核对", "正在导入"):
        counts = [
            int(line.split("：")[1].split(" /")[0])
            for line in err.splitlines()
            if line.startswith(title)
        ]
        assert counts == sorted(counts), (title, counts)
    rows, ledger = stored(campaign, store)
    ledger.close()
    assert len(rows) == 60
