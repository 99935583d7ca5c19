"""Reopen the exported official ledger and check it against the hand-filled sample."""

from __future__ import annotations

import errno
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from domain.sheet import OfficialSheet, SheetRow, TableSheet
from exporters.destination import ExportError
from exporters.official import DATE_FORMAT, TRUNCATION_MARK, write_official_sheet

SAMPLE_NAME = "official-chuhe-week1.xlsx"
FINGERPRINT = "ab12cd34ef56ab78cd90ef12ab34cd56ef78ab90cd12ef34ab56cd78ef90ab12"


def _sheet(workbook: Workbook, title: str) -> Worksheet:
    sheet = workbook[title]
    assert isinstance(sheet, Worksheet)
    return sheet


def _reopen(path: Path, title: str = "整改台账") -> Worksheet:
    return _sheet(openpyxl.load_workbook(path), title)


def _plain(value: Any) -> Any:
    """Compare dates as dates: openpyxl reads every date cell back as a datetime."""
    return value.date() if isinstance(value, datetime) else value


def _row(number: int, **changes: Any) -> SheetRow:
    row = SheetRow(
        number=number,
        category_label="饮水安全",
        nature="个性问题",
        statement="南村东片用水高峰期水压不足。",
        measures="更换加压泵。",
        deadline=date(2022, 6, 18),
        responsible_unit="市水利局",
        reporting_unit="褚河街道",
        category_name="饮水安全",
        check_item="供水保障",
        cause="设备老化。",
        responsible_leader="王某",
        latest_progress="已采购水泵。",
        status="整改中",
        completed_on=None,
        overdue=False,
        found_on=date(2022, 6, 1),
    )
    return replace(row, **changes)


def _small_sheet(*rows: SheetRow) -> OfficialSheet:
    return OfficialSheet(
        title="整改台账",
        unit="褚河街道",
        report_date=date(2022, 6, 7),
        note="备注：测试。",
        rows=rows,
    )


@pytest.fixture(scope="module")
def sample(samples: Path) -> Worksheet:
    return _sheet(openpyxl.load_workbook(samples / SAMPLE_NAME), "整改台账")


@pytest.fixture(scope="module")
def sample_sheet(sample: Worksheet) -> OfficialSheet:
    """Build the sheet by hand from the sample's 14 rows, as the app would."""
    rows = []
    for index in range(4, 18):
        cells = [sample.cell(row=index, column=column).value for column in range(1, 8)]
        number, label, nature, statement, measures, deadline, unit = cells
        assert isinstance(number, int)
        assert isinstance(deadline, datetime)
        rows.append(
            SheetRow(
                number=number,
                category_label=str(label),
                nature=str(nature),
                statement=str(statement),
                measures=str(measures),
                deadline=deadline.date(),
                responsible_unit=str(unit),
                reporting_unit="褚河街道",
                category_name=str(label),
                check_item=f"排查内容{number}",
                cause=f"原因{number}",
                responsible_leader="李某",
                latest_progress=f"进展{number}",
                status="已完成" if number % 3 == 0 else "整改中",
                completed_on=date(2022, 6, 6) if number % 3 == 0 else None,
                overdue=number % 4 == 0,
                found_on=date(2022, 6, 1),
                inspector="王某" if number % 3 == 0 else "",
                acceptance_remarks="同意销号" if number % 3 == 0 else "",
                on_time=number % 3 == 0 if number % 2 else None,
                extensions=number % 3,
            )
        )
    return OfficialSheet(
        title=str(sample["A1"].value),
        unit="褚河街道",
        report_date=date(2022, 6, 7),
        note=str(sample["A18"].value),
        rows=tuple(rows),
        cutoff=datetime(2022, 6, 7, 16, 0, tzinfo=UTC),
        fingerprint=FINGERPRINT,
    )


@pytest.fixture
def exported(sample_sheet: OfficialSheet, tmp_path: Path) -> Iterator[Path]:
    yield write_official_sheet(sample_sheet, tmp_path / "ledger.xlsx")


def test_cells_match_the_sample(sample: Worksheet, exported: Path) -> None:
    ours = _reopen(exported)

    for row in range(1, 19):
        for column in range(1, 8):
            expected = _plain(sample.cell(row=row, column=column).value)
            actual = _plain(ours.cell(row=row, column=column).value)
            assert actual == expected, ours.cell(row=row, column=column).coordinate
    assert ours.max_row == 18
    assert ours.max_column == 7


