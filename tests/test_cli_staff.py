"""The operator register from the command line, and roles applied to commands."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from domain.campaign import Campaign
from domain.clock import SetClock
from domain.ledger import NewFinding, Operator, open_ledger
from tui.cli import main

STORES = ("sqlite", "postgres")
OFFICE_UNIT = "市巩固拓展脱贫攻坚成果领导小组办公室"
TEAM_UNIT = "市巩固拓展脱贫攻坚成果调研指导组"


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TAIZHANG_OPERATOR", raising=False)
    monkeypatch.delenv("TAIZHANG_UNIT", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)


def run(store: Path | str, *args: str) -> int:
    return main(["--db", str(store), *args])


def staff(store: Path | str) -> None:
    assert (
        run(
            store,
            "--operator",
            "王主任",
            "operator",
            "add",
            "王主任",
            "--unit",
            OFFICE_UNIT,
            "--role",
            "办公室",
        )
        == 0
    )
    assert (
        run(
            store,
            "--operator",
            "王主任",
            "operator",
            "add",
            "张三",
            "--unit",
            "褚河街道",
            "--role",
            "单位",
        )
        == 0
    )
    assert (
        run(
            store,
            "--operator",
            "王主任",
            "operator",
            "add",
            "赵验收",
            "--unit",
            TEAM_UNIT,
            "--role",
            "调研指导组",
        )
        == 0
    )


def test_the_office_registers_operators_and_lists_them(
    store: Path | str, campaign: Campaign, capsys: pytest.CaptureFixture[str]
) -> None:
    open_ledger(campaign, store).close()  # a new store; listing does not make one
    assert run(store, "operator", "list") == 0
    assert "还没有登记操作员" in capsys.readouterr().out

    staff(store)
    assert run(store, "--operator", "王主任", "operator", "retire", "张三") == 0
    assert (
        run(
            store,
            "--operator",
            "王主任",
            "operator",
            "set",
            "赵验收",
            "--unit",
            "火龙镇",
            "--role",
            "单位",
        )
        == 0
    )
    capsys.readouterr()
    assert run(store, "operator", "list") == 0

    out = capsys.readouterr().out
    lines = [line.split() for line in out.splitlines()[1:]]
    assert lines == [
        ["王主任", OFFICE_UNIT, "领导小组办公室", "在岗"],
        ["张三", "褚河街道", "单位操作员", "已停用"],
        ["赵验收", "火龙镇", "单位操作员", "在岗"],
    ]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            [
                "--operator",
                "张三",
                "operator",
                "add",
                "李四",
                "--unit",
                "褚河街道",
                "--role",
                "单位",
            ],
            "不能登记或变更操作员",
        ),
        (["--operator", "路人", "operator", "retire", "张三"], "操作员“路人”没有登记"),
        (
            [
                "--operator",
                "王主任",
                "operator",
                "add",
                "李四",
                "--unit",
                "褚河街道",
                "--role",
                "组长",
            ],
            "“角色”的值“组长”不在本次工作的定义中",
        ),
        (
            ["--operator", "王主任", "operator", "retire", "王主任"],
            "唯一在岗的办公室操作员",
        ),
        (
            ["--operator", "张三", "--unit", "火龙镇", "operator", "list"],
            "登记的单位是褚河街道",
        ),
        # A name no list or header could show was taken.
        (
            ["--operator", "王主任", "operator", "add", "张" * 300, "--unit", "褚河街道",
             "--role", "单位"],
            "最多 20 字",
        ),
        # Nothing to change was answered as a role set to the same value.
        (["--operator", "王主任", "operator", "set", "张三"], "请用 --unit 或 --role"),
    ],
)
def test_register_refusals_are_chinese_and_store_nothing(
    store: Path | str,
    args: list[str],
    said: str,
    capsys: pytest.CaptureFixture[str],
    campaign: Campaign,
) -> None:
    staff(store)
    before = open_ledger(campaign, store)
    head = before.head()
    before.close()

    assert run(store, *args) == 2

    assert said in capsys.readouterr().err
    after = open_ledger(campaign, store)
    assert after.head() == head
    after.close()


def test_the_first_operator_must_be_the_office(
    store: Path | str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(store, "operator", "add", "张三", "--unit", "褚河街道", "--role", "单位")

    assert code == 2
    assert "第一位登记的操作员须是办公室角色" in capsys.readouterr().err


def test_commands_work_as_the_registered_operator(
    store: Path | str,
    campaign: Campaign,
    clock: SetClock,
    new_finding: Callable[..., NewFinding],
    capsys: pytest.CaptureFixture[str],
) -> None:
    staff(store)
    ledger = open_ledger(campaign, store, clock)
    finding_id = ledger.record(
        Operator("张三", "褚河街道"),
        new_finding(
            measures="入户核实", deadline=date(2022, 6, 10), responsible_unit="市住建局"
        ),
    )
    ledger.close()
    capsys.readouterr()

    # 张三 works for 褚河街道 without saying so; the export defaults to it.
    assert run(store, "--operator", "张三", "export") == 0
    assert "已导出 整改台账-褚河街道-当前.xlsx" in capsys.readouterr().out
    # An inspector may not submit a unit's week, nor undo someone else's step.
    assert (
        run(
            store, "--operator", "赵验收", "submit", "--week", "1", "--unit", "褚河街道"
        )
        == 2
    )
    assert "不能报送褚河街道的台账" in capsys.readouterr().err
    assert run(store, "--operator", "路人", "undo", finding_id) == 2
    assert "操作员“路人”没有登记" in capsys.readouterr().err


def test_with_a_register_a_command_for_ones_own_unit_takes_the_registered_one(
    store: Path | str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`final` as 张三 (褚河街道) wrote 颍川街道's; a stranger's export did the same."""
    staff(store)
    capsys.readouterr()

    assert run(store, "--operator", "张三", "final") == 0
    assert "褚河街道 终版台账" in capsys.readouterr().out
    # `week 1 -o` asked 张三 for --unit while export and final did not.
    assert run(store, "--operator", "张三", "week", "1", "-o", "w1.xlsx") == 0
    assert "褚河街道" in capsys.readouterr().out and (tmp_path / "w1.xlsx").exists()

    for command in (["export"], ["final"], ["export", "--week", "1"], ["week", "1", "-o", "x.xlsx"]):
        assert run(store, "--operator", "路人", *command) == 2, command
        assert "--unit" in capsys.readouterr().err
    assert not list(tmp_path.glob("*颍川街道*"))

    # The office keeps no ledger of its own: it was given an empty one.
    assert run(store, "--operator", "王主任", "export") == 2
    assert "--unit" in capsys.readouterr().err
    assert not list(tmp_path.glob("*办公室*"))


