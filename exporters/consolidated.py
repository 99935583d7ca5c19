"""The office's consolidated ledger: a summary, the weeks, overdue, and every unit."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from openpyxl import Workbook

from domain.dates import format_day
from domain.office import COUNTED, OfficeOverview, UnitSummary, WeekMark
from domain.progress import Cancelled, Progress, Steps
from domain.sheet import OfficialSheet, TableSheet
from exporters.final_report import NO_RESPONSIBLE, rate_text
from exporters.official import (
    _save_atomically,
    _stamp_properties,
    _write_ledger,
    _write_table,
    sheet_title,
)

Cell = int | str | date | None

SUMMARY_TITLE = "汇总"
WEEKS_TITLE = "各周报送"
# The unit its properties name: its sheets are every unit's (exporters.fingerprint).
ALL_UNITS = "全部单位"
OVERDUE_TITLE = "逾期问题"
RESPONSIBLE_TITLE = "按责任单位"
MARKS = {
    WeekMark.SUBMITTED: "已报送",
    WeekMark.MISSING: "未报送",
    WeekMark.NOT_DUE: "未到期",
    WeekMark.NOT_OWED: "不需报送",
}


def _week_cell(unit: UnitSummary, week: int, mark: WeekMark) -> str:
    """A week's mark; a submission says the day it came in (2022年6月9日报送)."""
    day = unit.handed_in.get(week)
    if mark is not WeekMark.SUBMITTED or day is None:
        return MARKS[mark]
    return f"{format_day(day)}报送"


def summary_tables(
    overview: OfficeOverview, labels: dict[str, str]
) -> list[TableSheet]:
    """Lay out the overview as the summary, week and overdue tables.

    `labels` names categories (key → ledger label) for the overdue table.
    """
    weeks = [w for w, _ in overview.units[0].weeks] if overview.units else []
    rows: list[tuple[Cell, ...]] = [
        (
            n,
            u.unit,
            u.total,
            *(u.count(s) for s in COUNTED),
            u.overdue,
            "、".join(f"第{w}周" for w in u.missing),
            f"{u.sealed_by} 签字封存" if u.sealed_by else "未封存",
        )
        for n, u in enumerate(overview.units, 1)
    ]
    rows.append(
        (
            None,
            "合计",
            overview.total,
            *(sum(u.count(s) for u in overview.units) for s in COUNTED),
            sum(u.overdue for u in overview.units),
            "",
            "",
        )
    )
    summary = TableSheet(
        title=SUMMARY_TITLE,
        headers=(
            "序号",
            "单位",
            "问题总数",
            *(str(s) for s in COUNTED),
            "已逾期",
            "应报未报",
            "终版台账",
        ),
        widths=(6, 36, 10, 10, 10, 10, 10, 10, 20, 18),
        rows=tuple(rows),
    )
    by_week = TableSheet(
        title=WEEKS_TITLE,
        headers=("单位", *(f"第{w}周" for w in weeks)),
        widths=(36, *(18 for _ in weeks)),
        rows=tuple(
            (u.unit, *(_week_cell(u, week, mark) for week, mark in u.weeks))
            for u in overview.units
        ),
    )
    overdue = TableSheet(
        title=OVERDUE_TITLE,
        headers=(
            "序号",
            "单位",
            "问题类型",
            "问题表述",
            "完成时限",
            "逾期天数",
            "责任单位",
            "状态",
        ),
        widths=(6, 24, 12, 48, 14, 10, 18, 10),
        rows=tuple(
            (
                n,
                s.reporting_unit,
                labels.get(s.category, s.category),
                s.statement,
                s.deadline,
                -(s.days_to_deadline(overview.day) or 0),
                s.responsible_unit,
                str(s.status),
            )
            for n, s in enumerate(overview.overdue, 1)
        ),
    )
    rows = [
        (
            n,
            r.unit or NO_RESPONSIBLE,
            r.tally.found,
            *(r.tally.count(s) for s in COUNTED),
            r.tally.overdue,
            rate_text(r.tally),
        )
        for n, r in enumerate(overview.by_responsible, 1)
    ]
    rows.append(
        (
            None,
            "合计",
            sum(r.tally.found for r in overview.by_responsible),
            *(sum(r.tally.count(s) for r in overview.by_responsible) for s in COUNTED),
            sum(r.tally.overdue for r in overview.by_responsible),
            "",
        )
    )
    responsible = TableSheet(
        title=RESPONSIBLE_TITLE,
        headers=("序号", "责任单位", "问题总数", *(str(s) for s in COUNTED), "已逾期", "按时完成率"),
        widths=(6, 30, 10, 10, 10, 10, 10, 10, 12),
        rows=tuple(rows),
    )
    return [summary, by_week, overdue, responsible]


def write_consolidated(
    overview: OfficeOverview,
    sheets: list[OfficialSheet],
    labels: dict[str, str],
    path: Path,
    *,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> Path:
    """Write the consolidated workbook: the summary tables, then one official
    sheet per unit named after the unit; return `path`.

    Saved like an official sheet: complete or not at all, readable by its
    owner only, with the fingerprint of the log it was built from; progress
    and a cancel as for `write_official_sheet`.
    """
    path = Path(path)
    tables = summary_tables(overview, labels)
    total = sum(len(t.rows) for t in tables) + sum(len(s.rows) for s in sheets)
    steps = Steps("export", total, progress, cancelled)
    steps.start()
    workbook = Workbook()
    first = workbook.active
    assert first is not None  # a fresh Workbook always has one sheet
    _write_table(first, tables[0], steps.step)
    first.title = tables[0].title
    for table in tables[1:]:
        _write_table(workbook.create_sheet(table.title), table, steps.step)
    used = {table.title for table in tables}
    for sheet in sheets:
        ws = workbook.create_sheet()
        _write_ledger(ws, sheet, steps.step)
        ws.title = _unique(sheet_title(sheet.unit), used)
    _stamp_properties(workbook, _stamp(overview, sheets))
    _save_atomically(workbook, path, steps.check)
    return path


def _unique(title: str, used: set[str]) -> str:
    candidate, n = title, 2
    while candidate in used:
        candidate = f"{title[:28]}({n})"
        n += 1
    used.add(candidate)
    return candidate


def _stamp(overview: OfficeOverview, sheets: list[OfficialSheet]) -> OfficialSheet:
    """What the workbook's properties carry: the log every sheet was built from."""
    base = sheets[0] if sheets else None
    return OfficialSheet(
        title=base.title if base else "整改台账汇总",
        unit=ALL_UNITS,
        report_date=overview.day,
        note="",
        rows=(),
        # A week with no unit's sheet still names the log it was read from.
        cutoff=base.cutoff if base else overview.cutoff,
        fingerprint=base.fingerprint if base else overview.fingerprint,
    )
