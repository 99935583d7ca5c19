"""Run the benchmark: python -m bench [--sizes 1000,10000,100000] [--out FILE.json].

For each size N a campaign of N findings is generated into a fresh store, then
every measure runs against its baseline; the table goes to stdout, progress
to stderr, and the figures to the JSON file.
"""

from __future__ import annotations

import argparse
import compileall
import json
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import measure, report
from bench.generate import generate

DEFAULT_SIZES = (1_000, 10_000, 100_000)
# Page-down presses timed per size; the median is the figure.
PRESSES = 7
# Findings recorded in the last opening; the median is the figure, so the
# first save (which loads the pinyin tables) does not stand alone at any size.
RECORDS = 3
# Above this size every measure runs once: the figures are long enough.
REPEAT_UP_TO = 10_000


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    sizes = sorted(set(args.sizes))
    started = time.perf_counter()
    compile_sources()
    made = args.workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="taizhang-bench-")) if made else args.workdir
    figures: dict[int, dict[str, dict[str, Any]]] = {}
    try:
        for n in sizes:
            figures[n] = run_size(n, workdir / f"n{n}", args.repeat)
    finally:
        if made:
            shutil.rmtree(workdir, ignore_errors=True)
    rows = report.judge(figures)
    exponents = report.growth(figures)
    results = {
        "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 1),
        "machine": report.machine(),
        "sizes": sizes,
        "growth_target": report.GROWTH_TARGET,
        "growth": exponents,
        "results": report.as_json(rows),
        "figures": {str(n): f for n, f in figures.items()},
    }
    print(report.table(rows, exponents))
    print(f"\nwhole run: {results['seconds']:.0f} s", file=sys.stderr)
    if args.out:
        args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n")
        _say(f"figures written to {args.out}")
    return 0


def compile_sources() -> None:
    """Write the app's bytecode, as an installed package has it.

    The openpyxl of the opening's baseline was compiled when it was
    installed. The app, installed in place, compiles its modules on first
    use and keeps them, unless Python is told not to write bytecode
    (PYTHONDONTWRITEBYTECODE): then every start would compile them again,
    which no user's start does.
    """
    for package in ("domain", "tui", "exporters", "bench"):
        compileall.compile_dir(measure.ROOT / package, quiet=1)


def run_size(n: int, folder: Path, repeat: int) -> dict[str, dict[str, Any]]:
    """Generate a campaign of n findings and take every measure on it."""
    from domain.campaign import load_campaign
    from domain.clock import SetClock
    from domain.ledger import open_ledger

    folder.mkdir(parents=True)
    store = folder / "ledger.sqlite"
    runs = repeat if n <= REPEAT_UP_TO else 1
    f: dict[str, dict[str, Any]] = {}

    _say(f"[{n:,}] generating")
    made = generate(store, n)
    f["generation"] = {
        **{k: v for k, v in asdict(made).items() if k not in ("end", "store_tables")},
        "events_per_finding": round(made.events_per_finding, 2),
    }
    _say(f"[{n:,}] {made.events:,} events in {made.seconds:.1f} s; rebuilding")
    campaign = load_campaign()
    moment = made.end

    rebuilt = measure.rebuild(store, set(made.store_tables), campaign, moment, runs)
    ledger = open_ledger(campaign, store, SetClock(moment))
    try:
        events_table = ledger.recorder.events_table_name  # type: ignore[attr-defined]
        read = measure.read_events(store, events_table, runs)
        f["rebuild"] = _pair(rebuilt, read)
        f["decode"] = _pair(measure.decode_events(ledger, runs), read)

        _say(f"[{n:,}] history")
        weeks = campaign.report_weeks
        week = weeks[(len(weeks) - 1) // 2]
        past, now = measure.history(ledger, week, runs)
        f["history"] = _pair(past, now)

        _say(f"[{n:,}] exports")
        unit = _busiest_township(ledger)
        sheet, sheet_bare = measure.export_week(ledger, unit, week, folder, runs)
        f["export-week"] = _pair(sheet, sheet_bare) | {"unit": unit, "week": week}
        whole, whole_bare, workbook = measure.export_ledger(ledger, folder, runs)
        f["export-ledger"] = _pair(whole, whole_bare)
    finally:
        ledger.close()

    _say(f"[{n:,}] opening the workbook, then the app: paging and recording in it")
    loads = measure.open_xlsx(workbook, runs)
    apps = measure.open_app(store, moment, unit, runs, PRESSES, RECORDS)
    f["open"] = {
        "value": statistics.median(o.seconds for o in apps),
        "baseline": statistics.median(o.seconds for o in loads),
        "runs": [o.seconds for o in apps],
        "baseline_runs": [o.seconds for o in loads],
    }
    f["memory"] = {
        "value": max(o.peak_kib for o in apps) / 1024,
        "openpyxl_mib": max(o.peak_kib for o in loads) / 1024,
    }

    session = apps[-1]
    f["scroll"] = {
        "value": statistics.median(wall for wall, _ in session.scroll),
        "runs": [wall for wall, _ in session.scroll],
        "cpu": statistics.median(cpu for _, cpu in session.scroll),
        "rows": session.rows,
    }
    f["record"] = {
        "value": statistics.median(wall for wall, _ in session.record),
        "runs": [wall for wall, _ in session.record],
        "cpu": statistics.median(cpu for _, cpu in session.record),
    }
    _say(f"[{n:,}] done")
    return f


def _pair(measured: measure.Timing, baseline: measure.Timing) -> dict[str, Any]:
    return {
        "value": measured.seconds,
        "baseline": baseline.seconds,
        "runs": measured.runs,
        "baseline_runs": baseline.runs,
        **measured.extra,
    }


def _busiest_township(ledger: Any) -> str:
    """The township with the most findings: its weekly sheet is the longest."""
    counts: dict[str, int] = {}
    for row in ledger.rows():
        counts[row.reporting_unit] = counts.get(row.reporting_unit, 0) + 1
    townships = ledger.campaign.units.townships
    return max(townships, key=lambda unit: (counts.get(unit, 0), unit))


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of sizes: {text!r}") from None
    if not sizes or min(sizes) < 10:
        raise argparse.ArgumentTypeError("sizes must be whole numbers of 10 or more")
    return sizes


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=list(DEFAULT_SIZES),
        help="comma-separated numbers of findings (default 1000,10000,100000)",
    )
    parser.add_argument("--out", type=Path, help="write the figures to this JSON file")
    parser.add_argument(
        "--workdir",
        type=Path,
        help="keep the stores and workbooks here (default: a temporary folder, removed)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help=f"runs per measure up to {REPEAT_UP_TO:,} findings, median taken (default 3)",
    )
    return parser


def _say(text: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {text}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
