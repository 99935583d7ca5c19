"""Campaign definitions: the TOML file that says what a campaign is, and its calendar."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time, timedelta
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, Any, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError


def _default_resource() -> Traversable:
    return files("domain").joinpath("campaigns").joinpath("yuzhou-2022.toml")


DEFAULT_CAMPAIGN_FILE = Path(str(_default_resource()))
"""Path of the shipped default definition (real when the package is unpacked)."""

_RULE_ERROR = "campaign_rule"

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class CampaignError(Exception):
    """A campaign definition file could not be read or is not a valid campaign.

    `field` is the dotted location of the first problem inside the file, with
    zero-based list indexes as pydantic counts them ("categories.2.lead_units"),
    or "" when the file as a whole is at fault (missing, unreadable, bad TOML).
    `problem` is the English detail; `line` is set for TOML syntax errors.
    `problems` lists every (field, problem) pair found, first one included.
    """

    def __init__(
        self,
        path: Path,
        field: str,
        problem: str,
        *,
        line: int | None = None,
        problems: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.path = path
        self.field = field
        self.problem = problem
        self.line = line
        self.problems = list(problems) or [(field, problem)]
        where = f"{path}: {field}" if field else str(path)
        super().__init__(f"{where}: {problem}")


def _rule_broken(field: str, message: str, **values: object) -> PydanticCustomError:
    """Build a validation error that remembers where in the model it belongs.

    A model validator can only fail as a whole; `field` (dotted, relative to
    the model being validated) travels in the error context so that
    `load_campaign` can report the precise location.
    """
    return PydanticCustomError(_RULE_ERROR, message, {"field": field, **values})


def _first_repeat(texts: Iterable[str]) -> str | None:
    seen: set[str] = set()
    for text in texts:
        if text in seen:
            return text
        seen.add(text)
    return None


class _Definition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Phase(_Definition):
    """One stage of the campaign, with its own dates and an optional due note."""

    name: Text
    start: date
    end: date
    due: str = ""

    @model_validator(mode="after")
    def _check_dates(self) -> Self:
        if self.end < self.start:
            raise _rule_broken(
                "end",
                "phase ends ({end}) before it starts ({start})",
                start=self.start.isoformat(),
                end=self.end.isoformat(),
            )
        return self


class WeekRule(_Definition):
    """How report weeks are counted.

    `campaign` weeks are seven-day blocks starting on `first_day`; `iso` weeks
    run Monday to Sunday and the ISO week holding `first_day` is week 1.
    """

    kind: Literal["campaign", "iso"] = "campaign"
    first_day: date


class Category(_Definition):
    """A problem type (问题类型) with its numbered check items and lead units.

    `name` is the section name in the campaign plan; `label` is the value the
    official ledger writes in its 问题类型 column.
    """

    key: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    name: Text
    label: Text
    items: Annotated[list[Text], Field(min_length=1)]
    lead_units: Annotated[list[Text], Field(min_length=1)]

    @model_validator(mode="after")
    def _check_repeats(self) -> Self:
        for field in ("items", "lead_units"):
            repeat = _first_repeat(getattr(self, field))
            if repeat is not None:
                raise _rule_broken(field, "'{text}' is listed twice", text=repeat)
        return self


class Units(_Definition):
    """The units taking part: townships and streets, then municipal departments.

    `receiving` names the departments that take in the weekly reports (the
    office, the inspection team) rather than owing them.
    """

    townships: list[Text]
    departments: Annotated[list[Text], Field(min_length=1)]
    receiving: list[Text] = []

    @model_validator(mode="after")
    def _check_repeats(self) -> Self:
        for field in ("townships", "departments", "receiving"):
            repeat = _first_repeat(getattr(self, field))
            if repeat is not None:
                raise _rule_broken(field, "'{text}' is listed twice", text=repeat)
        for unit in self.receiving:
            if unit not in self.departments:
                raise _rule_broken(
                    "receiving",
                    "receiving unit '{unit}' is not listed in units.departments",
                    unit=unit,
                )
        return self


class Campaign(_Definition):
    """A whole campaign as its definition file describes it.

    Build one with `load_campaign`; the model validates every cross-reference
    (lead units are departments, phases follow each other, week 1 falls
    inside the campaign) so that the rest of the program can rely on them.
    """

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")]
    name: Text
    ledger_title: Text
    note: str
    year: Annotated[int, Field(ge=1, le=9999)]
    timezone: Text
    phases: Annotated[list[Phase], Field(min_length=1)]
    weeks: WeekRule
    natures: Annotated[list[Text], Field(min_length=1)]
    sources: Annotated[list[Text], Field(min_length=1)]
    household_kinds: Annotated[list[Text], Field(min_length=1)]
    categories: Annotated[list[Category], Field(min_length=1)]
    units: Units

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise PydanticCustomError(
                "unknown_timezone", "unknown time zone '{zone}'", {"zone": value}
            ) from None
        return value

    @model_validator(mode="after")
    def _check_phases(self) -> Self:
        names: set[str] = set()
        for index, phase in enumerate(self.phases):
            if phase.name in names:
                raise _rule_broken(
                    f"phases.{index}.name",
                    "phase '{name}' is listed twice",
                    name=phase.name,
                )
            names.add(phase.name)
            if index and phase.start < self.phases[index - 1].end:
                raise _rule_broken(
                    f"phases.{index}.start",
                    "phase starts ({start}) before the previous phase ends ({end})",
                    start=phase.start.isoformat(),
                    end=self.phases[index - 1].end.isoformat(),
                )

        if not self.first_day <= self.weeks.first_day <= self.last_day:
            raise _rule_broken(
                "weeks.first_day",
                "week 1 starts on {day}, outside the campaign ({first} to {last})",
                day=self.weeks.first_day.isoformat(),
                first=self.first_day.isoformat(),
                last=self.last_day.isoformat(),
            )
        return self

    @model_validator(mode="after")
    def _check_lists(self) -> Self:
        for field in ("natures", "sources", "household_kinds"):
            repeat = _first_repeat(getattr(self, field))
            if repeat is not None:
                raise _rule_broken(field, "'{text}' is listed twice", text=repeat)
        return self

    @model_validator(mode="after")
    def _check_categories(self) -> Self:
        # Keys, names and labels share one namespace because `category()`
        # resolves any of them; a text may only name one category.
        owner: dict[str, int] = {}
        for index, category in enumerate(self.categories):
            for field in ("key", "name", "label"):
                text = getattr(category, field)
                if owner.setdefault(text, index) != index:
                    raise _rule_broken(
                        f"categories.{index}.{field}",
                        "'{text}' already names category {other}",
                        text=text,
                        other=owner[text],
                    )

        departments = set(self.units.departments)
        for index, category in enumerate(self.categories):
            for unit in category.lead_units:
                if unit not in departments:
                    raise _rule_broken(
                        f"categories.{index}.lead_units",
                        "lead unit '{unit}' is not listed in units.departments",
                        unit=unit,
                    )
        return self

    def category(self, text: str) -> Category:
        """Return the category whose key, name or ledger label is `text`."""
        wanted = text.strip()
        for category in self.categories:
            if wanted in (category.key, category.name, category.label):
                return category
        raise KeyError(text)

    def nature(self, text: str) -> str:
        """Return the full problem nature for `text`, which may drop the 问题 suffix."""
        wanted = text.strip()
        for nature in self.natures:
            if wanted == nature or (wanted and wanted == nature.removesuffix("问题")):
                return nature
        raise KeyError(text)

    @property
    def all_units(self) -> list[str]:
        """Townships and streets first, then departments, each once."""
        return list(dict.fromkeys([*self.units.townships, *self.units.departments]))

    @property
    def reporting_units(self) -> list[str]:
        """The units that owe a ledger each report week: all but the receiving ones."""
        receiving = set(self.units.receiving)
        return [unit for unit in self.all_units if unit not in receiving]

    @property
    def responsible_units(self) -> list[str]:
        """Every lead unit, in category order, each once."""
        return list(
            dict.fromkeys(unit for c in self.categories for unit in c.lead_units)
        )

    @property
    def first_day(self) -> date:
        """The first day of the first phase."""
        return self.phases[0].start

    @property
    def last_day(self) -> date:
        """The last day of the last phase."""
        return self.phases[-1].end

    @property
    def tz(self) -> ZoneInfo:
        """The campaign's time zone, in which business dates are counted."""
        return ZoneInfo(self.timezone)

    @property
    def report_weeks(self) -> list[int]:
        """Weeks 1 up to the week holding the campaign's last day."""
        return list(range(1, self.week_of(self.last_day) + 1))

    @property
    def owed_weeks(self) -> list[int]:
        """The report weeks each unit owes a weekly ledger for: those that begin
        in the phase week 1 begins in (排查整改). A later phase's week (总结验收)
        is reported by the sealed final ledger instead."""
        phase = self.phase_on(self.weeks.first_day)
        if phase is None:
            return self.report_weeks
        return [w for w in self.report_weeks if self.week_days(w)[0] <= phase.end]

    def _week_one(self) -> date:
        first = self.weeks.first_day
        if self.weeks.kind == "iso":
            return first - timedelta(days=first.weekday())
        return first

    def week_of(self, day: date) -> int:
        """Return the report week holding `day`; 0 or less before week 1."""
        return (day - self._week_one()).days // 7 + 1

    def week_days(self, week: int) -> tuple[date, date]:
        """Return the first and last calendar day of report week `week`."""
        start = self._week_one() + timedelta(weeks=week - 1)
        return start, start + timedelta(days=6)

    def week_cutoff(self, week: int) -> datetime:
        """Return the moment week `week` closes: local midnight after its last day.

        The result is timezone-aware in the campaign's zone, so it compares
        directly with UTC transaction times.
        """
        after = self.week_days(week)[1] + timedelta(days=1)
        return datetime.combine(after, time(), tzinfo=self.tz)

    def phase_on(self, day: date) -> Phase | None:
        """Return the phase running on `day` (the later one on a shared day)."""
        running = [p for p in self.phases if p.start <= day <= p.end]
        return running[-1] if running else None


