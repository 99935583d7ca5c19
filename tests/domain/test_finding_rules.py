"""Rules of the Finding aggregate: each step, each refusal and the values it carries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from domain.errors import (
    AlreadyPlannedError,
    DateInFutureError,
    DateTooEarlyError,
    DeadlineBeforeFoundError,
    DeadlineNotLaterError,
    EmptyTextError,
    FindingClosedError,
    FindingWithdrawnError,
    FoundAfterStepError,
    NothingChangedError,
    NotPlannedError,
    TextTooLongError,
    UncorrectableFieldError,
    WrongStatusError,
)
from domain.finding import MAX_TEXT, Finding, Stamp
from domain.state import Status

FOUND_ON = date(2022, 6, 1)
TODAY = date(2022, 6, 2)
DEADLINE = date(2022, 6, 10)

# 10:00 in Shanghai on TODAY.
STAMP = Stamp("张三", "褚河街道", datetime(2022, 6, 2, 2, 0, tzinfo=UTC), TODAY)

Step = Callable[[Finding, Stamp], None]


def later(days: int, operator: str = "张三", unit: str = "褚河街道") -> Stamp:
    """Stamp a step taken `days` after STAMP, by the given operator."""
    return Stamp(
        operator, unit, STAMP.at + timedelta(days=days), TODAY + timedelta(days)
    )


def record(stamp: Stamp = STAMP, **overrides: Any) -> Finding:
    fields: dict[str, Any] = {
        "reporting_unit": "褚河街道",
        "category": "housing",
        "check_item": 1,
        "nature": "个性问题",
        "statement": "马坪村刘某房屋未做安全性认定",
        "cause": "村级排查遗漏",
        "found_on": FOUND_ON,
        "source": "自查",
        "village": "马坪村",
        "household_head": "刘某",
        "household_kind": "脱贫户",
    }
    return Finding.record(stamp, **{**fields, **overrides})


def plan(finding: Finding, stamp: Stamp = STAMP, **overrides: Any) -> None:
    fields: dict[str, Any] = {
        "measures": "组织住建部门上门鉴定并挂牌",
        "deadline": DEADLINE,
        "responsible_unit": "市住建局",
        "responsible_leader": "李四",
    }
    finding.plan(stamp, **{**fields, **overrides})


def complete(finding: Finding, stamp: Stamp = STAMP, on: date = TODAY) -> None:
    finding.complete(stamp, on=on, effect="已出具鉴定结果并挂牌")


def status_of(finding: Finding) -> Status:
    return finding.state.status


def pending() -> Finding:
    return record()


def in_progress() -> Finding:
    finding = record()
    plan(finding)
    return finding


def awaiting_acceptance() -> Finding:
    finding = in_progress()
    complete(finding)
    return finding


def returned() -> Finding:
    finding = awaiting_acceptance()
    finding.fail_acceptance(later(1), on=TODAY, inspector="王五", remarks="挂牌未到位")
    return finding


def closed() -> Finding:
    finding = awaiting_acceptance()
    finding.pass_acceptance(later(1), on=TODAY, inspector="王五", remarks="")
    return finding


# Every step, with the earliest status in which it is allowed.
STEPS: dict[str, tuple[Callable[[], Finding], Step]] = {
    "plan": (pending, lambda f, s: plan(f, s)),
    "extend_deadline": (
        in_progress,
        lambda f, s: f.extend_deadline(
            s, deadline=DEADLINE + timedelta(5), reason="雨季"
        ),
    ),
    "report_progress": (
        in_progress,
        lambda f, s: f.report_progress(s, on=TODAY, progress="已联系鉴定", evidence=[]),
    ),
    "complete": (in_progress, lambda f, s: complete(f, s)),
    "pass_acceptance": (
        awaiting_acceptance,
        lambda f, s: f.pass_acceptance(s, on=TODAY, inspector="王五", remarks=""),
    ),
    "fail_acceptance": (
        awaiting_acceptance,
        lambda f, s: f.fail_acceptance(s, on=TODAY, inspector="王五", remarks="未挂牌"),
    ),
    "correct": (
        pending,
        lambda f, s: f.correct(s, field="village", value="大周村", reason="村名记错"),
    ),
    "withdraw": (pending, lambda f, s: f.withdraw(s, reason="重复录入")),
}


def refused(finding: Finding, step: Step, stamp: Stamp = STAMP) -> Exception:
    """Run a step that must be refused; check nothing was recorded; return the error."""
    version = finding.version
    state = finding.state

    with pytest.raises(Exception) as caught:
        step(finding, stamp)

    assert finding.version == version
    assert finding.state == state
    return caught.value


# The lifecycle


def test_a_recorded_finding_is_pending_with_what_was_recorded() -> None:
    finding = record()

    state = finding.state
    assert state.status is Status.PENDING
    assert state.finding_id == str(finding.id)
    assert state.found_on == FOUND_ON
    assert state.statement == "马坪村刘某房屋未做安全性认定"
    assert state.household_head == "刘某"
    assert state.recorded_by == "张三"
    assert state.recorded_at == STAMP.at
    assert state.planned is False
    assert state.deadline is None
    assert state.version == finding.version == 1


def test_text_is_stored_without_surrounding_whitespace() -> None:
    finding = record(statement="  房屋漏雨\n", cause="\u3000年久失修 ")

    assert finding.state.statement == "房屋漏雨"
    assert finding.state.cause == "年久失修"


def test_full_lifecycle_with_return_for_rework_and_recompletion() -> None:
    finding = record()
    assert status_of(finding) is Status.PENDING

    plan(finding)
    assert status_of(finding) is Status.IN_PROGRESS
    assert finding.state.planned
    assert finding.state.deadline == DEADLINE
    assert finding.state.responsible_unit == "市住建局"

    finding.extend_deadline(later(1), deadline=date(2022, 6, 15), reason="等待鉴定机构")
    assert finding.state.deadline == date(2022, 6, 15)
    assert finding.state.extensions == 1
    assert status_of(finding) is Status.IN_PROGRESS

    finding.report_progress(
        later(2),
        on=date(2022, 6, 4),
        progress="已完成鉴定",
        evidence=["鉴定书.pdf", " "],
    )
    assert finding.state.latest_progress == "已完成鉴定"
    assert finding.state.progress_on == date(2022, 6, 4)
    assert finding.state.progress_count == 1

    complete(finding, later(3), on=date(2022, 6, 5))
    assert status_of(finding) is Status.AWAITING_ACCEPTANCE
    assert finding.state.completed_on == date(2022, 6, 5)
    assert not finding.state.is_overdue(date(2022, 7, 1))

    finding.fail_acceptance(
        later(4), on=date(2022, 6, 6), inspector="王五", remarks="未挂牌"
    )
    assert status_of(finding) is Status.IN_PROGRESS
    assert finding.state.completed_on is None
    assert finding.state.returned_count == 1
    assert finding.state.is_overdue(date(2022, 6, 16))

    finding.report_progress(
        later(5), on=date(2022, 6, 7), progress="已挂牌", evidence=[]
    )
    assert status_of(finding) is Status.IN_PROGRESS
    assert finding.state.progress_count == 2

    complete(finding, later(6), on=date(2022, 6, 8))
    assert status_of(finding) is Status.AWAITING_ACCEPTANCE
    assert finding.state.completed_on == date(2022, 6, 8)

    finding.pass_acceptance(later(7), on=date(2022, 6, 9), inspector="王五", remarks="")
    assert status_of(finding) is Status.CLOSED
    assert finding.state.accepted_on == date(2022, 6, 9)
    assert not finding.state.is_overdue(date(2022, 7, 1))

    kinds = [type(e).__name__ for e in finding.collect_events()]
    assert kinds == [
        "Recorded",
        "RectificationPlanned",
        "DeadlineExtended",
        "ProgressReported",
        "RectificationCompleted",
        "AcceptanceFailed",
        "ProgressReported",
        "RectificationCompleted",
        "AcceptancePassed",
    ]
    assert finding.version == finding.state.version == 9


def test_evidence_drops_blank_references() -> None:
    finding = in_progress()

    finding.report_progress(
        STAMP, on=TODAY, progress="已联系", evidence=[" 照片1.jpg ", "", "  "]
    )

    event = finding.collect_events()[-1]
    assert isinstance(event, Finding.ProgressReported)
    assert event.evidence == ["照片1.jpg"]


@pytest.mark.parametrize("make", [pending, in_progress, awaiting_acceptance, returned])
def test_a_finding_can_be_withdrawn_until_it_is_closed(
    make: Callable[[], Finding],
) -> None:
    finding = make()

    finding.withdraw(later(1), reason="与另一条重复")

    assert finding.state.status is Status.WITHDRAWN
    assert finding.state.withdrawn_reason == "与另一条重复"
    assert not finding.state.is_overdue(date(2022, 12, 31))


def test_overdue_only_while_open_and_after_the_deadline() -> None:
    finding = in_progress()

    assert not finding.state.is_overdue(DEADLINE)
    assert finding.state.is_overdue(DEADLINE + timedelta(1))
    assert finding.state.days_to_deadline(TODAY) == 8
    assert not pending().state.is_overdue(date(2022, 12, 31))


def test_events_carry_operator_unit_business_day_and_stamp_time() -> None:
    recorder = STAMP
    planner = later(1, "李四", "市住建局")
    extender = later(2, "李四", "市住建局")
    reporter = later(3, "赵六", "褚河街道")
    finisher = later(4, "赵六", "褚河街道")
    inspector = later(5, "王五", "市巩固拓展脱贫攻坚成果调研指导组")
    corrector = later(6, "张三", "褚河街道")
    withdrawer = later(7, "张三", "褚河街道")

    finding = record(recorder)
    plan(finding, planner)
    finding.extend_deadline(extender, deadline=date(2022, 6, 20), reason="雨季")
    finding.report_progress(
        reporter, on=date(2022, 6, 3), progress="已鉴定", evidence=[]
    )
    complete(finding, finisher, on=date(2022, 6, 4))
    finding.fail_acceptance(
        inspector, on=date(2022, 6, 5), inspector="王五", remarks="缺牌"
    )
    finding.correct(corrector, field="village", value="大周村", reason="村名记错")
    finding.withdraw(withdrawer, reason="重复")

    expected = [
        (recorder, FOUND_ON),
        (planner, planner.today),
        (extender, extender.today),
        (reporter, date(2022, 6, 3)),
        (finisher, date(2022, 6, 4)),
        (inspector, date(2022, 6, 5)),
        (corrector, corrector.today),
        (withdrawer, withdrawer.today),
    ]
    events = finding.collect_events()
    assert len(events) == len(expected)
    for event, (stamp, on) in zip(events, expected, strict=True):
        assert isinstance(event, Finding.Event)
        assert event.operator == stamp.operator
        assert event.operator_unit == stamp.operator_unit
        assert event.timestamp == stamp.at
        assert event.on == on
    assert finding.state.updated_at == withdrawer.at


# Final states take no steps


@pytest.mark.parametrize("name", STEPS)
def test_each_step_is_allowed_in_its_status(name: str) -> None:
    make, step = STEPS[name]
    finding = make()

    step(finding, later(1))

    assert finding.version == make().version + 1


@pytest.mark.parametrize("name", STEPS)
def test_a_withdrawn_finding_takes_no_steps(name: str) -> None:
    make, step = STEPS[name]
    finding = make()
    finding.withdraw(STAMP, reason="重复录入")

    error = refused(finding, step, later(1))

    assert error == FindingWithdrawnError(str(finding.id))


@pytest.mark.parametrize("name", STEPS)
def test_a_closed_finding_takes_no_steps(name: str) -> None:
    finding = closed()

    error = refused(finding, STEPS[name][1], later(2))

    assert error == FindingClosedError(str(finding.id))


# Order of the steps


def test_plan_twice_is_refused() -> None:
    finding = in_progress()

    error = refused(finding, lambda f, s: plan(f, s, deadline=date(2022, 6, 12)))

    assert error == AlreadyPlannedError(str(finding.id))


@pytest.mark.parametrize("name", ["extend_deadline", "report_progress", "complete"])
def test_rectification_steps_before_a_plan_are_refused(name: str) -> None:
    finding = pending()

    error = refused(finding, STEPS[name][1])

    assert error == NotPlannedError(str(finding.id))


@pytest.mark.parametrize("field", ["measures", "responsible_unit"])
def test_correcting_a_plan_field_before_a_plan_is_refused(field: str) -> None:
    finding = pending()

    error = refused(
        finding, lambda f, s: f.correct(s, field=field, value="市水利局", reason="改")
    )

    assert error == NotPlannedError(str(finding.id))


@pytest.mark.parametrize(
    ("make", "status"),
    [
        (pending, Status.PENDING),
        (in_progress, Status.IN_PROGRESS),
        (returned, Status.IN_PROGRESS),
    ],
)
@pytest.mark.parametrize("name", ["pass_acceptance", "fail_acceptance"])
def test_acceptance_only_when_awaiting_it(
    make: Callable[[], Finding], status: Status, name: str
) -> None:
    finding = make()

    error = refused(finding, STEPS[name][1], later(2))

    assert error == WrongStatusError(
        str(finding.id), status, Status.AWAITING_ACCEPTANCE
    )


@pytest.mark.parametrize("name", ["extend_deadline", "report_progress", "complete"])
def test_rectification_steps_while_awaiting_acceptance_are_refused(name: str) -> None:
    finding = awaiting_acceptance()

    error = refused(finding, STEPS[name][1])

    assert error == WrongStatusError(
        str(finding.id), Status.AWAITING_ACCEPTANCE, Status.IN_PROGRESS
    )


# Dates


def test_deadline_before_found_date_is_refused() -> None:
    finding = pending()

    error = refused(finding, lambda f, s: plan(f, s, deadline=date(2022, 5, 31)))

    assert error == DeadlineBeforeFoundError(date(2022, 5, 31), FOUND_ON)


def test_deadline_on_the_found_date_is_accepted() -> None:
    finding = pending()

    plan(finding, deadline=FOUND_ON)

    assert finding.state.deadline == FOUND_ON


def test_correcting_found_date_past_the_deadline_is_refused() -> None:
    finding = in_progress()

    day_after = DEADLINE + timedelta(1)

    error = refused(
        finding,
        lambda f, s: f.correct(s, field="found_on", value=day_after, reason="记错"),
        later(10),
    )

    assert error == DeadlineBeforeFoundError(DEADLINE, day_after)

    finding.correct(later(10), field="found_on", value=date(2022, 6, 2), reason="记错")
    assert finding.state.found_on == date(2022, 6, 2)


@pytest.mark.parametrize("new", [DEADLINE, DEADLINE - timedelta(1)])
def test_extension_must_be_later_than_the_deadline(new: date) -> None:
    finding = in_progress()

    error = refused(
        finding, lambda f, s: f.extend_deadline(s, deadline=new, reason="x")
    )

    assert error == DeadlineNotLaterError(new, DEADLINE)


def test_progress_before_the_found_date_is_refused() -> None:
    finding = in_progress()
    day = FOUND_ON - timedelta(1)

    error = refused(
        finding,
        lambda f, s: f.report_progress(s, on=day, progress="已联系", evidence=[]),
    )

    assert error == DateTooEarlyError("progress_on", day, FOUND_ON)


def test_completion_before_the_found_date_is_refused() -> None:
    finding = in_progress()
    day = FOUND_ON - timedelta(1)

    error = refused(finding, lambda f, s: complete(f, s, on=day))

    assert error == DateTooEarlyError("completed_on", day, FOUND_ON)


@pytest.mark.parametrize("name", ["pass_acceptance", "fail_acceptance"])
def test_acceptance_before_the_completion_date_is_refused(name: str) -> None:
    finding = in_progress()
    complete(finding, later(1), on=date(2022, 6, 3))
    step: Step = (
        (lambda f, s: f.pass_acceptance(s, on=TODAY, inspector="王五", remarks=""))
        if name == "pass_acceptance"
        else (
            lambda f, s: f.fail_acceptance(s, on=TODAY, inspector="王五", remarks="差")
        )
    )

    error = refused(finding, step, later(2))

    assert error == DateTooEarlyError(
        "accepted_on", TODAY, date(2022, 6, 3), "completed_on"
    )


def test_a_found_date_in_the_future_is_refused() -> None:
    tomorrow = TODAY + timedelta(1)

    with pytest.raises(DateInFutureError) as caught:
        record(found_on=tomorrow)

    assert caught.value == DateInFutureError("found_on", tomorrow, TODAY)
    assert record(found_on=TODAY).state.found_on == TODAY


@pytest.mark.parametrize(
    ("field", "make", "step"),
    [
        (
            "progress_on",
            in_progress,
            lambda f, s, d: f.report_progress(s, on=d, progress="已联系", evidence=[]),
        ),
        ("completed_on", in_progress, lambda f, s, d: f.complete(s, on=d, effect="好")),
        (
            "accepted_on",
            awaiting_acceptance,
            lambda f, s, d: f.pass_acceptance(s, on=d, inspector="王五", remarks=""),
        ),
        (
            "accepted_on",
            awaiting_acceptance,
            lambda f, s, d: f.fail_acceptance(s, on=d, inspector="王五", remarks="差"),
        ),
        (
            "found_on",
            pending,
            lambda f, s, d: f.correct(s, field="found_on", value=d, reason="记错"),
        ),
    ],
)
def test_a_business_date_in_the_future_is_refused(
    field: str, make: Callable[[], Finding], step: Callable[..., None]
) -> None:
    finding = make()
    tomorrow = TODAY + timedelta(1)

    error = refused(finding, lambda f, s: step(f, s, tomorrow))

    assert error == DateInFutureError(field, tomorrow, TODAY)


# Text


BLANKS = ["", "   ", "\n\t", "\u3000"]

# Each text a step requires, as (field, status the step needs, step given the text).
REQUIRED_TEXTS: list[tuple[str, Callable[[], Finding], Callable[..., None]]] = [
    ("measures", pending, lambda f, s, t: plan(f, s, measures=t)),
    ("responsible_unit", pending, lambda f, s, t: plan(f, s, responsible_unit=t)),
    (
        "reason",
        in_progress,
        lambda f, s, t: f.extend_deadline(s, deadline=date(2022, 6, 20), reason=t),
    ),
    (
        "progress",
        in_progress,
        lambda f, s, t: f.report_progress(s, on=TODAY, progress=t, evidence=[]),
    ),
    ("effect", in_progress, lambda f, s, t: f.complete(s, on=TODAY, effect=t)),
    (
        "inspector",
        awaiting_acceptance,
        lambda f, s, t: f.pass_acceptance(s, on=TODAY, inspector=t, remarks=""),
    ),
    (
        "inspector",
        awaiting_acceptance,
        lambda f, s, t: f.fail_acceptance(s, on=TODAY, inspector=t, remarks="差"),
    ),
    (
        "remarks",
        awaiting_acceptance,
        lambda f, s, t: f.fail_acceptance(s, on=TODAY, inspector="王五", remarks=t),
    ),
    (
        "statement",
        pending,
        lambda f, s, t: f.correct(s, field="statement", value=t, reason="改"),
    ),
    (
        "reason",
        pending,
        lambda f, s, t: f.correct(s, field="village", value="大周村", reason=t),
    ),
    ("reason", pending, lambda f, s, t: f.withdraw(s, reason=t)),
]


@pytest.mark.parametrize("blank", BLANKS)
def test_an_empty_statement_is_refused(blank: str) -> None:
    with pytest.raises(EmptyTextError) as caught:
        record(statement=blank)

    assert caught.value == EmptyTextError("statement")


@pytest.mark.parametrize("blank", BLANKS)
@pytest.mark.parametrize(("field", "make", "step"), REQUIRED_TEXTS)
def test_empty_required_text_is_refused(
    field: str, make: Callable[[], Finding], step: Callable[..., None], blank: str
) -> None:
    finding = make()

    error = refused(finding, lambda f, s: step(f, s, blank))

    assert error == EmptyTextError(field)


def test_optional_text_may_be_empty() -> None:
    finding = record(cause="", village="", household_head="")
    plan(finding, responsible_leader=" ")

    complete(finding)
    finding.pass_acceptance(later(1), on=TODAY, inspector="王五", remarks="  ")

    assert finding.state.cause == ""
    assert finding.state.responsible_leader == ""
    assert finding.state.status is Status.CLOSED


@pytest.mark.parametrize("field", ["statement", "cause", "village", "household_head"])
def test_recorded_text_over_a_cell_is_refused(field: str) -> None:
    too_long: dict[str, Any] = {field: "问" * (MAX_TEXT + 1)}

    with pytest.raises(TextTooLongError) as caught:
        record(STAMP, **too_long)

    assert caught.value == TextTooLongError(field, MAX_TEXT + 1, 32_767)


@pytest.mark.parametrize(
    ("field", "make", "step"),
    [
        *REQUIRED_TEXTS,
        (
            "responsible_leader",
            pending,
            lambda f, s, t: plan(f, s, responsible_leader=t),
        ),
        (
            "evidence",
            in_progress,
            lambda f, s, t: f.report_progress(
                s, on=TODAY, progress="已做", evidence=[t]
            ),
        ),
        (
            "remarks",
            awaiting_acceptance,
            lambda f, s, t: f.pass_acceptance(s, on=TODAY, inspector="王五", remarks=t),
        ),
        (
            "cause",
            pending,
            lambda f, s, t: f.correct(s, field="cause", value=t, reason="补充"),
        ),
    ],
)
def test_step_text_over_a_cell_is_refused(
    field: str, make: Callable[[], Finding], step: Callable[..., None]
) -> None:
    finding = make()

    error = refused(finding, lambda f, s: step(f, s, "问" * (MAX_TEXT + 1)))

    assert error == TextTooLongError(field, MAX_TEXT + 1, MAX_TEXT)


def test_text_exactly_a_cell_long_is_accepted_and_padding_does_not_count() -> None:
    text = "问" * MAX_TEXT

    finding = record(statement=f"  {text}\n")

    assert finding.state.statement == text


# Corrections


def test_a_correction_changes_the_field_and_keeps_the_old_value() -> None:
    finding = in_progress()

    finding.correct(
        later(1), field="responsible_unit", value="市民政局", reason="分工调整"
    )

    assert finding.state.responsible_unit == "市民政局"
    event = finding.collect_events()[-1]
    assert isinstance(event, Finding.FieldCorrected)
    assert (event.field, event.old, event.new, event.reason) == (
        "responsible_unit",
        "市住建局",
        "市民政局",
        "分工调整",
    )


@pytest.mark.parametrize(
    "field",
    [
        "status",
        "deadline",
        "reporting_unit",
        "source",
        "completed_on",
        "finding_id",
        "version",
        "no_such_field",
    ],
)
def test_an_uncorrectable_field_is_refused(field: str) -> None:
    finding = in_progress()

    error = refused(
        finding, lambda f, s: f.correct(s, field=field, value="x", reason="改")
    )

    assert error == UncorrectableFieldError(field)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("statement", "马坪村刘某房屋未做安全性认定"),
        ("statement", "  马坪村刘某房屋未做安全性认定 "),
        ("check_item", 1),
        ("found_on", FOUND_ON),
        ("village", "马坪村"),
        ("measures", "组织住建部门上门鉴定并挂牌"),
        ("responsible_leader", "李四"),
    ],
)
def test_a_correction_to_the_same_value_is_refused(field: str, value: Any) -> None:
    finding = in_progress()

    error = refused(
        finding, lambda f, s: f.correct(s, field=field, value=value, reason="改")
    )

    assert error == NothingChangedError(field)


def test_found_date_corrected_past_a_recorded_step_is_refused() -> None:
    """Found 6-01, progress reported for 6-02, then found_on corrected to 6-05: refused."""
    finding = in_progress()
    finding.report_progress(STAMP, on=TODAY, progress="已上门", evidence=[])
    version = finding.version

    with pytest.raises(FoundAfterStepError) as caught:
        finding.correct(later(4), field="found_on", value=date(2022, 6, 5), reason="记错")

    assert caught.value == FoundAfterStepError(date(2022, 6, 5), TODAY)
    assert finding.version == version


def test_the_latest_progress_is_the_one_of_the_latest_day_not_the_last_typed() -> None:
    """Two clerks entered a June 9 report, then a June 8 one: 最新进展 showed June 8's."""
    finding = in_progress()
    finding.report_progress(later(9), on=date(2022, 6, 9), progress="六月九日进展", evidence=[])
    finding.report_progress(later(9), on=date(2022, 6, 8), progress="六月八日进展", evidence=[])

    assert finding.state.latest_progress == "六月九日进展"
    assert finding.state.progress_on == date(2022, 6, 9)
    assert finding.state.progress_count == 2

    # On the same day, the one entered last is the latest.
    finding.report_progress(later(9), on=date(2022, 6, 9), progress="九日下午进展", evidence=[])
    assert finding.state.latest_progress == "九日下午进展"
