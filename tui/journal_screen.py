"""The journal: every event of the store, filtered, for audit replay."""

from __future__ import annotations

from datetime import date

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Select, Static

from domain.dates import DayParseError, parse_day
from domain.ledger import JournalEntry, JournalQuery, Ledger
from tui.finding_screen import EVENT_NAMES, FindingScreen, describe, local_time
from tui.wording import explain, one_line


class JournalTable(DataTable[object]):
    """The journal's rows: Home and End go to the oldest and newest record, as on
    the ledger, rather than to the first and last column."""

    BINDINGS = [
        Binding("home", "jump(0)", show=False),
        Binding("end", "jump(-1)", show=False),
    ]

    def action_jump(self, row: int) -> None:
        if self.row_count:
            self.move_cursor(row=row % self.row_count)


class JournalScreen(Screen[None]):
    """List events; Enter jumps to the finding an event belongs to."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "返回", id="journal.back"),
        Binding("slash", "focus_filters", "筛选", id="journal.filter"),
    ]

    def __init__(self, ledger: Ledger) -> None:
        super().__init__()
        self.ledger = ledger
        self.entries: list[JournalEntry] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="journal-filters"):
            yield Select(
                [(u, u) for u in self.ledger.campaign.all_units],
                prompt="全部单位",
                compact=True,
                id="journal-unit",
            )
            yield Select(
                [(name, kind) for kind, name in EVENT_NAMES.items()],
                prompt="全部事项",
                compact=True,
                id="journal-kind",
            )
            yield Input(placeholder="操作员", compact=True, id="journal-operator")
            # Placeholders that cannot be read as a set filter (起 6月1日 was).
            yield Input(placeholder="录入起始日", compact=True, id="journal-since")
            yield Input(placeholder="录入截止日", compact=True, id="journal-until")
        yield JournalTable(cursor_type="row", cell_padding=0, id="journal-table")
        yield Static("", id="journal-summary")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.reload()
        self.query_one(DataTable).focus()

    def day(self, selector: str) -> date | None:
        text = self.query_one(selector, Input).value.strip()
        if not text:
            return None
        return parse_day(text, year=self.ledger.campaign.year)

    def journal_query(self) -> JournalQuery:
        unit = self.query_one("#journal-unit", Select).value
        kind = self.query_one("#journal-kind", Select).value
        return JournalQuery(
            unit="" if unit is Select.NULL else str(unit),
            kind="" if kind is Select.NULL else str(kind),
            operator=self.query_one("#journal-operator", Input).value.strip(),
            since=self.day("#journal-since"),
            until=self.day("#journal-until"),
        )

    def reload(self) -> None:
        summary = self.query_one("#journal-summary", Static)
        try:
            query = self.journal_query()
        except DayParseError as error:
            summary.update(explain(error))
            return
        self.entries = self.ledger.journal(query)
        table = self.query_one(DataTable)
        table.clear(columns=True)
        widths = (
            ("记录时间", 17),
            ("业务日期", 11),
            ("操作员", 9),
            ("单位", 9),
            ("事项", 11),
        )
        for label, width in widths:
            table.add_column(label, width=width)
        rest = max(20, self.size.width - sum(w for _, w in widths) - 2)
        table.add_column("问题表述 / 内容", width=rest)
        for entry in self.entries:
            e = entry.event
            table.add_row(
                local_time(e.recorded_at, self.ledger),
                e.on.isoformat(),
                e.operator,
                entry.unit,
                EVENT_NAMES.get(e.kind, e.kind),
                Text(
                    "｜".join(
                        one_line(part)
                        for part in (entry.statement, describe(e, self.ledger.campaign))
                        if part
                    ),
                    no_wrap=True,
                    overflow="ellipsis",
                ),
            )
        summary.update(f"共 {len(self.entries)} 条记录。Enter 打开该记录所属的问题。")

    def on_resize(self) -> None:
        self.reload()

    @on(Select.Changed)
    @on(Input.Submitted)
    def filters_changed(self) -> None:
        self.reload()
        self.query_one(DataTable).focus()

    @on(DataTable.RowSelected)
    def open_finding(self, event: DataTable.RowSelected) -> None:
        if 0 <= event.cursor_row < len(self.entries):
            entry = self.entries[event.cursor_row]
            if entry.finding_id:  # a week handed in, a screening: no finding to open
                self.app.push_screen(FindingScreen(self.ledger, entry.finding_id))

    def action_focus_filters(self) -> None:
        self.query_one("#journal-operator", Input).focus()
