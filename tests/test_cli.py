"""The taizhang command line on real stores: demo data, exports and refusals."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from domain.campaign import load_campaign
from domain.ledger import Ledger, Operator, open_ledger
from domain.state import Status
from tests.conftest import VALID_FINDING
from tui.cli import main

UNIT = "褚河街道"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep the operator's own settings and working folder out of the tests."""
    monkeypatch.delenv("TAIZHANG_OPERATOR", raising=False)
    monkeypatch.delenv("TAIZHANG_UNIT", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store filled once by `taizhang demo`; tests only read it."""
    store = tmp_path_factory.mktemp("demo") / "ledger.sqlite"
    assert main(["--store", str(store), "demo"]) == 0
    return store


@pytest.fixture
def ledger(demo_store: Path) -> Iterator[Ledger]:
    opened = open_ledger(load_campaign(), demo_store)
    yield opened
    opened.close()


def ledger_rows(path: Path) -> list[tuple[object, ...]]:
    """Return the finding rows of an exported ledger: numbered rows under the header."""
    sheet = load_workbook(path)["整改台账"]
    assert sheet["A3"].value == "序号"
    return [
        row
        for row in sheet.iter_rows(min_row=4, values_only=True)
        if isinstance(row[0], int)
    ]


def all_values(path: Path) -> dict[str, list[tuple[object, ...]]]:
    workbook = load_workbook(path)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in workbook}


def assert_refused(code: int, err: str) -> None:
    assert code == 2
    assert CHINESE.search(err), err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err


def test_demo_fills_a_fresh_store_with_every_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "ledger.sqlite"

    code = main(["--store", str(store), "demo", "--seed", "3"])

    out, err = capsys.readouterr()
    assert code == 0, err
    assert "演示数据" in out
    ledger = open_ledger(load_campaign(), store)
    try:
        rows = ledger.rows()
        assert {row.status for row in rows} == set(Status)
        assert 60 <= len(rows) <= 120
        assert UNIT in {row.reporting_unit for row in rows}
        assert len({row.category for row in rows}) == 7
        assert any(
            row.returned_count and row.status is Status.IN_PROGRESS for row in rows
        )
        assert any(row.extensions for row in rows)
        for status in Status:
            count = sum(1 for row in rows if row.status is status)
            assert f"{status} {count} 个" in out
    finally:
        ledger.close()


def test_demo_is_the_same_for_the_same_seed(tmp_path: Path) -> None:
    stores = [tmp_path / "a.sqlite", tmp_path / "b.sqlite"]

    for store in stores:
        assert main(["--store", str(store), "demo", "--seed", "11"]) == 0

    seen = []
    for store in stores:
        ledger = open_ledger(load_campaign(), store)
        rows = ledger.rows()
        seen.append([(r.statement, r.status, r.deadline, r.recorded_at) for r in rows])
        ledger.close()
    assert seen[0] == seen[1]


@pytest.mark.parametrize("week", [1, 2, 3, 4])
def test_every_report_week_of_chuhe_exports_rows(
    demo_store: Path, tmp_path: Path, week: int, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / f"week{week}.xlsx"

    code = main(
        ["--store", str(demo_store), "export", "--unit", UNIT, "--week", str(week),
         "-o", str(target)]
    )  # fmt: skip

    out, err = capsys.readouterr()
    assert code == 0, err
    rows = ledger_rows(target)
    assert len(rows) > 0
    assert f"共 {len(rows)} 行" in out
    assert UNIT in out and f"第 {week} 周" in out


@pytest.fixture
def late_store(tmp_path: Path) -> Path:
    """A store holding one finding of June 1, entered today (years later)."""
    store = tmp_path / "late.sqlite"
    ledger = open_ledger(load_campaign(), store)
    try:
        ledger.record(Operator("张三", UNIT), replace(VALID_FINDING, reporting_unit=UNIT))
    finally:
        ledger.close()
    return store


def test_a_week_export_says_what_was_entered_after_its_cut_off(
    late_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Papers of week 1 entered years later are not on week 1's sheet as reported:
    the export says so instead of handing over a blank ledger without a word."""
    store = late_store
    code = main(
        ["--store", str(store), "--unit", UNIT, "export", "--week", "1", "-o", "w1.xlsx"]
    )

    out, err = capsys.readouterr()
    assert code == 0, err
    assert ledger_rows(tmp_path / "w1.xlsx") == []
    assert "共 0 行" in out
    assert "另有 1 个问题" in out and "截止之后才录入" in out

    # The same week as now known: by business day, the late entry included.
    code = main(["--store", str(store), "--unit", UNIT, "export", "--week", "1", "--known"])

    out, err = capsys.readouterr()
    assert code == 0, err
    known = tmp_path / f"整改台账-{UNIT}-第1周（现在所知）.xlsx"
    assert [row[3] for row in ledger_rows(known)] == [VALID_FINDING.statement]
    # On paper too it must not pass for the sheet handed in at the time.
    footer = load_workbook(known)["整改台账"].oddFooter.left.text
    assert "现在所知" in footer and "截止后补录" in footer
    assert "现在所知" in out and "共 1 行" in out and "截止之后才录入" not in out


def test_replay_says_what_was_entered_after_the_moment(
    late_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Papers of June 1 entered years later: `replay --as-of 6月7日` printed
    0 rows and nothing else, as if the township had found nothing."""
    code = main(["--store", str(late_store), "--unit", UNIT, "replay", "--as-of", "6月7日"])

    out, err = capsys.readouterr()
    assert code == 0, err
    assert "：0 条" in out
    assert "另有 1 个问题" in out and "之后才录入" in out and "现在所知" in out, out


@pytest.mark.parametrize(
    "command",
    [
        ["export", "--week", "1"],
        ["submit", "--week", "1"],
        ["screening", "--category", "住房保障", "--item", "2", "--households", "9", "--found", "0"],
    ],
)
def test_a_command_for_ones_own_unit_asks_which_when_nothing_names_it(
    demo_store: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """`export --week 1` wrote 颍川街道's empty sheet for a clerk of another unit."""
    def head() -> int:
        ledger = open_ledger(load_campaign(), demo_store)
        try:
            assert not ledger.operators()
            return ledger.head()
        finally:
            ledger.close()

    before = head()

    code = main(["--store", str(demo_store), "--operator", "李静", *command])

    err = capsys.readouterr().err
    assert code == 2
    assert "--unit" in err and "哪个单位" in err
    assert not list(Path.cwd().glob("*.xlsx"))
    assert head() == before


def test_export_names_the_file_after_unit_and_week(
    demo_store: Path, tmp_path: Path
) -> None:
    assert (
        main(["--store", str(demo_store), "--unit", UNIT, "export", "--week", "2"]) == 0
    )
    assert main(["--store", str(demo_store), "export", "--unit", UNIT]) == 0

    assert (tmp_path / f"整改台账-{UNIT}-第2周.xlsx").is_file()
    assert (tmp_path / f"整改台账-{UNIT}-当前.xlsx").is_file()


def test_global_options_may_follow_the_command(
    demo_store: Path, tmp_path: Path
) -> None:
    code = main(
        ["--unit", UNIT, "export", "--week", "1", "-o", "w1.xlsx",
         "--store", str(demo_store), "--operator", "李静"]
    )  # fmt: skip

    assert code == 0
    assert ledger_rows(tmp_path / "w1.xlsx")


def test_exporting_a_week_twice_gives_the_same_cells(
    demo_store: Path, tmp_path: Path
) -> None:
    first, second = tmp_path / "first.xlsx", tmp_path / "second.xlsx"

    for target in (first, second):
        args = ["--store", str(demo_store), "export", "--unit", UNIT, "--week", "1"]
        assert main([*args, "-o", str(target)]) == 0

    assert all_values(first) == all_values(second)


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (["export", "--unit", UNIT, "--week", "1", "-o", "mine.xlsx"], "mine.xlsx"),
        (["export", "--unit", UNIT, "--week", "1"], f"整改台账-{UNIT}-第1周.xlsx"),
        (["week", "1", "--unit", UNIT, "-o", "mine.xlsx"], "mine.xlsx"),
        (["office", "-o", "mine.xlsx"], "mine.xlsx"),
        (["final", "--unit", UNIT, "-o", "mine.xlsx"], "mine.xlsx"),
        (["final", "--unit", UNIT, "-o", "new.xlsx", "--markdown", "mine.md"], "mine.md"),
        (["bundle", "export", "--unit", UNIT, "-o", "mine.tzb"], "mine.tzb"),
    ],
    ids=["export-o", "export-default-name", "week", "office", "final", "final-summary",
         "bundle"],
)  # fmt: skip
def test_a_file_already_there_is_kept_unless_replace_is_asked(
    demo_store: Path,
    tmp_path: Path,
    args: list[str],
    name: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A sheet edited by hand since is not written over by the next export."""
    kept = tmp_path / name
    kept.write_bytes(b"edited by hand")

    code = main(["--store", str(demo_store), *args])

    err = capsys.readouterr().err
    assert_refused(code, err)
    assert "已存在" in err and "--replace" in err, err
    assert kept.read_bytes() == b"edited by hand"
    assert not (tmp_path / "new.xlsx").exists()

    assert main(["--store", str(demo_store), *args, "--replace"]) == 0
    assert kept.read_bytes() != b"edited by hand"


def test_demo_refuses_a_store_that_holds_events(
    demo_store: Path, ledger: Ledger, capsys: pytest.CaptureFixture[str]
) -> None:
    before = ledger.head()

    code = main(["--store", str(demo_store), "demo"])

    assert_refused(code, capsys.readouterr().err)
    ledger.catch_up()
    assert ledger.head() == before


@pytest.mark.parametrize(
    "args",
    [
        ["export", "--unit", "不存在镇"],
        ["export", "--unit", UNIT, "--week", "9"],
        ["--unit", "不存在镇", "export"],
        ["export", "--unit", UNIT, "-o", "ledger.csv"],
        ["export", "--unit", UNIT, "-o", "no/such/folder/ledger.xlsx"],
        ["--operator", " ", "export"],
    ],
    ids=["unknown-unit", "week-9", "unknown-operator-unit", "not-xlsx", "no-folder",
         "blank-operator"],
)  # fmt: skip
def test_export_refusals_are_one_chinese_line(
    demo_store: Path,
    tmp_path: Path,
    args: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["--store", str(demo_store), *args])

    assert_refused(code, capsys.readouterr().err)
    assert not list(tmp_path.glob("*.xlsx"))


def test_a_broken_campaign_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('id = "x"\nname = [unclosed\n', encoding="utf-8")
    store = tmp_path / "ledger.sqlite"

    code = main(["--store", str(store), "--campaign", str(broken), "export"])

    err = capsys.readouterr().err
    assert_refused(code, err)
    assert "broken.toml" in err


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda t: t.replace('id = "yuzhou-2022"\n', ""), "字段 id 不符合要求（缺少此项）"),
        (lambda t: t.replace("year = 2022", 'year = "二〇二二"'), "（应为整数）"),
        (lambda t: t + "\nwho_knows = 1\n", "（不认识的字段）"),
        (lambda t: t.replace('"Asia/Shanghai"', '"Mars/Olympus"'), "不认识的时区“Mars/Olympus”"),
        (lambda t: t.replace('kind = "campaign"', 'kind = "month"'), "应为 'campaign' 或 'iso'"),
        (lambda t: t.replace('"火龙镇",', '"火龙镇", "火龙镇",', 1), "“火龙镇”重复列出"),
    ],
)
def test_a_campaign_file_with_a_wrong_field_is_refused_in_chinese(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: Any, said: str
) -> None:
    """A missing field was reported as `字段 id 不符合要求（Field required）`."""
    from domain.campaign import DEFAULT_CAMPAIGN_FILE

    text = DEFAULT_CAMPAIGN_FILE.read_text(encoding="utf-8")
    assert 'id = "yuzhou-2022"\n' in text and "year = 2022" in text
    broken = tmp_path / "broken.toml"
    broken.write_text(change(text), encoding="utf-8")

    code = main(["--store", str(tmp_path / "s.sqlite"), "--campaign", str(broken), "check"])

    err = capsys.readouterr().err
    assert_refused(code, err)
    assert said in err


@pytest.mark.parametrize(
    "args",
    [
        ["export", "--week", "abc"],
        ["export", "--week", "0"],
        ["demo", "--seed", "x"],
        ["frob"],
        ["export", "--bogus"],
    ],
)
def test_bad_option_values_are_refused_in_chinese(
    tmp_path: Path, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--store", str(tmp_path / "ledger.sqlite"), *args])

    err = capsys.readouterr().err
    assert code == 2
    assert "参数有误" in err
    assert "Traceback" not in err


def test_a_folder_given_as_the_store_is_refused_and_logged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A folder given as the store used to end in a ValueError traceback, then
    in the generic "cannot read or write"."""
    folder = tmp_path / "folder"
    folder.mkdir()

    code = main(["--store", str(folder), "export"])

    err = capsys.readouterr().err
    assert code == 2
    assert "它是一个文件夹" in err and "Traceback" not in err
    log_file = tmp_path / "data" / "taizhang" / "taizhang.log"
    assert "refused: NotAStoreError" in log_file.read_text(encoding="utf-8")


def test_no_command_opens_the_screen_and_closes_the_ledger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tui.app

    seen: dict[str, Any] = {}

    def run(app: tui.app.TaizhangApp) -> None:
        seen["operator"] = app.operator
        seen["ledger"] = app.ledger

    monkeypatch.setattr(tui.app.TaizhangApp, "run", run)
    store = tmp_path / "ledger.sqlite"

    code = main(["--store", str(store), "--operator", "李静", "--unit", UNIT])

    assert code == 0
    assert seen["operator"].name == "李静" and seen["operator"].unit == UNIT
    assert seen["ledger"].closing.is_set()


def test_no_unit_given_and_no_register_opens_on_the_choice_of_unit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tui.app

    seen: dict[str, Any] = {}

    def run(app: tui.app.TaizhangApp) -> None:
        seen["signed_in"], seen["name"] = app.signed_in, app.operator.name

    monkeypatch.setattr(tui.app.TaizhangApp, "run", run)

    code = main(["--store", str(tmp_path / "ledger.sqlite"), "--operator", "李静"])

    assert code == 0
    assert seen == {"signed_in": False, "name": "李静"}


def test_the_console_script_fills_a_demo(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "taizhang"
    if not script.exists():
        found = shutil.which("taizhang")
        assert found, "the taizhang console script is not installed"
        script = Path(found)
    store = tmp_path / "ledger.sqlite"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAIZHANG_")}

    done = subprocess.run(
        [str(script), "--store", str(store), "demo"],
        check=False,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    assert "演示数据" in done.stdout
    assert done.stderr == ""
    assert store.is_file()


def test_a_store_in_a_missing_folder_is_refused_not_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`demo --store /nonexistent/x.sqlite` silently created the folder."""
    store = tmp_path / "nowhere" / "ledger.sqlite"

    code = main(["--store", str(store), "demo"])

    assert_refused(code, capsys.readouterr().err)
    assert not store.parent.exists()


def test_an_interrupted_demo_leaves_no_store_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl+C during demo left a half-filled store that demo then refused to fill."""
    import domain.demo

    real_fill = domain.demo.fill_demo

    def interrupted(ledger: Ledger, clock: Any, *, seed: int = 7) -> int:
        real_fill(ledger, clock, seed=seed)
        raise KeyboardInterrupt

    # The command imports the filler when it runs, so it finds this one.
    monkeypatch.setattr(domain.demo, "fill_demo", interrupted)
    store = tmp_path / "ledger.sqlite"

    assert main(["--store", str(store), "demo"]) == 130
    assert not store.exists()
    assert list(tmp_path.glob(".ledger.sqlite.demo-*")) == []

    monkeypatch.setattr(domain.demo, "fill_demo", real_fill)
    assert main(["--store", str(store), "demo"]) == 0
