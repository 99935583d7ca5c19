"""The statistics and coverage screens, and the final export, driven by keys."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from rich.cells import cell_len
from textual.widgets import DataTable, Input, Select, TabbedContent

from domain.clock import SetClock
from domain.ledger import Ledger, NewFinding, Operator
from tests.conftest import SHANGHAI
from tests.tui.pilot_keys import shown_lines, type_text
from tui.app import TaizhangApp
from tui.coverage_screen import CoverageScreen
from tui.form import FormModal
from tui.ledger_screen import LedgerScreen
from tui.statistics_screen import StatisticsScreen

OPERATOR = Operator("张三", "褚河街道")
CHUHE_ROW = 4  # 褚河街道 is the fifth unit of the campaign


def overdue_finding(ledger: Ledger) -> str:
    return ledger.record(
        OPERATOR,
        NewFinding(
            reporting_unit="褚河街道",
            category="housing",
            check_item=3,
            nature="个性问题",
            statement="东村王某危房未改造",
            found_on=date(2022, 6, 1),
            measures="加固维修",
            deadline=date(2022, 6, 1),
            responsible_unit="市住建局",
        ),
    )


def messages(app: TaizhangApp) -> str:
    shown = app.screen.query(".form-error, #form-message")
    return " | ".join(str(w.render()) for w in shown)


async def coverage_at(app: TaizhangApp, pilot: Any, column: int) -> DataTable[Any]:
    """Open the coverage screen with the cursor on 褚河街道's cell in `column`."""
    await pilot.press("v")
    await pilot.pause()
    table = app.screen.query_one(DataTable)
    table.move_cursor(row=CHUHE_ROW, column=column)
    await pilot.pause()
    return table


async def test_s_opens_the_statistics_and_digits_pick_each_table(
    ledger: Ledger, tmp_path: Path
) -> None:
    overdue_finding(ledger)
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, StatisticsScreen)
        tabs = screen.query_one(TabbedContent)
        assert tabs.active == "tab-kinds"
        # 问题类型 as the ledger and the official form name it.
        kinds = screen.query_one("#stats-kinds", DataTable)
        assert str(kinds.get_row_at(0)[0]) == "农村危房改造"

        await pilot.press("3")
        await pilot.pause()
        assert tabs.active == "tab-overdue"
        overdue = screen.query_one("#stats-overdue", DataTable)
        assert [str(c) for c in overdue.get_row_at(0)][2:5] == [
            "东村王某危房未改造",
            "2022-06-01",
            "1天",
        ]
        assert "逾期 1" in str(tabs.get_tab("tab-overdue").label)

        await pilot.press("4")
        await pilot.pause()
        assert tabs.active == "tab-weeks"
        bars = str(screen.query_one("#stats-bars").render())
        assert "第1周 06-01—06-07  新增    1 █" in bars
        # The weeks screen counts by recording time under the same words.
        assert "新增按发现日期、销号按验收日期计入当周" in bars

        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LedgerScreen)


async def test_the_statistics_follow_the_ledgers_unit_filter(
    ledger: Ledger, tmp_path: Path
) -> None:
    overdue_finding(ledger)
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.screen.query_one("#filter-unit", Select).value = "火龙镇"
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        units = app.screen.query_one("#stats-units", DataTable)
        assert units.row_count == 1
        assert str(units.get_row_at(0)[0]) == "火龙镇"
        assert "火龙镇，当前" in str(app.screen.query_one("#stats-summary").render())


async def test_a_unit_operators_screening_is_for_their_own_unit_wherever_the_cursor_is(
    ledger: Ledger, tmp_path: Path
) -> None:
    """李四 of 火龙镇 pressed r on the top row and was offered 颍川街道; so was
    褚河街道's 张三 before operators were registered."""
    for operator, unit in ((Operator("李四", "火龙镇", "单位"), "火龙镇"), (OPERATOR, "褚河街道")):
        app = TaizhangApp(ledger, operator, export_dir=tmp_path)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("v")
            await pilot.pause()
            await pilot.press("r")
            await pilot.pause()
            form = app.screen
            assert isinstance(form, FormModal)
            assert form.query_one("#field-unit", Select).value == unit
            # The cursor starts where typing goes: on the 排查内容 list, “120” was lost.
            assert app.focused is form.query_one("#field-households")


