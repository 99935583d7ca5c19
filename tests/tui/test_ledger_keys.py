"""The ledger driven by keys: every step of a finding, filters, search and export."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from textual.widgets import Input

from domain.clock import SetClock
from domain.ledger import Ledger, NewFinding, Operator
from domain.state import Status
from tests.tui.pilot_keys import choose, shown_lines, type_text
from tui.app import TaizhangApp
from tui.finding_form import new_finding_form
from tui.finding_screen import FindingScreen
from tui.form import FormModal
from tui.ledger_screen import LedgerScreen

OPERATOR = Operator("张三", "褚河街道")


def seed(ledger: Ledger, **overrides: Any) -> str:
    values: dict[str, Any] = dict(
        reporting_unit="褚河街道",
        category="housing",
        check_item=1,
        nature="个性问题",
        statement="东村王某住房未挂牌",
        found_on=date(2022, 6, 1),
    )
    values.update(overrides)
    return ledger.record(OPERATOR, NewFinding(**values))


async def fill(pilot: Any, field: str, text: str) -> None:
    pilot.app.screen.query_one(f"#field-{field}").focus()
    await pilot.pause()
    await type_text(pilot, text)


async def save(pilot: Any) -> None:
    await pilot.press("ctrl+s")
    await pilot.pause()
    assert not isinstance(pilot.app.screen, FormModal), [
        str(w.render()) for w in pilot.app.screen.query(".form-error, #form-message")
    ]


async def open_row(pilot: Any, index: int) -> FindingScreen:
    table = pilot.app.screen.query_one("#ledger-table")
    table.focus()
    table.move_cursor(index)
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(pilot.app.screen, FindingScreen)
    return pilot.app.screen


async def test_a_finding_goes_through_every_step_by_keys(
    ledger: Ledger, clock: SetClock, tmp_path: Path
) -> None:
    """Plan, report progress, complete, fail acceptance, complete again, pass."""
    finding_id = seed(ledger)
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = await open_row(pilot, 0)

        await pilot.press("p")
        await fill(pilot, "measures", "6月10日前完成挂牌。")
        await fill(pilot, "deadline", "6月10日前")
        await save(pilot)
        assert screen.state.status is Status.IN_PROGRESS
        assert screen.state.deadline == date(2022, 6, 10)

        clock.set(clock.now() + timedelta(days=1))
        await pilot.press("g")
        await fill(pilot, "progress", "已联系住建局制作标识牌。")
        await fill(pilot, "evidence", "照片1，照片2")
        await save(pilot)
        assert screen.state.latest_progress == "已联系住建局制作标识牌。"

        clock.set(clock.now() + timedelta(days=2))
        await pilot.press("c")
        await fill(pilot, "effect", "已挂牌。")
        await save(pilot)
        assert screen.state.status is Status.AWAITING_ACCEPTANCE

        await pilot.press("b")
        await fill(pilot, "remarks", "标识牌位置不醒目。")
        await save(pilot)
        assert screen.state.status is Status.IN_PROGRESS

        await pilot.press("c")
        await fill(pilot, "effect", "已移至门口醒目处。")
        await save(pilot)
        await pilot.press("a")
        await save(pilot)
        assert screen.state.status is Status.CLOSED

        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LedgerScreen)

    kinds = [entry.kind for entry in ledger.history(finding_id)]
    assert kinds == [
        "Recorded",
        "RectificationPlanned",
        "ProgressReported",
        "RectificationCompleted",
        "AcceptanceFailed",
        "RectificationCompleted",
        "AcceptancePassed",
    ]
    assert ledger.history(finding_id)[2].details["evidence"] == ["照片1", "照片2"]


async def test_a_refused_step_keeps_the_form_open_with_the_reason_beside_the_field(
    ledger: Ledger, tmp_path: Path
) -> None:
    """A deadline before the date found is refused in Chinese; the typed text stays."""
    seed(ledger)
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await open_row(pilot, 0)
        await pilot.press("p")
        await fill(pilot, "measures", "逐户复核")
        await fill(pilot, "deadline", "2022-05-20")
        await pilot.press("ctrl+s")
        await pilot.pause()

        assert isinstance(app.screen, FormModal)
        beside = str(app.screen.query_one("#error-deadline").render())
        assert "不在本次工作的时间范围内" in beside
        assert app.screen.query_one("#field-measures").text == "逐户复核"

        await fill(pilot, "deadline", "2022-05-31x")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "不是有效日期" in str(app.screen.query_one("#error-deadline").render())

        await pilot.press("escape")  # typed text: the first Esc only warns
        await pilot.pause()
        assert isinstance(app.screen, FormModal)
        assert "再按一次 Esc" in str(app.screen.query_one("#form-message").render())
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, FindingScreen)
        await pilot.press("a")  # acceptance before completion: refused at once
        await pilot.pause()
        assert isinstance(app.screen, FindingScreen)
        assert "待验收" in list(app._notifications)[-1].message  # noqa: SLF001


async def test_withdraw_and_correct_stay_in_history(ledger: Ledger, tmp_path: Path) -> None:
    seed(ledger)
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = await open_row(pilot, 0)

        await pilot.press("k")
        await choose(pilot, "#field-field", "问题性质")
        await fill(pilot, "value", "共性")
        await fill(pilot, "reason", "多户同样情况")
        await save(pilot)
        assert screen.state.nature == "共性问题"

        await pilot.press("w")
        await fill(pilot, "reason", "与另一条重复")
        await save(pilot)
        assert screen.state.status is Status.WITHDRAWN
        cells = screen.query_one("#finding-history").get_row_at(1)
        history = "".join(str(cell) for cell in cells).replace("\n", "")
        assert "个性问题" in history and "共性问题" in history


@pytest.mark.parametrize(
    ("key", "deadline", "words"),
    [("p", "2022-05-31", "早于发现日期"), ("d", "2022-06-05", "晚于原时限")],
)
async def test_a_deadline_refused_by_a_rule_is_marked_beside_it(
    ledger: Ledger, tmp_path: Path, key: str, deadline: str, words: str
) -> None:
    """Only the form's foot said so, while a date's own mistakes were marked beside it."""
    finding_id = seed(ledger)
    if key == "d":
        ledger.plan(
            OPERATOR, finding_id, 1, measures="逐户挂牌", deadline=date(2022, 6, 10),
            responsible_unit="市住建局",
        )
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await open_row(pilot, 0)
        await pilot.press(key)
        await pilot.pause()
        await fill(pilot, "deadline", deadline)
        await fill(pilot, "measures" if key == "p" else "reason", "逐户复核")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, FormModal)
        beside = str(app.screen.query_one("#error-deadline").render())
        assert words in beside, beside


async def test_a_category_is_corrected_with_its_check_item_in_the_new_category(
    ledger: Ledger, tmp_path: Path
) -> None:
    finding_id = seed(ledger, check_item=2)
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = await open_row(pilot, 0)
        await pilot.press("k")
        await choose(pilot, "#field-field", "问题类型")
        await fill(pilot, "value", "教育扶贫")
        await fill(pilot, "reason", "归类错误")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, FormModal)
        # Beside the field, with the new category's items to choose from.
        beside = str(app.screen.query_one("#error-category_item").render())
        first = ledger.campaign.category("education").items[0]
        assert "新类型序号" in beside and f"1.{first}" in beside, beside
        assert app.screen.focused is app.screen.query_one("#field-category_item")

        await fill(pilot, "category_item", "3")
        await save(pilot)
        assert (screen.state.category, screen.state.check_item) == ("education", 3)

    assert ledger.row(finding_id).check_item == 3


async def test_filters_search_and_the_lamp(ledger: Ledger, clock: SetClock, tmp_path: Path) -> None:
    """Unit, category and status filters, pinyin search, overdue-only, lamps."""
    seed(ledger)
    seed(ledger, category="water", statement="西村水质报告未张贴", measures="张贴报告",
         deadline=date(2022, 6, 3), responsible_unit="市水利局")
    seed(ledger, reporting_unit="火龙镇", category="health", statement="李某未参保",
         measures="补缴", deadline=date(2022, 6, 20), responsible_unit="市医保局")
    clock.set(clock.now() + timedelta(days=2))  # 6-04: the water deadline has passed
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LedgerScreen)
        assert len(screen.shown()) == 3

        await choose(pilot, "#filter-unit", "火龙镇")
        assert [s.statement for s in screen.shown()] == ["李某未参保"]
        await choose(pilot, "#filter-unit", "")
        await choose(pilot, "#filter-category", "饮水安全")
        assert [s.statement for s in screen.shown()] == ["西村水质报告未张贴"]
        await pilot.press("x")
        await pilot.pause()
        await choose(pilot, "#filter-status", "待整改")
        assert [s.statement for s in screen.shown()] == ["东村王某住房未挂牌"]
        await pilot.press("x")

        await pilot.press("slash")
        await type_text(pilot, "slj")  # 市水利局
        assert [s.statement for s in screen.shown()] == ["西村水质报告未张贴"]
        await pilot.press("escape", "x")
        await pilot.pause()

        await pilot.press("o")
        await pilot.pause()
        assert [s.statement for s in screen.shown()] == ["西村水质报告未张贴"]
        table = screen.query_one("#ledger-table")
        assert table.cell_at(0, 8).style == "bold red"


async def export_week_1(app: TaizhangApp, basis: str = "") -> list[str]:
    """Export week 1 through the dialog (on `basis` if given); return the notices."""
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        await choose(pilot, "#field-week", "第1周（6月1日—6月7日）")
        if basis:
            await choose(pilot, "#field-basis", basis)
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        return [n.message for n in app._notifications]  # noqa: SLF001


async def test_export_dialog_writes_the_official_sheet(ledger: Ledger, tmp_path: Path) -> None:
    seed(ledger, measures="挂牌", deadline=date(2022, 6, 10), responsible_unit="市住建局")
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    await export_week_1(app)

    written = tmp_path / "整改台账-褚河街道-第1周.xlsx"
    sheet = openpyxl.load_workbook(written)["整改台账"]
    assert sheet["A2"].value == "单位（盖章）：褚河街道"
    assert sheet["E2"].value == "2022 年 6 月 7 日"
    assert sheet["D4"].value == "东村王某住房未挂牌"
    assert sheet["F4"].value.date() == date(2022, 6, 10)


async def test_a_week_exported_after_late_entries_warns_they_are_not_on_it(
    ledger: Ledger, clock: SetClock, tmp_path: Path
) -> None:
    clock.set(datetime(2026, 12, 5, 9, 0, tzinfo=clock.now().tzinfo))
    seed(ledger)
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    messages = await export_week_1(app)

    assert any("另有 1 个问题" in m and "截止之后才录入" in m for m in messages), messages


async def test_a_week_as_now_known_is_exported_with_its_late_entries(
    ledger: Ledger, clock: SetClock, tmp_path: Path
) -> None:
    clock.set(datetime(2026, 12, 5, 9, 0, tzinfo=clock.now().tzinfo))
    seed(ledger)
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    await export_week_1(app, basis="现在所知（含截止后补录的）")

    written = tmp_path / "整改台账-褚河街道-第1周（现在所知）.xlsx"
    sheet = openpyxl.load_workbook(written)["整改台账"]
    assert sheet["E2"].value == "2022 年 6 月 7 日"
    assert sheet["D4"].value == "东村王某住房未挂牌"


async def test_time_travel_to_a_moment_still_to_come_is_refused_in_the_dialog(
    ledger: Ledger, tmp_path: Path
) -> None:
    seed(ledger)
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("t")
        await pilot.pause()
        await fill(pilot, "moment", "2022-07-01")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, FormModal)
        beside = str(app.screen.query_one("#error-moment").render())
        assert "还没有到" in beside, beside

        # An hour past 23 is named as the hour, beside the field.
        app.screen.query_one("#field-moment", Input).value = ""
        await fill(pilot, "moment", "2022-06-01 25:00")
        await pilot.press("ctrl+s")
        await pilot.pause()
        beside = str(app.screen.query_one("#error-moment").render())
        assert "时刻应为 00:00 到 23:59" in beside, beside


async def test_the_table_fits_80_columns_and_uses_a_wide_terminal(ledger: Ledger, tmp_path: Path) -> None:
    seed(ledger)
    for size in ((80, 24), (160, 40)):
        app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            table = app.screen.query_one("#ledger-table")
            widths = table.column_widths
            assert len(widths) == 9
            assert sum(widths) <= size[0] - 2
            assert sum(widths) >= size[0] - 4
            # At 160 columns 责任单位 read 市金融事务 … beside 90 empty cells of
            # 问题表述: a wide terminal shows the campaign's unit names whole.
            if size[0] == 160:
                from rich.cells import cell_len

                longest = max(cell_len(u) for u in ledger.campaign.units.departments[2:])
                assert widths[6] > longest, widths
                assert widths[1] > max(cell_len(u) for u in ledger.campaign.units.townships)


async def test_help_and_command_palette(ledger: Ledger, tmp_path: Path) -> None:
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        await pilot.pause()

        await pilot.press("ctrl+p")
        await pilot.pause()
        await type_text(pilot, "新建问题")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, FormModal)


async def test_help_shows_every_key_whole_at_80_columns(
    ledger: Ledger, tmp_path: Path
) -> None:
    """The key column is as wide as its longest key: 'Enter' was shown as 'E…'."""
    from rich.cells import cell_len

    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        tables = list(app.screen.query("MarkdownTableContent"))
        assert tables
        for table in tables:
            await pilot.pause()
            keys = [table.children[0]] + [
                cell for cell in table.children if cell.has_class("cell")
            ][:: len(table.headers)]
            for cell in keys:
                text = str(cell.render())
                assert cell.content_size.width >= cell_len(text), (text, cell.content_size)
        # A long description folds onto a second line instead of ending in "…".
        journal = next(
            cell for cell in app.screen.query(".cell") if "日期筛选" in str(cell.render())
        )
        journal.scroll_visible(animate=False)
        await pilot.pause()
        assert journal.content_size.height == 2
        assert "日期筛选" in app.export_screenshot().replace("&#160;", " ")


async def test_the_list_shows_a_change_made_on_the_finding_page(
    ledger: Ledger, tmp_path: Path
) -> None:
    """Extending a deadline and going back left the list showing the old date."""
    seed(ledger, measures="挂牌", deadline=date(2022, 6, 10), responsible_unit="市住建局")
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await open_row(pilot, 0)
        await pilot.press("d")
        await fill(pilot, "deadline", "2022-06-20")
        await fill(pilot, "reason", "材料未到")
        await save(pilot)
        await pilot.press("escape")
        await pilot.pause()

        table = app.screen.query_one("#ledger-table")
        assert table.cell_at(0, 5) == "6月20日"


async def test_a_second_instance_sees_changes_within_two_seconds(
    campaign: Any, store: Path, clock: SetClock, tmp_path: Path
) -> None:
    """Two apps on one store: the other's new finding shows without a restart."""
    from domain.ledger import open_ledger

    mine = open_ledger(campaign, store, clock)
    theirs = open_ledger(campaign, store, clock)
    app = TaizhangApp(mine, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LedgerScreen)
        assert screen.shown() == []

        seed(theirs, statement="另一台电脑登记的问题")
        await pilot.pause(2.0)
        await app.workers.wait_for_complete()
        await pilot.pause()

        assert [s.statement for s in screen.shown()] == ["另一台电脑登记的问题"]
    mine.close()
    theirs.close()


