"""The benchmark (python -m bench) runs at 1,000 findings; CI runs it through this test.

No timing is asserted: the machine running the tests is not the one the
targets are set for. The test checks that every measure produced figures and
that the export baselines write the same cells as the exporters.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl

from bench.report import SPECS

ROOT = Path(__file__).resolve().parents[1]


def test_the_benchmark_measures_everything_at_1000_findings(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    work = tmp_path / "work"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--sizes", "1000", "--repeat", "1",
         "--out", str(out), "--workdir", str(work)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]

    results = json.loads(out.read_text())
    measured = {(r["measure"], r["n"]): r for r in results["results"]}
    for spec in SPECS:
        row = measured[(spec.name, 1000)]
        assert row["value"] > 0 and row["baseline"] > 0 and row["ratio"] > 0, row
    generated = results["figures"]["1000"]["generation"]
    assert generated["findings"] == 1000
    assert len(generated["statuses"]) == 5  # every status occurs
    assert len(generated["categories"]) == 7
    assert 4.5 <= generated["events_per_finding"] <= 5.5
    assert results["machine"]["cpus"] >= 1
    for spec in SPECS:
        assert spec.name in done.stdout

    folder = work / "n1000"
    for name in ("week", "ledger"):
        assert cells(folder / f"{name}.xlsx") == cells(folder / f"{name}-bare.xlsx")


def cells(path: Path) -> list[tuple[Any, ...]]:
    """Every cell's value and style, with each sheet's merges."""
    book = openpyxl.load_workbook(path)
    found: list[tuple[Any, ...]] = []
    for sheet in book.worksheets:
        found.append((sheet.title, sorted(str(r) for r in sheet.merged_cells.ranges)))
        for row in sheet.iter_rows():
            for c in row:
                style = (repr(c.font), repr(c.alignment), repr(c.border), c.number_format)
                found.append((sheet.title, c.coordinate, c.value, style))
    return found
