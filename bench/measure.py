"""The measures of issue 8, each with the baseline it is compared with.

Every function takes a generated store (bench.generate) and returns plain
figures: seconds, or KiB for memory, and whatever helps read them.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
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
from bench.child import OPERATOR, SIZE
from domain.campaign import Campaign, load_campaign
from domain.chain import CHAIN_TABLE, ORIGIN_TABLE
from domain.clock import SetClock
from domain.ledger import Ledger, open_ledger
from domain.sheet import OfficialSheet, TableSheet
from domain.sqlite_store import KEY_TABLE

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
    "是否逾期", "发现日期",
)  # fmt: skip
DETAIL_WIDTHS = (6, 14, 14, 30, 10, 40, 30, 40, 16, 16, 12, 30, 10, 16, 10, 16)
DETAIL_LEFT = frozenset({3, 5, 6, 7, 11})
DETAIL_DATES = frozenset({8, 13, 15})

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


# Rebuild


def store_tables(ledger: Ledger) -> set[str]:
    """Name the tables that belong to the event store itself, not to a read model."""
    own = {CHAIN_TABLE, ORIGIN_TABLE, KEY_TABLE}
    own.add(ledger.recorder.events_table_name)  # type: ignore[attr-defined]
    if ledger.snapshots is not None:
        own.add(ledger.snapshots.recorder.events_table_name)  # type: ignore[attr-defined]
    return own


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


def rebuild(store: Path, campaign: Campaign, moment: datetime, runs: int) -> Timing:
    """Time an opening that rebuilds every read model from the events.

    Every table outside the event store and its chain is dropped first.
    """
    probe = open_ledger(campaign, store, SetClock(moment))
    own = store_tables(probe)
    probe.close()
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


# History


def history(ledger: Ledger, week: int, runs: int) -> tuple[Timing, Timing]:
    """Time the ledger as of a week's cut-off, and the current ledger."""
    cutoff = ledger.week_cutoff(week)
    past = timed(lambda: ledger.rows_as_of(cutoff), runs)
    past.extra["rows"] = len(ledger.rows_as_of(cutoff))
    past.extra["week"] = week
    now = timed(ledger.rows, runs)
    now.extra["rows"] = len(ledger.rows())
    return past, now


# Export


def export_week(
    ledger: Ledger, unit: str, week: int, folder: Path, runs: int
) -> tuple[Timing, Timing]:
    """Time one unit's weekly sheet as the app exports it, and the bare writer."""
    from exporters.official import write_official_sheet

    path = folder / "week.xlsx"
    builds: list[float] = []

    def export() -> None:
        started = time.perf_counter()
        sheet = ledger.official_sheet(unit, week)
        builds.append(time.perf_counter() - started)
        write_official_sheet(sheet, path)

    project = timed(export, runs)
    project.extra["build"] = statistics.median(builds)
    sheet = ledger.official_sheet(unit, week)
    project.extra["rows"] = len(sheet.rows)
    cells = [week_form(sheet, "整改台账"), detail_table(sheet)]
    baseline = timed(lambda: bare.write_workbook(cells, folder / "week-bare.xlsx"), runs)
    return project, baseline


def export_ledger(ledger: Ledger, folder: Path, runs: int) -> tuple[Timing, Timing, Path]:
    """Time the office's consolidated ledger of every finding, and the bare writer.

    Returns the exported file too: the opening's baseline loads it.
    """
    from exporters.consolidated import summary_tables, write_consolidated

    path = folder / "ledger.xlsx"
    labels = {c.key: c.label for c in ledger.campaign.categories}
    builds: list[float] = []

    def export() -> None:
        started = time.perf_counter()
        overview = ledger.office_overview()
        sheets = ledger.official_sheets()
        builds.append(time.perf_counter() - started)
        write_consolidated(overview, sheets, labels, path)

    project = timed(export, runs)
    project.extra["build"] = statistics.median(builds)
    overview = ledger.office_overview()
    sheets = ledger.official_sheets()
    project.extra["rows"] = sum(len(s.rows) for s in sheets)
    cells: list[bare.Form | bare.Table] = [
        _plain_table(t) for t in summary_tables(overview, labels)
    ]
    cells += [week_form(s, s.unit[:31]) for s in sheets]
    baseline = timed(
        lambda: bare.write_workbook(cells, folder / "ledger-bare.xlsx"), runs
    )
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