async def test_ctrl_q_over_an_unsaved_form_asks_before_quitting(
    ledger: Ledger, tmp_path: Path
) -> None:
    """Ctrl+Q quit at once from a half-filled form and the typed text was lost."""
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await fill(pilot, "statement", "写了一半")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, FormModal)

        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not app.is_running


async def test_a_red_mark_goes_once_its_field_is_changed(
    ledger: Ledger, tmp_path: Path
) -> None:
    """The red 必填 stayed beside a field already filled in, until the next save."""
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, FormModal)

        def marked() -> set[str]:
            return {
                f.name
                for f in form.fields
                if form.query_one(f"#error-{f.name}").display
                and str(form.query_one(f"#error-{f.name}").render())
            }

        assert {"statement", "check_item", "nature"} <= marked()
        # The cursor goes to the first field marked red, not left where it was.
        assert app.focused is form.query_one("#field-check_item")
        await fill(pilot, "statement", "东村王某危房")
        await pilot.pause()
        assert "statement" not in marked() and "nature" in marked()
        await choose(pilot, "#field-nature", "个性问题")
        await pilot.pause()
        assert "nature" not in marked() and "check_item" in marked()


async def test_an_export_to_a_folder_that_does_not_exist_keeps_the_form(
    ledger: Ledger, tmp_path: Path
) -> None:
    """A failed export closed the form and lost the chosen unit, week and path."""
    seed(ledger)
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("e")
        await fill(pilot, "path", str(tmp_path / "no-such-folder" / "a.xlsx"))
        await pilot.press("ctrl+s")
        await pilot.pause()

        assert isinstance(app.screen, FormModal)
        assert "文件夹不存在" in str(app.screen.query_one("#error-path").render())

        app.screen.query_one("#field-path", Input).value = str(tmp_path / "a.csv")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "须以 .xlsx 结尾" in str(app.screen.query_one("#error-path").render())


