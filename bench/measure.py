"""The measures of issue 8, each with the baseline it is compared with.

Every function takes a generated store (bench.generate) and returns plain
figures: seconds, or KiB for memory, and whatever helps read them. Opening,
page-down and recording run in a child process (bench.child).
"""

from __future__ import annotations

import gc
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bench import bare
from domain.campaign import Campaign
from domain.clock import SetClock
from domain.ledger import Ledger, open_ledger
from domain.sheet import OfficialSheet, TableSheet
from exporters.official import on_time_text

# The repository's root: the child processes import the app from here.
ROOT = Path(__file__).resolve().parents[1]

# Sheet layout the baselines copy from exporters/official.py: widths and the
# columns aligned left (0-based).
LEDGER_HEADERS = ("序号", "问题类型", "问题性质", "问题表述", "整改措施", "完成时限", "责任单位")
LEDGER_WIDTHS = (6, 14, 10, 40, 40, 16, 16)
LEDGER_LEFT = frozenset({3, 4})
LEDGER_DATES = frozenset({5})
DETAIL_HEADERS = (
    "序号", "填报单位", "问题类型", "排查内容", "问题性质", "问题表述", "产生原因及分析",
    "整改措施", "完成时限", "责任单位", "责任领导", "最新进展", "状态", "完成日期",
    "是否逾期", "发现日期", "整改成效", "验收日期", "村（社区）", "户主", "户类型", "问题来源",
    "验收人", "验收意见", "按时完成", "延期次数",
)  # fmt: skip
DETAIL_WIDTHS = (
    6, 14, 14, 30, 10, 40, 30, 40, 16, 16, 12, 30, 10, 16, 10, 16, 30, 16, 14, 10, 12, 12,
    10, 30, 10, 10,
)  # fmt: skip
DETAIL_LEFT = frozenset({3, 5, 6, 7, 11, 16, 23})
DETAIL_DATES = frozenset({8, 13, 15, 17})

# Fewest runs of the weekly sheet and its baseline, at any size.
WEEK_RUNS = 5

# How long a child process may take to show the ledger before the run fails.
CHILD_TIMEOUT = 900.0


@dataclass
class Timing:
    """A median over runs; `runs` keeps every run, `extra` what explains it."""

    seconds: float
    runs: list[float]
    extra: dict[str, Any] = field(default_factory=dict)


def timed(action: Callable[[], Any], runs: int) -> Timing:
    """Run action `runs` times; return the median wall time."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return Timing(statistics.median(times), times)


def paired(
    action: Callable[[], Any], baseline: Callable[[], Any], runs: int
) -> tuple[Timing, Timing]:
    """Time an action and its baseline turn about, `runs` times each.

    A slow spell of a shared machine then weighs on both alike, rather
    than on whichever ran through it.
    """
    mine: list[float] = []
    theirs: list[float] = []
    for _ in range(runs):
        for run, times in ((action, mine), (baseline, theirs)):
            started = time.perf_counter()
            run()
            times.append(time.perf_counter() - started)
    return (
        Timing(statistics.median(mine), mine),
        Timing(statistics.median(theirs), theirs),
    )


# Rebuild


def read_model_tables(store: Path, own: set[str]) -> list[str]:
    """Find every table in the store file that the event store does not own."""
    with _connect(store) as db:
        names = [
            name
            for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite%' ORDER BY name"
            )
        ]
    return [name for name in names if name not in own]


def drop_tables(store: Path, tables: list[str]) -> None:
    """Drop tables with their indexes; the next opening creates them as new.

    Emptying them would not do: the library keeps a marker row in its
    tracking table, and an empty one reads as a store to migrate.
    """
    with _connect(store) as db:
        for table in tables:
            db.execute(f'DROP TABLE "{table}"')
        db.commit()


@contextmanager
def _connect(store: Path) -> Iterator[sqlite3.Connection]:
    db = sqlite3.connect(store)
    try:
        yield db
    finally:
        db.close()


def rebuild(
    store: Path, own: set[str], campaign: Campaign, moment: datetime, runs: int
) -> Timing:
    """Time an opening that rebuilds every read model from the events.

    Every table outside `own`, the event store's and its chain's tables
    (bench.generate.store_tables), is dropped first.
    """
    tables = read_model_tables(store, own)
    times = []
    folded = head = 0
    for _ in range(runs):
        drop_tables(store, tables)
        started = time.perf_counter()
        ledger = open_ledger(campaign, store, SetClock(moment))
        times.append(time.perf_counter() - started)
        head = ledger.head()
        folded = ledger.projection.view.max_tracking_id(ledger.name) or 0
        ledger.close()
        if folded != head:
            raise AssertionError(f"rebuilt view at {folded}, log at {head}")
    return Timing(statistics.median(times), times, {"tables": tables, "events": head})


def read_events(store: Path, table: str, runs: int) -> Timing:
    """The rebuild's baseline: select every stored event and decode its JSON."""

    def read() -> None:
        with _connect(store) as db:
            for (state,) in db.execute(f"SELECT state FROM {table} ORDER BY rowid"):
                json.loads(state)

    return timed(read, runs)


