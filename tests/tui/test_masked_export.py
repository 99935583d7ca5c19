"""The export dialog offers a masked copy for sharing outside the office."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from domain.ledger import Ledger, NewFinding, Operator
from tests.tui.pilot_keys import choose, type_text
from tui.app import TaizhangApp
from tui.form import FormModal

OPERATOR = Operator("张三", "褚河街道")


async def test_choosing_the_shared_copy_masks_names_and_numbers(
    ledger: Ledger, new_finding: object, tmp_path: Path
) -> None:
    finding: NewFinding = new_finding(  # type: ignore[operator]
        statement="王某某家身份证410881199001011234", household_head="王某某"
    )
    ledger.record(OPERATOR, finding)
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, FormModal)
        await choose(pilot, "#field-masked", "对外共享（隐去户主姓名、证件号码）")
        app.screen.query_one("#field-path").focus()
        await type_text(pilot, str(tmp_path / "shared.xlsx"))
        await pilot.press("ctrl+s")
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert not isinstance(app.screen, FormModal)

    cell = load_workbook(tmp_path / "shared.xlsx")["整改台账"]["D4"].value
    assert cell == "王某家身份证410881********1234"