async def test_an_export_onto_a_file_already_there_asks_before_replacing_it(
    ledger: Ledger, tmp_path: Path
) -> None:
    """A sheet edited by hand since was written over by the next export, unasked.

    Each dialog asks anew; a second Ctrl+S in the same one replaces the file.
    """
    seed(ledger)
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)
    kept = tmp_path / "第1周.xlsx"
    kept.write_bytes(b"edited by hand")

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for again in (False, True):
            await pilot.press("e")
            await fill(pilot, "path", str(kept))
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert isinstance(app.screen, FormModal)
            beside = str(app.screen.query_one("#error-path").render())
            assert "已存在" in beside and "再按 Ctrl+S" in beside, beside
            assert kept.read_bytes() == b"edited by hand"
            if not again:
                await pilot.press("escape", "escape")
                await pilot.pause()

        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, FormModal)
    assert openpyxl.load_workbook(kept)["整改台账"]["D4"].value == "东村王某住房未挂牌"


async def test_a_step_that_cannot_be_taken_is_refused_before_any_typing(
    ledger: Ledger, tmp_path: Path
) -> None:
    """Forms for impossible steps opened anyway; the refusal came only after typing."""
    seed(ledger)
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await open_row(pilot, 0)
        for key in ("g", "c", "a", "b", "d"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, FindingScreen), key
        messages = [n.message for n in app._notifications]  # noqa: SLF001
        assert any("请先“制定整改”" in m for m in messages)
        assert any("需要状态为“待验收”" in m for m in messages)


