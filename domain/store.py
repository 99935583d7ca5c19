"""Where the events live: the settings of a shared PostgreSQL store, from its URL."""

from __future__ import annotations

import os
import re
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

from domain.errors import StoreAddressError, StoreRefusedError

SCHEMES = ("postgresql", "postgres")

# Query options a store URL may carry, and the library setting each becomes.
URL_OPTIONS = {
    "schema": "POSTGRES_SCHEMA",
    "connect_timeout": "POSTGRES_CONNECT_TIMEOUT",
}

# A schema name is put into SQL as it is, so only plain identifiers pass.
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def is_postgres_url(text: str) -> bool:
    """Tell whether a store given as text names a PostgreSQL database."""
    return text.strip().lower().startswith(tuple(f"{s}://" for s in SCHEMES))


def mask_url(url: str) -> str:
    """Return the URL with any password replaced, fit to show or log."""
    parts = urlsplit(url.strip())
    if parts.password is None:
        return url.strip()
    host = parts.netloc.rpartition("@")[2]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def postgres_env(url: str) -> dict[str, str]:
    """Return the eventsourcing settings for a PostgreSQL store named by a URL.

    The URL is `postgresql://user[:password]@host[:port]/dbname`, optionally
    with `?schema=name` (tables go there instead of `public`) and
    `connect_timeout=seconds`. Without a password in the URL, PGPASSWORD is
    used, else libpq's password file (~/.pgpass). Tables are created on first
    use. The pool is kept small, since every operator's app holds one.
    """
    from domain.pgstore import PostgresChainedRecorder

    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port or 5432
    except ValueError as error:
        raise StoreAddressError(mask_url(text), "bad_address", str(error)) from None
    if parts.scheme.lower() not in SCHEMES:
        raise StoreAddressError(mask_url(text), "bad_address", parts.scheme)
    dbname = unquote(parts.path.lstrip("/"))
    if not dbname:
        raise StoreAddressError(mask_url(text), "no_database")
    password = parts.password
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": dbname,
        "POSTGRES_HOST": parts.hostname or "",
        "POSTGRES_PORT": str(port),
        "POSTGRES_USER": unquote(parts.username or ""),
        "POSTGRES_PASSWORD": (
            unquote(password) if password else os.environ.get("PGPASSWORD", "")
        ),
        "POSTGRES_CONNECT_TIMEOUT": "10",
        # Seconds a save waits for another operator's save to commit.
        "POSTGRES_LOCK_TIMEOUT": "10",
        "POSTGRES_POOL_SIZE": "2",
        "POSTGRES_MAX_OVERFLOW": "3",
        # An app stays open all day; a connection the server dropped is replaced.
        "POSTGRES_PRE_PING": "y",
        # Every save also extends the tamper-evident hash chain (domain.pgstore).
        "APPLICATION_RECORDER_TOPIC": (
            f"{PostgresChainedRecorder.__module__}:{PostgresChainedRecorder.__qualname__}"
        ),
    }
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key not in URL_OPTIONS:
            raise StoreAddressError(mask_url(text), "unknown_option", key)
        if key == "schema" and not _IDENTIFIER.fullmatch(value):
            raise StoreAddressError(mask_url(text), "bad_schema", value)
        if key == "connect_timeout" and not value.isdecimal():
            raise StoreAddressError(mask_url(text), "bad_timeout", value)
        env[URL_OPTIONS[key]] = value
    return env


# What a server says when it refuses a connection, and the problem each is.
_REFUSALS = (
    (re.compile(r'database "(.+?)" does not exist'), "no_database"),
    (re.compile(r'role "(.+?)" does not exist'), "no_user"),
    (re.compile(r'password authentication failed for user "(.+?)"'), "password"),
)


def check_reachable(url: str, env: dict[str, str]) -> None:
    """Connect once to the store's server, so that a refusal is told at once.

    The library's pool retries a refused connection until its timeout and
    keeps only that it timed out; a server that answers says why at once.
    A server that does not answer is left to the pool, which says so. A
    schema the address names must be there: the store does not make one.
    """
    import psycopg

    schema = env.get("POSTGRES_SCHEMA", "")
    try:
        with psycopg.connect(
            dbname=env["POSTGRES_DBNAME"],
            host=env["POSTGRES_HOST"],
            port=env["POSTGRES_PORT"],
            user=env["POSTGRES_USER"],
            password=env["POSTGRES_PASSWORD"] or None,
            connect_timeout=int(env["POSTGRES_CONNECT_TIMEOUT"]),
        ) as connection:
            if schema and not connection.execute(
                "SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)
            ).fetchone():
                raise StoreRefusedError(mask_url(url), "no_schema", schema)
    except psycopg.OperationalError as error:
        said = str(error)
        if "FATAL" not in said:
            return  # no answer at all: not a refusal
        for pattern, problem in _REFUSALS:
            found = pattern.search(said)
            if found:
                raise StoreRefusedError(mask_url(url), problem, found[1]) from None
        raise StoreRefusedError(
            mask_url(url), "other", said.rpartition("FATAL:")[2].strip()
        ) from None
