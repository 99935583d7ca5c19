"""Privacy: encrypted events, files only their owner reads, keys kept private."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from domain.campaign import Campaign
from domain.clock import SetClock
from domain.errors import KeyFileError, StoreKeyError
from domain.keys import new_key, read_key_file
from domain.ledger import Ledger, NewFinding, Operator, open_ledger
from tui.cli import main

OPERATOR = Operator("张三", "褚河街道")
SECRET = "马坪村王某某身份证410881199001011234"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """Run as an operator's shell would: files readable by all unless we say so."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def record(new_finding: object) -> object:
    def write(ledger: Ledger) -> str:
        return ledger.record(
            OPERATOR,
            new_finding(statement=SECRET, household_head="王某某"),  # type: ignore[operator]
        )

    return write


def test_an_encrypted_store_holds_no_plain_text_on_disk(
    campaign: Campaign, store: Path, clock: SetClock, new_finding: object
) -> None:
    key = new_key()
    ledger = open_ledger(campaign, store, clock, key=key)
    finding: NewFinding = new_finding(statement=SECRET)  # type: ignore[operator]
    finding_id = ledger.record(OPERATOR, finding)

    on_disk = b"".join(
        p.read_bytes() for p in store.parent.iterdir() if p.name.startswith(store.name)
    )
    assert SECRET.encode() not in on_disk
    assert "王某某".encode() not in on_disk
    assert ledger.row(finding_id).statement == SECRET
    assert ledger.verify().clean
    ledger.close()

    tables = {
        name
        for (name,) in sqlite3.connect(store).execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
        )
    }
    assert "ledger_rows" not in tables  # the view lives in memory only

    reopened = open_ledger(campaign, store, clock, key=key)
    assert reopened.row(finding_id).statement == SECRET
    reopened.close()


@pytest.mark.parametrize(
    ("written_with", "opened_with", "problem"),
    [
        ("key", None, "key_missing"),
        ("key", "other", "key_wrong"),
        (None, "key", "store_plain"),
    ],
)
def test_a_store_opens_only_with_the_key_it_was_made_with(
    campaign: Campaign,
    store: Path,
    clock: SetClock,
    new_finding: object,
    written_with: str | None,
    opened_with: str | None,
    problem: str,
) -> None:
    keys = {"key": new_key(), "other": new_key(), None: None}
    ledger = open_ledger(campaign, store, clock, key=keys[written_with])
    ledger.record(OPERATOR, new_finding())  # type: ignore[operator]
    ledger.close()

    with pytest.raises(StoreKeyError) as refused:
        open_ledger(campaign, store, clock, key=keys[opened_with])

    assert refused.value.problem == problem


def test_store_and_journals_are_readable_by_the_owner_only(
    campaign: Campaign, store: Path, clock: SetClock, new_finding: object
) -> None:
    ledger = open_ledger(campaign, store, clock)
    ledger.record(OPERATOR, new_finding())  # type: ignore[operator]

    files = [p for p in store.parent.iterdir() if p.name.startswith(store.name)]
    assert {p.name for p in files} >= {store.name, store.name + "-wal"}
    assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}
    ledger.close()


def test_an_existing_store_readable_by_others_is_made_private(
    campaign: Campaign, store: Path, clock: SetClock
) -> None:
    open_ledger(campaign, store, clock).close()
    store.chmod(0o644)

    open_ledger(campaign, store, clock).close()

    assert mode(store) == 0o600


