"""Reading and writing calendar days the way the ledger's users type them."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo

# Full-width digits and punctuation typed with a Chinese input method.
_NARROW = str.maketrans(
    {
        **{chr(0xFF10 + n): str(n) for n in range(10)},
        "\uff0f": "/",
        "\uff0d": "-",
        "\uff0e": ".",
        "\u3000": " ",
    }
)

# "6月20日前" means "by June 20": the day itself is the deadline.
_BEFORE = re.compile(r"\s*(?:之前|以前|前)$")

_FORMS = tuple(
    re.compile(pattern, re.ASCII)
    for pattern in (
        # 2022-06-20, 2022-6-20, 2022/6/20, 2022.6.20 (one separator throughout)
        r"(?P<y>\d{4})\s*(?P<sep>[-/.])\s*(?P<m>\d{1,2})\s*(?P=sep)\s*(?P<d>\d{1,2})",
        # 2022年6月20日, with or without the year; 号 is accepted for 日
        r"(?:(?P<y>\d{4})\s*年\s*)?(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]",
        # 6/20: month first, as Chinese writes it
        r"(?P<m>\d{1,2})\s*/\s*(?P<d>\d{1,2})",
        # 20220620
        r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})",
    )
)


class DayParseError(ValueError):
    """Text that is not a calendar day in any form `parse_day` accepts.

    `text` is the input exactly as given; `reason` is an English detail.
    """

    def __init__(self, text: str, reason: str) -> None:
        self.text = text
        self.reason = reason
        super().__init__(f"{reason}: {text!r}")


# A time after a day, as systems and sheets write it: 10:30, 10:30:15.5, +08:00, Z.
_TRAILING_TIME = re.compile(
    r"(?<=\d|日|号)[T\s]+(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:\.\d+)?)?"
    r"(?:Z|[+-]\d{2}:?\d{2})?$"
)


def parse_day(text: str, *, year: int) -> date:
    """Read one calendar day from `text`; `year` fills in a missing year.

    Accepted, after trimming and narrowing full-width characters:
    2022-06-20, 2022-6-20, 2022/6/20, 2022.6.20, 20220620, 2022年6月20日,
    6月20日 (日 or 号), and 6/20 (month first). Any of them may end in
    前, 之前 or 以前, which still means that day, or in a time of day, which
    is left aside. Not accepted: 6-20 and 6.20,
    because a spreadsheet number cell 6.20 comes back as "6.2" and would
    silently become June 2; month-only or two-digit-year forms; anything
    naming a day that does not exist.
    """
    cleaned = _BEFORE.sub("", text.translate(_NARROW).strip())
    if not cleaned:
        raise DayParseError(text, "no date given")
    # A day pasted with its time (2022-06-09 10:30:00+08:00) is that day; a
    # time that cannot be (25:00) says the paste is not what it seems.
    timed = _TRAILING_TIME.search(cleaned)
    if timed is not None:
        if int(timed["h"]) > 23 or int(timed["m"]) > 59 or int(timed["s"] or 0) > 59:
            raise DayParseError(text, "no such time of day")
        cleaned = cleaned[: timed.start()]

    for form in _FORMS:
        found = form.fullmatch(cleaned)
        if found is None:
            continue
        parts = found.groupdict()
        if not 1 <= int(parts["m"]) <= 12:
            raise DayParseError(text, "no such month")
        try:
            return date(
                int(parts["y"]) if parts.get("y") else year,
                int(parts["m"]),
                int(parts["d"]),
            )
        except ValueError:
            raise DayParseError(text, "no such day") from None

    raise DayParseError(text, "not a calendar day")


def format_day(day: date) -> str:
    """Write `day` as the ledger does: 2022年6月20日, without zero padding."""
    return f"{day.year}年{day.month}月{day.day}日"


def short_day(day: date, year: int) -> str:
    """Write `day` for a narrow column: 6月20日 in the campaign's year, else 2023-06-20."""
    return f"{day.month}月{day.day}日" if day.year == year else day.isoformat()


_TIME_OF_DAY = re.compile(r"^(?P<day>.+?)[\sT]+(?P<h>\d{1,2})[:：](?P<m>\d{2})$")
# A moment as logs and files give it: ISO 8601 with seconds or a zone (+08:00, Z).
_ISO_MOMENT = re.compile(
    r"^(?P<day>\d{4}-\d{2}-\d{2})[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$"
)
# A time of day in a form not taken (18点, 18时): told apart from a bad day.
_OTHER_TIME = re.compile(r"\d[\sT]*\d{1,2}\s*(?:[:：]|点|时)")


def parse_moment(text: str, *, year: int, tz: tzinfo) -> datetime:
    """Read a moment: a day with an optional time of day, local to `tz`.

    A day alone means the end of that day (midnight after it), so "6月10日"
    asks for the ledger as it stood once June 10 was over. With a time,
    `2022-06-10T18:00` or `2022-06-10 18:00`, that exact minute; an ISO time
    with seconds or a zone (`2022-06-10T10:00:30Z`) is taken as given.
    """
    cleaned = text.translate(_NARROW).strip()
    timed = _TIME_OF_DAY.match(cleaned)
    iso = _ISO_MOMENT.match(cleaned)
    try:
        if iso is not None and timed is None:
            parse_day(iso["day"], year=year)  # a bad month or day named as such
            try:
                moment = datetime.fromisoformat(cleaned)
            except ValueError:
                raise DayParseError(text, "no such time of day") from None
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=tz)
            moment = moment.astimezone(tz)
        elif timed is None and _OTHER_TIME.search(cleaned):
            raise DayParseError(text, "not a time of day")
        elif timed is None:
            day = parse_day(cleaned, year=year)
            moment = datetime.combine(day + timedelta(days=1), time(), tz)
        else:
            day = parse_day(timed["day"], year=year)
            hour, minute = int(timed["h"]), int(timed["m"])
            if hour > 23 or minute > 59:
                raise DayParseError(text, "no such time of day")
            moment = datetime.combine(day, time(hour, minute), tz)
        # Callers compare in UTC; the first and last days of the calendar cannot.
        moment.astimezone(UTC)
    except OverflowError:
        raise DayParseError(text, "out of range") from None
    return moment
