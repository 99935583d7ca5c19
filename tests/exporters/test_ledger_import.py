"""Reading ledger workbooks kept by hand: the official form and what people make of it."""

from __future__ import annotations

import warnings
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from domain.dates import DayParseError
from domain.importing import ImportRow, ImportSheet
from exporters import ledger_import as li
from exporters.ledger_import import ImportFileError, read_ledger
from tests.exporters.workbooks import (
    HEADER,
    NOTE,
    TITLE,
    Cells,
    compound_file,
    make_book,
    row_values,
    sheet_xml,
    styles_xml,
    write_xlsx,
)
from tui.wording import explain

# The rows every producer's fixture holds, as the reader should give them.
EXPECTED = [
    ("农村危房改造", "个性问题", "东村王某住房未挂牌", "完成挂牌", date(2022, 6, 10)),
    ("农村危房改造", "共性", "部分村未建监测台账", "建立台账", date(2022, 6, 15)),
    ("健康扶贫", "个性问题", "李某家庭1人未参保", "办理补缴", date(2022, 6, 8)),
]


def read(path: Path, **options: Any) -> ImportSheet:
    return read_ledger(path, year=2022, **options)


def refusal(path: Path, **options: Any) -> str:
    with pytest.raises(ImportFileError) as refused:
        read(path, **options)
    return refused.value.problem


def cells(row: ImportRow) -> tuple[Any, ...]:
    return (row.category, row.nature, row.statement, row.measures, row.deadline)


# The shared samples


def test_the_official_week_1_sample_reads_whole(samples: Path) -> None:
    sheet = read(samples / "official-chuhe-week1.xlsx")

    assert (sheet.sheet_name, sheet.unit) == ("整改台账", "褚河街道")
    assert sheet.report_day == date(2022, 6, 7)
    assert [r.number for r in sheet.rows] == list(range(4, 18))
    assert sheet.skipped == ()
    first = sheet.rows[0]
    assert cells(first) == (
        "农村危房改造",
        "个性问题",
        "东村脱贫户王某住房已鉴定为安全住房，但未悬挂住房安全性鉴定标识牌。",
        "6月10日前完成挂牌，街道逐户复核全部脱贫户挂牌情况。",
        date(2022, 6, 10),
    )
    assert first.responsible_unit == "市住建局"
    assert all(not r.problems and not r.remarks for r in sheet.rows)
    assert len(sheet.digest) == 64


def test_the_handmade_wps_sample_fills_merges_and_reads_typed_dates(
    samples: Path,
) -> None:
    sheet = read(samples / "handmade-wps-chuhe.xlsx")

    assert (sheet.unit, sheet.report_day) == ("褚河街道", date(2022, 6, 14))
    # Row 8 is blank, row 11 blank, row 12 the note.
    assert [r.number for r in sheet.rows] == [4, 5, 6, 7, 9, 10]
    assert [r.category for r in sheet.rows] == [
        "农村危房改造",
        "农村危房改造",
        "健康扶贫",
        "健康扶贫",
        "饮水安全",
        "综合保障",
    ]
    assert sheet.rows[1].nature == "共性"
    assert [r.deadline for r in sheet.rows] == [
        date(2022, 6, 10),
        date(2022, 6, 15),
        date(2022, 6, 8),
        date(2022, 6, 20),
        date(2022, 6, 5),
        date(2022, 6, 14),
    ]
    assert sheet.skipped == ()


def test_the_handmade_plain_sample_has_no_title_and_keeps_its_remarks(
    samples: Path,
) -> None:
    sheet = read(samples / "handmade-plain-chuhe.xlsx")

    assert (sheet.sheet_name, sheet.unit, sheet.report_day) == ("台账", "", None)
    assert [r.number for r in sheet.rows] == [2, 3, 4]
    assert [r.remarks for r in sheet.rows] == ["备注：已入户核实"] * 3
    assert sheet.rows[0].deadline == date(2022, 6, 18)
    assert [c.header for c in sheet.columns if not c.field] == ["备注"]


# The layout