def test_merges_and_widths_match_the_sample(sample: Worksheet, exported: Path) -> None:
    ours = _reopen(exported)

    assert {str(r) for r in ours.merged_cells.ranges} == {
        str(r) for r in sample.merged_cells.ranges
    }
    for letter in "ABCDEFG":
        assert (
            ours.column_dimensions[letter].width
            == sample.column_dimensions[letter].width
        )


def test_deadlines_are_real_dates_in_the_official_format(exported: Path) -> None:
    ours = _reopen(exported)

    for row in range(4, 18):
        cell = ours[f"F{row}"]
        assert cell.is_date
        assert cell.number_format == DATE_FORMAT == 'yyyy"年"m"月"d"日"'
        assert isinstance(cell.value, datetime)
        assert cell.value.tzinfo is None


def test_row_heights_leave_room_for_wrapped_text(
    sample: Worksheet, exported: Path
) -> None:
    ours = _reopen(exported)

    for row in range(1, 19):
        height = ours.row_dimensions[row].height
        assert height is not None, row
        assert height >= (sample.row_dimensions[row].height or 15), row


def test_print_setup_is_a4_landscape_one_page_wide(exported: Path) -> None:
    ours = _reopen(exported)

    assert ours.print_title_rows in ("$1:$3", "1:3")
    assert ours.page_setup.orientation == "landscape"
    assert int(ours.page_setup.paperSize or 0) == 9
    assert int(ours.page_setup.fitToWidth or 0) == 1
    assert int(ours.page_setup.fitToHeight or 0) == 0
    assert ours.sheet_properties.pageSetUpPr is not None
    assert ours.sheet_properties.pageSetUpPr.fitToPage
    assert ours.print_options.horizontalCentered
    footer = ours.oddFooter
    assert footer is not None
    assert footer.center.text == "第 &P 页 / 共 &N 页"
    assert footer.right.text == f"指纹 {FINGERPRINT}"


def test_header_and_body_are_bordered_and_wrapped(exported: Path) -> None:
    ours = _reopen(exported)

    for row in range(3, 18):
        for column in range(1, 8):
            cell = ours.cell(row=row, column=column)
            sides = (cell.border.left, cell.border.right, cell.border.top)
            assert all(side.style == "thin" for side in sides), cell.coordinate
            assert cell.border.bottom.style == "thin", cell.coordinate
            assert cell.alignment.wrap_text, cell.coordinate
            assert cell.alignment.vertical == "center", cell.coordinate
    assert all(ours.cell(row=3, column=c).font.b for c in range(1, 8))
    assert ours["A1"].font.b
    assert ours["A1"].font.sz == 16
    assert ours["A1"].alignment.horizontal == "center"
    assert ours["E2"].alignment.horizontal == "right"
    assert ours["A18"].alignment.wrap_text


def test_detail_sheet_carries_every_field(
    sample_sheet: OfficialSheet, exported: Path
) -> None:
    workbook = openpyxl.load_workbook(exported)
    detail = _sheet(workbook, "明细")

    assert workbook.sheetnames == ["整改台账", "明细"]
    assert [cell.value for cell in detail[1]] == [
        "序号",
        "填报单位",
        "问题类型",
        "排查内容",
        "问题性质",
        "问题表述",
        "产生原因及分析",
        "整改措施",
        "完成时限",
        "责任单位",
        "责任领导",
        "最新进展",
        "状态",
        "完成日期",
        "是否逾期",
        "发现日期",
        # The result a close-out rests on: it reached no workbook.
        "整改成效",
        "验收日期",
        # Whose problem it is and where it came from: in the record, in no sheet.
        "村（社区）",
        "户主",
        "户类型",
        "问题来源",
        # Who decided the latest acceptance, and why: recorded, in no sheet.
        "验收人",
        "验收意见",
        # Done by the deadline in force, and how often it moved: the detail
        # said 否逾期 of work done late, against the statistics.
        "按时完成",
        "延期次数",
    ]
    for index, row in enumerate(sample_sheet.rows, start=2):
        expected = [
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
            row.effect or None,
            row.accepted_on,
            row.village or None,
            row.household_head or None,
            row.household_kind or None,
            row.source or None,
            row.inspector or None,
            row.acceptance_remarks or None,
            {True: "是", False: "否", None: None}[row.on_time],
            row.extensions or None,
        ]
        assert [_plain(cell.value) for cell in detail[index]] == expected
    for letter in "INPR":
        assert detail[f"{letter}2"].number_format == DATE_FORMAT
    assert detail["Z2"].border.left.style == "thin"
    assert detail.freeze_panes == "A2"
    assert detail.auto_filter.ref == "A1:Z15"
    assert detail.page_setup.orientation == "landscape"


