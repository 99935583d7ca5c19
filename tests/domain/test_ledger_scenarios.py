"""Ledger scenarios on a real store, SQLite and PostgreSQL: recording, checks, the view."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from domain.campaign import Campaign
from domain.clock import SetClock
from domain.errors import (
    CheckItemNeededError,
    ConcurrentChangeError,
    DateOutsideCampaignError,
    FindingNotFoundError,
    FoundAfterStepError,
    LedgerError,
    UnknownValueError,
)
from domain.ledger import Ledger, NewFinding, Operator, open_ledger
from domain.state import Status
from domain.view import LedgerQuery
from tests.pg import clear_view

SHANGHAI = ZoneInfo("Asia/Shanghai")

# Every scenario runs on an SQLite file and on a PostgreSQL schema (tests/conftest.py).
STORES = ("sqlite", "postgres")

NewFindingFactory = Callable[..., NewFinding]

PLAN: dict[str, Any] = {
    "measures": "组织住建部门上门鉴定并挂牌",
    "deadline": date(2022, 6, 10),
    "responsible_unit": "市住建局",
    "responsible_leader": "李四",
}

HOUSING_OFFICER = Operator("李四", "市住建局")
HUOLONG = Operator("孙七", "火龙镇")


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A moment in 2022, Shanghai time."""
    return datetime(2022, month, day, hour, minute, tzinfo=SHANGHAI)


def kinds(ledger: Ledger, finding_id: str) -> list[str]:
    return [entry.kind for entry in ledger.history(finding_id)]


@pytest.fixture
def open_again(
    campaign: Campaign, store: Path, clock: SetClock
) -> Iterator[Callable[..., Ledger]]:
    """Open more ledgers on the same file, as other processes would; close them."""
    opened: list[Ledger] = []

    def open_(with_clock: SetClock | None = None) -> Ledger:
        ledger = open_ledger(campaign, store, with_clock or clock)
        opened.append(ledger)
        return ledger

    yield open_
    for ledger in opened:
        ledger.close()


class RaceClock(SetClock):
    """A clock that lets another operator act the first time it is read.

    A ledger reads its clock after loading the finding and checking the
    version, so the other operator's change lands between load and save.
    """

    def __init__(self, moment: datetime, other_move: Callable[[], None]) -> None:
        super().__init__(moment)
        self.other_move: Callable[[], None] | None = other_move

    def now(self) -> datetime:
        move, self.other_move = self.other_move, None
        if move is not None:
            move()
        return super().now()


# Recording


def test_record_without_a_plan(
    ledger: Ledger, operator: Operator, new_finding: NewFindingFactory, clock: SetClock
) -> None:
    finding_id = ledger.record(operator, new_finding())

    row = ledger.row(finding_id)
    assert row.status is Status.PENDING
    assert row.planned is False
    assert row.deadline is None
    assert (row.reporting_unit, row.category, row.check_item) == (
        "褚河街道",
        "housing",
        1,
    )
    assert row.nature == "个性问题"
    assert row.household_kind == "脱贫户"
    assert row.recorded_by == "张三"
    assert row.recorded_at == clock.now()
    assert row.version == 1
    assert kinds(ledger, finding_id) == ["Recorded"]
    assert ledger.rows() == [row]


def test_record_with_a_plan(
    ledger: Ledger, operator: Operator, new_finding: NewFindingFactory
) -> None:
    finding_id = ledger.record(operator, new_finding(**PLAN))

    row = ledger.row(finding_id)
    assert row.status is Status.IN_PROGRESS
    assert row.deadline == date(2022, 6, 10)
    assert row.responsible_unit == "市住建局"
    assert row.responsible_leader == "李四"
    assert row.version == 2
    assert kinds(ledger, finding_id) == ["Recorded", "RectificationPlanned"]


