"""Two operators in two processes change one finding at the same moment.

Each process opens the store on its own, reads the finding, waits for the
other at a barrier, then extends the deadline from the version it read. One
change is stored, the other is refused as a concurrent change; nothing is
lost and nothing is stored twice, on an SQLite file and on PostgreSQL.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from domain.campaign import load_campaign
from domain.clock import SetClock
from domain.errors import ConcurrentChangeError
from domain.ledger import Ledger, NewFinding, Operator
from tests.conftest import SHANGHAI

STORES = ("sqlite", "postgres")
ROUNDS = 2
PLAN: dict[str, Any] = {
    "measures": "入户核实",
    "deadline": date(2022, 6, 10),
    "responsible_unit": "市住建局",
}


def operator_process(
    store: str,
    finding_id: str,
    name: str,
    deadline: date,
    barrier: Any,
    results: Any,
) -> None:
    """Open the store, read the finding, meet the other, change it."""
    from domain.ledger import open_ledger

    clock = SetClock(datetime(2022, 6, 3, 9, tzinfo=SHANGHAI))
    ledger = open_ledger(
        load_campaign(), store if "://" in store else Path(store), clock
    )
    try:
        version = ledger.row(finding_id).version
        barrier.wait(timeout=60)
        try:
            ledger.extend_deadline(
                Operator(name, "褚河街道"),
                finding_id,
                version,
                deadline=deadline,
                reason=f"{name}：材料未到",
            )
        except ConcurrentChangeError:
            results.put((name, "refused", ledger.row(finding_id).deadline))
        else:
            results.put((name, "stored", ledger.row(finding_id).deadline))
    finally:
        ledger.close()


def test_one_of_two_simultaneous_changes_is_stored_the_other_refused(
    ledger: Ledger,
    store: Path | str,
    operator: Operator,
    new_finding: Callable[..., NewFinding],
) -> None:
    finding_id = ledger.record(operator, new_finding(**PLAN))
    context = multiprocessing.get_context("spawn")

    for round_ in range(ROUNDS):
        barrier = context.Barrier(2)
        results = context.Queue()
        version = ledger.row(finding_id).version
        days = {
            "甲": date(2022, 6, 11 + 2 * round_),
            "乙": date(2022, 6, 12 + 2 * round_),
        }
        workers = [
            context.Process(
                target=operator_process,
                args=(str(store), finding_id, name, day, barrier, results),
            )
            for name, day in days.items()
        ]
        for worker in workers:
            worker.start()
        outcomes = sorted(results.get(timeout=120) for _ in workers)
        for worker in workers:
            worker.join(timeout=60)
            assert worker.exitcode == 0

        assert sorted(kind for _, kind, _ in outcomes) == ["refused", "stored"]
        [winner] = [name for name, kind, _ in outcomes if kind == "stored"]
        # Both ended up seeing the stored change: the refused one after reloading.
        assert {seen for _, _, seen in outcomes} == {days[winner]}
        ledger.catch_up()
        history = ledger.history(finding_id)
        assert len(history) == version + 1
        assert (history[-1].operator, history[-1].details["deadline"]) == (
            winner,
            days[winner],
        )
        assert ledger.row(finding_id).deadline == days[winner]
        assert ledger.row(finding_id).extensions == round_ + 1
