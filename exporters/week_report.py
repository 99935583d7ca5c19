"""A week's official sheet with its late reports and its change from the week before."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date
from typing import Any

from domain.ledger import WeekView
from domain.sheet import OfficialSheet, TableSheet

Cell = int | str | date | None

LATE_KINDS = {"finding": "迟报/漏报的问题", "step": "迟报的整改步骤"}


def _cell(value: Any) -> Cell:
    if value is None or isinstance(value, (int, str, date)):
        return value
    return str(value)


# The tables a week's sheet exported with its differences adds.
LATE_TITLE = "迟报漏报"
DIFFERENCES_TITLE = "与上周比较"


def with_differences(
    sheet: OfficialSheet, view: WeekView, field_names: Mapping[str, str]
) -> OfficialSheet:
    """Add the late-report and week-change tables to a week's official sheet."""
    late = TableSheet(
        title=LATE_TITLE,
        headers=("序号", "情形", "问题表述", "按时上报时", "现在所知"),
        widths=(6, 16, 40, 20, 20),
        rows=tuple(
            (n, LATE_KINDS[e.kind], e.statement, e.reported, e.known)
            for n, e in enumerate(view.late, 1)
        ),
    )
    changes: list[tuple[Cell, ...]] = []
    for kind, states in (
        ("新增", view.diff.new),
        ("销号", view.diff.closed),
        ("新逾期", view.diff.slipped),
    ):
        changes += [(kind, s.statement, "", "", "") for s in states]
    for state, fields in view.diff.changed:
        changes += [
            (
                "变更",
                state.statement,
                field_names.get(c.field, c.field),
                _cell(c.before),
                _cell(c.after),
            )
            for c in fields
        ]
    compared = TableSheet(
        title=DIFFERENCES_TITLE,
        headers=("变化", "问题表述", "字段", "上周", "本周"),
        widths=(10, 40, 14, 20, 20),
        rows=tuple(changes),
    )
    return dataclasses.replace(sheet, extra=(*sheet.extra, late, compared))