def decode_events(ledger: Ledger, runs: int) -> Timing:
    """The least a rebuild can cost: every event read and decoded through the library.

    The batches a refold reads (`Ledger._event_batches`: the library's
    recorder and mapper, the events' custom types and classes), with nothing
    folded or written; compared with the rebuild's baseline it shows how
    much of that target the library alone takes.
    """

    def read() -> None:
        for _ in ledger._event_batches(5000):
            pass

    collecting = gc.isenabled()
    gc.disable()  # as in a refold (domain.view), so the two compare like for like
    try:
        return timed(read, runs)
    finally:
        if collecting:
            gc.enable()


# History


def history(ledger: Ledger, week: int, runs: int) -> tuple[Timing, Timing]:
    """Time the ledger as of a week's cut-off, and the current ledger."""
    cutoff = ledger.week_cutoff(week)
    shown: dict[str, int] = {}

    def then() -> None:
        shown["past"] = len(ledger.rows_as_of(cutoff))

    def now() -> None:
        shown["now"] = len(ledger.rows())

    past = timed(then, runs)
    current = timed(now, runs)
    past.extra.update(week=week, rows=shown["past"], current_rows=shown["now"])
    return past, current


# Export


def export_week(
    ledger: Ledger, unit: str, week: int, folder: Path, runs: int
) -> tuple[Timing, Timing]:
    """Time one unit's weekly sheet as the app exports it, and the bare writer.

    At least WEEK_RUNS runs each: the sheet takes a fraction of a second,
    where a shared machine's hiccup would otherwise decide the ratio.
    """
    from exporters.official import write_official_sheet

    sheet = ledger.official_sheet(unit, week)
    cells: list[bare.Form | bare.Table] = [week_form(sheet, "整改台账"), detail_table(sheet)]
    builds: list[float] = []

    def export() -> None:
        started = time.perf_counter()
        built = ledger.official_sheet(unit, week)
        builds.append(time.perf_counter() - started)
        write_official_sheet(built, folder / "week.xlsx")

    project, baseline = paired(
        export,
        lambda: bare.write_workbook(cells, folder / "week-bare.xlsx"),
        max(runs, WEEK_RUNS),
    )
    project.extra.update(build=statistics.median(builds), rows=len(sheet.rows))
    return project, baseline


def export_ledger(ledger: Ledger, folder: Path, runs: int) -> tuple[Timing, Timing, Path]:
    """Time the office's consolidated ledger of every finding, and the bare writer.

    Returns the exported file too: the opening's baseline loads it.
    """
    from exporters.consolidated import summary_tables, write_consolidated

    path = folder / "ledger.xlsx"
    labels = {c.key: c.label for c in ledger.campaign.categories}
    overview, sheets = ledger.consolidated()
    cells: list[bare.Form | bare.Table] = [
        _plain_table(t) for t in summary_tables(overview, labels)
    ]
    cells += [week_form(s, s.unit[:31]) for s in sheets]
    rows = sum(len(s.rows) for s in sheets)
    del overview, sheets
    builds: list[float] = []

    def export() -> None:
        started = time.perf_counter()
        built = ledger.consolidated()
        builds.append(time.perf_counter() - started)
        write_consolidated(*built, labels, path)

    project, baseline = paired(
        export, lambda: bare.write_workbook(cells, folder / "ledger-bare.xlsx"), runs
    )
    project.extra.update(build=statistics.median(builds), rows=rows)
    return project, baseline, path


