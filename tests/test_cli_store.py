"""Choosing the store by configuration alone: option, environment, config file."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from domain.campaign import Campaign
from domain.clock import SetClock
from domain.ledger import NewFinding, Operator, open_ledger
from tests.pg import ADMIN_URL, admin_connection, database_url
from tui.cli import main
from tui.config import CONFIG_ENV, DB_ENV

ME = Operator("张三", "褚河街道")


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TAIZHANG_OPERATOR", raising=False)
    monkeypatch.delenv("TAIZHANG_UNIT", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def shared(
    pg_store: str,
    campaign: Campaign,
    clock: SetClock,
    new_finding: Callable[..., NewFinding],
) -> Iterator[str]:
    """A PostgreSQL store holding one finding of 褚河街道."""
    ledger = open_ledger(campaign, pg_store, clock)
    ledger.record(ME, new_finding(statement="共用库里的问题"))
    ledger.close()
    yield pg_store


def replayed(capsys: pytest.CaptureFixture[str]) -> str:
    return capsys.readouterr().out


AS_OF = ["replay", "--as-of", "2022-06-30"]


def test_the_db_option_opens_postgres(
    shared: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--db", shared, *AS_OF]) == 0

    assert "共用库里的问题" in replayed(capsys)


def test_the_environment_variable_opens_postgres(
    shared: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DB_ENV, shared)

    assert main(AS_OF) == 0

    assert "共用库里的问题" in replayed(capsys)


def test_the_config_file_opens_postgres_and_the_option_wins(
    shared: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = tmp_path / "config" / "taizhang" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'db = "{shared}"\n', encoding="utf-8")

    assert main(AS_OF) == 0
    assert "共用库里的问题" in replayed(capsys)

    # A named file that does not exist yet is refused by a reading command,
    # and the refusal names the file that was chosen.
    assert main(["--db", str(tmp_path / "own.sqlite"), *AS_OF]) == 2
    assert "own.sqlite" in capsys.readouterr().err

    elsewhere = tmp_path / "office.toml"
    elsewhere.write_text(f'db = "{tmp_path / "other.sqlite"}"\n', encoding="utf-8")
    monkeypatch.setenv(CONFIG_ENV, str(elsewhere))
    assert main(AS_OF) == 2
    assert "other.sqlite" in capsys.readouterr().err


def test_without_settings_the_embedded_file_is_used(tmp_path: Path) -> None:
    assert main(AS_OF) == 0

    assert (tmp_path / "data" / "taizhang" / "ledger.sqlite").is_file()


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--db", "postgresql://clerk@127.0.0.1/"], "缺少数据库名"),
        (["--db", "postgresql://127.0.0.1/db?sslmode=x"], "不支持选项“sslmode”"),
        (["--db", "a.sqlite", "--store", "b.sqlite"], "--db 与 --store 只能用一个"),
        (["--db", "postgresql://clerk@127.0.0.1/db", "demo"], "不能填入共用数据库"),
        # Another database's address was taken for a folder “mysql:”.
        (["--db", "mysql://x@127.0.0.1/db"], "不支持“mysql”"),
        (["--store", "mysql://x@127.0.0.1/db"], "不支持“mysql”"),
    ],
)
def test_unusable_store_settings_are_refused_in_chinese(
    args: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*args, *AS_OF] if args[-1] != "demo" else args) == 2

    assert said in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('db = "x"\nuser = "y"\n', "不认识的设置“user”"),
        ("db = 3\n", "设置“db”应是一段不为空的文字"),
        ("db = \n", "不是有效的 TOML 格式"),
    ],
)
def test_a_config_file_with_mistakes_is_refused(
    text: str,
    said: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = tmp_path / "taizhang.toml"
    config.write_text(text, encoding="utf-8")
    monkeypatch.setenv(CONFIG_ENV, str(config))

    assert main(AS_OF) == 2

    err = capsys.readouterr().err
    assert f"配置文件 {config} 有误" in err and said in err


def test_a_named_config_file_must_exist(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "missing.toml"))

    assert main(AS_OF) == 2

    assert "文件不存在" in capsys.readouterr().err


def test_an_unreachable_database_is_a_short_message_without_the_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Port 1 on loopback: nothing listens there.
    url = "postgresql://clerk:secret@127.0.0.1:1/taizhang?connect_timeout=1"

    assert main(["--db", url, *AS_OF]) == 1

    err = capsys.readouterr().err
    assert "无法连接或读写数据库 postgresql://clerk:***@127.0.0.1:1/" in err
    assert "secret" not in err and "Traceback" not in err


@pytest.mark.parametrize(
    "command",
    [
        ["replay", "--as-of", "2022-06-30"],
        ["verify"],
        ["reports"],
        ["stats"],
        ["week", "1"],
        ["export", "--unit", "褚河街道"],
        ["check"],
        ["operator", "list"],
    ],
)
def test_a_mistyped_store_is_not_created_by_a_command_that_only_reads(
    tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    typo = tmp_path / "ledgr.sqlite"

    assert main(["--store", str(typo), "--operator", "张三", "--unit", "褚河街道", *command]) == 2

    assert not typo.exists()
    err = capsys.readouterr().err
    assert "找不到数据文件" in err and "ledgr.sqlite" in err


def test_a_screening_on_a_new_store_creates_it_as_recording_commands_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A unit's first record may be a screening, before any finding."""
    store = tmp_path / "new.sqlite"
    args = ["--category", "住房保障", "--item", "2", "--households", "120", "--found", "0",
            "--on", "6月3日"]

    code = main(["--store", str(store), "--operator", "张三", "--unit", "褚河街道",
                 "screening", *args])  # fmt: skip

    assert code == 0, capsys.readouterr().err
    assert store.is_file()


