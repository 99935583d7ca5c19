"""Export, import into a new store, export again: the official sheet is the same."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from domain.campaign import Campaign
from domain.clock import SetClock
from domain.demo import fill_demo
from domain.ledger import Operator, open_ledger
from exporters.ledger_import import read_ledger
from exporters.official import write_official_sheet
from tests.conftest import SHANGHAI

UNIT = "褚河街道"
OPERATOR = Operator("张三", UNIT)


def official_cells(path: Path) -> list[list[Any]]:
    """The cells A1:G(n) of the official sheet, n its last row."""
    ws = load_workbook(path)["整改台账"]
    return [list(row) for row in ws.iter_rows(max_col=7, values_only=True)]


@pytest.mark.parametrize("seed", [7, 11])
def test_a_demo_unit_sheet_survives_export_import_export(
    campaign: Campaign, tmp_path: Path, seed: int
) -> None:
    clock = SetClock(datetime(2022, 6, 1, 8, tzinfo=SHANGHAI))
    source = open_ledger(campaign, tmp_path / "source.sqlite", clock)
    fill_demo(source, clock, seed=seed)
    first = write_official_sheet(source.official_sheet(UNIT), tmp_path / "1.xlsx")
    source.close()

    target = open_ledger(campaign, tmp_path / "target.sqlite", clock)
    result = target.import_sheet(OPERATOR, read_ledger(first, year=campaign.year))
    second = write_official_sheet(target.official_sheet(UNIT), tmp_path / "2.xlsx")
    target.close()

    assert result.bad == ()
    assert len(result.good) > 15
    assert official_cells(second) == official_cells(first)


def test_the_official_week_1_sample_comes_back_cell_for_cell(
    campaign: Campaign, tmp_path: Path, samples: Path
) -> None:
    sample = samples / "official-chuhe-week1.xlsx"
    # The sample reports as of 2022-06-07; export on that day.
    clock = SetClock(datetime(2022, 6, 7, 17, tzinfo=SHANGHAI))
    ledger = open_ledger(campaign, tmp_path / "ledger.sqlite", clock)

    ledger.import_sheet(OPERATOR, read_ledger(sample, year=campaign.year))
    again = write_official_sheet(ledger.official_sheet(UNIT), tmp_path / "again.xlsx")
    ledger.close()

    assert official_cells(again) == official_cells(sample)
