"""Read a ledger workbook kept by hand, or exported, into plain rows for the ledger.

Nothing here writes to the ledger: `read_ledger` returns an ImportSheet whose
rows the application checks and records. A file that is not a readable .xlsx
is refused with an ImportFileError naming what it is.
"""

from __future__ import annotations

import hashlib
import logging
import re
import warnings
import zipfile
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

from domain.dates import DayParseError, parse_day
from domain.errors import CellErrorValueError
from domain.importing import ImportRow, ImportSheet, RowProblem, SheetColumn
from domain.progress import Cancelled, Progress, Steps

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

log = logging.getLogger(__name__)

# Far beyond any ledger; a larger file is refused before it is parsed.
MAX_BYTES = 50 * 1024 * 1024

# How far down a sheet the header row is looked for.
HEADER_SEARCH_ROWS = 100

# What a file turned out to be, when it is not a readable ledger workbook.
NOT_FOUND = "not_found"
UNREADABLE = "unreadable"
EMPTY = "empty"
TOO_LARGE = "too_large"
TEXT = "text"
HTML = "html"
XML = "xml"
PDF = "pdf"
OLD_XLS = "xls"
ENCRYPTED = "encrypted"
OLE = "ole"
WORD = "docx"
POWERPOINT = "pptx"
XLSB = "xlsb"
ODS = "ods"
ZIP = "zip"
TRUNCATED = "truncated"
DAMAGED = "damaged"
UNKNOWN = "unknown"
NO_SUCH_SHEET = "no_such_sheet"
NO_HEADER = "no_header"
MISSING_COLUMNS = "missing_columns"
BAD_REPORT_DAY = "bad_report_day"

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")

# Column headers of the official form, and near forms seen in hand-kept
# sheets, as written without any whitespace.
HEADERS: dict[str, tuple[str, ...]] = {
    "number": ("序号", "编号"),
    "category": ("问题类型", "问题类别", "类型"),
    "nature": ("问题性质", "性质"),
    "statement": ("问题表述", "问题描述", "存在问题", "问题"),
    "measures": ("整改措施", "整改举措"),
    "deadline": ("完成时限", "整改时限", "完成时间", "整改期限"),
    "responsible_unit": ("责任单位", "牵头单位"),
    "responsible_leader": ("责任领导", "责任人"),
    "cause": ("产生原因及分析", "原因分析", "产生原因"),
    "check_item": ("排查内容",),
    "found_on": ("发现日期", "发现时间"),
    # The household, as the app's own 明细 sheet heads it.
    "village": ("村（社区）", "村(社区)", "村"),
    "household_head": ("户主", "户主姓名"),
    "household_kind": ("户类型", "农户类型"),
}
# Without these the sheet is not the official form, or near enough.
REQUIRED = (
    "category",
    "nature",
    "statement",
    "measures",
    "deadline",
    "responsible_unit",
)

# Values that never hold a space: category, nature, unit and household names.
# A head's name spaced for alignment (赵  大明) would escape the masking.
_NAME_FIELDS = frozenset(
    {"category", "nature", "responsible_unit", "household_head", "household_kind"}
)
_DAY_FIELDS = frozenset({"deadline", "found_on"})

# A line of text under the table: the form's note, or a note like it.
_NOTE_LEADS = ("备注", "注：", "注:", "说明")

_NARROW = str.maketrans(
    {**{chr(0xFF10 + n): str(n) for n in range(10)}, "\u3000": " ", "：": ":"}
)
_UNIT_LINE = re.compile(r"(?:填报)?单位\s*(?:[（(]\s*盖\s*章\s*[)）])?\s*:\s*(\S*)")
_REPORT_DAY = re.compile(
    r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|\d{4}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{1,2}"
)

# A workbook holds a character XML cannot (a control, NUL) as _x0007_
# (ECMA-376 ST_Xstring); openpyxl hands the escape on as written.
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")

# Excel serial days below this (1954) are numbers someone typed, not days.
_FIRST_SERIAL = 20_000
_LAST_SERIAL = 2_958_465


class ImportFileError(Exception):
    """Raise when a file cannot be read as a ledger workbook.

    `problem` is one of this module's constants (OLD_XLS, ENCRYPTED, ...)
    for the edge to word; `detail` carries names it may quote (the sheet
    asked for and those the workbook has, the columns it lacks).
    """

    def __init__(self, path: Path, problem: str, detail: Sequence[str] = ()) -> None:
        super().__init__(path, problem)
        self.path = path
        self.problem = problem
        self.detail = tuple(detail)

    def __str__(self) -> str:
        return f"cannot import {self.path}: {self.problem} {', '.join(self.detail)}"


