"""The processes the "open" measure starts: the app on a store, or openpyxl on a file.

    python -m bench.child app STORE MOMENT UNIT   # the ledger screen shows rows
    python -m bench.child xlsx FILE               # openpyxl has loaded the workbook

Each prints one line, `READY <peak RSS in KiB>`, as soon as it is there; the
parent times from just before it started the process to that line. The child
then ends at once without tidying up: it only read the store.
"""

from __future__ import annotations

import asyncio
import os
import resource
import sys
import tempfile
from datetime import datetime
from pathlib import Path

# The terminal the headless app draws on; the pilot tests use the same.
SIZE = (100, 30)
OPERATOR = "基准"


def ready() -> None:
    """Say the screen (or workbook) is there, with this process's peak memory."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"READY {peak}", flush=True)


async def open_app(store: Path, moment: datetime, unit: str) -> None:
    """Start the real app headless and report when its ledger table shows rows."""
    from textual.widgets import DataTable

    from domain.campaign import load_campaign
    from domain.clock import SetClock
    from domain.ledger import Operator, open_ledger
    from tui.app import TaizhangApp
    from tui.ledger_screen import LedgerScreen

    ledger = open_ledger(load_campaign(), store, SetClock(moment))
    app = TaizhangApp(
        ledger, Operator(OPERATOR, unit), export_dir=Path(tempfile.gettempdir())
    )
    async with app.run_test(size=SIZE) as pilot:
        while not (
            isinstance(app.screen, LedgerScreen)
            and app.screen.query_one(DataTable).row_count
        ):
            await asyncio.sleep(0.001)
        # Let the app draw the frame that shows them.
        await pilot.pause()
        ready()
        os._exit(0)


def open_xlsx(path: Path) -> None:
    """Load a workbook as an operator's spreadsheet program would: every cell."""
    import openpyxl

    openpyxl.load_workbook(path)
    ready()


def main(argv: list[str]) -> int:
    kind, *args = argv
    if kind == "app":
        store, moment, unit = args
        asyncio.run(open_app(Path(store), datetime.fromisoformat(moment), unit))
    elif kind == "xlsx":
        open_xlsx(Path(args[0]))
    else:
        print(f"unknown child {kind!r}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
