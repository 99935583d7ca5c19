"""The export baselines: bare openpyxl writing the exporters' cells with their styles.

The cells (values, fonts, alignments, borders, date formats, merges, widths,
print set-up) are the ones exporters/official.py writes; what the baseline
leaves out is the exporters' own work around them: reading the ledger,
cleaning text, estimating row heights, saving atomically. Its row heights are
fixed, so the sheet has as many row records as the exporter's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

_THIN = Side(style="thin")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
TITLE_FONT = Font(name="宋体", size=16, bold=True)
HEADER_FONT = Font(name="宋体", size=11, bold=True)
BODY_FONT = Font(name="宋体", size=11)
CENTRED = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
RIGHT = Alignment(horizontal="right", vertical="center")
DATE_FORMAT = 'yyyy"年"m"月"d"日"'

# Fixed heights in points: the exporter estimates each row's from its text.
TITLE_HEIGHT = 30.0
LINE_HEIGHT = 20.0
BODY_HEIGHT = 30.0


@dataclass(frozen=True)
class Table:
    """A header row and body rows.

    `left` holds the 0-based columns aligned left, `dates` those formatted as
    days even where empty.
    """

    title: str
    headers: Sequence[str]
    widths: Sequence[float]
    rows: Sequence[Sequence[Any]]
    left: frozenset[int]
    dates: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Form:
    """The official form: title, unit and date line, its table, and the note."""

    sheet_title: str
    title: str
    unit_line: str
    date_line: str
    table: Table
    note: str


def write_workbook(sheets: Sequence[Form | Table], path: Path) -> Path:
    """Write forms and tables, in order, into one workbook at path."""
    workbook = Workbook()
    first = workbook.active
    assert first is not None
    for index, sheet in enumerate(sheets):
        ws = first if index == 0 else workbook.create_sheet()
        if isinstance(sheet, Form):
            write_form(ws, sheet)
        else:
            ws.title = sheet.title
            write_table(ws, sheet, 1)
            ws.freeze_panes = "A2"
            _print_setup(ws, "1:1")
    workbook.save(path)
    return path


def write_form(ws: Worksheet, form: Form) -> None:
    table = form.table
    ws.title = form.sheet_title
    last = get_column_letter(len(table.headers))
    ws.merge_cells(f"A1:{last}1")
    _cell(ws, 1, 1, form.title, TITLE_FONT, CENTRED)
    ws.row_dimensions[1].height = TITLE_HEIGHT
    ws.merge_cells("A2:D2")
    ws.merge_cells(f"E2:{last}2")
    _cell(ws, 2, 1, form.unit_line, BODY_FONT, LEFT)
    _cell(ws, 2, 5, form.date_line, BODY_FONT, RIGHT)
    ws.row_dimensions[2].height = LINE_HEIGHT
    note_row = write_table(ws, table, 3)
    ws.merge_cells(f"A{note_row}:{last}{note_row}")
    _cell(ws, note_row, 1, form.note, BODY_FONT, LEFT)
    ws.row_dimensions[note_row].height = BODY_HEIGHT
    _print_setup(ws, "1:3")


def write_table(ws: Worksheet, table: Table, first_row: int) -> int:
    """Write the header at first_row and the rows below; return the next free row."""
    for index, width in enumerate(table.widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    for column, header in enumerate(table.headers, start=1):
        cell = _cell(ws, first_row, column, header, HEADER_FONT, CENTRED)
        cell.border = BORDER
    ws.row_dimensions[first_row].height = LINE_HEIGHT
    row = first_row + 1
    for values in table.rows:
        for column, value in enumerate(values, start=1):
            alignment = LEFT if column - 1 in table.left else CENTRED
            cell = _cell(ws, row, column, value, BODY_FONT, alignment)
            cell.border = BORDER
            if column - 1 in table.dates or isinstance(value, date):
                cell.number_format = DATE_FORMAT
        ws.row_dimensions[row].height = BODY_HEIGHT
        row += 1
    return row


def _cell(
    ws: Worksheet, row: int, column: int, value: Any, font: Font, alignment: Alignment
) -> Any:
    cell = ws.cell(row=row, column=column, value=value)
    cell.font = font
    cell.alignment = alignment
    return cell


def _print_setup(ws: Worksheet, title_rows: str) -> None:
    ws.print_title_rows = title_rows
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True  # type: ignore[union-attr]
    ws.print_options.horizontalCentered = True
    ws.page_margins = PageMargins(left=0.5, right=0.5, top=0.6, bottom=0.7)
    ws.oddFooter.center.text = "第 &P 页 / 共 &N 页"
