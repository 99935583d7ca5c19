"""Offline units from the command line: export a bundle, import it at the office."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest

from domain.campaign import Campaign
from domain.clock import SetClock
from domain.ledger import NewFinding, Operator, open_ledger
from tests.conftest import SHANGHAI
from tui.cli import main

STORES = ("sqlite", "postgres")


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TAIZHANG_OPERATOR", raising=False)
    monkeypatch.delenv("TAIZHANG_UNIT", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)


def test_a_unit_bundle_is_imported_once_and_verifies_at_the_office(
    store: Path | str,
    campaign: Campaign,
    clock: SetClock,
    new_finding: Callable[..., NewFinding],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    unit_file = tmp_path / "chuhe.sqlite"
    unit = open_ledger(campaign, unit_file, clock)
    unit.record(Operator("张三", "褚河街道"), new_finding(statement="离线登记的问题"))
    # Typed in the same file for a neighbour: not 褚河街道's to hand in.
    unit.record(Operator("孙七", "火龙镇"), new_finding(reporting_unit="火龙镇"))
    clock.set(datetime(2022, 6, 8, 9, tzinfo=SHANGHAI))
    unit.submit_week(Operator("张三", "褚河街道"), "褚河街道", 1)
    unit.close()
    bundle = tmp_path / "chuhe.tzb"

    assert (
        main(
            [
                "--db",
                str(unit_file),
                "--operator",
                "张三",
                "--unit",
                "褚河街道",
                "bundle",
                "export",
                "-o",
                str(bundle),
            ]
        )
        == 0
    )
    # It holds every record, household names too: for its owner only, as the store.
    assert bundle.stat().st_mode & 0o077 == 0
    assert "已导出 褚河街道 的数据包" in capsys.readouterr().out

    assert main(["--db", str(store), "bundle", "import", str(bundle)]) == 0
    out = capsys.readouterr().out
    assert "新增 3 条记录" in out and "第 1 周报送的指纹 p2-" in out
    # "另有 1 条不属于褚河街道台账的记录" left the office guessing what it was.
    assert "其他单位的问题未导入：火龙镇 1 个" in out, out
    assert "bundle export --unit 火龙镇" in out, out
    assert main(["--db", str(store), "bundle", "import", str(bundle)]) == 0
    assert "已导入过" in capsys.readouterr().out

    assert main(["--db", str(store), "verify"]) == 0
    assert "来自导入的单位数据包" in capsys.readouterr().out
    office = open_ledger(campaign, store, clock)
    assert [r.statement for r in office.rows()] == ["离线登记的问题"]
    assert office.history(office.rows()[0].finding_id)[0].recorded_at.date() == date(
        2022, 6, 2
    )
    office.close()

    altered = tmp_path / "altered.tzb"
    altered.write_bytes(bundle.read_bytes().replace(b'"head":', b'"head": '))
    assert main(["--db", str(store), "bundle", "import", str(altered)]) == 2
    assert "数据包导出后被改动过" in capsys.readouterr().err
    assert main(["--db", str(store), "bundle", "import", str(tmp_path / "no.tzb")]) == 2
    assert "无法读取数据包" in capsys.readouterr().err


def test_a_unit_file_with_a_record_deleted_is_not_exported(
    campaign: Campaign,
    clock: SetClock,
    new_finding: Callable[..., NewFinding],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`bundle export` of a file whose record 1 was deleted went ahead, under
    the fingerprint the deletion had broken."""
    import sqlite3

    unit_file = tmp_path / "chuhe.sqlite"
    unit = open_ledger(campaign, unit_file, clock)
    unit.record(Operator("张三", "褚河街道"), new_finding(statement="离线登记的问题"))
    unit.record(Operator("张三", "褚河街道"), new_finding(statement="第二个问题"))
    unit.close()
    with sqlite3.connect(unit_file) as db:
        db.execute("DELETE FROM stored_events WHERE rowid = 1")
    bundle = tmp_path / "chuhe.tzb"

    code = main(
        ["--db", str(unit_file), "--operator", "张三", "--unit", "褚河街道",
         "bundle", "export", "-o", str(bundle)]
    )  # fmt: skip

    err = capsys.readouterr().err
    assert code == 2, err
    assert "第 1 条记录被删除" in err and "不能导出数据包" in err, err
    assert not bundle.exists()


def test_an_older_bundle_imported_after_a_newer_one_is_not_called_a_deletion(
    campaign: Campaign,
    clock: SetClock,
    new_finding: Callable[..., NewFinding],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The office imported a unit's bundles out of order and was told that the
    unit's file had records deleted, which nobody had done."""
    unit_file = tmp_path / "chuhe.sqlite"
    office = ["--db", str(tmp_path / "office.sqlite"), "--operator", "王主任"]
    export = ["--db", str(unit_file), "--operator", "张三", "--unit", "褚河街道",
              "bundle", "export", "-o"]  # fmt: skip
    unit = open_ledger(campaign, unit_file, clock)
    unit.record(Operator("张三", "褚河街道"), new_finding(statement="第一个问题"))
    unit.close()
    assert main([*export, str(tmp_path / "first.tzb")]) == 0
    clock.set(datetime(2022, 6, 3, 9, tzinfo=SHANGHAI))
    unit = open_ledger(campaign, unit_file, clock)
    unit.record(Operator("张三", "褚河街道"), new_finding(statement="第二个问题"))
    unit.close()
    assert main([*export, str(tmp_path / "second.tzb")]) == 0
    assert main([*office, "bundle", "import", str(tmp_path / "second.tzb")]) == 0
    capsys.readouterr()

    assert main([*office, "bundle", "import", str(tmp_path / "first.tzb")]) == 0

    out = capsys.readouterr().out
    assert "删除" not in out
    assert "较早导出的数据包" in out and "本库都已有" in out
