"""Past-moment views read the view's versions table and agree with a replay of the log."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from domain.audit import replay
from domain.campaign import Campaign
from domain.clock import SetClock
from domain.ledger import Ledger, NewFinding, Operator, open_ledger
from domain.state import Status
from domain.view import LedgerQuery
from tests.conftest import SHANGHAI
from tests.pg import execute_on

STORES = ("sqlite", "postgres")

NewFindingFactory = Callable[..., NewFinding]

PLAN = {"measures": "入户核实", "deadline": date(2022, 6, 10), "responsible_unit": "市住建局"}
OLD_STORE = Path(__file__).resolve().parents[1] / "fixtures" / "store-v1.sqlite"


def at(clock: SetClock, month: int, day: int, hour: int = 10) -> datetime:
    moment = datetime(2022, month, day, hour, 0, tzinfo=SHANGHAI)
    clock.set(moment)
    return moment


def busy_ledger(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> dict[str, str]:
    """Record findings and steps over two weeks, one with a backdated completion."""
    at(clock, 6, 2)
    a = ledger.record(operator, new_finding(statement="甲", **PLAN))
    b = ledger.record(operator, new_finding(statement="乙", **PLAN))
    at(clock, 6, 6)
    ledger.report_progress(operator, a, 2, on=date(2022, 6, 6), progress="已入户", evidence=[])
    at(clock, 6, 9)
    c = ledger.record(operator, new_finding(statement="丙", found_on=date(2022, 6, 5)))
    ledger.report_progress(operator, b, 2, on=date(2022, 6, 9), progress="已核实", evidence=[])
    at(clock, 6, 10)
    # Done on the 7th, told on the 10th after a step dated the 9th: business
    # days go backwards on this finding.
    ledger.complete(operator, b, 3, on=date(2022, 6, 7), effect="已整改")
    ledger.withdraw(operator, c, 1, reason="重复")
    ledger.record_screening(operator, "褚河街道", "housing", 1, households=9, problems_found=1)
    at(clock, 6, 15)
    ledger.complete(operator, a, 3, on=date(2022, 6, 15), effect="已整改")
    return {"a": a, "b": b, "c": c}


def test_as_of_views_equal_a_replay_of_the_log_at_every_moment(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    busy_ledger(ledger, clock, operator, new_finding)
    events = ledger.events_in_order()
    start = datetime(2022, 6, 1, tzinfo=SHANGHAI)

    for hours in range(0, 16 * 24, 7):
        moment = start + timedelta(hours=hours)
        assert ledger.states_as_of(moment) == replay(events, recorded_before=moment)


def test_known_on_a_day_equals_a_replay_even_when_business_days_go_backwards(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    ids = busy_ledger(ledger, clock, operator, new_finding)
    events = ledger.events_in_order()

    assert ledger.projection.view.out_of_order() == {ids["b"]}
    for day in range(1, 17):
        on = date(2022, 6, day)
        assert ledger.states_known_on(on) == replay(events, business_until=on)


def test_known_on_a_day_as_the_log_stood_at_a_position_equals_a_replay_of_it(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    """What a week sheet as now known showed when exported, rebuilt later to check it."""
    busy_ledger(ledger, clock, operator, new_finding)
    events = ledger.events_in_order()
    for position in range(1, ledger.head() + 1):
        for day in (date(2022, 6, 7), date(2022, 6, 9), date(2022, 6, 15)):
            assert ledger.states_known_on(day, position) == replay(
                events[:position], business_until=day
            ), (position, day)


def test_a_page_is_a_slice_of_the_whole_answer_now_and_in_the_past(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    busy_ledger(ledger, clock, operator, new_finding)
    moment = datetime(2022, 6, 9, 12, 0, tzinfo=SHANGHAI)
    for when in (None, moment):
        for query in (LedgerQuery(), LedgerQuery(status="整改中"), LedgerQuery(text="乙")):
            whole = ledger.rows(query) if when is None else ledger.rows_as_of(when, query)
            assert ledger.count_rows(query, when) == len(whole)
            pages = [ledger.page_rows(n, 2, query, when) for n in range(0, 4, 2)]
            assert [s for page in pages for s in page] == whole
            # Told the total, pages past the middle are read from the end.
            total = len(whole)
            pages = [ledger.page_rows(n, 2, query, when, total) for n in range(0, 4, 2)]
            assert [s for page in pages for s in page] == whole


def test_the_week_table_counts_by_recording_time_from_the_view(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    busy_ledger(ledger, clock, operator, new_finding)

    counts = {c.week: c for c in ledger.week_table()}

    assert (counts[1].new, counts[1].completed) == (2, 0)
    assert (counts[2].new, counts[2].completed) == (1, 1)
    assert (counts[3].new, counts[3].completed) == (0, 1)


def test_a_view_from_before_the_versions_table_is_folded_again_on_opening(
    campaign: Campaign, tmp_path: Path
) -> None:
    store = tmp_path / "old.sqlite"
    shutil.copyfile(OLD_STORE, store)
    with sqlite3.connect(store) as db:
        (head,) = db.execute("SELECT max(rowid) FROM stored_events").fetchone()
        # The old view is level with the log, so nothing would be folded
        # without the schema check, and past views would be empty.
        assert db.execute(
            "SELECT notification_id FROM tracking WHERE application_name = 'Ledger'"
        ).fetchone() == (head,)

    clock = SetClock(datetime(2022, 6, 20, 9, 0, tzinfo=SHANGHAI))
    ledger = open_ledger(campaign, store, clock)
    events = ledger.events_in_order()
    moment = datetime(2022, 6, 8, 0, 0, tzinfo=SHANGHAI)

    assert ledger.states_as_of(moment) == replay(events, recorded_before=moment)
    assert ledger.states_as_of(moment)
    assert ledger.week_view(1).reported == replay(
        events, recorded_before=ledger.week_cutoff(1)
    )
    ledger.close()


@pytest.mark.parametrize(
    ("table", "sql"),
    [
        ("rows", "UPDATE ledger_rows SET status = '已销号' WHERE finding_id = {id!r}"),
        ("versions", "UPDATE ledger_versions SET reach = '2022-01-01' WHERE finding_id = {id!r}"),
        ("versions", "DELETE FROM ledger_versions WHERE finding_id = {id!r} AND version = 2"),
        ("moments", "DELETE FROM ledger_moments WHERE position = 3"),
        ("rows", "DELETE FROM ledger_rows WHERE finding_id = {id!r}"),
        ("versions", "DELETE FROM ledger_versions WHERE finding_id = {id!r}"),
        ("screenings", "UPDATE ledger_screenings SET households = 99"),
        ("screenings", "DELETE FROM ledger_screenings"),
        ("unit records", "UPDATE ledger_unit_records SET unit = '火龙镇'"),
    ],
)
def test_verify_finds_a_view_edited_behind_the_apps_back(
    ledger: Ledger,
    clock: SetClock,
    operator: Operator,
    new_finding: NewFindingFactory,
    store: Path | str,
    table: str,
    sql: str,
) -> None:
    ids = busy_ledger(ledger, clock, operator, new_finding)
    assert ledger.verify().clean

    statement = sql.format(id=ids["b"])
    execute_on(store, statement, statement)

    report = ledger.verify()
    assert report.intact  # the log itself is untouched
    assert not report.clean
    assert report.view_differs == (("",) if table in ("moments", "screenings", "unit records") else (ids["b"],))


# Corrections and voids mend the record itself: a week as now known shows them,
# whenever they were made. Steps keep their own business days.


def test_a_week_as_now_known_takes_a_found_day_corrected_after_it(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    """Typed as found June 25, corrected to June 8: it belongs in week 2 as known."""
    at(clock, 6, 25)
    typo = ledger.record(operator, new_finding(statement="甲", found_on=date(2022, 6, 25)))
    at(clock, 6, 26)
    ledger.correct(
        operator, typo, 1, field="found_on", value=date(2022, 6, 8), reason="笔误"
    )
    events = ledger.events_in_order()

    for day in (date(2022, 6, 7), date(2022, 6, 14), date(2022, 6, 26)):
        known = ledger.states_known_on(day)
        assert known == replay(events, business_until=day), day
        assert (typo in known) is (day >= date(2022, 6, 8)), day
    assert ledger.states_known_on(date(2022, 6, 14))[typo].found_on == date(2022, 6, 8)


def test_a_week_as_now_known_takes_later_corrections_and_voids_but_not_undone_ones(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    at(clock, 6, 2)
    worded = ledger.record(operator, new_finding(statement="东村王某住房未挂牌"))
    twice = ledger.record(operator, new_finding(statement="东村王某住房未挂牌（重复）"))
    kept = ledger.record(operator, new_finding(statement="原来的表述"))
    planned = ledger.record(operator, new_finding(statement="丁"))
    at(clock, 6, 10)
    ledger.plan(operator, planned, 1, on=date(2022, 6, 10), **PLAN)
    at(clock, 6, 20)
    ledger.correct(operator, worded, 1, field="statement", value="东村王某住房安全等级标识牌未挂", reason="表述不准")
    ledger.withdraw(operator, twice, 1, reason="与第1周台账重复")
    ledger.correct(operator, kept, 1, field="statement", value="改错了", reason="笔误")
    ledger.undo_last(operator, kept, 2)
    ledger.correct(operator, planned, 2, field="measures", value="逐户核实", reason="笔误")
    events = ledger.events_in_order()
    week_1 = date(2022, 6, 7)

    known = ledger.states_known_on(week_1)

    for day in (week_1, date(2022, 6, 19), date(2022, 6, 20), date(2022, 6, 26)):
        assert ledger.states_known_on(day) == replay(events, business_until=day), day
    assert known[worded].statement == "东村王某住房安全等级标识牌未挂"
    assert known[twice].status is Status.WITHDRAWN
    assert known[kept].statement == "原来的表述"
    # Not yet planned on June 7: the plan's corrected text is not there yet.
    assert not known[planned].planned and known[planned].measures == ""
    assert ledger.states_known_on(date(2022, 6, 10))[planned].measures == "逐户核实"
    # The week as reported still shows what was reported.
    cutoff = datetime(2022, 6, 8, tzinfo=SHANGHAI)
    assert ledger.states_as_of(cutoff)[worded].statement == "东村王某住房未挂牌"


def test_a_week_as_now_known_keeps_the_recording_order_of_the_ledger(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    """A finding corrected after the week is replayed, and came last on the known
    sheet: 序号 1 of the current ledger was 序号 2 there."""
    at(clock, 6, 2)
    first = ledger.record(operator, new_finding(statement="甲"))
    ledger.record(operator, new_finding(statement="乙"))
    at(clock, 6, 20)
    ledger.correct(operator, first, 1, field="statement", value="甲（更正）", reason="表述不准")

    known = ledger.states_known_on(date(2022, 6, 7))

    assert [s.statement for s in known.values()] == ["甲（更正）", "乙"]
    assert [s.statement for s in ledger.rows()] == ["甲（更正）", "乙"]
