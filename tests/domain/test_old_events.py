"""Old events still read: a store written before DeadlineExtended gained `approved_by`.

tests/fixtures/store-v1.sqlite was written by tests/fixtures/make_store_v1.py
before the change; its DeadlineExtended events carry no class version.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from domain.audit import replay
from domain.campaign import Campaign
from domain.clock import SetClock
from domain.ledger import Ledger, NewFinding, Operator, open_ledger
from domain.state import Status
from exporters.official import write_official_sheet
from tests.conftest import SHANGHAI
from tests.pg import clear_view

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "store-v1.sqlite"


@pytest.fixture
def old_store(tmp_path: Path) -> Path:
    """A copy of the fixture: opening a store may write to it."""
    copy = tmp_path / "old.sqlite"
    shutil.copyfile(FIXTURE, copy)
    return copy


@pytest.fixture
def old_ledger(campaign: Campaign, old_store: Path) -> Ledger:
    clock = SetClock(datetime(2022, 6, 10, 9, 0, tzinfo=SHANGHAI))
    return open_ledger(campaign, old_store, clock)


def by_statement(ledger: Ledger, text: str) -> str:
    (found,) = [s.finding_id for s in ledger.rows() if s.statement == text]
    return found


def test_the_fixture_holds_version_one_extensions() -> None:
    with sqlite3.connect(FIXTURE) as db:
        states = [
            json.loads(state)
            for (state,) in db.execute(
                "SELECT state FROM stored_events WHERE topic LIKE '%DeadlineExtended'"
            )
        ]
    assert len(states) == 3
    assert all("approved_by" not in s and "class_version" not in s for s in states)


def test_old_extensions_are_upcast_with_nobody_named(old_ledger: Ledger) -> None:
    finding_id = by_statement(old_ledger, "马坪村王某某房屋未做安全性认定")

    extensions = [
        e for e in old_ledger.history(finding_id) if e.kind == "DeadlineExtended"
    ]

    assert [e.details["deadline"] for e in extensions] == [
        date(2022, 6, 18),
        date(2022, 6, 24),
    ]
    assert [e.details["approved_by"] for e in extensions] == ["", ""]
    row = old_ledger.row(finding_id)
    assert (row.deadline, row.extensions, row.status) == (
        date(2022, 6, 24),
        2,
        Status.IN_PROGRESS,
    )
    assert old_ledger.verify().clean
    rows = {s.finding_id: s for s in old_ledger.rows()}
    assert rows == replay(old_ledger.events_in_order())
    old_ledger.close()


@pytest.mark.parametrize("week", [None, 1])
def test_an_old_store_exports_as_it_did(
    old_ledger: Ledger, tmp_path: Path, week: int | None
) -> None:
    path = write_official_sheet(
        old_ledger.official_sheet("褚河街道", week), tmp_path / "old.xlsx"
    )
    old_ledger.close()

    sheet = load_workbook(path)["整改台账"]
    rows = {
        row[3]: row
        for row in sheet.iter_rows(min_row=4, values_only=True)
        if isinstance(row[0], int)
    }
    assert set(rows) == {"马坪村王某某房屋未做安全性认定", "=水质检测报告未张贴"}
    assert rows["马坪村王某某房屋未做安全性认定"][5] == datetime(2022, 6, 24)
    assert rows["=水质检测报告未张贴"][5] == datetime(2022, 6, 8)
    assert sheet["D5"].data_type == "s"


def test_new_extensions_are_version_two_beside_the_old(
    old_ledger: Ledger, old_store: Path
) -> None:
    finding_id = by_statement(old_ledger, "马坪村王某某房屋未做安全性认定")
    version = old_ledger.row(finding_id).version

    old_ledger.extend_deadline(
        Operator("张三", "褚河街道"),
        finding_id,
        version,
        deadline=date(2022, 6, 30),
        reason="材料未到",
        approved_by="王主任",
    )

    approvals = [
        e.details["approved_by"]
        for e in old_ledger.history(finding_id)
        if e.kind == "DeadlineExtended"
    ]
    assert approvals == ["", "", "王主任"]
    assert old_ledger.verify().clean
    old_ledger.close()
    with sqlite3.connect(old_store) as db:
        (state,) = db.execute(
            "SELECT state FROM stored_events ORDER BY rowid DESC LIMIT 1"
        ).fetchone()
    assert json.loads(state)["class_version"] == 2


def stored_undo(store: Path) -> dict[str, Any]:
    """Read the store's one undo as it is stored, to write it back as an older one."""
    with sqlite3.connect(store) as db:
        ((text,),) = db.execute(
            "SELECT state FROM stored_events WHERE topic LIKE '%ChangeUndone'"
        ).fetchall()
    stored: dict[str, Any] = json.loads(text)
    return stored


