"""Screens that show the live ledger, and when they read it again."""

from __future__ import annotations


class ReadAgainWhenShown:
    """Mixed into a screen whose reading is costly (the whole ledger or log).

    While it is out of view, the app only marks it stale when the log grows
    (`TaizhangApp.refresh_screens`); it reads again once, when shown again.
    A screen that reads again on every resume anyway needs none of this.
    """

    # Reloaded by the app whenever the log grows and the screen is in view.
    shows_live_ledger = True
    stale = False

    def reload(self) -> None:
        raise NotImplementedError

    def on_screen_resume(self) -> None:
        if self.stale:
            self.stale = False
            self.reload()
