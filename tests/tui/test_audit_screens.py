"""Audit screens driven by keys: time travel, the weeks, the journal."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import openpyxl
from rich.cells import cell_len
from rich.console import Console

from domain.clock import SetClock
from domain.ledger import Ledger, NewFinding, Operator
from domain.state import Status
from tests.conftest import SHANGHAI
from tests.tui.pilot_keys import choose, shown_lines, type_text
from tui.app import TaizhangApp
from tui.finding_screen import FindingScreen
from tui.form import FormModal
from tui.journal_screen import JournalScreen
from tui.ledger_screen import LedgerScreen
from tui.week_screen import WeekScreen
from tui.weeks_screen import WeeksScreen

OPERATOR = Operator("张三", "褚河街道")


def at(clock: SetClock, month: int, day: int, hour: int = 10) -> None:
    clock.set(datetime(2022, month, day, hour, 0, tzinfo=SHANGHAI))


def two_weeks(ledger: Ledger, clock: SetClock) -> tuple[str, str, str]:
    """A planned finding in week 1; in week 2 it is completed (backdated) and
    a finding found in week 1 is recorded late."""
    at(clock, 6, 2)
    a = ledger.record(
        OPERATOR,
        NewFinding(
            reporting_unit="褚河街道",
            category="housing",
            check_item=1,
            nature="个性问题",
            statement="东村王某未挂牌",
            found_on=date(2022, 6, 1),
            measures="挂牌",
            deadline=date(2022, 6, 10),
            responsible_unit="市住建局",
        ),
    )
    b = ledger.record(
        OPERATOR,
        NewFinding(
            reporting_unit="褚河街道",
            category="water",
            check_item=2,
            nature="共性问题",
            statement="西村水质报告未张贴",
            found_on=date(2022, 6, 2),
        ),
    )
    at(clock, 6, 9)
    ledger.complete(OPERATOR, a, 2, on=date(2022, 6, 6), effect="已挂牌")
    c = ledger.record(
        OPERATOR,
        NewFinding(
            reporting_unit="褚河街道",
            category="health",
            check_item=1,
            nature="个性问题",
            statement="李某未参保",
            found_on=date(2022, 6, 3),
        ),
    )
    ledger.withdraw(OPERATOR, b, 1, reason="重复")
    return a, b, c


async def test_time_travel_shows_the_past_read_only_and_returns(
    ledger: Ledger, clock: SetClock, tmp_path: Path
) -> None:
    a, b, c = two_weeks(ledger, clock)
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LedgerScreen)
        assert {s.finding_id for s in screen.shown()} == {a, b, c}

        await pilot.press("t")
        await type_text(pilot, "2022-06-05 18:00")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, LedgerScreen)
        assert {s.finding_id: s.status for s in screen.shown()} == {
            a: Status.IN_PROGRESS,
            b: Status.PENDING,
        }
        banner = str(screen.query_one("#history-banner").render())
        assert "历史视图（只读）：2022年6月5日 18:00 时的台账" in banner

        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, LedgerScreen)  # no form in history

        screen.query_one("#ledger-table").move_cursor(0)
        await pilot.press("enter")
        await pilot.pause()
        finding = app.screen
        assert isinstance(finding, FindingScreen)
        assert finding.state.status is Status.IN_PROGRESS
        assert finding.query_one("#finding-history").row_count == 2
        await pilot.press("c")
        await pilot.pause()
        assert not isinstance(app.screen, FormModal)  # read-only
        await pilot.press("escape")
        await pilot.pause()

        await pilot.press("t")
        await pilot.pause()
        assert {s.finding_id for s in screen.shown()} == {a, b, c}
        assert not screen.query_one("#history-banner").display


async def test_time_travel_says_what_was_entered_after_the_moment(
    ledger: Ledger, clock: SetClock, tmp_path: Path
) -> None:
    """李某未参保, found June 3 and entered June 9, was missing from June 5's
    ledger without a word: the past looked complete."""
    two_weeks(ledger, clock)
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press("t")
        await type_text(pilot, "2022-06-05 18:00")
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()

        assert "李某未参保" not in {s.statement for s in screen.shown()}
        banner = str(screen.query_one("#history-banner").render())
        assert "另有 1 个问题" in banner and "之后才录入" in banner, banner
        assert "按 t 回到当前" in banner
        # All of it shows at 80 columns: it was cut at "…另有 1".
        shown = screen.query_one("#history-banner")
        lines = shown_lines(shown)
        assert "".join(line.strip() for line in lines).endswith("现在所知的台账）。"), lines


async def test_an_empty_past_does_not_offer_a_new_finding(
    ledger: Ledger, clock: SetClock, tmp_path: Path
) -> None:
    """A past with no rows said 按 n 新建, which history then refused."""
    two_weeks(ledger, clock)
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("t")
        await type_text(pilot, "2022-05-25")
        await pilot.press("ctrl+s")
        await pilot.pause()

        detail = str(app.screen.query_one("#row-detail").render())
        assert "没有问题" in detail and "按 n 新建" not in detail
        # Nothing is filtered: no filter to clear either.
        assert "清除筛选" not in detail


async def test_enter_goes_back_in_time_and_the_dialog_names_its_key_for_what_it_does(
    ledger: Ledger, clock: SetClock, tmp_path: Path
) -> None:
    a, b, _ = two_weeks(ledger, clock)
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press("t")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, FormModal)
        keys = {k: b.binding.description for k, b in dialog.active_bindings.items()}
        assert keys["ctrl+s"] == "确定"
        await type_text(pilot, "2022-06-05 18:00")
        await pilot.press("enter")
        await pilot.pause()

        assert app.screen is screen
        assert {s.finding_id for s in screen.shown()} == {a, b}


async def test_the_weeks_screen_compares_reported_and_known_and_exports(
    ledger: Ledger, clock: SetClock, tmp_path: Path
) -> None:
    a, b, c = two_weeks(ledger, clock)
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("w")
        await pilot.pause()
        weeks = app.screen
        assert isinstance(weeks, WeeksScreen)
        assert weeks.query_one("#weeks-table").get_row_at(0)[2:4] == ["2", "0"]
        assert weeks.query_one("#weeks-table").get_row_at(1)[2:4] == ["1", "1"]

        await pilot.press("enter")
        await pilot.pause()
        week = app.screen
        assert isinstance(week, WeekScreen)
        assert week.query_one("#week-reported").row_count == 2
        assert week.query_one("#week-known").row_count == 3
        # A statement cut to its column leaves a gap before the status.
        known = week.query_one("#week-known")
        statements = list(known.columns.values())[1]
        for cell in known.get_column(statements.key):
            assert cell_len(str(cell)) < statements.width, str(cell)
        late = week.query_one("#week-late")
        assert late.row_count == 2
        assert {late.get_row_at(i)[1] for i in range(2)} == {
            "东村王某未挂牌",
            "李某未参保",
        }

        await pilot.press("e")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        # This form has no “依据” to choose: the late entries are on the file.
        said = " ".join(str(n.message) for n in app._notifications)
        assert "表后的“迟报漏报”表列出了它们" in said and "依据" not in said

    book = openpyxl.load_workbook(tmp_path / "整改台账-褚河街道-第1周-含差异.xlsx")
    assert book.sheetnames == ["整改台账", "明细", "迟报漏报", "与上周比较"]
    ledger_sheet = book["整改台账"]
    assert [ledger_sheet["D4"].value, ledger_sheet["D5"].value] == [
        "东村王某未挂牌",
        "西村水质报告未张贴",
    ]
    late_sheet = book["迟报漏报"]
    assert {late_sheet["C2"].value, late_sheet["C3"].value} == {
        "东村王某未挂牌",
        "李某未参保",
    }


async def test_the_weeks_screen_says_which_weeks_were_handed_in(
    ledger: Ledger, clock: SetClock, tmp_path: Path
) -> None:
    """The weeks list showed counts only: whether a week had been handed in
    was to be found elsewhere."""
    two_weeks(ledger, clock)
    ledger.submit_week(OPERATOR, "褚河街道", 1)
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("w")
        await pilot.pause()
        table = app.screen.query_one("#weeks-table")
        # The operator's own unit first; on 6/9 week 2 is not over.
        assert [table.get_row_at(n)[-1] for n in (0, 1)] == ["6月9日报送", "未到期"]

        await choose(pilot, "#weeks-unit", "")
        reporting = len(ledger.campaign.reporting_units)
        assert table.get_row_at(0)[-1] == f"1/{reporting} 个单位"
        assert table.get_row_at(1)[-1] == f"0/{reporting} 个单位"


async def test_the_journal_filters_events_and_jumps_to_the_finding(
    ledger: Ledger, clock: SetClock, tmp_path: Path
) -> None:
    a, b, c = two_weeks(ledger, clock)
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("j")
        await pilot.pause()
        journal = app.screen
        assert isinstance(journal, JournalScreen)
        assert len(journal.entries) == 6

        await choose(pilot, "#journal-kind", "作废")
        assert [e.finding_id for e in journal.entries] == [b]

        await choose(pilot, "#journal-kind", "")
        journal.query_one("#journal-since").focus()
        await type_text(pilot, "6月9日")
        await pilot.press("enter")
        await pilot.pause()
        assert len(journal.entries) == 3

        journal.query_one("#journal-table").move_cursor(row=0)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, FindingScreen)
        assert app.screen.finding_id == a


async def test_the_journal_lists_every_record_not_only_the_findings(
    ledger: Ledger, clock: SetClock, tmp_path: Path
) -> None:
    """The journal said 共 25 条记录 where verify counted 34: a week handed in,
    a check item screened, an operator registered were missing from it."""
    two_weeks(ledger, clock)
    ledger.submit_week(OPERATOR, "褚河街道", 1)
    ledger.record_screening(OPERATOR, "褚河街道", "housing", 2, households=80, problems_found=0)
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("j")
        await pilot.pause()
        journal = app.screen
        assert isinstance(journal, JournalScreen)
        assert len(journal.entries) == ledger.head()
        summary = str(journal.query_one("#journal-summary").render())
        assert f"共 {ledger.head()} 条记录" in summary

        await choose(pilot, "#journal-kind", "排查登记")
        [screened] = journal.entries
        assert screened.unit == "褚河街道" and screened.finding_id == ""
        table = journal.query_one("#journal-table")
        assert "第 2 项" in str(table.get_row_at(0)[-1]) and "80 户" in str(table.get_row_at(0)[-1])

        await choose(pilot, "#journal-kind", "")
        table.focus()
        await pilot.press("end")  # the newest record, as on the ledger table
        await pilot.pause()
        assert table.cursor_row == len(journal.entries) - 1
        await pilot.press("home")
        await pilot.pause()
        assert table.cursor_row == 0

        await choose(pilot, "#journal-kind", "报送周台账")
        assert len(journal.entries) == 1
        table.move_cursor(row=0)
        await pilot.press("enter")  # no finding to open: the journal stays
        await pilot.pause()
        assert app.screen is journal


async def test_the_journal_tells_a_sheet_imported_from_a_bundle_imported(
    ledger: Ledger, clock: SetClock, tmp_path: Path, samples: Path
) -> None:
    """After a spreadsheet import, j closed the app with a KeyError: the
    sheet's import record and a bundle's share a class name (Imported), and
    the journal read the sheet's as a bundle's."""
    from exporters.ledger_import import read_ledger

    at(clock, 6, 9)
    sheet = read_ledger(samples / "handmade-plain-chuhe.xlsx", year=2022)
    ledger.import_sheet(OPERATOR, sheet, unit="褚河街道")
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("j")
        await pilot.pause()
        journal = app.screen
        assert isinstance(journal, JournalScreen)
        assert len(journal.entries) == ledger.head()
        table = journal.query_one("#journal-table")
        kinds = {str(table.get_row_at(n)[4]) for n in range(table.row_count)}
        assert "导入数据包" not in kinds and "导入台账" in kinds, kinds


def detail_text(screen: object) -> str:
    assert isinstance(screen, FindingScreen)
    console = Console(record=True, width=100, file=io.StringIO())
    console.print(screen.detail())
    return console.export_text()


async def test_a_finding_seen_in_the_past_is_judged_overdue_on_that_day(
    ledger: Ledger, clock: SetClock, tmp_path: Path
) -> None:
    at(clock, 6, 2)
    ledger.record(
        OPERATOR,
        NewFinding(
            reporting_unit="褚河街道",
            category="housing",
            check_item=1,
            nature="个性问题",
            statement="东村王某未挂牌",
            found_on=date(2022, 6, 1),
            measures="挂牌",
            deadline=date(2022, 6, 4),
            responsible_unit="市住建局",
        ),
    )
    at(clock, 6, 9)  # today the deadline has passed; on June 3rd it had not
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert "已逾期" in detail_text(app.screen)
        await pilot.press("escape", "t")
        await type_text(pilot, "6月3日")
        await pilot.press("ctrl+s")
        await pilot.pause()
        banner = str(app.screen.query_one("#history-banner").render())
        assert "历史视图（只读）：2022年6月3日结束时的台账" in banner
        await pilot.press("enter")
        await pilot.pause()

        assert isinstance(app.screen, FindingScreen)
        assert "已逾期" not in detail_text(app.screen)


async def test_the_week_screen_titles_wrap_rather_than_lose_their_end_at_80_columns(
    ledger: Ledger, clock: SetClock, tmp_path: Path
) -> None:
    """现在所知（业务日期在本周内）2 条（其中 — the void's note was cut off."""
    a, b, c = two_weeks(ledger, clock)
    ledger.withdraw(OPERATOR, c, ledger.row(c).version, reason="重复")
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("w")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        for title in app.screen.query(".side-title"):
            text = str(title.render())
            assert title.outer_size.width <= title.parent.content_size.width, text
            assert cell_len(text) <= title.content_size.width * title.content_size.height, text
        assert any("不列入台账" in str(t.render()) for t in app.screen.query(".side-title"))