async def test_a_plan_and_an_extension_entered_later_carry_the_day_they_happened(
    ledger: Ledger, clock: SetClock, tmp_path: Path
) -> None:
    """An office entering a past campaign's papers dates the plan and the extension
    as the papers do, so the weeks and the past ledger place them where they were."""
    finding_id = seed(ledger)
    clock.set(datetime(2026, 12, 5, 9, 0, tzinfo=clock.now().tzinfo))
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await open_row(pilot, 0)
        await pilot.press("p")
        await pilot.pause()
        await fill(pilot, "measures", "逐户挂牌")
        await fill(pilot, "deadline", "2022-06-10")
        await fill(pilot, "on", "2022-06-02")
        await save(pilot)

        await pilot.press("d")
        await pilot.pause()
        await fill(pilot, "deadline", "2022-06-20")
        await fill(pilot, "reason", "标识牌供货延迟")
        await fill(pilot, "on", "2022-06-08")
        await save(pilot)

    steps = ledger.history(finding_id)
    assert [(s.kind, s.on) for s in steps[1:]] == [
        ("RectificationPlanned", date(2022, 6, 2)),
        ("DeadlineExtended", date(2022, 6, 8)),
    ]
    known = ledger.states_known_on(date(2022, 6, 5))[finding_id]
    assert (known.status, known.deadline) == (Status.IN_PROGRESS, date(2022, 6, 10))