def test_plan_after_recording(
    ledger: Ledger, operator: Operator, new_finding: NewFindingFactory
) -> None:
    finding_id = ledger.record(operator, new_finding())

    ledger.plan(HOUSING_OFFICER, finding_id, 1, **PLAN)

    row = ledger.row(finding_id)
    assert row.status is Status.IN_PROGRESS
    assert row.version == 2
    assert ledger.history(finding_id)[-1].operator_unit == "市住建局"


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"category": "交通保障"}, UnknownValueError("category", "交通保障")),
        ({"nature": "重大问题"}, UnknownValueError("nature", "重大问题")),
        ({"nature": ""}, UnknownValueError("nature", "")),
        ({"reporting_unit": "某某镇"}, UnknownValueError("reporting_unit", "某某镇")),
        ({"check_item": 0}, UnknownValueError("check_item", "0")),
        ({"check_item": 6}, UnknownValueError("check_item", "6")),
        (
            {"category": "welfare", "check_item": 8},
            UnknownValueError("check_item", "8"),
        ),
        ({"source": "网传"}, UnknownValueError("source", "网传")),
        ({"household_kind": "五保户"}, UnknownValueError("household_kind", "五保户")),
        (
            {**PLAN, "responsible_unit": "市交通局"},
            UnknownValueError("responsible_unit", "市交通局"),
        ),
        ({**PLAN, "deadline": None}, UnknownValueError("deadline", "")),
        (
            {"found_on": date(2022, 5, 22)},
            DateOutsideCampaignError(
                "found_on", date(2022, 5, 22), date(2022, 5, 23), date(2022, 6, 2)
            ),
        ),
        (
            {**PLAN, "deadline": date(2022, 5, 22)},
            DateOutsideCampaignError(
                "deadline", date(2022, 5, 22), date(2022, 5, 23), date(2023, 6, 26)
            ),
        ),
        (
            {**PLAN, "deadline": date(2023, 6, 27)},
            DateOutsideCampaignError(
                "deadline", date(2023, 6, 27), date(2022, 5, 23), date(2023, 6, 26)
            ),
        ),
    ],
)
def test_values_the_campaign_does_not_define_are_refused(
    ledger: Ledger,
    operator: Operator,
    new_finding: NewFindingFactory,
    overrides: dict[str, Any],
    error: LedgerError,
) -> None:
    with pytest.raises(type(error)) as caught:
        ledger.record(operator, new_finding(**overrides))

    assert caught.value == error
    assert ledger.head() == 0
    assert ledger.rows() == []


