"""The start screen: who is at the keyboard, chosen from the registered operators,
or, with nobody registered, which unit they work for."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from domain.errors import LedgerError
from domain.finding import name_text
from domain.ledger import Ledger, Operator
from tui.wording import explain, role_name


class StartScreen(Screen[Operator]):
    """List the operators on duty; Enter signs in as the one under the cursor.

    Shown when operators are registered and none was named at start
    (`--operator` or TAIZHANG_OPERATOR); returns the chosen operator, with the
    unit and role the register gives. With nobody registered and no unit
    named (`--unit` or TAIZHANG_UNIT), it lists the campaign's units instead
    and returns the name typed above them (at first `name`, the login name)
    working for the chosen one: a unit taken by default would sign every
    record with a unit the clerk never chose, and a login name with a name
    that is nobody's.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "choose", "选择", priority=True, id="start.choose"),
    ]

    def __init__(self, ledger: Ledger, name: str = "") -> None:
        super().__init__()
        self.ledger = ledger
        self.name_given = name
        self.names = [e.name for e in ledger.operators() if e.active]
        self.units = [] if self.names else ledger.campaign.all_units

    def compose(self) -> ComposeResult:
        yield Header()
        if self.names:
            note = "请选择操作员（↑ ↓ 移动，Enter 确认）。你记录的每一项都会署上你的姓名和单位。"
        else:
            # Few spaces: Textual wraps a line at its spaces. The name starts
            # its own line, so that a narrow screen does not break it.
            note = (
                "请选择你所在的单位（↑↓移动，Enter确认）。启动时加“--unit 单位”可省去这一步。\n"
                "你记录的每一项都会署上下面的姓名和所选单位（Tab 到姓名处修改）："
            )
        yield Static(note, id="start-note")
        if not self.names:
            yield Input(self.name_given, placeholder="操作员姓名", id="start-name")
        yield DataTable(cursor_type="row", id="start-table")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        if self.names:
            self.sub_title = "选择操作员"
            for label, width in (("姓名", 10), ("单位", 34), ("角色", 16)):
                table.add_column(label, width=width)
            for entry in self.ledger.operators():
                if entry.active:
                    table.add_row(entry.name, entry.unit, role_name(entry.role))
        else:
            self.sub_title = "选择单位"
            townships = set(self.ledger.campaign.units.townships)
            table.add_column("单位", width=34)
            table.add_column("类别", width=12)
            for unit in self.units:
                table.add_row(unit, "乡镇（街道）" if unit in townships else "市直部门")
        table.focus()

    def action_choose(self) -> None:
        table = self.query_one(DataTable)
        if self.names:
            self.dismiss(self.ledger.sign_in(self.names[table.cursor_row]))
            return
        typed = self.query_one("#start-name", Input)
        try:
            name = name_text("operator", typed.value)
        except LedgerError as refusal:
            self.notify(explain(refusal), severity="warning")
            typed.focus()
            return
        if typed.has_focus:
            table.focus()  # the name given: on to the units
        elif self.units:
            self.dismiss(Operator(name, self.units[table.cursor_row]))