def foreign_database(path: Path) -> Path:
    """Another program's SQLite database: one table, one row."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE contacts (name TEXT)")
        db.execute("INSERT INTO contacts VALUES ('李四')")
    db.close()
    path.chmod(0o644)
    return path


def tables_of(path: Path) -> list[str]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return sorted(name for (name,) in db.execute("SELECT name FROM sqlite_master"))
    finally:
        db.close()


@pytest.mark.parametrize("command", [["check"], ["demo"], []])
def test_a_file_that_is_not_a_ledger_is_refused_and_left_as_it_was(
    tmp_path: Path,
    command: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`--store` at another program's database added the ledger's tables to it,
    made it private, and a text file was "cannot read or write"."""
    monkeypatch.setattr("tui.app.TaizhangApp.run", lambda self: pytest.fail("app ran"))
    notes = tmp_path / "notes.txt"
    notes.write_text("会议纪要，不是数据库\n" * 50)
    other = foreign_database(tmp_path / "contacts.db")
    before = {p: (p.read_bytes(), p.stat().st_mode) for p in (notes, other)}

    for path in (notes, other):
        code = main(["--store", str(path), "--operator", "张三", *command])

        err = capsys.readouterr().err
        assert code == 2, err
        assert "不是台账数据文件" in err and path.name in err, err
        assert "Traceback" not in err
    assert {p: (p.read_bytes(), p.stat().st_mode) for p in (notes, other)} == before
    assert tables_of(other) == ["contacts"]
    assert not list(tmp_path.glob("*-wal")) and not list(tmp_path.glob("*-journal"))


def test_a_reading_command_leaves_an_empty_file_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`reports` on a 0-byte file wrote a store's tables into it."""
    empty = tmp_path / "new.sqlite"
    empty.touch()

    assert main(["--store", str(empty), "--operator", "张三", "reports"]) == 2

    assert empty.stat().st_size == 0
    assert "是空文件" in capsys.readouterr().err


def test_a_folder_given_as_the_store_is_named_as_such(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "w"
    folder.mkdir()

    assert main(["--store", str(folder), "--operator", "张三", "check"]) == 2

    assert "它是一个文件夹" in capsys.readouterr().err


def test_an_empty_document_is_not_made_a_ledger(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--store 台账.xlsx`, an empty spreadsheet just saved as a placeholder, was
    turned into a ledger store by a recording command and made private."""
    empty = tmp_path / "台账.xlsx"
    empty.touch()
    args = ["--category", "住房保障", "--item", "2", "--households", "9", "--found", "0"]

    code = main(["--store", str(empty), "--unit", "褚河街道", "screening", *args])

    err = capsys.readouterr().err
    assert code == 2, err
    assert "不是台账数据文件" in err and ".xlsx" in err, err
    assert empty.stat().st_size == 0


def test_an_empty_file_becomes_a_new_ledger(tmp_path: Path, campaign: Campaign) -> None:
    empty = tmp_path / "new.sqlite"
    empty.touch()

    open_ledger(campaign, empty).close()

    assert "stored_events" in tables_of(empty)


def test_a_database_or_user_the_server_lacks_is_named_at_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A mistyped database name waited out the pool's ten seconds, then said only
    that the database could not be reached; the server had said why at once."""
    admin_connection().close()
    server = urlsplit(ADMIN_URL)
    where = f"{server.hostname}:{server.port or 5432}"
    missing = f"taizhang_missing_{uuid.uuid4().hex[:8]}"

    assert main(["--db", database_url(missing), *AS_OF]) == 2
    assert f"没有名为“{missing}”的数据库" in capsys.readouterr().err

    assert main(["--db", f"postgresql://{missing}@{where}/postgres", *AS_OF]) == 2
    assert f"没有用户“{missing}”" in capsys.readouterr().err


def test_a_schema_the_database_lacks_is_named_not_called_unreachable(
    pg_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """?schema= naming a schema nobody made was answered 无法连接…请检查地址、
    用户名和密码、网络, although the server answered and said which."""
    url = f"{pg_database}?schema=nosuch_{uuid.uuid4().hex[:8]}"

    code = main(["--db", url, "stats"])

    err = capsys.readouterr().err
    assert code == 2, err
    assert "没有名为“nosuch_" in err and "schema" in err and "CREATE SCHEMA" in err
    assert "无法连接" not in err
