"""Catch-up and rebuild with progress, and cancels that leave the ledger whole."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from eventsourcing.persistence import Tracking

from domain.audit import replay
from domain.campaign import Campaign
from domain.clock import SetClock
from domain.errors import WorkCancelledError
from domain.ledger import Ledger, NewFinding, Operator, open_ledger
from domain.state import FindingState
from tests.domain.test_import_rows import row as import_row
from tests.domain.test_import_rows import sheet as import_sheet

STORES = ("sqlite", "postgres")

OPERATOR = Operator("张三", "褚河街道")


def fill(ledger: Ledger, new_finding: Callable[..., NewFinding], count: int) -> None:
    """Record `count` planned findings, two events each, and progress on some."""
    for n in range(count):
        finding_id = ledger.record(
            OPERATOR,
            new_finding(
                statement=f"第{n}户住房未做安全性认定",
                measures="完成认定并挂牌",
                deadline=date(2022, 6, 20),
                responsible_unit="市住建局",
            ),
        )
        if n % 3 == 0:
            ledger.report_progress(
                OPERATOR, finding_id, 2, on=date(2022, 6, 2), progress="已入户核查"
            )


def fresh_replay(ledger: Ledger) -> list[FindingState]:
    """The ledger as folded from the whole log in memory, in recording order."""
    return list(replay(ledger.events_in_order()).values())


def after(reports: int) -> Callable[[], bool]:
    """A cancel check that says yes from its `reports`-th question on."""
    asked = 0

    def cancelled() -> bool:
        nonlocal asked
        asked += 1
        return asked >= reports

    return cancelled


def test_a_rebuild_gives_the_rows_of_a_fresh_replay_and_says_how_far_it_is(
    ledger: Ledger, new_finding: Callable[..., NewFinding]
) -> None:
    fill(ledger, new_finding, 30)
    heard: list[tuple[int, int]] = []

    folded = ledger.rebuild(
        batch=7, progress=lambda done, total: heard.append((done, total))
    )

    assert folded == ledger.head()
    assert ledger.rows() == fresh_replay(ledger)
    assert ledger.behind() == 0
    assert heard[0] == (0, ledger.head())
    assert heard[-1] == (ledger.head(), ledger.head())
    assert [done for done, _ in heard] == sorted(done for done, _ in heard)
    assert len(heard) > 5


def test_a_rebuild_cancelled_half_way_leaves_the_view_as_it_was(
    campaign: Campaign,
    store: Path | str,
    clock: SetClock,
    ledger: Ledger,
    new_finding: Callable[..., NewFinding],
) -> None:
    fill(ledger, new_finding, 30)
    rows = ledger.rows()
    versions = list(ledger.projection.view.logged_rows(ledger.head()))

    with pytest.raises(WorkCancelledError) as cancel:
        ledger.rebuild(batch=10, cancelled=after(4))

    assert cancel.value.work == "rebuild"
    assert ledger.behind() == 0
    assert ledger.rows() == rows == fresh_replay(ledger)
    assert list(ledger.projection.view.logged_rows(ledger.head())) == versions
    again = open_ledger(campaign, store, clock)
    try:
        assert again.rows() == rows
    finally:
        again.close()


def fold_up_to(ledger: Ledger, position: int) -> None:
    """Leave the ledger view folded as far as a log position, as a crash would."""
    ledger.projection.view.clear(ledger.name)
    notes = ledger.recorder.select_notifications(start=1, limit=position)
    entries = [(note.id, ledger.mapper.to_domain_event(note)) for note in notes]
    ledger.projection.process_batch(entries, Tracking(ledger.name, position), 0)


def test_catch_up_counts_from_where_the_view_stood(
    ledger: Ledger, new_finding: Callable[..., NewFinding]
) -> None:
    fill(ledger, new_finding, 12)
    fold_up_to(ledger, 9)
    behind = ledger.behind()
    heard: list[tuple[int, int]] = []

    ledger.catch_up(batch=5, progress=lambda done, total: heard.append((done, total)))

    assert behind == ledger.head() - 9 > 5
    assert heard[0] == (0, behind)
    assert heard[-1] == (behind, behind)
    assert len(heard) > 2
    assert ledger.rows() == fresh_replay(ledger)


def test_a_cancel_before_a_rebuild_starts_keeps_the_view(
    ledger: Ledger, new_finding: Callable[..., NewFinding]
) -> None:
    fill(ledger, new_finding, 3)
    rows = ledger.rows()

    with pytest.raises(WorkCancelledError):
        ledger.rebuild(cancelled=lambda: True)

    assert ledger.behind() == 0
    assert ledger.rows() == rows


def test_clear_empties_every_table_the_view_names(
    ledger: Ledger, new_finding: Callable[..., NewFinding]
) -> None:
    """A table the view lists in `tables` is emptied by a rebuild's clear."""
    fill(ledger, new_finding, 3)
    view = ledger.projection.view

    view.clear(ledger.name)

    assert view.max_tracking_id(ledger.name) is None
    assert ledger.behind() == ledger.head()
    with view._cursors(commit=False) as (_, c):  # the view's own SQL
        for table in view.tables():
            c.execute(f"SELECT count(*) FROM {table}")
            assert c.fetchone()[0] == 0, table


def test_a_ledger_opened_without_levelling_waits_for_level_view(
    campaign: Campaign,
    store: Path | str,
    clock: SetClock,
    ledger: Ledger,
    new_finding: Callable[..., NewFinding],
) -> None:
    fill(ledger, new_finding, 4)
    ledger.projection.view.clear(ledger.name)

    behind = open_ledger(campaign, store, clock, level=False)
    try:
        assert not behind.view_checked
        assert behind.behind() == ledger.head()
        heard: list[tuple[int, int]] = []

        behind.level_view(lambda done, total: heard.append((done, total)))

        assert behind.view_checked
        assert heard[-1] == (ledger.head(), ledger.head())
        assert behind.rows() == fresh_replay(behind)
    finally:
        behind.close()


def test_an_import_cancelled_before_its_save_stores_nothing(ledger: Ledger) -> None:
    sheet = import_sheet(*(import_row(4 + n) for n in range(5)))
    head = ledger.head()
    heard: list[tuple[int, int]] = []

    with pytest.raises(WorkCancelledError) as cancel:
        ledger.import_sheet(
            OPERATOR,
            sheet,
            progress=lambda done, total: heard.append((done, total)),
            # Yes only at the last question, the one just before the save.
            cancelled=lambda: bool(heard) and heard[-1] == (5, 5),
        )

    assert cancel.value.work == "import"
    assert ledger.head() == head
    assert ledger.rows() == []
    assert heard[0] == (0, 5) and heard[-1] == (5, 5)  # rows, not steps

    done = ledger.import_sheet(OPERATOR, sheet, progress=lambda done, total: None)
    assert done.written and len(ledger.rows()) == 5


@pytest.mark.sqlite_only
def test_a_rebuild_puts_back_every_index_it_dropped(
    store: Path, ledger: Ledger, new_finding: Callable[..., NewFinding]
) -> None:
    fill(ledger, new_finding, 5)

    def indexes() -> set[str]:
        with sqlite3.connect(store) as db:
            found = db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
            return {name for (name,) in found}

    before = indexes()
    ledger.rebuild()

    assert indexes() == before
    assert {"ledger_rows_unit", "ledger_versions_reach"} <= before
