"""Audit from the command line: replay a moment, a week two ways, stable past exports."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from domain.campaign import Campaign, load_campaign
from domain.clock import SetClock
from domain.ledger import NewFinding, Operator, open_ledger
from exporters.official import write_official_sheet
from tests.conftest import SHANGHAI
from tui.cli import main

OPERATOR = Operator("张三", "褚河街道")


def finding(statement: str, found_on: date, **plan: object) -> NewFinding:
    return NewFinding(
        reporting_unit="褚河街道",
        category="housing",
        check_item=1,
        nature="个性问题",
        statement=statement,
        found_on=found_on,
        **plan,  # type: ignore[arg-type]
    )


@pytest.fixture
def store(tmp_path: Path, campaign: Campaign) -> Path:
    """Two findings in week 1; in week 2 one is completed and one recorded late."""
    path = tmp_path / "ledger.sqlite"
    clock = SetClock(datetime(2022, 6, 2, 10, tzinfo=SHANGHAI))
    ledger = open_ledger(campaign, path, clock)
    a = ledger.record(
        OPERATOR,
        finding(
            "东村王某未挂牌",
            date(2022, 6, 1),
            measures="挂牌",
            deadline=date(2022, 6, 10),
            responsible_unit="市住建局",
        ),
    )
    ledger.record(OPERATOR, finding("西村李某房屋漏雨", date(2022, 6, 2)))
    clock.set(datetime(2022, 6, 9, 10, tzinfo=SHANGHAI))
    ledger.complete(OPERATOR, a, 2, on=date(2022, 6, 6), effect="已挂牌")
    ledger.record(OPERATOR, finding("南村赵某危房未改造", date(2022, 6, 3)))
    ledger.close()
    return path


def record_later(store: Path, campaign: Campaign) -> None:
    """Record a finding after a file was exported: the file must still check."""
    later = open_ledger(campaign, store, SetClock(datetime(2022, 6, 12, tzinfo=SHANGHAI)))
    later.record(OPERATOR, finding("北村孙某后来登记", date(2022, 6, 11)))
    later.close()


def ledger_sealed_by(store: Path) -> str:
    ledger = open_ledger(load_campaign(), store)
    try:
        return ledger.sealed_by("褚河街道")
    finally:
        ledger.close()


def test_replay_prints_the_ledger_as_it_stood(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "--store",
            str(store),
            "replay",
            "--as-of",
            "2022-06-05T18:00",
            "--unit",
            "褚河街道",
        ]
    )

    out = capsys.readouterr().out
    assert code == 0
    assert "2022年6月5日 18:00 时的台账（褚河街道）：2 条" in out
    assert "东村王某未挂牌" in out and "西村李某房屋漏雨" in out
    assert "南村赵某" not in out
    assert "整改中" in out and "待验收" not in out


def test_replay_of_a_day_names_that_day_not_the_midnight_after(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--as-of 6月10日` printed 2022年06月11日 00:00, as the app once did."""
    code = main(["--store", str(store), "replay", "--as-of", "6月5日"])

    out = capsys.readouterr().out
    assert code == 0
    assert "2022年6月5日结束时的台账（全部单位）：2 条" in out


def test_week_shows_an_empty_value_in_words_not_as_none(
    tmp_path: Path, campaign: Campaign, capsys: pytest.CaptureFixture[str]
) -> None:
    """A deadline set in week 2 was shown as `完成时限：None → 2022-06-19`."""
    path = tmp_path / "ledger.sqlite"
    clock = SetClock(datetime(2022, 6, 2, 10, tzinfo=SHANGHAI))
    ledger = open_ledger(campaign, path, clock)
    a = ledger.record(OPERATOR, finding("东村王某未挂牌", date(2022, 6, 1)))
    clock.set(datetime(2022, 6, 9, 10, tzinfo=SHANGHAI))
    ledger.plan(OPERATOR, a, 1, measures="挂牌", deadline=date(2022, 6, 19),
                responsible_unit="市住建局")  # fmt: skip
    ledger.close()

    assert main(["--store", str(path), "week", "2", "--unit", "褚河街道"]) == 0

    out = " ".join(capsys.readouterr().out.split())  # the table folds long cells
    assert "None" not in out
    assert "完成时限：（空）→2022年6月19日" in out.replace(" ", "")