def test_a_deadline_is_bounded_by_the_campaign_not_by_today(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    """Papers of 2022 entered in 2026: a deadline typed 2027-06-01 for 2022-06-01
    was taken (the bound was today plus a year) and hid the finding from overdue."""
    clock.set(datetime(2026, 12, 5, 9, 0, tzinfo=SHANGHAI))
    with pytest.raises(DateOutsideCampaignError) as caught:
        ledger.record(operator, new_finding(**{**PLAN, "deadline": date(2027, 6, 1)}))
    assert caught.value == DateOutsideCampaignError(
        "deadline", date(2027, 6, 1), date(2022, 5, 23), date(2023, 6, 26)
    )
    ledger.record(operator, new_finding(**{**PLAN, "deadline": date(2023, 6, 26)}))


def test_a_found_day_after_the_campaign_is_refused_long_after_it(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    """2025 typed for 2022 was taken: found years after the campaign's last day."""
    clock.set(datetime(2026, 12, 5, 9, 0, tzinfo=SHANGHAI))
    error = DateOutsideCampaignError(
        "found_on", date(2025, 1, 5), date(2022, 5, 23), date(2022, 6, 25)
    )

    with pytest.raises(DateOutsideCampaignError) as caught:
        ledger.record(operator, new_finding(found_on=date(2025, 1, 5)))
    assert caught.value == error

    finding_id = ledger.record(operator, new_finding(found_on=date(2022, 6, 5)))
    with pytest.raises(DateOutsideCampaignError) as caught:
        ledger.correct(
            operator, finding_id, 1, field="found_on", value=date(2025, 1, 5), reason="改"
        )
    assert caught.value == error


@pytest.mark.parametrize(("category", "last_item"), [("housing", 5), ("welfare", 7)])
def test_the_last_check_item_of_a_category_is_accepted(
    ledger: Ledger,
    operator: Operator,
    new_finding: NewFindingFactory,
    category: str,
    last_item: int,
) -> None:
    finding_id = ledger.record(
        operator, new_finding(category=category, check_item=last_item)
    )

    assert ledger.row(finding_id).check_item == last_item


@pytest.mark.parametrize(
    ("given", "stored"), [("共性", "共性问题"), ("个性", "个性问题")]
)
def test_a_short_nature_is_stored_in_full(
    ledger: Ledger,
    operator: Operator,
    new_finding: NewFindingFactory,
    given: str,
    stored: str,
) -> None:
    finding_id = ledger.record(operator, new_finding(nature=given))

    assert ledger.row(finding_id).nature == stored


@pytest.mark.parametrize("given", ["住房保障", "农村危房改造", "housing", " 住房保障 "])
def test_a_category_by_name_label_or_key_is_stored_as_its_key(
    ledger: Ledger, operator: Operator, new_finding: NewFindingFactory, given: str
) -> None:
    finding_id = ledger.record(operator, new_finding(category=given))

    assert ledger.row(finding_id).category == "housing"
    assert ledger.history(finding_id)[0].details["category"] == "housing"


def test_an_unknown_finding_is_reported_as_not_found(
    ledger: Ledger, operator: Operator
) -> None:
    missing = str(uuid4())

    for call in (
        lambda: ledger.row(missing),
        lambda: ledger.history(missing),
        lambda: ledger.withdraw(operator, missing, 1, reason="重复"),
        lambda: ledger.row("not-an-id"),
    ):
        with pytest.raises(FindingNotFoundError):
            call()


# The view follows the log


def test_the_view_survives_closing_and_reopening_the_store(
    ledger: Ledger,
    operator: Operator,
    new_finding: NewFindingFactory,
    open_again: Callable[..., Ledger],
) -> None:
    first = ledger.record(operator, new_finding())
    second = ledger.record(operator, new_finding(statement="饮水水压不足", **PLAN))
    before = ledger.rows()
    ledger.close()

    reopened = open_again()

    assert reopened.rows() == before
    assert [row.finding_id for row in before] == [first, second]
    assert reopened.catch_up() == 0
    assert reopened.head() == 3


def test_the_view_is_rebuilt_from_the_events_alone(
    ledger: Ledger,
    operator: Operator,
    new_finding: NewFindingFactory,
    store: Path,
    open_again: Callable[..., Ledger],
) -> None:
    ledger.record(operator, new_finding())
    ledger.record(operator, new_finding(statement="饮水水压不足", **PLAN))
    before = ledger.rows()
    ledger.close()
    clear_view(store)

    reopened = open_again()

    assert reopened.rows() == before
    assert reopened.catch_up() == 0


def test_a_second_ledger_on_the_same_file_sees_the_first_ones_writes(
    ledger: Ledger,
    operator: Operator,
    new_finding: NewFindingFactory,
    open_again: Callable[..., Ledger],
) -> None:
    other = open_again()

    finding_id = ledger.record(operator, new_finding())

    other.catch_up()
    assert other.row(finding_id) == ledger.row(finding_id)

    other.plan(HOUSING_OFFICER, finding_id, 1, **PLAN)

    ledger.catch_up()
    assert ledger.row(finding_id).status is Status.IN_PROGRESS
    assert ledger.row(finding_id) == other.row(finding_id)


# Two operators, one finding


def test_the_second_of_two_changes_from_the_same_version_is_refused(
    ledger: Ledger,
    operator: Operator,
    new_finding: NewFindingFactory,
    open_again: Callable[..., Ledger],
) -> None:
    finding_id = ledger.record(operator, new_finding())
    other = open_again()
    other.catch_up()
    seen_by_both = other.row(finding_id).version

    ledger.plan(operator, finding_id, seen_by_both, **PLAN)

    with pytest.raises(ConcurrentChangeError) as caught:
        other.withdraw(HOUSING_OFFICER, finding_id, seen_by_both, reason="重复")
    assert caught.value == ConcurrentChangeError(finding_id)

    history = other.history(finding_id)
    assert [(e.kind, e.operator) for e in history] == [
        ("Recorded", "张三"),
        ("RectificationPlanned", "张三"),
    ]
    other.catch_up()
    assert other.row(finding_id).status is Status.IN_PROGRESS


def test_a_change_racing_between_load_and_save_is_refused(
    ledger: Ledger,
    operator: Operator,
    new_finding: NewFindingFactory,
    open_again: Callable[..., Ledger],
) -> None:
    finding_id = ledger.record(operator, new_finding())

    def first_operator_plans() -> None:
        ledger.plan(operator, finding_id, 1, **PLAN)

    other = open_again(RaceClock(at(6, 2, 11), first_operator_plans))

    with pytest.raises(ConcurrentChangeError) as caught:
        other.withdraw(HOUSING_OFFICER, finding_id, 1, reason="重复")

    assert caught.value == ConcurrentChangeError(finding_id)
    assert kinds(ledger, finding_id) == ["Recorded", "RectificationPlanned"]
    assert ledger.row(finding_id).status is Status.IN_PROGRESS
    other.catch_up()
    assert other.row(finding_id).version == 2


@pytest.mark.parametrize("stale", [1, 3])
def test_a_change_from_a_wrong_version_is_refused(
    ledger: Ledger, operator: Operator, new_finding: NewFindingFactory, stale: int
) -> None:
    finding_id = ledger.record(operator, new_finding(**PLAN))

    with pytest.raises(ConcurrentChangeError) as caught:
        ledger.report_progress(
            operator, finding_id, stale, on=date(2022, 6, 2), progress="已联系"
        )

    assert caught.value == ConcurrentChangeError(finding_id)
    assert ledger.row(finding_id).version == 2
    assert ledger.head() == 2


# Corrections through the ledger


def test_a_check_item_typed_as_text_is_stored_as_a_number(
    ledger: Ledger, operator: Operator, new_finding: NewFindingFactory
) -> None:
    """Regression: correcting check_item with "2" (as a form field gives it) stored
    the string, and the official sheet then failed comparing it with a number.
    The number 2 should be stored and the sheet should build."""
    finding_id = ledger.record(operator, new_finding())

    ledger.correct(
        operator, finding_id, 1, field="check_item", value="2", reason="记错"
    )

    assert ledger.row(finding_id).check_item == 2
    assert ledger.history(finding_id)[-1].details["new"] == 2
    sheet = ledger.official_sheet("褚河街道")
    assert sheet.rows[0].check_item.startswith("2. ")


@pytest.mark.parametrize("value", ["二", "", 9, "0"])
def test_a_check_item_the_category_does_not_have_is_refused(
    ledger: Ledger, operator: Operator, new_finding: NewFindingFactory, value: Any
) -> None:
    finding_id = ledger.record(operator, new_finding())

    with pytest.raises(UnknownValueError) as caught:
        ledger.correct(
            operator, finding_id, 1, field="check_item", value=value, reason="记错"
        )

    assert caught.value == UnknownValueError("check_item", str(value))
    # “排查内容”的值“9”不在本次工作的定义中 did not say which there are.
    assert caught.value.choices == ("1", "2", "3", "4", "5")
    assert ledger.row(finding_id).version == 1


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("category", "交通保障", UnknownValueError("category", "交通保障")),
        ("nature", "重大", UnknownValueError("nature", "重大")),
        (
            "responsible_unit",
            "市交通局",
            UnknownValueError("responsible_unit", "市交通局"),
        ),
        ("household_kind", "五保户", UnknownValueError("household_kind", "五保户")),
        (
            "found_on",
            date(2022, 5, 1),
            DateOutsideCampaignError(
                "found_on", date(2022, 5, 1), date(2022, 5, 23), date(2022, 6, 2)
            ),
        ),
    ],
)
def test_a_correction_to_a_value_the_campaign_does_not_define_is_refused(
    ledger: Ledger,
    operator: Operator,
    new_finding: NewFindingFactory,
    field: str,
    value: Any,
    error: LedgerError,
) -> None:
    finding_id = ledger.record(operator, new_finding(**PLAN))

    with pytest.raises(type(error)) as caught:
        ledger.correct(operator, finding_id, 2, field=field, value=value, reason="改")

    assert caught.value == error
    assert ledger.head() == 2


