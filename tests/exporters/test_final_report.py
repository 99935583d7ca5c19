"""The final summary: its two sheets reopened, its Markdown read, its file written."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from domain.campaign import Campaign
from domain.coverage import Screening, coverage
from domain.sheet import OfficialSheet
from domain.state import FindingState, Status
from domain.statistics import FinalReport, Tally, statistics
from exporters.destination import ExportError
from exporters.final_report import (
    NOT_MARKDOWN,
    final_markdown,
    final_sheet,
    markdown_path,
    rate_text,
    write_markdown,
)
from exporters.official import write_official_sheet

DAY = date(2022, 6, 22)
UNIT = "褚河街道"


def state(n: int, **fields: Any) -> FindingState:
    base = FindingState(
        finding_id=f"f{n}",
        reporting_unit=UNIT,
        category="housing",
        check_item=1,
        nature="个性问题",
        statement=f"问题{n}",
        cause="",
        found_on=date(2022, 6, 2),
        source="自查",
        recorded_at=datetime(2022, 6, 2, 2, n, tzinfo=UTC),
        recorded_by="张三",
        planned=True,
        deadline=date(2022, 6, 10),
        responsible_unit="市住建局",
        status=Status.IN_PROGRESS,
    )
    return dataclasses.replace(base, **fields)


def report(
    campaign: Campaign, states: list[FindingState], screenings: Sequence[Screening] = ()
) -> FinalReport:
    [unit_coverage] = coverage(screenings, states, campaign, [UNIT])
    return FinalReport(
        campaign=campaign.name,
        unit=UNIT,
        day=DAY,
        sheet=OfficialSheet(
            title=campaign.ledger_title,
            unit=UNIT,
            report_date=DAY,
            note=campaign.note,
            rows=(),
            fingerprint="p9-00",
        ),
        statistics=statistics(states, DAY, campaign, weeks=[1, 2, 3, 4], unit=UNIT),
        coverage=unit_coverage,
        categories=tuple((c.key, c.label) for c in campaign.categories),
        sealed_by="",
    )


@pytest.mark.parametrize(
    ("on_time", "due", "shown"),
    [(0, 0, "—"), (1, 3, "33.3%"), (2, 3, "66.7%"), (3, 3, "100.0%"), (0, 2, "0.0%")],
)
def test_the_rate_has_one_decimal_and_a_dash_when_nothing_is_due(
    on_time: int, due: int, shown: str
) -> None:
    tally = Tally(awaiting=on_time, overdue=due - on_time, on_time=on_time)

    assert rate_text(tally) == shown


def test_the_statistics_and_summary_sheets_follow_the_ledger_as_numbers(
    campaign: Campaign, tmp_path: Path
) -> None:
    states = [
        state(1, status=Status.CLOSED, completed_on=date(2022, 6, 9)),
        state(2, category="water", nature="共性问题"),
        state(3, status=Status.WITHDRAWN),
    ]

    path = write_official_sheet(
        final_sheet(report(campaign, states)), tmp_path / "终版.xlsx"
    )

    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["整改台账", "明细", "统计", "汇总"]
    grid = book["统计"]
    assert [c.value for c in grid[1]] == [
        "问题类型",
        "问题性质",
        "待整改",
        "整改中",
        "待验收",
        "已销号",
        "已作废",
        "合计（不含作废）",
        "逾期",
    ]
    assert [c.value for c in grid[3]] == ["农村危房改造", "个性问题", 0, 0, 0, 1, 1, 1, 0]
    assert [c.value for c in grid[grid.max_row]] == ["合计", None, 0, 1, 0, 1, 1, 2, 1]
    assert grid["C3"].data_type == "n"
    assert grid.freeze_panes == "A2"
    summary = book["汇总"]
    assert [c.value for c in summary[2]] == [
        "农村危房改造",
        1,
        1,
        1,
        0,
        0,
        1,
        1,
        "100.0%",
        "1/5",
    ]
    assert [c.value for c in summary[summary.max_row]] == [
        "合计",
        2,
        1,
        1,
        1,
        1,
        1,
        2,
        "50.0%",
        "2/31",
    ]


def test_operator_text_stays_inside_its_markdown_cell(campaign: Campaign) -> None:
    states = [
        state(1, statement="水压|不足\n高峰期 =SUM(A1)", deadline=date(2022, 6, 1))
    ]

    text = final_markdown(report(campaign, states))

    [line] = [row for row in text.splitlines() if "不足" in row]
    assert line == (
        "| 1 | 农村危房改造 | 水压\\|不足 高峰期 =SUM(A1) | 2022年6月1日 | 21 | 市住建局 |"
    )


def test_the_markdown_says_when_nothing_is_overdue_or_unscreened(
    campaign: Campaign,
) -> None:
    screenings = [
        Screening(UNIT, c.key, n, 10, 0, DAY, "张三", datetime(2022, 6, 22, tzinfo=UTC))
        for c in campaign.categories
        for n in range(1, len(c.items) + 1)
    ]

    text = final_markdown(report(campaign, [], screenings))

    assert "无逾期问题。" in text
    assert "31 项排查内容均已排查。" in text
    assert "按时完成率 —（按时完成 0 个，应完成 0 个）" in text
    assert "记录指纹 p9-00" in text
    assert "签字封存" not in text


def test_the_markdown_is_written_whole_as_utf8_beside_the_workbook(
    tmp_path: Path,
) -> None:
    target = markdown_path(tmp_path / "整改台账-褚河街道-终版.xlsx")

    written = write_markdown("# 标题\n\n内容\n", target)

    assert written == tmp_path / "整改台账-褚河街道-终版.md"
    assert written.read_bytes() == "# 标题\n\n内容\n".encode()
    assert [p.name for p in tmp_path.iterdir()] == [written.name]


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("总结.txt", NOT_MARKDOWN),
        ("没有的文件夹/总结.md", "the folder does not exist"),
    ],
)
def test_a_markdown_file_that_cannot_be_written_is_refused(
    tmp_path: Path, name: str, problem: str
) -> None:
    with pytest.raises(ExportError) as refused:
        write_markdown("x", tmp_path / name)

    assert refused.value.problem == problem
    assert list(tmp_path.iterdir()) == []
