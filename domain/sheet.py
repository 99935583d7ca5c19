"""Plain data for the official ledger sheet, handed from the application to exporters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class SheetRow:
    """One finding as a row of the official form plus its detail columns."""

    number: int
    category_label: str
    nature: str
    statement: str
    measures: str
    deadline: date | None
    responsible_unit: str
    reporting_unit: str
    category_name: str
    check_item: str
    cause: str
    responsible_leader: str
    latest_progress: str
    status: str
    completed_on: date | None
    overdue: bool
    found_on: date
    # What the completion achieved (整改成效) and the day it passed acceptance.
    effect: str = ""
    accepted_on: date | None = None
    # Whose problem it is and where it came from.
    village: str = ""
    household_head: str = ""
    household_kind: str = ""
    source: str = ""
    # Who decided the latest acceptance, and what they said ("未通过：…" when
    # it sent the finding back).
    inspector: str = ""
    acceptance_remarks: str = ""
    # Whether the rectification met the deadline in force (None: not done
    # yet), and how often that deadline was moved.
    on_time: bool | None = None
    extensions: int = 0


@dataclass(frozen=True)
class TableSheet:
    """A plain table sheet beside the official one (differences, statistics).

    Each width is in spreadsheet characters; a Chinese character takes two.
    Cells hold text, whole numbers or days.
    """

    title: str
    headers: tuple[str, ...]
    widths: tuple[int, ...]
    rows: tuple[tuple[int | str | date | None, ...], ...]


@dataclass(frozen=True)
class OfficialSheet:
    """Everything an exporter needs to lay out one official ledger.

    `rows` are already in the order the form wants them. `cutoff` is the
    moment (UTC) whose knowledge the sheet shows, or None for "as it stands
    now"; `known_on`, for a week as now known, is the business day through
    which it shows every step however late recorded (`cutoff` is then None);
    `fingerprint` identifies the event log the sheet was built from.
    """

    title: str
    unit: str
    report_date: date
    note: str
    rows: tuple[SheetRow, ...]
    cutoff: datetime | None = None
    fingerprint: str | None = None
    known_on: date | None = None
    extra: tuple[TableSheet, ...] = ()
    # Every household head the unit's findings name, for a masked copy.
    household_heads: tuple[str, ...] = ()
    # Who signed the unit's sealed final ledger, on a final ledger's sheet; the
    # day and the fingerprint it was sealed at, and how many events on the
    # unit's findings were logged after (acceptance results, rework, findings
    # a spot-check found), which the sheet holds.
    sealed_by: str = ""
    sealed_on: date | None = None
    sealed_fingerprint: str = ""
    after_seal: int = 0
