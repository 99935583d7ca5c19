"""The ledger read model: one row per finding, kept up to date from the event log."""

from __future__ import annotations

import dataclasses
import json
import typing
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from eventsourcing.persistence import Tracking, TrackingRecorder
from eventsourcing.projection import Projection
from eventsourcing.sqlite import SQLiteTrackingRecorder

from domain.search import search_key
from domain.state import FINAL, FindingState, Status

# Which state fields hold days and moments, read off FindingState's annotations so
# a new field cannot be forgotten here.
_HINTS = typing.get_type_hints(FindingState)
_DATE_FIELDS = tuple(n for n, t in _HINTS.items() if date in (t, *typing.get_args(t)))
_DATETIME_FIELDS = tuple(
    n for n, t in _HINTS.items() if datetime in (t, *typing.get_args(t))
)


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
        if data.get(name) is not None:
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


def filter_states(
    states: Iterable[FindingState],
    query: LedgerQuery,
    extra_terms: Callable[[FindingState], Iterable[str]] = lambda state: (),
) -> list[FindingState]:
    """Apply a query to states in memory, as `LedgerView.select` does in SQL."""
    words = query.text.lower().split()
    chosen = []
    for s in states:
        if query.unit and s.reporting_unit != query.unit:
            continue
        if query.category and s.category != query.category:
            continue
        if query.nature and s.nature != query.nature:
            continue
        if query.status and str(s.status) != query.status:
            continue
        if query.overdue_on is not None and not s.is_overdue(query.overdue_on):
            continue
        if words:
            key = search_key(s, extra_terms(s))
            if not all(word in key for word in words):
                continue
        chosen.append(s)
    # Stable: states come in log order, which breaks ties of equal recording times.
    chosen.sort(key=lambda s: s.recorded_at)
    return chosen