def test_with_a_register_the_screen_starts_by_asking_who_is_there(
    store: Path | str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import tui.app

    seen: list[tui.app.TaizhangApp] = []
    monkeypatch.setattr(tui.app.TaizhangApp, "run", lambda app: seen.append(app))
    staff(store)

    assert run(store) == 0
    assert run(store, "--operator", "张三") == 0
    assert run(store, "--operator", "路人") == 2

    assert [app.signed_in for app in seen] == [False, True]
    assert seen[1].operator == Operator("张三", "褚河街道", "单位")
    assert "操作员“路人”没有登记" in capsys.readouterr().err


def test_a_unit_act_by_the_office_or_a_retired_clerk_says_why_it_cannot_be(
    store: Path | str, capsys: pytest.CaptureFixture[str]
) -> None:
    """王主任 was told to give --unit for a screening, then refused with it; a
    retired clerk was told to give --unit, then told they were retired."""
    staff(store)
    assert run(store, "--operator", "王主任", "operator", "retire", "张三") == 0
    capsys.readouterr()

    screening = ["screening", "--category", "住房保障", "--item", "1", "--households", "3", "--found", "0"]
    assert run(store, "--operator", "王主任", *screening) == 2
    err = capsys.readouterr().err
    assert "不能登记问题" in err and "--unit" not in err, err

    assert run(store, "--operator", "张三", "submit", "--week", "1") == 2
    err = capsys.readouterr().err
    assert "已停用" in err and "--unit" not in err, err


@pytest.mark.parametrize(
    "command",
    [
        ["replay", "--as-of", "2022-06-02T18:00"],
        ["week", "1"],
        ["stats"],
        ["export", "--week", "1", "-o", "a.xlsx"],
    ],
)
def test_a_unit_before_the_command_that_the_register_denies_is_refused_for_every_command(
    store: Path | str, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """`--unit 褚河街道` before the command, given by the office's 王主任, was
    refused for stats and export but taken for replay and week."""
    staff(store)
    capsys.readouterr()

    code = run(store, "--operator", "王主任", "--unit", "褚河街道", *command)

    err = capsys.readouterr().err
    assert code == 2, err
    assert "登记的单位是市巩固拓展脱贫攻坚成果领导小组办公室，不是褚河街道" in err, err


def test_the_first_registration_is_stamped_with_the_offices_unit(
    store: Path | str, campaign: Campaign, clock: SetClock
) -> None:
    """王主任 registering himself as the office, with no --unit before the
    command, was recorded as an operator of 颍川街道, the first township."""
    staff(store)

    ledger = open_ledger(campaign, store, clock)
    try:
        first = next(e for e in ledger.events_in_order() if hasattr(e, "operator_unit"))
    finally:
        ledger.close()
    assert (first.operator, first.operator_unit) == ("王主任", OFFICE_UNIT)
