"""The hand-filled week-1 ledger of 褚河街道, re-entered and exported through taizhang."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl

from domain.campaign import Campaign
from domain.clock import SetClock
from domain.ledger import Ledger, NewFinding, Operator
from tests.conftest import SHANGHAI
from tests.tui.pilot_keys import choose, type_text
from tui.app import TaizhangApp

# The first three deadlines are typed in three of the forms people write.
TYPED_DEADLINES = ["6月10日前", "2022/6/15", "2022年6月8日"]


def sample_rows(sample: Path) -> list[dict[str, Any]]:
    sheet = openpyxl.load_workbook(sample).active
    assert sheet is not None
    rows = []
    for number, label, nature, statement, measures, deadline, unit in sheet.iter_rows(
        min_row=4, max_row=17, max_col=7, values_only=True
    ):
        rows.append(
            {
                "number": number,
                "label": label,
                "nature": nature,
                "statement": statement,
                "measures": measures,
                "deadline": deadline.date(),
                "responsible_unit": unit,
            }
        )
    return rows


def form_errors(app: Any) -> str:
    """Collect the messages a form shows, to say why it stayed open."""
    return " | ".join(str(w.render()) for w in app.screen.query(".form-error, #form-message"))


async def record_by_keys(pilot: Any, campaign: Campaign, row: dict[str, Any], deadline: str) -> None:
    category = next(c for c in campaign.categories if c.label == row["label"])
    await pilot.press("n")
    await pilot.pause()

    await choose(pilot, "#field-category", f"{category.name}（{category.label}）")
    await choose(pilot, "#field-check_item", f"1.{category.items[0]}")
    await choose(pilot, "#field-nature", row["nature"])
    pilot.app.screen.query_one("#field-statement").focus()
    await type_text(pilot, row["statement"])
    pilot.app.screen.query_one("#field-found_on").focus()
    await pilot.pause()  # focusing an Input selects its text; typing replaces it
    await type_text(pilot, "2022-06-01")
    pilot.app.screen.query_one("#field-measures").focus()
    await type_text(pilot, row["measures"])
    pilot.app.screen.query_one("#field-deadline").focus()
    await type_text(pilot, deadline)
    await choose(pilot, "#field-responsible_unit", row["responsible_unit"])

    await pilot.press("ctrl+s")
    await pilot.pause()


async def test_week1_sample_reentered_gives_the_same_official_sheet(
    campaign: Campaign, ledger: Ledger, clock: SetClock, samples: Path, tmp_path: Path
) -> None:
    """Record the sample's 14 findings (3 by keys), export week 1, compare A1:G18."""
    sample = samples / "official-chuhe-week1.xlsx"
    rows = sample_rows(sample)
    operator = Operator("张三", "褚河街道")
    app = TaizhangApp(ledger, operator, export_dir=tmp_path)

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        for row, deadline in zip(rows[:3], TYPED_DEADLINES, strict=True):
            clock.set(clock.now() + timedelta(minutes=5))
            await record_by_keys(pilot, campaign, row, deadline)
            assert type(app.screen).__name__ == "LedgerScreen", form_errors(app)

    for row in rows[3:]:
        clock.set(clock.now() + timedelta(minutes=5))
        ledger.record(
            operator,
            NewFinding(
                reporting_unit="褚河街道",
                category=row["label"],
                check_item=1,
                nature=row["nature"],
                statement=row["statement"],
                found_on=date(2022, 6, 1),
                measures=row["measures"],
                deadline=row["deadline"],
                responsible_unit=row["responsible_unit"],
            ),
        )
    # Something recorded after week 1 must not reach the week-1 sheet.
    clock.set(datetime(2022, 6, 9, 9, 0, tzinfo=SHANGHAI))
    ledger.record(
        operator,
        NewFinding(
            reporting_unit="褚河街道",
            category="water",
            check_item=2,
            nature="个性问题",
            statement="第二周才发现的问题",
            found_on=date(2022, 6, 8),
        ),
    )

    out = tmp_path / "week1.xlsx"
    from exporters.official import write_official_sheet

    write_official_sheet(ledger.official_sheet("褚河街道", 1), out)

    expected = openpyxl.load_workbook(sample).active
    got = openpyxl.load_workbook(out).active
    assert expected is not None and got is not None
    for row_cells in expected.iter_rows(min_row=1, max_row=18, max_col=7):
        for cell in row_cells:
            mine = got[cell.coordinate]
            assert mine.value == cell.value, cell.coordinate
            if cell.column == 6 and 4 <= cell.row <= 17:
                assert mine.number_format == cell.number_format, cell.coordinate
    assert got.max_row == 18

