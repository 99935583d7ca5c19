"""A writer process for the crash and two-writer tests: the ledger's own commands.

    python -m tests.store.writer burst STORE NAME
    python -m tests.store.writer duel STORE NAME SECONDS FINDING_ID...

Each change prints "ack <finding id> <version>" only after the command that
stored it returned, and flushes, so every acknowledged line is a change the
store confirmed. "burst" records findings and steps on them until killed.
"duel" runs for SECONDS, recording findings and reporting progress on the
shared findings from the version it last read; a change someone else made
first prints "conflict <finding id> <message>". Anything else that goes
wrong prints "error <kind> <message>", which the tests count as a failure.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import date
from pathlib import Path

from domain.campaign import load_campaign
from domain.errors import ConcurrentChangeError, LedgerError
from domain.ledger import Ledger, NewFinding, Operator, open_ledger
from tui.wording import explain

FOUND = date(2022, 6, 1)


def say(*words: object) -> None:
    # One write for the whole line: unbuffered, print writes word by word, and
    # a kill between two writes would leave half a line.
    sys.stdout.write(" ".join(str(w) for w in words) + "\n")
    sys.stdout.flush()


def new_finding(name: str, n: int, plan: bool) -> NewFinding:
    return NewFinding(
        reporting_unit="褚河街道",
        category="housing",
        check_item=1 + n % 5,
        nature="个性问题",
        statement=f"{name} 第{n}户住房未挂牌",
        found_on=FOUND,
        measures="挂牌" if plan else "",
        deadline=date(2022, 6, 20) if plan else None,
        responsible_unit="市住建局" if plan else "",
    )


def burst(ledger: Ledger, by: Operator) -> None:
    n = 0
    while True:
        n += 1
        finding_id = ledger.record(by, new_finding(by.name, n, plan=False))
        say("ack", finding_id, 1)
        ledger.plan(
            by,
            finding_id,
            1,
            measures="挂牌",
            deadline=date(2022, 6, 20),
            responsible_unit="市住建局",
        )
        say("ack", finding_id, 2)
        ledger.report_progress(by, finding_id, 2, on=ledger.today(), progress=f"{n}")
        say("ack", finding_id, 3)


def duel(ledger: Ledger, by: Operator, seconds: float, shared: list[str]) -> None:
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        n += 1
        try:
            if random.random() < 0.3:
                finding_id = ledger.record(by, new_finding(by.name, n, plan=True))
                say("ack", finding_id, 2)
                continue
            finding_id = random.choice(shared)
            ledger.catch_up()
            version = ledger.row(finding_id).version
            time.sleep(random.random() / 500)  # widen the race a little
            ledger.report_progress(
                by, finding_id, version, on=ledger.today(), progress=f"{by.name}-{n}"
            )
            say("ack", finding_id, version + 1)
        except ConcurrentChangeError as error:
            say("conflict", error.finding_id, explain(error))
        except Exception as error:  # noqa: BLE001 - reported for the test to count
            kind = "refusal" if isinstance(error, LedgerError) else "fault"
            say("error", kind, type(error).__name__, explain(error).replace("\n", " "))


def main(argv: list[str]) -> None:
    mode, store, name = argv[:3]
    ledger = open_ledger(load_campaign(), Path(store))
    by = Operator(name, "褚河街道")
    say("ready")
    if mode == "burst":
        burst(ledger, by)
    else:
        duel(ledger, by, float(argv[3]), argv[4:])
        ledger.close()
        say("done")


if __name__ == "__main__":
    main(sys.argv[1:])
