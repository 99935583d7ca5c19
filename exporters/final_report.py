"""The final summary: statistics and summary sheets beside a final ledger, and Markdown.

Every figure comes from the report's `Statistics` and `UnitCoverage`, and
every percentage from `rate_text`, so the sheets, the Markdown, the screens
and the command line cannot disagree.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from domain.coverage import Screened
from domain.dates import format_day
from domain.sheet import OfficialSheet, TableSheet
from domain.state import Status
from domain.statistics import FinalReport, Statistics, Tally
from exporters.destination import ExportError
from exporters.destination import describe as describe_os_error

STATISTICS_TITLE = "统计"
SUMMARY_TITLE = "汇总"
NOT_MARKDOWN = "the file name must end in .md"
TOTAL = "合计"
NO_RATE = "—"
# The 责任单位 of findings whose rectification no plan has named yet.
NO_RESPONSIBLE = "（未定）"

# The summary's columns, shared by the sheet and the Markdown table.
SUMMARY_HEADERS = (
    "问题类型",
    "发现问题",
    "已完成整改",
    "其中已验收销号",
    "尚未完成",
    "其中逾期",
    "按时完成",
    "应完成",
    "按时完成率",
    "排查内容已排查",
)
STATISTICS_HEADERS = (
    "问题类型",
    "问题性质",
    *(str(s) for s in Status),
    "合计（不含作废）",
    "逾期",
)

DEFINITIONS = (
    "发现问题不含已作废的问题；已完成整改含待验收和已销号；尚未完成含待整改和整改中。",
    "逾期：尚未完成，且完成时限早于统计日。",
    (
        "按时完成率 = 按时完成 ÷ 应完成。按时完成：在完成时限（有延期的按延期后的时限）"
        "当天或之前完成整改；应完成：已完成整改的加上已逾期的。"
    ),
    "排查内容已排查：登记了该项的排查情况，或在该项下登记了问题（作废的不算）。",
)


def rate_text(tally: Tally) -> str:
    """Show the on-time completion rate with one decimal, or a dash when none is due."""
    if tally.rate is None:
        return NO_RATE
    return f"{tally.rate * 100:.1f}%"


def statistics_table(stats: Statistics, names: Mapping[str, str]) -> TableSheet:
    """Lay out the counts by category × nature × status, with a total row."""
    rows: list[tuple[int | str, ...]] = [
        (names.get(r.category, r.category), r.nature, *_status_cells(r.tally))
        for r in stats.by_kind
    ]
    rows.append((TOTAL, "", *_status_cells(stats.total)))
    return TableSheet(
        title=STATISTICS_TITLE,
        headers=STATISTICS_HEADERS,
        widths=(16, 10, 8, 8, 8, 8, 8, 16, 8),
        rows=tuple(rows),
    )


def summary_table(report: FinalReport) -> TableSheet:
    """Lay out per category: found, rectified, accepted, still open, overdue, rate."""
    return TableSheet(
        title=SUMMARY_TITLE,
        headers=SUMMARY_HEADERS,
        widths=(16, 10, 12, 16, 10, 10, 10, 8, 12, 16),
        rows=tuple(tuple(row) for row in summary_rows(report)),
    )


def summary_rows(report: FinalReport) -> list[list[int | str]]:
    """One row per category and a total row, as both the sheet and Markdown show."""
    names = dict(report.categories)
    rows = []
    for row in report.statistics.by_category:
        items = report.coverage.of_category(row.category)
        screened = sum(1 for i in items if i.screened is not Screened.NOT)
        coverage = f"{screened}/{len(items)}"
        rows.append(_summary_cells(names.get(row.category, row.category), row.tally))
        rows[-1].append(coverage)
    whole = report.coverage
    rows.append(_summary_cells(TOTAL, report.statistics.total))
    rows[-1].append(f"{whole.screened}/{len(whole.items)}")
    return rows


def final_sheet(report: FinalReport) -> OfficialSheet:
    """Return the unit's final ledger with the statistics and summary sheets added."""
    names = dict(report.categories)
    extra = (statistics_table(report.statistics, names), summary_table(report))
    return dataclasses.replace(report.sheet, extra=(*report.sheet.extra, *extra))


def final_markdown(report: FinalReport) -> str:
    """Write the summary's figures as Markdown an office can paste into its 整改报告."""
    stats = report.statistics
    names = dict(report.categories)
    grid = [list(r) for r in statistics_table(stats, names).rows]
    lines = [
        f"# {report.unit}整改情况统计",
        "",
        _provenance(report),
        "",
        "## 总体情况",
        "",
        _overall(report),
        "",
        "## 分类汇总",
        "",
        *_markdown_table(SUMMARY_HEADERS, summary_rows(report)),
        "",
        "## 分类分性质统计",
        "",
        *_markdown_table(STATISTICS_HEADERS, grid),
        "",
        "## 逾期问题",
        "",
        *_overdue_lines(stats, names),
        "",
        "## 未排查的排查内容",
        "",
        *_unscreened_lines(report, names),
        "",
        "## 口径说明",
        "",
        *(f"- {d}" for d in DEFINITIONS),
        "",
    ]
    return "\n".join(lines)


