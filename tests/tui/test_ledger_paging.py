"""A long ledger: the table reads only the pages it shows, and keys move through it."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from bench.generate import generate
from domain.campaign import Campaign
from domain.ledger import Ledger, NewFinding, Operator, open_ledger
from tui.app import TaizhangApp
from tui.ledger_screen import LedgerScreen
from tui.ledger_table import PAGE, LedgerTable

OPERATOR = Operator("张三", "褚河街道")
FINDINGS = 450


def fill(ledger: Ledger) -> None:
    for n in range(FINDINGS):
        ledger.record(
            OPERATOR,
            NewFinding(
                reporting_unit="褚河街道",
                category="housing",
                check_item=1,
                nature="个性问题",
                statement=f"第{n:03d}号问题",
                found_on=date(2022, 6, 1),
            ),
        )


def spy_on_pages(ledger: Ledger) -> list[tuple[int, int]]:
    """Note every page the screen asks the real store for."""
    asked: list[tuple[int, int]] = []
    real = ledger.page_rows

    def page_rows(offset: int, limit: int, *args: Any) -> Any:
        asked.append((offset, limit))
        return real(offset, limit, *args)

    ledger.page_rows = page_rows  # type: ignore[method-assign]
    return asked


def detail(screen: LedgerScreen) -> str:
    return str(screen.query_one("#row-detail").render())


async def test_page_keys_move_through_a_long_ledger_reading_only_shown_pages(
    ledger: Ledger,
) -> None:
    fill(ledger)
    asked = spy_on_pages(ledger)
    app = TaizhangApp(ledger, OPERATOR)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LedgerScreen)
        table = screen.query_one(LedgerTable)
        assert table.row_count == FINDINGS
        assert "第000号问题" in detail(screen)
        assert f"共 {FINDINGS} 条" in str(screen.query_one("#ledger-summary").render())

        header = "".join(segment.text for segment in table.render_line(0))
        assert header.rstrip().endswith("状态   灯")  # no column cut at 80 wide

        await pilot.press("pagedown")
        await pilot.pause()
        assert table.cursor_row == table.page_height
        assert f"第{table.page_height:03d}号问题" in detail(screen)
        # The rows turn a whole page with the cursor, not one line.
        assert round(table.scroll_y) == table.page_height

        await pilot.press("end")
        await pilot.pause()
        assert table.cursor_row == FINDINGS - 1
        assert "第449号问题" in detail(screen)
        assert round(table.scroll_y) == FINDINGS - table.page_height

        await pilot.press("up", "up", "home")
        await pilot.pause()
        assert table.cursor_row == 0
        assert round(table.scroll_y) == 0

    rows_read = sum(limit for _, limit in asked)
    # First page, the last page for End and its neighbour on screen, then the
    # first page again: never the whole ledger.
    assert rows_read <= 5 * PAGE < FINDINGS * 2
    assert {offset for offset, _ in asked} <= {0, 300, 400}


async def test_a_reload_keeps_the_cursor_on_its_finding(ledger: Ledger) -> None:
    fill(ledger)
    app = TaizhangApp(ledger, OPERATOR)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LedgerScreen)
        table = screen.query_one(LedgerTable)
        table.focus()
        table.move_cursor(333)
        await pilot.pause()

        await pilot.press("slash")
        await pilot.press(*"第33")
        await pilot.pause()
        # 第330号 to 第339号 hold 第33.
        assert table.row_count == 10
        assert table.current() is not None
        assert table.current().statement == "第333号问题"  # type: ignore[union-attr]
        visible = range(round(table.scroll_y), round(table.scroll_y) + table.page_height)
        assert table.cursor_row in visible


async def test_opening_reads_the_first_page_once(ledger: Ledger) -> None:
    """Opening read the first page four times: on mount, on resume, on two resizes.

    Only a new width changes the columns, so a resize to another width
    reads the rows again and one to the same width does not.
    """
    fill(ledger)
    asked = spy_on_pages(ledger)
    app = TaizhangApp(ledger, OPERATOR)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        opened = list(asked)
        await pilot.resize_terminal(80, 30)
        await pilot.pause()
        taller = list(asked)
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        wider = list(asked)

    assert opened == [(0, PAGE)]
    assert taller == opened
    assert wider == [(0, PAGE), (0, PAGE)]


async def test_row_numbers_of_a_thousand_and_more_are_shown_whole(
    tmp_path: Path, campaign: Campaign
) -> None:
    """Rows 5031 to 5033 all read 503… : the number column held three digits."""
    store = tmp_path / "ledger.sqlite"
    generate(store, 1200)
    ledger = open_ledger(campaign, store)
    app = TaizhangApp(ledger, OPERATOR)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            table = app.screen.query_one(LedgerTable)
            assert table.row_count >= 1000
            await pilot.press("end")
            await pilot.pause()
            y = table.cursor_row - round(table.scroll_y) + 1
            line = "".join(s.text for s in table.render_line(y))
            assert line.split()[0] == str(table.row_count), line
    finally:
        ledger.close()
