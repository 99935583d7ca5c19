"""Build workbook files the way other programs write them, for the import tests.

openpyxl writes only what openpyxl writes; Excel, WPS and LibreOffice each
leave their own marks (built-in date formats, inline and formula strings,
wrong dimensions, 1904 dates). These builders write those parts by hand.
"""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from openpyxl import Workbook

# The official form's header, title and note.
HEADER = (
    "序号",
    "问题类型",
    "问题性质",
    "问题表述",
    "整改措施",
    "完成时限",
    "责任单位",
)
TITLE = "禹州市巩固拓展脱贫攻坚成果行业政策落实情况“回头看”整改台账"
NOTE = "备注：“问题类型”指饮水安全、就业扶贫、农村危房改造……"


def row_values(n: int, deadline: Any = date(2022, 6, 10)) -> list[Any]:
    return [
        n,
        "饮水安全",
        "个性问题",
        f"第{n}条问题",
        f"第{n}条措施",
        deadline,
        "市水利局",
    ]


def make_book(
    path: Path,
    rows: Sequence[Sequence[Any]],
    *,
    above: Sequence[Sequence[Any]] = ((TITLE,), ("单位（盖章）：褚河街道",)),
    header: Sequence[str] = HEADER,
    merges: Sequence[str] = (),
    title: str = "台账",
) -> Path:
    """A workbook with lines above the header, the header, then rows."""
    workbook = Workbook()
    ws = workbook.active
    assert ws is not None
    ws.title = title
    for line in above:
        ws.append(list(line))
    ws.append(list(header))
    for line in rows:
        ws.append(list(line))
    for merged in merges:
        ws.merge_cells(merged)
    workbook.save(path)
    return path


CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>
<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>
<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>
</Types>"""

ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/>
</Relationships>"""

WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>
<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>
</Relationships>"""

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def workbook_xml(sheet: str, *, date1904: bool = False) -> str:
    flag = ' date1904="1"' if date1904 else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><workbookPr{flag}/>'
        f'<sheets><sheet name="{escape(sheet)}" sheetId="1" r:id="rId1"/></sheets>'
        f"</workbook>"
    )


def styles_xml(formats: dict[int, str], cell_formats: Sequence[int]) -> str:
    """Styles with custom number formats and one cell format per number format id."""
    custom = "".join(
        f'<numFmt numFmtId="{i}" formatCode="{escape(code, {chr(34): "&quot;"})}"/>'
        for i, code in formats.items()
    )
    numbers = f'<numFmts count="{len(formats)}">{custom}</numFmts>' if formats else ""
    xfs = "".join(
        f'<xf numFmtId="{n}" fontId="0" fillId="0" borderId="0" xfId="0"'
        f' applyNumberFormat="1"/>'
        for n in cell_formats
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<styleSheet xmlns="{MAIN}">{numbers}'
        f'<fonts count="1"><font><sz val="11"/><name val="宋体"/></font></fonts>'
        f'<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
        f'<borders count="1"><border/></borders>'
        f'<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        f"</cellStyleXfs>"
        f'<cellXfs count="{len(cell_formats)}">{xfs}</cellXfs></styleSheet>'
    )


def shared_strings_xml(items: Sequence[str]) -> str:
    """Shared strings; an item may already be <si> content (rich runs, phonetics)."""
    body = "".join(
        f"<si>{item}</si>"
        if item.startswith("<")
        else f"<si><t>{escape(item)}</t></si>"
        for item in items
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<sst xmlns="{MAIN}" count="{len(items)}" uniqueCount="{len(items)}">'
        f"{body}</sst>"
    )


def sheet_xml(
    rows: dict[int, str], merges: Sequence[str] = (), dimension: str = ""
) -> str:
    """A worksheet from each row's cell XML, keyed by row number."""
    lines = "".join(f'<row r="{n}">{cells}</row>' for n, cells in sorted(rows.items()))
    merged = "".join(f'<mergeCell ref="{m}"/>' for m in merges)
    merged_part = (
        f'<mergeCells count="{len(merges)}">{merged}</mergeCells>' if merges else ""
    )
    size = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<worksheet xmlns="{MAIN}" xmlns:r="{RELS}">{size}'
        f"<sheetData>{lines}</sheetData>{merged_part}</worksheet>"
    )


def app_xml(application: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
        f'extended-properties"><Application>{escape(application)}</Application>'
        "</Properties>"
    )


def write_xlsx(
    path: Path,
    *,
    sheet: str,
    styles: str,
    strings: Sequence[str],
    application: str,
    date1904: bool = False,
) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("docProps/app.xml", app_xml(application))
        archive.writestr("xl/workbook.xml", workbook_xml("Sheet1", date1904=date1904))
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/styles.xml", styles)
        archive.writestr("xl/sharedStrings.xml", shared_strings_xml(strings))
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


class Cells:
    """Write cells of one row; strings go to a shared table as Excel does."""

    def __init__(self, strings: list[str]) -> None:
        self.strings = strings

    def s(self, ref: str, text: str, style: int = 0) -> str:
        """A shared string; text may be <si> content (runs, phonetics)."""
        if text not in self.strings:
            self.strings.append(text)
        return f'<c r="{ref}" s="{style}" t="s"><v>{self.strings.index(text)}</v></c>'

    @staticmethod
    def inline(ref: str, text: str) -> str:
        return f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'

    @staticmethod
    def n(ref: str, value: float, style: int = 0) -> str:
        return f'<c r="{ref}" s="{style}"><v>{value}</v></c>'

    @staticmethod
    def formula(
        ref: str, formula: str, cached: str, *, text: bool, style: int = 0
    ) -> str:
        kind = ' t="str"' if text else ""
        return (
            f'<c r="{ref}" s="{style}"{kind}><f aca="false">{escape(formula)}</f>'
            f"<v>{escape(cached)}</v></c>"
        )

    @staticmethod
    def b(ref: str, value: bool) -> str:
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'


# One compound-file sector; the header takes one, the FAT one, the directory one.
_SECTOR = 512
_FREE, _END, _FAT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD


def compound_file(*streams: str) -> bytes:
    """A minimal OLE compound file whose directory lists these empty streams.

    Old .xls workbooks hold a "Workbook" stream; an encrypted .xlsx holds
    "EncryptionInfo" and "EncryptedPackage". At most three streams.
    """
    assert len(streams) <= 3
    header = bytearray(_SECTOR)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIII", header, 0x2C, 1, 1, 0, 4096, _END, 0, _END, 0)
    struct.pack_into("<I", header, 0x4C, 0)  # the FAT is sector 0
    header[0x50:] = b"\xff" * (_SECTOR - 0x50)

    fat = bytearray(b"\xff" * _SECTOR)
    struct.pack_into("<II", fat, 0, _FAT, _END)

    directory = bytearray()
    names = ["Root Entry", *streams]
    for index, name in enumerate(names):
        entry = bytearray(128)
        encoded = (name + "\0").encode("utf-16-le")
        entry[: len(encoded)] = encoded
        struct.pack_into("<HBB", entry, 64, len(encoded), 5 if index == 0 else 2, 1)
        right = index + 1 if 0 < index < len(names) - 1 else _FREE
        child = 1 if index == 0 and streams else _FREE
        struct.pack_into("<III", entry, 68, _FREE, right, child)
        struct.pack_into("<I", entry, 116, _END)
        directory += entry
    directory += b"\x00" * (-len(directory) % _SECTOR)
    return bytes(header + fat + directory)
