"""A dropdown over other fields shows its Chinese options whole."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Select

from domain.ledger import Ledger, Operator
from tui.app import TaizhangApp
from tui.form import FormModal

OPERATOR = Operator("张三", "褚河街道")


async def test_check_items_keep_every_character_over_the_field_below(
    ledger: Ledger, tmp_path: Path
) -> None:
    """Marked red, the form moves the 问题性质 select under the end of item 1's
    first line; its arrow's edges fell inside "牌" and "，", which showed as spaces."""
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("ctrl+s")  # nothing typed: 必填 under the empty fields
        await pilot.pause()
        assert isinstance(app.screen, FormModal)
        select = app.screen.query_one("#field-check_item", Select)
        assert app.focused is select
        await pilot.press("enter")
        await pilot.pause()
        assert select.expanded
        screen = app.export_screenshot().replace("&#160;", " ")
        assert "认定及挂牌，" in screen
        assert "存在安全问题的房屋出具安全性评定结果" in screen
