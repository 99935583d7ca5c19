"""`taizhang import`: hand-kept ledgers in, with a report and clear refusals."""

from __future__ import annotations

import re
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from domain.campaign import load_campaign
from domain.ledger import open_ledger
from domain.state import FindingState
from tests.exporters.workbooks import HEADER, make_book, row_values
from tui.cli import main

CHINESE = re.compile(r"[\u4e00-\u9fff]")
# Files written by LibreOffice and an encrypting tool; see fixtures/README.md.
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep the operator's own settings and working folder out of the tests."""
    monkeypatch.delenv("TAIZHANG_OPERATOR", raising=False)
    monkeypatch.delenv("TAIZHANG_UNIT", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "ledger.sqlite"


def stored_rows(store: Path) -> list[FindingState]:
    ledger = open_ledger(load_campaign(), store)
    try:
        return ledger.rows()
    finally:
        ledger.close()


def run(store: Path, *args: str) -> int:
    return main(["--store", str(store), "--operator", "张三", "import", *args])


def assert_refused(code: int, err: str) -> None:
    assert code == 2
    assert CHINESE.search(err), err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err


def test_a_handmade_sheet_comes_in_once(
    samples: Path, store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = samples / "handmade-wps-chuhe.xlsx"

    code = run(store, str(sample))

    out, err = capsys.readouterr()
    assert code == 0, err
    assert "读到 6 行，可以导入 6 行，不能导入 0 行" in out
    assert "已导入 6 条问题到 褚河街道" in out
    rows = stored_rows(store)
    assert len(rows) == 6
    assert {(r.source, r.reporting_unit) for r in rows} == {("导入", "褚河街道")}
    assert rows[0].source_ref == "handmade-wps-chuhe.xlsx 第4行"

    again = run(store, str(sample))

    out, err = capsys.readouterr()
    assert_refused(again, err)
    assert "导入过" in err
    assert len(stored_rows(store)) == 6


def test_ctrl_c_once_the_import_is_written_says_it_is_done(
    samples: Path, store: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Ctrl+C at 100% said 已中断 though every row had been stored."""
    from domain.ledger import Ledger

    written = Ledger.import_sheet

    def then_interrupted(self: Ledger, *args: object, **kwargs: object) -> object:
        written(self, *args, **kwargs)  # type: ignore[arg-type]
        raise KeyboardInterrupt

    monkeypatch.setattr(Ledger, "import_sheet", then_interrupted)

    code = run(store, str(samples / "handmade-wps-chuhe.xlsx"))

    out, err = capsys.readouterr()
    assert code == 0, err
    assert "已中断" not in out + err
    assert "中断前导入已完成" in out and "6 条问题" in out
    assert len(stored_rows(store)) == 6


def test_a_sheet_without_a_unit_line_needs_the_unit(
    samples: Path, store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = str(samples / "handmade-plain-chuhe.xlsx")

    assert_refused(run(store, sample), capsys.readouterr().err)

    assert run(store, sample, "--unit", "褚河街道") == 0
    rows = stored_rows(store)
    assert [r.remarks for r in rows] == ["备注：已入户核实"] * 3


def test_a_sheet_without_a_unit_line_is_the_given_operators_unit(
    samples: Path, store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`taizhang --unit 褚河街道 import x.xlsx` was refused for want of a unit."""
    sample = str(samples / "handmade-plain-chuhe.xlsx")
    given = ["--store", str(store), "--operator", "张三", "--unit", "褚河街道"]

    assert main([*given, "import", sample]) == 0, capsys.readouterr().err
    rows = stored_rows(store)
    assert [r.remarks for r in rows] == ["备注：已入户核实"] * 3


def test_a_sheet_without_a_report_day_takes_the_day_given(
    samples: Path, store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Papers of early June, typed in years later from a sheet with no date
    line: every found day became the finding's deadline, and progress from
    the papers was then refused as earlier than that. `--on` names the day
    the sheet stands for."""
    sample = str(samples / "handmade-plain-chuhe.xlsx")

    assert run(store, sample, "--unit", "褚河街道", "--on", "6月3日") == 0
    out = capsys.readouterr().out
    assert "表头日期 2022年6月3日" in out and "取表头日期（2022年6月3日）" in out, out
    assert {r.found_on for r in stored_rows(store)} <= {date(2022, 6, d) for d in (1, 2, 3)}

    # A sheet that gives its own day keeps it: --on would contradict it.
    official = str(samples / "official-chuhe-week1.xlsx")
    assert_refused(run(store, official, "--on", "6月3日"), capsys.readouterr().err)


def test_bad_rows_are_listed_and_keep_the_file_out_unless_only_good(
    tmp_path: Path, store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        row_values(1),
        ["2", "住房", "个性问题", "第2条问题", "措施", date(2022, 6, 9), "市住建局"],
        row_values(3, "下周"),
        row_values(4),
    ]
    path = make_book(tmp_path / "台账.xlsx", rows)

    code = run(store, str(path))

    out, err = capsys.readouterr()
    assert_refused(code, err)
    assert "4 行中有 2 行不能导入" in err
    assert re.search(
        r"^5\s+B列 问题类型\s+“问题类型”的值“住房”不在", out, re.MULTILINE
    ), out
    assert re.search(r"^6\s+F列 完成时限\s+“下周”不是有效日期", out, re.MULTILINE), out
    assert not store.exists() or stored_rows(store) == []

    assert run(store, str(path), "--only-good") == 0
    out, _ = capsys.readouterr()
    assert "已导入 2 条问题到 褚河街道" in out and "未导入 2 行" in out
    assert [r.statement for r in stored_rows(store)] == ["第1条问题", "第4条问题"]
    assert_refused(run(store, str(path), "--only-good"), capsys.readouterr().err)


def test_a_dry_run_writes_nothing(
    samples: Path, store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(store, str(samples / "official-chuhe-week1.xlsx"), "--dry-run")

    out, err = capsys.readouterr()
    assert code == 0, err
    assert "可以导入 14 行" in out and "未写入" in out
    # Nor a store file: a --store not yet there was created by the check.
    assert sorted(p.name for p in store.parent.iterdir() if "ledger" in p.name) == []


def test_the_unit_option_must_agree_with_the_unit_line(
    samples: Path, store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = str(samples / "official-chuhe-week1.xlsx")

    assert_refused(run(store, sample, "--unit", "火龙镇"), capsys.readouterr().err)


def refused_files(tmp_path: Path) -> dict[str, bytes]:
    good = make_book(tmp_path / "good.xlsx", [row_values(1)]).read_bytes()
    docx = tmp_path / "doc.zip"
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    return {
        "旧版.xls": (FIXTURES / "libreoffice-chuhe.xls").read_bytes(),
        "加密.xlsx": (FIXTURES / "encrypted-chuhe.xlsx").read_bytes(),
        "导出.csv": "序号,问题类型\n1,饮水安全\n".encode("gbk"),
        "改名.xlsx": docx.read_bytes(),
        "空.xlsx": b"",
        "截断.xlsx": good[: len(good) // 2],
    }


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("旧版.xls", "旧版 Excel"),
        ("加密.xlsx", "密码"),
        ("导出.csv", "纯文本"),
        ("改名.xlsx", "Word 文档"),
        ("空.xlsx", "空文件"),
        ("截断.xlsx", "不完整"),
    ],
)
def test_a_file_that_is_no_readable_xlsx_is_refused_in_one_line(
    tmp_path: Path,
    store: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    words: str,
) -> None:
    path = tmp_path / name
    path.write_bytes(refused_files(tmp_path)[name])

    code = run(store, str(path))

    _, err = capsys.readouterr()
    assert_refused(code, err)
    assert words in err and name in err
    assert "另存为" in err or "重新获取" in err
    assert not store.exists()


def test_an_error_cell_is_reported_once_in_its_column(
    samples: Path, store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """#N/A in 责任单位 was listed twice: as an error cell and as 未填写."""
    from openpyxl import load_workbook

    path = tmp_path / "err.xlsx"
    workbook = load_workbook(samples / "handmade-plain-chuhe.xlsx")
    ws = workbook.active
    assert ws is not None
    ws["G2"].value = "#N/A"
    ws["G2"].data_type = "e"
    workbook.save(path)

    assert run(store, "--unit", "褚河街道", str(path), "--dry-run") == 2
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("2 ")]
    assert len(lines) == 1 and "#N/A" in lines[0], out


def test_a_duplicate_names_the_recorded_finding_as_the_app_shows_it(
    samples: Path, store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """问题编号 9bf64f7d-9a0c-… named a finding by an id the app shows nowhere."""
    assert run(store, "--unit", "褚河街道", str(samples / "official-chuhe-week1.xlsx")) == 0
    capsys.readouterr()
    assert run(store, "--unit", "褚河街道", str(samples / "handmade-wps-chuhe.xlsx"), "--dry-run") == 2
    out = capsys.readouterr().out
    said = [line for line in out.splitlines() if "重复" in line]
    assert said, out
    assert re.search(r"official-chuhe-week1\.xlsx 第\d+行，2022年6月\d+日发现，编号 [0-9a-f]{8}）", said[0]), said


def test_an_import_by_an_unregistered_operator_is_stamped_with_the_sheets_unit(
    samples: Path, store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With no register and no --unit before the command, 褚河街道's sheet was
    recorded as entered by an operator of 颍川街道, the campaign's first township."""
    assert run(store, str(samples / "handmade-wps-chuhe.xlsx")) == 0

    ledger = open_ledger(load_campaign(), store)
    try:
        units = {e.operator_unit for e in ledger.events_in_order() if hasattr(e, "operator_unit")}
    finally:
        ledger.close()
    assert units == {"褚河街道"}


def changed_copy(sample: Path, target: Path, **cells: Any) -> Path:
    """Save a copy of a sample workbook with some cells changed (E2="…")."""
    from openpyxl import load_workbook

    workbook = load_workbook(sample)
    ws = workbook.active
    assert ws is not None
    for cell, value in cells.items():
        ws[cell].value = value
    workbook.save(target)
    return target


@pytest.mark.parametrize("written", ["2022 年 6 月 31 日", "2022 年 6 月 40 日"])
def test_a_header_day_that_is_no_day_is_refused_naming_its_cell(
    samples: Path, store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    written: str,
) -> None:
    """E2 `2022 年 6 月 31 日` was passed over as no header day at all: the sheet
    was imported as of today and every found day became its deadline."""
    path = changed_copy(
        samples / "official-chuhe-week1.xlsx", tmp_path / "bad.xlsx", E2=written
    )

    code = run(store, str(path))

    out, err = capsys.readouterr()
    assert_refused(code, err)
    assert "E2" in err and "表头日期" in err and "该月没有这一天" in err, err
    assert "可以导入" not in out
    assert not store.exists()


@pytest.mark.parametrize(
    ("cells", "options"),
    [
        ({"E2": "2023 年 6 月 7 日"}, ()),
        ({"E2": None}, ("--on", "2030-01-01")),
    ],
)
def test_a_header_day_outside_the_campaign_is_refused_naming_its_span(
    samples: Path, store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    cells: dict[str, Any], options: tuple[str, ...],
) -> None:
    """A header day a year late, or `--on 2030-01-01`, was taken silently and
    the found days quietly fell back to the deadlines."""
    sample = samples / "official-chuhe-week1.xlsx"
    path = changed_copy(sample, tmp_path / "late.xlsx", **cells)

    code = run(store, str(path), *options)

    err = capsys.readouterr().err
    assert_refused(code, err)
    assert "表头日期" in err and "应在 2022年5月23日 至 2022年6月25日 之间" in err, err
    assert not store.exists() or stored_rows(store) == []


def test_without_a_header_day_the_report_says_plainly_that_today_is_taken(
    samples: Path, store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`取表头日期（今天）` said a header day was taken where the sheet had none."""
    sample = str(samples / "handmade-plain-chuhe.xlsx")

    code = run(store, sample, "--unit", "褚河街道", "--dry-run")

    out, err = capsys.readouterr()
    assert code == 0, err
    assert "取表头日期（今天）" not in out
    assert "表中没有表头日期，取今天（本次工作已结束的，取其最后一天），即2022年6月25日" in out, out


HOUSEHOLD_HEADER = (*HEADER, "村（社区）", "户主", "户类型")


def household_row(n: int, kind: str = "脱贫户") -> list[Any]:
    return [
        n, "教育扶贫", "个性问题", "北村脱贫户赵大明之女辍学", "劝返复学",
        date(2022, 6, 10), "市教体局", "北村", "赵大明", kind,
    ]


def cell_texts(path: Path) -> dict[str, list[list[Any]]]:
    from openpyxl import load_workbook

    workbook = load_workbook(path)
    return {
        ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in workbook
    }


def test_household_columns_fill_the_household_and_are_masked_on_export(
    tmp_path: Path, store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """村（社区）、户主、户类型 came in as free notes: the masked export left
    赵大明 in the statement, and its 明细 sheet had empty household columns."""
    path = make_book(tmp_path / "户.xlsx", [household_row(1)], header=HOUSEHOLD_HEADER)

    assert run(store, str(path)) == 0, capsys.readouterr().err

    out = capsys.readouterr().out
    assert "作为备注" not in out, out
    (finding,) = stored_rows(store)
    assert (finding.village, finding.household_head, finding.household_kind) == (
        "北村", "赵大明", "脱贫户",
    )
    assert finding.remarks == ""

    masked = tmp_path / "m.xlsx"
    code = main([
        "--store", str(store), "--operator", "张三",
        "export", "--unit", "褚河街道", "--masked", "-o", str(masked),
    ])
    assert code == 0, capsys.readouterr().err
    sheets = cell_texts(masked)
    everything = [str(v) for rows in sheets.values() for r in rows for v in r if v]
    assert not [t for t in everything if "大明" in t], everything
    assert any("北村脱贫户赵某之女辍学" in t for t in everything), everything
    detail = sheets["明细"]
    header = next(r for r in detail if "户主" in r)
    (line,) = [r for r in detail if r and "北村脱贫户赵某之女辍学" in r]
    assert [line[header.index(h)] for h in ("村（社区）", "户主", "户类型")] == [
        "北村", "赵某", "脱贫户",
    ]


def test_a_household_kind_not_in_the_campaign_is_a_row_error_listing_the_kinds(
    tmp_path: Path, store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """户类型 贫困户 was accepted unchecked, as a note."""
    rows = [household_row(1, "贫困户")]
    path = make_book(tmp_path / "户.xlsx", rows, header=HOUSEHOLD_HEADER)

    code = run(store, str(path))

    out, err = capsys.readouterr()
    assert_refused(code, err)
    assert re.search(
        r"^4\s+J列 户类型\s+“户类型”的值“贫困户”不在本次工作的定义中。"
        r"可填：脱贫户、监测对象、一般农户。",
        out,
        re.MULTILINE,
    ), out


def test_a_reimported_row_that_differs_names_the_changes_and_how_to_record_them(
    samples: Path, store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The cumulative week sheet came back with row 4's deadline and measures
    changed: row 4 was reported only as a duplicate, and nothing said that
    the changes were not recorded."""
    from openpyxl import load_workbook

    sample = samples / "official-chuhe-week1.xlsx"
    assert run(store, str(sample)) == 0, capsys.readouterr().err
    capsys.readouterr()
    workbook = load_workbook(sample)
    ws = workbook.active
    assert ws is not None
    ws["F4"].value = "2022年6月25日"
    ws["E4"].value = "改为6月25日前完成挂牌"
    ws.unmerge_cells("A18:G18")
    ws["A19"].value, ws["A18"].value = ws["A18"].value, None
    for column, value in zip("ABCDEFG", row_values(15), strict=True):
        ws[f"{column}18"].value = value
    path = tmp_path / "第2周.xlsx"
    workbook.save(path)

    # A later week's sheet repeats the findings recorded from the earlier
    # one: those rows are skipped, not errors that keep the new row out.
    code = run(store, str(path))

    out, err = capsys.readouterr()
    assert code == 0, err
    (said,) = [line for line in out.splitlines() if line.startswith("4 ")]
    assert "重复" in said, out
    assert "完成时限 表中 2022年6月25日，台账 2022年6月10日" in said, out
    assert "整改措施 表中 “改为6月25日前完成挂牌”，台账 “6月10日前完成挂牌" in said, out
    (unchanged,) = [line for line in out.splitlines() if line.startswith("5 ")]
    assert "重复" in unchanged and "表中" not in unchanged, out
    notes = [line for line in out.splitlines() if "没有记录" in line]
    assert notes and "第 4 行" in notes[0], out
    assert "延期" in notes[0] and "更正" in notes[0], notes
    rows = stored_rows(store)
    assert len(rows) == 15
    (first,) = [r for r in rows if r.source_ref.endswith("第4行")]
    assert first.deadline == date(2022, 6, 10)
    assert first.measures.startswith("6月10日前完成挂牌")


def test_a_responsible_unit_that_leads_no_category_is_a_row_error(
    tmp_path: Path, store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """顺店镇 came in as 责任单位, and could then complete 褚河街道's finding;
    the app's form offers only the campaign's responsible units."""
    township = [*row_values(1)[:6], "顺店镇"]
    partial = [*row_values(2)[:6], "水利"]
    path = make_book(tmp_path / "台账.xlsx", [township, partial, row_values(3)])

    code = run(store, str(path))

    out, err = capsys.readouterr()
    assert_refused(code, err)
    said = re.search(r"^4\s+G列 责任单位\s+(.*)$", out, re.MULTILINE)
    assert said, out
    assert "“责任单位”的值“顺店镇”不在本次工作的定义中。可填：市住建局、" in said[1], out
    assert "顺店镇" not in said[1].split("可填：")[1]
    assert re.search(r"^5\s+G列 责任单位\s+.*“水利”.*可填：市水利局。", out, re.MULTILINE), out
    assert not store.exists() or stored_rows(store) == []


def test_refusals_name_the_options_that_answer_them(
    tmp_path: Path, samples: Path, store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A failed import ended `或选择只导入无误的行` and `请指定导入到哪个单位`,
    naming neither --only-good nor --unit."""
    path = make_book(tmp_path / "台账.xlsx", [row_values(1), row_values(2, "下周")])

    assert_refused(run(store, str(path)), err := capsys.readouterr().err)
    assert "--only-good" in err, err

    assert_refused(run(store, str(path), "--dry-run"), err := capsys.readouterr().err)
    assert "--only-good" in err, err

    sample = str(samples / "handmade-plain-chuhe.xlsx")  # no unit line
    assert_refused(run(store, sample), err := capsys.readouterr().err)
    assert "--unit" in err, err


def test_a_sheet_is_not_imported_to_a_unit_that_receives_the_ledgers(
    samples: Path, store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`import … --unit 市巩固…办公室` brought three findings in as the office's."""
    office = "市巩固拓展脱贫攻坚成果领导小组办公室"
    code = run(store, str(samples / "handmade-plain-chuhe.xlsx"), "--unit", office)

    assert_refused(code, err := capsys.readouterr().err)
    assert "不登记本单位的问题" in err, err
