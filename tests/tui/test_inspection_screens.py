"""The inspection team's screen driven by keys: signals, check, samples, reports, verify."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from itertools import pairwise
from pathlib import Path

from rich.cells import cell_len
from textual.widgets import Input, Static

from domain.campaign import Campaign
from domain.clock import SetClock
from domain.ledger import Ledger, NewFinding, Operator, open_ledger
from domain.state import Status
from tests.conftest import SHANGHAI
from tests.tui.pilot_keys import shown_lines, shown_strips, type_text
from tui.app import TaizhangApp
from tui.confirm_modal import ConfirmModal
from tui.finding_screen import FindingScreen
from tui.inspection_screen import InspectionScreen
from tui.weeks_screen import WeeksScreen

OPERATOR = Operator("张三", "褚河街道")
INSPECTOR = Operator("赵组长", "市巩固拓展脱贫攻坚成果调研指导组")


def at(clock: SetClock, month: int, day: int, hour: int = 10) -> None:
    clock.set(datetime(2022, month, day, hour, 0, tzinfo=SHANGHAI))


def completed(ledger: Ledger, statement: str, category: str = "housing") -> str:
    finding_id = ledger.record(
        OPERATOR,
        NewFinding(
            reporting_unit="褚河街道", category=category, check_item=1,
            nature="个性问题", statement=statement, found_on=date(2022, 6, 1),
            cause="排查遗漏", measures="入户整改", deadline=date(2022, 6, 20),
            responsible_unit="市住建局",
        ),
    )
    ledger.report_progress(OPERATOR, finding_id, 2, on=date(2022, 6, 2), progress="已入户")
    ledger.complete(OPERATOR, finding_id, 3, on=date(2022, 6, 2), effect="已整改")
    return finding_id


async def test_undo_on_the_finding_page_puts_the_step_back(
    ledger: Ledger, clock: SetClock, tmp_path: Path
) -> None:
    finding_id = completed(ledger, "东村王某未挂牌")
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(FindingScreen(ledger, finding_id))
        await pilot.pause()
        page = app.screen
        await pilot.press("u")
        await pilot.pause()
        question = app.screen
        assert isinstance(question, ConfirmModal)
        assert "第4步（完成整改）" in question.question
        # Chinese wraps anywhere: it broke at the only space, 第 4 / 步（完成整改）….
        # And every line of it shows (a fold at the width once hid the second).
        said = app.screen.query_one("#confirm-question")
        shown = [line.strip() for line in shown_lines(said) if line.strip()]
        assert cell_len(shown[0]) > 40, shown
        assert "".join(shown) == question.question.replace("\n", ""), shown
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is page and page.state.status is Status.AWAITING_ACCEPTANCE
        assert ledger.row(finding_id).version == 4

        await pilot.press("u")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is page
        assert app.screen.state.status is Status.IN_PROGRESS
        history = app.screen.query_one("#finding-history")
        assert history.row_count == 5
        assert "撤销第 4 步（完成整改）" in str(history.get_row_at(4)[5])


async def test_undo_of_someone_elses_step_is_refused_before_asking(
    ledger: Ledger, clock: SetClock, tmp_path: Path
) -> None:
    """李四 was asked to confirm the undo of 张三's step, then refused."""
    finding_id = completed(ledger, "东村王某未挂牌")
    app = TaizhangApp(ledger, Operator("李四", "褚河街道"), export_dir=tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(FindingScreen(ledger, finding_id))
        await pilot.pause()
        page = app.screen
        await pilot.press("u")
        await pilot.pause()

        assert app.screen is page
        said = [n.message for n in app._notifications]  # noqa: SLF001
        assert any("只有记录人本人可以撤销" in m for m in said), said
    assert ledger.row(finding_id).version == 4


async def test_the_acceptance_form_opens_on_its_opinion_not_its_filled_date(
    ledger: Ledger, clock: SetClock, tmp_path: Path
) -> None:
    """The form opened on the date already filled with today, its text selected:
    the opinion typed replaced the date, which was then refused."""
    finding_id = completed(ledger, "东村王某未挂牌")
    app = TaizhangApp(ledger, INSPECTOR, export_dir=tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(FindingScreen(ledger, finding_id))
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()

        assert app.screen.focused is app.screen.query_one("#field-remarks")


async def test_the_inspection_screen_samples_verifies_and_lists_reports(
    ledger: Ledger, clock: SetClock, store: Path, tmp_path: Path
) -> None:
    completed(ledger, "东村王某未挂牌")
    completed(ledger, "西村李某未参保", category="health")
    at(clock, 6, 8)
    ledger.submit_week(OPERATOR, "褚河街道", 1)
    app = TaizhangApp(ledger, INSPECTOR, export_dir=tmp_path)

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("i")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, InspectionScreen)

        await pilot.press("s")
        await pilot.pause()
        await type_text(pilot, "1")
        app.screen.query_one("#field-seed").focus()
        await type_text(pilot, "42")
        await pilot.press("ctrl+s")
        await pilot.pause()
        [sample] = ledger.samples()
        assert sample.seed == 42 and len(sample.finding_ids) == 2
        assert screen.query_one("#samples").row_count == 1

        await pilot.press("r")
        await pilot.pause()
        assert ledger.redraw(sample.sample_id) == list(sample.finding_ids)

        reports = screen.query_one("#reports")
        rows = {reports.get_row_at(i)[0]: reports.get_row_at(i) for i in range(reports.row_count)}
        assert rows["褚河街道"][1] == "第1周（2022年6月8日报送）"
        assert str(rows["火龙镇"][2]) == "第1周"
        # Nothing cut: the office's and the team's names differ only at the end;
        # and a gap after each column (the header read 已报送未报送).
        for key, column in reports.columns.items():
            cells = [column.label, *reports.get_column(key)]
            widest = max(cell_len(str(cell)) for cell in cells)
            assert column.get_render_width(reports) > widest, str(column.label)

        await pilot.press("v")
        await app.workers.wait_for_complete()
        await pilot.pause()
        verified = str(screen.query_one("#verify-result").render())
        assert "记录完整" in verified
        # Each fingerprint says whose week it is, as the command line does.
        assert "褚河街道 第 1 周报送的指纹" in verified, verified

        with sqlite3.connect(store) as db:
            db.execute(
                "UPDATE stored_events SET state = replace(state, ?, ?) WHERE rowid = 1",
                ("东村".encode(), "南村".encode()),
            )
        await pilot.press("v")
        await app.workers.wait_for_complete()
        await pilot.pause()
        result = str(screen.query_one("#verify-result").render())
        assert "第 1 条记录被改动" in result and "不一致" in result


async def test_a_week_is_submitted_from_the_weeks_screen(
    ledger: Ledger, clock: SetClock, tmp_path: Path
) -> None:
    completed(ledger, "东村王某未挂牌")
    at(clock, 6, 8)
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, WeeksScreen)
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        # The list behind says so at once, not only after leaving it.
        table = app.screen.query_one("#weeks-table")
        assert table.get_row_at(0)[-1] == "6月8日报送"

    [submission] = ledger.submissions()
    assert (submission.unit, submission.week) == ("褚河街道", 1)


