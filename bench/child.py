"""The processes the "open" measure starts: the app on a store, or openpyxl on a file.

    python -m bench.child app STORE MOMENT UNIT [PRESSES RECORDS]
    python -m bench.child xlsx FILE

Each prints `READY <peak RSS in KiB>` as soon as the ledger screen shows rows
(or openpyxl has loaded the workbook); the parent times from just before it
started the process to that line. The app child may then go on in the same
session: PRESSES page-down presses, each printed as `SCROLL <wall s> <cpu s>`,
and RECORDS findings recorded through the new-finding form, each printed as
`RECORD <wall s> <cpu s>`, from the save key until the new row is in the
table; `ROWS <rows shown>` follows READY. It then exits at once, without
tidying up: it wrote nothing but the findings it recorded, each committed,
and closing the ledger under the app's polling worker would crash SQLite.
"""

from __future__ import annotations

import asyncio
import os
import resource
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

# The terminal the headless app draws on; the pilot tests use the same.
SIZE = (100, 30)
OPERATOR = "基准"


def say(*words: object) -> None:
    print(*words, flush=True)


def peak_kib() -> int:
    """This process's peak resident memory since it started.

    On Linux from /proc: getrusage's ru_maxrss survives exec, so a child
    started by a large parent would report the parent's peak as its own.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


async def open_app(
    store: Path, moment: datetime, unit: str, presses: int, records: int
) -> None:
    """Start the real app headless; report when its ledger table shows rows."""
    from domain.campaign import load_campaign
    from domain.clock import SetClock
    from domain.ledger import Operator, open_ledger
    from tui.app import TaizhangApp

    ledger = open_ledger(load_campaign(), store, SetClock(moment))
    app = TaizhangApp(
        ledger, Operator(OPERATOR, unit), export_dir=Path(tempfile.gettempdir())
    )
    async with app.run_test(size=SIZE) as pilot:
        table = await rows_shown(pilot)
        say("READY", peak_kib())
        say("ROWS", table.row_count)
        table.focus()
        await pilot.pause()
        for wall, cpu in await page_down(pilot, presses):
            say("SCROLL", wall, cpu)
        for number in range(records):
            statement = f"基准测试登记的第{number + 1}个问题：{moment:%m月%d日}入户发现"
            wall, cpu = await record(pilot, statement)
            say("RECORD", wall, cpu)
        os._exit(0)


async def rows_shown(pilot: Any) -> Any:
    """Wait until the ledger screen's table holds rows and has been drawn."""
    from tui.ledger_screen import LedgerScreen
    from tui.ledger_table import LedgerTable

    app = pilot.app
    while not (
        isinstance(app.screen, LedgerScreen) and app.screen.query_one(LedgerTable).row_count
    ):
        await asyncio.sleep(0.001)
    await pilot.pause()
    return app.screen.query_one(LedgerTable)


async def page_down(pilot: Any, presses: int) -> list[tuple[float, float]]:
    """Press page-down on the focused table; time each press with its redraw."""
    times = []
    for _ in range(presses):
        wall, cpu = time.perf_counter(), time.process_time()
        await pilot.press("pagedown")
        await pilot.pause()
        times.append((time.perf_counter() - wall, time.process_time() - cpu))
    return times


async def record(pilot: Any, statement: str) -> tuple[float, float]:
    """Record a finding through the new-finding form, as an operator does.

    Timed from the save key until the new row is in the ledger table.
    """
    from tui.ledger_table import LedgerTable

    app = pilot.app
    screen = app.screen
    table = screen.query_one(LedgerTable)
    await pilot.press("n")
    await pilot.pause()
    fill_new_finding(app.screen, statement)
    before = table.row_count
    wall, cpu = time.perf_counter(), time.process_time()
    await pilot.press("ctrl+s")
    while not (app.screen is screen and table.row_count > before):
        await pilot.pause()
    times = time.perf_counter() - wall, time.process_time() - cpu
    shown = str(table.cell_at(table.row_count - 1, 4))
    if statement not in shown:
        raise AssertionError(f"the last row is not the new finding: {shown}")
    return times


def fill_new_finding(form: Any, statement: str) -> None:
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


def open_xlsx(path: Path) -> None:
    """Load a workbook as an operator's spreadsheet program would: every cell."""
    import openpyxl

    openpyxl.load_workbook(path)
    say("READY", peak_kib())


def main(argv: list[str]) -> int:
    kind, *args = argv
    if kind == "app":
        store, moment, unit, *more = args
        presses, records = (int(more[0]), int(more[1])) if more else (0, 0)
        when = datetime.fromisoformat(moment)
        asyncio.run(open_app(Path(store), when, unit, presses, records))
    elif kind == "xlsx":
        open_xlsx(Path(args[0]))
    else:
        print(f"unknown child {kind!r}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
