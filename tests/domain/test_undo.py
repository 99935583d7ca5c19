"""Undoing one's own latest step on a real store: the state comes back, the record stays."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from domain.campaign import Campaign
from domain.clock import SetClock
from domain.errors import (
    ConcurrentChangeError,
    FindingNotFoundError,
    NothingToUndoError,
    NotYourChangeError,
)
from domain.finding import Finding
from domain.ledger import Ledger, NewFinding, Operator, open_ledger
from domain.state import FindingState, Status
from tests.pg import clear_view

# Every test that opens a store runs on SQLite and on PostgreSQL (tests/conftest.py).
STORES = ("sqlite", "postgres")

NewFindingFactory = Callable[..., NewFinding]

PLAN: dict[str, Any] = {
    "measures": "组织住建部门上门鉴定并挂牌",
    "deadline": date(2022, 6, 10),
    "responsible_unit": "市住建局",
    "responsible_leader": "李四",
}
ME = Operator("张三", "褚河街道")
INSPECTOR = Operator("王五", "市巩固拓展脱贫攻坚成果调研指导组")

Step = Callable[[Ledger, str, int], None]


def plan(ledger: Ledger, finding_id: str, version: int) -> None:
    ledger.plan(ME, finding_id, version, **PLAN)


def extend(ledger: Ledger, finding_id: str, version: int) -> None:
    ledger.extend_deadline(
        ME, finding_id, version, deadline=date(2022, 6, 15), reason="等材料"
    )


def progress(ledger: Ledger, finding_id: str, version: int) -> None:
    ledger.report_progress(
        ME, finding_id, version, on=date(2022, 6, 2), progress="已入户",
        evidence=["照片1"],
    )  # fmt: skip


def complete(ledger: Ledger, finding_id: str, version: int) -> None:
    ledger.complete(ME, finding_id, version, on=date(2022, 6, 2), effect="已挂牌")


def accept(ledger: Ledger, finding_id: str, version: int) -> None:
    ledger.pass_acceptance(INSPECTOR, finding_id, version, on=date(2022, 6, 2))


def reject(ledger: Ledger, finding_id: str, version: int) -> None:
    ledger.fail_acceptance(
        INSPECTOR, finding_id, version, on=date(2022, 6, 2), remarks="无佐证"
    )


def withdraw(ledger: Ledger, finding_id: str, version: int) -> None:
    ledger.withdraw(ME, finding_id, version, reason="重复登记")


def correct(field: str, value: Any) -> Step:
    def step(ledger: Ledger, finding_id: str, version: int) -> None:
        ledger.correct(ME, finding_id, version, field=field, value=value, reason="核实")

    return step


# Each case: the steps that lead up to it, then the step to undo and who undoes it.
CASES: dict[str, tuple[list[Step], Step, Operator]] = {
    "plan": ([], plan, ME),
    "extend": ([plan], extend, ME),
    "progress": ([plan], progress, ME),
    "complete": ([plan, progress], complete, ME),
    "accept": ([plan, progress, complete], accept, INSPECTOR),
    "reject": ([plan, progress, complete], reject, INSPECTOR),
    "withdraw": ([plan], withdraw, ME),
    "correct-nature": ([], correct("nature", "共性问题"), ME),
    "correct-found-on": ([], correct("found_on", date(2022, 5, 31)), ME),
    "correct-check-item": ([], correct("check_item", 3), ME),
    "correct-measures": ([plan], correct("measures", "改为集中鉴定"), ME),
    "correct-household-kind": ([], correct("household_kind", "监测对象"), ME),
}


def comparable(state: FindingState) -> FindingState:
    """The state without what every event changes: its time and version."""
    return dataclasses.replace(state, updated_at=None, version=0)


def aggregate_state(ledger: Ledger, finding_id: str) -> FindingState:
    finding: object = ledger.repository.get(UUID(finding_id))
    assert isinstance(finding, Finding)
    return finding.state


@pytest.fixture
def reopen(
    campaign: Campaign, store: Path, clock: SetClock
) -> Iterator[Callable[[], Ledger]]:
    """Open the same file again with an empty view, so it is folded from the log."""
    opened: list[Ledger] = []

    def open_() -> Ledger:
        clear_view(store)
        ledger = open_ledger(campaign, store, clock)
        opened.append(ledger)
        return ledger

    yield open_
    for ledger in opened:
        ledger.close()


@pytest.mark.parametrize("case", CASES)
def test_undoing_a_step_restores_the_state_before_it(
    ledger: Ledger,
    new_finding: NewFindingFactory,
    reopen: Callable[[], Ledger],
    case: str,
) -> None:
    before_steps, step, undoer = CASES[case]
    finding_id = ledger.record(ME, new_finding())
    for earlier in before_steps:
        earlier(ledger, finding_id, ledger.row(finding_id).version)
    before = ledger.row(finding_id)
    step(ledger, finding_id, before.version)
    assert comparable(ledger.row(finding_id)) != comparable(before)

    ledger.undo_last(undoer, finding_id, before.version + 1)

    after = ledger.row(finding_id)
    assert comparable(after) == comparable(before)
    assert after.version == before.version + 2
    assert comparable(aggregate_state(ledger, finding_id)) == comparable(before)
    last = ledger.history(finding_id)[-1]
    assert last.kind == "ChangeUndone"
    assert last.operator == undoer.name
    assert last.details["undone_version"] == before.version + 1
    ledger.close()

    again = reopen()

    assert again.row(finding_id) == after
    assert type(again.row(finding_id).status) is Status
    assert again.repository.get(UUID(finding_id)).state == after
    assert after.updated_at is not None
    later = after.updated_at + timedelta(seconds=1)
    assert again.states_as_of(later)[finding_id] == after


def test_a_category_corrected_with_its_check_item_is_undone_as_one_step(
    ledger: Ledger, new_finding: NewFindingFactory
) -> None:
    """One form saved two corrections; one undo took back only the item,
    leaving the finding in a category its clerk never chose with the old item."""
    finding_id = ledger.record(ME, new_finding(check_item=1))
    before = ledger.row(finding_id)
    ledger.correct(
        ME, finding_id, 1, field="category", value="综合保障", reason="归类", check_item=4
    )
    assert ledger.row(finding_id).version == 3

    ledger.undo_last(ME, finding_id, 3)

    after = ledger.row(finding_id)
    assert (after.category, after.check_item) == (before.category, before.check_item)
    assert comparable(after) == comparable(before)
    assert comparable(aggregate_state(ledger, finding_id)) == comparable(before)
    assert [e.kind for e in ledger.history(finding_id)][-1] == "ChangeUndone"
    assert after.version == 4


def test_the_undo_records_exactly_the_fields_the_step_changed(
    ledger: Ledger, new_finding: NewFindingFactory
) -> None:
    finding_id = ledger.record(ME, new_finding(**PLAN))
    ledger.report_progress(ME, finding_id, 2, on=date(2022, 6, 2), progress="已入户")

    ledger.undo_last(ME, finding_id, 3)

    undo = ledger.history(finding_id)[-1]
    assert undo.details["undone_kind"] == "ProgressReported"
    assert undo.details["restored"] == {
        "latest_progress": "",
        "progress_on": None,
        "first_step_on": None,
        "progress_count": 0,
    }
    assert undo.on == date(2022, 6, 2)


def test_restored_dates_come_back_as_dates_from_the_store(
    ledger: Ledger,
    new_finding: NewFindingFactory,
    reopen: Callable[[], Ledger],
) -> None:
    finding_id = ledger.record(ME, new_finding(**PLAN))
    ledger.extend_deadline(
        ME, finding_id, 2, deadline=date(2022, 6, 15), reason="等材料"
    )
    ledger.undo_last(ME, finding_id, 3)
    ledger.close()

    again = reopen()

    restored = again.history(finding_id)[-1].details["restored"]
    assert restored == {"deadline": date(2022, 6, 10), "extensions": 0}
    assert type(restored["deadline"]) is date
    assert again.row(finding_id).deadline == date(2022, 6, 10)


def test_a_finding_goes_on_after_an_undone_withdrawal(
    ledger: Ledger, new_finding: NewFindingFactory
) -> None:
    finding_id = ledger.record(ME, new_finding(**PLAN))
    ledger.withdraw(ME, finding_id, 2, reason="误以为重复")

    ledger.undo_last(ME, finding_id, 3)

    assert ledger.row(finding_id).status is Status.IN_PROGRESS
    assert ledger.row(finding_id).withdrawn_reason == ""
    ledger.report_progress(ME, finding_id, 4, on=date(2022, 6, 2), progress="已入户")
    ledger.undo_last(ME, finding_id, 5)
    assert ledger.row(finding_id).progress_count == 0
    assert [e.kind for e in ledger.history(finding_id)] == [
        "Recorded",
        "RectificationPlanned",
        "Withdrawn",
        "ChangeUndone",
        "ProgressReported",
        "ChangeUndone",
    ]


def test_the_week_as_now_known_drops_an_undone_step_with_its_undo(
    ledger: Ledger, new_finding: NewFindingFactory, clock: SetClock
) -> None:
    finding_id = ledger.record(ME, new_finding(**PLAN))
    planned = ledger.row(finding_id)
    ledger.complete(ME, finding_id, 2, on=date(2022, 6, 2), effect="已挂牌")

    ledger.undo_last(ME, finding_id, 3)

    view = ledger.week_view(1, "褚河街道")
    assert comparable(view.known[finding_id]) == comparable(planned)
    assert comparable(view.reported[finding_id]) == comparable(planned)


def test_another_operators_step_cannot_be_undone(
    ledger: Ledger, new_finding: NewFindingFactory
) -> None:
    finding_id = ledger.record(ME, new_finding(**PLAN))
    head = ledger.head()

    for other in (Operator("李四", "褚河街道"), Operator("张三", "火龙镇")):
        with pytest.raises(NotYourChangeError) as caught:
            ledger.undo_last(other, finding_id, 2)
        assert caught.value == NotYourChangeError(finding_id, "张三", other.name)

    assert ledger.head() == head


def test_a_recording_cannot_be_undone(
    ledger: Ledger, new_finding: NewFindingFactory
) -> None:
    finding_id = ledger.record(ME, new_finding())

    with pytest.raises(NothingToUndoError) as caught:
        ledger.undo_last(ME, finding_id, 1)

    assert caught.value == NothingToUndoError(finding_id, "Recorded")
    assert ledger.head() == 1


def test_an_undo_cannot_be_undone(
    ledger: Ledger, new_finding: NewFindingFactory
) -> None:
    finding_id = ledger.record(ME, new_finding(**PLAN))
    ledger.undo_last(ME, finding_id, 2)

    with pytest.raises(NothingToUndoError) as caught:
        ledger.undo_last(ME, finding_id, 3)

    assert caught.value == NothingToUndoError(finding_id, "ChangeUndone")
    assert ledger.head() == 3


def test_an_undo_from_a_stale_version_is_refused(
    ledger: Ledger, new_finding: NewFindingFactory
) -> None:
    finding_id = ledger.record(ME, new_finding(**PLAN))
    ledger.report_progress(ME, finding_id, 2, on=date(2022, 6, 2), progress="已入户")

    with pytest.raises(ConcurrentChangeError):
        ledger.undo_last(ME, finding_id, 2)

    assert ledger.row(finding_id).progress_count == 1


def test_a_spot_check_sample_is_not_a_finding_to_undo(
    ledger: Ledger, new_finding: NewFindingFactory
) -> None:
    finding_id = ledger.record(ME, new_finding(**PLAN))
    ledger.complete(ME, finding_id, 2, on=date(2022, 6, 2), effect="已挂牌")
    sample_id = ledger.draw_sample(ME, per_stratum=1, seed=3)

    for call in (
        lambda: ledger.undo_last(ME, sample_id, 1),
        lambda: ledger.history(sample_id),
        lambda: ledger.row(sample_id),
    ):
        with pytest.raises(FindingNotFoundError):
            call()
