"""The coverage screen: units × the campaign's check items, unscreened ones standing out."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Select, Static

from domain.coverage import ItemCoverage, Screened, UnitCoverage
from domain.errors import CountError, LedgerError
from domain.ledger import Ledger
from tui.confirm_modal import ConfirmModal
from tui.finding_form import clerks_unit, entry_day
from tui.form import Field, FormModal, Options, choices
from tui.live import ReadAgainWhenShown
from tui.wording import explain, format_day, typed_twice

MARKS = {
    Screened.RECORDED: Text(" ✓ ", style="bold green"),
    Screened.BY_FINDING: Text(" ◇ ", style="cyan"),
    Screened.NOT: Text(" ✗ ", style="bold white on red"),
}
# A recorded screening whose problems found differ from the findings recorded.
DISAGREES = Text(" ! ", style="bold black on yellow")
LEGEND = Text.assemble(
    MARKS[Screened.RECORDED],
    "登记排查 ",
    DISAGREES,
    "与台账不符 ",
    MARKS[Screened.BY_FINDING],
    "有问题登记 ",
    MARKS[Screened.NOT],
    "未排查",
)
UNIT_CELLS = 12


def item_labels(ledger: Ledger) -> list[str]:
    """Name each check item by its category and number: 住1 … 金3.

    The category's first character names it when those are all different;
    otherwise its position does (1-1 … 7-3).
    """
    categories = ledger.campaign.categories
    firsts = [c.name[0] for c in categories]
    unique = len(set(firsts)) == len(firsts)
    return [
        f"{firsts[i]}{n}" if unique else f"{i + 1}-{n}"
        for i, c in enumerate(categories)
        for n in range(1, len(c.items) + 1)
    ]


def count(field: str, text: str) -> int:
    """Read a count typed in a form; anything but a whole number 0 or more is refused."""
    value = text.strip()
    if not value.isdecimal():
        raise CountError(field, value)
    return int(value)


class CoverageScreen(ReadAgainWhenShown, Screen[None]):
    """Show which check items each unit has screened; r records a screening,
    u takes back the operator's latest one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "返回", id="coverage.back"),
        Binding(
            "r",
            "record",
            "登记排查",
            tooltip="登记某项排查内容的排查情况",
            id="coverage.record",
        ),
        Binding(
            "u",
            "undo",
            "撤销排查",
            tooltip="撤销本人最近一次登记的排查情况",
            id="coverage.undo",
        ),
    ]

    def __init__(self, ledger: Ledger, unit: str = "") -> None:
        super().__init__()
        self.ledger = ledger
        self.unit = unit
        self.rows: list[UnitCoverage] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="coverage-filters"):
            yield Select(
                [(u, u) for u in self.ledger.campaign.reporting_units],
                prompt="全部单位",
                value=self.unit or Select.NULL,
                compact=True,
                id="coverage-unit",
            )
            yield Static(LEGEND, id="coverage-legend")
        yield DataTable(
            cursor_type="cell", cell_padding=0, fixed_columns=1, id="coverage-table"
        )
        yield Static("", id="coverage-detail")
        yield Static("", id="coverage-summary")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.reload()
        self.query_one(DataTable).focus()

    def reload(self) -> None:
        """Read the coverage again, keeping the cursor where it was."""
        table = self.query_one(DataTable)
        cursor = table.cursor_coordinate
        self.rows = self.ledger.coverage(self.unit)
        table.clear(columns=True)
        table.add_column("单位", width=UNIT_CELLS, key="unit")
        for label in item_labels(self.ledger):
            table.add_column(label, width=3, key=label)
        for row in self.rows:
            table.add_row(
                Text(row.unit, no_wrap=True, overflow="ellipsis"),
                *(DISAGREES if item.disagrees else MARKS[item.screened] for item in row.items),
                key=row.unit,
            )
        if self.rows:
            table.cursor_coordinate = table.validate_cursor_coordinate(cursor)
        self.show_summary()
        self.show_detail()

    def show_summary(self) -> None:
        items = sum(len(r.items) for r in self.rows)
        screened = sum(r.screened for r in self.rows)
        scope = self.unit or f"全部 {len(self.rows)} 个单位"
        per_item = len(self.rows[0].items) if self.rows else 0
        differing = sum(len(r.disagreeing) for r in self.rows)
        disagree = f"，{differing} 项与台账不符" if differing else ""
        self.query_one("#coverage-summary", Static).update(
            f"{scope}：{per_item} 项排查内容，已排查 {screened}/{items}，"
            f"未排查 {items - screened}{disagree}。"
        )

    def selected(self) -> tuple[UnitCoverage, ItemCoverage | None] | None:
        """The highlighted unit, and the item under the cursor (None on the unit)."""
        table = self.query_one(DataTable)
        row, column = table.cursor_coordinate
        if not self.rows or row >= len(self.rows):
            return None
        unit = self.rows[row]
        return unit, unit.items[column - 1] if column >= 1 else None

    def show_detail(self) -> None:
        detail = self.query_one("#coverage-detail", Static)
        chosen = self.selected()
        if chosen is None:
            detail.update("")
            return
        unit, item = chosen
        if item is None:
            detail.update(f"{unit.unit}：已排查 {unit.screened}/{len(unit.items)} 项。")
            return
        name = self.ledger.campaign.category(item.category).name
        text = Text(f"{unit.unit}　{name}第 {item.check_item} 项：{item.item}\n")
        if item.screened is Screened.RECORDED:
            text.append(
                f"登记排查 {item.screenings} 次，排查 {item.households} 户，"
                f"发现问题 {item.problems_found} 个；"
            )
        elif item.screened is Screened.NOT:
            text.append("未排查。", style="bold red")
        else:
            text.append("未登记排查，因有问题登记视为已排查；")
        text.append(f"该项下登记问题 {item.findings} 个。")
        if item.disagrees and item.problems_found > item.findings:
            text.append("排查发现的问题多于登记的问题，请核对是否漏登。", style="yellow")
        elif item.disagrees:
            text.append(
                "登记的问题多于排查发现的问题（如验收抽查所得），请核对排查登记。",
                style="yellow",
            )
        detail.update(text)

    @on(DataTable.CellHighlighted)
    def cell_highlighted(self) -> None:
        self.show_detail()

    @on(Select.Changed, "#coverage-unit")
    def unit_changed(self, event: Select.Changed) -> None:
        self.unit = "" if event.value is Select.NULL else str(event.value)
        self.reload()

    def acting_unit(self) -> str:
        """The unit r and u act for: a unit's clerk's own, wherever the cursor
        stands; else the highlighted unit's, the filter's or the operator's."""
        app: Any = self.app
        chosen = self.selected()
        return clerks_unit(app.operator, self.ledger.campaign) or (
            chosen[0].unit if chosen else self.unit or app.operator.unit
        )

    def action_undo(self) -> None:
        """Ask, naming it, before undoing the operator's latest screening of the unit."""
        app: Any = self.app
        unit = self.acting_unit()
        try:
            latest = self.ledger.check_undo_screening(app.operator, unit)
        except LedgerError as refusal:
            self.notify(explain(refusal), severity="warning", timeout=8)
            return

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                self.ledger.undo_screening(app.operator, unit)
            except LedgerError as refusal:
                self.notify(explain(refusal), severity="warning", timeout=8)
            else:
                self.notify("已撤销该次排查登记；撤销本身也记录在案。", timeout=5)
            self.reload()

        name = self.ledger.campaign.category(latest.category).name
        question = (
            f"撤销 {unit} 最近一次排查登记？\n{name}第 {latest.check_item} 项，"
            f"排查 {latest.households} 户，发现问题 {latest.problems_found} 个"
            f"（排查日期 {format_day(latest.on)}）。\n撤销后覆盖情况不再计入，登记和撤销都留在记录中。"
        )
        self.app.push_screen(ConfirmModal("撤销排查登记", question), answered)

    def action_record(self) -> None:
        """Ask for a screening, starting from the highlighted unit and item."""
        app: Any = self.app
        campaign = self.ledger.campaign
        chosen = self.selected()
        unit = self.acting_unit()
        item = chosen[1] if chosen else None
        category = item.category if item else campaign.categories[0].key

        def items_of(key: str) -> Options:
            try:
                items = campaign.category(key).items
            except KeyError:
                return []
            return [(f"{n}.{text}", str(n)) for n, text in enumerate(items, 1)]

        fields = [
            Field(
                "unit", "单位", "select", True, choices(campaign.reporting_units), value=unit
            ),
            Field(
                "category",
                "问题类型",
                "select",
                True,
                [(c.name, c.key) for c in campaign.categories],
                value=category,
            ),
            Field(
                "check_item",
                "排查内容",
                "select",
                True,
                value=str(item.check_item) if item else "",
                depends_on="category",
                options_for=items_of,
            ),
            Field("households", "排查户数", required=True, placeholder="如 120"),
            Field(
                "problems_found",
                "发现问题数",
                required=True,
                placeholder="没有发现问题填 0",
            ),
            # Today while the campaign runs; papers entered later name their day.
            Field("on", "排查日期", "date", True, value=entry_day(self.ledger),
                  refused_as="screened_on"),
        ]

        def submit(values: dict[str, Any]) -> None:
            same = self.ledger.record_screening(
                app.operator,
                values["unit"],
                values["category"],
                int(values["check_item"]),
                households=count("households", values["households"]),
                problems_found=count("problems_found", values["problems_found"]),
                on=values["on"],
            )
            said = f"已登记 {values['unit']} 的排查情况。"
            if same is not None:
                said += typed_twice(same.on, "可按 u ")
            self.notify(said, title="已登记", timeout=8 if same else 5)
            self.reload()

        self.app.push_screen(
            FormModal(
                "登记排查情况",
                fields,
                submit,
                year=campaign.year,
                hint="同一项可多次登记（如分村排查），户数和问题数累加。",
                # Where typing goes; the lists above start on the highlighted item.
                first="households",
            )
        )
