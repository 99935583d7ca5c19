"""The office's overview from the command line, and its consolidated workbook."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from domain.campaign import Campaign
from domain.clock import SetClock
from domain.ledger import NewFinding, Operator, open_ledger
from tui.cli import main

STORES = ("sqlite", "postgres")


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TAIZHANG_OPERATOR", raising=False)
    monkeypatch.delenv("TAIZHANG_UNIT", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)


def test_the_office_command_sums_every_unit_and_exports_them(
    store: Path | str,
    campaign: Campaign,
    clock: SetClock,
    new_finding: Callable[..., NewFinding],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ledger = open_ledger(campaign, store, clock)
    ledger.record(
        Operator("张三", "褚河街道"),
        new_finding(
            statement="东村王某住房未挂牌",
            measures="挂牌",
            deadline=date(2022, 6, 5),
            responsible_unit="市住建局",
        ),
    )
    ledger.record(
        Operator("孙七", "火龙镇"), new_finding(reporting_unit="火龙镇", statement="乙")
    )
    ledger.close()
    target = tmp_path / "汇总.xlsx"

    assert main(["--db", str(store), "office", "--week", "1", "-o", str(target)]) == 0

    out = capsys.readouterr().out
    assert "第 1 周结束时" in out and "共 2 个问题，已逾期 1 个" in out
    assert "逾期问题（按单位）" in out and "东村王某住房未挂牌" in out
    assert "2 个单位的台账" in out
    book = openpyxl.load_workbook(target)
    assert {"汇总", "各周报送", "逾期问题", "按责任单位", "褚河街道", "火龙镇"} == set(
        book.sheetnames
    )


def test_an_office_week_outside_the_campaign_is_refused(
    store: Path | str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--db", str(store), "office", "--week", "9"]) == 2

    assert "本次工作没有第 9 周" in capsys.readouterr().err


def test_an_office_workbook_of_a_week_with_no_findings_verifies(
    store: Path | str,
    campaign: Campaign,
    clock: SetClock,
    new_finding: Callable[..., NewFinding],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Week 1 had no finding yet: the workbook the office exported carried no
    fingerprint, and verify called it a file this software did not write."""
    from datetime import datetime

    from tests.conftest import SHANGHAI

    clock.set(datetime(2022, 6, 10, 9, tzinfo=SHANGHAI))
    ledger = open_ledger(campaign, store, clock)
    ledger.record(Operator("张三", "褚河街道"), new_finding(found_on=date(2022, 6, 9)))
    ledger.close()
    target = tmp_path / "第1周汇总.xlsx"
    assert main(["--db", str(store), "office", "--week", "1", "-o", str(target)]) == 0
    assert "0 个单位的台账" in capsys.readouterr().out

    code = main(["--db", str(store), "verify", "--against", str(target)])

    out = capsys.readouterr().out
    assert code == 0, out
    assert "没有记录指纹" not in out, out
    assert "一致" in out, out
