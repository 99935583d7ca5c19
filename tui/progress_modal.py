"""The progress modal: a bar over the screen while long work runs, and a key to stop it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import ProgressBar, Static
from textual.worker import get_current_worker

from tui.wording import CANCELLING, PROGRESS_HINT, progress_count

# Seconds between two redraws of the bar: a worker may report far more often.
REDRAW_SECONDS = 0.1


class ProgressModal(ModalScreen[None]):
    """Show how far a worker's long work has come; Esc or c asks it to stop.

    The worker reports through `report` and asks `cancelled` between steps,
    both from its own thread. Work that stops on a cancel must leave nothing
    half-done (domain.progress); this screen only asks.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "取消", id="progress.cancel"),
        Binding("c", "cancel", "取消", show=False, id="progress.cancel-alt"),
        # As Ctrl+C stops long work on the command line.
        Binding("ctrl+c", "cancel", "取消", show=False, priority=True, id="progress.ctrl-c"),
    ]

    def __init__(self, title: str, unit: str) -> None:
        super().__init__()
        self.title_text = title
        self.unit = unit
        self.asked = threading.Event()
        self.over = False
        self._drawn = 0.0
        self._worker: Any = None

    @classmethod
    @contextmanager
    def shown(cls, app: App[Any], title: str, unit: str) -> Iterator[ProgressModal]:
        """Show the modal while a worker thread runs the `with` block.

        Called from the worker's thread; the modal is gone on every way out.
        A worker cancelled by the app (when it quits) also counts as a cancel.
        """
        modal = cls(title, unit)
        modal._worker = get_current_worker()
        app.call_from_thread(app.push_screen, modal)
        try:
            yield modal
        finally:
            app.call_from_thread(modal.close)

    def compose(self) -> ComposeResult:
        with Vertical(id="progress-dialog"):
            yield Static(self.title_text, id="progress-title")
            yield ProgressBar(total=None, show_eta=False, id="progress-bar")
            yield Static("", id="progress-count")
            yield Static(PROGRESS_HINT, id="progress-hint")

    def report(self, done: int, total: int) -> None:
        """Take a worker's (done, total); redraw at most every REDRAW_SECONDS."""
        now = time.monotonic()
        if now - self._drawn < REDRAW_SECONDS and done < total:
            return
        self._drawn = now
        self.app.call_from_thread(self.show, done, total)

    def show(self, done: int, total: int) -> None:
        if not self.is_mounted:
            return
        self.query_one(ProgressBar).update(total=max(total, 1), progress=done)
        self.query_one("#progress-count", Static).update(
            progress_count(done, total, self.unit)
        )

    def retitle(self, title: str) -> None:
        """Name the next phase of the work, whose count starts again (worker's thread)."""
        self.app.call_from_thread(self.query_one("#progress-title", Static).update, title)

    def cancelled(self) -> bool:
        """Tell the worker whether to stop: Esc or c was pressed, or the app quits."""
        worker = self._worker
        return self.asked.is_set() or (worker is not None and worker.is_cancelled)

    def action_cancel(self) -> None:
        self.asked.set()
        self.query_one("#progress-hint", Static).update(CANCELLING)

    def close(self) -> None:
        """Take the modal away once the work is over, now or when it is on top again."""
        self.over = True
        if self.is_active:
            self.dismiss(None)

    def on_screen_resume(self) -> None:
        if self.over:
            self.dismiss(None)
