"""The embedded store's upkeep: wait out other writers, keep the file private, check keys."""

from __future__ import annotations

import functools
import logging
import os
import random
import sqlite3
import stat
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar, cast

from eventsourcing.persistence import Cipher, PersistenceError
from eventsourcing.sqlite import SQLiteCursor, SQLiteDatastore

from domain.chain import ChainedRecorder
from domain.errors import NotAStoreError, StoreBusyError, StoreKeyError
from domain.view import LedgerView

log = logging.getLogger(__name__)

# Seconds a store operation keeps retrying once SQLite has given up waiting for
# another process's lock (its own wait is SQLITE_LOCK_TIMEOUT per attempt).
PATIENCE = 60.0

_BUSY_WORDS = ("database is locked", "database is busy", "database table is locked")

F = TypeVar("F", bound=Callable[..., Any])


def is_busy(error: BaseException | None) -> bool:
    """Tell whether an error, or one it was raised from, is SQLite saying "busy"."""
    seen = 0
    while error is not None and seen < 10:
        text = str(error).lower()
        sqlite_error = isinstance(error, (sqlite3.OperationalError, PersistenceError))
        if sqlite_error and any(word in text for word in _BUSY_WORDS):
            return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False


def when_busy(method: F) -> F:
    """Retry a store operation that SQLite turned away because another writer held it.

    SQLite's busy timeout already waits for a lock, but not in every case: a
    transaction that read before it wrote gets "database is locked" at once
    when another process committed meanwhile. Each attempt runs in its own
    transaction, which SQLite rolled back, so trying again is safe. After
    PATIENCE seconds the caller gets StoreBusyError, which the edge words.
    """

    @functools.wraps(method)
    def retrying(*args: Any, **kwargs: Any) -> Any:
        started = time.monotonic()
        delay = 0.005
        attempt = 1
        while True:
            try:
                return method(*args, **kwargs)
            except (PersistenceError, sqlite3.Error) as error:
                if not is_busy(error):
                    raise
                waited = time.monotonic() - started
                if waited >= PATIENCE:
                    raise StoreBusyError(round(waited)) from error
                log.info("store busy in %s, attempt %d", method.__name__, attempt)
            # Jitter keeps two processes that collided from colliding again.
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 0.25)
            attempt += 1

    return cast(F, retrying)


class StoreRecorder(ChainedRecorder):
    """The chained event recorder, retrying whatever another writer kept busy."""

    @when_busy
    def create_table(self) -> None:
        super().create_table()

    @when_busy
    def insert_events(self, stored_events: Sequence[Any], **kwargs: Any) -> Any:
        return super().insert_events(stored_events, **kwargs)

    @when_busy
    def select_notifications(self, *args: Any, **kwargs: Any) -> Any:
        return super().select_notifications(*args, **kwargs)

    @when_busy
    def max_notification_id(self) -> int:
        return super().max_notification_id()

    @when_busy
    def select_events(self, *args: Any, **kwargs: Any) -> Any:
        return super().select_events(*args, **kwargs)

    @when_busy
    def link_at(self, position: int) -> bytes:
        return super().link_at(position)


class StoreView(LedgerView):
    """The ledger view, retrying whatever another writer kept busy."""

    @when_busy
    def create_table(self) -> None:
        super().create_table()

    @when_busy
    def fold_in(self, *args: Any, **kwargs: Any) -> bool:
        return super().fold_in(*args, **kwargs)

    @when_busy
    def clear(self, application_name: str) -> None:
        super().clear(application_name)

    @when_busy
    def max_tracking_id(self, application_name: str) -> int | None:
        return super().max_tracking_id(application_name)

    @when_busy
    def get_rows(self, *args: Any, **kwargs: Any) -> Any:
        return super().get_rows(*args, **kwargs)

    @when_busy
    def select(self, *args: Any, **kwargs: Any) -> Any:
        return super().select(*args, **kwargs)

    @when_busy
    def category_usage(self) -> dict[str, int]:
        return super().category_usage()

    @when_busy
    def units_in_use(self) -> set[str]:
        return super().units_in_use()

    @when_busy
    def screenings(self, *args: Any, **kwargs: Any) -> Any:
        return super().screenings(*args, **kwargs)

    @when_busy
    def count(self, *args: Any, **kwargs: Any) -> Any:
        return super().count(*args, **kwargs)

    @when_busy
    def page(self, *args: Any, **kwargs: Any) -> Any:
        return super().page(*args, **kwargs)

    @when_busy
    def index_of(self, *args: Any, **kwargs: Any) -> Any:
        return super().index_of(*args, **kwargs)

    @when_busy
    def position_before(self, *args: Any, **kwargs: Any) -> Any:
        return super().position_before(*args, **kwargs)

    @when_busy
    def out_of_order(self) -> set[str]:
        return super().out_of_order()

    @when_busy
    def to_replay(self, *args: Any, **kwargs: Any) -> Any:
        return super().to_replay(*args, **kwargs)

    @when_busy
    def tally(self, *args: Any, **kwargs: Any) -> Any:
        return super().tally(*args, **kwargs)

    @when_busy
    def steps_after(self, *args: Any, **kwargs: Any) -> Any:
        return super().steps_after(*args, **kwargs)

    @when_busy
    def reset(self) -> None:
        super().reset()


