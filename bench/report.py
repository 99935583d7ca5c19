"""Turn the measured figures into ratios, targets, growth exponents and a table."""

from __future__ import annotations

import math
import os
import platform
import sqlite3
from dataclasses import asdict, dataclass
from importlib import metadata
from typing import Any

# The size the "against at 1,000" measures compare with, and where their
# targets apply.
BASE_SIZE = 1_000
LARGE_SIZE = 100_000
GROWTH_TARGET = 1.1


@dataclass(frozen=True)
class Spec:
    """One measure: what it is compared with, its target and where that applies.

    `relative` measures are compared with their own figure at the smallest
    size run; the others with a baseline measured beside them.
    """

    name: str
    unit: str
    against: str
    # None: shown, never judged.
    target: float | None
    relative: bool = False
    # Sizes the target applies to; empty means every size.
    sizes: tuple[int, ...] = ()


SPECS = (
    Spec("open", "s", "openpyxl.load_workbook of the same ledger (.xlsx)", 0.5,
         sizes=(10_000, LARGE_SIZE)),
    Spec("rebuild", "s", "sqlite3 SELECT + json.loads of the stored events", 3.0),
    # Not a target of the issue: the part of rebuild's that the library takes
    # before the app folds or writes anything.
    Spec("decode", "s", "the rebuild's baseline", None),
    Spec("history", "s", "the current ledger (Ledger.rows)", 2.0),
    Spec("record", "s", "the same at the smallest size", 1.5, relative=True,
         sizes=(LARGE_SIZE,)),
    Spec("scroll", "s", "the same at the smallest size", 1.5, relative=True,
         sizes=(LARGE_SIZE,)),
    Spec("export-week", "s", "bare openpyxl, same cells and styles", 1.3),
    # The issue sets it for "the consolidated 10,000-row ledger"; at 1,000 rows
    # the summary sheets' fixed cost weighs more, and is shown unjudged.
    Spec("export-ledger", "s", "bare openpyxl, same cells and styles", 1.3,
         sizes=(10_000, LARGE_SIZE)),
    Spec("memory", "MiB", "the same at the smallest size", 3.0, relative=True,
         sizes=(LARGE_SIZE,)),
)  # fmt: skip


@dataclass(frozen=True)
class Row:
    """One measure at one size, judged."""

    measure: str
    n: int
    value: float
    unit: str
    baseline: float
    against: str
    ratio: float
    target: float | None
    passed: bool | None


def judge(figures: dict[int, dict[str, dict[str, Any]]]) -> list[Row]:
    """Compute every ratio and judge it where its target applies.

    `figures[n][measure]` holds "value" and, for a measure with a baseline
    of its own, "baseline".
    """
    sizes = sorted(figures)
    base = sizes[0]
    rows = []
    for spec in SPECS:
        for n in sizes:
            value = figures[n][spec.name]["value"]
            if spec.relative:
                baseline = figures[base][spec.name]["value"]
            else:
                baseline = figures[n][spec.name]["baseline"]
            ratio = value / baseline if baseline else math.inf
            applies = not spec.sizes or n in spec.sizes
            if spec.relative:
                applies = applies and base == BASE_SIZE and n != base
            target = spec.target if applies else None
            rows.append(
                Row(
                    measure=spec.name,
                    n=n,
                    value=value,
                    unit=spec.unit,
                    baseline=baseline,
                    against=spec.against,
                    ratio=ratio,
                    target=target,
                    passed=None if target is None else ratio <= target,
                )
            )
    return rows


def growth(figures: dict[int, dict[str, dict[str, Any]]]) -> dict[str, float | None]:
    """Return each measure's growth exponent between the smallest and largest size.

    log(v_large / v_small) / log(large / small): 1.0 is linear in N. With one
    size there is none.
    """
    sizes = sorted(figures)
    small, large = sizes[0], sizes[-1]
    found: dict[str, float | None] = {}
    for spec in SPECS:
        if small == large:
            found[spec.name] = None
            continue
        a = figures[small][spec.name]["value"]
        b = figures[large][spec.name]["value"]
        found[spec.name] = math.log(b / a) / math.log(large / small)
    return found


def table(rows: list[Row], exponents: dict[str, float | None]) -> str:
    """Lay the rows out as a Markdown table, readable in a terminal too."""
    head = ("measure", "N", "time", "baseline", "ratio", "target", "result", "growth")
    lines = [head]
    last = {row.measure: row.n for row in rows}
    for row in rows:
        exponent = exponents.get(row.measure)
        shown_growth = ""
        if row.n == last[row.measure] and exponent is not None:
            mark = "ok" if exponent <= GROWTH_TARGET else "over"
            shown_growth = f"{exponent:.2f} {mark}"
        lines.append(
            (
                row.measure,
                f"{row.n:,}",
                _amount(row.value, row.unit),
                _amount(row.baseline, row.unit),
                f"{row.ratio:.2f}",
                "" if row.target is None else f"≤ {row.target:g}",
                {None: "", True: "pass", False: "FAIL"}[row.passed],
                shown_growth,
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    right = {1, 2, 3, 4}

    def render(cells: tuple[str, ...]) -> str:
        padded = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join(
        "-" * (w + 1) + ":" if i in right else "-" * (w + 2)
        for i, w in enumerate(widths)
    ) + "|"
    return "\n".join([render(lines[0]), rule, *(render(line) for line in lines[1:])])


def _amount(value: float, unit: str) -> str:
    if unit == "MiB":
        return f"{value:,.0f} MiB"
    if value < 1:
        return f"{value * 1000:.0f} ms"
    return f"{value:,.2f} s"


def machine() -> dict[str, Any]:
    """Describe the machine and the libraries, without naming the host or paths."""
    memory = None
    model = ""
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            for line in info:
                if line.startswith("MemTotal:"):
                    memory = round(int(line.split()[1]) / 1024**2, 1)
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions = {}
    for package in ("textual", "eventsourcing", "openpyxl"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = ""
    return {
        "cpus": os.cpu_count(),
        "cpu": model,
        "ram_gib": memory,
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "sqlite": sqlite3.sqlite_version,
        **versions,
    }


def as_json(rows: list[Row]) -> list[dict[str, Any]]:
    return [asdict(row) for row in rows]