def test_the_header_is_found_wherever_it_stands_and_however_spaced(
    tmp_path: Path,
) -> None:
    header = (
        "序 号",
        "问 题 类 型",
        "问题\n性质",
        "问题表述",
        "整改措施",
        "完成\n时限",
        "责任单位",
    )
    above = [
        (),
        ("",),
        (TITLE,),
        (),
        ("填报单位：褚河街道", None, None, None, "２０２２年６月１４日"),
    ]
    path = make_book(tmp_path / "a.xlsx", [row_values(1)], above=above, header=header)

    sheet = read(path)

    assert [c.field for c in sheet.columns][:7] == [
        "number",
        "category",
        "nature",
        "statement",
        "measures",
        "deadline",
        "responsible_unit",
    ]
    assert [r.number for r in sheet.rows] == [7]
    assert (sheet.unit, sheet.report_day) == ("褚河街道", date(2022, 6, 14))


def test_a_header_name_may_carry_a_note_in_brackets(tmp_path: Path) -> None:
    header = (*HEADER[:5], "完成时限（精确到日）", "责任单位")
    sheet = read(make_book(tmp_path / "a.xlsx", [row_values(1)], header=header))

    assert sheet.rows[0].deadline == date(2022, 6, 10)


def test_merged_cells_are_filled_down(tmp_path: Path) -> None:
    rows = [row_values(1), [2, None, None, "第2条问题", "第2条措施", None, None]]
    merges = ("B4:B5", "C4:C5", "F4:F5", "G4:G5")

    sheet = read(make_book(tmp_path / "a.xlsx", rows, merges=merges))

    second = sheet.rows[1]
    assert (second.category, second.nature, second.deadline) == (
        "饮水安全",
        "个性问题",
        date(2022, 6, 10),
    )
    assert second.responsible_unit == "市水利局"


def test_numbers_as_text_blank_rows_and_the_note_are_passed_over(
    tmp_path: Path,
) -> None:
    rows = [
        ["１", *row_values(1)[1:]],
        [None] * 7,
        [3.0, *row_values(3)[1:]],
        [4],  # a template's numbered empty row
        list(HEADER),  # the header again, as printed pages repeat it
        ["5", *row_values(5)[1:]],
        [NOTE] * 7,
        ["填报人：张三          审核人：李四"],
    ]
    merges = ("A10:G10",)

    sheet = read(make_book(tmp_path / "a.xlsx", rows, merges=merges))

    assert [r.number for r in sheet.rows] == [4, 6, 9]
    assert sheet.skipped == ((11, "填报人：张三          审核人：李四"),)


def test_a_header_day_that_is_no_day_is_refused_naming_its_cell(tmp_path: Path) -> None:
    """2022年6月31日 above the header read as no day at all."""
    above = ((TITLE,), ("单位（盖章）：褚河街道", None, None, None, "2022年6月31日"))
    path = make_book(tmp_path / "a.xlsx", [row_values(1)], above=above)

    with pytest.raises(ImportFileError) as refused:
        read(path)

    assert refused.value.problem == li.BAD_REPORT_DAY
    assert refused.value.detail == ("E2", "2022年6月31日", "no such day")
    assert "E2 单元格" in explain(refused.value)


def test_extra_columns_are_kept_as_remarks(tmp_path: Path) -> None:
    header = (*HEADER, "备注", "责任人", "整改进展")
    rows = [[*row_values(1), "已入户核实", "王五", None, "H列外的字"]]

    sheet = read(make_book(tmp_path / "a.xlsx", rows, header=header))

    (row,) = sheet.rows
    assert row.remarks == "备注：已入户核实；K列：H列外的字"
    assert row.responsible_leader == "王五"


def test_known_extra_columns_fill_their_fields(tmp_path: Path) -> None:
    header = (*HEADER, "排查内容", "产生原因及分析", "发现日期")
    rows = [[*row_values(1), "2. 医疗报销政策落实", "政策宣传不到位", "6月3日"]]

    (row,) = read(make_book(tmp_path / "a.xlsx", rows, header=header)).rows

    assert (row.check_item, row.cause, row.found_on) == (
        "2. 医疗报销政策落实",
        "政策宣传不到位",
        date(2022, 6, 3),
    )