async def test_a_week_that_leaves_out_late_entries_is_handed_in_on_a_second_ctrl_s(
    ledger: Ledger, clock: SetClock, tmp_path: Path
) -> None:
    """A week whose findings were all entered after its cut-off was handed in
    at once, empty; that they were not on it was said only afterwards."""
    at(clock, 6, 9)
    completed(ledger, "东村王某未挂牌")  # found 6/1, entered 6/9: after week 1
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("w")
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        said = str(app.screen.query_one("#form-message", Static).render())
        assert "1 个问题在截止后才录入" in said and "再按 Ctrl+S" in said, said
        assert ledger.submissions() == []

        await pilot.press("ctrl+s")
        await pilot.pause()

    [submission] = ledger.submissions()
    assert (submission.unit, submission.week) == ("褚河街道", 1)


async def test_sealing_from_the_palette_leaves_only_acceptance(
    ledger: Ledger, clock: SetClock, tmp_path: Path
) -> None:
    finding_id = completed(ledger, "东村王某未挂牌")
    at(clock, 6, 21)
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        await type_text(pilot, "封存终版台账")
        await pilot.press("enter")
        await pilot.pause()
        app.screen.query_one("#field-signer").focus()
        await type_text(pilot, "王主任")
        await pilot.press("ctrl+s")
        await pilot.pause()
        # Weeks 1 and 2 were not handed in: said first, sealed on a second Ctrl+S.
        said = str(app.screen.query_one("#form-message", Static).render())
        assert "第1、2周台账未报送" in said and "再按 Ctrl+S" in said, said
        assert ledger.sealed_by("褚河街道") == ""
        await pilot.press("ctrl+s")
        await pilot.pause()

        assert ledger.sealed_by("褚河街道") == "王主任"
        app.push_screen(FindingScreen(ledger, finding_id))
        await pilot.pause()
        await pilot.press("b")
        await pilot.pause()
        app.screen.query_one("#field-remarks").focus()
        await type_text(pilot, "不合格")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert ledger.row(finding_id).status is Status.IN_PROGRESS  # acceptance still taken

        # Any step but the rework (d, g, c) is refused at the key, not after
        # the form is typed.
        for key in ("k", "w"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, FindingScreen), key
        notes = [n.message for n in app._notifications]  # noqa: SLF001
        assert sum("的终版台账已封存" in n for n in notes) == 2, notes




