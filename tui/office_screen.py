"""The office screen: every unit's counts, weekly submissions and overdue findings."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from domain.dates import format_day, short_day
from domain.ledger import Ledger
from domain.office import COUNTED, OfficeOverview, WeekMark
from exporters.consolidated import MARKS, write_consolidated
from exporters.final_report import NO_RESPONSIBLE, rate_text
from tui.form import Field, FormModal
from tui.progress_modal import ProgressModal
from tui.wording import ROWS, cut_cell, cut_middle, exporting

MARK_STYLES = {
    WeekMark.SUBMITTED: "green",
    WeekMark.MISSING: "bold red",
    WeekMark.NOT_DUE: "dim",
    WeekMark.NOT_OWED: "dim",
}


class OfficeScreen(Screen[None]):
    """All units at once; Enter on an overdue finding opens it, e exports."""

    # Reloaded by the app whenever the log grows (`TaizhangApp.refresh_screens`).
    shows_live_ledger = True

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "返回", id="office.back"),
        Binding(
            "e", "export", "导出汇总", tooltip="导出汇总台账 .xlsx", id="office.export"
        ),
    ]

    def __init__(self, ledger: Ledger) -> None:
        super().__init__()
        self.ledger = ledger
        self.overview: OfficeOverview | None = None
        self.overdue_ids: list[str] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="office-summary")
        with TabbedContent(id="office-tabs"):
            with TabPane("各单位", id="tab-units"):
                yield DataTable(cursor_type="row", cell_padding=0, id="office-units")
            with TabPane("各周报送", id="tab-weeks"):
                yield DataTable(cursor_type="row", cell_padding=0, id="office-weeks")
            with TabPane("逾期问题", id="tab-overdue"):
                yield DataTable(cursor_type="row", cell_padding=0, id="office-overdue")
            with TabPane("按责任单位", id="tab-responsible"):
                yield DataTable(cursor_type="row", cell_padding=0, id="office-responsible")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = "办公室汇总"
        self.reload()

    def on_screen_resume(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Read the overview again; the live refresh calls this too."""
        overview = self.ledger.office_overview()
        self.overview = overview
        self.query_one("#office-summary", Static).update(
            f"{format_day(overview.day)}：{len(overview.units)} 个单位，"
            f"共 {overview.total} 个问题，已逾期 {len(overview.overdue)} 个。"
            "按 e 导出汇总台账（每个单位一张正式台账）。"
        )

        units = self.query_one("#office-units", DataTable)
        units.clear(columns=True)
        # Wide enough for the largest count and a space: a province's 20000
        # ran into the next column.
        digits = len(str(max((u.total for u in overview.units), default=0))) + 1
        owed = 16
        for label, width in (
            ("单位", 20),
            ("问题", max(5, digits)),
            *((str(s), max(7, digits)) for s in COUNTED),
            ("逾期", max(5, digits)),
            ("应报未报", owed),
        ):
            units.add_column(label, width=width)
        for u in overview.units:
            missing = f"第{'、'.join(str(w) for w in u.missing)}周" if u.missing else ""
            units.add_row(
                # The office's and the team's names differ only at their ends.
                cut_middle(u.unit, 19),
                str(u.total),
                *(str(u.count(s)) for s in COUNTED),
                Text(str(u.overdue), style="bold red" if u.overdue else ""),
                cut_cell(missing or "—", owed - 1, style="bold red" if missing else ""),
            )

        weeks = self.query_one("#office-weeks", DataTable)
        weeks.clear(columns=True)
        weeks.add_column("单位", width=20)
        for week in self.ledger.campaign.report_weeks:
            weeks.add_column(f"第{week}周", width=7)
        weeks.add_column("终版台账", width=9)
        for u in overview.units:
            weeks.add_row(
                Text(u.unit, no_wrap=True, overflow="ellipsis"),
                *(Text(MARKS[mark], style=MARK_STYLES[mark]) for _, mark in u.weeks),
                Text("已封存", style="green") if u.sealed_by else Text("未封存", style="dim"),
            )

        overdue = self.query_one("#office-overdue", DataTable)
        overdue.clear(columns=True)
        rest = max(20, self.size.width - 13 - 11 - 13 - 2)
        for label, width in (
            ("单位", 13),
            ("完成时限", 11),
            ("责任单位", 13),
            ("问题表述", rest),
        ):
            overdue.add_column(label, width=width)
        self.overdue_ids = []
        for s in overview.overdue:
            overdue.add_row(
                Text(s.reporting_unit, no_wrap=True, overflow="ellipsis"),
                short_day(s.deadline, self.ledger.campaign.year) if s.deadline else "",
                Text(s.responsible_unit, no_wrap=True, overflow="ellipsis"),
                Text(s.statement, no_wrap=True, overflow="ellipsis"),
            )
            self.overdue_ids.append(s.finding_id)
        self.fill_responsible(overview)

    def fill_responsible(self, overview: OfficeOverview) -> None:
        """Count the findings by 责任单位, as the workbook's sheet of that name."""
        table = self.query_one("#office-responsible", DataTable)
        table.clear(columns=True)
        digits = len(str(max((r.tally.found for r in overview.by_responsible), default=0))) + 1
        for label, width in (
            # Wide enough for a lead unit's name (市金融事务中心) and a gap.
            ("责任单位", 15),
            ("问题", max(5, digits)),
            *((str(s), max(7, digits)) for s in COUNTED),
            ("逾期", max(5, digits)),
            ("按时完成率", 10),
        ):
            table.add_column(label, width=width)
        for r in overview.by_responsible:
            table.add_row(
                Text(r.unit or NO_RESPONSIBLE, no_wrap=True, overflow="ellipsis"),
                str(r.tally.found),
                *(str(r.tally.count(s)) for s in COUNTED),
                Text(str(r.tally.overdue), style="bold red" if r.tally.overdue else ""),
                rate_text(r.tally),
                key=r.unit,
            )

    @on(DataTable.RowSelected, "#office-overdue")
    def open_finding(self, event: DataTable.RowSelected) -> None:
        from tui.finding_screen import FindingScreen

        if 0 <= event.cursor_row < len(self.overdue_ids):
            finding_id = self.overdue_ids[event.cursor_row]
            self.app.push_screen(FindingScreen(self.ledger, finding_id))

    def action_export(self) -> None:
        app: Any = self.app
        campaign = self.ledger.campaign
        weeks = [
            (f"第{n}周（{a.month}月{a.day}日—{b.month}月{b.day}日）", str(n))
            for n in campaign.report_weeks
            for a, b in [campaign.week_days(n)]
        ]
        fields = [
            Field(
                "week", "周次", "select", options=weeks, placeholder="不选为当前台账"
            ),
            Field("path", "保存到", placeholder=f"不填则保存在 {app.export_dir}"),
        ]

        def submit(values: dict[str, Any]) -> None:
            week = int(values["week"]) if values["week"] else None
            typed = values["path"].strip()
            name = f"整改台账汇总-{f'第{week}周' if week else '当前'}.xlsx"
            path = app.target(Path(typed).expanduser() if typed else None, name)
            self.export(week, path)

        self.app.push_screen(
            FormModal(
                "导出汇总台账",
                fields,
                submit,
                year=campaign.year,
                hint="汇总表、各周报送、逾期问题、按责任单位，以及每个单位一张正式台账。",
            )
        )

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def export(self, week: int | None, path: Path) -> Path:
        """Build and write the consolidated workbook off the event loop, with a bar."""
        with ProgressModal.shown(self.app, exporting(path.name), ROWS) as modal:
            overview, sheets = self.ledger.consolidated(week)
            labels = {c.key: c.label for c in self.ledger.campaign.categories}
            written = write_consolidated(
                overview,
                sheets,
                labels,
                path,
                progress=modal.report,
                cancelled=modal.cancelled,
            )
        self.app.call_from_thread(
            self.notify,
            f"已导出汇总台账：{len(sheets)} 个单位，{overview.total} 个问题：{written}",
            title="导出完成",
            timeout=8,
        )
        return written

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        error = event.worker.error
        if event.state is WorkerState.ERROR and error is not None:
            app: Any = self.app
            app.tell_failure(error, event.worker.name)

