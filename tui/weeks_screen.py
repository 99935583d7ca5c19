"""The weeks screen: every report week of the campaign with its counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Select, Static

from domain.ledger import Ledger
from tui.form import Field, FormModal, choices
from tui.wording import AskAgain, late_note


class WeeksScreen(Screen[None]):
    """List the report weeks; Enter opens a week's reported and known ledgers."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "返回", id="weeks.back"),
        Binding("s", "submit", "报送", tooltip="报送所选周的台账", id="weeks.submit"),
    ]

    def __init__(self, ledger: Ledger, unit: str = "") -> None:
        super().__init__()
        self.ledger = ledger
        self.unit = unit

    def compose(self) -> ComposeResult:
        yield Header()
        yield Select(
            [(u, u) for u in self.ledger.campaign.all_units],
            prompt="全部单位",
            value=self.unit or Select.NULL,
            compact=True,
            id="weeks-unit",
        )
        yield DataTable(cursor_type="row", id="weeks-table")
        yield Static(
            "新增、完成、销号按录入时间计入当周（“统计”按发现日期和验收日期计）；"
            "逾期为当周最后一天仍未完成且已过时限的问题。"
            "Enter 查看该周按时上报与现在所知的对比。",
            id="weeks-note",
        )
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.reload()
        self.query_one(DataTable).focus()

    def reload(self) -> None:
        table = self.query_one(DataTable)
        table.clear(columns=True)
        for label, width in (
            ("周次", 6),
            ("起止", 16),
            ("新增", 6),
            ("完成", 6),
            ("销号", 6),
            ("周末逾期", 8),
            ("报送", 12),
        ):
            table.add_column(label, width=width)
        handed_in = self.handed_in()
        for week in self.ledger.week_table(self.unit):
            table.add_row(
                f"第{week.week}周",
                f"{week.first_day:%m-%d}—{week.last_day:%m-%d}",
                str(week.new),
                str(week.completed),
                str(week.accepted),
                str(week.overdue),
                handed_in(week.week),
                key=str(week.week),
            )

    def handed_in(self) -> Callable[[int], str]:
        """Say of a week when the chosen unit handed it in, or how many units did."""
        reports = {r.unit: r for r in self.ledger.unit_reports()}
        owing = self.ledger.campaign.reporting_units
        if not self.unit:
            return lambda week: (
                f"{sum(week in reports[u].handed_in for u in owing)}/{len(owing)} 个单位"
            )
        report = reports[self.unit]
        if self.unit not in owing:
            return lambda week: "不需报送"
        owed = self.ledger.campaign.owed_weeks

        def said(week: int) -> str:
            day = report.handed_in.get(week)
            if day is not None:
                return f"{day.month}月{day.day}日报送"
            if week not in owed:
                return "不需报送"  # the final ledger reports it
            return "未报送" if week in report.missing else "未到期"

        return said

    def action_submit(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return
        week = int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or 0)
        app: Any = self.app
        campaign = self.ledger.campaign

        warned: set[str] = set()

        def submit(values: dict[str, Any]) -> None:
            unit = values["unit"]
            note = late_note(self.ledger.week_view(week, unit).late)
            if note and unit not in warned:
                # Said before it is handed in: the sheet leaves those out.
                warned.add(unit)
                raise AskAgain(note, "确需按截止时的记录报送，请再按 Ctrl+S。")
            fingerprint = self.ledger.submit_week(app.operator, unit, week)
            self.reload()  # the list behind the form shows it handed in
            self.notify(
                f"{values['unit']} 第{week}周台账，指纹 {fingerprint}。"
                f"导出的该周台账带同一指纹。{note}",
                title="已报送",
                severity="warning" if note else "information",
                timeout=15 if note else 10,
            )

        self.app.push_screen(
            FormModal(
                f"报送第{week}周台账",
                [Field("unit", "单位", "select", True, choices(campaign.all_units),
                       value=self.unit or app.operator.unit)],
                submit,
                year=campaign.year,
                hint="报送记录该周截止时的记录指纹，之后的改动都会留下痕迹。",
            )
        )

    @on(Select.Changed, "#weeks-unit")
    def unit_changed(self, event: Select.Changed) -> None:
        self.unit = "" if event.value is Select.NULL else str(event.value)
        self.reload()

    @on(DataTable.RowSelected)
    def open_week(self, event: DataTable.RowSelected) -> None:
        from tui.week_screen import WeekScreen

        if event.row_key.value is not None:
            self.app.push_screen(
                WeekScreen(self.ledger, int(event.row_key.value), self.unit)
            )
