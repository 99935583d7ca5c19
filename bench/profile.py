"""Profile the app on a store the benchmark kept: where open, scroll, record and history spend.

    python -m bench --sizes 100000 --workdir DIR      # keeps DIR/n100000/ledger.sqlite
    python -m bench.profile DIR/n100000/ledger.sqlite [--out PROFILES] [--top 25]

cProfile covers the opening (the ledger opened, the app started until its
table shows rows), page-down presses, one recording and the past week's
ledger; tracemalloc a second opening, for memory. Each profile is printed
and, with --out, saved as .prof (for pstats or snakeviz) and .txt. The
profiler slows everything down: read the shares, not the seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import pstats
import resource
import tempfile
import time
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.child import OPERATOR, SIZE, fill_new_finding, rows_shown
from bench.generate import end_of_campaign
from domain.campaign import load_campaign
from domain.clock import SetClock
from domain.ledger import Ledger, Operator, open_ledger

PRESSES = 5


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("store", type=Path)
    parser.add_argument("--out", type=Path, help="save .prof and .txt files here")
    parser.add_argument("--top", type=int, default=25, help="functions shown per profile")
    parser.add_argument("--unit", default="", help="the operator's unit (default: first township)")
    parser.add_argument("--skip-memory", action="store_true", help="no tracemalloc opening")
    args = parser.parse_args(argv)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)

    campaign = load_campaign()
    moment = end_of_campaign(campaign)
    unit = args.unit or campaign.units.townships[0]
    # Each app's ledger is closed only once asyncio.run has waited for the
    # app's thread workers: closing it under a running poll crashes SQLite.
    sections, used = asyncio.run(_app(args.store, moment, unit))
    used.close()
    ledger = open_ledger(campaign, args.store, SetClock(moment))
    try:
        sections += _history(ledger)
    finally:
        ledger.close()
    for section in sections:
        _show(section, args.top, args.out)
    if not args.skip_memory:
        memory, used = asyncio.run(_memory(args.store, moment, unit))
        used.close()
        _show_memory(memory, args.out)
    return 0


class GcClock:
    """Add up the cyclic collector's pauses, which cProfile charges to whoever allocated."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.full = 0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
            self.full += info["generation"] == 2


@dataclass
class Section:
    """One profiled stretch: may be started and stopped several times."""

    name: str
    profile: cProfile.Profile = field(default_factory=cProfile.Profile)
    collector: GcClock = field(default_factory=GcClock)
    seconds: float = 0.0
    _started: float = 0.0

    def start(self) -> None:
        gc.callbacks.append(self.collector)
        self._started = time.perf_counter()
        self.profile.enable()

    def stop(self) -> None:
        self.profile.disable()
        self.seconds += time.perf_counter() - self._started
        gc.callbacks.remove(self.collector)


async def _app(store: Path, moment: Any, unit: str) -> tuple[list[Section], Ledger]:
    """Profile the opening, page-down and one recording in one app session."""
    from tui.app import TaizhangApp

    opening = Section("open")
    opening.start()
    ledger = open_ledger(load_campaign(), store, SetClock(moment))
    export_dir = Path(tempfile.gettempdir())
    app = TaizhangApp(ledger, Operator(OPERATOR, unit), export_dir=export_dir)
    paging = Section(f"scroll ({PRESSES} presses)")
    recording = Section("record")
    async with app.run_test(size=SIZE) as pilot:
        table = await rows_shown(pilot)
        opening.stop()
        screen = app.screen
        table.focus()
        await pilot.pause()

        for _ in range(PRESSES):
            paging.start()
            await pilot.press("pagedown")
            await pilot.pause()
            paging.stop()

        await pilot.press("n")
        await pilot.pause()
        fill_new_finding(app.screen, "基准测试剖析时登记的问题")
        before = table.row_count
        recording.start()
        await pilot.press("ctrl+s")
        while not (app.screen is screen and table.row_count > before):
            await pilot.pause()
        recording.stop()
    return [opening, paging, recording], ledger