def test_week_says_how_many_reported_findings_the_sheet_leaves_out(
    tmp_path: Path, campaign: Campaign, capsys: pytest.CaptureFixture[str]
) -> None:
    """week said 按时上报 2 条 where the exported sheet had 1 row: withdrawn
    findings are counted as reported but left off the official form."""
    path = tmp_path / "ledger.sqlite"
    clock = SetClock(datetime(2022, 6, 2, 10, tzinfo=SHANGHAI))
    ledger = open_ledger(campaign, path, clock)
    ledger.record(OPERATOR, finding("东村王某未挂牌", date(2022, 6, 1)))
    twice = ledger.record(OPERATOR, finding("东村王某未挂牌（重复）", date(2022, 6, 1)))
    ledger.withdraw(OPERATOR, twice, 1, reason="重复录入")
    ledger.close()

    assert main(["--store", str(path), "week", "1", "--unit", "褚河街道"]) == 0

    out = capsys.readouterr().out
    assert (
        "按时上报 2 条（其中已作废 1 条，不列入台账），"
        "现在所知 2 条（其中已作废 1 条，不列入台账）" in out
    )


def test_replay_refuses_a_moment_still_to_come(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A future moment showed today's ledger under tomorrow's name."""
    code = main(["--store", str(store), "replay", "--as-of", "2099-01-01"])

    err = capsys.readouterr().err
    assert code == 2
    assert "2099年1月1日结束时还没有到" in err


def test_replay_refuses_a_bad_moment_in_chinese(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--store", str(store), "replay", "--as-of", "2022-06-31"])

    err = capsys.readouterr().err
    assert code == 2
    assert "不是有效日期" in err and "Traceback" not in err


def test_week_shows_late_reports_and_exports_them(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / "w1.xlsx"

    code = main(
        ["--store", str(store), "week", "1", "--unit", "褚河街道", "-o", str(out_file)]
    )

    out = capsys.readouterr().out
    assert code == 0
    assert "按时上报 2 条，现在所知 3 条" in out
    assert "迟报/漏报 2 条" in out
    book = load_workbook(out_file)
    assert book.sheetnames == ["整改台账", "明细", "迟报漏报", "与上周比较"]


def test_a_past_week_exported_later_gives_the_cells_exported_at_the_time(
    tmp_path: Path, campaign: Campaign
) -> None:
    """Export week 1 during week 1, keep working for weeks, export week 1 again."""
    clock = SetClock(datetime(2022, 6, 2, 10, tzinfo=SHANGHAI))
    ledger = open_ledger(campaign, tmp_path / "ledger.sqlite", clock)
    a = ledger.record(
        OPERATOR,
        finding(
            "东村王某未挂牌",
            date(2022, 6, 1),
            measures="挂牌",
            deadline=date(2022, 6, 10),
            responsible_unit="市住建局",
        ),
    )
    b = ledger.record(OPERATOR, finding("西村李某房屋漏雨", date(2022, 6, 2)))
    clock.set(datetime(2022, 6, 7, 17, tzinfo=SHANGHAI))
    at_the_time = write_official_sheet(
        ledger.official_sheet("褚河街道", 1), tmp_path / "then.xlsx"
    )

    clock.set(datetime(2022, 6, 9, 10, tzinfo=SHANGHAI))
    ledger.correct(
        OPERATOR, a, 2, field="statement", value="东村王某住房未挂牌", reason="补全"
    )
    ledger.extend_deadline(
        OPERATOR, a, 3, deadline=date(2022, 6, 20), reason="材料未到"
    )
    ledger.withdraw(OPERATOR, b, 1, reason="重复")
    ledger.record(OPERATOR, finding("南村赵某危房未改造", date(2022, 6, 3)))
    later = write_official_sheet(
        ledger.official_sheet("褚河街道", 1), tmp_path / "later.xlsx"
    )
    ledger.close()

    def cells(path: Path) -> list[list[tuple[object, ...]]]:
        return [list(ws.iter_rows(values_only=True)) for ws in load_workbook(path)]

    assert cells(later) == cells(at_the_time)


def test_a_campaign_file_that_does_not_fit_the_store_is_refused(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A definition without the store's housing category crashed the screen with a
    KeyError traceback and exit code 0; it must be refused before anything opens."""
    from domain.campaign import DEFAULT_CAMPAIGN_FILE

    text = DEFAULT_CAMPAIGN_FILE.read_text(encoding="utf-8")
    start = text.index("[[categories]]")
    end = text.index("[[categories]]", start + 1)
    other = tmp_path / "no-housing.toml"
    other.write_text(text[:start] + text[end:], encoding="utf-8")

    code = main(["--store", str(store), "--campaign", str(other), "export", "--unit", "褚河街道"])

    err = capsys.readouterr().err
    assert code == 2
    assert "housing" in err and "工作定义" in err and "Traceback" not in err


def test_submit_reports_seal_and_verify_from_the_command_line(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The week-1 file and the submission match until an event is edited in the file."""
    import sqlite3

    base = ["--store", str(store), "--unit", "褚河街道", "--operator", "张三"]
    week1 = tmp_path / "w1.xlsx"
    assert main([*base, "submit", "--week", "1"]) == 0
    assert main([*base, "export", "--week", "1", "-o", str(week1)]) == 0
    assert main([*base, "reports"]) == 0
    out = capsys.readouterr().out
    assert "已报送 褚河街道 第 1 周台账，指纹 p" in out
    # Handed in late, what came in after the cut-off is not in it: say so.
    assert "该周另有 1 个问题、1 处进展在截止后才录入（迟报/漏报），不在本次报送的台账中" in out
    today = datetime.now(SHANGHAI).date()
    assert f"第1周（{today.year}年{today.month}月{today.day}日报送）" in out
    # The office and the team hand in nothing: they were listed as 未封存 units.
    assert "领导小组办公室" not in out and "调研指导组" not in out

    assert main([*base, "verify", "--against", str(week1)]) == 0
    out = capsys.readouterr().out
    assert "记录完整" in out
    assert out.count("：一致") == 2  # the submission and the file

    with sqlite3.connect(store) as db:
        db.execute(
            "UPDATE stored_events SET state = replace(state, ?, ?) WHERE rowid = 2",
            ("挂牌".encode(), "拆除".encode()),
        )
    assert main([*base, "verify", "--against", str(week1), str(tmp_path / "none.xlsx")]) == 1
    out = capsys.readouterr().out
    assert "第 2 条记录被改动" in out
    assert out.count("不一致") == 2
    assert "找不到该文件" in out

    # The system clock is past 6-20. Two findings are not rectified and weeks 2
    # and 3 were not handed in (week 4 lies in 总结验收, which the final ledger
    # reports): sealing would lock them, so it asks for --force.
    assert main([*base, "seal", "--signer", "王主任"]) == 2
    err = capsys.readouterr().err
    assert "还有 2 个问题未完成整改（待整改 2）" in err, err
    assert "第2、3周台账未报送" in err and "--force" in err
    assert ledger_sealed_by(store) == ""
    assert main([*base, "seal", "--signer", "王主任", "--force"]) == 0
    assert "签字封存" in capsys.readouterr().out
    code = main([*base, "seal", "--signer", "别人"])
    err = capsys.readouterr().err
    assert code == 2 and "已由 王主任 签字封存" in err


def test_export_runs_the_ledger_check_first(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two findings lack measures and a cause: the export names the check's count."""
    code = main(["--store", str(store), "export", "--unit", "褚河街道", "-o", str(tmp_path / "a.xlsx")])

    out = capsys.readouterr().out
    assert code == 0
    assert "导出前检查：当前台账有" in out and "taizhang check --unit 褚河街道" in out


@pytest.mark.parametrize(
    "export",
    [
        ["--week", "1"],
        ["--week", "2", "--masked"],
        [],  # the ledger as it stands, checked later when more has been recorded
        # As now known: the finding recorded later, found in week 2, is not
        # on the file and must not be rebuilt into it.
        ["--week", "2", "--known"],
    ],
)
def test_verify_against_a_file_compares_its_cells_with_the_log(
    store: Path,
    tmp_path: Path,
    campaign: Campaign,
    capsys: pytest.CaptureFixture[str],
    export: list[str],
) -> None:
    import openpyxl

    base = ["--store", str(store), "--unit", "褚河街道", "--operator", "张三"]
    exported = tmp_path / "exported.xlsx"
    assert main([*base, "export", *export, "-o", str(exported)]) == 0
    record_later(store, campaign)
    capsys.readouterr()

    assert main([*base, "verify", "--against", str(exported)]) == 0
    out = capsys.readouterr().out
    assert "内容逐格核对：与记录一致" in out

    book = openpyxl.load_workbook(exported)
    book["整改台账"]["D4"] = "已改写的问题表述"
    book.save(exported)

    assert main([*base, "verify", "--against", str(exported)]) == 1
    out = capsys.readouterr().out
    assert "指纹" in out and "：一致" in out  # the fingerprint alone cannot tell
    assert "内容与记录不符：单元格 D4" in out and "已改写的问题表述" in out


@pytest.mark.parametrize("dropped", [2, 4, 10])
def test_a_file_exported_before_the_result_columns_still_checks(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], dropped: int
) -> None:
    """明细 gained 整改成效 and 验收日期 at its end, later 验收人 and 验收意见,
    then 按时完成 and 延期次数:
    a file written before them, without those columns, is compared on the
    columns it has."""
    import openpyxl

    base = ["--store", str(store), "--unit", "褚河街道", "--operator", "张三"]
    exported = tmp_path / "old.xlsx"
    assert main([*base, "export", "--week", "2", "-o", str(exported)]) == 0
    book = openpyxl.load_workbook(exported)
    detail = book["明细"]
    assert [c.value for c in detail[1]][16:] == [
        "整改成效", "验收日期", "村（社区）", "户主", "户类型", "问题来源", "验收人", "验收意见",
        "按时完成", "延期次数",
    ]
    assert "已挂牌" in [c.value for c in detail["Q"]]
    detail.delete_cols(27 - dropped, dropped)
    book.save(exported)
    capsys.readouterr()

    assert main([*base, "verify", "--against", str(exported)]) == 0
    assert "内容逐格核对：与记录一致" in capsys.readouterr().out
    book = openpyxl.load_workbook(exported)
    book["明细"]["F2"] = "改过"
    book.save(exported)
    assert main([*base, "verify", "--against", str(exported)]) == 1


@pytest.mark.parametrize("week", [[], ["--week", "1"]])
def test_verify_against_the_offices_consolidated_workbook_checks_every_unit_sheet(
    store: Path,
    tmp_path: Path,
    campaign: Campaign,
    capsys: pytest.CaptureFixture[str],
    week: list[str],
) -> None:
    """The office's workbook said 内容无法逐格核对 and exited 1: it carries no single
    unit. Each unit's sheet in it is now rebuilt from the log and compared."""
    import openpyxl

    base = ["--store", str(store), "--operator", "王主任"]
    exported = tmp_path / "汇总.xlsx"
    assert main([*base, "office", *week, "-o", str(exported)]) == 0
    record_later(store, campaign)
    capsys.readouterr()

    assert main([*base, "verify", "--against", str(exported)]) == 0, capsys.readouterr()
    out = capsys.readouterr().out
    if week:  # its submissions as known when written: no position holds them
        assert "内容逐格核对：与记录一致（1 个单位的台账及汇总各表；各周报送表" in out, out
        assert "未逐格核对" in out, out
    else:
        assert "内容逐格核对：与记录一致（1 个单位的台账及汇总各表）" in out, out

    book = openpyxl.load_workbook(exported)
    book["褚河街道"]["D4"] = "已改写的问题表述"
    book.save(exported)
    assert main([*base, "verify", "--against", str(exported)]) == 1
    out = capsys.readouterr().out
    assert "内容与记录不符：单元格 D4（褚河街道表）" in out and "已改写的问题表述" in out

    # A trailing space printed as two equal strings.
    book["褚河街道"]["D4"] = "东村王某未挂牌 "
    book.save(exported)
    assert main([*base, "verify", "--against", str(exported)]) == 1
    out = capsys.readouterr().out
    assert "␣”" in out, out

    del book["褚河街道"]
    book.save(exported)
    assert main([*base, "verify", "--against", str(exported)]) == 1
    out = capsys.readouterr().out
    assert "褚河街道" in out and "缺少" in out, out


def test_verify_names_a_ledger_view_edited_behind_the_apps_back(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlite3

    with sqlite3.connect(store) as db:
        db.execute("UPDATE ledger_rows SET status = '已销号' WHERE rowid = 2")

    assert main(["--store", str(store), "verify"]) == 1

    out = capsys.readouterr().out
    assert "记录完整" in out  # the events themselves are untouched
    assert "台账视图与记录不一致：1 处" in out and "taizhang rebuild" in out


def test_verify_does_not_vouch_for_a_file_while_the_view_differs_from_the_log(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file exported from an edited view was said to match the records cell by
    cell: the cells were rebuilt from the same edited view."""
    import sqlite3

    with sqlite3.connect(store) as db:
        db.execute("UPDATE ledger_rows SET state = replace(state, '东村', '篡改村')")
    base = ["--store", str(store), "--unit", "褚河街道", "--operator", "张三"]
    exported = tmp_path / "now.xlsx"
    assert main([*base, "export", "-o", str(exported)]) == 0
    capsys.readouterr()

    assert main([*base, "verify", "--against", str(exported)]) == 1

    out = capsys.readouterr().out
    assert "台账视图与记录不一致" in out
    assert "与记录一致" not in out.replace("台账视图与记录不一致", "")
    assert "未逐格核对" in out


def test_verify_against_a_file_stripped_of_its_origin_does_not_pass(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found by a new user: removing one property made an edited file pass."""
    import openpyxl

    base = ["--store", str(store), "--unit", "褚河街道", "--operator", "张三"]
    exported = tmp_path / "w1.xlsx"
    assert main([*base, "export", "--week", "1", "-o", str(exported)]) == 0
    book = openpyxl.load_workbook(exported)
    book["整改台账"]["D4"] = "篡改过的表述"
    book.properties.keywords = None  # the fingerprint stays in the description
    book.save(exported)
    capsys.readouterr()

    assert main([*base, "verify", "--against", str(exported)]) == 1

    out = capsys.readouterr().out
    assert "不能确认" in out


def test_verify_says_when_the_chain_began_after_the_events_it_covers(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An event edited and both chain tables emptied: the next opening chains
    the log anew, and `verify` said 记录完整 with exit 0, though the chain
    vouches for nothing recorded before it began."""
    import sqlite3

    with sqlite3.connect(store) as db:
        state = db.execute("SELECT state FROM stored_events WHERE rowid = 1").fetchone()[0]
        db.execute(
            "UPDATE stored_events SET state = ? WHERE rowid = 1",
            (state.replace("东村".encode(), "西村".encode()),),
        )
        db.execute("DELETE FROM event_chain")
        db.execute("DELETE FROM event_chain_origin")
    assert main(["--store", str(store), "rebuild"]) == 0
    capsys.readouterr()

    assert main(["--store", str(store), "verify"]) == 1

    out = capsys.readouterr().out
    assert "校验链建立于" in out and "5 条记录是那时才纳入的" in out
    assert "不能证明" in out and "指纹" in out


def test_a_log_shorter_than_its_view_has_followed_is_named(
    store: Path, campaign: Campaign, capsys: pytest.CaptureFixture[str]
) -> None:
    """The last events deleted with their chain rows: verify found nothing
    wrong with the log, and a finding recorded next never showed, since the
    view waited for positions it had already passed."""
    import sqlite3

    with sqlite3.connect(store) as db:
        db.execute("DELETE FROM stored_events WHERE rowid = 5")
        db.execute("DELETE FROM event_chain WHERE notification_id = 5")

    assert main(["--store", str(store), "verify"]) == 1
    out = capsys.readouterr().out
    assert "台账视图已读到第 5 条记录" in out and "只有 4 条" in out

    assert main(["--store", str(store), "stats"]) == 2
    err = capsys.readouterr().err
    assert "末尾" in err and "taizhang rebuild" in err

    assert main(["--store", str(store), "rebuild"]) == 0
    record_later(store, campaign)
    ledger = open_ledger(campaign, store)
    try:
        statements = [row.statement for row in ledger.rows()]
    finally:
        ledger.close()
    assert "北村孙某后来登记" in statements


@pytest.mark.parametrize(
    "disguise",
    [
        "number_format", "hidden_row", "hidden_column", "hidden_sheet", "date_as_text",
        "row_height", "column_width", "white_font", "conditional", "print_area",
        "comment", "foreign_sheet",
    ],
)  # fmt: skip
def test_verify_against_a_file_sees_cells_shown_otherwise_than_they_hold(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], disguise: str
) -> None:
    """A number format of literal text shows words a cell does not hold; a
    hidden, flattened or white row, a narrowed column, a conditional format,
    a print area leave a finding off the screen or the printout; a comment or
    a sheet added says what the log does not: verify said 与记录一致."""
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.formatting.rule import Rule
    from openpyxl.styles import Font
    from openpyxl.styles.differential import DifferentialStyle

    base = ["--store", str(store), "--unit", "褚河街道", "--operator", "张三"]
    exported = tmp_path / "exported.xlsx"
    assert main([*base, "export", "--week", "2", "-o", str(exported)]) == 0
    book = openpyxl.load_workbook(exported)
    ledger_ws = book["整改台账"]
    if disguise == "number_format":
        ledger_ws["E4"].number_format = ';;;"已整改到位"'
    elif disguise == "hidden_row":
        ledger_ws.row_dimensions[5].hidden = True
    elif disguise == "hidden_column":
        ledger_ws.column_dimensions["E"].hidden = True
    elif disguise == "hidden_sheet":
        book["明细"].sheet_state = "hidden"
    elif disguise == "date_as_text":
        ledger_ws["F4"].number_format = '"2022年6月30日"'
    elif disguise == "row_height":
        ledger_ws.row_dimensions[5].height = 0.1
    elif disguise == "column_width":
        ledger_ws.column_dimensions["E"].width = 0.01
    elif disguise == "white_font":
        ledger_ws["D5"].font = Font(color="FFFFFFFF")
    elif disguise == "conditional":
        white = DifferentialStyle(font=Font(color="FFFFFFFF"))
        rule = Rule(type="expression", dxf=white, formula=["TRUE"])
        ledger_ws.conditional_formatting.add("A4:G9", rule)
    elif disguise == "print_area":
        ledger_ws.print_area = "A1:G4"
    elif disguise == "comment":
        ledger_ws["D4"].comment = Comment("已于6月10日整改完毕", "某人")
    else:
        book.create_sheet("说明")["A1"] = "后补说明"
    book.save(exported)
    capsys.readouterr()

    assert main([*base, "verify", "--against", str(exported)]) == 1

    out = capsys.readouterr().out
    assert "内容与记录不符" in out and "与记录一致" not in out
    shown = {
        "number_format": "单元格 E4（整改台账表）的数字格式",
        "hidden_row": "第 5 行被隐藏",
        "hidden_column": "E 列被隐藏",
        "hidden_sheet": "明细表被隐藏",
        "date_as_text": "单元格 F4（整改台账表）的数字格式",
        "row_height": "第 5 行被压扁",
        "column_width": "E 列被压窄",
        "white_font": "单元格 D5（整改台账表）的字是白色的",
        "conditional": "条件格式",
        "print_area": "打印区域",
        "comment": "单元格 D4（整改台账表）有批注",
        "foreign_sheet": "说明表不是本软件写的",
    }[disguise]
    assert shown in out


def edited_and_verified(
    path: Path, edit: str, base: list[str], capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    """Set the cell `edit` names (汇总!D3) to 99, if any, then verify the file."""
    import openpyxl

    if edit:
        book = openpyxl.load_workbook(path)
        title, cell = edit.split("!")
        book[title][cell] = 99
        book.save(path)
    capsys.readouterr()
    code = main([*base, "verify", "--against", str(path)])
    return code, capsys.readouterr().out


@pytest.mark.parametrize("edit", ["", "统计!I5", "汇总!F3"])
def test_verify_against_a_final_ledger_compares_its_figures_too(
    store: Path,
    tmp_path: Path,
    campaign: Campaign,
    capsys: pytest.CaptureFixture[str],
    edit: str,
) -> None:
    """The final ledger's 统计 and 汇总 (the figures leaders read) were set to
    0 overdue and verify said the file was 与记录一致: only the ledger and
    detail sheets were compared. They are rebuilt from the log at the file's
    fingerprint too, so what was recorded since does not count."""

    base = ["--store", str(store), "--unit", "褚河街道", "--operator", "张三"]
    final = tmp_path / "final.xlsx"
    assert main([*base, "final", "--unit", "褚河街道", "-o", str(final)]) == 0
    record_later(store, campaign)
    assert main([*base, "screening", "--category", "住房保障", "--item", "2",
                 "--households", "40", "--found", "0", "--on", "6月12日"]) == 0  # fmt: skip

    code, out = edited_and_verified(final, edit, base, capsys)

    if not edit:
        assert code == 0, out
        assert "内容逐格核对：与记录一致" in out and "未逐格核对" not in out, out
    else:
        title, cell = edit.split("!")
        assert code == 1, out
        assert f"单元格 {cell}（{title}表），文件中为“99”" in out, out


def test_replay_says_how_many_of_its_rows_are_withdrawn(
    store: Path, campaign: Campaign, capsys: pytest.CaptureFixture[str]
) -> None:
    """replay's header counted withdrawn findings among its rows (19 条) while
    the sheet exported for the same moment, which leaves them out, had 17."""
    ledger = open_ledger(campaign, store, SetClock(datetime(2022, 6, 10, tzinfo=SHANGHAI)))
    row = next(r for r in ledger.rows() if r.statement == "南村赵某危房未改造")
    ledger.withdraw(OPERATOR, row.finding_id, row.version, reason="重复")
    ledger.close()

    assert main(["--store", str(store), "replay", "--as-of", "2022-06-11"]) == 0

    out = capsys.readouterr().out
    assert "的台账（全部单位）：3 条（其中已作废 1 条）" in out, out


@pytest.mark.parametrize("change", ["renamed", "added"])
def test_verify_against_the_offices_workbook_sees_a_sheet_renamed_or_added(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], change: str
) -> None:
    """褚河街道's sheet renamed 颍川街道 passed as 与记录一致, and a sheet of
    one's own was said to be computed from the rows."""
    import openpyxl

    base = ["--store", str(store), "--operator", "王主任"]
    exported = tmp_path / "汇总.xlsx"
    assert main([*base, "office", "-o", str(exported)]) == 0
    book = openpyxl.load_workbook(exported)
    if change == "renamed":
        book["褚河街道"].title = "颍川街道"
    else:
        book.create_sheet("说明")["A1"] = "后补说明"
    book.save(exported)
    capsys.readouterr()

    assert main([*base, "verify", "--against", str(exported)]) == 1

    out = capsys.readouterr().out
    assert {
        "renamed": "颍川街道表的内容是褚河街道的台账，表名却不是",
        "added": "说明表不是本软件写的",
    }[change] in out, out


@pytest.mark.parametrize("edit", ["", "汇总!C3", "逾期问题!B2", "按责任单位!C2"])
def test_verify_against_a_weeks_office_workbook_compares_its_counts(
    store: Path,
    tmp_path: Path,
    campaign: Campaign,
    capsys: pytest.CaptureFixture[str],
    edit: str,
) -> None:
    """A week's office workbook with its counts invented passed, said 整改台账、
    明细表逐格核对 though it had no such sheet, and left all its tables out.
    Only what the submissions decide (各周报送, 汇总's 应报未报 and 封存) is
    as known when written; the counts are rebuilt as of the week's cut-off."""
    base = ["--store", str(store), "--operator", "王主任"]
    exported = tmp_path / "汇总第1周.xlsx"
    assert main([*base, "office", "--week", "1", "-o", str(exported)]) == 0
    record_later(store, campaign)

    code, out = edited_and_verified(exported, edit, base, capsys)

    if not edit:
        assert code == 0, out
        assert "内容逐格核对：与记录一致（1 个单位的台账及汇总各表" in out, out
        assert "整改台账、明细表" not in out and "各周报送表" in out, out
    else:
        title, cell = edit.split("!")
        assert code == 1, out
        assert f"单元格 {cell}（{title}表），文件中为“99”" in out, out


@pytest.mark.parametrize("edit", ["", "汇总!D3", "逾期问题!B2", "按责任单位!C2"])
def test_verify_against_the_offices_current_workbook_compares_its_tables(
    store: Path,
    tmp_path: Path,
    campaign: Campaign,
    capsys: pytest.CaptureFixture[str],
    edit: str,
) -> None:
    """The office workbook's 汇总 with 已逾期 set to 0, or its 逾期问题 sheet
    emptied, passed as 与记录一致: the tables leaders read were not compared.
    The workbook of the ledger as it stands is rebuilt whole from the log at
    its fingerprint and day, submissions and seals included."""

    base = ["--store", str(store), "--operator", "王主任"]
    assert main(["--store", str(store), "--unit", "褚河街道", "submit", "--week", "1"]) == 0
    exported = tmp_path / "汇总.xlsx"
    assert main([*base, "office", "-o", str(exported)]) == 0
    record_later(store, campaign)

    code, out = edited_and_verified(exported, edit, base, capsys)

    if not edit:
        assert code == 0, out
        assert "内容逐格核对：与记录一致（1 个单位的台账及汇总各表）" in out, out
    else:
        title, cell = edit.split("!")
        assert code == 1, out
        assert f"单元格 {cell}（{title}表），文件中为“99”" in out, out