def test_a_found_day_is_not_corrected_to_after_the_plan_or_an_extension(
    ledger: Ledger, operator: Operator, new_finding: NewFindingFactory, clock: SetClock
) -> None:
    """The plan form refuses a plan before the found day; a correction moved the
    found day past the plan's, leaving a plan made before the problem was found."""
    clock.set(datetime(2022, 6, 20, 10, tzinfo=SHANGHAI))
    finding_id = ledger.record(operator, new_finding(found_on=date(2022, 6, 2)))
    ledger.plan(
        operator, finding_id, 1, on=date(2022, 6, 4),
        **{**PLAN, "deadline": date(2022, 6, 30)},
    )  # fmt: skip

    with pytest.raises(FoundAfterStepError) as caught:
        ledger.correct(
            operator, finding_id, 2, field="found_on", value=date(2022, 6, 5), reason="改"
        )

    assert caught.value == FoundAfterStepError(date(2022, 6, 5), date(2022, 6, 4))
    ledger.correct(
        operator, finding_id, 2, field="found_on", value=date(2022, 6, 4), reason="改"
    )


def test_a_category_correction_by_label_stores_the_key(
    ledger: Ledger, operator: Operator, new_finding: NewFindingFactory
) -> None:
    finding_id = ledger.record(operator, new_finding())

    ledger.correct(
        operator, finding_id, 1, field="category", value="健康扶贫", reason="归类错误",
        check_item=3,
    )

    row = ledger.row(finding_id)
    assert (row.category, row.check_item) == ("health", 3)
    assert ledger.rows(LedgerQuery(category="health"))[0].finding_id == finding_id
    assert ledger.rows(LedgerQuery(category="housing")) == []
    kinds = [(e.kind, e.details.get("field")) for e in ledger.history(finding_id)]
    assert kinds[1:] == [("FieldCorrected", "category"), ("FieldCorrected", "check_item")]