async def test_r_records_a_screening_of_the_highlighted_item(
    ledger: Ledger, tmp_path: Path
) -> None:
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("v")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CoverageScreen)
        table = screen.query_one(DataTable)
        table.move_cursor(row=CHUHE_ROW, column=2)
        await pilot.pause()
        assert "褚河街道　住房保障第 2 项" in str(
            screen.query_one("#coverage-detail").render()
        )
        assert str(table.get_cell_at(table.cursor_coordinate)).strip() == "✗"

        await pilot.press("r")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, FormModal)
        assert form.query_one("#field-unit", Select).value == "褚河街道"
        assert form.query_one("#field-category", Select).value == "housing"
        assert form.query_one("#field-check_item", Select).value == "2"
        assert form.query_one("#field-households", Input).has_focus

        await type_text(pilot, "-3")
        await pilot.press("tab")
        await type_text(pilot, "0")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form
        assert "“排查户数”应填 0 或正整数，不能是“-3”" in str(
            form.query_one("#error-households").render()
        )
        assert ledger.screenings() == []

        households = form.query_one("#field-households", Input)
        households.value = ""
        households.focus()
        await type_text(pilot, "１２０")  # typed with a Chinese input method
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, CoverageScreen)
        [screening] = ledger.screenings()
        assert (screening.unit, screening.category, screening.check_item) == (
            "褚河街道",
            "housing",
            2,
        )
        assert (screening.households, screening.problems_found) == (120, 0)
        assert str(table.get_cell_at(table.cursor_coordinate)).strip() == "✓"
        assert "登记排查 1 次，排查 120 户" in str(
            screen.query_one("#coverage-detail").render()
        )


async def test_a_screening_that_disagrees_with_the_ledger_stands_out(
    ledger: Ledger, tmp_path: Path
) -> None:
    """0 problems found under an item with a finding recorded looked like any
    other ✓; only the item's own line, when highlighted, said anything, and
    only when the screening counted more than the ledger."""
    overdue_finding(ledger)  # housing item 3
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        table = await coverage_at(app, pilot, 3)
        screen = app.screen
        await pilot.press("r")
        await pilot.pause()
        await type_text(pilot, "40")
        await pilot.press("tab")
        await type_text(pilot, "0")
        await pilot.press("ctrl+s")
        await pilot.pause()

        assert app.screen is screen
        assert str(table.get_cell_at(table.cursor_coordinate)).strip() == "!"
        detail = str(screen.query_one("#coverage-detail").render())
        assert "发现问题 0 个" in detail and "该项下登记问题 1 个" in detail
        assert "登记的问题多于排查发现的问题" in detail, detail
        assert "与台账不符" in str(screen.query_one("#coverage-legend").render())
        assert "1 项与台账不符" in str(screen.query_one("#coverage-summary").render())


async def test_the_final_export_waits_for_the_last_phase_then_writes_both_files(
    ledger: Ledger, clock: SetClock, tmp_path: Path
) -> None:
    overdue_finding(ledger)
    out = tmp_path / "out"
    out.mkdir()
    app = TaizhangApp(ledger, OPERATOR, export_dir=out)

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, FormModal)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, FormModal)
        assert "只能在“总结验收”阶段（2022年6月20日 起）导出" in messages(app)
        assert list(out.iterdir()) == []

        clock.set(datetime(2022, 6, 21, 9, 0, tzinfo=SHANGHAI))
        app.screen.query_one("#field-markdown", Input).focus()
        await type_text(pilot, str(out / "总结.md"))
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, LedgerScreen)

    assert {p.name for p in out.iterdir()} == {"整改台账-褚河街道-终版.xlsx", "总结.md"}
    assert "其中逾期 1 个" in (out / "总结.md").read_text(encoding="utf-8")


async def test_the_final_export_asks_about_each_file_already_there_once(
    ledger: Ledger, clock: SetClock, tmp_path: Path
) -> None:
    overdue_finding(ledger)
    clock.set(datetime(2022, 6, 21, 9, 0, tzinfo=SHANGHAI))
    sheet, summary = tmp_path / "终版.xlsx", tmp_path / "总结.md"
    for kept in (sheet, summary):
        kept.write_bytes(b"edited by hand")
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("f")
        await pilot.pause()
        app.screen.query_one("#field-path", Input).focus()
        await type_text(pilot, str(sheet))
        app.screen.query_one("#field-markdown", Input).focus()
        await type_text(pilot, str(summary))
        for told in (sheet, summary):
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert isinstance(app.screen, FormModal)
            assert f"{told.name} 已存在" in messages(app), messages(app)
        assert sheet.read_bytes() == summary.read_bytes() == b"edited by hand"

        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, LedgerScreen)

    assert "其中逾期 1 个" in summary.read_text(encoding="utf-8")
    assert sheet.read_bytes() != b"edited by hand"


async def test_the_palette_offers_statistics_coverage_and_the_final_export(
    ledger: Ledger, tmp_path: Path
) -> None:
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        titles = [c.title for c in app.get_system_commands(app.screen)]

    assert {"统计", "排查覆盖", "导出终版台账及总结"} <= set(titles)


