"""Importing a ledger file from the app: the dialog, the report, the keys."""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.widgets import DataTable, Input, Select, Static

from domain.clock import SetClock
from domain.ledger import Ledger, Operator
from exporters.ledger_import import read_ledger
from tests.conftest import SHANGHAI
from tests.exporters.workbooks import make_book, row_values
from tui.app import TaizhangApp
from tui.finding_screen import FindingScreen, describe
from tui.form import FormModal
from tui.import_screen import ImportScreen
from tui.ledger_screen import LedgerScreen
from tui.ledger_table import LedgerTable

OPERATOR = Operator("张三", "褚河街道")


@pytest.fixture(autouse=True)
def mid_june(clock: SetClock) -> None:
    clock.set(datetime(2022, 6, 15, 9, 0, tzinfo=SHANGHAI))


def text_of(pilot: Any, selector: str) -> str:
    return str(pilot.app.screen.query_one(selector, Static).render())


async def settle(pilot: Any) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


def offered(screen: Any) -> set[str]:
    """The screen's own keys the footer shows."""
    return {
        active.binding.description
        for active in screen.active_bindings.values()
        if active.node is screen and active.binding.show
    }


async def ask_import(
    pilot: Any, path: Path, sheet: str = "", on: str = "", unit: str = ""
) -> None:
    """Open the dialog with d, give the file, save: the check runs."""
    await pilot.press("d")
    await pilot.pause()
    form = pilot.app.screen
    assert isinstance(form, FormModal)
    form.query_one("#field-path", Input).value = str(path)
    form.query_one("#field-sheet", Input).value = sheet
    form.query_one("#field-on", Input).value = on
    if unit:
        form.query_one("#field-unit", Select).value = unit
    await pilot.press("ctrl+s")
    await settle(pilot)


def bad_book(tmp_path: Path) -> Path:
    rows = [
        row_values(1),
        ["2", "住房", "个性问题", "第2条问题", "措施", date(2022, 6, 9), "市住建局"],
        row_values(3),
    ]
    return make_book(tmp_path / "台账.xlsx", rows)


async def test_a_good_sheet_is_reported_then_imported_with_a(
    ledger: Ledger, tmp_path: Path, samples: Path
) -> None:
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await ask_import(pilot, samples / "handmade-wps-chuhe.xlsx")

        assert isinstance(app.screen, ImportScreen)
        assert "可以导入 6 行，不能导入 0 行" in text_of(pilot, "#import-summary")
        assert "排查内容" in text_of(pilot, "#import-notes")
        assert not app.screen.query_one(DataTable).display
        assert ledger.rows() == []
        assert offered(app.screen) == {"全部导入", "取消"}

        await pilot.press("a")
        await settle(pilot)

        assert isinstance(app.screen, LedgerScreen)
        assert app.screen.query_one("#ledger-table", LedgerTable).row_count == 6
    assert {r.source for r in ledger.rows()} == {"导入"}


async def test_a_sheet_without_a_date_line_takes_the_day_given_in_the_dialog(
    ledger: Ledger, tmp_path: Path, samples: Path
) -> None:
    """As `import --on`: the papers' day, so found days are not their deadlines."""
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await ask_import(
            pilot, samples / "handmade-plain-chuhe.xlsx", on="6月3日", unit="褚河街道"
        )

        assert isinstance(app.screen, ImportScreen)
        assert "表头日期 2022年6月3日" in text_of(pilot, "#import-summary")
        await pilot.press("a")
        await settle(pilot)
    assert {r.found_on for r in ledger.rows()} <= {date(2022, 6, d) for d in (1, 2, 3)}

    # A sheet that gives its own day keeps it: the dialog comes back, saying so.
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await ask_import(pilot, samples / "official-chuhe-week1.xlsx", on="6月3日")
        assert isinstance(app.screen, FormModal)
        assert "表中已写明日期" in text_of(pilot, "#form-message")