def test_a_category_corrected_without_naming_its_check_item_is_refused(
    ledger: Ledger, operator: Operator, new_finding: NewFindingFactory
) -> None:
    """Housing item 2 (monitoring) would silently have become education item 2
    (a different check altogether): the new category's item must be chosen."""
    finding_id = ledger.record(operator, new_finding(check_item=2))

    with pytest.raises(CheckItemNeededError) as caught:
        ledger.correct(
            operator, finding_id, 1, field="category", value="education", reason="归类"
        )

    items = tuple(ledger.campaign.category("education").items)
    assert caught.value == CheckItemNeededError("education", items)
    assert ledger.head() == 1


def test_a_category_with_a_check_item_it_does_not_have_is_refused(
    ledger: Ledger, operator: Operator, new_finding: NewFindingFactory
) -> None:
    """Housing item 5 moved to education (3 items) left a sheet row "5. " with no text."""
    finding_id = ledger.record(operator, new_finding(check_item=5))

    with pytest.raises(UnknownValueError) as caught:
        ledger.correct(
            operator, finding_id, 1, field="category", value="education", reason="归类",
            check_item=5,
        )

    assert caught.value == UnknownValueError("new_check_item", "5")
    assert caught.value.choices == ("1", "2", "3")  # said, not only refused
    assert ledger.row(finding_id).category == "housing"


# Finding rows


@pytest.fixture
def four_rows(
    ledger: Ledger, operator: Operator, new_finding: NewFindingFactory, clock: SetClock
) -> dict[str, str]:
    """Four findings in two units, three categories and every open status."""
    wang = ledger.record(
        operator,
        new_finding(household_head="王某", **{**PLAN, "deadline": date(2022, 6, 5)}),
    )
    clinic = ledger.record(
        operator,
        new_finding(
            category="health",
            check_item=3,
            nature="共性",
            statement="部分村卫生室常用药品不全",
            household_head="",
            household_kind="",
            measures="补齐常用药品目录",
            deadline=date(2022, 6, 20),
            responsible_unit="市卫健委",
        ),
    )
    water = ledger.record(
        HUOLONG,
        new_finding(
            reporting_unit="火龙镇",
            category="water",
            statement="供水管道老化频繁停水",
            household_head="",
        ),
    )
    done = ledger.record(
        operator,
        new_finding(statement="赵某房屋加固未验收", household_head="赵某", **PLAN),
    )
    ledger.complete(operator, done, 2, on=date(2022, 6, 2), effect="已加固")
    return {"wang": wang, "clinic": clinic, "water": water, "done": done}


def ids(ledger: Ledger, **query: Any) -> list[str]:
    return [row.finding_id for row in ledger.rows(LedgerQuery(**query))]


def test_rows_filter_by_unit_category_nature_and_status(
    ledger: Ledger, four_rows: dict[str, str]
) -> None:
    wang, clinic, water, done = four_rows.values()

    assert ids(ledger) == [wang, clinic, water, done]
    assert ids(ledger, unit="褚河街道") == [wang, clinic, done]
    assert ids(ledger, unit="火龙镇") == [water]
    assert ids(ledger, unit="神垕镇") == []
    assert ids(ledger, category="housing") == [wang, done]
    assert ids(ledger, nature="共性问题") == [clinic]
    assert ids(ledger, status=Status.PENDING) == [water]
    assert ids(ledger, status="整改中") == [wang, clinic]
    assert ids(ledger, status=Status.AWAITING_ACCEPTANCE) == [done]
    assert ids(ledger, unit="褚河街道", category="housing", status="整改中") == [wang]


def test_rows_filter_overdue_on_a_day(
    ledger: Ledger, four_rows: dict[str, str]
) -> None:
    wang, clinic, _, _ = four_rows.values()

    assert ids(ledger, overdue_on=date(2022, 6, 5)) == []
    assert ids(ledger, overdue_on=date(2022, 6, 6)) == [wang]
    assert ids(ledger, overdue_on=date(2022, 6, 21)) == [wang, clinic]
    assert ids(ledger, overdue_on=date(2022, 6, 21), unit="火龙镇") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("zjj", ["wang", "done"]),
        ("ZJJ", ["wang", "done"]),
        ("市住建局", ["wang", "done"]),
        ("wm", ["wang"]),
        ("王某", ["wang"]),
        ("住房", ["wang", "done"]),
        ("健康扶贫", ["clinic"]),
        ("卫生室", ["clinic"]),
        ("hlz", ["water"]),
        ("zjj wm", ["wang"]),
        ("zjj 卫生室", []),
        ("找不到的字", []),
    ],
)
def test_rows_found_by_text_pinyin_initials_and_category_name(
    ledger: Ledger, four_rows: dict[str, str], text: str, expected: list[str]
) -> None:
    assert ids(ledger, text=text) == [four_rows[name] for name in expected]


