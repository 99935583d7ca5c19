"""Writers and the reader say how far they are, and a cancel leaves no file behind."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from domain.errors import WorkCancelledError
from domain.ledger import Ledger, NewFinding, Operator
from domain.progress import EVERY
from domain.sheet import OfficialSheet, TableSheet
from exporters.consolidated import write_consolidated
from exporters.ledger_import import read_ledger
from exporters.official import write_official_sheet
from tests.exporters.test_official import _row, _small_sheet
from tests.exporters.workbooks import make_book, row_values

Heard = list[tuple[int, int]]


def big_sheet(rows: int) -> OfficialSheet:
    sheet = _small_sheet(*(_row(n) for n in range(1, rows + 1)))
    extra = TableSheet(
        title="迟报漏报", headers=("序号",), widths=(6,), rows=((1,), (2,), (3,))
    )
    return dataclasses.replace(sheet, extra=(extra,))


def listen() -> tuple[Heard, Callable[[int, int], None]]:
    heard: Heard = []
    return heard, lambda done, total: heard.append((done, total))


def cancel_at(heard: Heard, done: int) -> Callable[[], bool]:
    """Say yes once the writer has reported `done` steps or more."""
    return lambda: bool(heard) and heard[-1][0] >= done


class Asked:
    """A cancel check that counts its questions and says yes at the `yes`-th."""

    def __init__(self, yes: int = 0) -> None:
        self.yes = yes
        self.count = 0

    def __call__(self) -> bool:
        self.count += 1
        return self.count == self.yes


def test_the_official_sheet_reports_every_row_of_every_sheet(tmp_path: Path) -> None:
    heard, progress = listen()

    path = write_official_sheet(
        big_sheet(120), tmp_path / "台账.xlsx", progress=progress
    )

    total = 2 * 120 + 3
    assert heard[0] == (0, total)
    assert heard[-1] == (total, total)
    assert [done for done, _ in heard] == sorted(done for done, _ in heard)
    assert len(heard) >= total // EVERY
    assert openpyxl.load_workbook(path)["整改台账"]["D123"].value == _row(120).statement


@pytest.mark.parametrize("when", ["at-once", "half-way", "saved"])
def test_a_cancelled_export_leaves_no_file(tmp_path: Path, when: str) -> None:
    """A cancel at any point leaves only what was there before.

    At "saved" every row is written and the workbook saved beside its name:
    the last question comes just before the rename, and the saved copy goes.
    """
    target = tmp_path / "台账.xlsx"
    target.write_bytes(b"the file from last week")
    questions = Asked()
    write_official_sheet(big_sheet(120), tmp_path / "完整.xlsx", cancelled=questions)
    (tmp_path / "完整.xlsx").unlink()
    yes = {"at-once": 1, "half-way": questions.count // 2, "saved": questions.count}

    with pytest.raises(WorkCancelledError) as cancel:
        write_official_sheet(big_sheet(120), target, cancelled=Asked(yes[when]))

    assert cancel.value.work == "export"
    # Nothing new beside it, and last week's file untouched.
    assert [p.name for p in tmp_path.iterdir()] == ["台账.xlsx"]
    assert target.read_bytes() == b"the file from last week"


def test_the_consolidated_workbook_reports_and_cancels(
    ledger: Ledger, new_finding: Callable[..., NewFinding], tmp_path: Path
) -> None:
    for n in range(60):
        ledger.record(
            Operator("张三", "褚河街道"),
            new_finding(
                statement=f"第{n}户未挂牌",
                deadline=date(2022, 6, 20),
                measures="挂牌",
                responsible_unit="市住建局",
            ),
        )
    labels = {c.key: c.label for c in ledger.campaign.categories}
    overview, sheets = ledger.office_overview(), ledger.official_sheets()
    heard, progress = listen()

    with pytest.raises(WorkCancelledError):
        write_consolidated(
            overview,
            sheets,
            labels,
            tmp_path / "汇总.xlsx",
            progress=progress,
            cancelled=cancel_at(heard, 1),
        )
    assert not list(tmp_path.glob("*.xlsx*")) and not list(tmp_path.glob(".*"))

    heard.clear()
    path = write_consolidated(
        overview, sheets, labels, tmp_path / "汇总.xlsx", progress=progress
    )
    total = heard[-1][1]
    assert heard[-1] == (total, total) and total >= 60
    assert "褚河街道" in openpyxl.load_workbook(path).sheetnames


def test_reading_a_ledger_reports_its_rows_and_stops_on_a_cancel(
    tmp_path: Path,
) -> None:
    path = make_book(tmp_path / "台账.xlsx", [row_values(n) for n in range(1, 121)])
    heard, progress = listen()

    sheet = read_ledger(path, year=2022, progress=progress)

    assert len(sheet.rows) == 120
    assert heard[0] == (0, 120) and heard[-1] == (120, 120)

    with pytest.raises(WorkCancelledError) as cancel:
        read_ledger(path, year=2022, progress=progress, cancelled=lambda: True)
    assert cancel.value.work == "import"
