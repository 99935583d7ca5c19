"""Every signal, problem and event of the inspection tools has its Chinese words."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from domain.campaign import Campaign
from domain.checks import Problem, ProblemKind
from domain.inspection import Signal, SignalKind
from domain.ledger import HistoryEntry
from tests.conftest import SHANGHAI
from tui import finding_screen
from tui.wording import (
    EVENT_NAMES,
    PROBLEM_NAMES,
    SIGNAL_NAMES,
    problem_text,
    restored_text,
    signal_text,
)

CJK = re.compile(r"[\u4e00-\u9fff]")

RECORDED = ("recorded_at", datetime(2022, 6, 7, 20, 30, tzinfo=SHANGHAI))
DATES: dict[SignalKind, tuple[tuple[str, date | datetime], ...]] = {
    SignalKind.LATE_RECORDED: (("found_on", date(2022, 6, 5)), RECORDED),
    SignalKind.SPOT_CHECK_FOUND: (("found_on", date(2022, 6, 5)), RECORDED),
    SignalKind.WITHDRAWN_BEFORE_CUTOFF: (
        RECORDED,
        ("cutoff", datetime(2022, 6, 8, tzinfo=SHANGHAI)),
    ),
    SignalKind.NATURE_FLIPPED_BEFORE_CUTOFF: (
        RECORDED,
        ("cutoff", datetime(2022, 6, 8, tzinfo=SHANGHAI)),
    ),
    SignalKind.DEADLINE_MOVED_BEFORE_OVERDUE: (
        RECORDED,
        ("old_deadline", date(2022, 6, 6)),
        ("new_deadline", date(2022, 6, 20)),
    ),
    SignalKind.LATE_COMPLETION: (("completed_on", date(2022, 5, 30)), RECORDED),
    SignalKind.ACCEPTED_IN_UNIT_BUNDLE: (RECORDED,),
    SignalKind.RECORDED_BEFORE_LAST_BUNDLE: (
        RECORDED,
        ("exported_at", datetime(2022, 6, 9, 17, 5, tzinfo=SHANGHAI)),
    ),
}


def signal(kind: SignalKind, detail: str = "") -> Signal:
    return Signal(
        unit="褚河街道",
        finding_id="x",
        statement="某问题",
        kind=kind,
        version=2,
        recorded_at=datetime(2022, 6, 7, 12, 30, tzinfo=SHANGHAI),
        week=1,
        dates=DATES[kind],
        detail=detail,
    )


@pytest.mark.parametrize("kind", list(SignalKind))
@pytest.mark.parametrize("detail", ["", "个性问题 → 共性问题"])
def test_every_signal_kind_has_a_name_and_a_sentence_with_its_dates(
    kind: SignalKind, detail: str
) -> None:
    sentence = signal_text(signal(kind, detail))

    assert CJK.search(SIGNAL_NAMES[kind])
    assert "2022年6月7日 20:30" in sentence
    assert "None" not in sentence


def test_sentences_say_how_close_and_how_late() -> None:
    withdrawn = signal_text(signal(SignalKind.WITHDRAWN_BEFORE_CUTOFF, "重复"))
    moved = signal_text(signal(SignalKind.DEADLINE_MOVED_BEFORE_OVERDUE, "缺材料"))
    backdated = signal_text(signal(SignalKind.LATE_COMPLETION))

    assert "距第 1 周报送截止仅 3 小时" in withdrawn and "原因：重复" in withdrawn
    assert "原时限已过" in moved and "2022年6月6日 → 2022年6月20日" in moved
    assert "相隔 8 天" in backdated


@pytest.mark.parametrize("kind", list(ProblemKind))
def test_every_problem_kind_has_a_name_and_a_sentence(kind: ProblemKind) -> None:
    problem = Problem("x", "褚河街道", "某问题", kind, "2022-06-20")

    assert CJK.search(PROBLEM_NAMES[kind])
    assert CJK.search(problem_text(problem))


def test_the_finding_screen_names_events_as_the_command_line_does() -> None:
    assert finding_screen.EVENT_NAMES is EVENT_NAMES
    assert EVENT_NAMES["ChangeUndone"] == "撤销"


def test_restored_values_are_shown_the_way_the_ledger_writes_them(
    campaign: Campaign,
) -> None:
    text = restored_text(
        {"status": "待验收", "accepted_on": None, "deadline": date(2022, 6, 10),
         "planned": True},
        campaign,
    )  # fmt: skip

    assert (
        text
        == "状态：待验收；验收日期：（空）；完成时限：2022年6月10日；已制定整改：是"
    )


def test_a_restored_category_is_named_as_the_ledger_names_it(campaign: Campaign) -> None:
    """An undone category correction read 问题类型：housing."""
    text = restored_text({"category": "housing", "check_item": 1}, campaign)

    assert text == "问题类型：住房保障（农村危房改造）；排查内容：1"


def test_every_event_name_fits_the_history_column() -> None:
    """验收通过（销号） showed as 验收通过（ in the finding's history."""
    for name in EVENT_NAMES.values():
        assert len(name) <= 5, name


def test_a_steps_parts_are_joined_without_a_full_stop_before_the_semicolon(
    campaign: Campaign,
) -> None:
    """The history read 整改措施：逐户复核。；完成时限：…"""
    entry = HistoryEntry(
        2, "RectificationPlanned", datetime(2022, 6, 2, 9, tzinfo=SHANGHAI),
        date(2022, 6, 2), "张三", "褚河街道",
        {"measures": "逐户复核。", "deadline": date(2022, 6, 10)},
    )  # fmt: skip

    assert finding_screen.describe(entry, campaign) == (
        "整改措施：逐户复核；完成时限：2022年6月10日"
    )
