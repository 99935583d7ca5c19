"""Roles on screen: the start screen, and refusals before any typing."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input, Select

from domain.campaign import Campaign
from domain.ledger import Ledger, NewFinding, Operator
from tests.tui.pilot_keys import shown_lines, type_text
from tui.app import TaizhangApp
from tui.finding_screen import FindingScreen
from tui.ledger_screen import LedgerScreen
from tui.start_screen import StartScreen

OFFICE = Operator("王主任", "市巩固拓展脱贫攻坚成果领导小组办公室", "办公室")
ZHANG = Operator("张三", "褚河街道", "单位")
SUN = Operator("孙七", "火龙镇", "单位")
PLAN: dict[str, Any] = {
    "measures": "入户核实",
    "deadline": date(2022, 6, 10),
    "responsible_unit": "市住建局",
}


@pytest.fixture
def staffed(ledger: Ledger) -> Ledger:
    for who in (OFFICE, ZHANG, SUN):
        ledger.register_operator(OFFICE, who.name, who.unit, who.role)
    return ledger


def messages(app: TaizhangApp) -> list[str]:
    return [n.message for n in app._notifications]


async def test_the_start_screen_signs_in_the_chosen_operator(
    staffed: Ledger, tmp_path: Path
) -> None:
    app = TaizhangApp(staffed, None, export_dir=tmp_path)

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, StartScreen)
        table = app.screen.query_one("#start-table", DataTable)
        assert table.row_count == 3

        await pilot.press("down", "enter")
        await pilot.pause()

        assert isinstance(app.screen, LedgerScreen)
        assert app.operator == ZHANG
        assert "张三（褚河街道，单位操作员）" in app.sub_title


async def test_without_a_register_or_a_unit_given_the_unit_is_chosen_first(
    ledger: Ledger, tmp_path: Path
) -> None:
    """A clerk who opened the app without --unit worked as the first township's."""
    app = TaizhangApp(ledger, None, export_dir=tmp_path, name="李静")
    units = ledger.campaign.all_units

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, StartScreen)
        table = app.screen.query_one("#start-table", DataTable)
        assert table.row_count == len(units)
        assert app.screen.query_one("#start-name", Input).value == "李静"

        await pilot.press("down", "down", "down", "down", "enter")
        await pilot.pause()

        assert isinstance(app.screen, LedgerScreen)
        assert (app.operator.name, app.operator.unit) == ("李静", units[4])
        assert f"李静（{units[4]}）" in app.sub_title


async def test_another_units_finding_is_refused_before_any_form_opens(
    staffed: Ledger, new_finding: Callable[..., NewFinding], tmp_path: Path
) -> None:
    finding_id = staffed.record(SUN, new_finding(reporting_unit="火龙镇", **PLAN))
    staffed.complete(SUN, finding_id, 2, on=date(2022, 6, 2), effect="已整改")
    head = staffed.head()
    app = TaizhangApp(staffed, ZHANG, export_dir=tmp_path)

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#ledger-table")
        table.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, FindingScreen)

        for key in ("g", "a", "w"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, FindingScreen), key

    said = messages(app)
    assert any("不能办理火龙镇的问题" in m for m in said)
    assert any("不能记录验收结果（验收由调研指导组记录）" in m for m in said)
    assert staffed.head() == head


async def test_the_responsible_department_opens_progress_but_not_the_plan(
    staffed: Ledger, new_finding: Callable[..., NewFinding], tmp_path: Path
) -> None:
    """市住建局's clerk, responsible for a township's finding, was refused
    its progress form at the key."""
    from tui.form import FormModal

    housing = Operator("钱五", "市住建局", "单位")
    staffed.register_operator(OFFICE, housing.name, housing.unit, housing.role)
    staffed.record(ZHANG, new_finding(**PLAN))
    app = TaizhangApp(staffed, housing, export_dir=tmp_path)

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.screen.query_one("#ledger-table").focus()
        await pilot.press("enter")
        await pilot.pause()
        page = app.screen
        assert isinstance(page, FindingScreen)

        await pilot.press("d")  # the deadline stays the township's to move
        await pilot.pause()
        assert app.screen is page
        assert any("不能办理褚河街道的问题" in m for m in messages(app))
        await pilot.press("g")
        await pilot.pause()
        assert isinstance(app.screen, FormModal)


async def test_the_office_cannot_open_a_new_finding_form(
    staffed: Ledger, tmp_path: Path
) -> None:
    app = TaizhangApp(staffed, OFFICE, export_dir=tmp_path)

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()

        assert isinstance(app.screen, LedgerScreen)
    assert any("不能登记" in m for m in messages(app))


async def test_the_offices_export_asks_which_unit_rather_than_its_own_empty_one(
    staffed: Ledger, tmp_path: Path
) -> None:
    """The office's export dialog chose the office, which keeps no ledger of its own."""
    app = TaizhangApp(staffed, OFFICE, export_dir=tmp_path)

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        chosen = app.screen.query_one("#field-unit", Select)

        assert chosen.value is Select.NULL
        offered = [value for _, value in chosen._options]  # noqa: SLF001
        assert OFFICE.unit not in offered and "褚河街道" in offered