async def test_a_units_clerk_imports_to_their_own_unit_by_default(
    staffed_clerk: Ledger, tmp_path: Path
) -> None:
    """The dialog's 导入到单位 read 请选择 for 张三, registered to 褚河街道."""
    app = TaizhangApp(staffed_clerk, Operator("张三", "褚河街道", "单位"), export_dir=tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        assert app.screen.query_one("#field-unit", Select).value == "褚河街道"


@pytest.fixture
def staffed_clerk(ledger: Ledger) -> Ledger:
    office = Operator("王主任", "市巩固拓展脱贫攻坚成果领导小组办公室")
    ledger.register_operator(office, office.name, office.unit, "办公室")
    ledger.register_operator(office, "张三", "褚河街道", "单位")
    return ledger


async def test_bad_rows_are_listed_and_only_the_good_come_in_with_g(
    ledger: Ledger, tmp_path: Path
) -> None:
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        bad_book(tmp_path)
        # A file named without a folder is looked for in the app's folder.
        await ask_import(pilot, Path("台账.xlsx"))

        screen = app.screen
        assert isinstance(screen, ImportScreen)
        table = screen.query_one(DataTable)
        assert table.row_count == 1
        assert [str(c) for c in table.get_row_at(0)[:2]] == ["5", "B列 问题类型"]
        assert "住房" in str(table.get_row_at(0)[2])
        # The footer offered a 全部导入 that only refused: it offers what can be done.
        assert offered(screen) == {"只导入无误的行", "取消"}

        await pilot.press("a")
        await settle(pilot)
        assert app.screen is screen
        assert ledger.rows() == []

        await pilot.press("g")
        await settle(pilot)
        assert isinstance(app.screen, LedgerScreen)
    assert [r.statement for r in ledger.rows()] == ["第1条问题", "第3条问题"]


async def test_escape_leaves_the_report_and_writes_nothing(
    ledger: Ledger, tmp_path: Path, samples: Path
) -> None:
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await ask_import(pilot, samples / "official-chuhe-week1.xlsx")
        assert isinstance(app.screen, ImportScreen)

        await pilot.press("escape")
        await pilot.pause()

        assert isinstance(app.screen, LedgerScreen)
    assert ledger.rows() == []


async def test_a_file_that_is_no_xlsx_is_refused_beside_the_path(
    ledger: Ledger, tmp_path: Path
) -> None:
    csv = tmp_path / "台账.csv"
    csv.write_text("序号,问题类型\n1,饮水安全\n", encoding="utf-8")
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await ask_import(pilot, csv)

        assert isinstance(app.screen, FormModal)
        assert "纯文本" in text_of(pilot, "#error-path")


async def test_a_file_imported_before_is_shown_so_and_not_written_again(
    ledger: Ledger, tmp_path: Path, samples: Path
) -> None:
    sample = samples / "handmade-wps-chuhe.xlsx"
    ledger.import_sheet(OPERATOR, read_ledger(sample, year=2022))
    head = ledger.head()
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await ask_import(pilot, sample)
        assert "导入过" in text_of(pilot, "#import-summary")

        await pilot.press("a")
        await pilot.press("g")
        await settle(pilot)

        assert isinstance(app.screen, ImportScreen)
    assert ledger.head() == head


@pytest.mark.parametrize(
    ("sheet", "said"),
    [("第9周", "没有所指定的工作表“第9周”"), ("", "请在“导入到单位”中选择")],
)
async def test_a_file_refused_as_a_whole_brings_the_dialog_back_as_filled(
    ledger: Ledger, tmp_path: Path, samples: Path, sheet: str, said: str
) -> None:
    """A refusal after reading closed the dialog with a toast: the path typed
    was lost, to be typed again with the unit or sheet it lacked."""
    sample = samples / "handmade-plain-chuhe.xlsx"  # no unit line
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await ask_import(pilot, sample, sheet=sheet)

        form = app.screen
        assert isinstance(form, FormModal)
        assert form.query_one("#field-path", Input).value == str(sample)
        assert form.query_one("#field-sheet", Input).value == sheet
        assert said in text_of(pilot, "#form-message")


async def test_the_finding_page_shows_an_imported_remark(
    ledger: Ledger, tmp_path: Path, samples: Path
) -> None:
    sheet = read_ledger(samples / "handmade-plain-chuhe.xlsx", year=2022)
    result = ledger.import_sheet(OPERATOR, sheet, unit="褚河街道")
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = FindingScreen(ledger, result.rows[0].finding_id)
        app.push_screen(screen)
        await pilot.pause()

        console = Console(width=100, record=True, file=io.StringIO())
        console.print(screen.detail())
        assert re.search(
            r"^备注\s+备注：已入户核实", console.export_text(), re.MULTILINE
        )
        recorded = ledger.history(result.rows[0].finding_id)[0]
        assert "（来源：导入，handmade-plain-chuhe.xlsx 第2行）" in describe(
            recorded, ledger.campaign
        )


async def test_a_later_weeks_sheet_brings_in_its_new_rows_with_a(
    ledger: Ledger, tmp_path: Path
) -> None:
    """A week's cumulative sheet repeats the findings an earlier one brought:
    every such row counted as an error, and only g (good rows only) could
    bring in the one new finding."""
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)
    first = make_book(tmp_path / "第1周.xlsx", [row_values(1), row_values(2)])
    later = make_book(tmp_path / "第2周.xlsx", [row_values(1), row_values(2), row_values(3)])

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await ask_import(pilot, first)
        await pilot.press("a")
        await settle(pilot)
        await ask_import(pilot, later)

        assert isinstance(app.screen, ImportScreen)
        summary = text_of(pilot, "#import-summary")
        assert "可以导入 1 行，已登记过 2 行（跳过），不能导入 0 行" in summary, summary
        assert "全部导入" in offered(app.screen)
        await pilot.press("a")
        await settle(pilot)

    assert len(ledger.rows()) == 3