def _history(ledger: Ledger) -> list[Section]:
    weeks = ledger.campaign.report_weeks
    cutoff = ledger.week_cutoff(weeks[(len(weeks) - 1) // 2])
    found = []
    for name, action in (
        ("history (rows_as_of)", lambda: ledger.rows_as_of(cutoff)),
        ("current (rows)", ledger.rows),
    ):
        section = Section(name)
        section.start()
        action()
        section.stop()
        found.append(section)
    return found


async def _memory(store: Path, moment: Any, unit: str) -> tuple[dict[str, Any], Ledger]:
    """Open the app under tracemalloc; snapshot once the table shows rows."""
    from tui.app import TaizhangApp

    tracemalloc.start(1)
    ledger = open_ledger(load_campaign(), store, SetClock(moment))
    after_open = tracemalloc.get_traced_memory()[0]
    rows = ledger.rows()
    after_rows = tracemalloc.get_traced_memory()[0]
    del rows
    app = TaizhangApp(ledger, Operator(OPERATOR, unit), export_dir=Path(tempfile.gettempdir()))
    try:
        async with app.run_test(size=SIZE) as pilot:
            await rows_shown(pilot)
            snapshot = tracemalloc.take_snapshot()
            current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    figures = {
        "after_open_ledger": after_open,
        "rows_list": after_rows - after_open,
        "current": current,
        "peak": peak,
        "rss_peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "snapshot": snapshot,
    }
    return figures, ledger


def _show(section: Section, top: int, out: Path | None) -> None:
    text = io.StringIO()
    stats = pstats.Stats(section.profile, stream=text)
    print("--- the app's own code, by cumulative time", file=text)
    stats.sort_stats("cumulative").print_stats(r"(domain|tui|exporters)/", top)
    print("--- everything, by cumulative time", file=text)
    stats.sort_stats("cumulative").print_stats(top)
    print("--- everything, by own time", file=text)
    stats.sort_stats("tottime").print_stats(top)
    collector = section.collector
    report = (
        f"=== {section.name}: {section.seconds:.2f} s under the profiler, of which"
        f" {collector.seconds:.2f} s in the cyclic collector"
        f" ({collector.full} full collections) ===\n{text.getvalue()}"
    )
    print(report)
    if out:
        slug = section.name.split()[0]
        section.profile.dump_stats(out / f"{slug}.prof")
        (out / f"{slug}.txt").write_text(report)


def _show_memory(memory: dict[str, Any], out: Path | None) -> None:
    mib = 1024 * 1024
    lines = [
        "=== memory (tracemalloc, one frame) ===",
        f"ledger opened: {memory['after_open_ledger'] / mib:.0f} MiB traced",
        f"Ledger.rows() list alone: {memory['rows_list'] / mib:.0f} MiB",
        f"app showing rows: {memory['current'] / mib:.0f} MiB traced,"
        f" peak {memory['peak'] / mib:.0f} MiB; process peak RSS"
        f" {memory['rss_peak_kib'] / 1024:.0f} MiB",
        "largest allocation sites now held:",
    ]
    for stat in memory["snapshot"].statistics("lineno")[:20]:
        frame = stat.traceback[0]
        lines.append(
            f"  {stat.size / mib:7.1f} MiB {stat.count:9,} blocks"
            f"  {_short(frame.filename)}:{frame.lineno}"
        )
    report = "\n".join(lines)
    print(report)
    if out:
        (out / "memory.txt").write_text(report + "\n")


def _short(filename: str) -> str:
    """Name a file from the package it belongs to, not the machine's path."""
    parts = Path(filename).parts
    for anchor in ("site-packages", "domain", "tui", "exporters", "bench"):
        if anchor in parts:
            index = parts.index(anchor)
            return "/".join(parts[index + (anchor == "site-packages") :])
    return Path(filename).name


if __name__ == "__main__":
    raise SystemExit(main())