def test_properties_record_cutoff_and_fingerprint(exported: Path) -> None:
    properties = openpyxl.load_workbook(exported).properties

    assert properties.title is not None
    assert properties.title.endswith("整改台账")
    assert properties.subject == "褚河街道 2022-06-07"
    assert properties.creator == "taizhang"
    expected = f"cutoff=2022-06-07T16:00:00+00:00 fingerprint={FINGERPRINT}"
    assert properties.keywords == expected
    assert properties.description == expected.replace(" ", "\n")


def test_properties_say_now_and_none_without_cutoff(tmp_path: Path) -> None:
    path = write_official_sheet(_small_sheet(_row(1)), tmp_path / "now.xlsx")

    properties = openpyxl.load_workbook(path).properties
    assert properties.keywords == "cutoff=now fingerprint=none"
    footer = _reopen(path).oddFooter
    assert footer is not None
    assert not footer.right.text


@pytest.mark.parametrize("text", ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "=HYPERLINK(1)"])
def test_formula_like_text_stays_text(text: str, tmp_path: Path) -> None:
    """Operator text starting with = + - @ must read back as that text, not run."""
    row = _row(1, statement=text, measures=text, responsible_unit=text)
    path = write_official_sheet(_small_sheet(row), tmp_path / "formula.xlsx")

    ours = _reopen(path)
    for coordinate in ("D4", "E4", "G4"):
        cell = ours[coordinate]
        assert cell.value == text
        assert cell.data_type == "s"
        assert cell.quotePrefix
    assert _reopen(path, "明细")["F2"].value == text


def test_unwritable_characters_are_replaced_visibly(tmp_path: Path) -> None:
    """A NUL or BEL in a statement used to crash openpyxl; it now shows as �."""
    row = _row(1, statement="水压\x00不足\x07。", cause="a\ud800b")
    sheet = replace(_small_sheet(row), note="备注\x1f", fingerprint="ab\x0bcd")
    path = write_official_sheet(sheet, tmp_path / "control.xlsx")

    ours = _reopen(path)
    assert ours["D4"].value == "水压\ufffd不足\ufffd。"
    assert ours["A5"].value == "备注\ufffd"
    assert _reopen(path, "明细")["G2"].value == "a\ufffdb"


def test_text_over_the_cell_limit_is_cut_with_a_marker(tmp_path: Path) -> None:
    row = _row(1, measures="措" * 40_000)
    path = write_official_sheet(_small_sheet(row), tmp_path / "long.xlsx")

    value = _reopen(path)["E4"].value
    assert isinstance(value, str)
    assert value.endswith(TRUNCATION_MARK)
    assert len(value) == 32_767


def test_aware_datetimes_are_written_naive(tmp_path: Path) -> None:
    row = _row(1, deadline=datetime(2022, 6, 18, 2, 0, tzinfo=UTC))
    path = write_official_sheet(_small_sheet(row), tmp_path / "aware.xlsx")

    value = _reopen(path)["F4"].value
    assert isinstance(value, datetime)
    assert value.tzinfo is None


def test_empty_ledger_still_has_header_and_note(tmp_path: Path) -> None:
    path = write_official_sheet(_small_sheet(), tmp_path / "empty.xlsx")

    ours = _reopen(path)
    assert ours["A3"].value == "序号"
    assert ours["G3"].value == "责任单位"
    assert ours["A4"].value == "备注：测试。"
    assert "A4:G4" in {str(r) for r in ours.merged_cells.ranges}
    assert ours.max_row == 4
    assert _reopen(path, "明细").auto_filter.ref == "A1:Z1"


