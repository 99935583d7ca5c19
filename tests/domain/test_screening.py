"""Check-item screenings and coverage, and statistics as of a week, on a real store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from domain.campaign import Campaign
from domain.clock import SetClock
from domain.coverage import Screened
from domain.errors import (
    CampaignMismatchError,
    CountError,
    DateInFutureError,
    DateOutsideCampaignError,
    FinalReportTooEarlyError,
    NoScreeningToUndoError,
    NotYourScreeningError,
    UnitSealedError,
    UnknownValueError,
)
from domain.ledger import Ledger, NewFinding, Operator, open_ledger
from domain.state import Status
from domain.view import SCHEMA_MARK
from tests.conftest import SHANGHAI

STORES = ("sqlite", "postgres")
NewFindingFactory = Callable[..., NewFinding]
UNIT = "褚河街道"


def at(clock: SetClock, month: int, day: int, hour: int = 10) -> None:
    clock.set(datetime(2022, month, day, hour, 0, tzinfo=SHANGHAI))


def cell(ledger: Ledger, unit: str, category: str, item: int) -> tuple[object, ...]:
    [row] = ledger.coverage(unit)
    found = next(i for i in row.items if (i.category, i.check_item) == (category, item))
    return (
        found.screened,
        found.screenings,
        found.households,
        found.problems_found,
        found.findings,
    )


def test_a_screening_is_recorded_for_today_and_adds_up_per_item(
    ledger: Ledger, clock: SetClock, operator: Operator
) -> None:
    ledger.record_screening(
        operator, UNIT, "住房保障", 2, households=120, problems_found=0
    )

    at(clock, 6, 3)
    ledger.record_screening(
        operator, UNIT, "housing", 2, households=80, problems_found=3
    )

    assert cell(ledger, UNIT, "housing", 2) == (Screened.RECORDED, 2, 200, 3, 0)
    first, second = ledger.screenings(UNIT)
    assert (first.on, second.on) == (date(2022, 6, 2), date(2022, 6, 3))
    assert (first.operator, first.category) == ("张三", "housing")
    assert ledger.screenings("火龙镇") == []


def test_a_finding_under_an_item_counts_as_screened_unless_withdrawn(
    ledger: Ledger, operator: Operator, new_finding: NewFindingFactory
) -> None:
    kept = ledger.record(operator, new_finding(category="water", check_item=3))
    dropped = ledger.record(operator, new_finding(category="water", check_item=4))

    ledger.withdraw(operator, dropped, 1, reason="误录")

    assert cell(ledger, UNIT, "water", 3) == (Screened.BY_FINDING, 0, 0, 0, 1)
    assert cell(ledger, UNIT, "water", 4) == (Screened.NOT, 0, 0, 0, 0)
    [row] = ledger.coverage(UNIT)
    assert len(row.items) == 31
    assert row.screened == 1
    assert kept


def test_every_unit_has_all_31_items_in_campaign_order(
    ledger: Ledger, campaign: Campaign
) -> None:
    rows = ledger.coverage()

    # The office and the team receive reports and screen nothing.
    assert [r.unit for r in rows] == campaign.reporting_units
    expected = [
        (c.key, n) for c in campaign.categories for n in range(1, len(c.items) + 1)
    ]
    assert all([(i.category, i.check_item) for i in r.items] == expected for r in rows)
    assert {i.screened for r in rows for i in r.items} == {Screened.NOT}


@pytest.mark.parametrize(
    ("args", "refusal"),
    [
        ((UNIT, "housing", 6, 1, 0), UnknownValueError("check_item", "6")),
        ((UNIT, "housing", 0, 1, 0), UnknownValueError("check_item", "0")),
        ((UNIT, "天气", 1, 1, 0), UnknownValueError("category", "天气")),
        (("某某镇", "housing", 1, 1, 0), UnknownValueError("unit", "某某镇")),
        ((UNIT, "housing", 1, -1, 0), CountError("households", "-1")),
        ((UNIT, "housing", 1, 5, -2), CountError("problems_found", "-2")),
        ((UNIT, "housing", 1, 10**23, 0), CountError("households", str(10**23))),
        ((UNIT, "housing", 1, 5, 1_000_001), CountError("problems_found", "1000001")),
    ],
)
def test_a_screening_with_a_value_outside_the_campaign_is_refused(
    ledger: Ledger,
    operator: Operator,
    args: tuple[str, str, int, int, int],
    refusal: Exception,
) -> None:
    unit, category, item, households, problems = args

    with pytest.raises(type(refusal)) as refused:
        ledger.record_screening(
            operator,
            unit,
            category,
            item,
            households=households,
            problems_found=problems,
        )

    assert refused.value == refusal
    assert ledger.screenings() == []


def test_a_screening_entered_from_papers_later_carries_the_day_it_was_done(
    ledger: Ledger, clock: SetClock, operator: Operator
) -> None:
    """Papers of 2022 entered in 2026: every screening was dated the day typed."""
    clock.set(datetime(2026, 12, 5, 9, tzinfo=SHANGHAI))
    ledger.record_screening(
        operator, UNIT, "housing", 1, households=40, problems_found=1, on=date(2022, 6, 3)
    )
    [screening] = ledger.screenings()
    assert screening.on == date(2022, 6, 3)

    for day in (date(2022, 5, 1), date(2022, 7, 1)):
        with pytest.raises(DateOutsideCampaignError):
            ledger.record_screening(
                operator, UNIT, "housing", 1, households=1, problems_found=0, on=day
            )
    at(clock, 6, 5)
    with pytest.raises(DateInFutureError):
        ledger.record_screening(
            operator, UNIT, "housing", 1, households=1, problems_found=0, on=date(2022, 6, 6)
        )


def test_no_screening_before_the_campaign_or_after_the_seal(
    ledger: Ledger, clock: SetClock, operator: Operator
) -> None:
    at(clock, 5, 20)
    with pytest.raises(DateOutsideCampaignError):
        ledger.record_screening(
            operator, UNIT, "housing", 1, households=1, problems_found=0
        )

    at(clock, 6, 21)
    ledger.seal(operator, UNIT, "王主任", force=True)
    with pytest.raises(UnitSealedError):
        ledger.record_screening(
            operator, UNIT, "housing", 1, households=1, problems_found=0
        )

    ledger.record_screening(
        operator, "火龙镇", "housing", 1, households=1, problems_found=0
    )
    assert [s.unit for s in ledger.screenings()] == ["火龙镇"]


def test_screenings_survive_a_restart_and_bind_the_campaign_definition(
    ledger: Ledger,
    campaign: Campaign,
    store: Path,
    clock: SetClock,
    operator: Operator,
) -> None:
    ledger.record_screening(
        operator, UNIT, "finance", 3, households=9, problems_found=1
    )
    ledger.close()

    again = open_ledger(campaign, store, clock)
    assert cell(again, UNIT, "finance", 3) == (Screened.RECORDED, 1, 9, 1, 0)
    again.close()

    shorter = campaign.model_copy(
        update={
            "categories": [
                c.model_copy(update={"items": c.items[:2]}) if c.key == "finance" else c
                for c in campaign.categories
            ]
        }
    )
    with pytest.raises(CampaignMismatchError) as refused:
        open_ledger(shorter, store, clock)
    assert refused.value.items == [("finance", 3)]


def test_statistics_as_of_a_week_use_that_weeks_replay_and_last_day(
    ledger: Ledger,
    clock: SetClock,
    operator: Operator,
    new_finding: NewFindingFactory,
) -> None:
    plan = {
        "measures": "入户",
        "deadline": date(2022, 6, 6),
        "responsible_unit": "市住建局",
    }
    first = ledger.record(operator, new_finding(**plan))
    at(clock, 6, 9)
    ledger.complete(operator, first, 2, on=date(2022, 6, 8), effect="已改")
    ledger.record(operator, new_finding(statement="迟报", found_on=date(2022, 6, 5)))

    week1 = ledger.statistics(week=1)
    now = ledger.statistics()

    assert week1.day == date(2022, 6, 7)
    assert (week1.total.found, week1.total.overdue, week1.total.rate) == (1, 1, 0.0)
    assert [(w.week, w.new) for w in week1.weeks] == [(1, 1)]
    assert now.day == date(2022, 6, 9)
    assert (now.total.found, now.total.awaiting, now.total.overdue) == (2, 1, 0)
    assert (now.total.on_time, now.total.due) == (0, 1)
    assert [(w.week, w.new) for w in now.weeks] == [(1, 2), (2, 0)]
    assert now.total.count(Status.AWAITING_ACCEPTANCE) == 1


def test_statistics_refuse_an_unknown_week_or_unit(ledger: Ledger) -> None:
    with pytest.raises(UnknownValueError):
        ledger.statistics(week=9)
    with pytest.raises(UnknownValueError):
        ledger.statistics(unit="某某镇")


def test_the_final_report_waits_for_the_last_phase(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    ledger.record(operator, new_finding())
    with pytest.raises(FinalReportTooEarlyError) as early:
        ledger.final_report(UNIT)
    assert early.value == FinalReportTooEarlyError("总结验收", date(2022, 6, 20))

    at(clock, 6, 21)
    ledger.seal(operator, UNIT, "王主任", force=True)
    report = ledger.final_report(UNIT)

    assert (report.unit, report.day, report.sealed_by) == (
        UNIT,
        date(2022, 6, 21),
        "王主任",
    )
    assert len(report.sheet.rows) == report.statistics.total.found == 1
    assert report.coverage.unit == UNIT
    # 问题类型 as the official form defines it: 农村危房改造, not the plan's 住房保障.
    assert report.categories[0] == ("housing", "农村危房改造")


def test_a_write_landing_mid_report_is_read_again_so_sheet_and_figures_agree(
    ledger: Ledger,
    campaign: Campaign,
    store: Path,
    clock: SetClock,
    operator: Operator,
    new_finding: NewFindingFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another operator recorded a finding between the sheet and the figures;
    the report showed one row but counted two. Both must show the same events."""
    at(clock, 6, 21)
    ledger.record(operator, new_finding())
    other = open_ledger(campaign, store, clock)
    counted = ledger.statistics

    def statistics_while_another_writes(unit: str = "", week: int | None = None) -> Any:
        if len(other.rows()) == 1:
            other.record(operator, new_finding(statement="另一人刚录入"))
        return counted(unit, week)

    monkeypatch.setattr(ledger, "statistics", statistics_while_another_writes)
    report = ledger.final_report(UNIT)
    other.close()

    assert len(report.sheet.rows) == report.statistics.total.found == 2
    assert report.sheet.fingerprint == str(ledger.fingerprint())


