"""One report week: the ledger as reported beside the ledger as now known."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import (
    DataTable,
    Footer,
    Header,
    Label,
    Static,
    TabbedContent,
    TabPane,
)

from domain.ledger import Ledger, WeekView
from domain.state import FindingState
from exporters.week_report import LATE_KINDS
from tui.form import Field, FormModal, choices
from tui.wording import change_value, cut_cell, field_name, withdrawn_note


class WeekScreen(Screen[None]):
    """Show a week two ways, what was late, and what changed since the week before."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "返回", id="week.back"),
        Binding(
            "e", "export", "导出", tooltip="导出该周台账及差异表", id="week.export"
        ),
    ]

    def __init__(self, ledger: Ledger, week: int, unit: str = "") -> None:
        super().__init__()
        self.ledger = ledger
        self.week = week
        self.unit = unit
        self.view: WeekView = ledger.week_view(week, unit)

    def compose(self) -> ComposeResult:
        v = self.view
        cutoff = v.cutoff.astimezone(self.ledger.campaign.tz)
        yield Header()
        yield Static(
            f"第{v.week}周 {v.first_day:%m月%d日}—{v.last_day:%m月%d日}　"
            f"{self.unit or '全部单位'}　上报截止 {cutoff:%Y-%m-%d %H:%M}",
            id="week-title",
        )
        with Horizontal(id="week-sides"):
            with Vertical():
                yield Label(
                    f"按时上报（截止前记录）{len(v.reported)} 条"
                    f"{withdrawn_note(v.reported.values())}",
                    classes="side-title",
                )
                yield DataTable(cursor_type="row", cell_padding=0, id="week-reported")
            with Vertical():
                yield Label(
                    f"现在所知（业务日期在本周内）{len(v.known)} 条"
                    f"{withdrawn_note(v.known.values())}",
                    classes="side-title",
                )
                yield DataTable(cursor_type="row", cell_padding=0, id="week-known")
        with TabbedContent(id="week-tabs"):
            with TabPane(f"迟报/漏报 {len(v.late)}", id="tab-late"):
                yield DataTable(cursor_type="row", cell_padding=0, id="week-late")
            diff = v.diff
            changed = (
                len(diff.new) + len(diff.closed) + len(diff.slipped) + len(diff.changed)
            )
            with TabPane(f"与上周比较 {changed}", id="tab-diff"):
                yield DataTable(cursor_type="row", cell_padding=0, id="week-diff")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        for table_id, states in (
            ("#week-reported", self.view.reported),
            ("#week-known", self.view.known),
        ):
            self.fill_side(self.query_one(table_id, DataTable), states)
        late = self.query_one("#week-late", DataTable)
        rest = max(16, self.size.width - 16 - 18 - 18 - 3)
        for label, width in (
            ("情形", 16),
            ("问题表述", rest),
            ("上报时", 18),
            ("现在", 18),
        ):
            late.add_column(label, width=width)
        for entry in self.view.late:
            late.add_row(
                LATE_KINDS[entry.kind], entry.statement, entry.reported, entry.known
            )
        diff = self.query_one("#week-diff", DataTable)
        rest = max(16, self.size.width - 7 - 10 - 16 - 16 - 3)
        for label, width in (
            ("变化", 7),
            ("问题表述", rest),
            ("字段", 10),
            ("上周", 16),
            ("本周", 16),
        ):
            diff.add_column(label, width=width)
        d = self.view.diff
        for kind, states in (
            ("新增", d.new),
            ("销号", d.closed),
            ("新逾期", d.slipped),
        ):
            for state in states:
                diff.add_row(kind, state.statement, "", "", "")
        for state, changes in d.changed:
            for change in changes:
                diff.add_row(
                    "变更",
                    state.statement,
                    field_name(change.field),
                    change_value(change.before),
                    change_value(change.after),
                )
        self.query_one("#week-reported", DataTable).focus()

    def fill_side(self, table: DataTable[Any], states: dict[str, FindingState]) -> None:
        table.add_column("单位", width=9)
        width = max(12, self.size.width // 2 - 9 - 7 - 6 - 3)
        table.add_column("问题表述", width=width)
        table.add_column("状态", width=7)
        table.add_column("时限", width=6)
        last = self.view.last_day
        for state in sorted(states.values(), key=lambda s: s.recorded_at):
            deadline = f"{state.deadline:%m-%d}" if state.deadline else ""
            style = "bold red" if state.is_overdue(last) else ""
            table.add_row(
                state.reporting_unit,
                # One cell short of the column: a gap before the status.
                cut_cell(state.statement, width - 1),
                str(state.status),
                Text(deadline, style=style),
            )

    def action_export(self) -> None:
        campaign = self.ledger.campaign
        app: Any = self.app
        fields = [
            Field(
                "unit",
                "单位",
                "select",
                True,
                choices(campaign.all_units),
                value=self.unit or app.operator.unit,
            ),
            Field("path", "保存到", placeholder=f"不填则保存在 {app.export_dir}"),
        ]

        def submit(values: dict[str, Any]) -> None:
            typed = values["path"].strip()
            path = Path(typed).expanduser() if typed else None
            self.ledger.week_view(self.week, values["unit"])  # refuse bad input now
            app.export_week(values["unit"], self.week, path)

        self.app.push_screen(
            FormModal(
                f"导出第{self.week}周台账及差异表", fields, submit, year=campaign.year
            )
        )