def test_household_columns_fill_the_household_not_the_remarks(tmp_path: Path) -> None:
    """村（社区）、户主、户类型 were kept as remarks, so masking never knew the head."""
    header = (*HEADER, "村（社区）", "户 主", "户类型")
    rows = [[*row_values(1), "北村", "赵  大明", "脱贫户"]]

    (row,) = read(make_book(tmp_path / "a.xlsx", rows, header=header)).rows

    assert (row.village, row.household_head, row.household_kind) == (
        "北村",
        "赵大明",
        "脱贫户",
    )
    assert row.remarks == ""


def test_other_sheets_are_ignored_unless_chosen(tmp_path: Path) -> None:
    workbook = Workbook()
    notes = workbook.active
    assert notes is not None
    notes.title = "填表说明"
    notes.append([NOTE])
    for name, statement in (("第1周", "第一周的问题"), ("第2周", "第二周的问题")):
        ws = workbook.create_sheet(name)
        ws.append(list(HEADER))
        ws.append(
            [1, "饮水安全", "共性问题", statement, "措施", date(2022, 6, 9), "市水利局"]
        )
    path = tmp_path / "weeks.xlsx"
    workbook.save(path)

    assert read(path).rows[0].statement == "第一周的问题"
    assert read(path, sheet="第2周").rows[0].statement == "第二周的问题"
    assert refusal(path, sheet="填表说明") == li.NO_HEADER
    assert refusal(path, sheet="第3周") == li.NO_SUCH_SHEET


def test_a_sheet_without_a_needed_column_is_refused_naming_it(tmp_path: Path) -> None:
    header = ("序号", "问题类型", "问题性质", "问题表述", "整改措施", "责任单位")
    path = make_book(tmp_path / "a.xlsx", [], header=header)

    with pytest.raises(ImportFileError) as refused:
        read(path)

    assert refused.value.problem == li.MISSING_COLUMNS
    assert refused.value.detail == ("完成时限",)
    assert "完成时限" in explain(refused.value)


# Days


@pytest.mark.parametrize(
    ("cell", "day"),
    [
        (date(2022, 6, 10), date(2022, 6, 10)),
        (datetime(2022, 6, 10, 0, 0), date(2022, 6, 10)),
        (datetime(2022, 6, 10, 17, 30), date(2022, 6, 10)),
        (44722, date(2022, 6, 10)),
        (44722.0, date(2022, 6, 10)),
        ("44722", date(2022, 6, 10)),
        (20220610, date(2022, 6, 10)),
        ("2022年6月10日", date(2022, 6, 10)),
        ("6月10日前", date(2022, 6, 10)),
        ("6月10日", date(2022, 6, 10)),
        ("2022.6.10", date(2022, 6, 10)),
        ("2022/6/10", date(2022, 6, 10)),
        ("2022-06-10", date(2022, 6, 10)),
        ("２０２２年６月１０日", date(2022, 6, 10)),
        ("６月１０日前", date(2022, 6, 10)),
        (None, None),
        ("  ", None),
    ],
)
def test_a_deadline_is_read_however_it_was_written(
    tmp_path: Path, cell: Any, day: date | None
) -> None:
    sheet = read(make_book(tmp_path / "a.xlsx", [row_values(1, cell)]))

    assert sheet.rows[0].deadline == day
    assert sheet.rows[0].problems == ()


@pytest.mark.parametrize("cell", ["下周", "6月底", 6.2, "2022年6月31日", "尽快"])
def test_a_deadline_that_is_not_a_day_is_a_problem_of_its_row(
    tmp_path: Path, cell: Any
) -> None:
    (row,) = read(make_book(tmp_path / "a.xlsx", [row_values(1, cell)])).rows

    (problem,) = row.problems
    assert (problem.row, problem.field) == (4, "deadline")
    assert isinstance(problem.error, DayParseError)
    assert row.deadline is None


