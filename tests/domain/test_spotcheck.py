"""Spot-check samples on a real store: stratified, recorded, and drawn again at will."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from domain.campaign import Campaign
from domain.clock import SetClock
from domain.errors import (
    NothingToSampleError,
    SampleNotFoundError,
    SampleSizeError,
    SeedError,
)
from domain.ledger import SEED_LIMIT, Ledger, NewFinding, Operator, open_ledger
from domain.spotcheck import draw
from domain.state import FindingState, Status
from tests.conftest import SHANGHAI, VALID_FINDING

# Every test that opens a store runs on SQLite and on PostgreSQL (tests/conftest.py).
STORES = ("sqlite", "postgres")

NewFindingFactory = Callable[..., NewFinding]

PLAN: dict[str, Any] = {
    "measures": "入户核实",
    "deadline": date(2022, 6, 20),
    "responsible_unit": "市住建局",
}
CHUHE = Operator("张三", "褚河街道")
HUOLONG = Operator("孙七", "火龙镇")
TEAM = Operator("王五", "市巩固拓展脱贫攻坚成果调研指导组")

# (operator, category, how many awaiting acceptance) for the standard ledger.
STRATA = [
    (CHUHE, "housing", 5),
    (CHUHE, "water", 2),
    (HUOLONG, "housing", 4),
    (HUOLONG, "health", 1),
]


def completed(
    ledger: Ledger, by: Operator, category: str, statement: str, *, done: bool = True
) -> str:
    """Record a finding with a plan and, when `done`, complete it."""
    finding_id = ledger.record(
        by,
        dataclasses.replace(
            VALID_FINDING,
            reporting_unit=by.unit,
            category=category,
            statement=statement,
            **PLAN,
        ),
    )
    if done:
        ledger.complete(by, finding_id, 2, on=date(2022, 6, 2), effect="已整改")
    return finding_id


def fill(ledger: Ledger) -> dict[tuple[str, str], set[str]]:
    """Fill the standard ledger; return the ids awaiting acceptance by stratum."""
    strata: dict[tuple[str, str], set[str]] = {}
    for by, category, count in STRATA:
        for n in range(count):
            finding_id = completed(ledger, by, category, f"{category}第{n}条")
            strata.setdefault((by.unit, category), set()).add(finding_id)
        completed(ledger, by, category, f"{category}尚在整改", done=False)
    return strata


def stratum_of(ledger: Ledger, finding_id: str) -> tuple[str, str]:
    row = ledger.row(finding_id)
    return row.reporting_unit, row.category


def test_the_same_seed_draws_the_same_findings(ledger: Ledger) -> None:
    fill(ledger)

    first = ledger.draw_sample(TEAM, per_stratum=2, seed=20220620)
    second = ledger.draw_sample(TEAM, per_stratum=2, seed=20220620)

    assert first != second
    assert ledger.sample(first).finding_ids == ledger.sample(second).finding_ids


def test_each_stratum_gives_its_share_and_a_small_one_gives_all(
    ledger: Ledger,
) -> None:
    strata = fill(ledger)

    sample = ledger.sample(ledger.draw_sample(TEAM, per_stratum=2, seed=5))

    drawn = Counter(stratum_of(ledger, f) for f in sample.finding_ids)
    assert drawn == {
        ("褚河街道", "housing"): 2,
        ("褚河街道", "water"): 2,
        ("火龙镇", "housing"): 2,
        ("火龙镇", "health"): 1,
    }
    assert len(set(sample.finding_ids)) == 7
    for finding_id in sample.finding_ids:
        assert finding_id in strata[stratum_of(ledger, finding_id)]
        assert ledger.row(finding_id).status is Status.AWAITING_ACCEPTANCE


def test_a_sample_larger_than_every_stratum_takes_them_all(ledger: Ledger) -> None:
    strata = fill(ledger)

    sample = ledger.sample(ledger.draw_sample(TEAM, per_stratum=50, seed=1))

    assert set(sample.finding_ids) == set().union(*strata.values())


def test_a_redraw_after_more_events_gives_the_recorded_sample(
    ledger: Ledger, clock: SetClock
) -> None:
    fill(ledger)
    sample_id = ledger.draw_sample(TEAM, per_stratum=2, seed=77)
    recorded = ledger.sample(sample_id)

    clock.set(datetime(2022, 6, 22, 9, tzinfo=SHANGHAI))
    for finding_id in recorded.finding_ids[:2]:
        ledger.pass_acceptance(TEAM, finding_id, 3, on=date(2022, 6, 22))
    for n in range(3):
        completed(ledger, CHUHE, "housing", f"新完成{n}")
    ledger.draw_sample(TEAM, per_stratum=1, seed=8)

    assert ledger.redraw(sample_id) == list(recorded.finding_ids)
    assert ledger.head() > recorded.position


def test_samples_are_listed_with_when_who_seed_and_ids_after_reopening(
    ledger: Ledger, campaign: Campaign, store: Path, clock: SetClock
) -> None:
    fill(ledger)
    first = ledger.draw_sample(TEAM, per_stratum=1, seed=11)
    clock.set(datetime(2022, 6, 23, 15, tzinfo=SHANGHAI))
    second = ledger.draw_sample(CHUHE, per_stratum=3, seed=12)
    listed = ledger.samples()
    ledger.close()

    again = open_ledger(campaign, store, clock)
    try:
        assert again.samples() == listed
        assert [s.sample_id for s in listed] == [first, second]
        assert [(s.operator, s.operator_unit) for s in listed] == [
            ("王五", TEAM.unit),
            ("张三", "褚河街道"),
        ]
        assert [s.seed for s in listed] == [11, 12]
        assert [s.per_stratum for s in listed] == [1, 3]
        assert listed[1].drawn_at == datetime(2022, 6, 23, 7, tzinfo=UTC)
        assert again.redraw(second) == list(listed[1].finding_ids)
    finally:
        again.close()


def test_without_a_seed_one_is_chosen_and_recorded(ledger: Ledger) -> None:
    fill(ledger)

    sample = ledger.sample(ledger.draw_sample(TEAM, per_stratum=1))

    assert 0 <= sample.seed < SEED_LIMIT
    assert ledger.redraw(sample.sample_id) == list(sample.finding_ids)


def test_drawing_leaves_the_ledger_view_alone(ledger: Ledger) -> None:
    fill(ledger)
    rows = ledger.rows()

    sample_id = ledger.draw_sample(TEAM, per_stratum=2, seed=3)

    assert ledger.rows() == rows
    assert ledger.projection.view.max_tracking_id(ledger.name) == ledger.head()
    assert sample_id not in {row.finding_id for row in ledger.rows()}
    assert ledger.states_as_of(datetime(2023, 1, 1, tzinfo=UTC)).keys() == {
        row.finding_id for row in rows
    }


def test_no_candidates_a_bad_size_or_an_unknown_sample_is_refused(
    ledger: Ledger,
) -> None:
    with pytest.raises(NothingToSampleError):
        ledger.draw_sample(TEAM, per_stratum=1, seed=1)
    completed(ledger, CHUHE, "housing", "尚在整改", done=False)
    with pytest.raises(NothingToSampleError) as caught:
        ledger.draw_sample(TEAM, per_stratum=1, seed=1)
    assert caught.value == NothingToSampleError(ledger.head())

    completed(ledger, CHUHE, "housing", "已完成")
    for size in (0, -1, 10**20):
        with pytest.raises(SampleSizeError) as too:
            ledger.draw_sample(TEAM, per_stratum=size, seed=1)
        assert too.value == SampleSizeError(str(size))
    for seed in (-1, 10**20):
        with pytest.raises(SeedError) as wrong:
            ledger.draw_sample(TEAM, per_stratum=1, seed=seed)
        assert wrong.value == SeedError(str(seed))

    finding_id = ledger.rows()[0].finding_id
    for unknown in (str(uuid4()), "不是编号", finding_id):
        with pytest.raises(SampleNotFoundError):
            ledger.redraw(unknown)
    assert ledger.samples() == []


def awaiting(finding_id: str, unit: str, category: str) -> FindingState:
    return FindingState(
        finding_id=finding_id,
        reporting_unit=unit,
        category=category,
        check_item=1,
        nature="个性问题",
        statement="",
        cause="",
        found_on=date(2022, 6, 1),
        source="自查",
        recorded_at=datetime(2022, 6, 1, tzinfo=UTC),
        recorded_by="",
        status=Status.AWAITING_ACCEPTANCE,
    )


def test_the_drawing_rule_is_pinned() -> None:
    """A change to the rule would make every recorded sample fail its redraw."""
    states = [awaiting(f"b{n:02}", "乙镇", "water") for n in range(10)]
    states += [awaiting(f"a{n:02}", "甲镇", "housing") for n in range(6)]
    states += [dataclasses.replace(states[0], finding_id="z", status=Status.CLOSED)]

    assert draw(reversed(states), 3, seed=2022) == draw(states, 3, seed=2022)
    assert draw(states, 3, seed=2022) == [
        "b01", "b04", "b05", "a00", "a04", "a05",
    ]  # fmt: skip
