"""Shared fixtures: the shipped campaign, a set clock, a ledger on a real store.

A test module that sets `STORES = ("sqlite", "postgres")` runs each test that
uses the `store` fixture on both: an SQLite file, and a schema of its own in a
database of the module's own on the local PostgreSQL (tests.pg). A test
marked `sqlite_only` (it reads the file itself) runs on SQLite alone.
"""

from __future__ import annotations

import dataclasses
import gc
import os
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain.campaign import Campaign, load_campaign
from domain.clock import SetClock
from domain.ledger import Ledger, NewFinding, Operator, open_ledger
from tests.pg import pg_database, pg_store  # noqa: F401 - fixtures

SHANGHAI = ZoneInfo("Asia/Shanghai")

# A finding every campaign check accepts: found on 6-01, recorded on 6-02, no plan.
VALID_FINDING = NewFinding(
    reporting_unit="褚河街道",
    category="housing",
    check_item=1,
    nature="个性问题",
    statement="马坪村刘某房屋未做安全性认定",
    found_on=date(2022, 6, 1),
    cause="村级排查遗漏",
    village="马坪村",
    household_head="刘某",
    household_kind="脱贫户",
)


@pytest.fixture(autouse=True)
def no_outside_store_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Keep the runner's own TAIZHANG_DB or config file away from every test."""
    monkeypatch.delenv("TAIZHANG_DB", raising=False)
    monkeypatch.delenv("TAIZHANG_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.getbasetemp() / "config"))


@pytest.fixture(autouse=True)
def collector_unfrozen() -> Iterator[None]:
    """The app freezes what startup made (TaizhangApp.warm_up); in one test process
    that would keep every earlier test's leftovers from the collector."""
    yield
    gc.unfreeze()


@pytest.fixture(scope="session")
def campaign() -> Campaign:
    """The shipped Yuzhou 2022 definition."""
    return load_campaign()


@pytest.fixture
def clock() -> SetClock:
    """A clock at 2022-06-02 10:00 Shanghai time, in week 1 of 排查整改."""
    return SetClock(datetime(2022, 6, 2, 10, 0, tzinfo=SHANGHAI))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" not in metafunc.fixturenames:
        return
    stores = getattr(metafunc.module, "STORES", ("sqlite",))
    if metafunc.definition.get_closest_marker("sqlite_only"):
        stores = ("sqlite",)
    if len(stores) > 1:
        metafunc.parametrize("backend", stores, indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """Which store the test runs on: "sqlite" unless the module asks for both."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def store(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Path | str:
    """Where the ledger's events live; open it again to see a restart.

    An SQLite file, or the URL of an empty PostgreSQL schema of the test's own.
    """
    if backend == "postgres":
        url: str = request.getfixturevalue("pg_store")
        return url
    return tmp_path / "ledger.sqlite"


@pytest.fixture
def ledger(campaign: Campaign, store: Path, clock: SetClock) -> Iterator[Ledger]:
    """A ledger on a fresh SQLite file, closed after the test."""
    opened = open_ledger(campaign, store, clock)
    yield opened
    opened.close()


@pytest.fixture
def operator() -> Operator:
    """An operator of 褚河街道."""
    return Operator("张三", "褚河街道")


@pytest.fixture
def new_finding() -> Callable[..., NewFinding]:
    """Build a valid NewFinding; keyword arguments override its fields."""

    def build(**overrides: Any) -> NewFinding:
        return dataclasses.replace(VALID_FINDING, **overrides)

    return build


# Sample inputs live in shared/samples beside the repository.
SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"


@pytest.fixture(scope="session")
def samples() -> Path:
    """The folder of outside sample ledgers; under CI its absence fails the run."""
    if not SAMPLES.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"sample folder missing: {SAMPLES}")
        pytest.skip("shared/samples is not beside this checkout")
    return SAMPLES