async def test_a_step_dated_before_the_finding_is_refused_beside_its_date(
    ledger: Ledger, clock: SetClock, tmp_path: Path
) -> None:
    """The date rule's refusal stands beside the date typed, under the form's label."""
    finding_id = seed(ledger)
    ledger.plan(
        OPERATOR, finding_id, 1, measures="逐户挂牌", deadline=date(2022, 6, 10),
        responsible_unit="市住建局",
    )
    clock.set(datetime(2022, 6, 9, 9, 0, tzinfo=clock.now().tzinfo))
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await open_row(pilot, 0)
        await pilot.press("d")
        await pilot.pause()
        await fill(pilot, "deadline", "2022-06-20")
        await fill(pilot, "reason", "标识牌供货延迟")
        app.screen.query_one("#field-on", Input).value = ""
        await fill(pilot, "on", "2022-05-30")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, FormModal)
        beside = str(app.screen.query_one("#error-on").render())
        assert "批准日期" in beside and "早于" in beside, beside
        assert app.screen.focused is app.screen.query_one("#field-on")
        # Every line of it shows at 80 columns (a fold once left the second blank).
        error = app.screen.query_one("#error-on")
        lines = shown_lines(error)
        assert "".join(lines).replace(" ", "") == beside.replace(" ", ""), lines


