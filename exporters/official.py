"""Write the official rectification ledger (整改台账) workbook from an OfficialSheet."""

from __future__ import annotations

import contextlib
import math
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, MergedCell
from openpyxl.styles import Alignment, Border, Font, NamedStyle, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.header_footer import HeaderFooterItem
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

from domain.dates import format_day
from domain.progress import Cancelled, Progress, Steps
from domain.sheet import OfficialSheet, SheetRow, TableSheet
from exporters.destination import HAS_NUL, ExportError, describe

LEDGER_TITLE = "整改台账"
DETAIL_TITLE = "明细"
DATE_FORMAT = 'yyyy"年"m"月"d"日"'
FOOTER_PAGES = "第 &P 页 / 共 &N 页"

# Excel refuses longer cell text; the app already rejects such input upstream.
MAX_CELL_UNITS = 32_767
TRUNCATION_MARK = "…（已截断）"
REPLACEMENT_CHAR = "\ufffd"

# Document properties written for a later verifier (docProps/core.xml):
#   title       = sheet.title
#   subject     = f"{sheet.unit} {sheet.report_date.isoformat()}"
#   keywords    = "cutoff=<C> fingerprint=<F>"   (one space between the two pairs)
#   description = "cutoff=<C>\nfingerprint=<F>"  (the same pairs, one per line)
#   creator     = "taizhang"
# <C> is sheet.cutoff as ISO 8601 in UTC (datetime.isoformat, "+00:00" offset), or
# the word "now" when the sheet shows the ledger as it stands at export time (the
# file's `created` property then says when that was), or "known" when it shows a
# week as now known through its last day (the subject's day). <F> is sheet.fingerprint, or
# the word "none" when the sheet has no fingerprint.
CREATOR = "taizhang"

_FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
# Beyond openpyxl's control characters, lone surrogates cannot be encoded as UTF-8
# and U+FFFE/U+FFFF are not XML characters; either would break the save.
_UNWRITABLE_RE = re.compile(
    f"{ILLEGAL_CHARACTERS_RE.pattern}|[\ud800-\udfff\ufffe\uffff]"
)

_LINE_POINTS = 15.0
_MAX_ROW_POINTS = 409.0
_CELL_PADDING_PX = 6
# Width of a half-width character in pixels: 宋体 at 11 pt and at 16 pt.
_BODY_UNIT_PX = 7.5
_TITLE_UNIT_PX = 10.7

_thin = Side(style="thin")
_BORDER = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)
_TITLE_FONT = Font(name="宋体", size=16, bold=True)
_HEADER_FONT = Font(name="宋体", size=11, bold=True)
_BODY_FONT = Font(name="宋体", size=11)
_CENTRED = Alignment(horizontal="center", vertical="center", wrap_text=True)
_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
_RIGHT = Alignment(horizontal="right", vertical="center")

# A table cell's style by (header, centred, dated): one named style per kind,
# given to a cell in one step. Its font, alignment, border and format set
# one by one cost four hashes of style objects per cell, most of the time
# of writing a province's ledger.
_TABLE_STYLES = {
    (header, centred, dated): f"台账{'表头' if header else '正文'}"
    f"{'居中' if centred else '左对齐'}{'日期' if dated else ''}"
    for header in (False, True)
    for centred in (False, True)
    for dated in (False, True)
}

CellValue = int | str | date | None


@dataclass(frozen=True)
class _Column:
    header: str
    width: float
    centred: bool = True
    is_date: bool = False


_LEDGER_COLUMNS = (
    _Column("序号", 6),
    _Column("问题类型", 14),
    _Column("问题性质", 10),
    _Column("问题表述", 40, centred=False),
    _Column("整改措施", 40, centred=False),
    _Column("完成时限", 16, is_date=True),
    _Column("责任单位", 16),
)