class LedgerRows(TrackingRecorder):
    """What a ledger view does with its rows, whichever database holds them.

    A view class mixes this into its backend's tracking recorder and names the
    few pieces of SQL that differ (`PARAM`, `ROWS`, `ORDER`, `CONTAINS`,
    `CHECK_ITEM`), how a fold takes the write lock, and how a cursor that
    yields plain tuples is had. Rows and the tracking position are written in
    one transaction, so after a crash the view resumes exactly where its last
    commit stopped. The owner may set `extra_terms` to add campaign words (a
    category's name) to the search.
    """

    PARAM = "?"
    ROWS = "ledger_rows"
    # Where the tracking recorder keeps how far the view has followed the log.
    TRACKING = "tracking"
    # The column that keeps the order of first inserts: the recording order.
    ORDER = "rowid"
    CONTAINS = "instr(search, ?) > 0"
    CHECK_ITEM = "json_extract(state, '$.check_item')"

    extra_terms: Callable[[FindingState], Iterable[str]] = staticmethod(
        lambda state: ()
    )
    # Given by the tracking recorder this is mixed into.
    datastore: Any
    _max_tracking_id: Callable[[str, Any], int | None]
    _insert_tracking: Callable[[Any, Tracking], None]

    def _lock_rows(self, c: Any) -> None:
        """Take the view's write lock so that no other writer commits meanwhile."""
        raise NotImplementedError

    @contextmanager
    def _cursors(self, *, commit: bool) -> Iterator[tuple[Any, Any]]:
        """Open a transaction: the recorder's own cursor, and one of plain tuples."""
        with self.datastore.transaction(commit=commit) as c:
            yield c, c

    def fold_in(
        self,
        application_name: str,
        start: int | None,
        events: Sequence[Any],
        tracking: Tracking,
        evolve: Callable[[FindingState | None, Any], FindingState],
    ) -> bool:
        """Fold events that follow log position `start` into the rows, atomically.

        The write lock is taken before anything is read, so two processes
        following one store cannot both fold the same events. Returns False,
        changing nothing, when the view is no longer at `start` (another
        process got there first); the caller then reads the log again.
        """
        with self._cursors(commit=True) as (own, c):
            self._lock_rows(own)
            position = self._max_tracking_id(application_name, own) or 0
            if start is not None and position != start:
                return False
            keys = list({str(e.originator_id) for e in events})
            states = self._fetch(c, keys)
            for event in events:
                key = str(event.originator_id)
                states[key] = evolve(states.get(key), event)
            self._write(c, states.values())
            self._insert_tracking(own, tracking)
        return True

    def tables(self) -> list[str]:
        """Name every table of rows this view keeps: the ones `clear` empties.

        A table folded from the events belongs here, or a rebuild would keep
        its old rows beside the new ones.
        """
        return [self.ROWS]

    def clear(self, application_name: str) -> None:
        """Empty every table of the view and forget how far it followed the log.

        One transaction, under the fold's write lock: a fold running meanwhile
        in another process finds the view back at the start and reads the log
        again from there (see `fold_in`).
        """
        with self._cursors(commit=True) as (own, c):
            self._lock_rows(own)
            for table in self.tables():
                c.execute(f"DELETE FROM {table}")
            c.execute(
                f"DELETE FROM {self.TRACKING} WHERE application_name = {self.PARAM}",
                [application_name],
            )

    def _write(self, c: Any, states: Iterable[FindingState]) -> None:
        # A row keeps the order of its first insert, which is therefore the
        # recording order; `select` needs it when recording times are equal.
        marks = ",".join([self.PARAM] * 10)
        c.executemany(
            f"INSERT INTO {self.ROWS} (finding_id, reporting_unit, category,"
            " nature, status, deadline, found_on, recorded_at, search, state)"
            f" VALUES ({marks})"
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

    def get_rows(self, finding_ids: Sequence[str]) -> dict[str, FindingState]:
        """Fetch the stored rows of the given findings, skipping unknown ids."""
        with self._cursors(commit=False) as (_, c):
            return self._fetch(c, finding_ids)

    def _fetch(self, c: Any, finding_ids: Sequence[str]) -> dict[str, FindingState]:
        found: dict[str, FindingState] = {}
        for start in range(0, len(finding_ids), 500):
            chunk = list(finding_ids[start : start + 500])
            marks = ",".join([self.PARAM] * len(chunk))
            c.execute(
                f"SELECT state FROM {self.ROWS} WHERE finding_id IN ({marks})", chunk
            )
            for (text,) in c.fetchall():
                state = load_state(text)
                found[state.finding_id] = state
        return found

    def category_usage(self) -> dict[str, int]:
        """Return each category in use with the highest check item number used."""
        with self._cursors(commit=False) as (_, c):
            c.execute(
                f"SELECT category, max({self.CHECK_ITEM})"
                f" FROM {self.ROWS} GROUP BY category"
            )
            return {category: int(top) for category, top in c.fetchall()}

    def select(self, query: LedgerQuery) -> list[FindingState]:
        """Return the rows matching a query, in recording order."""
        p = self.PARAM
        where: list[str] = []
        params: list[Any] = []
        for column, value in (
            ("reporting_unit", query.unit),
            ("category", query.category),
            ("nature", query.nature),
            ("status", query.status),
        ):
            if value:
                where.append(f"{column} = {p}")
                params.append(value)
        if query.overdue_on is not None:
            open_states = [str(s) for s in Status if s not in FINAL]
            open_states.remove(str(Status.AWAITING_ACCEPTANCE))
            marks = ",".join([p] * len(open_states))
            where.append(f"deadline < {p} AND status IN ({marks})")
            params += [query.overdue_on.isoformat(), *open_states]
        for word in query.text.lower().split():
            where.append(self.CONTAINS)
            params.append(word)
        sql = f"SELECT state FROM {self.ROWS}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY recorded_at, {self.ORDER}"
        with self._cursors(commit=False) as (_, c):
            c.execute(sql, params)
            return [load_state(text) for (text,) in c.fetchall()]


class LedgerView(LedgerRows, SQLiteTrackingRecorder):
    """The ledger rows in the embedded SQLite file, beside the events."""

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

    def _lock_rows(self, c: Any) -> None:
        # A write that changes nothing takes SQLite's write lock now, so the
        # reads that follow see the latest commit and nobody commits after them.
        c.execute("UPDATE tracking SET notification_id = notification_id WHERE 0")


class LedgerProjection(Projection[LedgerRows]):
    """Fold finding events into ledger rows."""

    name = "ledger"

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.process_batch([domain_event], tracking, None)

    def process_batch(
        self, events: Sequence[Any], tracking: Tracking, start: int | None
    ) -> bool:
        """Fold a run of events following log position `start` in one commit.

        With `start` None the position is not checked: a runner that feeds
        events one by one in order (ProjectionRunner) guarantees it.

        Events that are not finding events still advance the tracking position.
        Returns False when the view had already moved past `start`.
        """
        finding_events = [e for e in events if hasattr(e, "evolve")]
        return self.view.fold_in(
            tracking.application_name,
            start,
            finding_events,
            tracking,
            lambda state, event: event.evolve(state),
        )
