"""The import screen: a checked sheet's report, before anything is written."""

from __future__ import annotations

import logging
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static
from textual.worker import Worker, WorkerState

from domain.errors import (
    AlreadyImportedError,
    WorkCancelledError,
)
from domain.importing import ImportResult, ImportSheet
from domain.ledger import Ledger, Operator
from tui.progress_modal import ProgressModal
from tui.wording import (
    CANCELLED_TITLE,
    ROWS,
    explain,
    import_notes,
    import_problems,
    import_summary,
    importing,
    is_refusal,
)

log = logging.getLogger(__name__)


class ImportScreen(Screen[ImportResult | None]):
    """List the rows of a sheet that cannot come in; a key imports or cancels.

    Dismisses with the result once the rows are recorded, None when cancelled.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "import_all", "全部导入", tooltip="导入全部行", id="import.all"),
        Binding(
            "g",
            "import_good",
            "只导入无误的行",
            tooltip="跳过不能导入的行",
            id="import.good",
        ),
        Binding("escape", "cancel", "取消", tooltip="不导入，返回", id="import.cancel"),
    ]

    def __init__(
        self,
        ledger: Ledger,
        operator: Operator,
        sheet: ImportSheet,
        result: ImportResult,
        unit: str = "",
    ) -> None:
        super().__init__()
        self.ledger = ledger
        self.operator = operator
        self.sheet = sheet
        self.result = result
        # The unit as chosen in the form ("" when the sheet's line names it).
        self.unit = unit

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="import-summary")
        yield DataTable(cursor_type="row", id="import-problems")
        yield Static(id="import-notes")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = f"导入 {self.sheet.file_name}"
        result = self.result
        summary = import_summary(result)
        if result.previous is not None:
            summary += "\n" + explain(self.already())
        elif not result.good and not result.refused:
            summary += "\n表中各行都已登记过，没有新的问题。按 Esc 返回。"
        elif result.refused and not result.good:
            summary += "\n下列各行不能导入，没有可以导入的行。按 Esc 返回，修改文件后再导入。"
        elif result.refused:
            summary += (
                "\n下列各行不能导入。按 g 只导入无误的行，或按 Esc 取消后修改文件。"
            )
        elif result.recorded:
            summary += "\n已登记过的行跳过，其余都可以导入。按 a 导入，按 Esc 取消。"
        else:
            summary += "\n全部行都可以导入。按 a 导入，按 Esc 取消。"
        self.query_one("#import-summary", Static).update(summary)

        table = self.query_one(DataTable)
        table.add_column("行号", width=5)
        table.add_column("列", width=16)
        table.add_column("原因", width=max(30, self.app.size.width - 27))
        for number, column, reason in import_problems(result):
            table.add_row(number, column, Text(reason, overflow="fold"), height=None)
        # An earlier import makes every row a duplicate; the refusal says enough.
        table.display = bool(result.problems) and result.previous is None
        notes = import_notes(result)
        self.query_one("#import-notes", Static).update(
            "\n".join(f"说明：{n}" for n in notes)
        )
        table.focus()

    def already(self) -> AlreadyImportedError:
        previous = self.result.previous
        assert previous is not None
        return AlreadyImportedError(
            self.sheet.file_name,
            previous.file_name,
            previous.at,
            previous.operator,
            previous.findings,
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer only the import the sheet allows: all rows, or only the good ones."""
        result = self.result
        if action == "import_all":
            return result.previous is None and not result.refused and bool(result.good)
        if action == "import_good":
            return result.previous is None and bool(result.refused) and bool(result.good)
        return True

    def action_import_all(self) -> None:
        self.write(only_good=False)

    def action_import_good(self) -> None:
        self.write(only_good=True)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True, group="import", exit_on_error=False)
    def write(self, only_good: bool) -> ImportResult:
        """Record the rows off the event loop; the ledger checks them all again.

        A bar shows the check; a cancel is heard until the single save, so a
        cancelled import stores nothing and this report stays open.
        """
        title = importing(self.sheet.file_name)
        with ProgressModal.shown(self.app, title, ROWS) as modal:
            done = self.ledger.import_sheet(
                self.operator,
                self.sheet,
                unit=self.unit,
                only_good=only_good,
                progress=modal.report,
                cancelled=modal.cancelled,
            )
        self.app.call_from_thread(self.dismiss, done)
        return done

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        error = event.worker.error
        if event.state is not WorkerState.ERROR or not isinstance(error, Exception):
            return
        if isinstance(error, WorkCancelledError):
            self.notify(explain(error), title=CANCELLED_TITLE, timeout=8)
            return
        if not is_refusal(error):
            log.error("import of %s failed", self.sheet.file_name, exc_info=error)
        self.notify(explain(error), title="未导入", severity="error", timeout=10)
