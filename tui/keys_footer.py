"""A footer of key bindings that is rebuilt only when the keys it shows change."""

from __future__ import annotations

from collections.abc import Hashable

from textual.widgets import Footer


class KeysFooter(Footer):
    """Textual's Footer, minus the rebuilds that would show the same keys again.

    Footer rebuilds all its keys, a widget each, on every bindings signal: a
    screen pushed, focus moved, an idle callback. Opening the ledger sends
    three such signals for one set of keys, and each rebuild costs a few
    hundredths of a second before the first rows can be drawn.
    """

    _shown: Hashable = None

    async def recompose(self) -> None:
        shown = self._keys()
        if shown == self._shown:
            return
        self._shown = shown
        await super().recompose()

    def _keys(self) -> Hashable:
        """The bindings compose reads: each one's key, wording and state."""
        if not self.is_attached:
            return None
        return tuple(
            (
                binding.key,
                binding.action,
                binding.show,
                binding.description,
                binding.tooltip,
                enabled,
                tooltip,
                self.app.get_key_display(binding),
            )
            for (_, binding, enabled, tooltip) in self.screen.active_bindings.values()
        )