def _dotted(parts: Iterable[str | int]) -> str:
    return ".".join(str(part) for part in parts)


def _locate(error: Any) -> tuple[str, str]:
    """Turn one pydantic error dict into a (dotted field, problem) pair."""
    parts: list[str | int] = list(error["loc"])
    context = error.get("ctx") or {}
    if error["type"] == _RULE_ERROR and context.get("field"):
        parts.extend(str(context["field"]).split("."))
    return _dotted(parts), str(error["msg"])


_TOML_LINE = re.compile(r"\(at line (\d+), column \d+\)")


def _read_text(path: Path, read: Callable[[], bytes]) -> str:
    try:
        raw = read()
    except FileNotFoundError:
        raise CampaignError(path, "", "file not found") from None
    except OSError as exc:
        raise CampaignError(path, "", f"cannot read the file: {exc}") from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CampaignError(
            path, "", f"not UTF-8 text (bad byte at offset {exc.start})"
        ) from exc


def load_campaign(path: Path | str | None = None) -> Campaign:
    """Read and validate a campaign definition file.

    With no path, the shipped default campaign is loaded from the package
    resources. Every failure, including a missing file, becomes a
    `CampaignError` naming the file and the location of the problem.
    """
    if path is None:
        resource = _default_resource()
        shown = Path(str(resource))
        text = _read_text(shown, resource.read_bytes)
    else:
        shown = Path(path)
        text = _read_text(shown, shown.read_bytes)

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_LINE.search(str(exc))
        line = int(found.group(1)) if found else None
        raise CampaignError(shown, "", str(exc), line=line) from exc

    try:
        return Campaign.model_validate(data)
    except ValidationError as exc:
        problems = [_locate(error) for error in exc.errors(include_url=False)]
        field, problem = problems[0]
        raise CampaignError(shown, field, problem, problems=problems) from exc