async def test_after_the_campaign_no_date_is_filled_in_for_the_clerk(
    ledger: Ledger, clock: SetClock, tmp_path: Path
) -> None:
    """Entering a past campaign's papers, a date left as today would be wrong
    and easy to miss (the cursor starts below it): the day is asked for."""
    finding_id = seed(ledger)
    ledger.plan(
        OPERATOR, finding_id, 1, measures="逐户挂牌", deadline=date(2022, 6, 10),
        responsible_unit="市住建局",
    )
    clock.set(datetime(2026, 12, 5, 9, 0, tzinfo=clock.now().tzinfo))
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        assert app.screen.query_one("#field-found_on", Input).value == ""
        await pilot.press("escape")
        await pilot.pause()

        await open_row(pilot, 0)
        await pilot.press("g")
        await pilot.pause()
        date_field = app.screen.query_one("#field-on", Input)
        assert date_field.value == ""
        assert app.screen.focused is date_field
        await type_text(pilot, "2022-06-05")
        await fill(pilot, "progress", "已联系住建局")
        await save(pilot)

    assert ledger.history(finding_id)[-1].on == date(2022, 6, 5)


async def test_a_plan_given_with_a_finding_entered_later_is_dated_its_found_day(
    ledger: Ledger, clock: SetClock
) -> None:
    clock.set(datetime(2026, 12, 5, 9, 0, tzinfo=clock.now().tzinfo))
    app = TaizhangApp(ledger, OPERATOR, export_dir=Path("."))
    form = new_finding_form(app, ledger)
    values = {
        "reporting_unit": "褚河街道", "category": "housing", "check_item": "1",
        "nature": "个性问题", "statement": "东村王某住房未挂牌", "found_on": date(2022, 6, 8),
        "source": "自查", "village": "", "household_head": "", "household_kind": "",
        "cause": "", "measures": "逐户挂牌", "deadline": date(2022, 6, 20),
        "responsible_unit": "市住建局", "responsible_leader": "",
    }

    form.submit(values)

    finding_id = ledger.rows()[0].finding_id
    assert [(s.kind, s.on) for s in ledger.history(finding_id)] == [
        ("Recorded", date(2022, 6, 8)),
        ("RectificationPlanned", date(2022, 6, 8)),
    ]


async def test_the_field_with_the_cursor_is_marked_by_its_label(
    ledger: Ledger, tmp_path: Path
) -> None:
    """The new-finding form opened on 排查内容, a compact list that looked like the rest,
    while the statement box below looked ready: typing went into the list's search.
    It opens on the statement, and the row holding the cursor shows it on its label."""
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, FormModal)

        def label_styles() -> dict[str, Any]:
            return {
                f.name: form.query_one(f"#field-{f.name}").parent.query_one(".form-label").rich_style
                for f in form.fields
            }

        def marked() -> list[str]:
            styles = label_styles()
            plain = max(styles.values(), key=list(styles.values()).count)
            return [name for name, style in styles.items() if style != plain]

        # The cursor starts where a clerk starts typing, the statement.
        assert app.focused is form.query_one("#field-statement")
        assert marked() == ["statement"]
        await type_text(pilot, "北村脱贫户周某住房漏雨")
        assert form.query_one("#field-statement").text == "北村脱贫户周某住房漏雨"
        form.query_one("#field-check_item").focus()
        await pilot.pause()
        await pilot.pause()
        assert marked() == ["check_item"]


async def test_an_empty_ledger_says_how_to_begin_including_an_import(
    ledger: Ledger, tmp_path: Path
) -> None:
    """A new user found the import (d, off the footer at 80 columns) only in the README."""
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        detail = str(app.screen.query_one("#row-detail").render())
        assert "按 n 登记新问题" in detail and "按 d 导入" in detail, detail