def test_a_day_without_a_year_takes_the_campaign_year(tmp_path: Path) -> None:
    path = make_book(tmp_path / "a.xlsx", [row_values(1, "6月10日")])

    assert read_ledger(path, year=2023).rows[0].deadline == date(2023, 6, 10)


# Files as Excel, WPS and LibreOffice write them


def official_rows(c: Cells, deadlines: Sequence[str]) -> dict[int, str]:
    """The title, the unit line, the header and EXPECTED's rows as cell XML."""
    header = "".join(c.s(f"{col}3", name) for col, name in zip("ABCDEFG", HEADER))
    rows = {
        1: c.s("A1", TITLE),
        2: c.s("A2", "单位（盖章）：褚河街道") + c.s("E2", "2022年6月14日"),
        3: header,
    }
    for index, (category, nature, statement, measures, _) in enumerate(EXPECTED):
        n = index + 4
        category_cell = c.s(f"B{n}", category) if index != 1 else ""
        rows[n] = (
            c.s(f"A{n}", str(index + 1))
            + category_cell
            + c.s(f"C{n}", nature)
            + c.s(f"D{n}", statement)
            + c.s(f"E{n}", measures)
            + deadlines[index]
            + c.s(f"G{n}", "市住建局")
        )
    return rows


def excel_book(path: Path) -> Path:
    """Excel (Chinese): built-in date format 14 and a custom 年月日 format, rich
    text and phonetic runs in shared strings, days stored as serial numbers."""
    strings: list[str] = []
    c = Cells(strings)
    rows = official_rows(
        c, [c.n("F4", 44722, 1), c.n("F5", 44727, 2), c.n("F6", 44720, 1)]
    )
    rich = '<r><rPr><b/></rPr><t>东村</t></r><r><t>王某住房未挂牌</t></r><phoneticPr fontId="0" type="noConversion"/>'
    rows[4] = rows[4].replace(c.s("D4", EXPECTED[0][2]), c.s("D4", rich))
    styles = styles_xml({176: 'yyyy"年"m"月"d"日";@'}, [0, 14, 176])
    sheet = sheet_for(rows)
    return write_xlsx(
        path, sheet=sheet, styles=styles, strings=strings, application="Microsoft Excel"
    )


def wps_book(path: Path) -> Path:
    """WPS: days under the Chinese built-in formats 31 and 58, which openpyxl
    does not know as dates, so they arrive as serial numbers."""
    strings: list[str] = []
    c = Cells(strings)
    rows = official_rows(
        c, [c.n("F4", 44722, 1), c.n("F5", 44727, 2), c.s("F6", "2022.6.8")]
    )
    styles = styles_xml({}, [0, 31, 58])
    return write_xlsx(
        path,
        sheet=sheet_for(rows),
        styles=styles,
        strings=strings,
        application="WPS 表格",
    )


def libreoffice_book(path: Path) -> Path:
    """LibreOffice: upper-case format codes, a day from a formula (its cached
    value), a formula's text result, inline strings, a boolean, a dimension
    that claims one cell."""
    strings: list[str] = []
    c = Cells(strings)
    rows = official_rows(
        c,
        [
            c.n("F4", 44722, 1),
            c.formula("F5", "DATE(2022,6,15)", "44727", text=False, style=2),
            c.n("F6", 44720, 1),
        ],
    )
    rows[4] = rows[4].replace(
        c.s("E4", EXPECTED[0][3]),
        c.formula("E4", 'CONCATENATE("完成","挂牌")', "完成挂牌", text=True),
    )
    rows[6] = rows[6].replace(c.s("D6", EXPECTED[2][2]), c.inline("D6", EXPECTED[2][2]))
    styles = styles_xml(
        {164: "YYYY\\-MM\\-DD", 165: '[$-804]YYYY"年"M"月"D"日"'}, [0, 164, 165]
    )
    sheet = sheet_for(rows, dimension="A1")
    return write_xlsx(
        path, sheet=sheet, styles=styles, strings=strings, application="LibreOffice/7.5"
    )