async def test_a_screening_typed_after_the_campaign_asks_for_its_day(
    ledger: Ledger, clock: SetClock, tmp_path: Path
) -> None:
    """Entering 2022's papers in 2026 dated every screening 2026."""
    clock.set(datetime(2026, 12, 5, 9, 0, tzinfo=SHANGHAI))
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("v")
        await pilot.pause()
        app.screen.query_one(DataTable).move_cursor(row=CHUHE_ROW, column=2)
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, FormModal)
        assert form.query_one("#field-on", Input).value == ""
        assert form.query_one("#field-households", Input).has_focus
        await type_text(pilot, "40")
        await pilot.press("tab")
        await type_text(pilot, "1")
        await pilot.press("tab")
        await type_text(pilot, "6月3日")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, CoverageScreen), [
            (f.name, str(form.query_one(f"#error-{f.name}").render()), form.raw(f.name))
            for f in form.fields
        ] + [str(form.query_one("#form-message").render())]
    [screening] = ledger.screenings()
    assert screening.on == date(2022, 6, 3)


async def test_the_coverage_summary_shows_whole_at_80_columns(
    ledger: Ledger, tmp_path: Path
) -> None:
    """Its second line was cut: "…未排查 1209。按 r" and no more (the footer
    names r on its own)."""
    from textual.widgets._footer import FooterKey

    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("v")
        await pilot.pause()
        summary = app.screen.query_one("#coverage-summary")
        shown = [line.strip() for line in shown_lines(summary)]
        assert "".join(shown).endswith("未排查 1147。"), shown
        # The office and the team screen nothing: 37 units, not 39.
        assert "".join(shown).startswith("全部 37 个单位：31 项排查内容，已排查 0/1147"), shown
        keys = {key.key: key.description for key in app.screen.query(FooterKey)}
        assert keys["r"] == "登记排查", keys


async def test_u_undoes_the_operators_latest_screening_after_asking(
    ledger: Ledger, tmp_path: Path
) -> None:
    """A screening typed wrong (800 households for 80) stayed counted for good."""
    ledger.record_screening(OPERATOR, "褚河街道", "housing", 2, households=800, problems_found=3)
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        table = await coverage_at(app, pilot, 2)
        screen = app.screen
        assert str(table.get_cell_at(table.cursor_coordinate)).strip() == "!"

        await pilot.press("u")
        await pilot.pause()
        question = " ".join(shown_lines(app.screen.query_one("#confirm-question")))
        assert "褚河街道" in question and "住房保障第 2 项" in question, question
        assert "排查 800 户，发现问题 3 个" in question, question
        await pilot.press("n")
        await pilot.pause()
        assert len(ledger.screenings()) == 1

        await pilot.press("u")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()

        assert app.screen is screen
        assert ledger.screenings() == []
        assert str(table.get_cell_at(table.cursor_coordinate)).strip() == "✗"
        assert "已撤销" in list(app._notifications)[-1].message  # noqa: SLF001
        await pilot.press("u")
        await pilot.pause()
        assert app.screen is screen
        said = list(app._notifications)[-1].message  # noqa: SLF001
        assert said == "褚河街道 没有可撤销的排查登记。", said


async def test_5_shows_the_figures_by_responsible_unit(
    ledger: Ledger, tmp_path: Path
) -> None:
    """Nothing on the statistics screen said how each 责任单位 stood."""
    overdue_finding(ledger)  # 市住建局's, overdue
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("5")
        await pilot.pause()
        screen = app.screen
        assert screen.query_one(TabbedContent).active == "tab-responsible"
        table = screen.query_one("#stats-responsible", DataTable)
        assert app.focused is table
        row = [str(c) for c in table.get_row_at(table.get_row_index("市住建局"))]
        # 待整改 整改中 待验收 已销号 已作废 合计 逾期, then the on-time rate.
        assert row == ["市住建局", "0", "1", "0", "0", "0", "1", "1", "0.0%"], row
        assert table.row_count == len(ledger.campaign.responsible_units)
        # Headed as what it counts by; the longest lead unit's name keeps a gap.
        first = next(iter(table.columns.values()))
        assert str(first.label) == "责任单位"
        assert first.width > max(cell_len(u) for u in ledger.campaign.responsible_units)
        # Its tab shows whole at 80 columns, after the other four.
        tab = screen.query_one(TabbedContent).get_tab("tab-responsible")
        assert str(tab.label) == "5 按责任单位"
        assert tab.region.right <= 80 and tab.region.width >= 12, tab.region


async def test_a_screening_typed_twice_on_the_coverage_screen_is_pointed_out(
    ledger: Ledger, tmp_path: Path
) -> None:
    """The same screening entered twice was summed without a word."""
    ledger.record_screening(OPERATOR, "褚河街道", "housing", 2, households=120, problems_found=0)
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await coverage_at(app, pilot, 2)
        await pilot.press("r")
        await pilot.pause()
        await type_text(pilot, "120")
        await pilot.press("tab")
        await type_text(pilot, "0")
        await pilot.press("ctrl+s")
        await pilot.pause()

        assert len(ledger.screenings()) == 2
        said = list(app._notifications)[-1].message  # noqa: SLF001
        assert "完全相同，已累加；如属重复录入，可按 u 撤销。" in said, said
