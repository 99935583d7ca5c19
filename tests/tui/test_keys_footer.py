"""The footer of keys: rebuilt when the keys it shows change, and only then."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Static
from textual.widgets._footer import FooterKey

from tui.keys_footer import KeysFooter


class Noted(Static, can_focus=True):
    BINDINGS = [Binding("f3", "app.bell", "备注")]


class Keys(App[None]):
    BINDINGS = [Binding("f2", "bell", "响铃")]

    def compose(self) -> ComposeResult:
        yield Noted("备注栏", id="noted")
        yield Input(id="text")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#text", Input).focus()


def descriptions(app: App[None]) -> list[str]:
    return [key.description for key in app.query(FooterKey)]


async def test_the_footer_shows_the_keys_of_the_focused_widget() -> None:
    """The footer skips rebuilds; one that changed the keys must still happen."""
    app = Keys()

    async with app.run_test() as pilot:
        await pilot.pause()
        typed = descriptions(app)
        app.query_one("#noted", Noted).focus()
        await pilot.pause()
        noting = descriptions(app)

    assert "响铃" in typed and "备注" not in typed
    assert "响铃" in noting and "备注" in noting


async def test_the_same_keys_are_not_rebuilt() -> None:
    """Opening the ledger rebuilt the same keys three times before the rows showed."""
    app = Keys()

    async with app.run_test() as pilot:
        await pilot.pause()
        before = list(app.query(FooterKey))
        app.screen.refresh_bindings()
        await pilot.pause()
        after = list(app.query(FooterKey))

    assert after == before
