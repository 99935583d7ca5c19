"""The office screen by keys: every unit, weeks, overdue, export, live refresh."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import openpyxl
from textual.widgets import DataTable, TabbedContent

from domain.campaign import Campaign
from domain.clock import SetClock
from domain.ledger import Ledger, NewFinding, Operator, open_ledger
from tui.app import TaizhangApp
from tui.finding_screen import FindingScreen
from tui.office_screen import OfficeScreen

OFFICE = Operator("王主任", "市巩固拓展脱贫攻坚成果领导小组办公室")
ZHANG = Operator("张三", "褚河街道")


async def test_the_office_screen_shows_all_units_and_exports_them(
    ledger: Ledger,
    campaign: Campaign,
    store: Path,
    clock: SetClock,
    new_finding: Callable[..., NewFinding],
    tmp_path: Path,
) -> None:
    ledger.record(
        ZHANG,
        new_finding(
            statement="东村王某住房未挂牌",
            measures="挂牌",
            deadline=date(2022, 6, 1),
            responsible_unit="市住建局",
        ),
    )
    elsewhere = open_ledger(campaign, store, clock)
    app = TaizhangApp(ledger, OFFICE, export_dir=tmp_path)

    async with app.run_test(size=(110, 32)) as pilot:
        await pilot.pause()
        await pilot.press("h")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, OfficeScreen)
        units = screen.query_one("#office-units", DataTable)
        assert units.row_count == len(campaign.reporting_units)
        overdue = screen.query_one("#office-overdue", DataTable)
        assert overdue.row_count == 1
        # 2022年6月1日 ran past its 11 cells into 责任单位 (…6月10市人社局).
        assert str(overdue.get_row_at(0)[1]) == "6月1日"
        # Which units have sealed their final ledger, as the command line says.
        weeks = screen.query_one("#office-weeks", DataTable)
        assert [str(c.label) for c in weeks.columns.values()][-1] == "终版台账"
        assert str(weeks.get_row_at(0)[-1]) == "未封存"

        elsewhere.record(
            Operator("孙七", "火龙镇"),
            new_finding(
                reporting_unit="火龙镇",
                statement="乙",
                measures="补缴",
                deadline=date(2022, 6, 1),
                responsible_unit="市医保局",
            ),
        )
        for _ in range(25):
            await pilot.pause(0.1)
            if screen.query_one("#office-overdue", DataTable).row_count == 2:
                break
        assert screen.query_one("#office-overdue", DataTable).row_count == 2

        await pilot.press("e")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()

        screen.query_one("#office-tabs", TabbedContent).active = "tab-overdue"
        await pilot.pause()
        table = screen.query_one("#office-overdue", DataTable)
        table.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, FindingScreen)
    elsewhere.close()

    book = openpyxl.load_workbook(tmp_path / "整改台账汇总-当前.xlsx")
    assert book.sheetnames[:4] == ["汇总", "各周报送", "逾期问题", "按责任单位"]
    assert len(book.sheetnames) == 6


async def test_the_units_table_shows_every_cell_whole_at_80_columns(
    ledger: Ledger, clock: SetClock, tmp_path: Path
) -> None:
    """The office and the team read alike (市巩固拓展脱贫攻坚 …), the weeks owed
    were cut (第1周、第2周、第) and counts ran into the next column."""
    from rich.cells import cell_len

    clock.set(clock.now().replace(month=6, day=30))
    app = TaizhangApp(ledger, OFFICE, export_dir=tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("h")
        await pilot.pause()
        units = app.screen.query_one("#office-units", DataTable)
        rows = [[str(c) for c in units.get_row_at(i)] for i in range(units.row_count)]
        widths = [column.width for column in units.columns.values()]

    names = [row[0] for row in rows]
    assert len(set(names)) == len(names), names
    for row in rows:
        for cell, width in zip(row, widths, strict=True):
            assert cell_len(cell) < width, (cell, width)
    # Week 4 lies wholly in 总结验收, whose final ledger replaces the weekly one.
    assert "第1、2、3周" in {row[-1] for row in rows}


async def test_the_office_screen_counts_findings_by_responsible_unit(
    ledger: Ledger, new_finding: Callable[..., NewFinding], tmp_path: Path
) -> None:
    """The workbook had a 按责任单位 sheet; the office's own screen had no such table."""
    ledger.record(
        ZHANG,
        new_finding(measures="挂牌", deadline=date(2022, 6, 1), responsible_unit="市住建局"),
    )
    app = TaizhangApp(ledger, OFFICE, export_dir=tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("h")
        await pilot.pause()
        screen = app.screen
        screen.query_one(TabbedContent).active = "tab-responsible"
        await pilot.pause()
        table = screen.query_one("#office-responsible", DataTable)
        headers = [str(c.label) for c in table.columns.values()]
        assert headers[0] == "责任单位" and headers[-1] == "按时完成率", headers
        row = [str(c) for c in table.get_row_at(table.get_row_index("市住建局"))]
        assert row[:2] == ["市住建局", "1"] and row[headers.index("逾期")] == "1", row
        assert table.row_count == len(ledger.campaign.responsible_units)
