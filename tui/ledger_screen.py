"""The ledger screen: every finding in a table, with filters, search and a deadline lamp."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Header, Input, Select, Static

from domain.dates import parse_moment, short_day
from domain.errors import LedgerError
from domain.ledger import Ledger
from domain.staff import Act
from domain.state import FINAL, FindingState, Status
from domain.view import LedgerQuery
from tui.keys_footer import KeysFooter
from tui.ledger_table import LedgerTable
from tui.wording import entered_late_then, explain, moment_words

# Keys the footer shows only from RARE_KEYS_WIDTH columns: at 80 it has room
# for the frequent ones and F1 only.
RARE_KEYS = frozenset(
    {"ledger.import", "ledger.journal", "ledger.statistics", "ledger.coverage",
     "ledger.final", "ledger.rebuild"}
)  # fmt: skip
RARE_KEYS_WIDTH = 130

# Days before the deadline from which the lamp turns yellow.
WARN_DAYS = 3

STATUS_STYLES = {
    Status.PENDING: "bold",
    Status.IN_PROGRESS: "cyan",
    Status.AWAITING_ACCEPTANCE: "magenta",
    Status.CLOSED: "green",
    Status.WITHDRAWN: "dim strike",
}

# (key, label, width in cells including a one-cell gap); the statement column
# takes what is left, so all nine columns fit an 80-column terminal.
COLUMNS = [
    ("number", "序号", 5),
    ("unit", "单位", 9),
    ("category", "问题类型", 13),
    ("nature", "性质", 5),
    ("statement", "问题表述", 0),
    ("deadline", "完成时限", 9),
    ("responsible", "责任单位", 13),
    ("status", "状态", 7),
    ("lamp", "灯", 2),
]
MIN_STATEMENT = 14
# On a wide terminal the unit columns grow to their names while the statement
# keeps this much; names longer than UNIT_CELLS (the office's) are still cut.
WIDE_STATEMENT = 60
UNIT_CELLS = 20


def lamp(state: FindingState, today: date) -> Text:
    """A red ● once the deadline has passed, a yellow ○ within three days of it:
    told apart by shape too, on a terminal without colour."""
    days = state.days_to_deadline(today)
    if days is None or state.status in FINAL or state.status is Status.AWAITING_ACCEPTANCE:
        return Text("")
    if days < 0:
        return Text("●", style="bold red")
    if days <= WARN_DAYS:
        return Text("○", style="bold yellow")
    return Text("")


class LedgerScreen(Screen[None]):
    """List the ledger; Enter opens the highlighted finding."""

    # Reloaded by the app whenever the log grows (`TaizhangApp.refresh_screens`).
    shows_live_ledger = True

    AUTO_FOCUS = "#ledger-table"
    BINDINGS = [
        Binding("n", "new_finding", "新建", tooltip="登记新问题", id="ledger.new"),
        Binding("slash", "search", "搜索", id="ledger.search"),
        Binding("o", "toggle_overdue", "逾期", tooltip="只看逾期 / 全部", id="ledger.overdue"),
        Binding("x", "clear_filters", "清除", tooltip="清除筛选", id="ledger.clear"),
        Binding("e", "app.export", "导出", id="ledger.export"),
        # Less frequent keys (RARE_KEYS) stay off the footer so F1 fits at
        # 80 columns; the help screen and the palette list them, and a wide
        # terminal's footer shows them too.
        Binding(
            "d", "app.import_ledger", "导入", show=False, tooltip="导入手工台账 .xlsx",
            id="ledger.import",
        ),
        Binding("t", "time_travel", "回溯", tooltip="查看过去某一时刻的台账", id="ledger.travel"),
        Binding("w", "app.weeks", "周报", tooltip="各周台账：按时上报与现在所知", id="ledger.weeks"),
        Binding(
            "j", "app.journal", "日志", show=False, tooltip="全部记录（审计）",
            id="ledger.journal",
        ),
        Binding("i", "app.inspect", "审计", tooltip="疑点、检查、抽样、报送、核验", id="ledger.inspect"),
        Binding(
            "s", "app.statistics", "统计", tooltip="分类、单位、逾期、完成率、每周",
            show=False, id="ledger.statistics",
        ),
        Binding(
            "v", "app.coverage", "覆盖", show=False, tooltip="排查内容覆盖，登记排查",
            id="ledger.coverage",
        ),
        Binding(
            "f", "app.final_export", "终版", show=False, tooltip="导出终版台账及总结",
            id="ledger.final",
        ),
        Binding("h", "app.office", "汇总", tooltip="办公室汇总：各单位、各周报送、逾期", id="ledger.office"),
        Binding(
            "r", "app.rebuild_view", "重建", show=False, tooltip="按全部记录重建台账视图",
            id="ledger.rebuild",
        ),
        Binding("escape", "focus_table", "回到表格", show=False, id="ledger.table"),
    ]

    def __init__(self, ledger: Ledger) -> None:
        super().__init__()
        self.ledger = ledger
        self.overdue_only = False
        # The moment (UTC) whose ledger is shown; None shows the present.
        self.as_of: datetime | None = None
        # Findings found by that moment's day but entered after it: counted
        # off the event loop, then named in the banner (None until known).
        self.late_then: int | None = None
        # The screen width the columns were last fitted to.
        self.fitted_width = 0

    def compose(self) -> ComposeResult:
        campaign = self.ledger.campaign
        yield Header()
        with Horizontal(id="filters"):
            yield Select(
                [(u, u) for u in campaign.all_units],
                prompt="全部单位",
                compact=True,
                id="filter-unit",
            )
            yield Select(
                [(c.label, c.key) for c in campaign.categories],
                prompt="全部类型",
                compact=True,
                id="filter-category",
            )
            yield Select(
                [(str(s), str(s)) for s in Status],
                prompt="全部状态",
                compact=True,
                id="filter-status",
            )
            yield Input(
                placeholder="搜索：文字或拼音首字母，如 zjj", compact=True, id="filter-text"
            )
        yield Static("", id="history-banner")
        yield LedgerTable(lambda n, s: self.cells(n, s, self.day()), id="ledger-table")
        yield Static("", id="row-detail")
        yield Static("", id="ledger-summary")
        yield KeysFooter(compact=True)

    def on_resize(self) -> None:
        # Only a new width changes the columns; the table keeps its cursor in
        # view on a new height itself.
        if self.size.width != self.fitted_width:
            self.reload()
        self.show_rare_keys(self.size.width >= RARE_KEYS_WIDTH)

    def show_rare_keys(self, show: bool) -> None:
        """Put the less frequent keys on the footer, or take them off it."""
        keys = self._bindings.key_to_bindings
        changed = False
        for key, bindings in keys.items():
            if any(b.id in RARE_KEYS and b.show is not show for b in bindings):
                # A new list: the screen's map shares its lists with its class's.
                keys[key] = [
                    dataclasses.replace(b, show=show) if b.id in RARE_KEYS else b
                    for b in bindings
                ]
                changed = True
        if changed:
            self.refresh_bindings()

    def on_screen_resume(self) -> None:
        # Also the first showing: the screen is resumed when it is pushed.
        self.reload()

    def day(self) -> date:
        """The day lamps and overdue are judged on: today, or the shown moment's day."""
        if self.as_of is None:
            return self.ledger.today()
        local = self.as_of.astimezone(self.ledger.campaign.tz)
        return (local - timedelta(microseconds=1)).date()

    def unit_widths(self) -> dict[str, int]:
        """The cells (with the gap) the unit columns take to show the campaign's names whole."""
        units = self.ledger.campaign.units
        fitting = [u for u in units.townships + units.departments if cell_len(u) <= UNIT_CELLS]
        widest = max((cell_len(u) for u in fitting), default=0) + 1
        return {"unit": widest, "responsible": widest}

    def ledger_query(self) -> LedgerQuery:
        def chosen(selector: str) -> str:
            value = self.query_one(selector, Select).value
            return "" if value is Select.NULL else str(value)

        return LedgerQuery(
            unit=chosen("#filter-unit"),
            category=chosen("#filter-category"),
            status=chosen("#filter-status"),
            overdue_on=self.day() if self.overdue_only else None,
            text=self.query_one("#filter-text", Input).value.strip(),
        )

    def reload(self) -> None:
        """Read the rows again from the ledger view, keeping the cursor's finding.

        Only the count and the rows on screen are read; the table fetches
        further pages as they are scrolled to.
        """
        table = self.query_one(LedgerTable)
        current = self.current_id()
        banner = self.query_one("#history-banner", Static)
        query = self.ledger_query()
        moment = self.as_of
        if moment is None:
            banner.display = False
        else:
            local = moment.astimezone(self.ledger.campaign.tz)
            late = (
                entered_late_then(self.late_then, "按 w 看各周现在所知的台账")
                if self.late_then
                else ""
            )
            banner.update(
                f"历史视图（只读）：{moment_words(local)}的台账。按 t 回到当前。{late}"
            )
            banner.display = True
        count = self.ledger.count_rows(query, moment)
        # Row numbers keep every digit, and the gap after them.
        widths = {key: width for key, _, width in COLUMNS}
        widths["number"] = max(widths["number"], len(str(count)) + 1)
        self.fitted_width = self.size.width
        # A wide terminal shows unit names whole, the statement keeping the most room.
        for key, width in self.unit_widths().items():
            spare = self.size.width - sum(widths.values()) - 2 - WIDE_STATEMENT
            widths[key] = max(widths[key], min(width, widths[key] + spare))
        statement_width = max(MIN_STATEMENT, self.size.width - sum(widths.values()) - 2)
        columns = [(label, widths[key] or statement_width) for key, label, _ in COLUMNS]
        row = table.cursor_row
        if current is not None:
            found = self.ledger.index_of_row(current, query, moment)
            row = row if found is None else found
        table.show(
            columns,
            count,
            lambda offset, limit: self.ledger.page_rows(offset, limit, query, moment, count),
            row,
        )
        self.show_detail()
        self.show_summary(query, count)

    def cells(self, number: int, state: FindingState, today: date) -> list[Text | str]:
        campaign = self.ledger.campaign
        try:
            category = campaign.category(state.category).label
        except KeyError:
            category = state.category
        deadline = short_day(state.deadline, campaign.year) if state.deadline else ""
        def cut(text: str) -> Text:
            return Text(text.replace("\n", " "), no_wrap=True, overflow="ellipsis")

        return [
            f"{number:>3}",
            cut(state.reporting_unit),
            cut(category),
            state.nature.removesuffix("问题"),
            cut(state.statement),
            deadline,
            cut(state.responsible_unit),
            Text(str(state.status), style=STATUS_STYLES[state.status]),
            lamp(state, today),
        ]

    def current_id(self) -> str | None:
        state = self.query_one(LedgerTable).current()
        return None if state is None else state.finding_id

    def shown(self) -> list[FindingState]:
        """Every row the table would show under the current filters, in order."""
        table = self.query_one(LedgerTable)
        return [s for i in range(table.row_count) if (s := table.item_at(i))]

    def show_detail(self) -> None:
        state = self.query_one(LedgerTable).current()
        detail = self.query_one("#row-detail", Static)
        if state is None:
            # The past is read-only: nothing can be recorded in it.
            new = "" if self.as_of is not None else "按 n 新建。"
            if self.ledger_query() != LedgerQuery():
                detail.update(f"没有符合条件的问题。{new}按 x 清除筛选。")
            elif self.as_of is not None:
                detail.update("没有问题。")
            else:
                detail.update(
                    "还没有问题。按 n 登记新问题，按 d 导入已有的手工台账（.xlsx），"
                    "按 F1 查看全部按键。"
                )
            return
        measures = f"\n整改措施：{state.measures}" if state.measures else ""
        detail.update(f"问题表述：{state.statement}{measures}")

    def show_summary(self, query: LedgerQuery, count: int) -> None:
        today = self.day()
        label = "当天" if self.as_of is not None else "今天"
        overdue = self.ledger.count_rows(
            dataclasses.replace(query, overdue_on=today), self.as_of
        )
        near = self.ledger.count_rows(
            dataclasses.replace(query, due_between=(today, today + timedelta(days=WARN_DAYS))),
            self.as_of,
        )
        flags = "（只看逾期）" if self.overdue_only else ""
        operator = getattr(self.app, "operator", None)
        who = f"　{operator.name}（{operator.unit}）" if operator else ""
        self.query_one("#ledger-summary", Static).update(
            f"共 {count} 条{flags}　逾期 {overdue}　临期 {near}　"
            f"{label} {today.isoformat()}{who}"
        )

    @on(LedgerTable.Highlighted)
    def row_highlighted(self) -> None:
        self.show_detail()

    @on(LedgerTable.Selected)
    def open_finding(self, event: LedgerTable.Selected) -> None:
        from tui.finding_screen import FindingScreen

        self.app.push_screen(FindingScreen(self.ledger, event.finding_id, as_of=self.as_of))

    @on(Select.Changed)
    def filter_changed(self) -> None:
        self.reload()

    @on(Input.Changed, "#filter-text")
    def search_changed(self) -> None:
        self.reload()

    @on(Input.Submitted, "#filter-text")
    def search_submitted(self) -> None:
        self.query_one(LedgerTable).focus()

    def action_search(self) -> None:
        self.query_one("#filter-text", Input).focus()

    def action_focus_table(self) -> None:
        self.query_one(LedgerTable).focus()

    def action_toggle_overdue(self) -> None:
        self.overdue_only = not self.overdue_only
        self.reload()

    def action_clear_filters(self) -> None:
        for selector in ("#filter-unit", "#filter-category", "#filter-status"):
            self.query_one(selector, Select).clear()
        self.query_one("#filter-text", Input).value = ""
        self.overdue_only = False
        self.reload()

    def action_time_travel(self) -> None:
        """Ask for a moment and show the ledger as it stood then; again to return."""
        # The form's widgets (a text area among them) load only when asked for.
        from tui.form import AskModal, Field

        if self.as_of is not None:
            self.as_of = None
            self.reload()
            return
        campaign = self.ledger.campaign

        def go(values: dict[str, Any]) -> None:
            moment = parse_moment(values["moment"], year=campaign.year, tz=campaign.tz)
            self.ledger.check_past(moment)
            self.as_of = moment.astimezone(UTC)
            self.late_then = None
            self.reload()
            self.count_late(self.as_of)

        self.app.push_screen(
            AskModal(
                "查看过去某一时刻的台账",
                [Field("moment", "时刻", required=True,
                       placeholder="如 2022-06-10 18:00，或 6月10日（当天结束时）")],
                go,
                year=campaign.year,
                hint="只写日期表示那一天结束时。历史视图只读。",
            )
        )

    @work(thread=True, exclusive=True, group="late", exit_on_error=False)
    def count_late(self, moment: datetime) -> None:
        """Count what the past shown lacks for being entered later, then say it."""
        late = self.ledger.entered_after("", moment)

        def show() -> None:
            if self.as_of == moment:
                self.late_then = late
                self.reload()

        self.app.call_from_thread(show)

    def action_new_finding(self) -> None:
        from tui.finding_form import new_finding_form

        if self.as_of is not None:
            self.notify("历史视图只读，按 t 回到当前后再登记。", severity="warning")
            return
        operator = self.app.operator  # type: ignore[attr-defined]
        try:
            self.ledger.check_permission(operator, Act.RECORD, operator.unit)
        except LedgerError as refusal:
            self.notify(explain(refusal), severity="warning", timeout=8)
            return
        # A sealed unit records only what an acceptance spot-check found.
        sealed = bool(self.ledger.sealed_by(operator.unit))

        def done(saved: bool | None) -> None:
            if not saved:
                return
            table = self.query_one(LedgerTable)
            before = table.row_count
            self.reload()
            if table.row_count > before:
                table.move_cursor(table.row_count - 1)
            else:
                self.notify("已保存。当前筛选条件下不显示这条问题，按 x 清除筛选可见。", timeout=8)

        form = new_finding_form(self.app, self.ledger, sealed=sealed)  # type: ignore[arg-type]
        self.app.push_screen(form, done)