def test_the_default_folder_is_private(
    campaign: Campaign, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))

    open_ledger(campaign).close()

    assert mode(tmp_path / "data" / "taizhang") == 0o700
    assert mode(tmp_path / "data" / "taizhang" / "ledger.sqlite") == 0o600


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "key"
    path.write_text(new_key())
    path.chmod(0o640)

    with pytest.raises(KeyFileError) as refused:
        read_key_file(path)

    assert refused.value.problem == "not_private"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("TAIZHANG_OPERATOR", "TAIZHANG_UNIT", "TAIZHANG_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_keygen_writes_a_private_key_and_never_overwrites(
    cli: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_file = cli / "taizhang.key"

    assert main(["keygen", str(key_file)]) == 0
    first = key_file.read_text()
    assert mode(key_file) == 0o600
    assert read_key_file(key_file) == first.strip()

    assert main(["keygen", str(key_file)]) == 2
    assert "不会覆盖" in capsys.readouterr().err
    assert key_file.read_text() == first


def test_an_encrypted_demo_exports_through_a_key_file(
    cli: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_file, store = cli / "k", cli / "ledger.sqlite"
    assert main(["keygen", str(key_file)]) == 0
    assert main(["--store", str(store), "--key-file", str(key_file), "demo"]) == 0

    code = main(["--store", str(store), "check"])
    assert code == 2
    assert "需要密钥" in capsys.readouterr().err

    target = cli / "out.xlsx"
    args = ["--store", str(store), "--key-file", str(key_file), "--unit", "褚河街道"]
    assert main([*args, "export", "-o", str(target)]) == 0
    assert mode(target) == 0o600
    assert load_workbook(target)["整改台账"]["A4"].value == 1


def test_the_key_may_come_from_the_environment(
    cli: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = cli / "ledger.sqlite"
    monkeypatch.setenv("TAIZHANG_KEY", new_key())
    assert main(["--store", str(store), "demo"]) == 0

    monkeypatch.setenv("TAIZHANG_KEY", "不是密钥")
    assert main(["--store", str(store), "check"]) == 2
    assert "密钥格式不对" in capsys.readouterr().err

    monkeypatch.setenv("TAIZHANG_KEY", new_key())
    assert main(["--store", str(store), "check"]) == 2
    assert "密钥与该数据文件不符" in capsys.readouterr().err


def test_a_group_readable_key_file_is_refused_in_chinese(
    cli: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_file = cli / "k"
    key_file.write_text(new_key())
    key_file.chmod(0o644)

    code = main(
        ["--store", str(cli / "s.sqlite"), "--key-file", str(key_file), "check"]
    )

    assert code == 2
    assert "chmod 600" in capsys.readouterr().err
    assert not (cli / "s.sqlite").exists()


def test_a_masked_export_hides_household_heads_and_id_numbers(
    cli: Path, campaign: Campaign, clock: SetClock, new_finding: object
) -> None:
    store = cli / "ledger.sqlite"
    ledger = open_ledger(campaign, store, clock)
    ledger.record(
        OPERATOR,
        new_finding(  # type: ignore[operator]
            statement="马坪村王某某（身份证410881199001011234）房屋未认定",
            household_head="王某某",
            cause="欧阳小明家与王某某家相邻",
        ),
    )
    ledger.record(OPERATOR, new_finding(household_head="欧阳小明"))  # type: ignore[operator]
    ledger.close()
    target = cli / "shared.xlsx"

    args = ["--store", str(store), "--unit", "褚河街道"]
    assert main([*args, "export", "--masked", "-o", str(target)]) == 0

    workbook = load_workbook(target)
    texts = " ".join(
        str(c.value)
        for ws in workbook
        for row in ws.iter_rows()
        for c in row
        if c.value
    )
    assert "王某某" not in texts and "欧阳小明" not in texts
    assert "410881199001011234" not in texts
    assert "马坪村王某（身份证410881********1234）房屋未认定" in texts
    assert "欧阳某家与王某家相邻" in texts
    assert "脱敏" in workbook["整改台账"]["A1"].value
    assert mode(target) == 0o600


def test_the_log_is_readable_by_its_owner_only(cli: Path) -> None:
    main(["--store", str(cli / "s.sqlite"), "check"])

    log = cli / "data" / "taizhang" / "taizhang.log"
    assert mode(log) == 0o600
    assert mode(log.parent) == 0o700
