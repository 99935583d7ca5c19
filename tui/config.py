"""Which store to open: the command line, then the environment, then a config file."""

from __future__ import annotations

import os
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from domain.errors import StoreAddressError
from domain.ledger import default_store_path
from domain.store import is_postgres_url, mask_url

DB_ENV = "TAIZHANG_DB"
CONFIG_ENV = "TAIZHANG_CONFIG"
# The keys a config file may hold; any other is a typing mistake to point out.
CONFIG_KEYS = frozenset({"db"})


class ConfigError(Exception):
    """A config file that cannot be used; `problem` is ours, `detail` its part."""

    def __init__(self, path: Path, problem: str, detail: str = "") -> None:
        super().__init__(path, problem, detail)
        self.path = path
        self.problem = problem
        self.detail = detail


@dataclass(frozen=True)
class StoreChoice:
    """The store to open, and where that choice was made (for messages)."""

    store: Path | str
    source: str

    @property
    def shared(self) -> bool:
        """Whether this is a PostgreSQL store rather than an SQLite file."""
        return isinstance(self.store, str)

    def shown(self) -> str:
        """Name the store for people: the file, or the URL without its password."""
        return mask_url(self.store) if isinstance(self.store, str) else str(self.store)


def default_config_path() -> Path:
    """Return the config file read when TAIZHANG_CONFIG names none."""
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "taizhang" / "config.toml"


# Any other scheme's address (a path's "//" is one "/" once it was a Path).
_OTHER_ADDRESS = re.compile(r"([A-Za-z][A-Za-z0-9+.-]+):/")


def _store(text: str) -> Path | str:
    text = text.strip()
    if is_postgres_url(text):
        return text
    other = _OTHER_ADDRESS.match(text)
    if other:
        raise StoreAddressError(mask_url(text), "other_database", other[1])
    return Path(text).expanduser()


def read_config(path: Path) -> dict[str, str]:
    """Read a config file's settings; every value is text."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(path, "not_found") from None
    except (OSError, UnicodeDecodeError):
        raise ConfigError(path, "unreadable") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(path, "not_toml", str(error)) from None
    for key, value in data.items():
        if key not in CONFIG_KEYS:
            raise ConfigError(path, "unknown_key", key)
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(path, "bad_value", key)
    return data


def choose_store(given: str | Path | None) -> StoreChoice:
    """Decide which store to open.

    In order: the --db or --store option; the TAIZHANG_DB environment
    variable; `db` in the config file (TAIZHANG_CONFIG, else the user's
    config folder); the embedded SQLite file in the user's data folder.
    A config file named by TAIZHANG_CONFIG must exist; the default one may not.
    """
    if given is not None:
        return StoreChoice(_store(str(given)), "option")
    if os.environ.get(DB_ENV, "").strip():
        return StoreChoice(_store(os.environ[DB_ENV]), DB_ENV)
    named = os.environ.get(CONFIG_ENV, "").strip()
    path = Path(named).expanduser() if named else default_config_path()
    if named or path.is_file():
        db = read_config(path).get("db")
        if db:
            return StoreChoice(_store(db), str(path))
    return StoreChoice(default_store_path(), "default")