# The official sheet, now and as reported for a week


def test_week_one_sheet_shows_only_what_was_known_in_week_one(
    ledger: Ledger, operator: Operator, new_finding: NewFindingFactory, clock: SetClock
) -> None:
    leak = ledger.record(
        operator, new_finding(**{**PLAN, "deadline": date(2022, 6, 6)})
    )
    clinic = ledger.record(
        operator,
        new_finding(
            category="health", check_item=3, statement="村卫生室缺药", household_head=""
        ),
    )
    ledger.record(HUOLONG, new_finding(reporting_unit="火龙镇", statement="外单位"))

    clock.set(at(6, 6))
    ledger.report_progress(operator, leak, 2, on=date(2022, 6, 6), progress="已鉴定")
    mistake = ledger.record(operator, new_finding(statement="录错的一条"))
    ledger.withdraw(operator, mistake, 1, reason="录入错误")
    pension = ledger.record(
        operator,
        new_finding(
            category="welfare",
            check_item=4,
            statement="养老保险未参保",
            found_on=date(2022, 6, 5),
            measures="动员参保",
            deadline=date(2022, 6, 15),
            responsible_unit="市人社局",
        ),
    )

    clock.set(at(6, 8, 9))
    week_one = ledger.official_sheet("褚河街道", 1)

    assert week_one.report_date == date(2022, 6, 7)
    assert week_one.cutoff == datetime(2022, 6, 7, 16, 0, tzinfo=UTC)
    assert [r.statement for r in week_one.rows] == [
        "马坪村刘某房屋未做安全性认定",
        "村卫生室缺药",
        "养老保险未参保",
    ]
    assert [r.status for r in week_one.rows] == ["整改中", "待整改", "整改中"]
    assert [r.deadline for r in week_one.rows] == [
        date(2022, 6, 6),
        None,
        date(2022, 6, 15),
    ]
    assert [r.overdue for r in week_one.rows] == [True, False, False]
    assert [r.number for r in week_one.rows] == [1, 2, 3]
    assert week_one.rows[0].latest_progress == "已鉴定"

    clock.set(at(6, 9))
    ledger.extend_deadline(operator, leak, 3, deadline=date(2022, 6, 20), reason="雨季")
    ledger.correct(
        operator, leak, 4, field="statement", value="刘某房屋未挂牌", reason="表述不准"
    )
    ledger.withdraw(operator, clinic, 1, reason="与火龙镇重复")
    ledger.complete(operator, pension, 2, on=date(2022, 6, 9), effect="已参保")
    late = ledger.record(
        operator,
        new_finding(statement="第一周发现第二周才报", found_on=date(2022, 6, 3)),
    )

    assert ledger.official_sheet("褚河街道", 1) == week_one

    now = ledger.official_sheet("褚河街道")
    assert now.cutoff is None
    assert now.report_date == date(2022, 6, 9)
    assert [(r.statement, r.status, r.deadline) for r in now.rows] == [
        ("刘某房屋未挂牌", "整改中", date(2022, 6, 20)),
        ("第一周发现第二周才报", "待整改", None),
        ("养老保险未参保", "待验收", date(2022, 6, 15)),
    ]
    assert ledger.row(late).found_on == date(2022, 6, 3)
    assert all(r.reporting_unit == "褚河街道" for r in now.rows)


def test_a_withdrawn_finding_is_not_on_the_sheet(
    ledger: Ledger, operator: Operator, new_finding: NewFindingFactory
) -> None:
    kept = ledger.record(operator, new_finding(statement="保留"))
    dropped = ledger.record(operator, new_finding(statement="作废"))

    ledger.withdraw(operator, dropped, 1, reason="重复")

    assert [r.statement for r in ledger.official_sheet("褚河街道").rows] == ["保留"]
    assert [r.statement for r in ledger.official_sheet("褚河街道", 1).rows] == ["保留"]
    assert ledger.row(dropped).status is Status.WITHDRAWN
    assert kept in ids(ledger) and dropped in ids(ledger)


