"""Every key the footer offers is named in Chinese, the library's own keys too."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Select

from domain.ledger import Ledger, Operator
from tui.app import TaizhangApp
from tui.form import FormModal


async def test_an_open_dropdown_offers_esc_in_chinese(ledger: Ledger, tmp_path: Path) -> None:
    app = TaizhangApp(ledger, Operator("张三", "褚河街道"), export_dir=tmp_path)

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, FormModal)
        form.query(Select).first().focus()
        await pilot.press("enter")
        await pilot.pause()

        shown = {
            key: active.binding.description
            for key, active in form.active_bindings.items()
            if active.binding.show
        }
        assert shown["escape"] == "收起"
        assert all(not d.isascii() for d in shown.values() if d), shown
