"""Tests for reading and writing calendar days as ledger users type them."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from domain.dates import DayParseError, format_day, parse_day, parse_moment

JUNE_20 = date(2022, 6, 20)


@pytest.mark.parametrize(
    "text",
    [
        "2022-06-20",
        "2022-6-20",
        "2022/6/20",
        "2022/06/20",
        "2022.6.20",
        "2022年6月20日",
        "2022年06月20日",
        "2022 年 6 月 20 日",
        "2022年6月20日前",
        "2022年6月20日之前",
        "2022年6月20日以前",
        "6月20日",
        "6月20日前",
        "6月20号",
        "6/20",
        "6/20前",
        "20220620",
        "2022-06-20前",
        "  2022-06-20\t",
        "２０２２－０６－２０",
        "２０２２／６／２０",
        "２０２２．６．２０",
        "　６月２０日前　",
        "２０２２年６月２０日",
    ],
)
def test_accepted_forms(text: str) -> None:
    assert parse_day(text, year=2022) == JUNE_20


def test_year_comes_from_the_argument_only_when_missing() -> None:
    assert parse_day("6月20日", year=2023) == date(2023, 6, 20)
    assert parse_day("6/20", year=2023) == date(2023, 6, 20)
    assert parse_day("2022年6月20日", year=2023) == JUNE_20


def test_leap_day() -> None:
    assert parse_day("2月29日", year=2024) == date(2024, 2, 29)
    with pytest.raises(DayParseError):
        parse_day("2月29日", year=2022)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2022-02-30", "no such day"),
        ("6月31日", "no such day"),
        ("2022年13月1日", "no such month"),
        ("20220631", "no such day"),
        ("0/5", "no such month"),
        ("13/20", "no such month"),
        ("2022-6-0", "no such day"),
    ],
)
def test_impossible_days_are_refused(text: str, reason: str) -> None:
    with pytest.raises(DayParseError, match=reason) as caught:
        parse_day(text, year=2022)

    assert caught.value.text == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "前",
        "6-20",
        "6.20",
        "6.2",
        "2022-6/20",
        "22-6-20",
        "2022年6月",
        "6月20",
        "6月",
        "2022620",
        "202206201",
        "2022-06-20 8点",
        "六月二十日",
        "下周",
        "尽快",
        "长期坚持",
        "2022-06-20后",
        "٢٠٢٢-٠٦-٢٠",
    ],
)
def test_other_text_is_refused(text: str) -> None:
    with pytest.raises(DayParseError) as caught:
        parse_day(text, year=2022)

    assert caught.value.text == text
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (JUNE_20, "2022年6月20日"),
        (date(2022, 6, 1), "2022年6月1日"),
        (date(2022, 12, 31), "2022年12月31日"),
    ],
)
def test_format_day(day: date, text: str) -> None:
    assert format_day(day) == text
    assert parse_day(text, year=1999) == day


SHANGHAI_TZ = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2022-06-10T18:00", datetime(2022, 6, 10, 18, 0, tzinfo=SHANGHAI_TZ)),
        ("2022-06-10 18:00", datetime(2022, 6, 10, 18, 0, tzinfo=SHANGHAI_TZ)),
        ("6月10日 8：05", datetime(2022, 6, 10, 8, 5, tzinfo=SHANGHAI_TZ)),
        ("2022-06-10", datetime(2022, 6, 11, 0, 0, tzinfo=SHANGHAI_TZ)),
        ("6月10日", datetime(2022, 6, 11, 0, 0, tzinfo=SHANGHAI_TZ)),
    ],
)
def test_a_moment_is_a_day_with_an_optional_time(text: str, expected: datetime) -> None:
    assert parse_moment(text, year=2022, tz=SHANGHAI_TZ) == expected


@pytest.mark.parametrize("text", ["2022-06-10 24:00", "2022-06-10 18:60", "明天", ""])
def test_a_moment_that_is_not_one_is_refused(text: str) -> None:
    with pytest.raises(DayParseError):
        parse_moment(text, year=2022, tz=SHANGHAI_TZ)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2022-06-10T18:00+08:00", datetime(2022, 6, 10, 18, 0, tzinfo=SHANGHAI_TZ)),
        ("2022-06-10 18:00:30", datetime(2022, 6, 10, 18, 0, 30, tzinfo=SHANGHAI_TZ)),
        ("2022-06-10T10:00Z", datetime(2022, 6, 10, 18, 0, tzinfo=SHANGHAI_TZ)),
        ("2022-06-10T18:00:30.5+08:00", datetime(2022, 6, 10, 18, 0, 30, 500000, tzinfo=SHANGHAI_TZ)),
    ],
)
def test_a_moment_copied_with_seconds_or_a_zone_is_taken(text: str, expected: datetime) -> None:
    """An auditor pastes a recording time as a log or a file gives it: with seconds,
    and with +08:00 or Z. Both were refused; a zone given is honoured."""
    moment = parse_moment(text, year=2022, tz=SHANGHAI_TZ)
    assert moment == expected
    assert moment.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("text", ["6月10日 18点", "2022-06-10 18时"])
def test_a_time_the_form_does_not_take_is_named_as_a_time(text: str) -> None:
    """A time written in words is not a day: the refusal says how to write the time."""
    with pytest.raises(DayParseError) as refused:
        parse_moment(text, year=2022, tz=SHANGHAI_TZ)
    assert refused.value.reason == "not a time of day"


@pytest.mark.parametrize(
    "text",
    [
        "2022-06-09 10:30",
        "2022-06-09 10:30:15",
        "2022-06-09T10:30:00+08:00",
        "2022/6/9 00:00:00",
        "2022年6月9日 8:05",
    ],
)
def test_a_day_written_with_a_time_is_that_day(text: str) -> None:
    """A date pasted from a system or a sheet with its time was 不是有效日期."""
    assert parse_day(text, year=2022) == date(2022, 6, 9)


@pytest.mark.parametrize("text", ["2022-06-10 25:00", "2022-06-05 99:99", "2022-06-05 10:30:61"])
def test_a_day_with_a_time_that_cannot_be_is_refused(text: str) -> None:
    """2022-06-10 25:00 in 发现日期 was saved as June 10 without a word."""
    with pytest.raises(DayParseError) as refused:
        parse_day(text, year=2022)
    assert refused.value.reason == "no such time of day"
