"""Reopen the consolidated workbook: the summary tables and one official sheet per unit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet

from domain.clock import SetClock
from domain.ledger import Ledger, NewFinding, Operator
from exporters.consolidated import write_consolidated
from exporters.fingerprint import read_fingerprint
from tests.conftest import SHANGHAI

ZHANG = Operator("张三", "褚河街道")
SUN = Operator("孙七", "火龙镇")


def test_the_office_workbook_has_a_summary_and_each_units_official_sheet(
    ledger: Ledger,
    clock: SetClock,
    new_finding: Callable[..., NewFinding],
    tmp_path: Path,
) -> None:
    ledger.record(
        ZHANG,
        new_finding(
            statement="东村王某住房未挂牌",
            measures="挂牌",
            deadline=date(2022, 6, 5),
            responsible_unit="市住建局",
        ),
    )
    ledger.record(SUN, new_finding(reporting_unit="火龙镇", statement="李某未参保"))
    clock.set(datetime(2022, 6, 9, 9, tzinfo=SHANGHAI))
    ledger.submit_week(ZHANG, "褚河街道", 1)
    labels = {c.key: c.label for c in ledger.campaign.categories}

    path = write_consolidated(
        ledger.office_overview(),
        ledger.official_sheets(),
        labels,
        tmp_path / "汇总.xlsx",
    )

    book = openpyxl.load_workbook(path)
    units = ledger.campaign.all_units
    mine = sorted(["褚河街道", "火龙镇"], key=units.index)
    assert book.sheetnames == ["汇总", "各周报送", "逾期问题", "按责任单位", *mine]
    summary = book["汇总"]
    assert isinstance(summary, Worksheet)
    header = [c.value for c in summary[1]]
    assert header[:3] == ["序号", "单位", "问题总数"] and "已逾期" in header
    by_unit = {row[1]: row for row in summary.iter_rows(min_row=2, values_only=True)}
    assert by_unit["褚河街道"][2] == 1 and by_unit["火龙镇"][2] == 1
    assert by_unit["合计"][2] == 2
    assert by_unit["火龙镇"][header.index("应报未报")] == "第1周"
    weeks = {
        row[0]: row[1]
        for row in book["各周报送"].iter_rows(min_row=2, values_only=True)
    }
    # When it came in: a week's overview exported long after showed a report
    # handed in years later as 已报送, like one on time.
    assert (weeks["褚河街道"], weeks["火龙镇"]) == ("2022年6月9日报送", "未报送")
    overdue = list(book["逾期问题"].iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[3]) for r in overdue] == [("褚河街道", "东村王某住房未挂牌")]
    # How late, as `stats` says: deadline June 5, judged on June 9.
    header = [c.value for c in book["逾期问题"][1]]
    assert overdue[0][header.index("逾期天数")] == 4
    # The departments the office chases: every lead unit, and the findings
    # no plan has given one yet.
    header = [c.value for c in book["按责任单位"][1]]
    assert header == [
        "序号", "责任单位", "问题总数", "待整改", "整改中", "待验收", "已销号", "已逾期",
        "按时完成率",
    ]
    responsible = {
        row[1]: row[2:] for row in book["按责任单位"].iter_rows(min_row=2, values_only=True)
    }
    assert responsible["市住建局"] == (1, 0, 1, 0, 0, 1, "0.0%")
    assert responsible["市水利局"] == (0, 0, 0, 0, 0, 0, "—")
    assert responsible["（未定）"] == (1, 1, 0, 0, 0, 0, "—")
    assert responsible["合计"][0] == 2
    assert list(responsible)[: len(ledger.campaign.responsible_units)] == (
        ledger.campaign.responsible_units
    )
    chuhe = book["褚河街道"]
    assert chuhe["A2"].value == "单位（盖章）：褚河街道"
    assert chuhe["D4"].value == "东村王某住房未挂牌"
    assert read_fingerprint(path) == str(ledger.fingerprint())
