"""A masked copy of the official sheet, for sharing outside the office.

Household heads keep their surname (王某某 → 王某, 欧阳某某 → 欧阳某) and long
digit runs lose their middle (身份证 410881199001011234 → 410881********1234,
a mobile number 13812345678 → 138****5678), wherever they appear in the
sheet's text.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterable
from typing import Any

from domain.sheet import OfficialSheet, SheetRow, TableSheet

MASK = "某"
MASKED_MARK = "（对外脱敏版）"

# Two-character surnames, so 欧阳修 becomes 欧阳某 and not 欧某.
COMPOUND_SURNAMES = frozenset(
    {
        *("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容"),
        *("长孙", "宇文", "司徒", "夏侯", "轩辕", "令狐", "端木", "独孤", "南宫"),
        *("西门", "百里", "呼延", "澹台", "公冶", "太史", "申屠", "钟离", "闻人"),
        *("万俟", "单于"),
    }
)

# A run of 11 or more digits (full-width ones too), or an ID number ending in X.
_LONG_NUMBER = re.compile(r"(?<!\d)(?:\d{17}[Xx]|\d{11,})(?!\d)")
_MOBILE = re.compile(r"1\d{10}")


def mask_name(name: str) -> str:
    """Keep the surname and write 某 for the given name; one character stays as is."""
    name = name.strip()
    if len(name) < 2:
        return name
    surname = name[:2] if len(name) > 2 and name[:2] in COMPOUND_SURNAMES else name[0]
    return surname + MASK


def mask_number(number: str) -> str:
    """Hide the middle of an ID number (first 6 and last 4 stay) or a mobile number."""
    if _MOBILE.fullmatch(number):
        return number[:3] + "*" * 4 + number[-4:]
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_text(text: str, names: Iterable[str]) -> str:
    """Mask every given household head's name and every long number in text."""
    pattern = _names_pattern(tuple(names))
    if pattern is not None:
        text = pattern.sub(lambda found: mask_name("".join(found.group().split())), text)
    return _LONG_NUMBER.sub(lambda found: mask_number(found.group()), text)


@functools.lru_cache(maxsize=8)
def _names_pattern(names: tuple[str, ...]) -> re.Pattern[str] | None:
    """One pattern for the heads' names, also spaced out by hand to line up
    (王 刚, 王　刚); compiled once for all the cells of a sheet."""
    kept = {n.strip() for n in names if len(n.strip()) >= 2}
    if not kept:
        return None
    # Longest first, so 王小明 is masked before a shorter 王小 could split it.
    spaced = [r"\s*".join(map(re.escape, n)) for n in sorted(kept, key=len, reverse=True)]
    return re.compile("|".join(spaced))


def mask_sheet(sheet: OfficialSheet) -> OfficialSheet:
    """Return the sheet with names of household heads and ID numbers masked.

    Every text cell of the ledger, its detail and extra tables is masked with
    the names of all the unit's household heads, since one finding's text may
    name another's household. The fingerprint stays: it names the log the
    sheet was built from, not its cells.

    Limitation: only names recorded as a household head are known; a name
    typed only into a statement stays as typed. Recording every household's
    head in its field is what fixes it.
    """
    names = sheet.household_heads
    return dataclasses.replace(
        sheet,
        title=sheet.title + MASKED_MARK,
        rows=tuple(_mask_row(row, names) for row in sheet.rows),
        extra=tuple(_mask_table(table, names) for table in sheet.extra),
        household_heads=tuple(mask_name(n) for n in names),
    )


def _mask_row(row: SheetRow, names: tuple[str, ...]) -> SheetRow:
    changes: dict[str, Any] = {
        f.name: mask_text(value, names)
        for f in dataclasses.fields(row)
        if isinstance(value := getattr(row, f.name), str)
    }
    return dataclasses.replace(row, **changes)


def _mask_table(table: TableSheet, names: tuple[str, ...]) -> TableSheet:
    return dataclasses.replace(
        table,
        rows=tuple(
            tuple(mask_text(v, names) if isinstance(v, str) else v for v in row)
            for row in table.rows
        ),
    )