def store_undo(store: Path, stored: dict[str, Any]) -> None:
    """Write the undo back as given, and empty the view so it is folded again."""
    with sqlite3.connect(store) as db:
        db.execute(
            "UPDATE stored_events SET state = ? WHERE topic LIKE '%ChangeUndone'",
            (json.dumps(stored, ensure_ascii=False).encode(),),
        )
    clear_view(store)


def test_an_acceptance_undone_before_its_remarks_were_kept_shows_none(
    campaign: Campaign, tmp_path: Path, new_finding: Callable[..., NewFinding]
) -> None:
    """An undo written before the state held the latest acceptance's inspector
    and remarks names neither: the passed acceptance it took back must not
    leave its words on a finding awaiting acceptance again."""
    store = tmp_path / "ledger.sqlite"
    clock = SetClock(datetime(2022, 6, 10, 9, 0, tzinfo=SHANGHAI))
    clerk, inspector = Operator("张三", "褚河街道"), Operator("王五", "市巩固拓展脱贫攻坚成果调研指导组")
    ledger = open_ledger(campaign, store, clock)
    finding_id = ledger.record(
        clerk,
        new_finding(
            measures="挂牌", deadline=date(2022, 6, 20), responsible_unit="市住建局",
            responsible_leader="李四",
        ),
    )
    ledger.complete(clerk, finding_id, 2, on=date(2022, 6, 5), effect="已挂牌")
    ledger.pass_acceptance(inspector, finding_id, 3, on=date(2022, 6, 6), remarks="同意销号")
    ledger.undo_last(inspector, finding_id, 4)
    ledger.close()
    stored = stored_undo(store)
    assert stored.pop("class_version") == 3
    assert stored["restored"].pop("inspector") == ""
    assert stored["restored"].pop("acceptance_remarks") == ""
    store_undo(store, stored)

    again = open_ledger(campaign, store, clock)
    try:
        row = again.row(finding_id)
        assert row.status is Status.AWAITING_ACCEPTANCE
        assert (row.inspector, row.acceptance_remarks) == ("", "")
    finally:
        again.close()


def test_a_return_undone_before_its_day_was_kept_bounds_no_rework(
    campaign: Campaign, tmp_path: Path, new_finding: Callable[..., NewFinding]
) -> None:
    """An undo written before the state held the day of the latest return does
    not name it: the failed acceptance it took back must not bound the rework."""
    store = tmp_path / "ledger.sqlite"
    clock = SetClock(datetime(2022, 6, 10, 9, 0, tzinfo=SHANGHAI))
    clerk, inspector = Operator("张三", "褚河街道"), Operator("王五", "市巩固拓展脱贫攻坚成果调研指导组")
    ledger = open_ledger(campaign, store, clock)
    finding_id = ledger.record(
        clerk,
        new_finding(measures="挂牌", deadline=date(2022, 6, 20), responsible_unit="市住建局"),
    )
    ledger.report_progress(clerk, finding_id, 2, on=date(2022, 6, 3), progress="已联系")
    ledger.complete(clerk, finding_id, 3, on=date(2022, 6, 5), effect="已挂牌")
    ledger.fail_acceptance(inspector, finding_id, 4, on=date(2022, 6, 8), remarks="未挂")
    ledger.undo_last(inspector, finding_id, 5)
    ledger.close()
    stored = stored_undo(store)
    assert stored["class_version"] == 3
    stored["class_version"] = 2
    assert stored["restored"].pop("returned_on") is None
    store_undo(store, stored)

    again = open_ledger(campaign, store, clock)
    try:
        assert again.row(finding_id).returned_on is None
    finally:
        again.close()
