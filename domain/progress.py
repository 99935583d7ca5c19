"""Long work that says how far it has come and stops when asked."""

from __future__ import annotations

from collections.abc import Callable

from domain.errors import WorkCancelledError

# Told (done, total) as long work goes on; total may grow if the work does.
Progress = Callable[[int, int], None]
# Asked between steps whether the operator wants the work stopped.
Cancelled = Callable[[], bool]

# How many steps pass between two reports (and two looks for a cancel).
EVERY = 50


class Steps:
    """Count the steps of one piece of long work, report them, and stop it on request.

    Every `every` steps, and at the last one, `progress` hears how far the
    work is and `cancelled` is asked; a yes raises WorkCancelledError naming
    `work`, so the caller's own clean-up (a temporary file, an unsaved
    transaction) runs as on any other failure.
    """

    def __init__(
        self,
        work: str,
        total: int,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
        every: int = EVERY,
    ) -> None:
        self.work = work
        self.total = total
        self.done = 0
        self.progress = progress
        self.cancelled = cancelled
        self.every = max(1, every)
        self._reported = 0

    def start(self) -> None:
        """Say the work begins, and stop at once if it was cancelled already."""
        self.report()

    def step(self, count: int = 1) -> None:
        """Count finished steps; report and look for a cancel when it is time."""
        self.done += count
        due = self.done - self._reported >= self.every
        if due or self._reported < self.total <= self.done:
            self.report()

    def report(self) -> None:
        """Tell the progress now, then stop if a cancel was asked for."""
        self._reported = self.done
        if self.progress is not None:
            self.progress(min(self.done, self.total), self.total)
        self.check()

    def check(self) -> None:
        """Raise WorkCancelledError if the operator asked the work to stop."""
        if self.cancelled is not None and self.cancelled():
            raise WorkCancelledError(self.work)