def test_sheet_rows_follow_category_order_then_found_date_then_recording(
    ledger: Ledger, operator: Operator, new_finding: NewFindingFactory, clock: SetClock
) -> None:
    def record(statement: str, category: str, found_on: date) -> None:
        ledger.record(
            operator,
            new_finding(statement=statement, category=category, found_on=found_on),
        )

    record("金融", "finance", date(2022, 6, 1))
    record("住房-6月2日", "housing", date(2022, 6, 2))
    record("综合", "welfare", date(2022, 5, 30))
    record("住房-6月1日-甲", "housing", date(2022, 6, 1))

    clock.set(at(6, 2, 11))
    record("健康", "health", date(2022, 6, 1))
    record("住房-6月1日-乙", "housing", date(2022, 6, 1))
    record("教育", "education", date(2022, 6, 2))
    record("饮水", "water", date(2022, 6, 1))
    record("住房-6月1日-丙", "housing", date(2022, 6, 1))
    record("就业", "employment", date(2022, 6, 1))

    expected = [
        "住房-6月1日-甲",
        "住房-6月1日-乙",
        "住房-6月1日-丙",
        "住房-6月2日",
        "健康",
        "教育",
        "饮水",
        "就业",
        "综合",
        "金融",
    ]
    now = ledger.official_sheet("褚河街道")
    assert [r.statement for r in now.rows] == expected
    assert [r.number for r in now.rows] == list(range(1, 11))
    assert [r.category_label for r in now.rows[4:]] == [
        "健康扶贫",
        "教育扶贫",
        "饮水安全",
        "就业扶贫",
        "综合保障",
        "金融扶贫",
    ]

    week_one = ledger.official_sheet("褚河街道", 1)
    assert [r.statement for r in week_one.rows] == expected


def test_rows_recorded_in_the_same_instant_keep_recording_order(
    ledger: Ledger, operator: Operator, new_finding: NewFindingFactory
) -> None:
    """Regression: findings recorded at one clock reading (a set clock, an import,
    a coarse system clock) came back from the view in random id order. They
    should come back, and appear on the sheet, in the order they were recorded."""
    statements = [f"同一时刻第{n}条" for n in range(1, 9)]

    recorded = [
        ledger.record(operator, new_finding(statement=text)) for text in statements
    ]

    assert ids(ledger) == recorded
    assert [r.statement for r in ledger.official_sheet("褚河街道").rows] == statements


@pytest.mark.parametrize(("unit", "week"), [("某某镇", None), ("褚河街道", 99)])
def test_a_sheet_for_an_unknown_unit_or_week_is_refused(
    ledger: Ledger, unit: str, week: int | None
) -> None:
    with pytest.raises(UnknownValueError):
        ledger.official_sheet(unit, week)


# History


def test_history_lists_every_event_with_its_operator_and_corrections(
    ledger: Ledger, operator: Operator, new_finding: NewFindingFactory, clock: SetClock
) -> None:
    finding_id = ledger.record(operator, new_finding())

    clock.set(at(6, 3))
    ledger.plan(HOUSING_OFFICER, finding_id, 1, **PLAN)

    clock.set(at(6, 4))
    ledger.correct(
        operator,
        finding_id,
        2,
        field="found_on",
        value=date(2022, 5, 31),
        reason="发现日期记错",
    )
    ledger.correct(
        HOUSING_OFFICER,
        finding_id,
        3,
        field="responsible_unit",
        value="市民政局",
        reason="分工调整",
    )

    clock.set(at(6, 5))
    ledger.withdraw(operator, finding_id, 4, reason="与他人重复")

    history = ledger.history(finding_id)
    assert [(e.version, e.kind, e.operator, e.operator_unit) for e in history] == [
        (1, "Recorded", "张三", "褚河街道"),
        (2, "RectificationPlanned", "李四", "市住建局"),
        (3, "FieldCorrected", "张三", "褚河街道"),
        (4, "FieldCorrected", "李四", "市住建局"),
        (5, "Withdrawn", "张三", "褚河街道"),
    ]
    assert [e.recorded_at for e in history] == [
        at(6, 2),
        at(6, 3),
        at(6, 4),
        at(6, 4),
        at(6, 5),
    ]
    assert [e.on for e in history] == [
        date(2022, 6, 1),
        date(2022, 6, 3),
        date(2022, 6, 4),
        date(2022, 6, 4),
        date(2022, 6, 5),
    ]
    assert history[0].details["statement"] == "马坪村刘某房屋未做安全性认定"
    assert history[1].details["deadline"] == date(2022, 6, 10)
    assert dict(history[2].details) == {
        "field": "found_on",
        "old": date(2022, 6, 1),
        "new": date(2022, 5, 31),
        "reason": "发现日期记错",
    }
    assert dict(history[3].details) == {
        "field": "responsible_unit",
        "old": "市住建局",
        "new": "市民政局",
        "reason": "分工调整",
    }
    assert history[4].details == {"reason": "与他人重复"}
    for entry in history:
        assert not {"originator_id", "timestamp", "operator"} & set(entry.details)
    assert ledger.row(finding_id).found_on == date(2022, 5, 31)


