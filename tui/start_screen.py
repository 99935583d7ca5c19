"""The start screen: who is at the keyboard, chosen from the registered operators."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from domain.ledger import Ledger, Operator
from tui.wording import role_name


class StartScreen(Screen[Operator]):
    """List the operators on duty; Enter signs in as the one under the cursor.

    Shown when operators are registered and none was named at start
    (`--operator` or TAIZHANG_OPERATOR). Returns the chosen operator, with the
    unit and role the register gives.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "choose", "选择", priority=True, id="start.choose"),
    ]

    def __init__(self, ledger: Ledger) -> None:
        super().__init__()
        self.ledger = ledger
        self.names: list[str] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            "请选择操作员（↑ ↓ 移动，Enter 确认）。你记录的每一项都会署上你的姓名和单位。",
            id="start-note",
        )
        yield DataTable(cursor_type="row", id="start-table")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = "选择操作员"
        table = self.query_one(DataTable)
        for label, width in (("姓名", 10), ("单位", 34), ("角色", 16)):
            table.add_column(label, width=width)
        for entry in self.ledger.operators():
            if entry.active:
                table.add_row(entry.name, entry.unit, role_name(entry.role))
                self.names.append(entry.name)
        table.focus()

    def action_choose(self) -> None:
        table = self.query_one(DataTable)
        if not self.names:
            return
        self.dismiss(self.ledger.sign_in(self.names[table.cursor_row]))
