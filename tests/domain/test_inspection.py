"""The inspector's signals on a real store: each kind, its dates, and a clean log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import pytest

from domain.clock import SetClock
from domain.errors import UnknownValueError
from domain.inspection import SignalKind
from domain.ledger import Ledger, NewFinding, Operator
from tests.conftest import SHANGHAI

# Every test that opens a store runs on SQLite and on PostgreSQL (tests/conftest.py).
STORES = ("sqlite", "postgres")

NewFindingFactory = Callable[..., NewFinding]

PLAN = {
    "measures": "入户核实",
    "deadline": date(2022, 6, 10),
    "responsible_unit": "市住建局",
}
YINGCHUAN = Operator("周八", "颍川街道")

# Week 1 runs 6-01 to 6-07; its report closes at 6-08 00:00 Shanghai time.
WEEK_ONE_CUTOFF = datetime(2022, 6, 8, 0, 0, tzinfo=SHANGHAI)


def at(clock: SetClock, month: int, day: int, hour: int = 10, minute: int = 0) -> None:
    clock.set(datetime(2022, month, day, hour, minute, tzinfo=SHANGHAI))


def kinds(ledger: Ledger) -> list[tuple[str, SignalKind]]:
    return [(s.finding_id, s.kind) for s in ledger.signals()]


def test_an_ordinary_campaign_gives_no_signal(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    at(clock, 5, 31)
    early = ledger.record(operator, new_finding(found_on=date(2022, 5, 30), **PLAN))

    at(clock, 6, 2)
    a = ledger.record(operator, new_finding(statement="甲", **PLAN))
    b = ledger.record(operator, new_finding(statement="乙", **PLAN))

    at(clock, 6, 3)
    ledger.report_progress(operator, a, 2, on=date(2022, 6, 3), progress="已入户")
    ledger.extend_deadline(
        operator, early, 2, deadline=date(2022, 6, 20), reason="材料未齐"
    )
    ledger.correct(operator, b, 2, field="nature", value="共性问题", reason="多户同类")

    at(clock, 6, 5, 23, 59)
    ledger.withdraw(operator, b, 3, reason="重复登记")

    at(clock, 6, 11)
    ledger.complete(operator, a, 3, on=date(2022, 6, 4), effect="已鉴定挂牌")

    assert ledger.signals() == []


def test_a_finding_recorded_in_a_later_week_than_found_is_late(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    at(clock, 6, 7, 23, 59)
    in_time = ledger.record(operator, new_finding(found_on=date(2022, 6, 7)))

    at(clock, 6, 8, 0, 0)
    late = ledger.record(operator, new_finding(found_on=date(2022, 6, 7)))

    [signal] = ledger.signals()
    assert signal.finding_id == late != in_time
    assert signal.kind is SignalKind.LATE_RECORDED
    assert signal.week == 1
    assert signal.unit == "褚河街道"
    assert signal.statement == "马坪村刘某房屋未做安全性认定"
    assert signal.when("found_on") == date(2022, 6, 7)
    assert signal.when("recorded_at") == datetime(2022, 6, 8, 0, 0, tzinfo=SHANGHAI)
    assert signal.version == 1


def test_lateness_is_judged_on_the_found_day_as_corrected(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    """Typed as found the day it was recorded, then corrected to two weeks
    before: the clue named the typed day and no week, or none at all."""
    at(clock, 6, 22)
    typo = ledger.record(operator, new_finding(found_on=date(2022, 6, 22)))
    fixed = ledger.record(operator, new_finding(statement="乙", found_on=date(2022, 6, 8)))
    at(clock, 6, 23)
    ledger.correct(operator, typo, 1, field="found_on", value=date(2022, 6, 8), reason="笔误")
    ledger.correct(operator, fixed, 1, field="found_on", value=date(2022, 6, 22), reason="笔误")

    [signal] = ledger.signals()
    assert (signal.finding_id, signal.kind) == (typo, SignalKind.LATE_RECORDED)
    assert signal.week == 2
    assert signal.when("found_on") == date(2022, 6, 8)
    assert signal.version == 1


def test_a_finding_found_before_week_one_is_due_in_week_one(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    at(clock, 6, 7)
    ledger.record(operator, new_finding(found_on=date(2022, 5, 28)))

    at(clock, 6, 9)
    late = ledger.record(operator, new_finding(found_on=date(2022, 5, 28)))

    assert kinds(ledger) == [(late, SignalKind.LATE_RECORDED)]
    assert ledger.signals()[0].week == 1


def test_a_finding_first_found_by_a_spot_check_is_flagged(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    at(clock, 6, 22)

    found = ledger.record(
        operator,
        new_finding(
            found_on=date(2022, 6, 22), source="验收抽查", source_ref="指导组抽查单3号"
        ),
    )

    [signal] = ledger.signals()
    assert (signal.finding_id, signal.kind) == (found, SignalKind.SPOT_CHECK_FOUND)
    assert signal.detail == "指导组抽查单3号"
    assert signal.when("found_on") == date(2022, 6, 22)


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2022, 6, 6, 0, 0, tzinfo=SHANGHAI),  # exactly 48 hours before
        datetime(2022, 6, 7, 20, 30, tzinfo=SHANGHAI),
    ],
)
def test_a_withdrawal_within_two_days_of_a_cutoff_is_flagged(
    ledger: Ledger,
    clock: SetClock,
    operator: Operator,
    new_finding: NewFindingFactory,
    moment: datetime,
) -> None:
    at(clock, 6, 2)
    finding_id = ledger.record(operator, new_finding())

    clock.set(moment)
    ledger.withdraw(operator, finding_id, 1, reason="与另一条重复")

    [signal] = ledger.signals()
    assert signal.kind is SignalKind.WITHDRAWN_BEFORE_CUTOFF
    assert signal.week == 1
    assert signal.when("cutoff") == WEEK_ONE_CUTOFF
    assert signal.when("recorded_at") == moment
    assert signal.detail == "与另一条重复"
    assert signal.version == 2


def test_a_withdrawal_just_outside_two_days_is_not_flagged(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    at(clock, 6, 2)
    finding_id = ledger.record(operator, new_finding())

    at(clock, 6, 5, 23, 59)
    ledger.withdraw(operator, finding_id, 1, reason="重复")

    assert ledger.signals() == []


def test_a_nature_flipped_before_a_cutoff_is_flagged_and_so_is_its_undo(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    at(clock, 6, 9)
    finding_id = ledger.record(operator, new_finding(found_on=date(2022, 6, 9)))

    at(clock, 6, 14, 18)
    ledger.correct(
        operator, finding_id, 1, field="nature", value="共性", reason="涉及多户"
    )

    at(clock, 6, 14, 23)
    ledger.undo_last(operator, finding_id, 2)

    flips = ledger.signals()
    assert [s.kind for s in flips] == [SignalKind.NATURE_FLIPPED_BEFORE_CUTOFF] * 2
    assert [s.detail for s in flips] == ["个性问题 → 共性问题", "共性问题 → 个性问题"]
    assert [s.week for s in flips] == [2, 2]
    assert flips[0].when("cutoff") == datetime(2022, 6, 15, tzinfo=SHANGHAI)
    assert [s.version for s in flips] == [2, 3]


def test_another_correction_before_a_cutoff_is_not_a_nature_flip(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    at(clock, 6, 2)
    finding_id = ledger.record(operator, new_finding())

    at(clock, 6, 7, 22)
    ledger.correct(operator, finding_id, 1, field="cause", value="新原因", reason="补")

    assert ledger.signals() == []


@pytest.mark.parametrize(
    ("extended_on", "flagged"),
    [
        (date(2022, 6, 7), False),  # three days before the deadline of 6-10
        (date(2022, 6, 8), True),  # two days before
        (date(2022, 6, 10), True),  # on the deadline
        (date(2022, 6, 13), True),  # after it passed
    ],
)
def test_a_deadline_moved_when_about_to_be_overdue_is_flagged(
    ledger: Ledger,
    clock: SetClock,
    operator: Operator,
    new_finding: NewFindingFactory,
    extended_on: date,
    flagged: bool,
) -> None:
    at(clock, 6, 2)
    finding_id = ledger.record(operator, new_finding(**PLAN))

    clock.set(datetime.combine(extended_on, datetime.min.time(), tzinfo=SHANGHAI))
    ledger.extend_deadline(
        operator, finding_id, 2, deadline=date(2022, 6, 20), reason="施工队未到位"
    )

    found = ledger.signals()
    assert bool(found) is flagged
    if flagged:
        [signal] = found
        assert signal.kind is SignalKind.DEADLINE_MOVED_BEFORE_OVERDUE
        assert signal.when("old_deadline") == date(2022, 6, 10)
        assert signal.when("new_deadline") == date(2022, 6, 20)
        assert signal.detail == "施工队未到位"


@pytest.mark.parametrize(
    ("completed_on", "flagged"),
    [(date(2022, 6, 4), False), (date(2022, 6, 3), True)],
    ids=["seven-days", "eight-days"],
)
def test_a_completion_recorded_long_after_the_day_it_claims_is_flagged(
    ledger: Ledger,
    clock: SetClock,
    operator: Operator,
    new_finding: NewFindingFactory,
    completed_on: date,
    flagged: bool,
) -> None:
    at(clock, 6, 2)
    finding_id = ledger.record(operator, new_finding(**PLAN))

    at(clock, 6, 11, 9)
    ledger.complete(operator, finding_id, 2, on=completed_on, effect="已整改")

    found = ledger.signals()
    assert bool(found) is flagged
    if flagged:
        [signal] = found
        assert signal.kind is SignalKind.LATE_COMPLETION
        assert signal.when("completed_on") == completed_on
        assert signal.week == 1
        assert signal.version == 3


def test_a_step_taken_back_or_a_finding_voided_no_longer_gives_its_clue(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    """A completion back-dated by mistake and undone at once kept its 补录完成
    clue, and a finding recorded late and then voided as a duplicate kept its
    迟录: neither describes the ledger any more. A withdrawal before a cut-off
    stays a clue when undone after it: that is how a report is dodged."""
    at(clock, 6, 2)
    completed = ledger.record(operator, new_finding(**PLAN))
    dodged = ledger.record(operator, new_finding(statement="乙", **PLAN))
    at(clock, 6, 7, 20)
    ledger.withdraw(operator, dodged, 2, reason="重复登记")
    at(clock, 6, 11, 9)
    ledger.complete(operator, completed, 2, on=date(2022, 6, 3), effect="已整改")
    ledger.undo_last(operator, completed, 3)
    ledger.undo_last(operator, dodged, 3)
    duplicate = ledger.record(operator, new_finding(statement="丙", found_on=date(2022, 6, 2)))
    ledger.withdraw(operator, duplicate, 1, reason="与乙重复")

    assert kinds(ledger) == [(dodged, SignalKind.WITHDRAWN_BEFORE_CUTOFF)]


def test_signals_are_grouped_by_unit_in_campaign_order_then_by_time(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    at(clock, 6, 9)
    chuhe_first = ledger.record(operator, new_finding(found_on=date(2022, 6, 2)))

    at(clock, 6, 10)
    yingchuan = ledger.record(
        YINGCHUAN, new_finding(reporting_unit="颍川街道", found_on=date(2022, 6, 3))
    )

    at(clock, 6, 16)
    chuhe_second = ledger.record(operator, new_finding(found_on=date(2022, 6, 9)))

    units = ledger.campaign.all_units
    assert units.index("颍川街道") < units.index("褚河街道")
    assert [s.finding_id for s in ledger.signals()] == [
        yingchuan,
        chuhe_first,
        chuhe_second,
    ]
    assert [s.finding_id for s in ledger.signals("褚河街道")] == [
        chuhe_first,
        chuhe_second,
    ]


def test_signals_of_an_unknown_unit_are_refused(ledger: Ledger) -> None:
    with pytest.raises(UnknownValueError):
        ledger.signals("不存在镇")


def test_a_signal_names_the_statement_as_corrected_since(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    at(clock, 6, 9)
    finding_id = ledger.record(operator, new_finding(found_on=date(2022, 6, 2)))

    ledger.correct(
        operator, finding_id, 1, field="statement", value="改后的表述", reason="措辞"
    )

    assert ledger.signals()[0].statement == "改后的表述"


def test_spot_check_samples_in_the_log_do_not_disturb_the_signals(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    at(clock, 6, 2)
    finding_id = ledger.record(operator, new_finding(**PLAN))
    ledger.complete(operator, finding_id, 2, on=date(2022, 6, 2), effect="已整改")

    ledger.draw_sample(operator, per_stratum=1, seed=1)

    assert ledger.signals() == []
