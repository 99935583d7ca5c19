"""Every refusal the domain can raise has its own Chinese sentence."""

from __future__ import annotations

import dataclasses
import inspect
import itertools
import re
import typing
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from domain import errors
from domain.state import CORRECTABLE_FIELDS, Status
from tui.wording import explain, field_name, is_refusal

FALLBACK = "操作失败"
CJK = re.compile(r"[\u4e00-\u9fff]")


def concrete_errors() -> list[type[errors.LedgerError]]:
    """Every LedgerError subclass defined in domain.errors, found by introspection."""
    return [
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, errors.LedgerError)
        and cls is not errors.LedgerError
        and cls.__module__ == errors.__name__
    ]


SAMPLES: dict[Any, Any] = {
    str: "health",
    int: 3,
    int | None: 7,
    date: date(2022, 6, 20),
    date | None: date(2022, 6, 1),
    bool: True,
    tuple[int, ...]: (2, 3),
    datetime: datetime(2022, 6, 20, 9, 30),
    list[str]: ["finance"],
    tuple[str, ...]: ("入户核实",),
    list[tuple[str, int]]: [("water", 5)],
    tuple[tuple[str, str], ...]: (("6fe7a896", "张三"),),
    tuple[tuple[str, Any, Any], ...]: (
        ("deadline", date(2022, 6, 25), date(2022, 6, 10)),
    ),
    Path: Path("taizhang.key"),
}


def instance(cls: type[errors.LedgerError], text: str = "health") -> errors.LedgerError:
    """Build an error with a plausible value for each of its fields."""
    hints = typing.get_type_hints(cls)
    values = {
        f.name: text if hints[f.name] is str else SAMPLES[hints[f.name]]
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
    }
    return cls(**values)


def test_errors_are_discovered() -> None:
    found = concrete_errors()

    assert errors.ConcurrentChangeError in found
    assert errors.UnknownValueError in found
    assert len(found) >= 17


@pytest.mark.parametrize("cls", concrete_errors(), ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("text", ["health", ""])
def test_every_domain_error_has_its_own_chinese_sentence(
    cls: type[errors.LedgerError], text: str
) -> None:
    error = instance(cls, text)

    sentence = explain(error)

    assert not sentence.startswith(FALLBACK), sentence
    assert CJK.search(sentence), sentence
    assert is_refusal(error)


def test_the_fallback_is_what_the_other_tests_rule_out() -> None:
    sentence = explain(RuntimeError("boom"))

    assert sentence.startswith(FALLBACK)
    assert not is_refusal(RuntimeError("boom"))


def test_a_sentence_names_the_values_involved() -> None:
    late = errors.DeadlineNotLaterError(date(2022, 6, 10), date(2022, 6, 20))
    status = errors.WrongStatusError("x", Status.PENDING, Status.AWAITING_ACCEPTANCE)
    unknown = errors.UnknownValueError("category", "交通保障")

    assert "2022年6月10日" in explain(late) and "2022年6月20日" in explain(late)
    assert "待整改" in explain(status) and "待验收" in explain(status)
    assert "问题类型" in explain(unknown) and "交通保障" in explain(unknown)


def test_a_day_too_early_names_the_day_it_was_compared_with() -> None:
    accepted = errors.DateTooEarlyError(
        "accepted_on", date(2022, 6, 2), date(2022, 6, 3), "completed_on"
    )
    progress = errors.DateTooEarlyError("progress_on", date(2022, 5, 30), date(2022, 6, 1))

    assert "早于完成日期 2022年6月3日" in explain(accepted)
    assert "早于发现日期 2022年6月1日" in explain(progress)
    # A found day an import worked out (the sheet gave none) may be what is
    # wrong: the clerk is told it can be corrected, not only to check.
    assert "更正发现日期" in explain(progress) and "更正" not in explain(accepted)


@pytest.mark.parametrize("field", CORRECTABLE_FIELDS)
def test_every_correctable_field_has_a_chinese_name(field: str) -> None:
    assert CJK.search(field_name(field)), field


@pytest.mark.parametrize("act", ["record", "change", "submit", "seal"])
def test_a_refusal_for_the_office_on_its_own_unit_does_not_blame_the_unit(act: str) -> None:
    """王主任 of the office was told unit operators may act only on their own unit."""
    office = "市巩固拓展脱贫攻坚成果领导小组办公室"
    refusal = errors.NotPermittedError("王主任", "办公室", office, act, office)

    text = explain(refusal)

    assert "只能" not in text and "由本单位的单位操作员" in text, text


def test_folded_chinese_starts_no_line_with_closing_punctuation_nor_splits_a_number() -> None:
    """The finding page's history read "…验收资料" / "，3个工作日内…" and
    "完成时限：2" / "022年7月31日": lines began with ， and ；, numbers broke."""
    from rich.cells import cell_len

    from tui.wording import fold_lines

    text = (
        "整改措施：补齐竣工验收资料，3个工作日内完成审批，通过一卡通发放到户；"
        "完成时限：2022年7月31日；责任单位：市住建局；责任领导：陈国华"
    )
    for width in range(12, 40):
        lines = fold_lines(text, width)
        assert "".join(lines) == text, (width, lines)
        assert all(cell_len(line) <= width for line in lines), (width, lines)
        assert not any(line[0] in "，。、；：）" for line in lines), (width, lines)
        assert not any(line[-1] in "（“" for line in lines), (width, lines)
        assert not any(
            a[-1].isdigit() and b[0].isdigit() for a, b in itertools.pairwise(lines)
        ), (width, lines)
    # A word longer than the width is cut where it must be.
    assert fold_lines("编号6fe7a8966fe7a8966fe7a896", 10) == [
        "编号", "6fe7a8966f", "e7a8966fe7", "a896",
    ]  # fmt: skip


def test_a_day_after_today_is_refused_as_not_yet_come() -> None:
    """It said 不能预填 ("cannot pre-fill"), which is not what was tried."""
    said = explain(errors.DateInFutureError("found_on", date(2022, 6, 20), date(2022, 6, 2)))

    assert said == "“发现日期” 2022年6月20日 晚于今天（2022年6月2日），这一天还没有到，不能填写。"


def test_a_seal_refused_for_open_work_says_what_it_would_lock_and_what_not() -> None:
    """It said only acceptance could follow the seal, while rework of a
    finding acceptance sends back, and spot-check findings, still can."""
    said = explain(errors.SealLeavesWorkError("褚河街道", 0, 2, ()))

    assert said.endswith(
        "；封存后这 2 个问题不能再记录整改进展或完成，只能记录验收结果（验收未通过退回的可再整改）。"
    ), said


def test_a_bundle_conflict_names_both_ways_it_comes_about() -> None:
    """A record rewritten in the unit's file after it was imported was put
    down only to both sides having done the step."""
    said = explain(errors.BundleConflictError("1a2b3c4d", 3))
    assert "两处分别办理过" in said and "被改写过" in said