def test_listing_screenings_reads_the_view_not_the_log(
    ledger: Ledger, operator: Operator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every opening (the campaign check) and every coverage screen decoded
    each screening event of the log, scanning the whole log to find them."""
    ledger.record_screening(
        operator, UNIT, "housing", 1, households=5, problems_found=0
    )
    ledger.record_screening(
        operator, UNIT, "housing", 2, households=6, problems_found=1
    )
    queries: list[int | None] = []
    select = ledger.recorder.select_notifications

    def counted(*args: Any, **kwargs: Any) -> Any:
        queries.append(kwargs.get("start"))
        return select(*args, **kwargs)

    monkeypatch.setattr(ledger.recorder, "select_notifications", counted)

    assert [s.check_item for s in ledger.screenings(UNIT)] == [1, 2]
    assert queries == []


def test_a_definition_that_renamed_a_unit_in_use_is_refused(
    ledger: Ledger,
    campaign: Campaign,
    store: Path,
    clock: SetClock,
    operator: Operator,
    new_finding: Callable[..., NewFinding],
) -> None:
    """A campaign file with 褚河街道 renamed opened without a word: its findings
    still counted, yet could no longer be exported, and its screenings and
    submissions vanished from the reports."""
    ledger.record(operator, new_finding())
    ledger.record_screening(
        Operator("李四", "火龙镇"), "火龙镇", "housing", 1, households=2, problems_found=0
    )
    ledger.close()
    townships = [u for u in campaign.units.townships if u not in (UNIT, "火龙镇")]
    renamed = campaign.model_copy(
        update={"units": campaign.units.model_copy(update={"townships": townships})}
    )

    with pytest.raises(CampaignMismatchError) as refused:
        open_ledger(renamed, store, clock)

    assert refused.value.units == ["火龙镇", UNIT]
    assert refused.value.categories == [] and refused.value.items == []


def test_the_latest_screening_is_undone_and_counts_no_more(
    ledger: Ledger, campaign: Campaign, store: Path, clock: SetClock, operator: Operator
) -> None:
    """A screening typed wrong (800 households for 80) skewed coverage for good:
    nothing could take it back."""
    ledger.record_screening(operator, UNIT, "housing", 2, households=120, problems_found=0)
    at(clock, 6, 3)
    ledger.record_screening(operator, UNIT, "housing", 2, households=800, problems_found=3)

    at(clock, 6, 4)
    undone = ledger.undo_screening(operator, UNIT)

    assert (undone.category, undone.check_item, undone.households) == ("housing", 2, 800)
    assert undone.on == date(2022, 6, 3)
    assert cell(ledger, UNIT, "housing", 2) == (Screened.RECORDED, 1, 120, 0, 0)
    assert [s.households for s in ledger.screenings(UNIT)] == [120]
    assert ledger.verify().view_differs == ()
    ledger.close()

    again = open_ledger(campaign, store, clock)
    assert cell(again, UNIT, "housing", 2) == (Screened.RECORDED, 1, 120, 0, 0)
    again.rebuild()
    assert cell(again, UNIT, "housing", 2) == (Screened.RECORDED, 1, 120, 0, 0)
    assert again.undo_screening(operator, UNIT).households == 120
    assert cell(again, UNIT, "housing", 2) == (Screened.NOT, 0, 0, 0, 0)
    with pytest.raises(NoScreeningToUndoError) as refused:
        again.undo_screening(operator, UNIT)
    assert refused.value.unit == UNIT
    again.close()


def test_only_who_recorded_a_screening_undoes_it_and_not_after_the_seal(
    ledger: Ledger, clock: SetClock, operator: Operator
) -> None:
    ledger.record_screening(operator, UNIT, "water", 1, households=30, problems_found=1)
    colleague = Operator("李四", UNIT)

    with pytest.raises(NotYourScreeningError) as refused:
        ledger.undo_screening(colleague, UNIT)
    assert (refused.value.recorded_by, refused.value.operator) == ("张三", "李四")
    with pytest.raises(NotYourScreeningError) as refused:
        # The same name signing for another unit is another hand.
        ledger.undo_screening(Operator("张三", "火龙镇"), UNIT)
    assert (refused.value.recorded_unit, refused.value.operator_unit) == (UNIT, "火龙镇")
    assert ledger.check_undo_screening(operator, UNIT).households == 30

    at(clock, 6, 21)
    ledger.seal(operator, UNIT, "王主任", force=True)
    with pytest.raises(UnitSealedError):
        ledger.undo_screening(operator, UNIT)
    assert cell(ledger, UNIT, "water", 1)[:3] == (Screened.RECORDED, 1, 30)


def test_a_view_whose_screenings_had_no_version_is_folded_anew(
    ledger: Ledger, campaign: Campaign, store: Path, clock: SetClock, operator: Operator
) -> None:
    """Views folded before screenings could be undone kept them without their
    record's version, by which an undo takes one out: such a view is made anew,
    its tables too, when the store is opened."""
    ledger.record_screening(operator, UNIT, "housing", 4, households=7, problems_found=0)
    view = ledger.projection.view
    with view.datastore.transaction(commit=True) as c:
        c.execute(f"DROP TABLE {view.SCREENINGS}")
        c.execute(
            f"CREATE TABLE {view.SCREENINGS} (position BIGINT PRIMARY KEY,"
            " unit_ledger TEXT NOT NULL, category TEXT NOT NULL,"
            " check_item BIGINT NOT NULL, households BIGINT NOT NULL,"
            " problems_found BIGINT NOT NULL, on_day TEXT NOT NULL,"
            " operator TEXT NOT NULL, recorded_at TEXT NOT NULL)"
        )
        c.execute(
            f"UPDATE {view.TRACKING} SET notification_id = 6"
            f" WHERE application_name = {view.PARAM}",
            [SCHEMA_MARK],
        )
    ledger.close()

    again = open_ledger(campaign, store, clock)
    assert cell(again, UNIT, "housing", 4) == (Screened.RECORDED, 1, 7, 0, 0)
    again.undo_screening(operator, UNIT)
    assert cell(again, UNIT, "housing", 4) == (Screened.NOT, 0, 0, 0, 0)
    again.close()


def test_a_screening_typed_twice_is_named_when_recorded(
    ledger: Ledger, clock: SetClock, operator: Operator
) -> None:
    """The same screening entered twice was summed without a word."""
    first = ledger.record_screening(
        operator, UNIT, "housing", 2, households=120, problems_found=1
    )
    at(clock, 6, 3)

    again = ledger.record_screening(
        operator, UNIT, "housing", 2, households=120, problems_found=1, on=date(2022, 6, 2)
    )
    other_day = ledger.record_screening(
        operator, UNIT, "housing", 2, households=120, problems_found=1
    )

    assert first is None and other_day is None
    assert again is not None and (again.on, again.households) == (date(2022, 6, 2), 120)
    assert len(ledger.screenings(UNIT)) == 3  # recorded all the same: villages may match