def test_missing_row_deadline_leaves_the_cell_empty(tmp_path: Path) -> None:
    path = write_official_sheet(
        _small_sheet(_row(1, deadline=None)), tmp_path / "nodate.xlsx"
    )

    cell = _reopen(path)["F4"]
    assert cell.value is None
    assert cell.border.left.style == "thin"


def test_missing_folder_raises_export_error(tmp_path: Path) -> None:
    target = tmp_path / "absent" / "ledger.xlsx"

    with pytest.raises(ExportError) as caught:
        write_official_sheet(_small_sheet(_row(1)), target)

    assert caught.value.path == target
    assert caught.value.problem == "the folder does not exist"
    assert not target.parent.exists()


def test_folder_that_is_a_file_raises_export_error(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")

    with pytest.raises(ExportError):
        write_official_sheet(_small_sheet(_row(1)), blocker / "ledger.xlsx")


def test_destination_that_is_a_folder_raises_and_leaves_no_temp(
    tmp_path: Path,
) -> None:
    (tmp_path / "ledger.xlsx").mkdir()

    with pytest.raises(ExportError):
        write_official_sheet(_small_sheet(_row(1)), tmp_path / "ledger.xlsx")

    assert [p.name for p in tmp_path.iterdir()] == ["ledger.xlsx"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_read_only_folder_raises_export_error(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running with privileges that ignore folder permissions")
        with pytest.raises(ExportError) as caught:
            write_official_sheet(_small_sheet(_row(1)), folder / "ledger.xlsx")
        assert caught.value.problem == "no permission to write in that folder"
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o700)


def test_permission_denied_is_reported_as_export_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Root ignores folder modes, so make creating the temporary file fail instead."""

    def refuse(*args: Any, **kwargs: Any) -> tuple[int, str]:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(ExportError) as caught:
        write_official_sheet(_small_sheet(_row(1)), tmp_path / "ledger.xlsx")

    assert caught.value.problem == "no permission to write in that folder"
    assert "ledger.xlsx" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_failed_save_keeps_the_old_file_and_leaves_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A disk filling up mid-save must not leave a half-written workbook behind."""
    target = tmp_path / "ledger.xlsx"
    target.write_bytes(b"previous export")

    def fill_the_disk(self: Workbook, stream: Any) -> None:
        stream.write(b"PK\x03\x04 half a zip")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Workbook, "save", fill_the_disk)
    with pytest.raises(ExportError) as caught:
        write_official_sheet(_small_sheet(_row(1)), target)

    assert caught.value.problem == "the disk is full"
    assert target.read_bytes() == b"previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["ledger.xlsx"]


def test_existing_file_is_replaced(tmp_path: Path) -> None:
    target = tmp_path / "ledger.xlsx"
    target.write_bytes(b"previous export")
    target.chmod(0o644)

    write_official_sheet(_small_sheet(_row(1)), target)

    assert _reopen(target)["A4"].value == 1
    assert [p.name for p in tmp_path.iterdir()] == ["ledger.xlsx"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    target = tmp_path / "ledger.xlsx"
    target.write_bytes(b"previous export")
    target.chmod(0o644)

    write_official_sheet(_small_sheet(_row(1)), target)

    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_extra_table_sheets_follow_the_detail_sheet(tmp_path: Path) -> None:
    """A differences sheet: headers, text, numbers and days read back as written."""
    table = TableSheet(
        title="迟报/漏报: 第1周?",
        headers=("序号", "问题表述", "发现日期"),
        widths=(6, 40, 16),
        rows=((1, "=1+1", date(2022, 6, 5)), (2, "东村王某", None)),
    )
    sheet = OfficialSheet(
        title="台账", unit="褚河街道", report_date=date(2022, 6, 7), note="备注", rows=(),
        extra=(table,),
    )

    out = write_official_sheet(sheet, tmp_path / "extra.xlsx")

    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["整改台账", "明细", "迟报-漏报- 第1周-"]
    ws = book["迟报-漏报- 第1周-"]
    assert [c.value for c in ws[1]] == ["序号", "问题表述", "发现日期"]
    assert ws["B2"].value == "=1+1" and ws["B2"].data_type == "s"
    assert ws["C2"].value.date() == date(2022, 6, 5)
    assert ws["C2"].number_format == 'yyyy"年"m"月"d"日"'
    assert ws["A3"].value == 2 and ws["C3"].value is None