def sheet_for(rows: dict[int, str], dimension: str = "") -> str:
    return sheet_xml(
        rows, merges=("A1:G1", "A2:D2", "E2:G2", "B4:B5"), dimension=dimension
    )


@pytest.mark.parametrize("build", [excel_book, wps_book, libreoffice_book])
def test_excel_wps_and_libreoffice_files_read_alike(tmp_path: Path, build: Any) -> None:
    path = build(tmp_path / f"{build.__name__}.xlsx")

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sheet = read(path)

    assert (sheet.unit, sheet.report_day) == ("褚河街道", date(2022, 6, 14))
    assert [cells(r) for r in sheet.rows] == EXPECTED
    assert all(not r.problems for r in sheet.rows)


def test_a_1904_workbook_reads_its_serial_days(tmp_path: Path) -> None:
    strings: list[str] = []
    c = Cells(strings)
    # 1904-based serial of 2022-06-10 is 43260; format 31 reaches us as a number.
    rows = official_rows(
        c, [c.n("F4", 43260, 1), c.n("F5", 43265, 1), c.n("F6", 43258, 1)]
    )
    path = write_xlsx(
        tmp_path / "mac.xlsx",
        sheet=sheet_for(rows),
        styles=styles_xml({}, [0, 31]),
        strings=strings,
        application="Microsoft Macintosh Excel",
        date1904=True,
    )

    assert [r.deadline for r in read(path).rows] == [e[4] for e in EXPECTED]


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_a_sheet_saved_again_by_libreoffice_reads_as_the_original(
    samples: Path,
) -> None:
    original = read(samples / "handmade-wps-chuhe.xlsx")

    resaved = read(FIXTURES / "libreoffice-chuhe.xlsx")

    assert (resaved.unit, resaved.report_day) == (original.unit, original.report_day)
    assert resaved.rows == original.rows


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("libreoffice-chuhe.xls", li.OLD_XLS),
        ("libreoffice-chuhe.ods", li.ODS),
        ("encrypted-chuhe.xlsx", li.ENCRYPTED),
    ],
)
def test_files_real_programs_wrote_are_refused_saying_what_they_are(
    name: str, problem: str
) -> None:
    assert refusal(FIXTURES / name) == problem


# Files that are not a readable .xlsx