_DETAIL_COLUMNS = (
    _Column("序号", 6),
    _Column("填报单位", 14),
    _Column("问题类型", 14),
    _Column("排查内容", 30, centred=False),
    _Column("问题性质", 10),
    _Column("问题表述", 40, centred=False),
    _Column("产生原因及分析", 30, centred=False),
    _Column("整改措施", 40, centred=False),
    _Column("完成时限", 16, is_date=True),
    _Column("责任单位", 16),
    _Column("责任领导", 12),
    _Column("最新进展", 30, centred=False),
    _Column("状态", 10),
    _Column("完成日期", 16, is_date=True),
    _Column("是否逾期", 10),
    _Column("发现日期", 16, is_date=True),
    # Appended, so that a file written before them is still checked on the
    # columns it has (exporters.fingerprint).
    _Column("整改成效", 30, centred=False),
    _Column("验收日期", 16, is_date=True),
    _Column("村（社区）", 14),
    _Column("户主", 10),
    _Column("户类型", 12),
    _Column("问题来源", 12),
    _Column("验收人", 10),
    _Column("验收意见", 30, centred=False),
    _Column("按时完成", 10),
    _Column("延期次数", 10),
)


def on_time_text(on_time: bool | None) -> str:
    """按时完成 as written: 是, 否, or nothing for work not yet done."""
    return "" if on_time is None else "是" if on_time else "否"


