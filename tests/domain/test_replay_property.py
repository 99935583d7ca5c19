"""Property: the ledger replayed as of T equals a store that only ever saw events up to T."""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.campaign import Campaign, load_campaign
from domain.clock import SetClock
from domain.errors import LedgerError
from domain.ledger import Ledger, NewFinding, Operator, open_ledger
from domain.state import FindingState
from tests.conftest import SHANGHAI

CAMPAIGN: Campaign = load_campaign()
START = datetime(2022, 6, 1, 8, 0, tzinfo=SHANGHAI)
OPERATOR = Operator("张三", "褚河街道")

Step = tuple[
    int, str, int, int
]  # minutes after the previous step, command, target, choice
KINDS = [
    "record",
    "plan",
    "extend",
    "progress",
    "complete",
    "pass",
    "fail",
    "correct",
    "withdraw",
]

steps = st.lists(
    st.tuples(
        st.integers(1, 2 * 24 * 60),
        st.sampled_from(KINDS),
        st.integers(0, 50),
        st.integers(0, 50),
    ),
    min_size=1,
    max_size=25,
)


def run(ledger: Ledger, clock: SetClock, step: Step, made: list[str]) -> bool:
    """Apply one step; return whether the ledger took it."""
    _, kind, target, choice = step
    today = ledger.today()
    category = CAMPAIGN.categories[choice % len(CAMPAIGN.categories)]
    commands: dict[str, Callable[[str, int], None]] = {
        "plan": lambda f, v: ledger.plan(
            OPERATOR,
            f,
            v,
            measures=f"措施{choice}",
            deadline=today + timedelta(days=choice % 9),
            responsible_unit="市住建局",
        ),
        "extend": lambda f, v: ledger.extend_deadline(
            OPERATOR, f, v, deadline=today + timedelta(days=10 + choice), reason="延期"
        ),
        "progress": lambda f, v: ledger.report_progress(
            OPERATOR, f, v, on=today, progress=f"进展{choice}"
        ),
        "complete": lambda f, v: ledger.complete(
            OPERATOR, f, v, on=today, effect="完成"
        ),
        "pass": lambda f, v: ledger.pass_acceptance(OPERATOR, f, v, on=today),
        "fail": lambda f, v: ledger.fail_acceptance(
            OPERATOR, f, v, on=today, remarks="不合格"
        ),
        "correct": lambda f, v: ledger.correct(
            OPERATOR,
            f,
            v,
            field="nature",
            value=CAMPAIGN.natures[choice % 2],
            reason="改",
        ),
        "withdraw": lambda f, v: ledger.withdraw(OPERATOR, f, v, reason="重复"),
    }
    try:
        if kind == "record" or not made:
            made.append(
                ledger.record(
                    OPERATOR,
                    NewFinding(
                        reporting_unit="褚河街道",
                        category=category.key,
                        check_item=1,
                        nature=CAMPAIGN.natures[choice % 2],
                        statement=f"问题{len(made)}",
                        found_on=max(
                            CAMPAIGN.first_day, today - timedelta(days=choice % 3)
                        ),
                    ),
                )
            )
            return True
        finding_id = made[target % len(made)]
        commands[kind](finding_id, ledger.row(finding_id).version)
        return True
    except LedgerError:
        return False


def anonymous(states: list[FindingState]) -> list[FindingState]:
    """Finding ids are random per store; compare everything else, in order."""
    return [dataclasses.replace(s, finding_id="") for s in states]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=steps, cut=st.floats(0, 1))
def test_replay_as_of_equals_a_store_that_saw_only_the_events_before(
    plan: list[Step], cut: float
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        clock = SetClock(START)
        full = open_ledger(CAMPAIGN, Path(folder) / "full.sqlite", clock)
        taken: list[tuple[datetime, Step]] = []
        made: list[str] = []
        for step in plan:
            clock.set(clock.now() + timedelta(minutes=step[0]))
            if run(full, clock, step, made):
                taken.append((clock.now(), step))
        end = clock.now()
        moment = START + (end - START) * cut + timedelta(seconds=1)

        clock_b = SetClock(START)
        partial = open_ledger(CAMPAIGN, Path(folder) / "partial.sqlite", clock_b)
        made_b: list[str] = []
        for when, step in taken:
            if when >= moment:
                break
            clock_b.set(when)
            assert run(partial, clock_b, step, made_b)

        replayed = full.rows_as_of(moment)
        assert anonymous(replayed) == anonymous(partial.rows())
        full.close()
        partial.close()


def test_the_property_would_catch_a_replay_that_ignores_the_moment() -> None:
    """Guard: with the cut before the last step the two ledgers must differ in size."""
    with tempfile.TemporaryDirectory() as folder:
        clock = SetClock(START)
        ledger = open_ledger(CAMPAIGN, Path(folder) / "s.sqlite", clock)
        made: list[str] = []
        run(ledger, clock, (0, "record", 0, 0), made)
        clock.set(START + timedelta(hours=1))
        run(ledger, clock, (0, "record", 0, 1), made)
        assert len(ledger.rows_as_of(START + timedelta(minutes=30))) == 1
        assert len(ledger.rows()) == 2
        ledger.close()
