"""`taizhang stats` and `taizhang final` on a real store: figures, files and refusals."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from domain.campaign import Campaign, load_campaign
from domain.clock import SetClock
from domain.ledger import NewFinding, Operator, open_ledger
from tests.conftest import SHANGHAI
from tui.cli import main

CHINESE = re.compile(r"[\u4e00-\u9fff]")
OPERATOR = Operator("张三", "褚河街道")


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep the operator's own settings and working folder out of the tests."""
    monkeypatch.delenv("TAIZHANG_OPERATOR", raising=False)
    monkeypatch.delenv("TAIZHANG_UNIT", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def store(tmp_path: Path, campaign: Campaign) -> Path:
    """Two findings of 褚河街道 in week 1, one done on time, one overdue."""
    path = tmp_path / "ledger.sqlite"
    clock = SetClock(datetime(2022, 6, 2, 10, 0, tzinfo=SHANGHAI))
    ledger = open_ledger(campaign, path, clock)
    plan = {"measures": "整改", "responsible_unit": "市住建局"}
    done = ledger.record(
        OPERATOR,
        NewFinding(
            "褚河街道",
            "housing",
            1,
            "个性问题",
            "未挂牌",
            date(2022, 6, 1),
            deadline=date(2022, 6, 5),
            **plan,
        ),
    )
    ledger.record(
        OPERATOR,
        NewFinding(
            "褚河街道",
            "water",
            2,
            "共性问题",
            "水质报告未张贴",
            date(2022, 6, 2),
            deadline=date(2022, 6, 3),
            **plan,
        ),
    )
    ledger.complete(OPERATOR, done, 2, on=date(2022, 6, 2), effect="已挂牌")
    ledger.record_screening(
        OPERATOR, "褚河街道", "health", 1, households=30, problems_found=0
    )
    ledger.close()
    return path


def assert_refused(code: int, err: str) -> None:
    assert code == 2
    assert CHINESE.search(err), err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err


def test_stats_prints_the_totals_tables_and_weekly_bars(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--store", str(store), "stats", "--week", "1"])

    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith(
        "全部单位，第 1 周结束时上报的情况，以 2022年6月7日 计：发现问题 2 个，"
        "已完成整改 1 个（已销号 0 个），尚未完成 1 个，逾期 1 个，已作废 0 个；"
        "按时完成率 50.0%（按时完成 1 个，应完成 2 个）。"
    )
    for title in ("分类分性质统计", "按单位统计", "逾期问题 1 个", "每周新增与销号"):
        assert title in out
    # A 已作废 column stands beside 合计, which leaves it out: the titles say so.
    assert out.count("（合计不含作废）") == 3
    assert re.search(r"第1周\s+06-01—06-07\s+2\s+█+\s+0", out)


@pytest.mark.parametrize(
    "args",
    [
        ["stats", "--week", "9"],
        ["stats", "--unit", "某某镇"],
    ],
)
def test_stats_refuses_in_one_chinese_line(
    store: Path, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--store", str(store), *args])

    assert_refused(code, capsys.readouterr().err)


def test_final_writes_the_ledger_and_the_markdown_beside_it(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--store", str(store), "--unit", "褚河街道", "final"])

    out = capsys.readouterr().out
    assert code == 0
    workbook = tmp_path / "整改台账-褚河街道-终版.xlsx"
    summary = tmp_path / "整改台账-褚河街道-终版.md"
    assert f"已导出 {workbook.name}" in out and summary.name in out
    assert load_workbook(workbook).sheetnames == ["整改台账", "明细", "统计", "汇总"]
    text = summary.read_text(encoding="utf-8")
    assert "共发现问题 2 个（共性问题 1 个、个性问题 1 个）" in text
    assert "31 项排查内容已排查 3 项" in text


def test_a_sealed_final_ledger_says_on_paper_who_sealed_it(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The final workbook of a sealed ledger looked like any export: only the
    Markdown summary said 已由 王主任 签字封存."""
    base = ["--store", str(store), "--unit", "褚河街道"]
    assert main([*base, "final", "-o", "before.xlsx"]) == 0
    assert main([*base, "seal", "--signer", "王主任", "--force"]) == 0
    sealed = re.search(r"指纹 (p\d+-[0-9a-f]+)", capsys.readouterr().out)
    assert sealed, "the seal names its fingerprint"
    assert main([*base, "final", "-o", "after.xlsx"]) == 0
    capsys.readouterr()

    before = load_workbook(tmp_path / "before.xlsx")["整改台账"].oddFooter.left.text
    after = load_workbook(tmp_path / "after.xlsx")["整改台账"].oddFooter.left.text
    assert not before
    said = re.fullmatch(
        rf"已由 王主任 于 \d{{4}}年\d{{1,2}}月\d{{1,2}}日 签字封存（封存时指纹 {sealed[1]}）",
        after,
    )
    assert said, after
    # Also where a file's properties are read, not only on the printed page.
    properties = load_workbook(tmp_path / "after.xlsx").properties
    assert properties.contentStatus == after
    assert load_workbook(tmp_path / "before.xlsx").properties.contentStatus is None


def test_a_final_ledger_changed_after_its_seal_says_so(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Acceptance after the seal changed the final ledger, whose footer still
    read 已由 王主任 签字封存 beside a fingerprint the signer never saw."""
    base = ["--store", str(store), "--unit", "褚河街道"]
    assert main([*base, "seal", "--signer", "王主任", "--force"]) == 0
    sealed = re.search(r"指纹 (p\d+-[0-9a-f]+)", capsys.readouterr().out)
    assert sealed
    clock = SetClock(datetime(2022, 6, 24, 9, 0, tzinfo=SHANGHAI))
    ledger = open_ledger(load_campaign(), store, clock)
    try:
        done = next(r for r in ledger.rows() if r.completed_on is not None)
        inspector = Operator("赵组长", "市巩固拓展脱贫攻坚成果调研指导组")
        ledger.pass_acceptance(inspector, done.finding_id, done.version, on=date(2022, 6, 24))
    finally:
        ledger.close()

    assert main([*base, "final", "-o", "after.xlsx", "--markdown", "after.md"]) == 0

    after = load_workbook(tmp_path / "after.xlsx")["整改台账"].oddFooter.left.text
    assert after.endswith(f"签字封存（封存时指纹 {sealed[1]}），封存后该单位的问题又有 1 条记录"), after
    markdown = (tmp_path / "after.md").read_text(encoding="utf-8")
    assert re.search(
        rf"终版台账已由 王主任 于 \d{{4}}年\d{{1,2}}月\d{{1,2}}日 签字封存"
        rf"（封存时记录指纹 {sealed[1]}）。",
        markdown,
    ), markdown
    assert (
        "封存后该单位的问题又有 1 条记录（验收结果、退回后的整改、验收抽查新发现的问题等），"
        "已计入本表。" in markdown
    ), markdown


def test_final_takes_its_unit_and_both_paths(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "--store",
            str(store),
            "final",
            "--unit",
            "火龙镇",
            "-o",
            str(tmp_path / "终版.xlsx"),
            "--markdown",
            str(tmp_path / "总结.md"),
        ]
    )

    assert code == 0, capsys.readouterr().err
    assert load_workbook(tmp_path / "终版.xlsx")["整改台账"]["A2"].value == (
        "单位（盖章）：火龙镇"
    )
    assert "# 火龙镇整改情况统计" in (tmp_path / "总结.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["-o", "终版.txt"], "须以 .xlsx 结尾"),
        (["--markdown", "没有的文件夹/总结.md"], "文件夹不存在"),
        (["--markdown", "总结.txt"], "须以 .md 结尾"),
        (["--unit", "某某镇"], "某某镇"),
    ],
)
def test_final_refuses_before_writing_either_file(
    store: Path,
    tmp_path: Path,
    args: list[str],
    words: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = set(tmp_path.iterdir())

    code = main(["--store", str(store), "--unit", "褚河街道", "final", *args])

    err = capsys.readouterr().err
    assert_refused(code, err)
    assert words in err
    assert {p for p in tmp_path.iterdir() if p.suffix in (".xlsx", ".md")} == {
        p for p in before if p.suffix in (".xlsx", ".md")
    }


def test_screening_is_recorded_and_coverage_lists_what_is_left(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--category", "住房保障", "--item", "2", "--households", "120", "--on", "6月3日"]
    code = main(
        [
            "--store",
            str(store),
            "--unit",
            "褚河街道",
            "screening",
            *args,
            "--found",
            "0",
        ]
    )
    assert code == 0
    assert "已登记 褚河街道 的排查情况：住房保障 第 2 项" in capsys.readouterr().out

    code = main(["--store", str(store), "coverage", "--unit", "褚河街道"])

    out = capsys.readouterr().out
    assert code == 0
    assert re.search(r"褚河街道\s+4/31\s+2\s+27", out)
    assert "褚河街道 未排查的排查内容 27 项" in out
    assert "危房改造质量达标" in out


def test_coverage_names_items_whose_screening_and_ledger_disagree(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A screening of 0 problems under an item with a finding in the ledger, or
    of 3 problems with none entered, passed without a word: the office's list
    of what to ask a unit about was the ledger's own check only."""
    base = ["--store", str(store), "--unit", "褚河街道", "screening", "--on", "6月3日"]
    housing = ["--category", "住房保障", "--item", "1", "--households", "40", "--found", "0"]
    water = ["--category", "饮水安全保障", "--item", "1", "--households", "25", "--found", "3"]
    assert main([*base, *housing]) == 0
    assert main([*base, *water]) == 0
    capsys.readouterr()

    code = main(["--store", str(store), "coverage", "--unit", "褚河街道"])

    out = capsys.readouterr().out
    assert code == 0
    assert "褚河街道 排查发现的问题数与台账不一致 2 项" in out, out
    assert re.search(r"住房保障\s+1\s+0\s+1\s", out), out
    assert re.search(r"饮水安全保障\s+1\s+3\s+0\s", out), out
    # health 1 was screened with 0 found and has no finding: it agrees.
    assert not re.search(r"健康保障\s+1\s+0\s+0\s", out), out

    code = main(["--store", str(store), "coverage"])

    out = capsys.readouterr().out
    assert re.search(r"褚河街道\s+4/31\s+3\s+27\s+2\s", out), out
    # The office and the team screen no check items: 37 units, not 39.
    assert "领导小组办公室" not in out and "调研指导组" not in out, out
    assert len(re.findall(r"\s\d+/31\s", out)) == 37, out


def test_a_negative_count_is_refused_in_one_chinese_line(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--category", "住房保障", "--item", "2", "--households", "-5", "--on", "6月3日"]

    code = main(["--store", str(store), "--unit", "褚河街道", "screening", *args, "--found", "0"])

    err = capsys.readouterr().err
    assert_refused(code, err)
    assert "“排查户数”应填 0 或正整数，不能是“-5”" in err


def test_a_screening_from_papers_is_dated_with_on(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every screening was dated the day typed, 2026 for papers of 2022."""
    args = ["--category", "住房保障", "--item", "2", "--households", "9", "--found", "0"]
    base = ["--store", str(store), "--unit", "褚河街道", "screening", *args]

    assert main([*base, "--on", "6月3日"]) == 0
    assert "（排查日期 2022年6月3日）" in capsys.readouterr().out
    ledger = open_ledger(load_campaign(), store)
    try:
        assert ledger.screenings()[-1].on == date(2022, 6, 3)
    finally:
        ledger.close()

    # Without --on, after the campaign: it was dated today, years later.
    code = main(base)
    err = capsys.readouterr().err
    assert_refused(code, err)
    assert "--on" in err, err

    for day, said in (("6月31日", "该月没有这一天"), ("2022-07-05", "排查日期")):
        code = main([*base, "--on", day])
        err = capsys.readouterr().err
        assert_refused(code, err)
        assert said in err, err


def test_the_latest_screening_is_undone_from_the_command_line(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A screening typed wrong (800 households for 80) stayed counted for good."""
    base = ["--store", str(store), "--unit", "褚河街道"]
    coverage = ["--store", str(store), "coverage", "--unit", "褚河街道"]
    assert main(coverage) == 0
    before = capsys.readouterr().out
    typo = ["--category", "住房保障", "--item", "2", "--households", "800", "--found", "3"]
    assert main([*base, "screening", *typo, "--on", "6月3日"]) == 0
    capsys.readouterr()

    code = main([*base, "undo-screening"])

    out = capsys.readouterr().out
    assert code == 0
    assert (
        "已撤销 褚河街道 的排查登记：住房保障 第 2 项，排查 800 户，发现问题 3 个"
        "（排查日期 2022年6月3日）。" in out
    ), out
    assert main(coverage) == 0
    assert capsys.readouterr().out == before

    # The one before it was 张三's (the store's own): only 张三 takes it back.
    code = main([*base, "undo-screening"])

    err = capsys.readouterr().err
    assert_refused(code, err)
    assert "最近一次排查登记是 张三 录入的，只有录入人本人可以撤销" in err, err
    assert main([*base, "--operator", "张三", "undo-screening"]) == 0
    assert "健康保障 第 1 项，排查 30 户" in capsys.readouterr().out

    code = main([*base, "--operator", "张三", "undo-screening"])

    err = capsys.readouterr().err
    assert_refused(code, err)
    assert "褚河街道 没有可撤销的排查登记。" in err, err


def test_stats_count_findings_by_responsible_unit(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The office chases departments by what they are responsible for."""
    code = main(["--store", str(store), "stats", "--week", "1"])

    out = capsys.readouterr().out
    assert code == 0
    part = out[out.index("按责任单位统计") : out.index("逾期问题")]
    assert re.search(r"市住建局\s+0\s+1\s+1\s+0\s+0\s+2\s+1\s+50\.0%", part), part
    assert re.search(r"市水利局\s+0\s+0\s+0\s+0\s+0\s+0\s+0\s+—", part), part


def test_a_screening_typed_twice_is_pointed_out(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same screening entered twice was summed without a word."""
    args = ["--category", "住房保障", "--item", "2", "--households", "120", "--found", "0"]
    base = ["--store", str(store), "--unit", "褚河街道", "screening", *args, "--on", "6月3日"]
    assert main(base) == 0
    assert "相同" not in capsys.readouterr().out

    assert main(base) == 0

    out = capsys.readouterr().out
    assert "已登记 褚河街道 的排查情况" in out
    assert (
        "注意：与此前登记的一次（排查日期 2022年6月3日）完全相同，已累加；"
        "如属重复录入，可用 undo-screening 撤销。" in out
    ), out


def test_a_seal_given_only_the_units_name_is_stamped_with_that_unit(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With no register and no --unit before the command, the seal of 褚河街道
    was stamped as done by an operator of 颍川街道, the campaign's first township."""
    code = main(["--store", str(store), "seal", "--unit", "褚河街道", "--signer", "王主任", "--force"])
    assert code == 0, capsys.readouterr().err

    ledger = open_ledger(load_campaign(), store)
    try:
        [seal] = [e for e in ledger.events_in_order() if type(e).__name__ == "FinalLedgerSealed"]
    finally:
        ledger.close()
    assert seal.operator_unit == "褚河街道"


def test_a_forced_seal_says_what_it_sealed_over(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`seal --force` printed the signer and fingerprint only: what was still
    open, and which weeks were never handed in, went unsaid."""
    code = main(["--store", str(store), "--unit", "褚河街道", "seal", "--signer", "王主任", "--force"])

    out = capsys.readouterr().out
    assert code == 0
    assert "已按 --force 封存：褚河街道还有 1 个问题未完成整改" in out, out
    assert "周台账未报送" in out, out


def test_a_unit_named_in_part_is_refused_naming_the_unit_meant(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`stats --unit 褚河` was refused with no hint, while a wrong category
    lists the categories there are."""
    code = main(["--store", str(store), "stats", "--unit", "褚河"])

    err = capsys.readouterr().err
    assert_refused(code, err)
    assert "“单位”的值“褚河”不在本次工作的定义中。可填：褚河街道。" in err, err


def test_a_week_outside_the_campaign_is_refused_listing_the_weeks(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`submit --week 5` said only that 5 is not defined; `stats --week 9`
    named the weeks there are."""
    code = main(["--store", str(store), "--unit", "褚河街道", "submit", "--week", "5"])

    err = capsys.readouterr().err
    assert_refused(code, err)
    assert "“周次”的值“5”不在本次工作的定义中。可填：1、2、3、4。" in err, err


@pytest.mark.parametrize(
    ("typed", "meant"), [("褚河镇", "褚河街道"), ("市住建委", "市住建局")]
)
def test_a_unit_misspelt_is_refused_naming_the_units_it_is_close_to(
    store: Path, capsys: pytest.CaptureFixture[str], typed: str, meant: str
) -> None:
    """褚河镇 for 褚河街道 or 市住建委 for 市住建局 was refused with no hint."""
    code = main(["--store", str(store), "stats", "--unit", typed])

    err = capsys.readouterr().err
    assert_refused(code, err)
    assert f"可填：{meant}" in err, err


def test_a_household_kind_not_defined_is_refused_listing_the_kinds(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Correcting 户类型 to 贫困户 said only that it is not defined."""
    from domain.campaign import load_campaign
    from domain.errors import UnknownValueError
    from domain.ledger import open_ledger
    from tui.wording import explain

    ledger = open_ledger(load_campaign(), store)
    try:
        row = ledger.rows()[0]
        with pytest.raises(UnknownValueError) as refused:
            ledger.correct(Operator("张三", row.reporting_unit), row.finding_id, row.version,
                           field="household_kind", value="贫困户", reason="改类型")  # fmt: skip
    finally:
        ledger.close()
    assert "可填：脱贫户、监测对象、一般农户。" in explain(refused.value)
