"""The office's view on a real store: all units, weekly submissions, overdue by unit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest

from domain.clock import SetClock
from domain.errors import UnknownValueError
from domain.ledger import Ledger, NewFinding, Operator
from domain.office import WeekMark
from domain.state import Status
from tests.conftest import SHANGHAI

STORES = ("sqlite", "postgres")

NewFindingFactory = Callable[..., NewFinding]
ZHANG = Operator("张三", "褚河街道")
SUN = Operator("孙七", "火龙镇")


def plan(deadline: date) -> dict[str, Any]:
    return {
        "measures": "入户核实",
        "deadline": deadline,
        "responsible_unit": "市住建局",
    }


def at(clock: SetClock, month: int, day: int) -> None:
    clock.set(datetime(2022, month, day, 10, tzinfo=SHANGHAI))


@pytest.fixture
def campaign_in_week_three(
    ledger: Ledger, clock: SetClock, new_finding: NewFindingFactory
) -> Ledger:
    """Two townships with findings of every kind, one week submitted, on 6-16."""
    late = ledger.record(ZHANG, new_finding(statement="甲", **plan(date(2022, 6, 5))))
    ledger.record(ZHANG, new_finding(statement="乙", **plan(date(2022, 6, 30))))
    done = ledger.record(ZHANG, new_finding(statement="丙", **plan(date(2022, 6, 4))))
    ledger.complete(ZHANG, done, 2, on=date(2022, 6, 2), effect="已整改")
    gone = ledger.record(ZHANG, new_finding(statement="丁"))
    ledger.withdraw(ZHANG, gone, 1, reason="重复")
    ledger.record(
        SUN,
        new_finding(reporting_unit="火龙镇", statement="戊", **plan(date(2022, 6, 3))),
    )
    at(clock, 6, 9)
    ledger.submit_week(ZHANG, "褚河街道", 1)
    ledger.record(ZHANG, new_finding(statement="己", found_on=date(2022, 6, 9)))
    at(clock, 6, 16)
    assert late
    return ledger


def test_every_unit_is_counted_by_status_with_its_overdue_findings(
    campaign_in_week_three: Ledger,
) -> None:
    overview = campaign_in_week_three.office_overview()

    units = {u.unit: u for u in overview.units}
    assert list(units) == campaign_in_week_three.campaign.reporting_units
    chuhe, huolong = units["褚河街道"], units["火龙镇"]
    assert (chuhe.total, huolong.total) == (4, 1)
    assert chuhe.count(Status.IN_PROGRESS) == 2
    assert chuhe.count(Status.AWAITING_ACCEPTANCE) == 1
    assert chuhe.count(Status.PENDING) == 1
    assert (chuhe.overdue, huolong.overdue) == (1, 1)
    assert overview.total == sum(u.total for u in overview.units) == 5
    assert [(s.reporting_unit, s.statement) for s in overview.overdue] == [
        ("褚河街道", "甲"),
        ("火龙镇", "戊"),
    ]


def test_each_week_says_who_submitted_who_did_not_and_what_is_not_due(
    campaign_in_week_three: Ledger,
) -> None:
    overview = campaign_in_week_three.office_overview()

    units = {u.unit: u for u in overview.units}
    assert dict(units["褚河街道"].weeks) == {
        1: WeekMark.SUBMITTED,
        2: WeekMark.MISSING,
        3: WeekMark.NOT_DUE,
        4: WeekMark.NOT_OWED,  # in 总结验收: the final ledger reports it
    }
    assert units["火龙镇"].missing == (1, 2)
    owing = set(campaign_in_week_three.campaign.reporting_units)
    assert all(u.missing == (1, 2) for u in overview.units if u.total == 0 and u.unit in owing)
    assert all(u.missing == () for u in overview.units if u.unit not in owing)


def test_a_week_is_summed_as_recorded_by_its_cutoff(
    campaign_in_week_three: Ledger,
) -> None:
    week_one = campaign_in_week_three.office_overview(week=1)

    chuhe = next(u for u in week_one.units if u.unit == "褚河街道")
    assert week_one.day == date(2022, 6, 7)
    assert chuhe.total == 3  # 己 was recorded in week two
    assert [s.statement for s in week_one.overdue] == ["甲", "戊"]
    # At week one's end only week one was due, whatever is owed now.
    huolong = next(u for u in week_one.units if u.unit == "火龙镇")
    assert huolong.missing == (1,)
    with pytest.raises(UnknownValueError):
        campaign_in_week_three.office_overview(week=9)


def test_one_official_sheet_per_unit_with_findings_from_one_reading(
    campaign_in_week_three: Ledger,
) -> None:
    sheets = campaign_in_week_three.official_sheets()

    units = campaign_in_week_three.campaign.all_units
    assert [s.unit for s in sheets] == sorted(["褚河街道", "火龙镇"], key=units.index)
    assert campaign_in_week_three.official_sheet("褚河街道") in sheets
    week_one = {s.unit: s for s in campaign_in_week_three.official_sheets(1)}
    assert {u: len(s.rows) for u, s in week_one.items()} == {"褚河街道": 3, "火龙镇": 1}
    assert week_one["褚河街道"] == campaign_in_week_three.official_sheet("褚河街道", 1)


@pytest.mark.parametrize("week", [None, 1, 2])
def test_consolidated_workbook_reads_once_what_overview_and_sheets_read_apart(
    campaign_in_week_three: Ledger, week: int | None
) -> None:
    overview, sheets = campaign_in_week_three.consolidated(week)

    assert overview == campaign_in_week_three.office_overview(week)
    assert sheets == campaign_in_week_three.official_sheets(week)
    assert sheets and overview.total == sum(u.total for u in overview.units) > 0