async def test_the_operator_is_named_in_the_header_at_80_columns(
    ledger: Ledger, tmp_path: Path
) -> None:
    """With a long unit name the header was cut before the operator's name."""
    operator = Operator("欧阳晓明", "市巩固拓展脱贫攻坚成果调研指导组")
    app = TaizhangApp(ledger, operator, export_dir=tmp_path)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        svg = app.export_screenshot()

    shown = html.unescape("".join(re.findall(r">([^<>]*)</text>", svg)))
    assert "欧阳晓明（市巩固拓展脱贫攻坚成果调研指导组）" in shown



async def test_a_sealed_units_clerk_records_only_what_a_spot_check_found(
    staffed: Ledger, clock: Any, tmp_path: Path
) -> None:
    """The whole new-finding form was filled in and refused only on Ctrl+S;
    then a problem the acceptance spot-check found could not be entered at all."""
    from datetime import datetime

    from tests.conftest import SHANGHAI
    from tui.form import FormModal

    clock.set(datetime(2022, 6, 21, 9, tzinfo=SHANGHAI))
    staffed.seal(ZHANG, "褚河街道", "褚河街道主任", force=True)
    app = TaizhangApp(staffed, ZHANG, export_dir=tmp_path)

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, FormModal)
        assert form.query_one("#field-source", Select).value == "验收抽查"
        hint = " ".join(shown_lines(form.query_one("#form-message")))
        assert "已封存" in hint and "验收抽查" in hint, hint


async def test_a_finding_sent_back_after_the_seal_opens_its_rework_forms(
    staffed: Ledger, clock: Any, tmp_path: Path
) -> None:
    """Sent back after the seal, the finding refused d, g and c at the key: it
    could never be done again."""
    from datetime import datetime

    from tests.conftest import SHANGHAI
    from tui.form import FormModal

    finding = staffed.record(ZHANG, NewFinding(
        "褚河街道", "housing", 1, "个性问题", "危房未改造", date(2022, 6, 1), **PLAN
    ))  # fmt: skip
    staffed.complete(ZHANG, finding, 2, on=date(2022, 6, 2), effect="已改造")
    clock.set(datetime(2022, 6, 21, 9, tzinfo=SHANGHAI))
    staffed.seal(ZHANG, "褚河街道", "褚河街道主任", force=True)
    inspector = Operator("赵组长", "市巩固拓展脱贫攻坚成果调研指导组", "调研指导组")
    staffed.register_operator(OFFICE, inspector.name, inspector.unit, inspector.role)
    staffed.fail_acceptance(inspector, finding, 3, on=date(2022, 6, 21), remarks="未入住")
    app = TaizhangApp(staffed, ZHANG, export_dir=tmp_path)

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.push_screen(FindingScreen(staffed, finding))
        await pilot.pause()
        for key in ("d", "g", "c"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, FormModal), (key, messages(app))
            await pilot.press("escape")
            await pilot.pause()
        await pilot.press("k")
        await pilot.pause()
        assert isinstance(app.screen, FindingScreen)
        assert "已封存" in messages(app)[-1], messages(app)


async def test_the_start_screen_takes_the_name_records_are_signed_with(
    ledger: Ledger, tmp_path: Path
) -> None:
    """Started without --operator, the unit picker signed every record with the
    computer's login name and offered no way to give one's own."""
    app = TaizhangApp(ledger, None, export_dir=tmp_path, name="root")
    units = ledger.campaign.all_units

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        name = app.screen.query_one("#start-name", Input)
        assert name.value == "root"
        name.focus()
        name.value = ""
        await pilot.press("enter")  # nobody's name: refused, stays
        await pilot.pause()
        assert isinstance(app.screen, StartScreen)
        assert "“操作员”不能为空。" in messages(app)

        await type_text(pilot, "王芳")
        await pilot.press("enter")  # on to the units
        await pilot.pause()
        assert isinstance(app.screen, StartScreen)
        await pilot.press("down", "enter")
        await pilot.pause()

        assert isinstance(app.screen, LedgerScreen)
        assert (app.operator.name, app.operator.unit) == ("王芳", units[1])


async def test_an_operator_moved_meanwhile_is_shown_with_the_new_unit(
    staffed: Ledger, campaign: Campaign, store: Path, tmp_path: Path
) -> None:
    """The office moved 张三 to 火龙镇 while his app was open: its header went
    on saying 张三（褚河街道）, while every refusal named 火龙镇."""
    from domain.ledger import open_ledger

    app = TaizhangApp(staffed, ZHANG, export_dir=tmp_path)
    office = open_ledger(campaign, store)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            assert "张三（褚河街道，单位操作员）" in app.sub_title
            office.assign_operator(OFFICE, "张三", "火龙镇", "单位")
            for _ in range(30):
                await pilot.pause(0.1)
                if "火龙镇" in app.sub_title:
                    break
            assert "张三（火龙镇，单位操作员）" in app.sub_title
            assert app.operator.unit == "火龙镇"
            assert any("火龙镇" in str(m) for m in messages(app))
    finally:
        office.close()