# The first bytes of every SQLite database file.
SQLITE_HEADER = b"SQLite format 3\x00"
# An empty file named as one of these is a document still to be written (a
# spreadsheet saved as a placeholder), not a new store.
DOCUMENT_SUFFIXES = frozenset(
    {".xlsx", ".xlsm", ".xls", ".csv", ".txt", ".md", ".doc", ".docx", ".pdf",
     ".tzb", ".toml", ".json"}
)  # fmt: skip


def check_is_store(path: Path, events_table: str) -> None:
    """Refuse a file that holds something other than a ledger, before touching it.

    A missing or empty file becomes a new store, unless its name says it is a
    document (DOCUMENT_SUFFIXES). A file that is no SQLite
    database, or is one holding tables but not the ledger's events, is
    someone's other work: opening it would add the ledger's tables to it.
    """
    if path.is_dir():
        raise NotAStoreError(path, "folder")
    try:
        with open(path, "rb") as file:
            header = file.read(len(SQLITE_HEADER))
    except (FileNotFoundError, NotADirectoryError):
        return  # created, or refused, by opening it
    if not header:
        if path.suffix.lower() in DOCUMENT_SUFFIXES:
            raise NotAStoreError(path, "document")
        return
    if header != SQLITE_HEADER:
        raise NotAStoreError(path, "not_sqlite")
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            tables = {name for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
            )}  # fmt: skip
        finally:
            db.close()
    except sqlite3.DatabaseError as error:
        log.warning("cannot read the tables of %s: %s", path, error)
        return  # unreadable for other reasons: opening it will say so
    if tables and events_table not in tables:
        raise NotAStoreError(path, "foreign")


def make_private(path: Path) -> None:
    """Create the store file readable by its owner only, or make an existing one so.

    SQLite gives the -wal and -shm files it creates the permissions of the
    database file, so a private store keeps private journals.
    """
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        pass
    else:
        os.close(descriptor)
        return
    for file in (path, *(path.with_name(path.name + end) for end in ("-wal", "-shm"))):
        try:
            info = file.stat()
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode) or not info.st_mode & 0o077:
            continue
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            continue  # someone else's file: theirs to change
        os.chmod(file, 0o600)
        log.warning("made %s readable by its owner only", file)


KEY_TABLE = "store_key"
# What the key check encrypts; decrypting it back proves the key is the store's.
_KEY_PROBE = b"taizhang store key v1"


@when_busy
def check_store_key(
    datastore: SQLiteDatastore, events_table: str, cipher: Cipher | None
) -> None:
    """Refuse a key the store was not written with, or a missing one.

    The first open of a store records whether its events are encrypted and,
    if so, a probe encrypted with the key. A store written before this record
    existed holds plain events. Switching a store between plain and encrypted
    would mix both kinds of rows, so it is refused; export and re-record, or
    keep the setting the store was made with.
    """
    with datastore.transaction(commit=True) as c:
        c.execute(f"CREATE TABLE IF NOT EXISTS {KEY_TABLE} (probe BLOB)")
        c.execute(f"SELECT probe FROM {KEY_TABLE} LIMIT 1")
        row = c.fetchone()
        if row is None:
            _record_key(c, events_table, cipher)
            return
    probe = row[0]
    if probe is None:
        if cipher is not None:
            raise StoreKeyError("store_plain")
        return
    if cipher is None:
        raise StoreKeyError("key_missing")
    try:
        matches = cipher.decrypt(bytes(probe)) == _KEY_PROBE
    except ValueError:
        matches = False
    if not matches:
        raise StoreKeyError("key_wrong")


def _record_key(c: SQLiteCursor, events_table: str, cipher: Cipher | None) -> None:
    c.execute(f"SELECT 1 FROM {events_table} LIMIT 1")
    has_events = c.fetchone() is not None
    if has_events and cipher is not None:
        raise StoreKeyError("store_plain")
    probe = None if cipher is None else cipher.encrypt(_KEY_PROBE)
    c.execute(f"INSERT INTO {KEY_TABLE} VALUES (?)", (probe,))
