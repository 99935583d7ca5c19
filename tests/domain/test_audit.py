"""Audit replays on a real store: as reported, as now known, late reports, week changes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from domain.clock import SetClock
from domain.ledger import Ledger, NewFinding, Operator
from domain.state import Status
from tests.conftest import SHANGHAI

# Every test that opens a store runs on SQLite and on PostgreSQL (tests/conftest.py).
STORES = ("sqlite", "postgres")

NewFindingFactory = Callable[..., NewFinding]

PLAN = {"measures": "入户核实", "deadline": date(2022, 6, 10), "responsible_unit": "市住建局"}


def at(clock: SetClock, month: int, day: int, hour: int = 10) -> None:
    clock.set(datetime(2022, month, day, hour, 0, tzinfo=SHANGHAI))


def test_a_late_finding_and_a_backdated_completion_show_as_late_for_week_one(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    at(clock, 6, 2)
    a = ledger.record(operator, new_finding(statement="甲", **PLAN))
    b = ledger.record(operator, new_finding(statement="乙", **PLAN))

    at(clock, 6, 9)
    c = ledger.record(operator, new_finding(statement="丙", found_on=date(2022, 6, 5)))
    ledger.complete(operator, a, 2, on=date(2022, 6, 6), effect="已整改")
    ledger.withdraw(operator, b, 2, reason="重复")

    view = ledger.week_view(1, "褚河街道")

    assert set(view.reported) == {a, b}
    assert view.reported[a].status is Status.IN_PROGRESS
    assert set(view.known) == {a, b, c}
    assert view.known[a].status is Status.AWAITING_ACCEPTANCE
    # Withdrawn on 6-09 as a duplicate: a void mends the record, whenever made;
    # it is not a step reported late.
    assert view.known[b].status is Status.WITHDRAWN
    late = {(e.finding_id, e.kind) for e in view.late}
    assert late == {(c, "finding"), (a, "step")}


def test_week_two_against_week_one_lists_new_closed_slipped_and_changed(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    at(clock, 6, 2)
    a = ledger.record(operator, new_finding(statement="甲", **PLAN))
    b = ledger.record(
        operator, new_finding(statement="乙", **{**PLAN, "deadline": date(2022, 6, 9)})
    )
    d = ledger.record(
        operator, new_finding(statement="丁", **{**PLAN, "deadline": date(2022, 6, 20)})
    )
    ledger.complete(operator, a, 2, on=date(2022, 6, 2), effect="已整改")

    at(clock, 6, 8)
    ledger.pass_acceptance(operator, a, 3, on=date(2022, 6, 8))
    c = ledger.record(operator, new_finding(statement="丙", found_on=date(2022, 6, 8)))
    ledger.correct(operator, d, 2, field="nature", value="共性问题", reason="多户同样")

    diff = ledger.week_view(2).diff

    assert [s.finding_id for s in diff.new] == [c]
    assert [s.finding_id for s in diff.closed] == [a]
    assert [s.finding_id for s in diff.slipped] == [b]  # due 6-09, open at 6-14
    changed = {s.finding_id: [ch.field for ch in changes] for s, changes in diff.changed}
    assert changed == {a: ["status"], d: ["nature"]}


def test_week_counts_follow_recording_time(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    at(clock, 6, 2)
    a = ledger.record(operator, new_finding(**PLAN))
    ledger.record(operator, new_finding(**{**PLAN, "deadline": date(2022, 6, 3)}))

    at(clock, 6, 9)
    ledger.complete(operator, a, 2, on=date(2022, 6, 9), effect="已整改")
    at(clock, 6, 10)
    ledger.pass_acceptance(operator, a, 3, on=date(2022, 6, 10))

    counts = {c.week: c for c in ledger.week_table("褚河街道")}

    assert (counts[1].new, counts[1].completed, counts[1].accepted) == (2, 0, 0)
    assert counts[1].overdue == 1  # due 6-03, open on 6-07
    assert (counts[2].new, counts[2].completed, counts[2].accepted) == (0, 1, 1)
    assert counts[2].overdue == 1
    assert [c.week for c in ledger.week_table()] == ledger.campaign.report_weeks
