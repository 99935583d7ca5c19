"""The statistics functions on hand-made finding states: each definition, one by one."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from typing import Any

import pytest

from domain.campaign import Campaign
from domain.state import FindingState, Status
from domain.statistics import Tally, statistics, tally, week_flow

DAY = date(2022, 6, 15)


def state(n: int, **fields: Any) -> FindingState:
    base = FindingState(
        finding_id=f"f{n}",
        reporting_unit="褚河街道",
        category="housing",
        check_item=1,
        nature="个性问题",
        statement=f"问题{n}",
        cause="",
        found_on=date(2022, 6, 2),
        source="自查",
        recorded_at=datetime(2022, 6, 2, 2, n, tzinfo=UTC),
        recorded_by="张三",
    )
    return dataclasses.replace(base, **fields)


def planned(n: int, deadline: date, **fields: Any) -> FindingState:
    fields = {"status": Status.IN_PROGRESS, **fields}
    return state(n, deadline=deadline, planned=True, **fields)


def completed(n: int, deadline: date, on: date, **fields: Any) -> FindingState:
    fields = {"status": Status.AWAITING_ACCEPTANCE, **fields}
    return planned(n, deadline, completed_on=on, **fields)


def test_a_tally_counts_statuses_and_leaves_withdrawn_out_of_found() -> None:
    states = [
        state(1),
        planned(2, date(2022, 6, 20)),
        completed(3, date(2022, 6, 20), date(2022, 6, 10)),
        completed(4, date(2022, 6, 20), date(2022, 6, 10), status=Status.CLOSED),
        state(5, status=Status.WITHDRAWN),
    ]

    counted = tally(states, DAY)

    assert counted == Tally(
        pending=1, in_progress=1, awaiting=1, closed=1, withdrawn=1, on_time=2
    )
    assert (counted.found, counted.rectified, counted.still_open) == (4, 2, 2)
    assert [counted.count(s) for s in Status] == [1, 1, 1, 1, 1]


def test_the_on_time_rate_is_on_time_over_rectified_plus_overdue() -> None:
    states = [
        # On time, late, overdue, not yet due, and late but withdrawn.
        completed(1, date(2022, 6, 10), date(2022, 6, 10)),
        completed(2, date(2022, 6, 10), date(2022, 6, 12), status=Status.CLOSED),
        planned(3, date(2022, 6, 14)),
        planned(4, date(2022, 6, 15)),
        completed(5, date(2022, 6, 1), date(2022, 6, 9), status=Status.WITHDRAWN),
    ]

    counted = tally(states, DAY)

    assert (counted.on_time, counted.due, counted.overdue) == (1, 3, 1)
    assert counted.rate == pytest.approx(1 / 3)


def test_nothing_due_gives_no_rate_rather_than_zero() -> None:
    assert tally([planned(1, date(2022, 6, 30)), state(2)], DAY).rate is None


def test_overdue_rows_put_the_longest_overdue_first(campaign: Campaign) -> None:
    states = [
        planned(1, date(2022, 6, 12)),
        planned(2, date(2022, 6, 5)),
        planned(3, date(2022, 6, 14), reporting_unit="火龙镇"),
        completed(4, date(2022, 6, 1), date(2022, 6, 9)),  # late, but done
    ]

    figures = statistics(states, DAY, campaign, weeks=[1, 2, 3])

    assert [(r.finding_id, r.days_overdue) for r in figures.overdue] == [
        ("f2", 10),
        ("f1", 3),
        ("f3", 1),
    ]


def test_every_category_nature_and_unit_has_a_row_in_campaign_order(
    campaign: Campaign,
) -> None:
    states = [state(1, category="water"), state(2, reporting_unit="火龙镇")]

    figures = statistics(states, DAY, campaign, weeks=[1])

    assert len(figures.by_kind) == len(campaign.categories) * len(campaign.natures)
    assert [r.category for r in figures.by_category] == [
        c.key for c in campaign.categories
    ]
    # The office and the team hand in no ledger: rows only if they report findings.
    assert [r.unit for r in figures.by_unit] == campaign.reporting_units
    office = campaign.units.receiving[0]
    theirs = statistics([state(3, reporting_unit=office)], DAY, campaign, weeks=[1])
    assert [r.unit for r in theirs.by_unit] == [*campaign.reporting_units, office]
    water = next(r for r in figures.by_category if r.category == "water")
    assert water.tally.found == 1
    assert sum(r.tally.found for r in figures.by_kind) == figures.total.found == 2


def test_one_units_statistics_leave_the_others_out(campaign: Campaign) -> None:
    states = [state(1), state(2, reporting_unit="火龙镇")]

    figures = statistics(states, DAY, campaign, weeks=[1], unit="火龙镇")

    assert [r.unit for r in figures.by_unit] == ["火龙镇"]
    assert figures.total.found == 1


def test_weeks_count_by_day_found_and_day_accepted_clamped_to_the_weeks(
    campaign: Campaign,
) -> None:
    states = [
        state(1, found_on=date(2022, 5, 28)),  # before week 1: counts in week 1
        state(2, found_on=date(2022, 6, 9)),
        completed(
            3,
            date(2022, 6, 20),
            date(2022, 6, 9),
            status=Status.CLOSED,
            accepted_on=date(2022, 6, 16),  # week 3, past the last week shown
        ),
        state(4, found_on=date(2022, 6, 9), status=Status.WITHDRAWN),
    ]

    flow = week_flow(states, campaign, [1, 2])

    assert [(w.week, w.new, w.closed) for w in flow] == [(1, 2, 0), (2, 1, 1)]
    # The days shown reach the days counted: week 2 took a close-out of June 16,
    # and was shown as ending June 14, as if it had been closed in it.
    assert [(w.first_day, w.last_day) for w in flow] == [
        (date(2022, 5, 28), date(2022, 6, 7)),
        (date(2022, 6, 8), date(2022, 6, 16)),
    ]


def test_findings_are_counted_by_responsible_unit_lead_units_first(
    campaign: Campaign,
) -> None:
    """The office chases the departments that do the work: no figure said how
    each 责任单位 stood, only each reporting unit."""
    states = [
        planned(1, date(2022, 6, 10), responsible_unit="市水利局"),
        completed(2, date(2022, 6, 20), date(2022, 6, 9), responsible_unit="市水利局"),
        planned(3, date(2022, 6, 20), responsible_unit="火龙镇", reporting_unit="火龙镇"),
        state(4),  # not planned yet: no responsible unit
        planned(5, date(2022, 6, 1), responsible_unit="市水利局", status=Status.WITHDRAWN),
    ]

    figures = statistics(states, DAY, campaign, weeks=[1])

    named = [r.unit for r in figures.by_responsible]
    assert named == [*campaign.responsible_units, "火龙镇", ""]
    water = next(r.tally for r in figures.by_responsible if r.unit == "市水利局")
    assert (water.found, water.overdue, water.on_time, water.withdrawn) == (2, 1, 1, 1)
    assert figures.by_responsible[-1].tally.pending == 1
    assert next(r for r in figures.by_responsible if r.unit == "市住建局").tally.found == 0
    assert sum(r.tally.found for r in figures.by_responsible) == figures.total.found

    mine = statistics(states, DAY, campaign, weeks=[1], unit="火龙镇")
    assert [r.unit for r in mine.by_responsible if r.tally.found] == ["火龙镇"]


def test_a_receiving_unit_with_findings_from_an_older_store_owes_no_week(
    campaign: Campaign,
) -> None:
    """Findings of the team, recorded before such findings were refused, still
    count in the office's overview, which marks every week not owed."""
    from domain.office import WeekMark, overview

    team = campaign.units.receiving[-1]
    summary = overview(
        [state(1, reporting_unit=team)], campaign.all_units, DAY, None,
        campaign.report_weeks, submitted={}, due=set(campaign.report_weeks),
        sealed={}, receiving=campaign.units.receiving,
    )  # fmt: skip

    [theirs] = [u for u in summary.units if u.unit == team]
    assert theirs.total == 1
    assert {mark for _, mark in theirs.weeks} == {WeekMark.NOT_OWED}