def week_form(sheet: OfficialSheet, sheet_title: str) -> bare.Form:
    """The official form's cells, as exporters/official.py lays them out."""
    day = sheet.report_date
    return bare.Form(
        sheet_title=sheet_title,
        title=sheet.title,
        unit_line=f"单位（盖章）：{sheet.unit}",
        date_line=f"{day.year} 年 {day.month} 月 {day.day} 日",
        table=bare.Table(
            title="整改台账",
            headers=LEDGER_HEADERS,
            widths=LEDGER_WIDTHS,
            rows=[
                (
                    r.number,
                    r.category_label,
                    r.nature,
                    r.statement,
                    r.measures,
                    r.deadline,
                    r.responsible_unit,
                )
                for r in sheet.rows
            ],
            left=LEDGER_LEFT,
            dates=LEDGER_DATES,
        ),
        note=sheet.note,
    )


def detail_table(sheet: OfficialSheet) -> bare.Table:
    return bare.Table(
        title="明细",
        headers=DETAIL_HEADERS,
        widths=DETAIL_WIDTHS,
        rows=[
            (
                r.number,
                r.reporting_unit,
                r.category_label,
                r.check_item,
                r.nature,
                r.statement,
                r.cause,
                r.measures,
                r.deadline,
                r.responsible_unit,
                r.responsible_leader,
                r.latest_progress,
                r.status,
                r.completed_on,
                "是" if r.overdue else "否",
                r.found_on,
                r.effect,
                r.accepted_on,
                r.village,
                r.household_head,
                r.household_kind,
                r.source,
                r.inspector,
                r.acceptance_remarks,
                on_time_text(r.on_time),
                r.extensions or None,
            )
            for r in sheet.rows
        ],
        left=DETAIL_LEFT,
        dates=DETAIL_DATES,
    )


def _plain_table(table: TableSheet) -> bare.Table:
    return bare.Table(
        title=table.title,
        headers=table.headers,
        widths=table.widths,
        rows=table.rows,
        left=frozenset(i for i, w in enumerate(table.widths) if w > 16),
    )


# Open and memory


@dataclass
class Opening:
    """What a child reported: seconds from its start to READY, and its peak memory.

    An app child that went on in the same session adds its page-down and
    recording times (wall, CPU) and the rows its table showed.
    """

    seconds: float
    peak_kib: int
    scroll: list[tuple[float, float]] = field(default_factory=list)
    record: list[tuple[float, float]] = field(default_factory=list)
    rows: int = 0


def run_child(args: list[str]) -> Opening:
    """Start `python -m bench.child ARGS`; time it from just before the start to READY."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p
    )
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-m", "bench.child", *args],
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            cwd=ROOT,
            env=env,
        )
        assert child.stdout is not None
        ready = child.stdout.readline()
        elapsed = time.perf_counter() - started
        rest = child.stdout.read().splitlines()
        child.wait(timeout=CHILD_TIMEOUT)
        if not ready.startswith("READY") or child.returncode:
            errors.seek(0)
            tail = errors.read().decode(errors="replace")[-3000:]
            raise RuntimeError(f"bench.child {args[0]} failed:\n{tail}")
    opening = Opening(elapsed, int(ready.split()[1]))
    for line in rest:
        kind, *values = line.split()
        if kind == "SCROLL":
            opening.scroll.append((float(values[0]), float(values[1])))
        elif kind == "RECORD":
            opening.record.append((float(values[0]), float(values[1])))
        elif kind == "ROWS":
            opening.rows = int(values[0])
    return opening


def open_app(
    store: Path, moment: datetime, unit: str, runs: int, presses: int, records: int
) -> list[Opening]:
    """Open the app `runs` times; the last opening goes on to page down and record.

    Recording last keeps the other openings on the generated ledger alone.
    """
    args = ["app", str(store), moment.isoformat(), unit]
    openings = [run_child(args) for _ in range(runs - 1)]
    openings.append(run_child([*args, str(presses), str(records)]))
    return openings


def open_xlsx(path: Path, runs: int) -> list[Opening]:
    return [run_child(["xlsx", str(path)]) for _ in range(runs)]
