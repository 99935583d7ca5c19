"""PostgreSQL for tests: a database per test module and a schema per test.

The server is the local one (127.0.0.1:5432, user postgres) unless
TAIZHANG_TEST_POSTGRES names another admin URL. Every database and schema made
here has a unique name and is dropped when its module or test ends. Without a
server the tests that need one are skipped, except under CI (CI=true), where
that fails the run.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

ADMIN_URL = os.environ.get(
    "TAIZHANG_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def admin_connection() -> psycopg.Connection[tuple[object, ...]]:
    """Connect to the server's admin database, or skip (fail under CI)."""
    try:
        return psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        message = f"PostgreSQL is not reachable at {ADMIN_URL}: {error}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def database_url(name: str) -> str:
    """Return the admin URL pointed at another database of the same server."""
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def unique_name(prefix: str, hint: str = "") -> str:
    """Return a fresh lower-case identifier that PostgreSQL keeps whole."""
    tail = re.sub(r"[^a-z0-9]+", "_", hint.lower()).strip("_")[:30]
    return (
        f"{prefix}_{tail}_{uuid.uuid4().hex[:10]}"
        if tail
        else (f"{prefix}_{uuid.uuid4().hex[:10]}")
    )


@pytest.fixture(scope="module")
def pg_database(request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of a database made for this test module alone, dropped after it."""
    name = unique_name("tz", request.module.__name__.rsplit(".", 1)[-1])
    with admin_connection() as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield database_url(name)
    finally:
        with admin_connection() as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)
                )
            )


@pytest.fixture
def pg_store(pg_database: str) -> Iterator[str]:
    """The store URL of an empty schema made for this test alone, dropped after it."""
    schema = unique_name("t")
    with psycopg.connect(pg_database, autocommit=True) as db:
        db.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield f"{pg_database}?schema={schema}"
    finally:
        with psycopg.connect(pg_database, autocommit=True) as db:
            db.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                    sql.Identifier(schema)
                )
            )


def execute_on(
    store: object, sqlite: str, postgres: str, params: tuple[object, ...] = ()
) -> None:
    """Run one statement on a store behind the app's back (to clear or tamper).

    `store` is what the `store` fixture gave: an SQLite path or a schema URL.
    Each backend gets its own statement, since table names and types differ.
    """
    import sqlite3

    if isinstance(store, str):
        url, _, schema = store.partition("?schema=")
        with psycopg.connect(url, autocommit=True) as db:
            db.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
            db.execute(postgres, params)
        return
    with sqlite3.connect(str(store)) as lite:
        lite.execute(sqlite, params)
    lite.close()


def clear_view(store: object) -> None:
    """Empty the ledger view and its position, so the next open folds the log."""
    execute_on(store, "DELETE FROM ledger_rows", "DELETE FROM ledger_rows")
    execute_on(
        store,
        "DELETE FROM tracking",
        "DELETE FROM ledger_tracking WHERE application_name = 'Ledger'",
    )