def test_the_latest_acceptance_says_who_decided_and_why(
    ledger: Ledger,
    operator: Operator,
    new_finding: NewFindingFactory,
    store: Path,
    open_again: Callable[..., Ledger],
) -> None:
    """验收意见 was recorded with each decision but kept in no state, so no
    workbook and no finding page showed why a finding was returned or closed."""
    inspector = Operator("王五", "市巩固拓展脱贫攻坚成果调研指导组")
    finding_id = ledger.record(operator, new_finding(**PLAN))
    ledger.complete(operator, finding_id, 2, on=date(2022, 6, 2), effect="已挂牌")
    ledger.fail_acceptance(inspector, finding_id, 3, on=date(2022, 6, 2), remarks="无佐证")

    returned = ledger.row(finding_id)
    assert (returned.inspector, returned.acceptance_remarks) == ("王五", "无佐证")
    (row,) = ledger.official_sheet(operator.unit).rows
    # The sheet's 验收意见 says the finding was sent back, not closed.
    assert (row.inspector, row.acceptance_remarks) == ("王五", "未通过：无佐证")

    ledger.complete(operator, finding_id, 4, on=date(2022, 6, 2), effect="补齐照片")
    assert ledger.row(finding_id).acceptance_remarks == "无佐证"  # the last word stands
    ledger.pass_acceptance(
        Operator("赵六", inspector.unit), finding_id, 5, on=date(2022, 6, 2),
        remarks="复查到位，同意销号",
    )  # fmt: skip

    closed = ledger.row(finding_id)
    assert (closed.inspector, closed.acceptance_remarks) == ("赵六", "复查到位，同意销号")
    (row,) = ledger.official_sheet(operator.unit).rows
    assert (row.inspector, row.acceptance_remarks) == ("赵六", "复查到位，同意销号")
    ledger.close()
    clear_view(store)
    assert open_again().row(finding_id) == closed


def test_the_sheet_says_whether_a_completion_met_its_deadline(
    ledger: Ledger, clock: SetClock, operator: Operator, new_finding: NewFindingFactory
) -> None:
    """Completed two days late, the finding read 是否逾期 否 in 明细 (it is no
    longer open), while the statistics counted it as not on time."""
    late = ledger.record(operator, new_finding(**PLAN))
    on_time = ledger.record(operator, new_finding(statement="饮水水压不足", **PLAN))
    clock.set(at(6, 9))
    ledger.extend_deadline(
        operator, on_time, 2, deadline=date(2022, 6, 15), reason="等材料"
    )
    clock.set(at(6, 12))
    ledger.complete(operator, late, 2, on=date(2022, 6, 12), effect="已挂牌")
    ledger.complete(operator, on_time, 3, on=date(2022, 6, 12), effect="已加压")

    first, second = ledger.official_sheet(operator.unit).rows

    assert (first.on_time, first.extensions) == (False, 0)
    assert (second.on_time, second.extensions) == (True, 1)
    # Not rectified yet: neither on time nor late.
    third = ledger.record(operator, new_finding(statement="未整改", **PLAN))
    rows = {r.statement: r for r in ledger.official_sheet(operator.unit).rows}
    assert rows["未整改"].on_time is None and ledger.row(third).extensions == 0


def test_a_unit_that_receives_the_ledgers_records_no_findings_of_its_own(
    ledger: Ledger, operator: Operator, new_finding: NewFindingFactory
) -> None:
    """With nobody registered a finding could be filed for the office or the
    team, which then showed in the office overview as a unit with findings
    and overdue ones, though they hand in no ledger."""
    from domain.errors import NotReportingUnitError

    office = ledger.campaign.units.receiving[0]
    with pytest.raises(NotReportingUnitError) as caught:
        ledger.record(operator, new_finding(reporting_unit=office))

    assert caught.value == NotReportingUnitError(office, "record")
    assert ledger.head() == 0