def xlsx_bytes(tmp_path: Path) -> bytes:
    return make_book(tmp_path / "good.xlsx", [row_values(1)]).read_bytes()


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("空.xlsx", lambda t: b"", li.EMPTY),
        ("台账.csv", lambda t: "序号,问题类型\n1,饮水安全\n".encode(), li.TEXT),
        ("台账.xlsx", lambda t: "序号,问题类型\n1,饮水安全\n".encode("gbk"), li.TEXT),
        (
            "导出.xls",
            lambda t: b"<html><body><table><tr><td>1</td></tr></table>",
            li.HTML,
        ),
        (
            "台账.xls",
            lambda t: compound_file("Workbook", "\x05SummaryInformation"),
            li.OLD_XLS,
        ),
        (
            "加密.xlsx",
            lambda t: compound_file("EncryptionInfo", "EncryptedPackage"),
            li.ENCRYPTED,
        ),
        ("台账.doc", lambda t: compound_file("WordDocument"), li.OLE),
        ("报告.pdf", lambda t: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", li.PDF),
        ("截图.xlsx", lambda t: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", li.UNKNOWN),
        ("截断.xlsx", lambda t: xlsx_bytes(t)[: len(xlsx_bytes(t)) // 2], li.TRUNCATED),
    ],
)
def test_a_file_that_is_not_a_readable_xlsx_is_refused_saying_what_it_is(
    tmp_path: Path, name: str, content: Any, problem: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content(tmp_path))

    assert refusal(path) == problem


def zipped(path: Path, parts: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for part, text in parts.items():
            archive.writestr(part, text)
    return path


@pytest.mark.parametrize(
    ("parts", "problem"),
    [
        ({"word/document.xml": "<w:document/>"}, li.WORD),
        ({"ppt/presentation.xml": "<p/>"}, li.POWERPOINT),
        ({"xl/workbook.bin": "x"}, li.XLSB),
        ({"mimetype": "application/vnd.oasis.opendocument.spreadsheet"}, li.ODS),
        ({"照片/1.jpg": "x"}, li.ZIP),
        ({"xl/workbook.xml": "<workbook><sheets>"}, li.DAMAGED),
    ],
)
def test_a_zip_that_is_no_workbook_is_refused_saying_what_it_is(
    tmp_path: Path, parts: dict[str, str], problem: str
) -> None:
    assert refusal(zipped(tmp_path / "改名.xlsx", parts)) == problem


def test_a_missing_file_or_a_folder_is_refused(tmp_path: Path) -> None:
    assert refusal(tmp_path / "没有.xlsx") == li.NOT_FOUND
    assert refusal(tmp_path) == li.UNREADABLE


def test_every_refusal_is_one_chinese_sentence_naming_what_to_do(
    tmp_path: Path,
) -> None:
    from tui.wording import IMPORT_FILE_PROBLEMS

    for problem in IMPORT_FILE_PROBLEMS:
        text = explain(ImportFileError(tmp_path / "台账.xlsx", problem))
        assert text.startswith("台账.xlsx ")
        assert text.endswith("。") and "\n" not in text


def test_a_cell_holding_a_spreadsheet_error_is_a_problem_not_text(tmp_path: Path) -> None:
    """A broken lookup left #N/A as the 整改措施 saved in the file, and it came in as
    the measure's text; an error is now a problem of its row, named with its code."""
    path = make_book(tmp_path / "a.xlsx", [row_values(1), row_values(2)])
    from openpyxl import load_workbook

    workbook = load_workbook(path)
    ws = workbook.active
    assert ws is not None
    for cell, code in (("E4", "#N/A"), ("G5", "#REF!")):
        ws[cell].value = code
        ws[cell].data_type = "e"
    workbook.save(path)

    first, second = read(path).rows
    ((row, field, error),) = [(p.row, p.field, p.error) for p in first.problems]
    assert (row, field) == (4, "measures")
    assert "#N/A" in explain(error) and "公式" in explain(error)
    assert [p.field for p in second.problems] == ["responsible_unit"]
    assert "#REF!" in explain(second.problems[0].error)


def test_a_number_in_a_date_formatted_cell_that_is_no_date_says_so(tmp_path: Path) -> None:
    """20220618 typed into a cell formatted as a date: Excel shows ####, openpyxl
    gives #VALUE!, and the refusal read “#VALUE!”不是有效日期."""
    path = make_book(tmp_path / "a.xlsx", [row_values(1, 20220618)])
    from openpyxl import load_workbook

    workbook = load_workbook(path)
    ws = workbook.active
    assert ws is not None
    ws["F4"].number_format = "yyyy-mm-dd"
    workbook.save(path)

    (row,) = read(path).rows
    (problem,) = row.problems
    assert problem.field == "deadline"
    said = explain(problem.error)
    assert "设成了日期格式" in said and "#VALUE!" not in said.split("（")[0], said


def test_a_formula_whose_result_was_never_saved_is_named_as_such(tmp_path: Path) -> None:
    """A sheet written by a program holds =DATE(2022,6,18) with no saved result:
    the report said “完成时限”未填写 of a cell the clerk can see is filled."""
    path = make_book(tmp_path / "a.xlsx", [row_values(1, "=DATE(2022,6,18)"), row_values(2)])
    from openpyxl import load_workbook

    workbook = load_workbook(path)
    ws = workbook.active
    assert ws is not None
    ws["D5"] = '=CONCATENATE("第2条","问题")'
    ws["A4"] = "=ROW()-3"  # 序号 as a formula is common and harmless
    ws["A6"] = "=ROW()-3"  # so is a template's numbered empty row
    workbook.save(path)

    first, second = read(path).rows
    ((field, said),) = [(p.field, explain(p.error)) for p in first.problems]
    assert field == "deadline" and "=DATE(2022,6,18)" in said and "没有保存" in said, said
    assert [p.field for p in second.problems] == ["statement"]