async def test_a_sample_drawn_on_another_computer_shows_without_a_key(
    ledger: Ledger, campaign: Campaign, store: Path, clock: SetClock, tmp_path: Path
) -> None:
    completed(ledger, "东村王某未挂牌")
    other = open_ledger(campaign, store, clock)
    app = TaizhangApp(ledger, INSPECTOR, export_dir=tmp_path)

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("i")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, InspectionScreen)
        assert screen.query_one("#samples").row_count == 0

        other.draw_sample(INSPECTOR, per_stratum=1, seed=7)
        for _ in range(40):
            await pilot.pause(0.1)
            if screen.query_one("#samples").row_count == 1:
                break
        assert screen.query_one("#samples").row_count == 1
    other.close()


async def test_the_sample_form_names_what_is_wrong_with_a_typed_size_or_seed(
    ledger: Ledger, clock: SetClock, tmp_path: Path
) -> None:
    completed(ledger, "东村王某未挂牌")
    app = TaizhangApp(ledger, INSPECTOR, export_dir=tmp_path)

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("i")
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        form = app.screen
        for size, seed, said in (
            ("99999999999999999999abc", "", "每层抽取数须为 1 到 10000 之间的整数"),
            ("99999999999999999999", "", "每层抽取数须为 1 到 10000 之间的整数"),
            ("1", "abc", "随机种子须为 0 到 999999999 之间的整数，不能是“abc”"),
            ("1", "99999999999999999999", "随机种子须为 0 到 999999999 之间的整数"),
        ):
            form.query_one("#field-per_stratum", Input).value = size
            form.query_one("#field-seed", Input).value = seed
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert app.screen is form
            assert said in str(form.query_one("#form-message", Static).render())
    assert ledger.samples() == []


