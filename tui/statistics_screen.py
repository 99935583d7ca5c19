"""The statistics screen: counts by kind and unit, overdue, on-time rate, weekly bars."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import (
    DataTable,
    Footer,
    Header,
    Select,
    Static,
    TabbedContent,
    TabPane,
)

from domain.dates import format_day
from domain.ledger import Ledger
from domain.state import Status
from domain.statistics import Statistics, Tally, UnitRow
from exporters.final_report import NO_RESPONSIBLE, rate_text
from tui.bars import bar
from tui.live import ReadAgainWhenShown

STATUSES = [str(s) for s in Status]
NOTE = (
    "发现问题不含已作废；逾期：尚未完成且已过完成时限；"
    # No spaces: Textual wraps a line at its spaces, which split the formula.
    "按时完成率=时限内完成的÷（已完成整改的+已逾期的）。"
    "选第N周时，按该周结束前录入的情况、以该周最后一天统计。"
)
# What the weekly counts go by: the weeks screen counts by recording time.
WEEKS_BASIS = (
    "新增按发现日期、销号按验收日期计入当周，首周之前的计入首周、末周之后的计入末周"
    "（日期随之放宽）；“周报”按录入时间计。"
)
# The widest a weekly bar may grow, in cells.
BAR_CELLS = 30


def tally_cells(tally: Tally) -> list[str]:
    """The status counts, found (withdrawn left out) and overdue, as table cells."""
    counts = [tally.count(s) for s in Status]
    return [str(n) for n in (*counts, tally.found, tally.overdue)]


class StatisticsScreen(ReadAgainWhenShown, Screen[None]):
    """Show the figures of the ledger, now or as of a report week; 1–5 pick a table."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "返回", id="stats.back"),
        Binding("1", "show_tab('tab-kinds')", "分类", id="stats.kinds"),
        Binding("2", "show_tab('tab-units')", "单位", id="stats.units"),
        Binding("3", "show_tab('tab-overdue')", "逾期", id="stats.overdue"),
        Binding("4", "show_tab('tab-weeks')", "每周", id="stats.weeks"),
        Binding("5", "show_tab('tab-responsible')", "责任单位", id="stats.responsible"),
        Binding(
            "f",
            "app.final_export",
            "终版",
            tooltip="导出终版台账及总结",
            id="stats.final",
        ),
    ]

    def __init__(self, ledger: Ledger, unit: str = "") -> None:
        super().__init__()
        self.ledger = ledger
        self.unit = unit
        self.week: int | None = None
        self.stats: Statistics | None = None

    def compose(self) -> ComposeResult:
        campaign = self.ledger.campaign
        yield Header()
        with Horizontal(id="stats-filters"):
            yield Select(
                [(u, u) for u in campaign.all_units],
                prompt="全部单位",
                value=self.unit or Select.NULL,
                compact=True,
                id="stats-unit",
            )
            yield Select(
                [(f"第{n}周", str(n)) for n in campaign.report_weeks],
                prompt="当前",
                compact=True,
                id="stats-week",
            )
        yield Static("", id="stats-summary")
        with TabbedContent(id="stats-tabs"):
            with TabPane("1 分类统计", id="tab-kinds"):
                yield DataTable(cursor_type="row", cell_padding=0, id="stats-kinds")
            with TabPane("2 按单位", id="tab-units"):
                yield DataTable(cursor_type="row", cell_padding=0, id="stats-units")
            with TabPane("3 逾期", id="tab-overdue"):
                yield DataTable(cursor_type="row", cell_padding=0, id="stats-overdue")
            with TabPane("4 每周新增与销号", id="tab-weeks"):
                yield Static("", id="stats-bars")
            with TabPane("5 按责任单位", id="tab-responsible"):
                yield DataTable(cursor_type="row", cell_padding=0, id="stats-responsible")
        yield Static(NOTE, id="stats-note")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.reload()
        self.query_one("#stats-kinds", DataTable).focus()

    def reload(self) -> None:
        """Compute the figures again for the chosen unit and week, and show them."""
        self.stats = stats = self.ledger.statistics(self.unit, self.week)
        self.show_summary(stats)
        self.fill_kinds(stats)
        self.fill_units("#stats-units", stats.by_unit, "单位", 12)
        # Wide enough for a lead unit's name (市金融事务中心) and a gap.
        self.fill_units("#stats-responsible", stats.by_responsible, "责任单位", 15)
        self.fill_overdue(stats)
        self.show_bars(stats)

    def show_summary(self, s: Statistics) -> None:
        t = s.total
        when = "当前" if s.week is None else f"第{s.week}周上报时"
        self.query_one("#stats-summary", Static).update(
            f"{s.unit or '全部单位'}，{when}，以 {format_day(s.day)} 计：发现问题 "
            f"{t.found}，已完成整改 {t.rectified}（已销号 {t.closed}），尚未完成 "
            f"{t.still_open}，逾期 {t.overdue}，已作废 {t.withdrawn}；按时完成率 "
            f"{rate_text(t)}（{t.on_time}/{t.due}）"
        )

    def fill_kinds(self, stats: Statistics) -> None:
        table = self.query_one("#stats-kinds", DataTable)
        table.clear(columns=True)
        table.add_column("问题类型", width=13)
        table.add_column("性质", width=5)
        for label in (*STATUSES, "合计", "逾期"):
            table.add_column(label, width=7)
        names = {c.key: c.label for c in self.ledger.campaign.categories}
        for row in stats.by_kind:
            name = names.get(row.category, row.category)
            nature = row.nature.removesuffix("问题")
            table.add_row(name, nature, *tally_cells(row.tally))
        total = [Text(c, style="bold") for c in tally_cells(stats.total)]
        table.add_row(Text("合计", style="bold"), "", *total, key="total")

    def fill_units(
        self, table_id: str, rows: Sequence[UnitRow], header: str, width: int
    ) -> None:
        """Fill a table of units (reporting, or responsible) with their tallies."""
        table = self.query_one(table_id, DataTable)
        table.clear(columns=True)
        table.add_column(header, width=width)
        for label in (*STATUSES, "合计", "逾期"):
            table.add_column(label, width=7)
        table.add_column("按时完成率", width=10)
        for row in rows:
            name = Text(row.unit or NO_RESPONSIBLE, no_wrap=True, overflow="ellipsis")
            cells = tally_cells(row.tally)
            table.add_row(name, *cells, rate_text(row.tally), key=row.unit)

    def fill_overdue(self, stats: Statistics) -> None:
        table = self.query_one("#stats-overdue", DataTable)
        table.clear(columns=True)
        names = {c.key: c.label for c in self.ledger.campaign.categories}
        rest = max(16, self.size.width - 10 - 13 - 11 - 5 - 12 - 2)
        for label, width in (
            ("单位", 10),
            ("问题类型", 13),
            ("问题表述", rest),
            ("完成时限", 11),
            ("逾期", 5),
            ("责任单位", 12),
        ):
            table.add_column(label, width=width)
        for row in stats.overdue:
            table.add_row(
                Text(row.unit, no_wrap=True, overflow="ellipsis"),
                names.get(row.category, row.category),
                Text(row.statement, no_wrap=True, overflow="ellipsis"),
                row.deadline.isoformat(),
                Text(f"{row.days_overdue}天", style="bold red"),
                Text(row.responsible_unit, no_wrap=True, overflow="ellipsis"),
                key=row.finding_id,
            )
        tabs = self.query_one(TabbedContent)
        tabs.get_tab("tab-overdue").label = f"3 逾期 {len(stats.overdue)}"

    def show_bars(self, stats: Statistics) -> None:
        weeks = stats.weeks
        top = max((max(w.new, w.closed) for w in weeks), default=0)
        text = Text()
        for w in weeks:
            days = f"{w.first_day:%m-%d}—{w.last_day:%m-%d}"
            text.append(f"第{w.week}周 {days}  新增 {w.new:>4} ")
            text.append(bar(w.new, top, BAR_CELLS), style="yellow")
            text.append(f"\n{'':17}  销号 {w.closed:>4} ")
            text.append(bar(w.closed, top, BAR_CELLS), style="green")
            text.append("\n")
        if not weeks:
            text.append("还没有报送周。")
        else:
            text.append(WEEKS_BASIS, style="dim")
        self.query_one("#stats-bars", Static).update(text)

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        pane = self.query_one(f"#{tab}", TabPane)
        for widget in pane.query(DataTable):
            widget.focus()

    @on(Select.Changed, "#stats-unit")
    def unit_changed(self, event: Select.Changed) -> None:
        self.unit = "" if event.value is Select.NULL else str(event.value)
        self.reload()

    @on(Select.Changed, "#stats-week")
    def week_changed(self, event: Select.Changed) -> None:
        self.week = None if event.value is Select.NULL else int(str(event.value))
        self.reload()
