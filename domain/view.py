"""The ledger read model: one row per finding, kept up to date from the event log."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection
from eventsourcing.sqlite import SQLiteTrackingRecorder

from domain.search import search_key
from domain.state import FINAL, FindingState, Status

_DATE_FIELDS = ("found_on", "deadline", "progress_on", "completed_on", "accepted_on")
_DATETIME_FIELDS = ("recorded_at", "updated_at")


def dump_state(state: FindingState) -> str:
    """Encode a finding's state as JSON for the read model."""
    data = dataclasses.asdict(state)
    for name in _DATE_FIELDS + _DATETIME_FIELDS:
        if data[name] is not None:
            data[name] = data[name].isoformat()
    data["status"] = str(state.status)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def load_state(text: str) -> FindingState:
    """Decode a finding's state written by dump_state."""
    data: dict[str, Any] = json.loads(text)
    for name in _DATE_FIELDS:
        if data[name] is not None:
            data[name] = date.fromisoformat(data[name])
    for name in _DATETIME_FIELDS:
        if data[name] is not None:
            data[name] = datetime.fromisoformat(data[name])
    data["status"] = Status(data["status"])
    return FindingState(**data)


@dataclass(frozen=True)
class LedgerQuery:
    """What part of the ledger to show; empty fields do not filter."""

    unit: str = ""
    category: str = ""
    nature: str = ""
    status: str = ""
    overdue_on: date | None = None
    text: str = ""


class LedgerView(SQLiteTrackingRecorder):
    """The ledger rows and the position in the event log they reflect.

    Rows and the tracking position are written in one transaction, so after a
    crash the view resumes exactly where its last commit stopped. The owner may
    set `extra_terms` to add campaign words (a category's name) to the search.
    """

    extra_terms: Callable[[FindingState], Iterable[str]] = staticmethod(
        lambda state: ()
    )

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS ledger_rows ("
            " finding_id TEXT PRIMARY KEY,"
            " reporting_unit TEXT NOT NULL,"
            " category TEXT NOT NULL,"
            " nature TEXT NOT NULL,"
            " status TEXT NOT NULL,"
            " deadline TEXT,"
            " found_on TEXT NOT NULL,"
            " recorded_at TEXT NOT NULL,"
            " search TEXT NOT NULL,"
            " state TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS ledger_rows_unit"
            " ON ledger_rows (reporting_unit, category)",
        ]

    def save_rows(self, states: Iterable[FindingState], tracking: Tracking) -> None:
        """Store changed rows together with the log position they reach.

        A row keeps the rowid of its first insert, which is therefore the
        recording order; `select` needs it when recording times are equal.
        """
        with self.datastore.transaction(commit=True) as c:
            c.executemany(
                "INSERT INTO ledger_rows VALUES (?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT (finding_id) DO UPDATE SET"
                " reporting_unit = excluded.reporting_unit,"
                " category = excluded.category,"
                " nature = excluded.nature,"
                " status = excluded.status,"
                " deadline = excluded.deadline,"
                " found_on = excluded.found_on,"
                " recorded_at = excluded.recorded_at,"
                " search = excluded.search,"
                " state = excluded.state",
                [
                    (
                        s.finding_id,
                        s.reporting_unit,
                        s.category,
                        s.nature,
                        str(s.status),
                        s.deadline.isoformat() if s.deadline else None,
                        s.found_on.isoformat(),
                        s.recorded_at.isoformat(),
                        search_key(s, self.extra_terms(s)),
                        dump_state(s),
                    )
                    for s in states
                ],
            )
            self._insert_tracking(c, tracking)

    def get_rows(self, finding_ids: Sequence[str]) -> dict[str, FindingState]:
        """Fetch the stored rows of the given findings, skipping unknown ids."""
        found: dict[str, FindingState] = {}
        with self.datastore.transaction(commit=False) as c:
            for start in range(0, len(finding_ids), 500):
                chunk = list(finding_ids[start : start + 500])
                marks = ",".join("?" * len(chunk))
                c.execute(
                    f"SELECT state FROM ledger_rows WHERE finding_id IN ({marks})",
                    chunk,
                )
                for (text,) in c.fetchall():
                    state = load_state(text)
                    found[state.finding_id] = state
        return found

    def select(self, query: LedgerQuery) -> list[FindingState]:
        """Return the rows matching a query, in recording order."""
        where: list[str] = []
        params: list[Any] = []
        for column, value in (
            ("reporting_unit", query.unit),
            ("category", query.category),
            ("nature", query.nature),
            ("status", query.status),
        ):
            if value:
                where.append(f"{column} = ?")
                params.append(value)
        if query.overdue_on is not None:
            open_states = [str(s) for s in Status if s not in FINAL]
            open_states.remove(str(Status.AWAITING_ACCEPTANCE))
            where.append(
                "deadline < ? AND status IN (%s)" % ",".join("?" * len(open_states))
            )
            params += [query.overdue_on.isoformat(), *open_states]
        for word in query.text.lower().split():
            where.append("instr(search, ?) > 0")
            params.append(word)
        sql = "SELECT state FROM ledger_rows"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY recorded_at, rowid"
        with self.datastore.transaction(commit=False) as c:
            c.execute(sql, params)
            return [load_state(text) for (text,) in c.fetchall()]


class LedgerProjection(Projection[LedgerView]):
    """Fold finding events into ledger rows."""

    name = "ledger"

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.process_batch([domain_event], tracking)

    def process_batch(self, events: Sequence[Any], tracking: Tracking) -> None:
        """Fold a run of events and commit the rows they touch in one go.

        Events that are not finding events still advance the tracking position.
        """
        finding_events = [e for e in events if hasattr(e, "evolve")]
        ids = list({str(e.originator_id) for e in finding_events})
        states: dict[str, FindingState] = self.view.get_rows(ids) if ids else {}
        for event in finding_events:
            key = str(event.originator_id)
            states[key] = event.evolve(states.get(key))
        self.view.save_rows(states.values(), tracking)
