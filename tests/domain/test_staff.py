"""Operators and roles on a real store: the register as events, and who may do what."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from domain.campaign import Campaign
from domain.clock import SetClock
from domain.errors import (
    FirstOperatorError,
    LastOfficeError,
    NotPermittedError,
    OperatorExistsError,
    OperatorNotRegisteredError,
    OperatorRetiredError,
    OperatorUnitMismatchError,
    RoleUnitMismatchError,
)
from domain.ledger import Ledger, NewFinding, Operator, open_ledger
from domain.staff import Act, Role, StaffEntry
from domain.state import Status
from tests.conftest import SHANGHAI

STORES = ("sqlite", "postgres")

NewFindingFactory = Callable[..., NewFinding]
OFFICE = Operator("王主任", "市巩固拓展脱贫攻坚成果领导小组办公室")
ZHANG = Operator("张三", "褚河街道")
SUN = Operator("孙七", "火龙镇")
TEAM = Operator("赵验收", "市巩固拓展脱贫攻坚成果调研指导组")
PLAN: dict[str, Any] = {
    "measures": "入户核实",
    "deadline": date(2022, 6, 10),
    "responsible_unit": "市住建局",
}


@pytest.fixture
def staffed(ledger: Ledger) -> Ledger:
    """A ledger whose office has registered a unit operator of each of two
    townships and an inspector."""
    ledger.register_operator(OFFICE, OFFICE.name, OFFICE.unit, "办公室")
    ledger.register_operator(OFFICE, ZHANG.name, ZHANG.unit, "单位")
    ledger.register_operator(OFFICE, SUN.name, SUN.unit, "单位")
    ledger.register_operator(OFFICE, TEAM.name, TEAM.unit, "调研指导组")
    return ledger


def refused_without_a_trace(ledger: Ledger, attempt: Callable[[], Any]) -> Any:
    """Run an attempt that must be refused; nothing may be stored."""
    head = ledger.head()
    with pytest.raises(Exception) as caught:
        attempt()
    assert ledger.head() == head
    return caught.value


def test_with_nobody_registered_everybody_may_do_everything(
    ledger: Ledger, new_finding: NewFindingFactory
) -> None:
    finding_id = ledger.record(SUN, new_finding(**PLAN))

    ledger.complete(ZHANG, finding_id, 2, on=date(2022, 6, 2), effect="已整改")
    ledger.pass_acceptance(ZHANG, finding_id, 3, on=date(2022, 6, 2))

    assert ledger.row(finding_id).status is Status.CLOSED
    assert ledger.operators() == []
    assert ledger.sign_in("任何人", "褚河街道") == Operator("任何人", "褚河街道")


def test_the_register_is_started_by_the_office(ledger: Ledger) -> None:
    error = refused_without_a_trace(
        ledger, lambda: ledger.register_operator(ZHANG, "张三", "褚河街道", "单位")
    )
    assert error == FirstOperatorError("单位")

    ledger.register_operator(ZHANG, OFFICE.name, OFFICE.unit, "办公室")

    assert ledger.operators() == [
        StaffEntry(OFFICE.name, OFFICE.unit, Role.OFFICE, True)
    ]
    error = refused_without_a_trace(
        ledger, lambda: ledger.register_operator(ZHANG, "李四", "褚河街道", "单位")
    )
    assert error == OperatorNotRegisteredError("张三")


def test_the_register_is_events_that_another_instance_reads(
    staffed: Ledger, campaign: Campaign, store: Path | str, clock: SetClock
) -> None:
    other = open_ledger(campaign, store, clock)

    assert [(e.name, e.role) for e in other.operators()] == [
        ("王主任", Role.OFFICE),
        ("张三", Role.UNIT),
        ("孙七", Role.UNIT),
        ("赵验收", Role.INSPECTION),
    ]
    kinds = [type(e).__name__ for e in other.events_in_order()]
    assert kinds == ["Registered"] * 4
    assert {e.operator for e in other.events_in_order()} == {"王主任"}
    other.close()


def test_a_unit_operator_records_and_changes_only_their_own_units_findings(
    staffed: Ledger, new_finding: NewFindingFactory
) -> None:
    mine = staffed.record(ZHANG, new_finding(**PLAN))

    error = refused_without_a_trace(
        staffed, lambda: staffed.record(ZHANG, new_finding(reporting_unit="火龙镇"))
    )
    assert error == NotPermittedError("张三", "单位", "褚河街道", "record", "火龙镇")
    error = refused_without_a_trace(
        staffed,
        lambda: staffed.withdraw(SUN, mine, 2, reason="不是我们的"),
    )
    assert error == NotPermittedError("孙七", "单位", "火龙镇", "change", "褚河街道")
    staffed.report_progress(ZHANG, mine, 2, on=date(2022, 6, 2), progress="已入户")
    assert staffed.row(mine).version == 3


def test_acceptance_results_are_the_inspection_teams(
    staffed: Ledger, new_finding: NewFindingFactory
) -> None:
    finding_id = staffed.record(ZHANG, new_finding(**PLAN))
    staffed.complete(ZHANG, finding_id, 2, on=date(2022, 6, 2), effect="已整改")

    for who in (ZHANG, OFFICE):

        def accept(who: Operator = who) -> None:
            staffed.pass_acceptance(who, finding_id, 3, on=date(2022, 6, 2))

        error = refused_without_a_trace(staffed, accept)
        assert isinstance(error, NotPermittedError) and error.act == "accept"
    error = refused_without_a_trace(
        staffed, lambda: staffed.record(TEAM, new_finding())
    )
    assert isinstance(error, NotPermittedError) and error.act == "record"

    staffed.pass_acceptance(TEAM, finding_id, 3, on=date(2022, 6, 2))

    assert staffed.row(finding_id).status is Status.CLOSED
    assert staffed.history(finding_id)[-1].operator == "赵验收"
    assert staffed.may(TEAM, Act.SAMPLE, "") and not staffed.may(ZHANG, Act.SAMPLE, "")


def test_only_the_office_keeps_the_register(staffed: Ledger) -> None:
    error = refused_without_a_trace(
        staffed, lambda: staffed.register_operator(ZHANG, "李四", "褚河街道", "单位")
    )
    assert isinstance(error, NotPermittedError) and error.act == "register"
    error = refused_without_a_trace(
        staffed, lambda: staffed.register_operator(OFFICE, "张三", "火龙镇", "单位")
    )
    assert error == OperatorExistsError("张三", "褚河街道", "单位")
    error = refused_without_a_trace(
        staffed, lambda: staffed.register_operator(OFFICE, "李四", "火星镇", "单位")
    )
    assert error.field == "unit"
    error = refused_without_a_trace(
        staffed, lambda: staffed.register_operator(OFFICE, "李四", "褚河街道", "组长")
    )
    assert error.field == "role"
    # A role its unit cannot have: the office signing as 褚河街道, a unit's clerk
    # at the office (which hands in no ledger).
    for unit, role in (("褚河街道", "办公室"), ("褚河街道", "调研指导组"), (OFFICE.unit, "单位")):
        error = refused_without_a_trace(
            staffed, lambda u=unit, r=role: staffed.register_operator(OFFICE, "李四", u, r)
        )
        assert error == RoleUnitMismatchError(role, unit), (unit, role)
    error = refused_without_a_trace(
        staffed, lambda: staffed.assign_operator(OFFICE, ZHANG.name, ZHANG.unit, "办公室")
    )
    assert error == RoleUnitMismatchError("办公室", ZHANG.unit)
    # A department may lend the office its staff.
    staffed.register_operator(OFFICE, "刘干事", "市乡村振兴局", "办公室")


def test_an_unregistered_or_retired_operator_is_refused_and_can_come_back(
    staffed: Ledger, new_finding: NewFindingFactory
) -> None:
    stranger = Operator("路人", "褚河街道")
    error = refused_without_a_trace(
        staffed, lambda: staffed.record(stranger, new_finding())
    )
    assert error == OperatorNotRegisteredError("路人")

    staffed.retire_operator(OFFICE, "张三")

    error = refused_without_a_trace(
        staffed, lambda: staffed.record(ZHANG, new_finding())
    )
    assert error == OperatorRetiredError("张三")
    with pytest.raises(OperatorRetiredError):
        staffed.sign_in("张三")

    staffed.register_operator(OFFICE, "张三", "火龙镇", "单位")

    assert staffed.sign_in("张三") == Operator("张三", "火龙镇", "单位")
    staffed.record(ZHANG, new_finding(reporting_unit="火龙镇"))


def test_a_registered_operator_works_under_their_registered_unit(
    staffed: Ledger, new_finding: NewFindingFactory
) -> None:
    with pytest.raises(OperatorUnitMismatchError) as caught:
        staffed.sign_in("张三", "火龙镇")
    assert caught.value == OperatorUnitMismatchError("张三", "褚河街道", "火龙镇")

    finding_id = staffed.record(Operator("张三", "某个写错的单位"), new_finding())

    entry = staffed.history(finding_id)[0]
    assert (entry.operator, entry.operator_unit) == ("张三", "褚河街道")


def test_the_last_office_operator_cannot_be_retired_or_moved(staffed: Ledger) -> None:
    error = refused_without_a_trace(
        staffed, lambda: staffed.retire_operator(OFFICE, OFFICE.name)
    )
    assert error == LastOfficeError(OFFICE.name)
    error = refused_without_a_trace(
        staffed,
        lambda: staffed.assign_operator(OFFICE, OFFICE.name, "褚河街道", "单位"),
    )
    assert error == LastOfficeError(OFFICE.name)

    staffed.register_operator(OFFICE, "钱秘书", OFFICE.unit, "办公室")
    staffed.assign_operator(OFFICE, OFFICE.name, "褚河街道", "单位")

    assert staffed.sign_in(OFFICE.name) == Operator(OFFICE.name, "褚河街道", "单位")


def test_submissions_seals_and_samples_follow_the_roles(
    staffed: Ledger, clock: SetClock, new_finding: NewFindingFactory
) -> None:
    staffed.record(ZHANG, new_finding(**PLAN))
    clock.set(datetime(2022, 6, 21, 9, tzinfo=SHANGHAI))

    for attempt in (
        lambda: staffed.submit_week(SUN, "褚河街道", 1),
        lambda: staffed.submit_week(OFFICE, "褚河街道", 1),
        lambda: staffed.seal(TEAM, "褚河街道", "王主任"),
        lambda: staffed.draw_sample(ZHANG, per_stratum=1),
    ):
        assert isinstance(refused_without_a_trace(staffed, attempt), NotPermittedError)

    staffed.submit_week(ZHANG, "褚河街道", 1)
    staffed.seal(ZHANG, "褚河街道", "褚河街道主任", force=True)
    assert staffed.sealed_by("褚河街道") == "褚河街道主任"
    assert [s.by for s in staffed.submissions()] == ["张三"]


@pytest.fixture
def two(campaign: Campaign, store: Path | str, clock: SetClock) -> Iterator[Ledger]:
    other = open_ledger(campaign, store, clock)
    yield other
    other.close()


def test_a_registration_made_elsewhere_applies_at_once(
    staffed: Ledger, two: Ledger, new_finding: NewFindingFactory
) -> None:
    two.record(ZHANG, new_finding())

    staffed.retire_operator(OFFICE, "张三")

    with pytest.raises(OperatorRetiredError):
        two.record(ZHANG, new_finding())


def test_a_screening_is_signed_by_a_registered_operator_of_its_own_unit(
    staffed: Ledger,
) -> None:
    def screen(by: Operator, unit: str) -> None:
        staffed.record_screening(
            by, unit, "住房保障", 2, households=120, problems_found=0
        )

    stranger = Operator("路人甲", "褚河街道")
    error = refused_without_a_trace(staffed, lambda: screen(stranger, "褚河街道"))
    assert error == OperatorNotRegisteredError("路人甲")
    error = refused_without_a_trace(staffed, lambda: screen(ZHANG, "颍川街道"))
    assert error == NotPermittedError("张三", "单位", "褚河街道", "record", "颍川街道")
    error = refused_without_a_trace(staffed, lambda: screen(TEAM, "褚河街道"))
    assert isinstance(error, NotPermittedError)

    screen(Operator("张三", "颍川街道"), "褚河街道")  # the register says which unit

    (screening,) = staffed.screenings("褚河街道")
    event = list(staffed.events_in_order())[-1]
    assert screening.operator == event.operator == "张三"
    assert event.operator_unit == "褚河街道"


def test_the_responsible_department_reports_progress_and_completion(
    staffed: Ledger, new_finding: NewFindingFactory
) -> None:
    """市住建局, responsible for a township's finding, was refused its own
    progress (…不能办理褚河街道的问题): sector-led work had to be typed by
    the township. Plans, deadlines, corrections and withdrawal stay the
    reporting unit's; another department still may do nothing."""
    housing = Operator("钱五", "市住建局")
    water = Operator("周六", "市水利局")
    staffed.register_operator(OFFICE, housing.name, housing.unit, "单位")
    staffed.register_operator(OFFICE, water.name, water.unit, "单位")
    finding_id = staffed.record(ZHANG, new_finding(**PLAN))

    refused = refused_without_a_trace(
        staffed,
        lambda: staffed.report_progress(
            water, finding_id, 2, on=date(2022, 6, 2), progress="入户核实"
        ),
    )
    assert isinstance(refused, NotPermittedError)
    staffed.report_progress(housing, finding_id, 2, on=date(2022, 6, 2), progress="已入户")
    staffed.complete(housing, finding_id, 3, on=date(2022, 6, 2), effect="已挂牌")
    staffed.undo_last(housing, finding_id, 4)
    staffed.complete(housing, finding_id, 5, on=date(2022, 6, 2), effect="已挂牌，附照片")

    assert staffed.row(finding_id).status is Status.AWAITING_ACCEPTANCE
    assert [e.operator for e in staffed.history(finding_id)][-3:] == ["钱五"] * 3
    for attempt in (
        lambda: staffed.extend_deadline(
            housing, finding_id, 6, deadline=date(2022, 6, 20), reason="等材料"
        ),
        lambda: staffed.withdraw(housing, finding_id, 6, reason="重复"),
        lambda: staffed.correct(
            housing, finding_id, 6, field="measures", value="改", reason="核实"
        ),
    ):
        assert isinstance(refused_without_a_trace(staffed, attempt), NotPermittedError)