@dataclass(frozen=True)
class Opening:
    """How long a child took from its start to READY, and its peak memory."""

    seconds: float
    peak_kib: int


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
        line = child.stdout.readline()
        elapsed = time.perf_counter() - started
        child.stdout.close()
        child.wait(timeout=CHILD_TIMEOUT)
        if not line.startswith("READY"):
            errors.seek(0)
            tail = errors.read().decode(errors="replace")[-3000:]
            raise RuntimeError(f"bench.child {args[0]} failed:\n{tail}")
    return Opening(elapsed, int(line.split()[1]))


def open_app(store: Path, moment: datetime, unit: str, runs: int) -> list[Opening]:
    return [run_child(["app", str(store), moment.isoformat(), unit]) for _ in range(runs)]


def open_xlsx(path: Path, runs: int) -> list[Opening]:
    return [run_child(["xlsx", str(path)]) for _ in range(runs)]


# Record and scroll, in one headless session of the app


@dataclass
class Session:
    """The app's answers to keys: page-down times and recording times."""

    scroll: list[float]
    scroll_cpu: list[float]
    record: list[float]
    record_cpu: list[float]
    rows: int


def app_session(
    store: Path, moment: datetime, unit: str, presses: int, records: int
) -> Session:
    """Open the real app headless on the store; page down, then record findings."""
    return asyncio.run(_session(store, moment, unit, presses, records))


async def _session(
    store: Path, moment: datetime, unit: str, presses: int, records: int
) -> Session:
    from textual.widgets import DataTable

    from domain.ledger import Operator
    from tui.app import TaizhangApp
    from tui.ledger_screen import LedgerScreen

    ledger = open_ledger(load_campaign(), store, SetClock(moment))
    folder = Path(tempfile.mkdtemp(prefix="taizhang-bench-app-"))
    app = TaizhangApp(ledger, Operator(OPERATOR, unit), export_dir=folder)
    result = Session([], [], [], [], 0)
    try:
        async with app.run_test(size=SIZE) as pilot:
            while not (
                isinstance(app.screen, LedgerScreen)
                and app.screen.query_one(DataTable).row_count
            ):
                await asyncio.sleep(0.001)
            screen = app.screen
            table = screen.query_one(DataTable)
            table.focus()
            await pilot.pause()
            result.rows = table.row_count

            for _ in range(presses):
                wall, cpu = time.perf_counter(), time.process_time()
                await pilot.press("pagedown")
                await pilot.pause()
                result.scroll.append(time.perf_counter() - wall)
                result.scroll_cpu.append(time.process_time() - cpu)
            if table.cursor_row == 0:
                raise AssertionError("page-down did not move the cursor")

            for number in range(records):
                await pilot.press("n")
                await pilot.pause()
                statement = f"基准测试登记的第{number + 1}个问题：{moment:%m月%d日}入户发现"
                _fill_new_finding(app.screen, statement)
                before = table.row_count
                wall, cpu = time.perf_counter(), time.process_time()
                await pilot.press("ctrl+s")
                while not (app.screen is screen and table.row_count > before):
                    await pilot.pause()
                result.record.append(time.perf_counter() - wall)
                result.record_cpu.append(time.process_time() - cpu)
                shown = table.get_row_at(table.row_count - 1)[4]
                if statement not in str(shown):
                    raise AssertionError(f"the last row is not the new finding: {shown}")
    finally:
        ledger.close()
        shutil.rmtree(folder, ignore_errors=True)
    return result


def _fill_new_finding(form: Any, statement: str) -> None:
    """Fill the new-finding form's fields as an operator would leave them."""
    from textual.widgets import Input, Select, TextArea

    if not form.query("#field-statement"):
        raise AssertionError(f"the new-finding form did not open: {form!r}")
    form.query_one("#field-check_item", Select).value = "1"
    form.query_one("#field-nature", Select).value = "个性问题"
    form.query_one("#field-statement", TextArea).load_text(statement)
    form.query_one("#field-village", Input).value = "东村"
    form.query_one("#field-cause", TextArea).load_text("入户核实时发现，村级排查遗漏")
    form.query_one("#field-measures", TextArea).load_text("联系相关部门限期整改到位")
    form.query_one("#field-deadline", Input).value = "2022-07-10"
    form.query_one("#field-responsible_unit", Select).value = "市住建局"