async def test_text_pasted_into_a_one_line_field_keeps_every_line(
    ledger: Ledger, tmp_path: Path
) -> None:
    """北村↵（三组） pasted into 村（社区） kept 北村 only, silently; a pasted tab
    reached the exported 明细 as 李\\t副主任."""
    from textual import events

    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        village = app.screen.query_one("#field-village", Input)
        village.focus()
        await pilot.pause()
        village.post_message(events.Paste("北村\r\n（三组）\t东片\n"))
        await pilot.pause()
        assert village.value == "北村 （三组） 东片"


async def test_startup_objects_are_kept_out_of_the_collectors_full_passes(
    ledger: Ledger, tmp_path: Path
) -> None:
    """A full cyclic collection walked the pinyin dictionaries again and again,
    0.08-0.14 s that landed inside some saves (record at 100,000 findings: 1.83)."""
    import gc

    gc.unfreeze()
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(1.5)  # WARM_UP_SECONDS after the first screen
        await app.workers.wait_for_complete()
        assert gc.get_freeze_count() > 0


@pytest.mark.parametrize(("size", "more"), [((80, 24), False), ((160, 45), True)])
async def test_the_footer_shows_every_ledger_key_where_there_is_room(
    ledger: Ledger, tmp_path: Path, size: tuple[int, int], more: bool
) -> None:
    """导入, 统计, 日志, 覆盖, 终版 and 重建 were kept off the footer so that F1
    fits at 80 columns, and stayed off at 160, where half the line was empty."""
    from textual.widgets._footer import FooterKey

    seed(ledger)
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        keys = {key.description: key.region for key in app.screen.query(FooterKey)}
        width = size[0]
        assert keys["帮助"].right <= width, keys
        rare = {"导入", "统计", "日志", "覆盖", "终版", "重建"}
        assert (rare <= keys.keys()) is more, keys
        assert all(region.right <= width for region in keys.values()), keys
        if more:  # a window made narrow takes them off again
            await pilot.resize_terminal(80, 24)
            await pilot.pause()
            shown = {key.description for key in app.screen.query(FooterKey)}
            assert "帮助" in shown and not rare & shown, shown
        # The keys work either way.
        await pilot.press("s")
        await pilot.pause()
        assert type(app.screen).__name__ == "StatisticsScreen"


async def test_export_from_a_past_view_offers_the_week_before_that_moment(
    ledger: Ledger, clock: SetClock, tmp_path: Path
) -> None:
    """Looking at June 10 and pressing e exported today's ledger: the dialog
    offered no week, and 不选为当前台账 was easy to miss."""
    from textual.widgets import Select, Static

    seed(ledger)
    clock.set(datetime(2022, 6, 12, 9, 0, tzinfo=clock.now().tzinfo))
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async def export_dialog_at(pilot: Any, moment: str) -> tuple[object, str]:
        """Go back to a moment, press e: the week offered and the hint."""
        await pilot.press("t")
        await type_text(pilot, moment)
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, FormModal)
        hint = str(form.query_one("#form-message", Static).render())
        return form.query_one("#field-week", Select).value, hint

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        week, hint = await export_dialog_at(pilot, "6月10日")
        assert week == "1"
        assert "历史视图" in hint and "第1周" in hint, hint

        # A moment long after the last week: no week sheet is what it shows.
        await pilot.press("escape")
        await pilot.press("t")  # back to now
        clock.set(datetime(2026, 12, 5, 9, 0, tzinfo=clock.now().tzinfo))
        week, hint = await export_dialog_at(pilot, "2026-12-04 18:00")
        assert week is Select.NULL
        assert "各周截止之后" in hint, hint


def test_the_lamps_differ_in_shape_not_only_in_colour(
    ledger: Ledger, new_finding: Callable[..., NewFinding]
) -> None:
    """Overdue and due-soon were both ●, told apart by red and yellow alone:
    the same on a monochrome terminal and to a colour-blind clerk."""
    from tui.ledger_screen import lamp

    finding_id = ledger.record(
        Operator("张三", "褚河街道"),
        new_finding(measures="入户核实", deadline=date(2022, 6, 10), responsible_unit="市住建局"),
    )
    state = ledger.row(finding_id)

    overdue, soon = lamp(state, date(2022, 6, 11)), lamp(state, date(2022, 6, 8))
    assert overdue.plain and soon.plain and overdue.plain != soon.plain