async def test_the_weeks_screen_opens_on_the_operators_own_unit(
    ledger: Ledger, clock: SetClock, tmp_path: Path
) -> None:
    """A township's clerk opened 每周报送 on 全部单位, counting every unit's findings
    under their weeks; the office and the team still see every unit."""
    completed(ledger, "东村王某未挂牌")
    at(clock, 6, 8)
    for operator, shown in ((OPERATOR, "褚河街道"), (INSPECTOR, "")):
        app = TaizhangApp(ledger, operator, export_dir=tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press("w")
            await pilot.pause()
            assert isinstance(app.screen, WeeksScreen)
            assert app.screen.unit == shown


async def test_the_finding_page_shows_the_latest_acceptance_opinion(
    ledger: Ledger, clock: SetClock, tmp_path: Path
) -> None:
    """The opinion typed into the acceptance form showed only in the history
    table's last column, cut at 80 columns; the page's details left it out."""
    finding_id = completed(ledger, "东村王某未挂牌")
    app = TaizhangApp(ledger, INSPECTOR, export_dir=tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(FindingScreen(ledger, finding_id))
        await pilot.pause()
        page = app.screen
        await pilot.press("a")
        await pilot.pause()
        await type_text(pilot, "复查到位")
        await pilot.press("ctrl+s")
        await pilot.pause()

        assert app.screen is page and page.state.status is Status.CLOSED
        detail = page.query_one("#finding-detail", Static)
        shown = "".join(shown_lines(detail))
        assert "验收意见" in shown and "复查到位（赵组长）" in shown, shown
        # At 80×24 the details outgrow their half of the screen; they scroll
        # to their last row, which was cut off (整改成效 never showed).
        box = page.query_one("#finding-detail-box")
        assert box.max_scroll_y > 0
        await pilot.press("tab")
        await pilot.press("end")
        await pilot.pause()
        assert box.has_focus and box.scroll_y == box.max_scroll_y


async def test_a_returned_findings_page_marks_the_effect_it_was_returned_with(
    ledger: Ledger, clock: SetClock, tmp_path: Path
) -> None:
    """Sent back, the page still read 整改成效 墙体加固完成 beside 整改中, as if
    the returned work stood."""
    finding_id = completed(ledger, "东村王某未挂牌")
    ledger.fail_acceptance(INSPECTOR, finding_id, 4, on=date(2022, 6, 2), remarks="无佐证")
    app = TaizhangApp(ledger, INSPECTOR, export_dir=tmp_path)

    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        app.push_screen(FindingScreen(ledger, finding_id))
        await pilot.pause()
        shown = "".join(shown_lines(app.screen.query_one("#finding-detail")))
        assert "退回成效 已整改" in shown and "整改成效" not in shown, shown
        assert "验收意见 未通过：无佐证（赵组长）" in shown, shown


async def test_history_lines_begin_with_no_closing_mark_at_80_columns(
    ledger: Ledger, clock: SetClock, tmp_path: Path
) -> None:
    """The history's 内容 broke "…验收资料" / "，3个工作日内…" and "2" / "022年…"."""
    ledger.record(
        OPERATOR,
        NewFinding(
            reporting_unit="褚河街道", category="housing", check_item=4,
            nature="个性问题", statement="南村吴某某危房改造补助资金未按期拨付到户",
            found_on=date(2022, 6, 1), cause="报账资料不全",
            measures="补齐竣工验收资料，3个工作日内完成审批，通过一卡通发放到户",
            deadline=date(2022, 7, 31), responsible_unit="市住建局",
            responsible_leader="陈国华",
        ),
    )  # fmt: skip
    finding_id = ledger.rows()[0].finding_id
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(FindingScreen(ledger, finding_id))
        await pilot.pause()
        table = app.screen.query_one("#finding-history")
        # 内容 begins after #, 记录时间, 业务日期, 操作员 and 事项 (3+17+11+9+11 cells).
        lines = [strip.crop(51).text.rstrip() for strip in shown_strips(table)]
        said = [line for line in lines if line]
        assert any("3个工作日内" in line for line in said), said
        assert not [line for line in said if line[0] in "，。；：）"], said
        assert not any(a.endswith("2") and b.startswith("022") for a, b in pairwise(said))


async def test_a_signal_of_a_multi_line_statement_shows_its_grounds(
    ledger: Ledger, clock: SetClock, tmp_path: Path
) -> None:
    """The 疑点 table showed a two-line statement's first line only, so the
    grounds after it (…发现，应在第 1 周报送，…才录入) never showed."""
    at(clock, 6, 9)
    ledger.record(
        OPERATOR,
        NewFinding(
            reporting_unit="褚河街道", category="housing", check_item=1,
            nature="个性问题", statement="东村王某\n房屋未挂牌", found_on=date(2022, 6, 1),
        ),
    )  # fmt: skip
    app = TaizhangApp(ledger, INSPECTOR, export_dir=tmp_path)

    async with app.run_test(size=(140, 30)) as pilot:
        await pilot.pause()
        await pilot.press("i")
        await pilot.pause()
        table = app.screen.query_one("#signals")
        shown = "".join(shown_lines(table))
        assert "应在第 1 周报送" in shown and "｜东村王某 房屋" in shown, shown
