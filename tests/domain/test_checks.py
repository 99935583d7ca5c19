"""The ledger check on a real store: each problem an acceptance would point out."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest

from domain.campaign import Campaign
from domain.checks import ProblemKind, check_ledger
from domain.clock import SetClock
from domain.errors import UnknownValueError
from domain.ledger import Ledger, NewFinding, Operator, open_ledger
from tests.conftest import SHANGHAI

# Every test that opens a store runs on SQLite and on PostgreSQL (tests/conftest.py).
STORES = ("sqlite", "postgres")

NewFindingFactory = Callable[..., NewFinding]

PLAN = {
    "measures": "入户核实",
    "deadline": date(2022, 6, 20),
    "responsible_unit": "市住建局",
}
HUOLONG = Operator("孙七", "火龙镇")


def found(ledger: Ledger) -> set[tuple[str, ProblemKind]]:
    return {(p.finding_id, p.kind) for p in ledger.check()}


def finished(ledger: Ledger, by: Operator, new: NewFinding) -> str:
    """Record a finding, report progress and complete it: a row nobody can fault."""
    finding_id = ledger.record(by, new)
    ledger.report_progress(by, finding_id, 2, on=date(2022, 6, 2), progress="已入户")
    ledger.complete(by, finding_id, 3, on=date(2022, 6, 2), effect="已整改")
    return finding_id


def test_a_clean_ledger_has_no_problem(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    done = finished(ledger, operator, new_finding(**PLAN))
    ledger.pass_acceptance(operator, done, 4, on=date(2022, 6, 2))
    finished(ledger, operator, new_finding(statement="乙", **PLAN))
    ledger.record(operator, new_finding(statement="丙", **PLAN))
    sloppy = ledger.record(operator, new_finding(statement="丁", cause=""))
    ledger.withdraw(operator, sloppy, 1, reason="重复")

    clock.set(datetime(2022, 6, 20, 23, 59, tzinfo=SHANGHAI))

    assert ledger.check() == []


def test_an_unplanned_finding_lacks_a_deadline_and_measures(
    ledger: Ledger, operator: Operator, new_finding: NewFindingFactory
) -> None:
    finding_id = ledger.record(operator, new_finding())

    assert found(ledger) == {
        (finding_id, ProblemKind.DEADLINE_MISSING),
        (finding_id, ProblemKind.MEASURES_MISSING),
    }
    [problem, _] = ledger.check()
    assert problem.unit == "褚河街道"
    assert problem.statement == "马坪村刘某房屋未做安全性认定"
    assert problem.detail == ""


def test_a_finding_completed_without_any_progress_is_a_problem(
    ledger: Ledger, operator: Operator, new_finding: NewFindingFactory
) -> None:
    finding_id = ledger.record(operator, new_finding(**PLAN))
    ledger.complete(operator, finding_id, 2, on=date(2022, 6, 2), effect="已整改")
    assert found(ledger) == {(finding_id, ProblemKind.COMPLETED_WITHOUT_PROGRESS)}

    ledger.pass_acceptance(operator, finding_id, 3, on=date(2022, 6, 2))

    assert found(ledger) == {(finding_id, ProblemKind.COMPLETED_WITHOUT_PROGRESS)}


@pytest.mark.parametrize("cause", ["", "   "])
def test_a_missing_cause_is_a_problem(
    ledger: Ledger, operator: Operator, new_finding: NewFindingFactory, cause: str
) -> None:
    finding_id = ledger.record(operator, new_finding(cause=cause, **PLAN))

    assert found(ledger) == {(finding_id, ProblemKind.CAUSE_MISSING)}


def test_an_open_finding_past_its_deadline_is_overdue(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    finding_id = ledger.record(operator, new_finding(**PLAN))
    clock.set(datetime(2022, 6, 20, 23, 59, tzinfo=SHANGHAI))
    assert ledger.check() == []

    clock.set(datetime(2022, 6, 21, 0, 1, tzinfo=SHANGHAI))

    [problem] = ledger.check()
    assert (problem.finding_id, problem.kind) == (finding_id, ProblemKind.OVERDUE)
    assert problem.detail == "2022-06-20"


def test_a_responsible_unit_the_campaign_no_longer_has_is_a_problem(
    ledger: Ledger,
    campaign: Campaign,
    store: Path,
    clock: SetClock,
    operator: Operator,
    new_finding: NewFindingFactory,
) -> None:
    finding_id = ledger.record(operator, new_finding(**PLAN))
    ledger.close()
    departments = [u for u in campaign.units.departments if u != "市住建局"]
    renamed = campaign.model_copy(
        update={"units": campaign.units.model_copy(update={"departments": departments})}
    )

    again = open_ledger(renamed, store, clock)
    try:
        [problem] = again.check()
    finally:
        again.close()

    assert problem.finding_id == finding_id
    assert problem.kind is ProblemKind.UNKNOWN_RESPONSIBLE_UNIT
    assert problem.detail == "市住建局"


def test_a_deadline_before_the_found_date_is_a_problem(
    ledger: Ledger, operator: Operator, new_finding: NewFindingFactory
) -> None:
    """The ledger refuses such a row, so only an imported or older one can hold it."""
    finding_id = ledger.record(operator, new_finding(**PLAN))
    row = dataclasses.replace(ledger.row(finding_id), deadline=date(2022, 5, 31))

    problems = check_ledger([row], ledger.campaign, ledger.today())

    assert [(p.kind, p.detail) for p in problems] == [
        (ProblemKind.DEADLINE_BEFORE_FOUND, "2022-05-31 < 2022-06-01"),
        (ProblemKind.OVERDUE, "2022-05-31"),
    ]


def test_a_check_of_one_unit_shows_only_its_rows(
    ledger: Ledger, operator: Operator, new_finding: NewFindingFactory
) -> None:
    ledger.record(operator, new_finding())
    theirs = ledger.record(HUOLONG, new_finding(reporting_unit="火龙镇", cause=""))

    problems = ledger.check("火龙镇")

    assert {p.finding_id for p in problems} == {theirs}
    assert {p.unit for p in problems} == {"火龙镇"}
    assert len(ledger.check()) == 5
    with pytest.raises(UnknownValueError):
        ledger.check("不存在镇")


def test_a_completion_dated_before_a_progress_report_is_a_problem(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    """Papers entered out of order: done on June 3, yet progress on June 5.
    Each date is possible alone; together the ledger contradicts itself."""
    clock.set(datetime(2022, 6, 6, 9, tzinfo=SHANGHAI))
    finding_id = ledger.record(operator, new_finding(**PLAN))
    ledger.report_progress(operator, finding_id, 2, on=date(2022, 6, 5), progress="已入户")
    ledger.complete(operator, finding_id, 3, on=date(2022, 6, 3), effect="已整改")

    [problem] = ledger.check()
    assert (problem.kind, problem.detail) == (
        ProblemKind.COMPLETED_BEFORE_PROGRESS,
        "2022-06-03 < 2022-06-05",
    )
