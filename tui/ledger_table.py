"""A table that reads only the rows it shows, a page at a time, from the ledger view.

Textual's DataTable keeps every row as widgets' data and measures them when
added, so filling it costs time and memory in proportion to the ledger; for a
province's hundred thousand findings that is seconds and hundreds of
megabytes on every refresh. This table is told how many rows there are and how
to fetch a page of them, and asks for a page only when a line of it is drawn.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from domain.state import FindingState

# Rows fetched per query, and how many fetched pages are kept.
PAGE = 100
KEPT_PAGES = 8

Cells = Callable[[int, FindingState], Sequence[Text | str]]
Fetch = Callable[[int, int], list[FindingState]]


class LedgerTable(ScrollView, can_focus=True):
    """Rows of findings under a fixed header line; Enter selects the cursor's row."""

    COMPONENT_CLASSES = {
        "ledger-table--header",
        "ledger-table--cursor",
        "ledger-table--even",
    }

    DEFAULT_CSS = """
    LedgerTable {
        background: $surface;
    }
    LedgerTable > .ledger-table--header {
        text-style: bold;
        background: $panel;
        color: $foreground;
    }
    LedgerTable > .ledger-table--cursor {
        background: $block-cursor-blurred-background;
    }
    LedgerTable:focus > .ledger-table--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: bold;
    }
    LedgerTable > .ledger-table--even {
        background: $surface-lighten-1;
    }
    """

    BINDINGS = [
        Binding("enter", "select", "打开", show=False),
        Binding("up", "move(-1)", show=False),
        Binding("down", "move(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("pagedown", "page(1)", show=False),
        Binding("home", "jump(0)", show=False),
        Binding("end", "jump(-1)", show=False),
    ]

    class Highlighted(Message):
        """The cursor moved to another row (or the rows changed under it)."""

    class Selected(Message):
        """Enter (or a double click) on a row."""

        def __init__(self, finding_id: str) -> None:
            super().__init__()
            self.finding_id = finding_id

    def __init__(self, cells: Cells, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._cells = cells
        self._columns: list[tuple[str, int]] = []
        self._fetch: Fetch = lambda offset, limit: []
        self._pages: dict[int, list[FindingState]] = {}
        self.row_count = 0
        self.cursor_row = 0

    def show(
        self, columns: list[tuple[str, int]], count: int, fetch: Fetch, cursor_row: int = 0
    ) -> None:
        """Show `count` rows that `fetch(offset, limit)` gives, the cursor on a row."""
        self._columns = columns
        self._fetch = fetch
        self._pages.clear()
        self.row_count = count
        self.virtual_size = Size(sum(w for _, w in columns), count + 1)
        self.cursor_row = max(0, min(cursor_row, count - 1))
        self._keep_cursor_visible()
        # The screen around may change the table's height in the same update
        # (a banner shown or hidden): look again once the layout is done.
        self.call_after_refresh(self._keep_cursor_visible)
        self.refresh()
        self.post_message(self.Highlighted())

    def item_at(self, index: int) -> FindingState | None:
        """Return the finding on a row, fetching its page if need be."""
        if not 0 <= index < self.row_count:
            return None
        number = index // PAGE
        page = self._pages.get(number)
        if page is None:
            if len(self._pages) >= KEPT_PAGES:
                self._pages.pop(next(iter(self._pages)))
            page = self._pages[number] = self._fetch(number * PAGE, PAGE)
        offset = index - number * PAGE
        return page[offset] if offset < len(page) else None

    def cell_at(self, row: int, column: int) -> Text | str | None:
        """Return what a cell shows, before it is cut to its column's width."""
        state = self.item_at(row)
        return None if state is None else self._cells(row + 1, state)[column]

    @property
    def column_widths(self) -> list[int]:
        return [width for _, width in self._columns]

    def current(self) -> FindingState | None:
        return self.item_at(self.cursor_row)

    def move_cursor(self, row: int) -> None:
        """Put the cursor on a row (clamped to the table) and bring it into view."""
        row = max(0, min(row, self.row_count - 1))
        if row == self.cursor_row:
            return
        self.cursor_row = row
        self._keep_cursor_visible()
        self.refresh()
        self.post_message(self.Highlighted())

    @property
    def page_height(self) -> int:
        """How many rows fit under the header."""
        return max(1, self.scrollable_content_region.height - 1)

    def _keep_cursor_visible(self) -> None:
        top = round(self.scroll_y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + self.page_height:
            self.scroll_to(
                y=self.cursor_row - self.page_height + 1, animate=False, immediate=True
            )

    def on_resize(self) -> None:
        self._keep_cursor_visible()

    def action_move(self, rows: int) -> None:
        self.move_cursor(self.cursor_row + rows)

    def action_page(self, pages: int) -> None:
        """Turn a page: the rows and the cursor move together by a screenful."""
        step = pages * self.page_height
        top = max(0, min(round(self.scroll_y) + step, self.row_count - self.page_height))
        self.scroll_to(y=top, animate=False, immediate=True)
        self.move_cursor(self.cursor_row + step)

    def action_jump(self, row: int) -> None:
        self.move_cursor(row if row >= 0 else self.row_count - 1)

    def action_select(self) -> None:
        state = self.current()
        if state is not None:
            self.post_message(self.Selected(state.finding_id))

    def on_click(self, event: events.Click) -> None:
        if event.y < 1:
            return
        self.move_cursor(round(self.scroll_y) + event.y - 1)
        if event.chain >= 2:
            self.action_select()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if y == 0:
            header = self._fitted([label for label, _ in self._columns])
            style = self.get_component_rich_style("ledger-table--header")
            return self._strip(header, width).apply_style(style)
        index = round(self.scroll_y) + y - 1
        state = self.item_at(index)
        if state is None:
            return Strip.blank(width, self.rich_style)
        line = self._fitted(self._cells(index + 1, state))
        if index == self.cursor_row:
            style = self.get_component_rich_style("ledger-table--cursor")
        elif index % 2:
            style = self.get_component_rich_style("ledger-table--even")
        else:
            style = self.rich_style
        return self._strip(line, width).apply_style(style)

    def _strip(self, line: Text, width: int) -> Strip:
        segments = [s for s in line.render(self.app.console) if s.text != "\n"]
        return Strip(segments).adjust_cell_length(width)

    def _fitted(self, cells: Sequence[Text | str]) -> Text:
        """Cut or pad each cell to its column: all but the last keep a one-cell gap."""
        last = len(self._columns) - 1
        parts = []
        for index, (cell, (_, width)) in enumerate(zip(cells, self._columns, strict=True)):
            fitted = cell.copy() if isinstance(cell, Text) else Text(cell)
            fitted.no_wrap = True
            gap = 0 if index == last else 1
            fitted.truncate(max(1, width - gap), overflow="ellipsis", pad=True)
            fitted.pad_right(gap)
            parts.append(fitted)
        return Text.assemble(*parts)

