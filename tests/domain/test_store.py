"""Choosing the store by configuration: PostgreSQL URLs, their settings and refusals."""

from __future__ import annotations

import pytest

import tests.pg
from domain.errors import StoreAddressError
from domain.store import is_postgres_url, mask_url, postgres_env


def test_a_url_gives_the_postgres_settings() -> None:
    env = postgres_env("postgresql://clerk:s%40cret@db-server:5433/taizhang?schema=yz")

    assert env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"]) == ("db-server", "5433")
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"]) == ("clerk", "s@cret")
    assert env["POSTGRES_DBNAME"] == "taizhang"
    assert env["POSTGRES_SCHEMA"] == "yz"
    assert env["APPLICATION_RECORDER_TOPIC"].endswith(":PostgresChainedRecorder")


def test_without_a_password_pgpassword_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGPASSWORD", "from-env")

    env = postgres_env("postgres://clerk@db-server/taizhang")

    assert env["POSTGRES_PASSWORD"] == "from-env"
    assert env["POSTGRES_PORT"] == "5432"
    assert "POSTGRES_SCHEMA" not in env


@pytest.mark.parametrize(
    ("url", "problem", "detail"),
    [
        ("postgresql://clerk@host", "no_database", ""),
        ("postgresql://clerk@host:port/db", "bad_address", None),
        ("postgresql://clerk@host/db?sslmode=require", "unknown_option", "sslmode"),
        ("postgresql://clerk@host/db?schema=Bad-Name", "bad_schema", "Bad-Name"),
        ("postgresql://clerk@host/db?connect_timeout=soon", "bad_timeout", "soon"),
    ],
)
def test_an_unusable_url_is_refused_with_the_part_at_fault(
    url: str, problem: str, detail: str | None
) -> None:
    with pytest.raises(StoreAddressError) as caught:
        postgres_env(url)

    assert caught.value.problem == problem
    assert detail is None or caught.value.detail == detail


def test_a_password_never_shows() -> None:
    masked = mask_url("postgresql://clerk:secret@host:5432/db")

    assert masked == "postgresql://clerk:***@host:5432/db"
    assert mask_url("postgresql://clerk@host/db") == "postgresql://clerk@host/db"
    with pytest.raises(StoreAddressError) as caught:
        postgres_env("postgresql://clerk:secret@host/")
    assert "secret" not in caught.value.address


def test_only_postgres_urls_name_a_shared_store() -> None:
    assert is_postgres_url("postgresql://h/db")
    assert is_postgres_url(" POSTGRES://h/db")
    assert not is_postgres_url("ledger.sqlite")
    assert not is_postgres_url("/srv/postgresql/ledger.sqlite")


def test_under_ci_a_missing_postgres_fails_instead_of_skipping(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Port 1 on loopback: nothing listens there.
    monkeypatch.setattr(tests.pg, "ADMIN_URL", "postgresql://postgres@127.0.0.1:1/x")

    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        tests.pg.admin_connection()

    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        tests.pg.admin_connection()
