"""Same numbers everywhere: a known campaign, its figures counted from the raw events.

The expected figures are folded here from the events the ledger stored, with
plain dictionaries and none of the statistics code. Then every figure of the
statistics screen (now and as of each week), the coverage screen, the final
ledger's 统计 and 汇总 sheets, the Markdown summary and the `stats` command
must match them.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from textual.widgets import DataTable

from domain.campaign import Campaign
from domain.clock import SetClock
from domain.ledger import Ledger, NewFinding, Operator
from tests.conftest import SHANGHAI
from tests.tui.pilot_keys import choose
from tui.app import TaizhangApp
from tui.cli import main
from tui.coverage_screen import CoverageScreen
from tui.statistics_screen import StatisticsScreen

CHUHE = Operator("张三", "褚河街道")
HUOLONG = Operator("孙七", "火龙镇")
INSPECTOR = Operator("李验收", "市巩固拓展脱贫攻坚成果调研指导组")
OPEN = ("待整改", "整改中")
DONE = ("待验收", "已销号")
STATUSES = ("待整改", "整改中", "待验收", "已销号", "已作废")


def at(clock: SetClock, month: int, day: int, hour: int = 10) -> None:
    clock.set(datetime(2022, month, day, hour, 0, tzinfo=SHANGHAI))


def plan(deadline: date, unit: str) -> dict[str, Any]:
    return {"measures": "逐户整改", "deadline": deadline, "responsible_unit": unit}


def build(ledger: Ledger, clock: SetClock) -> None:
    """Two units over four weeks: every status, a late recording, a correction,
    a failed acceptance, an extension, screenings, and a sealed final ledger."""

    def new(
        unit: str,
        category: str,
        item: int,
        nature: str,
        text: str,
        found: date,
        **more: Any,
    ) -> NewFinding:
        return NewFinding(
            unit, category, item, nature, text, found, cause="排查发现", **more
        )

    at(clock, 6, 2)
    f1 = ledger.record(
        CHUHE,
        new(
            "褚河街道",
            "housing",
            1,
            "个性问题",
            "东村王某未挂牌",
            date(2022, 6, 1),
            **plan(date(2022, 6, 6), "市住建局"),
        ),
    )
    f2 = ledger.record(
        CHUHE,
        new("褚河街道", "water", 2, "共性问题", "西村水质报告未张贴", date(2022, 6, 2)),
    )
    at(clock, 6, 3)
    f3 = ledger.record(
        HUOLONG,
        new(
            "火龙镇",
            "health",
            1,
            "个性问题",
            "李某未参保",
            date(2022, 6, 3),
            **plan(date(2022, 6, 10), "市医保局"),
        ),
    )
    f4 = ledger.record(
        HUOLONG,
        new(
            "火龙镇",
            "education",
            1,
            "共性问题",
            "重复登记的辍学",
            date(2022, 6, 3),
            **plan(date(2022, 6, 8), "市教体局"),
        ),
    )
    at(clock, 6, 6)
    ledger.complete(CHUHE, f1, 2, on=date(2022, 6, 6), effect="已挂牌")  # on the day
    ledger.withdraw(HUOLONG, f4, 2, reason="重复")
    ledger.record_screening(
        CHUHE, "褚河街道", "housing", 2, households=100, problems_found=0
    )
    ledger.record_screening(
        CHUHE, "褚河街道", "water", 2, households=60, problems_found=1
    )
    ledger.record_screening(
        HUOLONG, "火龙镇", "health", 1, households=50, problems_found=2
    )

    at(clock, 6, 9)
    f5 = ledger.record(
        CHUHE,
        new(
            "褚河街道",
            "employment",
            3,
            "个性问题",
            "公益岗一人多岗",
            date(2022, 6, 4),
            **plan(date(2022, 6, 12), "市人社局"),
        ),
    )
    ledger.pass_acceptance(INSPECTOR, f1, 3, on=date(2022, 6, 9))
    ledger.report_progress(HUOLONG, f3, 2, on=date(2022, 6, 9), progress="已动员")
    at(clock, 6, 11)
    ledger.complete(HUOLONG, f3, 3, on=date(2022, 6, 11), effect="已参保")
    at(clock, 6, 12)
    ledger.plan(CHUHE, f2, 1, **plan(date(2022, 6, 15), "市水利局"))
    at(clock, 6, 13)
    ledger.fail_acceptance(INSPECTOR, f3, 4, on=date(2022, 6, 13), remarks="缺佐证")
    at(clock, 6, 14)
    ledger.extend_deadline(CHUHE, f2, 2, deadline=date(2022, 6, 25), reason="需检测")

    at(clock, 6, 15)
    ledger.correct(CHUHE, f5, 2, field="nature", value="共性问题", reason="多村存在")
    at(clock, 6, 16)
    ledger.record(
        CHUHE,
        new(
            "褚河街道",
            "finance",
            1,
            "个性问题",
            "小额信贷未宣传",
            date(2022, 6, 16),
            **plan(date(2022, 6, 18), "市金融事务中心"),
        ),
    )
    at(clock, 6, 17)
    ledger.complete(HUOLONG, f3, 5, on=date(2022, 6, 17), effect="已补齐佐证")
    at(clock, 6, 21)
    ledger.pass_acceptance(INSPECTOR, f3, 6, on=date(2022, 6, 21))
    ledger.seal(CHUHE, "褚河街道", "王主任", force=True)
    at(clock, 6, 22)


@dataclass
class Folded:
    """What the raw events say, kept in plain dictionaries."""

    findings: dict[str, dict[str, Any]] = field(default_factory=dict)
    screenings: list[dict[str, Any]] = field(default_factory=list)


def fold(ledger: Ledger, before: datetime | None = None) -> Folded:
    """Fold every event recorded before `before` (all of them without it)."""
    folded = Folded()
    units: dict[Any, str] = {}
    for event in ledger.events_in_order():
        if before is not None and event.timestamp >= before:
            continue
        kind = type(event).__name__
        if kind == "Opened":
            units[event.originator_id] = event.unit
            continue
        if kind == "ItemScreened":
            folded.screenings.append(
                {
                    "unit": units[event.originator_id],
                    "category": event.category,
                    "item": event.check_item,
                    "households": event.households,
                    "problems": event.problems_found,
                }
            )
            continue
        key = str(event.originator_id)
        if kind == "Recorded":
            folded.findings[key] = {
                "unit": event.reporting_unit,
                "category": event.category,
                "item": event.check_item,
                "nature": event.nature,
                "statement": event.statement,
                "found": event.on,
                "deadline": None,
                "status": "待整改",
                "completed": None,
                "accepted": None,
                "responsible": "",
            }
            continue
        if key not in folded.findings:
            continue
        f = folded.findings[key]
        if kind == "RectificationPlanned":
            f.update(
                deadline=event.deadline,
                status="整改中",
                responsible=event.responsible_unit,
            )
        elif kind == "DeadlineExtended":
            f["deadline"] = event.deadline
        elif kind == "ProgressReported":
            f["status"] = "整改中"
        elif kind == "RectificationCompleted":
            f.update(status="待验收", completed=event.on)
        elif kind == "AcceptancePassed":
            f.update(status="已销号", accepted=event.on)
        elif kind == "AcceptanceFailed":
            f.update(status="整改中", completed=None)
        elif kind == "FieldCorrected":
            f[event.field] = event.new
        elif kind == "Withdrawn":
            f["status"] = "已作废"
        else:
            raise AssertionError(f"the test does not fold {kind}")
    return folded


@dataclass(frozen=True)
class Expected:
    """The figures of one scope, counted by hand from folded findings."""

    grid: Counter[tuple[str, str, str]]
    overdue: list[tuple[str, str, int]]
    rectified: int
    closed: int
    still_open: int
    withdrawn: int
    found: int
    on_time: int
    weeks: list[tuple[int, int, int]]

    @property
    def due(self) -> int:
        return self.rectified + len(self.overdue)

    @property
    def rate(self) -> str:
        return f"{self.on_time / self.due * 100:.1f}%" if self.due else "—"


def expect(
    folded: Folded,
    day: date,
    campaign: Campaign,
    unit: str = "",
    category: str = "",
) -> Expected:
    chosen = [
        f
        for f in folded.findings.values()
        if (not unit or f["unit"] == unit)
        and (not category or f["category"] == category)
    ]
    live = [f for f in chosen if f["status"] != "已作废"]
    overdue = [
        f for f in live if f["status"] in OPEN and f["deadline"] and f["deadline"] < day
    ]
    done = [f for f in live if f["status"] in DONE]
    shown = [n for n in campaign.report_weeks if campaign.week_days(n)[0] <= day]

    def week_of(d: date) -> int:
        return min(max(campaign.week_of(d), shown[0]), shown[-1])

    new = Counter(week_of(f["found"]) for f in live)
    closed = Counter(week_of(f["accepted"]) for f in live if f["status"] == "已销号")
    return Expected(
        grid=Counter((f["category"], f["nature"], f["status"]) for f in chosen),
        overdue=sorted(
            ((f["unit"], f["statement"], (day - f["deadline"]).days) for f in overdue),
            key=lambda o: -o[2],
        ),
        rectified=len(done),
        closed=sum(1 for f in live if f["status"] == "已销号"),
        still_open=sum(1 for f in live if f["status"] in OPEN),
        withdrawn=len(chosen) - len(live),
        found=len(live),
        on_time=sum(1 for f in done if f["completed"] <= f["deadline"]),
        weeks=[(n, new[n], closed[n]) for n in shown],
    )


def kind_rows(
    folded: Folded, day: date, campaign: Campaign, unit: str = ""
) -> list[list[str]]:
    """The expected category × nature rows: name, short nature, statuses, found, overdue."""
    rows = []
    for c in campaign.categories:
        for nature in campaign.natures:
            scoped = [
                f
                for f in folded.findings.values()
                if f["category"] == c.key
                and f["nature"] == nature
                and (not unit or f["unit"] == unit)
            ]
            counts = [sum(1 for f in scoped if f["status"] == s) for s in STATUSES]
            overdue = sum(
                1
                for f in scoped
                if f["status"] in OPEN and f["deadline"] and f["deadline"] < day
            )
            rows.append(
                [c.label, nature, *map(str, counts), str(sum(counts[:4])), str(overdue)]
            )
    return rows


def total_cells(e: Expected) -> list[str]:
    counts = [
        sum(n for (_, _, s), n in e.grid.items() if s == status) for status in STATUSES
    ]
    return [*map(str, counts), str(e.found), str(len(e.overdue))]


def plain(row: list[Any]) -> list[str]:
    return [str(cell) for cell in row]


def check_statistics_screen(
    screen: StatisticsScreen, folded: Folded, day: date, campaign: Campaign
) -> None:
    whole = expect(folded, day, campaign)

    kinds = screen.query_one("#stats-kinds", DataTable)
    shown = [plain(kinds.get_row_at(i)) for i in range(kinds.row_count)]
    wanted = kind_rows(folded, day, campaign)
    assert [r[:1] + [r[1].removesuffix("问题")] + r[2:] for r in wanted] == shown[:-1]
    assert shown[-1] == ["合计", "", *total_cells(whole)]

    units = screen.query_one("#stats-units", DataTable)
    # The units that hand in a ledger, then the office or team if they have findings.
    extra = [u for u in campaign.units.receiving if expect(folded, day, campaign, unit=u).found]
    listed = [*campaign.reporting_units, *sorted(extra)]
    assert units.row_count == len(listed)
    for i, unit in enumerate(listed):
        e = expect(folded, day, campaign, unit=unit)
        assert plain(units.get_row_at(i)) == [unit, *total_cells(e), e.rate], unit

    overdue = screen.query_one("#stats-overdue", DataTable)
    assert [
        (str(r[0]), str(r[2]), str(r[4]))
        for r in (overdue.get_row_at(i) for i in range(overdue.row_count))
    ] == [(u, s, f"{d}天") for u, s, d in whole.overdue]

    bars = str(screen.query_one("#stats-bars").render())
    assert [
        (int(w), int(n), int(c))
        for w, n, c in re.findall(
            r"第(\d+)周 \S+\s+新增\s+(\d+) \S*\n\s+销号\s+(\d+)", bars
        )
    ] == whole.weeks

    summary = str(screen.query_one("#stats-summary").render())
    assert (
        f"发现问题 {whole.found}，已完成整改 {whole.rectified}（已销号 {whole.closed}），"
        f"尚未完成 {whole.still_open}，逾期 {len(whole.overdue)}，"
        f"已作废 {whole.withdrawn}；按时完成率 {whole.rate}（{whole.on_time}/{whole.due}）"
    ) in summary


@pytest.fixture
def built(ledger: Ledger, clock: SetClock) -> Ledger:
    build(ledger, clock)
    return ledger


def test_the_known_campaign_folds_to_the_figures_worked_out_by_hand(
    built: Ledger, campaign: Campaign
) -> None:
    """Guard the fold itself: the story above, counted on paper."""
    now = expect(fold(built), date(2022, 6, 22), campaign)

    assert (now.found, now.withdrawn, now.rectified, now.closed) == (5, 1, 2, 2)
    assert now.overdue == [
        ("褚河街道", "公益岗一人多岗", 10),
        ("褚河街道", "小额信贷未宣传", 4),
    ]
    assert (now.on_time, now.due, now.rate) == (1, 4, "25.0%")
    assert now.weeks == [(1, 4, 0), (2, 0, 1), (3, 1, 1), (4, 0, 0)]
    assert now.grid[("employment", "共性问题", "整改中")] == 1

    week1 = expect(fold(built, built.week_cutoff(1)), date(2022, 6, 7), campaign)
    assert (week1.found, week1.rectified, week1.on_time, week1.due) == (3, 1, 1, 1)
    assert week1.weeks == [(1, 3, 0)]


async def test_the_statistics_screen_shows_the_folded_figures_now_and_per_week(
    built: Ledger, campaign: Campaign, tmp_path: Path
) -> None:
    app = TaizhangApp(built, CHUHE, export_dir=tmp_path)

    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, StatisticsScreen)
        check_statistics_screen(screen, fold(built), date(2022, 6, 22), campaign)

        for week in campaign.report_weeks:
            await choose(pilot, "#stats-week", f"第{week}周")
            folded = fold(built, built.week_cutoff(week))
            check_statistics_screen(
                screen, folded, campaign.week_days(week)[1], campaign
            )

        await choose(pilot, "#stats-unit", "火龙镇")
        e = expect(
            fold(built, built.week_cutoff(4)),
            date(2022, 6, 28),
            campaign,
            unit="火龙镇",
        )
        units = screen.query_one("#stats-units", DataTable)
        assert units.row_count == 1
        assert plain(units.get_row_at(0)) == ["火龙镇", *total_cells(e), e.rate]


async def test_the_coverage_screen_shows_the_folded_screenings_and_findings(
    built: Ledger, campaign: Campaign, tmp_path: Path
) -> None:
    folded = fold(built)
    recorded = {(s["unit"], s["category"], s["item"]) for s in folded.screenings}
    found = [
        (f["unit"], f["category"], f["item"])
        for f in folded.findings.values()
        if f["status"] != "已作废"
    ]
    # A screening whose problems found are not the findings recorded under it.
    counted: dict[tuple[str, str, int], int] = {}
    for s in folded.screenings:
        key = (s["unit"], s["category"], s["item"])
        counted[key] = counted.get(key, 0) + s["problems"]
    differ = {key for key, n in counted.items() if n != found.count(key)}
    assert differ  # the campaign built has such items
    items = [
        (c.key, n) for c in campaign.categories for n in range(1, len(c.items) + 1)
    ]
    app = TaizhangApp(built, CHUHE, export_dir=tmp_path)

    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        await pilot.press("v")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CoverageScreen)
        table = screen.query_one("#coverage-table", DataTable)
        for row, unit in enumerate(campaign.reporting_units):
            marks = [str(c).strip() for c in table.get_row_at(row)[1:]]
            assert marks == [
                "!" if (unit, *i) in differ
                else "✓" if (unit, *i) in recorded
                else "◇" if (unit, *i) in found
                else "✗"
                for i in items
            ], unit
        screened = len(recorded | set(found))
        total = len(items) * len(campaign.reporting_units)
        summary = str(screen.query_one("#coverage-summary").render())
        assert f"已排查 {screened}/{total}，未排查 {total - screened}" in summary
        assert f"{len(differ)} 项与台账不符" in summary


async def test_the_final_sheets_and_markdown_carry_the_folded_figures(
    built: Ledger, campaign: Campaign, tmp_path: Path
) -> None:
    app = TaizhangApp(built, CHUHE, export_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("f")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()

    unit, day = "褚河街道", date(2022, 6, 22)
    folded = fold(built)
    whole = expect(folded, day, campaign, unit=unit)
    book = load_workbook(tmp_path / f"整改台账-{unit}-终版.xlsx")
    assert book.sheetnames == ["整改台账", "明细", "统计", "汇总"]

    grid = [list(r) for r in book["统计"].iter_rows(min_row=2, values_only=True)]
    wanted_grid = [
        [r[0], r[1], *map(int, r[2:])] for r in kind_rows(folded, day, campaign, unit)
    ]
    assert grid[:-1] == wanted_grid
    assert grid[-1] == ["合计", None, *map(int, total_cells(whole))]

    screened = {
        (s["category"], s["item"]) for s in folded.screenings if s["unit"] == unit
    }
    screened |= {
        (f["category"], f["item"])
        for f in folded.findings.values()
        if f["unit"] == unit and f["status"] != "已作废"
    }
    summary_rows = []
    for c in campaign.categories:
        e = expect(folded, day, campaign, unit=unit, category=c.key)
        done = sum(1 for n in range(1, len(c.items) + 1) if (c.key, n) in screened)
        summary_rows.append(
            [
                c.label,
                e.found,
                e.rectified,
                e.closed,
                e.still_open,
                len(e.overdue),
                e.on_time,
                e.due,
                e.rate,
                f"{done}/{len(c.items)}",
            ]
        )
    summary_rows.append(
        [
            "合计",
            whole.found,
            whole.rectified,
            whole.closed,
            whole.still_open,
            len(whole.overdue),
            whole.on_time,
            whole.due,
            whole.rate,
            f"{len(screened)}/31",
        ]
    )
    sheet = [list(r) for r in book["汇总"].iter_rows(min_row=2, values_only=True)]
    assert sheet == summary_rows

    markdown = (tmp_path / f"整改台账-{unit}-终版.md").read_text(encoding="utf-8")
    table_rows = [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in markdown.splitlines()
        if line.startswith("| ")
    ]
    assert [list(map(str, r)) for r in summary_rows] == [
        r
        for r in table_rows
        if r[0] in {c.label for c in campaign.categories} | {"合计"} and len(r) == 10
    ]
    assert [list(map(str, r)) for r in grid[:-1]] == [
        r for r in table_rows if len(r) == 9 and r[1] in campaign.natures
    ]
    assert (
        f"共发现问题 {whole.found} 个（共性问题 "
        f"{sum(n for (_, k, s), n in whole.grid.items() if k == '共性问题' and s != '已作废')}"
        " 个、个性问题 "
        f"{sum(n for (_, k, s), n in whole.grid.items() if k == '个性问题' and s != '已作废')}"
        f" 个）。已完成整改 {whole.rectified} 个，其中已验收销号 {whole.closed} 个；"
        f"尚未完成 {whole.still_open} 个，其中逾期 {len(whole.overdue)} 个。"
        f"按时完成率 {whole.rate}（按时完成 {whole.on_time} 个，应完成 {whole.due} 个）。"
        f"31 项排查内容已排查 {len(screened)} 项。"
    ) in markdown
    overdue_rows = [r for r in table_rows if len(r) == 6 and r[0].isdigit()]
    assert [(r[2], int(r[4])) for r in overdue_rows] == [
        (s, d) for _, s, d in whole.overdue
    ]
    assert re.search(r"终版台账已由 王主任 于 \S+ 签字封存", markdown), markdown


def test_the_stats_command_prints_the_folded_figures(
    built: Ledger,
    campaign: Campaign,
    store: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    folded = fold(built, built.week_cutoff(2))
    e = expect(folded, date(2022, 6, 14), campaign, unit="火龙镇")
    built.close()

    code = main(["--store", str(store), "stats", "--unit", "火龙镇", "--week", "2"])

    out = capsys.readouterr().out
    assert code == 0
    assert (
        f"发现问题 {e.found} 个，已完成整改 {e.rectified} 个（已销号 {e.closed} 个），"
        f"尚未完成 {e.still_open} 个，逾期 {len(e.overdue)} 个，已作废 {e.withdrawn} 个；"
        f"按时完成率 {e.rate}（按时完成 {e.on_time} 个，应完成 {e.due} 个）"
    ) in out
    by_unit = out[out.index("按单位统计") : out.index("逾期问题")]
    [unit_line] = [line for line in by_unit.splitlines() if "火龙镇" in line]
    assert unit_line.split() == ["火龙镇", *total_cells(e), e.rate]