def write_official_sheet(
    sheet: OfficialSheet,
    path: Path,
    *,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> Path:
    """Write `sheet` as the official ledger workbook at `path` and return `path`.

    The file appears only once it is complete (written beside it, then renamed
    over it) and is readable by its owner only. I/O failures raise ExportError.
    `progress` hears (rows written, rows in all sheets); a yes from
    `cancelled`, asked as it goes and last just before the rename, raises
    WorkCancelledError and leaves no file.
    """
    path = Path(path)
    if "\0" in str(path):
        raise ExportError(path, HAS_NUL)
    total = 2 * len(sheet.rows) + sum(len(table.rows) for table in sheet.extra)
    steps = Steps("export", total, progress, cancelled)
    steps.start()
    workbook = Workbook()
    ledger = workbook.active
    assert ledger is not None  # a fresh Workbook always has one sheet
    _write_ledger(ledger, sheet, steps.step)
    _write_detail(workbook.create_sheet(DETAIL_TITLE), sheet.rows, steps.step)
    for table in sheet.extra:
        ws = workbook.create_sheet(sheet_title(table.title))
        _write_table(ws, table, steps.step)
    _stamp_properties(workbook, sheet)
    # Limitation: openpyxl's save is one step, for a large sheet about as long
    # as writing its rows: the bar stays full meanwhile and a cancel is heard
    # only after it. Counting it would take write-only mode, which streams
    # rows out as they are written but has no merge_cells for the title lines.
    _save_atomically(workbook, path, steps.check)
    return path


def _nothing() -> None:
    """Stand in for a step counter or a last check when nobody watches."""


def _write_ledger(
    ws: Worksheet, sheet: OfficialSheet, step: Callable[[], None] = _nothing
) -> None:
    ws.title = LEDGER_TITLE
    pixels = _set_widths(ws, _LEDGER_COLUMNS)
    last = get_column_letter(len(_LEDGER_COLUMNS))

    ws.merge_cells(f"A1:{last}1")
    _, title = _put(ws, 1, 1, sheet.title, _TITLE_FONT, _CENTRED)
    title_lines = _line_count(title, sum(pixels), _TITLE_UNIT_PX)
    ws.row_dimensions[1].height = max(
        30.0, min(title_lines * 22.0 + 8, _MAX_ROW_POINTS)
    )

    ws.merge_cells("A2:D2")
    ws.merge_cells(f"E2:{last}2")
    _put(ws, 2, 1, f"单位（盖章）：{sheet.unit}", _BODY_FONT, _LEFT)
    day = sheet.report_date
    _put(ws, 2, 5, f"{day.year} 年 {day.month} 月 {day.day} 日", _BODY_FONT, _RIGHT)
    ws.row_dimensions[2].height = 20

    headers = [column.header for column in _LEDGER_COLUMNS]
    _write_table_row(ws, 3, _LEDGER_COLUMNS, pixels, headers, header=True)
    row_index = 4
    for row in sheet.rows:
        values = (
            row.number,
            row.category_label,
            row.nature,
            row.statement,
            row.measures,
            row.deadline,
            row.responsible_unit,
        )
        # The official form keeps every row at least two lines tall.
        _write_table_row(ws, row_index, _LEDGER_COLUMNS, pixels, values, min_lines=2)
        row_index += 1
        step()

    ws.merge_cells(f"A{row_index}:{last}{row_index}")
    _, note = _put(ws, row_index, 1, sheet.note, _BODY_FONT, _LEFT)
    # Excel never auto-fits merged cells, so leave one spare line.
    note_lines = _line_count(note, sum(pixels), _BODY_UNIT_PX) + 1
    ws.row_dimensions[row_index].height = _row_points(max(2, note_lines))

    # A week as now known must not pass for the sheet handed in at the time;
    # a sealed final ledger says so on paper, as the summary does.
    basis = "按现在所知（含截止后补录的）" if sheet.known_on else ""
    if sheet.sealed_by:
        basis = sealed_words(sheet).replace("&", "&&")  # see the fingerprint's
    _set_up_printing(ws, "1:3", sheet.fingerprint, basis)


def _write_detail(
    ws: Worksheet, rows: Sequence[SheetRow], step: Callable[[], None] = _nothing
) -> None:
    pixels = _set_widths(ws, _DETAIL_COLUMNS)
    headers = [column.header for column in _DETAIL_COLUMNS]
    _write_table_row(ws, 1, _DETAIL_COLUMNS, pixels, headers, header=True)
    for row_index, row in enumerate(rows, start=2):
        values = (
            row.number,
            row.reporting_unit,
            row.category_label,
            row.check_item,
            row.nature,
            row.statement,
            row.cause,
            row.measures,
            row.deadline,
            row.responsible_unit,
            row.responsible_leader,
            row.latest_progress,
            row.status,
            row.completed_on,
            "是" if row.overdue else "否",
            row.found_on,
            row.effect,
            row.accepted_on,
            row.village,
            row.household_head,
            row.household_kind,
            row.source,
            row.inspector,
            row.acceptance_remarks,
            on_time_text(row.on_time),
            row.extensions or None,
        )
        _write_table_row(ws, row_index, _DETAIL_COLUMNS, pixels, values)
        step()

    last = get_column_letter(len(_DETAIL_COLUMNS))
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{last}{len(rows) + 1}"
    _set_up_printing(ws, "1:1", None)


def _write_table(
    ws: Worksheet, table: TableSheet, step: Callable[[], None] = _nothing
) -> None:
    columns = [
        _Column(header, width, centred=width <= 16)
        for header, width in zip(table.headers, table.widths, strict=True)
    ]
    pixels = _set_widths(ws, columns)
    _write_table_row(ws, 1, columns, pixels, table.headers, header=True)
    for row_index, values in enumerate(table.rows, start=2):
        _write_table_row(ws, row_index, columns, pixels, values)
        step()
    ws.freeze_panes = "A2"
    _set_up_printing(ws, "1:1", None)


def sheet_title(title: str) -> str:
    """Make a sheet title Excel accepts: no []:*?/\\ and at most 31 characters."""
    return re.sub(r"[\[\]:*?/\\]", "-", title)[:31] or "表"


def _set_widths(ws: Worksheet, columns: Sequence[_Column]) -> list[int]:
    """Set the column widths and return each column's width in pixels."""
    for index, column in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    # Excel's own conversion for the default font: 7 px a character plus 5 px.
    return [int(column.width * 7 + 5) for column in columns]


def _write_table_row(
    ws: Worksheet,
    row_index: int,
    columns: Sequence[_Column],
    pixels: Sequence[int],
    values: Sequence[CellValue],
    *,
    header: bool = False,
    min_lines: int = 1,
) -> None:
    lines = min_lines
    for col_index, (column, width, value) in enumerate(
        zip(columns, pixels, values, strict=True), start=1
    ):
        dated = (column.is_date or isinstance(value, date)) and not header
        style = _table_style(ws, header, header or column.centred, dated)
        _, text = _put(ws, row_index, col_index, value, style=style)
        lines = max(lines, _line_count(text, width, _BODY_UNIT_PX))
    ws.row_dimensions[row_index].height = _row_points(lines) + (5 if header else 0)


def _table_style(ws: Worksheet, header: bool, centred: bool, dated: bool) -> str:
    """Name a table cell's style, adding it to the sheet's workbook on first use."""
    name = _TABLE_STYLES[header, centred, dated]
    workbook = ws.parent
    if name not in workbook.named_styles:
        # Made for each workbook: a named style belongs to the one it is added to.
        workbook.add_named_style(
            NamedStyle(
                name=name,
                font=_HEADER_FONT if header else _BODY_FONT,
                alignment=_CENTRED if centred else _LEFT,
                border=_BORDER,
                number_format=DATE_FORMAT if dated else "General",
            )
        )
    return name


def _put(
    ws: Worksheet,
    row: int,
    column: int,
    value: CellValue,
    font: Font | None = None,
    alignment: Alignment | None = None,
    *,
    style: str = "",
) -> tuple[Cell | MergedCell, str]:
    """Write one value with its font and alignment, or its named style;
    return the cell and the text it shows."""
    formula_like = False
    if value is None:
        cell = ws.cell(row=row, column=column)
        shown = ""
    elif isinstance(value, str):
        shown = _clean_text(value)
        cell = ws.cell(row=row, column=column, value=shown)
        formula_like = shown.startswith(_FORMULA_LEADS)
        if formula_like:
            # Operator text must never run as a formula, here or after an edit.
            cell.data_type = "s"
    elif isinstance(value, date):
        day = _naive(value)
        cell = ws.cell(row=row, column=column, value=day)
        shown = f"{day.year}年{day.month}月{day.day}日"
    else:
        cell = ws.cell(row=row, column=column, value=value)
        shown = str(value)
    if style:
        cell.style = style
    else:
        cell.font = font
        cell.alignment = alignment
    if formula_like:
        cell.quotePrefix = True  # after the style, which would reset it
    return cell, shown


def _clean_text(text: str) -> str:
    """Replace characters a workbook cannot hold and cut text Excel would refuse."""
    text = _UNWRITABLE_RE.sub(REPLACEMENT_CHAR, text)
    if _utf16_units(text) <= MAX_CELL_UNITS:
        return text
    budget = MAX_CELL_UNITS - _utf16_units(TRUNCATION_MARK)
    kept: list[str] = []
    for char in text:
        budget -= _utf16_units(char)
        if budget < 0:
            break
        kept.append(char)
    return "".join(kept) + TRUNCATION_MARK


def _utf16_units(text: str) -> int:
    # Excel's limit counts UTF-16 code units, so characters beyond the BMP count twice.
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _naive(value: date) -> date:
    """Return a datetime without tzinfo (in local time) so openpyxl accepts it."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone().replace(tzinfo=None)
    return value


def _line_count(text: str, width_px: int, unit_px: float) -> int:
    """Estimate how many lines `text` wraps to in a column `width_px` wide."""
    capacity = max(1, int((width_px - _CELL_PADDING_PX) / unit_px))
    return sum(
        max(1, math.ceil(_display_units(part) / capacity)) for part in text.split("\n")
    )


def _display_units(text: str) -> int:
    # Ambiguous-width characters (“ ” …) are full width in 宋体, so count them as 2.
    return sum(2 if unicodedata.east_asian_width(ch) in "WFA" else 1 for ch in text)


def _row_points(lines: int) -> float:
    # Limitation: Excel caps a row at 409 points (~27 lines); longer cell text is
    # clipped when printed. Fixing it would mean splitting a finding over rows.
    return min(lines * _LINE_POINTS, _MAX_ROW_POINTS)


def _set_up_printing(
    ws: Worksheet, title_rows: str, fingerprint: str | None, basis: str = ""
) -> None:
    ws.print_title_rows = title_rows
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True  # type: ignore[union-attr]
    ws.print_options.horizontalCentered = True
    ws.page_margins = PageMargins(
        left=0.5, right=0.5, top=0.6, bottom=0.7, header=0.3, footer=0.3
    )
    footer = HeaderFooterItem()
    footer.center.text = FOOTER_PAGES
    if basis:
        footer.left.text = basis
    if fingerprint:
        # Printed whole, so a paper copy can be typed into `taizhang verify`.
        # "&" starts a header/footer code; "&&" prints a literal ampersand.
        footer.right.text = "指纹 " + _clean_text(fingerprint).replace("&", "&&")
    ws.oddFooter = footer


def _stamp_properties(workbook: Workbook, sheet: OfficialSheet) -> None:
    cutoff = "known" if sheet.known_on else _cutoff_text(sheet.cutoff)
    fingerprint = _clean_text(sheet.fingerprint) if sheet.fingerprint else "none"
    properties = workbook.properties
    properties.title = _clean_text(sheet.title)
    properties.subject = _clean_text(f"{sheet.unit} {sheet.report_date.isoformat()}")
    properties.creator = CREATOR
    properties.lastModifiedBy = CREATOR
    properties.keywords = f"cutoff={cutoff} fingerprint={fingerprint}"
    properties.description = f"cutoff={cutoff}\nfingerprint={fingerprint}"
    if sheet.sealed_by:
        # Shown in the file's properties (Excel: 状态) without printing it.
        properties.contentStatus = sealed_words(sheet)


def sealed_words(sheet: OfficialSheet) -> str:
    """Say who sealed a final ledger, at which fingerprint, and what came after:
    a sheet with later steps is not the one the signer saw."""
    when = f"于 {format_day(sheet.sealed_on)} " if sheet.sealed_on else ""
    words = f"已由 {sheet.sealed_by} {when}签字封存"
    if sheet.sealed_fingerprint:
        words += f"（封存时指纹 {sheet.sealed_fingerprint}）"
    if sheet.after_seal:
        words += f"，封存后该单位的问题又有 {sheet.after_seal} 条记录"
    return _clean_text(words)


def _cutoff_text(cutoff: datetime | None) -> str:
    if cutoff is None:
        return "now"
    if cutoff.tzinfo is None:
        # The sheet contract says cutoffs are UTC; a naive one is taken at its word.
        cutoff = cutoff.replace(tzinfo=UTC)
    return cutoff.astimezone(UTC).isoformat()


def _save_atomically(
    workbook: Workbook, path: Path, before_rename: Callable[[], None] = _nothing
) -> None:
    """Save beside `path`, then rename over it, so no half-written file is left.

    `before_rename` may still refuse the file (by raising) once it is saved.
    """
    try:
        handle, temp_name = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
        )
    except OSError as error:
        raise ExportError(path, describe(error)) from error

    temp = Path(temp_name)
    finished = False
    try:
        with os.fdopen(handle, "w+b") as stream:
            workbook.save(stream)
            stream.flush()
            os.fsync(stream.fileno())
        before_rename()
        os.chmod(temp, 0o600)
        os.replace(temp, path)
        finished = True
    except OSError as error:
        raise ExportError(path, describe(error)) from error
    finally:
        if not finished:
            with contextlib.suppress(OSError):
                temp.unlink()
