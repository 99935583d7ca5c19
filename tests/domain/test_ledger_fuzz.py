"""Fuzzing the ledger: random valid and invalid commands, the views always agree.

A hypothesis state machine drives the Ledger on a real SQLite file with
commands in any order, on current and stale versions, with text and dates
of every kind. After every step the ledger view equals a fresh replay of
the events and each finding's aggregate; nothing but the domain's own
refusals (LedgerError) may be raised.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    precondition,
    rule,
)

from domain.audit import replay
from domain.campaign import load_campaign
from domain.clock import SetClock
from domain.errors import LedgerError
from domain.ledger import NewFinding, Operator, open_ledger
from domain.state import CORRECTABLE_FIELDS
from tests.conftest import SHANGHAI

# Examples that hold a 32,768-character text make hypothesis warn about their repr.
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

CAMPAIGN = load_campaign()
START = datetime(2022, 6, 8, 9, 0, tzinfo=SHANGHAI)
OPERATORS = [Operator("张三", "褚河街道"), Operator("李四", "褚河街道")]

BAD_TEXTS = [
    "",
    "   ",
    "\u3000",
    "a\x00b",
    "\x1b[2J",
    "\u202e反向",
    "\ud800",
    "=1+1",
    "@SUM(A1)",
    "'; DROP TABLE stored_events; --",
    "😀" * 16_384,
    "问" * 32_768,
]
GOOD_TEXTS = ["挂牌", "已联系住建局", "逐户复核", "王某某", "照片1", "李主任"]
bad_texts = st.one_of(
    st.text(max_size=12),
    st.sampled_from(range(len(BAD_TEXTS))).map(BAD_TEXTS.__getitem__),
)
# Mostly text a command takes, so it gets far enough to matter; often anything.
texts = st.one_of(*[st.sampled_from(GOOD_TEXTS)] * 3, bad_texts)
# Days around the campaign's first weeks; sometimes any day the calendar has.
near = st.dates(date(2022, 6, 1), date(2022, 6, 12))
later = st.dates(date(2022, 6, 1), date(2022, 8, 31))
any_day = st.dates(date(1, 1, 1), date(9999, 12, 31))
days = st.one_of(near, near, later, any_day)
GOOD = NewFinding(
    reporting_unit="褚河街道",
    category="housing",
    check_item=1,
    nature="个性问题",
    statement="东村王某某住房未挂牌",
    found_on=date(2022, 6, 1),
    household_head="王某某",
)
# One field of a new finding spoiled at a time, with a value of its own type.
spoilers = st.one_of(
    st.just({}),
    st.just({}),
    st.builds(
        lambda v: {"reporting_unit": v}, st.sampled_from(["不存在", "", "火龙镇"])
    ),
    st.builds(lambda v: {"category": v}, st.sampled_from(["water", "住房保障", "无"])),
    st.builds(lambda v: {"check_item": v}, st.integers(-1, 9)),
    st.builds(lambda v: {"nature": v}, st.sampled_from(["共性", "别的", ""])),
    st.builds(lambda v: {"statement": v}, bad_texts),
    st.builds(lambda v: {"household_head": v}, bad_texts),
    st.builds(lambda v: {"found_on": v}, days),
    st.builds(
        lambda d, m: {"deadline": d, "measures": m, "responsible_unit": "市住建局"},
        days,
        texts,
    ),
)
# How far a command's version is from the finding's: 0 current, else stale or ahead.
skews = st.sampled_from([0, 0, 0, -1, 1])


class LedgerMachine(RuleBasedStateMachine):
    """Random commands against one ledger; its views must always agree."""

    findings = Bundle("findings")

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="taizhang-fuzz-"))
        self.clock = SetClock(START)
        self.ledger = open_ledger(CAMPAIGN, self.folder / "s.sqlite", self.clock)
        self.refusals = 0

    def teardown(self) -> None:
        self.ledger.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def attempt(self, command: Callable[[], Any]) -> Any:
        """Run a command; a refusal must leave the log as it was."""
        before = self.ledger.head()
        try:
            return command()
        except LedgerError:
            self.refusals += 1
            assert self.ledger.head() == before
            return None

    def version(self, finding_id: str, skew: int) -> int:
        return self.ledger.row(finding_id).version + skew

    @rule(target=findings, by=st.sampled_from(OPERATORS), spoiler=spoilers)
    def record(self, by: Operator, spoiler: dict[str, Any]) -> Any:
        new = dataclasses.replace(GOOD, **spoiler)
        finding_id = self.attempt(lambda: self.ledger.record(by, new))
        return multiple() if finding_id is None else finding_id

    @rule(f=findings, skew=skews, measures=texts, deadline=days)
    def plan(self, f: str, skew: int, measures: str, deadline: date) -> None:
        self.attempt(
            lambda: self.ledger.plan(
                OPERATORS[0],
                f,
                self.version(f, skew),
                measures=measures,
                deadline=deadline,
                responsible_unit="市水利局",
            )
        )

    @rule(f=findings, skew=skews, deadline=days, reason=texts, approver=texts)
    def extend(
        self, f: str, skew: int, deadline: date, reason: str, approver: str
    ) -> None:
        self.attempt(
            lambda: self.ledger.extend_deadline(
                OPERATORS[0],
                f,
                self.version(f, skew),
                deadline=deadline,
                reason=reason,
                approved_by=approver,
            )
        )

    @rule(
        f=findings,
        skew=skews,
        on=days,
        progress=texts,
        evidence=st.lists(texts, max_size=2),
    )
    def progress(
        self, f: str, skew: int, on: date, progress: str, evidence: list[str]
    ) -> None:
        self.attempt(
            lambda: self.ledger.report_progress(
                OPERATORS[1],
                f,
                self.version(f, skew),
                on=on,
                progress=progress,
                evidence=evidence,
            )
        )

    @rule(f=findings, skew=skews, on=days, effect=texts)
    def complete(self, f: str, skew: int, on: date, effect: str) -> None:
        self.attempt(
            lambda: self.ledger.complete(
                OPERATORS[0], f, self.version(f, skew), on=on, effect=effect
            )
        )

    @rule(f=findings, skew=skews, on=days, remarks=texts, passed=st.booleans())
    def accept(self, f: str, skew: int, on: date, remarks: str, passed: bool) -> None:
        judge = self.ledger.pass_acceptance if passed else self.ledger.fail_acceptance
        self.attempt(
            lambda: judge(
                OPERATORS[1], f, self.version(f, skew), on=on, remarks=remarks
            )
        )

    @rule(
        f=findings,
        skew=skews,
        field=st.sampled_from(CORRECTABLE_FIELDS),
        text=texts,
        day=days,
        reason=texts,
    )
    def correct(
        self, f: str, skew: int, field: str, text: str, day: date, reason: str
    ) -> None:
        # The screen hands dates over parsed and a check item as typed.
        value: Any = day if field == "found_on" else text
        if field == "category":
            value = CAMPAIGN.categories[len(text) % len(CAMPAIGN.categories)].key
        self.attempt(
            lambda: self.ledger.correct(
                OPERATORS[0],
                f,
                self.version(f, skew),
                field=field,
                value=value,
                reason=reason,
            )
        )

    @rule(f=findings, skew=skews, reason=texts)
    def withdraw(self, f: str, skew: int, reason: str) -> None:
        self.attempt(
            lambda: self.ledger.withdraw(
                OPERATORS[1], f, self.version(f, skew), reason=reason
            )
        )

    @rule(f=findings, skew=skews, by=st.sampled_from(OPERATORS))
    def undo(self, f: str, skew: int, by: Operator) -> None:
        self.attempt(lambda: self.ledger.undo_last(by, f, self.version(f, skew)))

    @rule(hours=st.integers(1, 24 * 20))
    def wait(self, hours: int) -> None:
        self.clock.set(self.clock.now() + timedelta(hours=hours))

    @precondition(lambda self: self.ledger.head() > 0)
    @rule()
    def restart(self) -> None:
        """Close and open the store again, as the next morning's session would."""
        self.ledger.close()
        self.ledger = open_ledger(CAMPAIGN, self.folder / "s.sqlite", self.clock)

    @invariant()
    def views_agree(self) -> None:
        rows = {s.finding_id: s for s in self.ledger.rows()}
        assert rows == replay(self.ledger.events_in_order())
        for finding_id, row in rows.items():
            assert self.ledger.repository.get(UUID(finding_id)).state == row


LedgerMachine.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TestLedgerFuzz = LedgerMachine.TestCase