def _provenance(report: FinalReport) -> str:
    text = f"{report.campaign}。数据截至 {format_day(report.statistics.day)}"
    if report.sheet.fingerprint:
        text += f"，记录指纹 {report.sheet.fingerprint}"
    text += "。"
    if report.sealed_by:
        sheet = report.sheet
        when = f"于 {format_day(sheet.sealed_on)} " if sheet.sealed_on else ""
        text += f"终版台账已由 {report.sealed_by} {when}签字封存"
        if sheet.sealed_fingerprint:
            text += f"（封存时记录指纹 {sheet.sealed_fingerprint}）"
        text += "。"
        if sheet.after_seal:
            text += (
                f"封存后该单位的问题又有 {sheet.after_seal} 条记录"
                "（验收结果、退回后的整改、验收抽查新发现的问题等），已计入本表。"
            )
    return text


def _overall(report: FinalReport) -> str:
    total = report.statistics.total
    natures = "、".join(
        f"{nature} {count} 个" for nature, count in _nature_counts(report.statistics)
    )
    if total.withdrawn:
        natures += f"；另有 {total.withdrawn} 个已作废，不计入"
    coverage = report.coverage
    return (
        f"共发现问题 {total.found} 个（{natures}）。"
        f"已完成整改 {total.rectified} 个，其中已验收销号 {total.closed} 个；"
        f"尚未完成 {total.still_open} 个，其中逾期 {total.overdue} 个。"
        f"按时完成率 {rate_text(total)}"
        f"（按时完成 {total.on_time} 个，应完成 {total.due} 个）。"
        f"{len(coverage.items)} 项排查内容已排查 {coverage.screened} 项。"
    )


def _overdue_lines(stats: Statistics, names: Mapping[str, str]) -> list[str]:
    if not stats.overdue:
        return ["无逾期问题。"]
    return _markdown_table(
        ("序号", "问题类型", "问题表述", "完成时限", "逾期天数", "责任单位"),
        [
            [
                n,
                names.get(r.category, r.category),
                r.statement,
                format_day(r.deadline),
                r.days_overdue,
                r.responsible_unit,
            ]
            for n, r in enumerate(stats.overdue, 1)
        ],
    )


def _unscreened_lines(report: FinalReport, names: Mapping[str, str]) -> list[str]:
    items = report.coverage.items
    missing = [i for i in items if i.screened is Screened.NOT]
    if not missing:
        return [f"{len(items)} 项排查内容均已排查。"]
    return [
        f"- {names.get(i.category, i.category)}第 {i.check_item} 项：{_inline(i.item)}"
        for i in missing
    ]


def markdown_path(workbook: Path) -> Path:
    """Where the Markdown summary goes by default: beside the workbook."""
    return workbook.with_suffix(".md")


def check_markdown_destination(path: Path) -> None:
    """Refuse, before any work, a Markdown file that could not be written."""
    if path.suffix.lower() != ".md":
        raise ExportError(path, NOT_MARKDOWN)
    if path.is_dir():
        raise ExportError(path, "the destination is a folder")
    try:
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as error:
        raise ExportError(path, describe_os_error(error)) from error


def write_markdown(text: str, path: Path) -> Path:
    """Write the Markdown summary as UTF-8, whole or not at all; return the path."""
    check_markdown_destination(path)
    temp: Path | None = None
    try:
        handle, name = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
        )
        temp = Path(name)
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
        temp = None
    except OSError as error:
        raise ExportError(path, describe_os_error(error)) from error
    finally:
        if temp is not None:
            with contextlib.suppress(OSError):
                temp.unlink()
    return path


def _status_cells(tally: Tally) -> tuple[int, ...]:
    return (*(tally.count(s) for s in Status), tally.found, tally.overdue)


def _summary_cells(name: str, tally: Tally) -> list[int | str]:
    return [
        name,
        tally.found,
        tally.rectified,
        tally.closed,
        tally.still_open,
        tally.overdue,
        tally.on_time,
        tally.due,
        rate_text(tally),
    ]


def _nature_counts(stats: Statistics) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for row in stats.by_kind:
        counts[row.nature] = counts.get(row.nature, 0) + row.tally.found
    return list(counts.items())


def _markdown_table(
    headers: Sequence[str], rows: Iterable[Sequence[object]]
) -> list[str]:
    """A pipe table; a column of whole numbers aligns right."""
    body = [list(row) for row in rows]
    right = [
        bool(body) and all(isinstance(row[n], int) for row in body)
        for n in range(len(headers))
    ]
    lines = ["| " + " | ".join(_cell(h) for h in headers) + " |"]
    lines.append("| " + " | ".join("---:" if r else "---" for r in right) + " |")
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in body]
    return lines


def _cell(value: object) -> str:
    return _inline(str(value)).replace("|", "\\|")


def _inline(text: str) -> str:
    """Keep operator text on one line, so it cannot break the Markdown around it."""
    return " ".join(text.split())
