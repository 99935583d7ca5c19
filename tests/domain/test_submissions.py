"""Weekly submissions and the seal on a unit's final ledger, on a real store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest

from domain.clock import SetClock
from domain.errors import (
    AlreadySealedError,
    DateTooEarlyError,
    NotInFinalPhaseError,
    NotReportingUnitError,
    SealLeavesWorkError,
    UnitSealedError,
    WeekAlreadySubmittedError,
    WeekNotOverError,
)
from domain.ledger import Ledger, NewFinding, Operator
from domain.state import Status
from domain.verify import Match
from exporters.fingerprint import read_fingerprint
from exporters.official import write_official_sheet
from tests.conftest import SHANGHAI
from tests.pg import execute_on

# Every test that opens a store runs on SQLite and on PostgreSQL (tests/conftest.py).
STORES = ("sqlite", "postgres")

NewFindingFactory = Callable[..., NewFinding]
PLAN = {
    "measures": "入户核实",
    "deadline": date(2022, 6, 10),
    "responsible_unit": "市住建局",
}


INSPECTOR = Operator("赵组长", "市巩固拓展脱贫攻坚成果调研指导组")


def at(clock: SetClock, month: int, day: int, hour: int = 10) -> None:
    clock.set(datetime(2022, month, day, hour, 0, tzinfo=SHANGHAI))


def done_then_sealed(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> str:
    """A finding rectified on 6/2, awaiting acceptance when its unit sealed on 6/21."""
    done = ledger.record(operator, new_finding(**PLAN))
    ledger.complete(operator, done, 2, on=date(2022, 6, 2), effect="已整改")
    at(clock, 6, 21)
    ledger.seal(operator, "褚河街道", "王主任", force=True)
    return done


def test_a_week_is_submitted_once_over_with_the_fingerprint_its_sheet_carries(
    ledger: Ledger,
    clock: SetClock,
    operator: Operator,
    new_finding: NewFindingFactory,
    tmp_path: Path,
) -> None:
    ledger.record(operator, new_finding(**PLAN))

    with pytest.raises(WeekNotOverError) as early:
        ledger.submit_week(operator, "褚河街道", 1)
    assert early.value == WeekNotOverError(1, date(2022, 6, 7))

    at(clock, 6, 8, 9)
    ledger.record(
        operator, new_finding(statement="第二周的问题", found_on=date(2022, 6, 8))
    )
    fingerprint = ledger.submit_week(operator, "褚河街道", 1)
    sheet = write_official_sheet(
        ledger.official_sheet("褚河街道", 1), tmp_path / "w1.xlsx"
    )

    assert fingerprint == read_fingerprint(sheet)
    [submission] = ledger.submissions()
    assert (submission.unit, submission.week, submission.by) == ("褚河街道", 1, "张三")
    assert submission.fingerprint == fingerprint
    assert submission.position == 2  # recorded and planned; week 2 came after


def test_a_week_handed_in_again_unchanged_is_refused_naming_the_first(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    """A second `submit` of the same week used to be stored without a word."""
    ledger.record(operator, new_finding(**PLAN))
    at(clock, 6, 8, 9)
    first = ledger.submit_week(operator, "褚河街道", 1)
    head = ledger.head()

    at(clock, 6, 9, 15)
    with pytest.raises(WeekAlreadySubmittedError) as again:
        ledger.submit_week(Operator("李四", "褚河街道"), "褚河街道", 1)

    assert again.value == WeekAlreadySubmittedError(
        "褚河街道", 1, "张三", date(2022, 6, 8), first
    )
    assert ledger.head() == head
    assert len(ledger.submissions()) == 1


def test_handing_in_again_after_late_findings_says_what_came_late(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    """Findings of week 1 imported after it left week 1 as reported unchanged, so a
    second hand-in was refused as 'nothing changed' without naming them."""
    at(clock, 6, 8, 9)
    ledger.submit_week(operator, "褚河街道", 1)
    at(clock, 6, 9, 9)
    ledger.record(operator, new_finding(statement="补报的问题", found_on=date(2022, 6, 3)))

    with pytest.raises(WeekAlreadySubmittedError) as again:
        ledger.submit_week(operator, "褚河街道", 1)

    assert again.value.late_findings == 1 and again.value.late_steps == 0


def test_a_week_changed_since_it_was_handed_in_may_be_handed_in_again(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    ledger.record(operator, new_finding(**PLAN))
    at(clock, 6, 8, 9)
    first = ledger.submit_week(operator, "褚河街道", 1)
    # A finding made on paper in week 1 arrives later with its own time, as an
    # offline bundle's events do: week 1 as reported now differs.
    at(clock, 6, 7, 16)
    ledger.record(operator, new_finding(statement="补录的问题", found_on=date(2022, 6, 7)))
    at(clock, 6, 9, 9)

    second = ledger.submit_week(operator, "褚河街道", 1)

    assert second != first
    assert [s.fingerprint for s in ledger.submissions()] == [first, second]


def test_the_office_sees_who_submitted_and_who_is_missing(
    ledger: Ledger, clock: SetClock, operator: Operator
) -> None:
    at(clock, 6, 15)
    ledger.submit_week(operator, "褚河街道", 1)
    ledger.submit_week(Operator("李四", "火龙镇"), "火龙镇", 2)

    reports = {r.unit: r for r in ledger.unit_reports()}

    assert reports["褚河街道"].submitted == (1,)
    # When it came in, so that a week handed in long after shows as such.
    assert reports["褚河街道"].handed_in == {1: date(2022, 6, 15)}
    assert reports["褚河街道"].missing == (2,)
    assert reports["火龙镇"].missing == (1,)
    assert reports["颍川街道"].missing == (1, 2)
    assert len(reports) == len(ledger.campaign.all_units)


def test_the_office_and_the_inspection_team_owe_no_weekly_report(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    """The plan has townships and departments report to the office each week;
    the office receives, and the inspection team checks, so neither is missing."""
    at(clock, 6, 15)
    office, team = "市巩固拓展脱贫攻坚成果领导小组办公室", "市巩固拓展脱贫攻坚成果调研指导组"

    reports = {r.unit: r for r in ledger.unit_reports()}
    overview = {u.unit: u for u in ledger.office_overview().units}

    assert reports[office].missing == reports[team].missing == ()
    # Nor are they among the units the overview counts (39 个单位 for 37).
    assert office not in overview and team not in overview
    assert list(overview) == ledger.campaign.reporting_units
    assert reports["市住建局"].missing == (1, 2)
    assert office not in ledger.campaign.reporting_units

    # Nor does either hold findings of its own (a store from before that rule
    # may: domain.office lists such a unit, owing nothing).
    with pytest.raises(NotReportingUnitError):
        ledger.record(Operator("王主任", team), new_finding(reporting_unit=team))
    assert team not in {u.unit for u in ledger.office_overview().units}

    # Nor can the office hand a week in to itself (the weeks screen offered its own unit).
    head = ledger.head()
    with pytest.raises(NotReportingUnitError) as caught:
        ledger.submit_week(Operator("王主任", office), office, 1)
    assert caught.value == NotReportingUnitError(office)
    assert ledger.head() == head


def test_a_sealed_unit_takes_only_acceptance_results(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    done = ledger.record(operator, new_finding(**PLAN))
    open_one = ledger.record(operator, new_finding(**PLAN))
    ledger.complete(operator, done, 2, on=date(2022, 6, 2), effect="已整改")

    with pytest.raises(NotInFinalPhaseError):
        ledger.seal(operator, "褚河街道", "王主任")

    at(clock, 6, 21)
    # One finding is still being rectified and weeks 1 and 2 were not handed
    # in: sealing would lock them, so it is refused until forced.
    head = ledger.head()
    with pytest.raises(SealLeavesWorkError) as left:
        ledger.seal(operator, "褚河街道", "王主任")
    assert left.value == SealLeavesWorkError("褚河街道", 0, 1, (1, 2))
    assert ledger.head() == head
    ledger.seal(operator, "褚河街道", "王主任", force=True)

    with pytest.raises(UnitSealedError):
        ledger.report_progress(
            operator, open_one, 2, on=date(2022, 6, 21), progress="又做了"
        )
    with pytest.raises(UnitSealedError):
        ledger.record(operator, new_finding())
    with pytest.raises(AlreadySealedError) as again:
        ledger.seal(operator, "褚河街道", "别人")  # said so before any other refusal
    assert again.value == AlreadySealedError("褚河街道", "王主任")
    ledger.pass_acceptance(INSPECTOR, done, 3, on=date(2022, 6, 21))
    assert ledger.sealed_by("褚河街道") == "王主任"
    assert ledger.sealed_by("火龙镇") == ""


def test_a_submitted_fingerprint_stops_matching_after_tampering(
    ledger: Ledger,
    clock: SetClock,
    operator: Operator,
    new_finding: NewFindingFactory,
    store: Path,
) -> None:
    ledger.record(operator, new_finding(**PLAN))
    at(clock, 6, 8)
    fingerprint = ledger.submit_week(operator, "褚河街道", 1)
    assert ledger.verify([fingerprint]).fingerprints[0].match is Match.MATCHES

    execute_on(
        store,
        "UPDATE stored_events SET state = replace(state, ?, ?) WHERE rowid = 1",
        "UPDATE ledger_events SET state = convert_to(replace("
        "convert_from(state, 'UTF8'), %s, %s), 'UTF8') WHERE notification_id = 1",
        ("刘某", "王某"),
    )

    report = ledger.verify([s.fingerprint for s in ledger.submissions()])
    assert report.fingerprints[0].match is Match.DIFFERS
    assert report.problem is not None and report.problem.position == 1


def test_a_finding_sent_back_after_the_seal_can_be_reworked_and_accepted(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    """Sealed with every finding awaiting acceptance, a unit whose finding then
    failed acceptance could neither report its rework nor complete it, and the
    team could not take back a decision made in error: it stayed 整改中 for good."""
    done = done_then_sealed(ledger, clock, operator, new_finding)

    ledger.fail_acceptance(INSPECTOR, done, 3, on=date(2022, 6, 21), remarks="未入住")
    ledger.undo_last(INSPECTOR, done, 4)  # a decision made in error is taken back
    ledger.fail_acceptance(INSPECTOR, done, 5, on=date(2022, 6, 21), remarks="未入住")
    at(clock, 6, 24)
    ledger.report_progress(operator, done, 6, on=date(2022, 6, 22), progress="已入住")
    ledger.undo_last(operator, done, 7)
    ledger.report_progress(operator, done, 8, on=date(2022, 6, 22), progress="已入住")
    ledger.complete(operator, done, 9, on=date(2022, 6, 23), effect="已入住")
    ledger.pass_acceptance(INSPECTOR, done, 10, on=date(2022, 6, 24))

    assert ledger.row(done).status is Status.CLOSED
    # Nothing else reopens on a sealed ledger: not a withdrawal, not a correction.
    with pytest.raises(UnitSealedError):
        ledger.withdraw(operator, done, 11, reason="误录")


def test_an_undo_the_seal_refuses_is_refused_before_it_is_asked(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    """The finding page asked to confirm an undo that the seal then refused."""
    finding = ledger.record(operator, new_finding(**PLAN))
    ledger.report_progress(operator, finding, 2, on=date(2022, 6, 2), progress="已入户")
    at(clock, 6, 21)
    ledger.seal(operator, "褚河街道", "王主任", force=True)

    with pytest.raises(UnitSealedError):
        ledger.check_undo(operator, finding)


def test_a_problem_an_acceptance_spot_check_finds_after_the_seal_is_recorded_and_worked(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    """The team looks for problems left out (漏报) during acceptance, after the
    units have sealed; nobody could enter one it found, nor rectify it."""
    before = ledger.record(operator, new_finding(source="验收抽查"))
    at(clock, 6, 21)
    ledger.seal(operator, "褚河街道", "王主任", force=True)

    at(clock, 6, 21, 15)
    with pytest.raises(UnitSealedError):
        ledger.record(operator, new_finding(found_on=date(2022, 6, 21)))
    plan = {**PLAN, "deadline": date(2022, 6, 23)}
    found = ledger.record(
        operator, new_finding(source="验收抽查", found_on=date(2022, 6, 21), **plan)
    )
    ledger.extend_deadline(
        operator, found, 2, deadline=date(2022, 6, 24), reason="新发现", approved_by="李"
    )
    ledger.complete(operator, found, 3, on=date(2022, 6, 21), effect="已补办")
    ledger.pass_acceptance(INSPECTOR, found, 4, on=date(2022, 6, 21))
    assert ledger.row(found).status is Status.CLOSED

    # One recorded before the seal is on the sealed ledger: it stays as sealed.
    with pytest.raises(UnitSealedError):
        ledger.plan(operator, before, 1, measures="补办", deadline=date(2022, 6, 25),
                    responsible_unit="市住建局")  # fmt: skip


def test_a_finding_sent_back_after_the_seal_may_have_its_deadline_extended(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    """Sent back with its deadline past, its rework stayed overdue for good."""
    done = done_then_sealed(ledger, clock, operator, new_finding)
    ledger.fail_acceptance(INSPECTOR, done, 3, on=date(2022, 6, 21), remarks="未入住")

    ledger.extend_deadline(
        operator, done, 4, deadline=date(2022, 6, 25), reason="返工", approved_by="李"
    )

    assert ledger.row(done).deadline == date(2022, 6, 25)


def test_rework_is_not_dated_before_the_acceptance_that_sent_it_back(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    """Returned on 6/23, rework dated 6/20 and 6/22 was taken and closed out on
    6/23: the backdating the audit is there to catch, recorded without a word."""
    done = ledger.record(operator, new_finding(**PLAN))
    ledger.complete(operator, done, 2, on=date(2022, 6, 2), effect="已整改")
    at(clock, 6, 23)
    ledger.fail_acceptance(INSPECTOR, done, 3, on=date(2022, 6, 23), remarks="未入住")

    with pytest.raises(DateTooEarlyError) as early:
        ledger.report_progress(operator, done, 4, on=date(2022, 6, 20), progress="已入住")
    assert early.value == DateTooEarlyError(
        "progress_on", date(2022, 6, 20), date(2022, 6, 23), "returned_on"
    )
    with pytest.raises(DateTooEarlyError):
        ledger.complete(operator, done, 4, on=date(2022, 6, 22), effect="已入住")
    ledger.complete(operator, done, 4, on=date(2022, 6, 23), effect="已入住")
    assert ledger.row(done).returned_on == date(2022, 6, 23)

    # Undone, a return no longer bounds anything.
    other = ledger.record(operator, new_finding(**PLAN, statement="另一户"))
    ledger.complete(operator, other, 2, on=date(2022, 6, 2), effect="已整改")
    ledger.fail_acceptance(INSPECTOR, other, 3, on=date(2022, 6, 23), remarks="误点")
    ledger.undo_last(INSPECTOR, other, 4)
    assert ledger.row(other).returned_on is None
