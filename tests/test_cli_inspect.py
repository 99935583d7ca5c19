"""The inspection team's commands on real stores: check, signals, sample and undo."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import unicodedata
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from domain.campaign import Campaign
from domain.clock import SetClock
from domain.ledger import Ledger, NewFinding, Operator, open_ledger
from tests.conftest import SHANGHAI
from tests.test_cli import CHINESE, assert_refused
from tui.cli import main

NewFindingFactory = Callable[..., NewFinding]

PLAN = {
    "measures": "入户核实",
    "deadline": date(2022, 6, 20),
    "responsible_unit": "市住建局",
}
ME = Operator("张三", "褚河街道")
HUOLONG = Operator("孙七", "火龙镇")
AS_ME = ["--operator", "张三", "--unit", "褚河街道"]

# Every command runs on an SQLite file and on PostgreSQL (tests/conftest.py).
STORES = ("sqlite", "postgres")
SAMPLE_ID = re.compile(r"已抽取样本 ([0-9a-f-]{36})")


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep the operator's own settings and working folder out of the tests."""
    monkeypatch.delenv("TAIZHANG_OPERATOR", raising=False)
    monkeypatch.delenv("TAIZHANG_UNIT", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def setup(
    campaign: Campaign, store: Path, clock: SetClock
) -> Iterator[Callable[[], Ledger]]:
    """Open the store to prepare it; the command then opens it again on its own."""
    opened: list[Ledger] = []

    def open_() -> Ledger:
        ledger = open_ledger(campaign, store, clock)
        opened.append(ledger)
        return ledger

    yield open_
    for ledger in opened:
        ledger.close()


def run(store: Path, *args: str) -> int:
    return main(["--db", str(store), *args])


def finished(ledger: Ledger, by: Operator, new: NewFinding) -> str:
    finding_id = ledger.record(by, new)
    ledger.report_progress(by, finding_id, 2, on=date(2022, 6, 2), progress="已入户")
    ledger.complete(by, finding_id, 3, on=date(2022, 6, 2), effect="已整改")
    return finding_id


def cells(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


# check


def test_check_of_an_empty_store_finds_nothing(
    store: Path,
    setup: Callable[[], Ledger],
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup()  # an empty store, created as the app creates it
    code = run(store, "check")

    out, err = capsys.readouterr()
    assert code == 0, err
    assert "未发现问题" in out


def test_check_of_a_clean_ledger_exits_zero(
    store: Path,
    setup: Callable[[], Ledger],
    new_finding: NewFindingFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ledger = setup()
    finished(ledger, ME, new_finding(**PLAN))
    finished(ledger, ME, new_finding(statement="乙", **PLAN))
    ledger.close()

    code = run(store, "check")

    out, err = capsys.readouterr()
    assert code == 0, err
    assert "检查了 2 条台账记录，未发现问题" in out


def test_check_lists_the_problems_in_an_aligned_table_and_exits_one(
    store: Path,
    setup: Callable[[], Ledger],
    new_finding: NewFindingFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ledger = setup()
    bare = ledger.record(ME, new_finding(statement="马坪村刘某房屋未做安全性认定"))
    hasty = ledger.record(HUOLONG, new_finding(reporting_unit="火龙镇", **PLAN))
    ledger.complete(HUOLONG, hasty, 2, on=date(2022, 6, 2), effect="已整改")
    ledger.close()

    code = run(store, "check")

    out, err = capsys.readouterr()
    assert code == 1, err
    assert err == ""
    lines = out.splitlines()
    assert "全部单位：检查了 2 条台账记录，2 条有问题，共 3 处" in lines[0]
    assert lines[1].split() == ["单位", "问题", "说明", "问题表述", "问题编号"]
    body = lines[2:]
    assert len(body) == 3
    for text in ("缺完成时限", "未填写整改措施", "完成无进展", "从未报告过进展"):
        assert text in out
    # The numbers (编号, an id's first 8 characters) start in the same terminal
    # column on every line.
    starts = {cells(line[: line.index(fid[:8])]) for line in body for fid in (bare, hasty)
              if fid[:8] in line}  # fmt: skip
    assert len(starts) == 1
    assert cells(lines[1][: lines[1].index("问题编号")]) in starts


def test_check_of_one_unit_ignores_the_others(
    store: Path,
    setup: Callable[[], Ledger],
    new_finding: NewFindingFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ledger = setup()
    ledger.record(ME, new_finding())
    ledger.close()

    assert run(store, "check", "--unit", "火龙镇") == 0
    assert "火龙镇：检查了 0 条台账记录，未发现问题" in capsys.readouterr().out
    assert run(store, "check", "--unit", "褚河街道") == 1


# signals


def test_signals_name_each_clue_with_its_dates(
    store: Path,
    setup: Callable[[], Ledger],
    clock: SetClock,
    new_finding: NewFindingFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ledger = setup()
    withdrawn = ledger.record(ME, new_finding())
    clock.set(datetime(2022, 6, 7, 21, 30, tzinfo=SHANGHAI))
    ledger.withdraw(ME, withdrawn, 1, reason="与甲重复")
    clock.set(datetime(2022, 6, 16, 9, tzinfo=SHANGHAI))
    late = ledger.record(ME, new_finding(found_on=date(2022, 6, 5), statement="迟录"))
    ledger.close()

    code = run(store, "signals")

    out, err = capsys.readouterr()
    assert code == 0, err
    assert "发现 2 条需要核查的线索" in out
    [withdrawal] = [line for line in out.splitlines() if withdrawn[:8] in line]
    assert "截止前作废" in withdrawal
    assert "2022年6月7日 21:30作废" in withdrawal and "与甲重复" in withdrawal
    assert "仅 2 小时" in withdrawal
    [lateness] = [line for line in out.splitlines() if late[:8] in line]
    assert "迟录（疑似漏报）" in lateness
    assert "2022年6月5日发现，应在第 1 周报送，2022年6月16日 09:00才录入" in lateness


def test_signals_of_a_quiet_unit_say_so(
    store: Path,
    setup: Callable[[], Ledger],
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup()  # an empty store, created as the app creates it
    code = run(store, "signals", "--unit", "火龙镇")

    out, err = capsys.readouterr()
    assert code == 0, err
    assert "火龙镇：未发现需要核查的线索" in out


# sample


@pytest.fixture
def awaiting(
    store: Path, setup: Callable[[], Ledger], new_finding: NewFindingFactory
) -> list[str]:
    """Six findings awaiting acceptance in two strata of 褚河街道."""
    ledger = setup()
    ids = [
        finished(ledger, ME, new_finding(category=category, statement=f"{category}{n}",
                                         **PLAN))
        for category in ("housing", "water")
        for n in range(3)
    ]  # fmt: skip
    ledger.close()
    return ids


def test_a_drawn_sample_prints_its_seed_and_redraws_the_same(
    store: Path, awaiting: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(store, *AS_ME, "sample", "--per-stratum", "2", "--seed", "7")

    out, err = capsys.readouterr()
    assert code == 0, err
    assert "种子 7，每层 2 个，共 4 个待验收问题" in out
    assert "住房保障" in out and "饮水安全保障" in out
    found = SAMPLE_ID.search(out)
    assert found
    sample_id = found.group(1)

    assert run(store, "sample", "--redraw", sample_id) == 0
    assert "重抽结果与记录一致" in capsys.readouterr().out
    assert run(store, "sample", "--list") == 0
    listed = capsys.readouterr().out
    assert sample_id in listed and "张三" in listed


def test_a_sample_without_a_seed_prints_the_chosen_one(
    store: Path, awaiting: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(store, "sample", "--per-stratum", "1")

    out, err = capsys.readouterr()
    assert code == 0, err
    assert re.search(r"种子 \d+，每层 1 个，共 2 个待验收问题", out)


@pytest.mark.sqlite_only
def test_a_tampered_sample_fails_its_redraw(
    store: Path, awaiting: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(store, "sample", "--per-stratum", "1", "--seed", "3") == 0
    found = SAMPLE_ID.search(capsys.readouterr().out)
    assert found
    sample_id = found.group(1)
    with sqlite3.connect(store) as db:
        rowid, state = db.execute(
            "SELECT rowid, state FROM stored_events WHERE topic LIKE '%SampleDrawn'"
        ).fetchone()
        record = json.loads(state)
        swapped = next(f for f in awaiting if f not in record["finding_ids"])
        record["finding_ids"][0] = swapped
        db.execute(
            "UPDATE stored_events SET state = ? WHERE rowid = ?",
            (json.dumps(record).encode(), rowid),
        )
    db.close()

    code = run(store, "sample", "--redraw", sample_id)

    out = capsys.readouterr().out
    assert code == 1
    assert "重抽结果与记录不一致" in out
    assert swapped[:8] in out


def test_an_empty_list_of_samples_says_so(
    store: Path,
    setup: Callable[[], Ledger],
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup()  # an empty store, created as the app creates it
    assert run(store, "sample", "--list") == 0
    assert "还没有抽样记录" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args",
    [
        ["sample", "--per-stratum", "0"],
        ["sample", "--redraw", "no-such-sample"],
        ["sample", "--redraw", "00000000-0000-0000-0000-000000000000"],
        ["sample", "--redraw", "x", "--seed", "3"],
        ["check", "--unit", "不存在镇"],
        ["signals", "--unit", "不存在镇"],
    ],
)
def test_inspection_refusals_are_one_chinese_line(
    store: Path,
    awaiting: list[str],
    args: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = run(store, *args)

    assert_refused(code, capsys.readouterr().err)


def test_a_sample_with_nothing_awaiting_acceptance_is_refused(
    store: Path,
    setup: Callable[[], Ledger],
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup()  # an empty store, created as the app creates it
    code = run(store, "sample", "--per-stratum", "2")

    err = capsys.readouterr().err
    assert_refused(code, err)
    assert "没有待验收的问题" in err


@pytest.mark.parametrize(
    ("args", "wording"),
    [
        (["sample"], "须给出以下选项之一"),
        (["sample", "--per-stratum", "1", "--redraw", "x"], "不能与"),
        (["sample", "--per-stratum", "两"], "应是整数"),
        (["undo"], "缺少参数"),
    ],
)
def test_bad_inspection_options_are_refused_in_chinese(
    store: Path, args: list[str], wording: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(store, *args)

    err = capsys.readouterr().err
    assert code == 2
    assert "参数有误" in err and wording in err
    assert not re.search(r"one of|not allowed|required", err)


# undo


def test_undo_takes_back_the_operators_last_step(
    store: Path,
    setup: Callable[[], Ledger],
    new_finding: NewFindingFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ledger = setup()
    finding_id = ledger.record(ME, new_finding(**PLAN))
    ledger.report_progress(ME, finding_id, 2, on=date(2022, 6, 2), progress="已入户")
    ledger.close()

    code = run(store, *AS_ME, "undo", finding_id)

    out, err = capsys.readouterr()
    assert code == 0, err
    assert "已撤销第 3 步（报告进展）" in out
    assert "进展次数：0" in out and "进展日期：（空）" in out
    again = setup()
    assert again.row(finding_id).progress_count == 0
    assert again.history(finding_id)[-1].kind == "ChangeUndone"


def test_undo_takes_the_short_number_the_ledger_shows(
    store: Path,
    setup: Callable[[], Ledger],
    new_finding: NewFindingFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`undo` wanted all 36 characters of an id the app never shows; the finding
    page and the refusals name its first 8 (编号), which are enough."""
    ledger = setup()
    finding_id = ledger.record(ME, new_finding(**PLAN))
    ledger.report_progress(ME, finding_id, 2, on=date(2022, 6, 2), progress="已入户")
    ledger.close()

    assert run(store, *AS_ME, "undo", f" {finding_id[:8].upper()} ") == 0, capsys.readouterr()
    assert "已撤销第 3 步（报告进展）" in capsys.readouterr().out
    assert run(store, *AS_ME, "undo", finding_id[:3]) == 2
    assert "至少" in capsys.readouterr().err


def test_undo_says_what_came_back_without_a_doubled_full_stop(
    store: Path,
    setup: Callable[[], Ledger],
    new_finding: NewFindingFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ledger = setup()
    finding_id = ledger.record(ME, new_finding(statement="东村王某未挂牌。"))
    ledger.correct(ME, finding_id, 1, field="statement", value="东村王某未悬挂标识牌。", reason="表述不准")
    ledger.close()

    assert run(store, *AS_ME, "undo", finding_id[:8]) == 0
    out = capsys.readouterr().out
    assert "恢复为：问题表述：东村王某未挂牌。" in out and "。。" not in out, out


def test_undo_refusals_are_one_chinese_line(
    store: Path,
    setup: Callable[[], Ledger],
    new_finding: NewFindingFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ledger = setup()
    planned = ledger.record(ME, new_finding(**PLAN))
    bare = ledger.record(ME, new_finding())
    ledger.close()

    for args, wording in (
        (["--operator", "李四", "--unit", "褚河街道", "undo", planned], "张三"),
        # The same name under another unit: said so, not “only 张三 may undo”.
        (["--operator", "张三", "--unit", "火龙镇", "undo", planned], "请核对 --unit"),
        ([*AS_ME, "undo", bare], "作废"),
        ([*AS_ME, "undo", "no-such-finding"], "找不到问题"),
    ):
        code = run(store, *args)
        err = capsys.readouterr().err
        assert_refused(code, err)
        assert wording in err

    assert run(store, *AS_ME, "undo", planned) == 0
    capsys.readouterr()
    code = run(store, *AS_ME, "undo", planned)
    err = capsys.readouterr().err
    assert_refused(code, err)
    assert "不能再撤销" in err
    assert CHINESE.search(err)


def test_a_reader_that_stops_reading_early_is_not_a_fault(
    store: Path, setup: Callable[[], Ledger], new_finding: NewFindingFactory
) -> None:
    """`taizhang check | head` used to end in 发生意外错误 once head had stopped."""
    ledger = setup()
    ledger.record(ME, new_finding())
    ledger.close()
    script = Path(sys.executable).parent / "taizhang"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAIZHANG_")}

    command = subprocess.Popen(
        [str(script), "--db", str(store), "check"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert command.stdout is not None
    command.stdout.close()
    _, err = command.communicate(timeout=120)

    assert command.returncode == 141
    assert err == b""


@pytest.mark.parametrize(
    "command",
    [["replay", "--as-of", "2022-06-10"], ["week", "1"]],
    ids=["replay", "week"],
)
def test_a_statement_as_long_as_a_cell_holds_is_cut_in_a_listing(
    store: Path,
    setup: Callable[[], Ledger],
    new_finding: NewFindingFactory,
    clock: SetClock,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
) -> None:
    """`week 2` printed a 32,766-character statement whole: thousands of lines."""
    ledger = setup()
    ledger.record(ME, new_finding(statement="东村王某住房未挂牌" * 3000))
    ledger.close()
    clock.set(datetime(2022, 6, 12, 9, tzinfo=SHANGHAI))

    assert run(store, *command) == 0

    out = capsys.readouterr().out
    assert "东村王某" in out and "…" in out
    assert len(out.splitlines()) < 60, len(out.splitlines())