def read_ledger(
    path: Path,
    *,
    year: int,
    sheet: str = "",
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> ImportSheet:
    """Read the ledger table of a workbook file.

    `year` fills in days written without one. With `sheet` that worksheet
    is read; otherwise the first whose header row (序号 问题类型 … 责任单位)
    can be found. Refuses, with ImportFileError, anything that is not a
    readable .xlsx holding such a table. Once the workbook is loaded (one
    step openpyxl takes whole), `progress` hears (rows read, rows below the
    header); a yes from `cancelled` raises WorkCancelledError.
    """
    path = Path(path)
    data = _read_bytes(path)
    sniff_bytes(path, data)
    workbook = _open(path, data)
    worksheet, header_row = _choose_sheet(path, workbook, sheet)
    steps = Steps("import", 0, progress, cancelled)
    return _read_sheet(path, data, workbook, worksheet, header_row, year, steps)


def sniff(path: Path) -> None:
    """Refuse at once a file that cannot be a readable .xlsx; read no cells."""
    sniff_bytes(path, _read_bytes(path))


def sniff_bytes(path: Path, data: bytes) -> None:
    """Tell from a file's first bytes and its zip directory what it is.

    Returns when it is a zip holding xl/workbook.xml; refuses otherwise.
    """
    if not data:
        raise ImportFileError(path, EMPTY)
    if data.startswith(_OLE_MAGIC):
        raise ImportFileError(path, _ole_kind(data))
    if data.startswith(_ZIP_MAGIC):
        names = _zip_names(path, data)
        if "xl/workbook.xml" in names:
            return
        raise ImportFileError(path, _zip_kind(data, names))
    if data.startswith(b"%PDF"):
        raise ImportFileError(path, PDF)
    raise ImportFileError(path, _text_kind(data))


def _read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ImportFileError(path, TOO_LARGE)
        return path.read_bytes()
    except FileNotFoundError:
        raise ImportFileError(path, NOT_FOUND) from None
    except OSError as error:
        raise ImportFileError(path, UNREADABLE) from error


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def _ole_kind(data: bytes) -> str:
    """Name a compound (OLE) file by the streams its directory lists.

    An encrypted .xlsx is such a file holding EncryptionInfo and
    EncryptedPackage; an old .xls (or a WPS .et) holds Workbook or Book.
    """
    # Limitation: an encrypted workbook is refused, not opened; opening it would
    # take a decrypting library (msoffcrypto-tool) and asking for the password.
    if _utf16("EncryptedPackage") in data or _utf16("EncryptionInfo") in data:
        return ENCRYPTED
    if _utf16("Workbook") in data or _utf16("Book\x00") in data:
        return OLD_XLS
    return OLE


def _zip_names(path: Path, data: bytes) -> set[str]:
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            return set(archive.namelist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as error:
        # A zip whose central directory is missing was cut short.
        raise ImportFileError(path, TRUNCATED) from error


def _zip_kind(data: bytes, names: set[str]) -> str:
    if "word/document.xml" in names:
        return WORD
    if "ppt/presentation.xml" in names:
        return POWERPOINT
    if "xl/workbook.bin" in names:
        return XLSB
    if "mimetype" in names and b"opendocument.spreadsheet" in data[:200]:
        return ODS
    return ZIP


def _text_kind(data: bytes) -> str:
    head = data[:4096]
    text = None
    for encoding in ("utf-8-sig", "gb18030", "utf-16"):
        try:
            text = head.decode(encoding)
        except UnicodeDecodeError:
            continue
        break
    if text is None or "\x00" in text:
        return UNKNOWN
    lowered = text.lstrip().lower()
    if "<html" in lowered[:1000] or lowered.startswith(("<!doctype html", "<table")):
        return HTML
    if lowered.startswith("<?xml"):
        return XML
    return TEXT


def _open(path: Path, data: bytes) -> Workbook:
    """Load the whole workbook, with the values formulas had when last saved.

    Normal mode, not read-only: only normal mode keeps merged ranges, and
    it reads every row whatever the file's own <dimension> claims.
    """
    # A formula whose result was never saved (a file written by a program)
    # reads as empty here; _mark_unsaved_formulas names it. Computing it would
    # take a formula evaluator.
    # Imported only to read a workbook: the app loads this module at start-up.
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            # openpyxl warns about parts it skips (WPS styles, extensions);
            # the operator's screen is no place for those.
            warnings.simplefilter("ignore")
            return load_workbook(BytesIO(data), data_only=True, keep_links=False)
    except Exception as error:
        # A damaged workbook fails in many ways deep inside openpyxl (zip, XML,
        # KeyError, ValueError); each is the same refusal for the operator.
        log.warning("cannot load workbook %s", path.name, exc_info=error)
        raise ImportFileError(path, DAMAGED) from error


def _choose_sheet(path: Path, workbook: Workbook, wanted: str) -> tuple[Worksheet, int]:
    sheets = list(workbook.worksheets)
    if wanted.strip():
        chosen = [ws for ws in sheets if ws.title == wanted.strip()]
        if not chosen:
            raise ImportFileError(
                path, NO_SUCH_SHEET, [wanted.strip(), *(ws.title for ws in sheets)]
            )
        sheets = chosen
    missing: list[str] = []
    for ws in sheets:
        found = _header_row(ws)
        if found is None:
            continue
        row, columns = found
        lacking = [f for f in REQUIRED if f not in columns.values()]
        if not lacking:
            return ws, row
        missing = missing or [HEADERS[f][0] for f in lacking]
    if missing:
        raise ImportFileError(path, MISSING_COLUMNS, missing)
    raise ImportFileError(path, NO_HEADER, [ws.title for ws in sheets])


def _squeeze(text: str) -> str:
    """Drop every space and line break: 问 题 类 型 and 完成\\n时限 read as names."""
    return "".join(text.split()).strip("*＊")


def _header_field(text: str) -> str:
    name = _squeeze(text)
    for field, aliases in HEADERS.items():
        for alias in aliases:
            if name == alias or name.startswith((f"{alias}（", f"{alias}(")):
                return field
    return ""


def _header_columns(values: Sequence[Any]) -> dict[int, str]:
    """Map column indexes (0-based) to fields; each field to its first column."""
    columns: dict[int, str] = {}
    for index, value in enumerate(values):
        field = _header_field(value) if isinstance(value, str) else ""
        if field and field not in columns.values():
            columns[index] = field
    return columns


def _header_row(ws: Worksheet) -> tuple[int, dict[int, str]] | None:
    last = min(ws.max_row, HEADER_SEARCH_ROWS)
    for number, values in enumerate(ws.iter_rows(max_row=last, values_only=True), 1):
        columns = _header_columns(values)
        if "statement" in columns.values() and len(columns) >= 4:
            return number, columns
    return None


def _read_sheet(
    path: Path,
    data: bytes,
    workbook: Workbook,
    ws: Worksheet,
    header_row: int,
    year: int,
    steps: Steps,
) -> ImportSheet:
    # Imported only to read a workbook: the app loads this module at start-up.
    from openpyxl.utils import get_column_letter

    grid = _Grid(ws)
    _mark_unsaved_formulas(data, ws.title, grid)
    steps.total = max(0, grid.height - header_row)
    steps.start()
    header = grid.row(header_row)
    fields = _header_columns(header)
    width = max(len(header), grid.width)
    columns = tuple(
        SheetColumn(
            letter=get_column_letter(index + 1),
            header=_squeeze(str(header[index] or "")) if index < len(header) else "",
            field=fields.get(index, ""),
        )
        for index in range(width)
    )
    unit, report_day = _unit_line(path, grid, header_row, year)

    rows: list[ImportRow] = []
    skipped: list[tuple[int, str]] = []
    for number in range(header_row + 1, grid.height + 1):
        values = grid.row(number)
        kind = _row_kind(values, fields)
        if kind == "data":
            rows.append(_import_row(number, values, columns, year, workbook.epoch))
        elif kind == "text":
            skipped.append((number, _text(next(v for v in values if _text(v)))))
        steps.step()

    return ImportSheet(
        file_name=path.name,
        digest=hashlib.sha256(data).hexdigest(),
        sheet_name=ws.title,
        unit=unit,
        report_day=report_day,
        columns=columns,
        rows=tuple(rows),
        skipped=tuple(skipped),
    )


class _Grid:
    """A sheet's values with every merged range filled from its top-left cell."""

    def __init__(self, ws: Worksheet) -> None:
        self.values = [[_value(cell) for cell in row] for row in ws.iter_rows()]
        self.height = len(self.values)
        self.width = max((len(row) for row in self.values), default=0)
        for merged in ws.merged_cells.ranges:
            top = self.get(merged.min_row, merged.min_col)
            for row in range(merged.min_row, min(merged.max_row, self.height) + 1):
                for col in range(merged.min_col, merged.max_col + 1):
                    self.put(row, col, top)

    def get(self, row: int, col: int) -> Any:
        line = self.values[row - 1] if 0 < row <= self.height else []
        return line[col - 1] if 0 < col <= len(line) else None

    def put(self, row: int, col: int, value: Any) -> None:
        line = self.values[row - 1]
        line.extend([None] * (col - len(line)))
        line[col - 1] = value

    def row(self, number: int) -> list[Any]:
        line = self.values[number - 1]
        return line + [None] * (self.width - len(line))


def _mark_unsaved_formulas(data: bytes, title: str, grid: _Grid) -> None:
    """Put a CellErrorValueError where a formula's cell read empty: no result saved.

    Excel, WPS and LibreOffice save each formula's result, which is what the
    grid holds; a file written by a program may not. Only a workbook with
    formulas is read a second time, for the formulas themselves.
    """
    with zipfile.ZipFile(BytesIO(data)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        if not any(b"<f" in archive.read(name) for name in sheets):
            return
    # Imported only to read a workbook: the app loads this module at start-up.
    from openpyxl import load_workbook

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        formulas = load_workbook(BytesIO(data), read_only=True, keep_links=False)
    try:
        for number, row in enumerate(formulas[title].iter_rows(), 1):
            for col, cell in enumerate(row, 1):
                value = getattr(cell, "value", None)
                if (
                    isinstance(value, str)
                    and value.startswith("=")
                    and getattr(cell, "data_type", "") == "f"
                    and grid.get(number, col) is None
                    and number <= grid.height
                ):
                    grid.put(number, col, CellErrorValueError(value, formula=True))
    finally:
        formulas.close()


def _value(cell: Any) -> Any:
    """A cell's value; an error it holds (#N/A, #REF!) as CellErrorValueError, not text."""
    if cell.data_type != "e":
        return _unescaped(cell.value)
    # Imported only to read a workbook: the app loads this module at start-up.
    from openpyxl.styles.numbers import is_date_format

    # openpyxl gives #VALUE! for a number under a date format that is no date.
    dated = cell.value == "#VALUE!" and is_date_format(cell.number_format)
    return CellErrorValueError(str(cell.value), dated)


def _unescaped(value: Any) -> Any:
    """Read text as the workbook means it: _x0007_ is the control U+0007.

    Without this a control character Excel holds would reach the ledger as
    seven harmless-looking characters, and the export would write it back.
    """
    # Limitation: openpyxl drops the _x005F_ that marks a literal "_x0041_"
    # in the shared strings, so such text typed in Excel reads as "A";
    # telling them apart would take reading the shared strings ourselves.
    if not isinstance(value, str) or "_x" not in value:
        return value
    return _ESCAPED.sub(lambda match: chr(int(match[1], 16)), value)


def _text(value: Any) -> str:
    """Show a cell's value as text, the way the sheet shows it."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, CellErrorValueError):
        # A formula without its result shows nothing: a template's =ROW() rows stay blank.
        return "" if value.formula else value.code
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _row_kind(values: Sequence[Any], fields: dict[int, str]) -> str:
    """Tell a finding row from a blank one and from a line of text.

    Blank: nothing but a 序号 (templates number empty rows). Text: one
    text spanning the row (merged) or standing alone in its first column,
    such as the form's note (备注：…, "note") or a signature line. A
    repeated header row is "blank" too.
    """
    filled = [(i, _text(v)) for i, v in enumerate(values) if _text(v)]
    numbered = [i for i, t in filled if fields.get(i) == "number" and _is_number(t)]
    if len(numbered) == len(filled):
        return "blank"
    texts = {text for _, text in filled}
    if len(texts) == 1:
        text = texts.pop()
        spans = len(filled) > 1 or filled[0][0] == min(fields, default=0)
        if spans and not _is_number(text):
            return "note" if text.startswith(_NOTE_LEADS) else "text"
    if len(_header_columns(values)) >= 4:
        return "blank"
    return "data"


def _is_number(text: str) -> bool:
    return re.fullmatch(r"\d+", text.translate(_NARROW)) is not None


def _import_row(
    number: int,
    values: Sequence[Any],
    columns: Sequence[SheetColumn],
    year: int,
    epoch: datetime,
) -> ImportRow:
    found: dict[str, Any] = {}
    problems: list[RowProblem] = []
    remarks: list[str] = []
    for column, value in zip(columns, values, strict=False):
        field = column.field
        if isinstance(value, CellErrorValueError):
            if field != "number":  # 序号 is not kept
                problems.append(RowProblem(number, field or "remarks", value))
            continue
        if field in _DAY_FIELDS:
            try:
                found[field] = _day(value, year, epoch)
            except DayParseError as error:
                problems.append(RowProblem(number, field, error))
            continue
        text = _text(value)
        if field in _NAME_FIELDS:
            found[field] = _squeeze(text)
        elif field and field != "number":
            found[field] = text
        elif not field and text:
            remarks.append(f"{column.header or column.letter + '列'}：{text}")
    return ImportRow(
        number=number, remarks="；".join(remarks), problems=tuple(problems), **found
    )


def _day(value: Any, year: int, epoch: datetime) -> date | None:
    """Read a day from a cell: a date cell, a date-time, a serial number or text.

    Chinese Excel and WPS store 2022年6月10日 under built-in formats that
    openpyxl does not know as dates, so such a cell arrives as its serial
    number; it is read with the workbook's own epoch (1900 or 1904).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _serial_day(value, epoch)
    text = _text(value)
    digits = text.translate(_NARROW)
    if re.fullmatch(r"\d{5}(?:\.\d+)?", digits):
        return _serial_day(float(digits), epoch)
    return parse_day(text, year=year)


def _serial_day(number: float, epoch: datetime) -> date:
    value = float(number)
    if value.is_integer() and 19_000_101 <= value <= 99_991_231:
        # 20220610 typed as a number.
        return parse_day(str(int(value)), year=0)
    if not _FIRST_SERIAL <= value <= _LAST_SERIAL:
        raise DayParseError(_text(value), "not a calendar day")
    # Imported only to read a workbook: the app loads this module at start-up.
    from openpyxl.utils.datetime import from_excel

    moment = from_excel(value, epoch)
    assert isinstance(moment, datetime)
    return moment.date()


def _unit_line(
    path: Path, grid: _Grid, header_row: int, year: int
) -> tuple[str, date | None]:
    """Find the unit and the report day written above the header row.

    A report day written as text that names no real day (2022年6月31日) is
    refused, naming its cell: passed over, the sheet would be taken as of
    today and every found day fall back to its deadline.
    """
    # Imported only to read a workbook: the app loads this module at start-up.
    from openpyxl.utils import get_column_letter

    unit, day = "", None
    for number in range(1, header_row):
        cells = list(_cells(grid.row(number)))
        for index, (col, value, text) in enumerate(cells):
            if isinstance(value, datetime | date) and day is None:
                day = value.date() if isinstance(value, datetime) else value
                continue
            narrow = text.translate(_NARROW)
            written = _REPORT_DAY.search(narrow)
            if written and day is None:
                try:
                    day = parse_day(written.group(), year=year)
                except DayParseError as error:
                    cell = f"{get_column_letter(col)}{number}"
                    raise ImportFileError(
                        path, BAD_REPORT_DAY, [cell, text, error.reason]
                    ) from error
            named = _UNIT_LINE.search(_REPORT_DAY.sub(" ", narrow))
            if named and not unit:
                unit = named.group(1)
                later = [t for _, _, t in cells[index + 1 :] if t]
                if not unit and later and not _REPORT_DAY.search(later[0]):
                    unit = later[0]
    return _squeeze(unit), day


def _cells(values: Sequence[Any]) -> Iterator[tuple[int, Any, str]]:
    """Yield (column number, value, text) of a row's filled cells."""
    seen: set[int] = set()
    for col, value in enumerate(values, 1):
        # A merged line repeats its text in every cell; read it once, at its
        # first column (the merged range's top-left cell).
        if value is None or id(value) in seen:
            continue
        seen.add(id(value))
        yield col, value, _text(value)
