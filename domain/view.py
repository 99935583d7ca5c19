"""The ledger read model: one row per finding, kept up to date from the event log."""

from __future__ import annotations

import gc
import typing
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import orjson
from eventsourcing.persistence import Tracking, TrackingRecorder
from eventsourcing.projection import Projection
from eventsourcing.sqlite import SQLiteTrackingRecorder

from domain.audit import MENDING
from domain.search import forget as forget_search_texts
from domain.search import search_key
from domain.state import FINAL, STATE_FIELDS, FindingState, Status
from domain.unit_ledger import UnitLedger

# Which state fields hold days and moments, read off FindingState's annotations so
# a new field cannot be forgotten here.
_HINTS = typing.get_type_hints(FindingState)
_DATE_FIELDS = tuple(n for n, t in _HINTS.items() if date in (t, *typing.get_args(t)))
_DATETIME_FIELDS = tuple(
    n for n, t in _HINTS.items() if datetime in (t, *typing.get_args(t))
)


def dump_state(state: FindingState) -> str:
    """Encode a finding's state as JSON for the read model.

    orjson writes a dataclass, its days, moments and status as the standard
    library's encoder did (compact, unescaped, in field order; a test holds
    it to that, since `verify` compares views text for text) in a quarter of
    the time: folding a province's log writes one per event.
    """
    return orjson.dumps(state).decode()


def load_state(text: str) -> FindingState:
    """Decode a finding's state written by dump_state."""
    data: dict[str, Any] = orjson.loads(text)
    for name in _DATE_FIELDS:
        if data.get(name) is not None:
            data[name] = date.fromisoformat(data[name])
    for name in _DATETIME_FIELDS:
        if data[name] is not None:
            data[name] = datetime.fromisoformat(data[name])
    data["status"] = Status(data["status"])
    if data.keys() != STATE_FIELDS:
        return FindingState(**data)  # refuses a stranger, fills in a default
    # Without running `__init__` over every field, as `FindingState.but`:
    # a province's ledger loads 100,000 states per export.
    state = object.__new__(FindingState)
    state.__dict__.update(data)
    return state


# The view's columns: a row of the current ledger, and a finding's version.
COLUMNS = (
    "finding_id",
    "reporting_unit",
    "category",
    "nature",
    "status",
    "deadline",
    "found_on",
    "recorded_at",
    "search",
    "state",
)
VERSION_COLUMNS = (
    "version",
    "position",
    "kind",
    "at",
    "reach",
    "reach_day",
    "first_position",
    "in_order",
)
# A screening's columns: a unit's record (its aggregate's id), at a version of
# it, screened a check item.
SCREENING_COLUMNS = (
    "position",
    "unit_ledger",
    "version",
    "category",
    "check_item",
    "households",
    "problems_found",
    "on_day",
    "operator",
    "recorded_at",
)
# A unit record's columns: the record (its aggregate's id) and the unit it is for.
UNIT_RECORD_COLUMNS = ("position", "unit_ledger", "unit")
# A ledger row's columns after its finding id, as SQL both databases take.
_ROW_SQL = (
    " reporting_unit TEXT NOT NULL, category TEXT NOT NULL, nature TEXT NOT NULL,"
    " status TEXT NOT NULL, deadline TEXT, found_on TEXT NOT NULL,"
    " recorded_at TEXT NOT NULL, search TEXT NOT NULL, state TEXT NOT NULL"
)


def view_tables_sql(
    rows: str,
    versions: str,
    moments: str,
    screenings: str,
    unit_records: str,
    integer: str,
    serial: str,
    order: str,
) -> list[str]:
    """Write the view's CREATE statements for quoted table names.

    `integer` names a 64-bit integer type; `serial` is a first column that
    keeps the order of first inserts ("" where the database has one, as
    SQLite's rowid, which every index holds), and `order` the same column
    for an index (", seq"; "" for the rowid).
    """
    return [
        f"CREATE TABLE IF NOT EXISTS {rows} ({serial}finding_id TEXT PRIMARY KEY,{_ROW_SQL})",
        f"CREATE INDEX IF NOT EXISTS ledger_rows_unit ON {rows} (reporting_unit, category)",
        # A page of the ledger is read in recording order without sorting the
        # whole table, and the summary's overdue and due-soon counts by range.
        f"CREATE INDEX IF NOT EXISTS ledger_rows_order ON {rows} (recorded_at{order})",
        f"CREATE INDEX IF NOT EXISTS ledger_rows_due ON {rows} (status, deadline)",
        f"CREATE TABLE IF NOT EXISTS {versions} (finding_id TEXT NOT NULL,{_ROW_SQL},"
        f" version {integer} NOT NULL, position {integer} NOT NULL, kind TEXT NOT NULL,"
        " at TEXT NOT NULL, reach TEXT NOT NULL, reach_day TEXT NOT NULL,"
        f" first_position {integer} NOT NULL, in_order INTEGER NOT NULL,"
        " PRIMARY KEY (finding_id, version))",
        "CREATE INDEX IF NOT EXISTS ledger_versions_reach"
        f" ON {versions} (finding_id, reach, version)",
        "CREATE INDEX IF NOT EXISTS ledger_versions_unit"
        f" ON {versions} (reporting_unit, finding_id)",
        f"CREATE TABLE IF NOT EXISTS {moments} ("
        f" position {integer} PRIMARY KEY, at TEXT NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {screenings} (position {integer} PRIMARY KEY,"
        f" unit_ledger TEXT NOT NULL, version {integer} NOT NULL, category TEXT NOT NULL,"
        f" check_item {integer} NOT NULL, households {integer} NOT NULL,"
        f" problems_found {integer} NOT NULL, on_day TEXT NOT NULL,"
        " operator TEXT NOT NULL, recorded_at TEXT NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {unit_records} (position {integer} PRIMARY KEY,"
        " unit_ledger TEXT NOT NULL, unit TEXT NOT NULL)",
    ]


# Raised whenever the view's tables change shape or a fold rule changes what a
# state holds: an older view is emptied and folded again from the log when a
# store is opened. 5: the latest progress is the one of the latest day;
# 6: the latest acceptance's inspector and remarks; 7: a screening's version,
# by which an undo takes it out; 8: the day of the latest return.
VIEW_SCHEMA = 8
SCHEMA_MARK = "__ledger_view_schema__"


def moment_text(moment: datetime) -> str:
    """Write a moment so that text order is time order (UTC, fixed width)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


@dataclass(frozen=True)
class Reach:
    """How far a finding's versions reach: latest recording moment and business day
    so far, the log position of its first event, and whether its business days
    never went backwards."""

    at: str
    day: str
    first: int
    in_order: bool


@dataclass(frozen=True)
class Moment:
    """A past the versions table can show, as bounds on its columns.

    Each finding is shown at its newest version within every bound. The
    bounded columns only grow from version to version, so that version is one
    the finding really had then.
    """

    bounds: tuple[tuple[str, Any], ...]

    @classmethod
    def recorded_before(cls, moment: datetime, position: int | None = None) -> Moment:
        """Everything recorded before the moment: the ledger as it could be reported.

        With `position`, only as far as the log had reached there: what an
        export made at that position showed, though events recorded earlier
        (an offline bundle keeps its times) were stored after it.
        """
        bounds: tuple[tuple[str, Any], ...] = (("reach", moment_text(moment)),)
        if position is not None:
            bounds += (("position", position),)
        return cls(bounds)

    @classmethod
    def known_on(cls, day: date, position: int | None = None) -> Moment:
        """Every step done on or before the day, however late it was recorded.

        With `position`, only as far as the log had reached there. Exact only
        for findings whose business days never went backwards;
        `LedgerRows.out_of_order` names the others.
        """
        bounds: tuple[tuple[str, Any], ...] = (("reach_day", day.isoformat()),)
        if position is not None:
            bounds += (("position", position),)
        return cls(bounds)

    @classmethod
    def at_position(cls, position: int) -> Moment:
        """The log up to and including a position."""
        return cls((("position", position),))


@dataclass(frozen=True)
class LedgerQuery:
    """What part of the ledger to show; empty fields do not filter."""

    unit: str = ""
    category: str = ""
    nature: str = ""
    status: str = ""
    finding_id: str = ""
    overdue_on: date | None = None
    # Open findings (not awaiting acceptance) due within these days, inclusive.
    due_between: tuple[date, date] | None = None
    text: str = ""


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
    VERSIONS = "ledger_versions"
    MOMENTS = "ledger_moments"
    SCREENINGS = "ledger_screenings"
    # Each unit's record (`UnitLedger`) by its id, with the unit it is for.
    UNIT_RECORDS = "ledger_unit_records"
    # Where the tracking recorder keeps how far the view has followed the log.
    TRACKING = "tracking"
    # "Differs from", with NULL equal to NULL.
    NOT_SAME = "IS NOT"
    # The column that keeps the order of first inserts: the recording order.
    ORDER = "rowid"
    CONTAINS = "instr(search, ?) > 0"
    CHECK_ITEM = "json_extract(state, '$.check_item')"
    # How an index's name is qualified when it is dropped.
    INDEXES_IN = ""

    extra_terms: Callable[[FindingState], Iterable[str]] = staticmethod(
        lambda state: ()
    )
    # Given by the tracking recorder this is mixed into.
    datastore: Any
    max_tracking_id: Callable[[str], int | None]
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
        entries: Sequence[tuple[int, Any]],
        tracking: Tracking,
        evolve: Callable[[FindingState | None, Any], FindingState],
    ) -> bool:
        """Fold logged events that follow position `start` into the view, atomically.

        `entries` pairs each event with its log position. Every event gets
        its moment in the moments table; finding events (those `evolve`
        takes, marked by having `evolve`) also update the current rows and
        add a version; a unit's record adds the unit it is for, and each
        screening of a check item a row to the screenings. The write lock is
        taken before anything is read, so two processes following one store
        cannot both fold the same events.
        Returns False, changing nothing, when the view is no longer at
        `start` (another process got there first); the caller then reads the
        log again.
        """
        with self._cursors(commit=True) as (own, c):
            self._lock_rows(own)
            position = self._max_tracking_id(application_name, own) or 0
            if start is not None and position != start:
                return False
            if position == 0:
                # Folding from the start: whatever rows are here were left by a
                # view whose position was lost, and would be folded twice.
                self._empty(c)
            keys = list({str(e.originator_id) for _, e in entries if hasattr(e, "evolve")})
            states = self._fetch(c, keys)
            reach = self._reach(c, keys)
            versions, latest = self._fold(entries, states, reach, evolve)
            self._write_rows(c, latest.values())
            self._write_log(c, entries, versions)
            self._insert_tracking(own, tracking)
        return True

    def _fold(
        self,
        entries: Sequence[tuple[int, Any]],
        states: dict[str, FindingState],
        reach: dict[str, Reach],
        evolve: Callable[[FindingState | None, Any], FindingState],
    ) -> tuple[list[tuple[Any, ...]], dict[str, tuple[Any, ...]]]:
        """Evolve the states and reaches by the finding events among `entries`.

        Returns each new version's columns, and each changed finding's newest:
        its current row.
        """
        versions: list[tuple[Any, ...]] = []
        latest: dict[str, tuple[Any, ...]] = {}
        for n, event in entries:
            if not hasattr(event, "evolve"):
                continue
            key = str(event.originator_id)
            state = states[key] = evolve(states.get(key), event)
            at = moment_text(event.timestamp)
            day = event.on.isoformat()
            before = reach.get(key)
            if before is None:
                now = Reach(at, day, n, True)
            else:
                now = Reach(
                    max(before.at, at),
                    max(before.day, day),
                    before.first,
                    day >= before.day,
                )
            reach[key] = now
            columns = latest[key] = self._columns(state)
            versions.append(
                (*columns, event.originator_version, n, type(event).__name__, at,
                 now.at, now.day, now.first, 1 if now.in_order else 0)
            )  # fmt: skip
        return versions, latest

    @contextmanager
    def refolding(
        self, application_name: str, *, anew: bool = False
    ) -> Iterator[Callable[[Sequence[tuple[int, Any]]], None] | None]:
        """Empty the view and fold the log into it again, in one transaction.

        Yields a function that folds the next run of logged events (pairs of
        log position and event, in log order, from the first). Leaving the
        block commits the view with the position of the last event folded;
        an error, a cancel among them, rolls it all back, leaving the view as
        it was. Meanwhile the view's indexes are dropped and every state and
        reach is kept in memory rather than read back; current rows are
        written from the versions and the indexes built once, at the end.
        Folding a log as one run of batches costs so a fraction of folding it
        batch by batch.

        Unless `anew`, a view that is not empty (another process folded it
        meanwhile) is left alone, and None is yielded instead. Holds the
        view's write lock throughout: on SQLite, the store's.
        """
        states: dict[str, FindingState] = {}
        reach: dict[str, Reach] = {}
        last = 0
        with self._cursors(commit=True) as (own, c), _collector_paused():
            self._lock_rows(own)
            if not anew and self._max_tracking_id(application_name, own):
                yield None
                return
            self._start_over(c, application_name)
            before = self._bulk_start(c)
            indexes = [sql for sql in self.view_sql() if sql.startswith("CREATE INDEX")]
            for sql in indexes:
                c.execute(f"DROP INDEX IF EXISTS {self.INDEXES_IN}{sql.split()[5]}")

            def fold(entries: Sequence[tuple[int, Any]]) -> None:
                nonlocal last
                if not entries:
                    return
                versions, _ = self._fold(entries, states, reach, _evolve)
                self._write_log(c, entries, versions)
                last = entries[-1][0]

            try:
                yield fold
                self._rows_from_versions(c)
                for sql in indexes:
                    c.execute(sql)
                if last:
                    self._insert_tracking(own, Tracking(application_name, last))
            finally:
                self._bulk_end(c, before)
                forget_search_texts()

    def _rows_from_versions(self, c: Any) -> None:
        """Write every finding's newest version as its current row.

        In the order of their first events, the order a row keeps; in SQL,
        so that a whole log's rows are never held in memory.
        """
        names = ", ".join(COLUMNS)
        c.execute(
            f"INSERT INTO {self.ROWS} ({names}) SELECT {names} FROM {self.VERSIONS}"
            f" WHERE (finding_id, version) IN (SELECT finding_id, max(version)"
            f" FROM {self.VERSIONS} GROUP BY finding_id) ORDER BY first_position"
        )

    def _bulk_start(self, c: Any) -> Any:
        """Prepare a transaction that writes a whole view (see `refolding`).

        Returns what `_bulk_end` needs to undo it.
        """
        return None

    def _bulk_end(self, c: Any, before: Any) -> None:
        """Undo `_bulk_start`: the connection goes on serving ordinary work."""

    def view_sql(self) -> list[str]:
        """The statements that create the view's tables and indexes."""
        raise NotImplementedError

    def _write_log(
        self, c: Any, entries: Sequence[tuple[int, Any]], versions: list[tuple[Any, ...]]
    ) -> None:
        """Write what a run of logged events adds to every table but the current rows."""
        self._write_versions(c, versions)
        self._write_moments(c, entries)
        self._write_unit_records(c, entries)

    def _write_moments(self, c: Any, entries: Sequence[tuple[int, Any]]) -> None:
        c.executemany(
            f"INSERT INTO {self.MOMENTS} (position, at) VALUES"
            f" ({self.PARAM}, {self.PARAM})",
            [(n, moment_text(e.timestamp)) for n, e in entries],
        )

    def _write_unit_records(self, c: Any, entries: Sequence[tuple[int, Any]]) -> None:
        """Fold the units' records: which unit each is for, and their screenings.

        An undone screening's row is taken out: coverage counts what stands.
        """
        opened = [
            (n, str(e.originator_id), e.unit)
            for n, e in entries
            if isinstance(e, UnitLedger.Opened)
        ]
        screened = [
            (n, str(e.originator_id), e.originator_version, e.category, e.check_item,
             e.households, e.problems_found, e.on.isoformat(), e.operator,
             e.timestamp.isoformat())
            for n, e in entries
            if isinstance(e, UnitLedger.ItemScreened)
        ]  # fmt: skip
        for table, columns, rows in (
            (self.UNIT_RECORDS, UNIT_RECORD_COLUMNS, opened),
            (self.SCREENINGS, SCREENING_COLUMNS, screened),
        ):
            if rows:
                marks = ",".join([self.PARAM] * len(columns))
                c.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows
                )
        undone = [
            (str(e.originator_id), e.undone_version)
            for _, e in entries
            if isinstance(e, UnitLedger.ScreeningUndone)
        ]
        if undone:
            c.executemany(
                f"DELETE FROM {self.SCREENINGS}"
                f" WHERE unit_ledger = {self.PARAM} AND version = {self.PARAM}",
                undone,
            )

    def screenings(self, unit_ledgers: Sequence[str]) -> list[tuple[Any, ...]]:
        """Read the screenings of the given unit records, in log order.

        Each as its SCREENING_COLUMNS, days and moments as ISO text.
        """
        marks = ",".join([self.PARAM] * len(unit_ledgers))
        with self._cursors(commit=False) as (_, c):
            c.execute(
                f"SELECT {', '.join(SCREENING_COLUMNS)} FROM {self.SCREENINGS}"
                f" WHERE unit_ledger IN ({marks}) ORDER BY position",
                list(unit_ledgers),
            )
            return [tuple(row) for row in c.fetchall()]

    def tables(self) -> list[str]:
        """Name every table of rows this view keeps: the ones `clear` empties.

        A table folded from the events belongs here, or a rebuild would keep
        its old rows beside the new ones.
        """
        return [self.ROWS, self.VERSIONS, self.MOMENTS, self.SCREENINGS, self.UNIT_RECORDS]

    def clear(self, application_name: str) -> None:
        """Empty every table of the view and forget how far it followed the log.

        One transaction, under the fold's write lock: a fold running meanwhile
        in another process finds the view back at the start and reads the log
        again from there (see `fold_in`).
        """
        with self._cursors(commit=True) as (own, c):
            self._lock_rows(own)
            self._start_over(c, application_name)

    def _start_over(self, c: Any, application_name: str) -> None:
        """Empty every table of the view and forget how far it followed the log."""
        self._empty(c)
        c.execute(
            f"DELETE FROM {self.TRACKING} WHERE application_name = {self.PARAM}",
            [application_name],
        )

    def _write_rows(self, c: Any, rows: Iterable[tuple[Any, ...]]) -> None:
        # A row keeps the order of its first insert, which is therefore the
        # recording order; `select` needs it when recording times are equal.
        marks = ",".join([self.PARAM] * len(COLUMNS))
        updates = ", ".join(f"{name} = excluded.{name}" for name in COLUMNS[1:])
        c.executemany(
            f"INSERT INTO {self.ROWS} ({', '.join(COLUMNS)}) VALUES ({marks})"
            f" ON CONFLICT (finding_id) DO UPDATE SET {updates}",
            list(rows),
        )

    def _write_versions(self, c: Any, versions: list[tuple[Any, ...]]) -> None:
        names = (*COLUMNS, *VERSION_COLUMNS)
        marks = ",".join([self.PARAM] * len(names))
        c.executemany(
            f"INSERT INTO {self.VERSIONS} ({', '.join(names)}) VALUES ({marks})",
            versions,
        )

    def _columns(self, s: FindingState) -> tuple[Any, ...]:
        return (
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

    def _reach(self, c: Any, finding_ids: Sequence[str]) -> dict[str, Reach]:
        """Read how far each finding's versions reach, to extend them."""
        found: dict[str, Reach] = {}
        for start in range(0, len(finding_ids), 500):
            chunk = list(finding_ids[start : start + 500])
            marks = ",".join([self.PARAM] * len(chunk))
            c.execute(
                "SELECT finding_id, max(reach), max(reach_day), min(first_position),"
                f" min(in_order) FROM {self.VERSIONS}"
                f" WHERE finding_id IN ({marks}) GROUP BY finding_id",
                chunk,
            )
            for key, at, day, first, in_order in c.fetchall():
                found[key] = Reach(at, day, first, bool(in_order))
        return found

    def ids_starting(self, start: str, limit: int = 2) -> list[str]:
        """Name up to `limit` findings whose id starts so (lower-case hex and dashes)."""
        with self._cursors(commit=False) as (_, c):
            c.execute(
                f"SELECT finding_id FROM {self.ROWS} WHERE finding_id LIKE {self.PARAM}"
                f" ORDER BY finding_id LIMIT {int(limit)}",
                [f"{start}%"],
            )
            return [key for (key,) in c.fetchall()]

    def first_positions(self, unit: str = "") -> dict[str, int]:
        """Say for every finding (of `unit`, if given) the log position of its
        first event: with its recording moment, the order of the ledger's rows."""
        where, params = (f" WHERE reporting_unit = {self.PARAM}", [unit]) if unit else ("", [])
        with self._cursors(commit=False) as (_, c):
            c.execute(
                f"SELECT finding_id, min(first_position) FROM {self.VERSIONS}{where}"
                " GROUP BY finding_id",
                params,
            )
            return dict(c.fetchall())

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

    def units_in_use(self) -> set[str]:
        """Name every unit with findings, and every unit with a record of its own
        (weekly submissions, screenings, a seal)."""
        with self._cursors(commit=False) as (_, c):
            c.execute(
                f"SELECT DISTINCT reporting_unit FROM {self.ROWS}"
                f" UNION SELECT unit FROM {self.UNIT_RECORDS}"
            )
            return {unit for (unit,) in c.fetchall()}

    def category_usage(self) -> dict[str, int]:
        """Return each category in use with the highest check item number used,
        by a finding or a screening."""
        usage: dict[str, int] = {}
        with self._cursors(commit=False) as (_, c):
            for sql in (
                f"SELECT category, max({self.CHECK_ITEM}) FROM {self.ROWS} GROUP BY category",
                f"SELECT category, max(check_item) FROM {self.SCREENINGS} GROUP BY category",
            ):
                c.execute(sql)
                for category, top in c.fetchall():
                    usage[category] = max(usage.get(category, 0), int(top))
        return usage

    def select(
        self, query: LedgerQuery, at: Moment | None = None
    ) -> list[FindingState]:
        """Return the rows matching a query, in recording order.

        Without `at`, as they stand now; with it, as they stood then (see
        `Moment`), read from the versions table.
        """
        return self.page(query, 0, None, at)

    def count(self, query: LedgerQuery, at: Moment | None = None) -> int:
        """Count the rows `select` would return."""
        source, params = self._source(at, query)
        where, more = self._where(query)
        with self._cursors(commit=False) as (_, c):
            c.execute(f"SELECT count(*) FROM {source}{where}", params + more)
            (total,) = c.fetchone()
            return int(total)

    def page(
        self,
        query: LedgerQuery,
        offset: int,
        limit: int | None,
        at: Moment | None = None,
        total: int | None = None,
    ) -> list[FindingState]:
        """Return `limit` rows of `select`'s answer from `offset` (all with None).

        Given the answer's `total` (`count`), a page in its second half is
        read from the end, so the newest rows cost as little as the first.
        """
        source, params = self._source(at, query)
        seen = self._first_seen(at)
        where, more = self._where(query)
        order = f"recorded_at, {seen}"
        backwards = limit is not None and total is not None and offset > total // 2
        if backwards:
            assert limit is not None and total is not None
            end = min(total, offset + limit)
            offset, limit = total - end, max(0, end - offset)
            order = f"recorded_at DESC, {seen} DESC"
        sql = f"SELECT state FROM {source}{where} ORDER BY {order}"
        if limit is not None:
            sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
        with self._cursors(commit=False) as (_, c), _collector_paused():
            c.execute(sql, params + more)
            states = [load_state(text) for (text,) in c.fetchall()]
        return states[::-1] if backwards else states

    def index_of(
        self, query: LedgerQuery, finding_id: str, at: Moment | None = None
    ) -> int | None:
        """Return where a finding stands in `select`'s answer (None if not in it)."""
        source, params = self._source(at, query)
        seen = self._first_seen(at)
        where, more = self._where(query)
        p = self.PARAM
        with self._cursors(commit=False) as (_, c):
            key = " AND " if where else " WHERE "
            c.execute(
                f"SELECT recorded_at, {seen} FROM {source}{where}{key}finding_id = {p}",
                params + more + [finding_id],
            )
            found = c.fetchone()
            if found is None:
                return None
            # Two range counts rather than one with OR, so each reads an
            # index range: those recorded earlier, and earlier at the same time.
            before = 0
            for condition, values in (
                (f"recorded_at < {p}", [found[0]]),
                (f"recorded_at = {p} AND {seen} < {p}", [found[0], found[1]]),
            ):
                c.execute(
                    f"SELECT count(*) FROM {source}{where}{key}{condition}",
                    params + more + values,
                )
                before += int(c.fetchone()[0])
            return before

    def position_before(self, moment: datetime) -> int:
        """Return the newest log position recorded before a moment (0 if none)."""
        with self._cursors(commit=False) as (_, c):
            c.execute(
                f"SELECT max(position) FROM {self.MOMENTS} WHERE at < {self.PARAM}",
                [moment_text(moment)],
            )
            (position,) = c.fetchone()
            return int(position or 0)

    def out_of_order(self) -> set[str]:
        """Return the findings with a step whose business day precedes an earlier step's.

        Their ledger "as known on a day" is not one of their versions, so it
        is replayed from their events instead.
        """
        with self._cursors(commit=False) as (_, c):
            c.execute(f"SELECT DISTINCT finding_id FROM {self.VERSIONS} WHERE in_order = 0")
            return {key for (key,) in c.fetchall()}

    def to_replay(self, day: date, position: int | None = None, unit: str = "") -> set[str]:
        """Return the findings whose ledger "as known on" a day no version shows.

        Those whose business days went backwards (see `out_of_order`), and
        those corrected or voided after the day: a mend counts whenever made
        (domain.audit.replay), while one made by then is in the versions as
        any step is. With `position`, as the log stood there; with `unit`,
        only that unit's findings. One pass over the versions.
        """
        p = self.PARAM
        kinds = sorted(MENDING)
        where = f"(in_order = 0 OR (kind IN ({', '.join([p] * len(kinds))}) AND reach_day > {p}))"
        params: list[Any] = [*kinds, day.isoformat()]
        if position is not None:
            where += f" AND position <= {p}"
            params.append(position)
        if unit:
            where += f" AND reporting_unit = {p}"
            params.append(unit)
        with self._cursors(commit=False) as (_, c):
            c.execute(f"SELECT DISTINCT finding_id FROM {self.VERSIONS} WHERE {where}", params)
            return {key for (key,) in c.fetchall()}

    def steps_after(self, unit: str, position: int) -> int:
        """Count the events on a unit's findings logged after a position."""
        p = self.PARAM
        with self._cursors(commit=False) as (_, c):
            c.execute(
                f"SELECT count(*) FROM {self.VERSIONS}"
                f" WHERE reporting_unit = {p} AND position > {p}",
                [unit, position],
            )
            return int(c.fetchone()[0])

    def tally(
        self, kinds: Sequence[str], start: datetime, end: datetime
    ) -> list[tuple[str, str]]:
        """List (finding, event kind) of events of those kinds recorded in [start, end)."""
        p = self.PARAM
        marks = ",".join([p] * len(kinds))
        with self._cursors(commit=False) as (_, c):
            c.execute(
                f"SELECT finding_id, kind FROM {self.VERSIONS}"
                f" WHERE kind IN ({marks}) AND at >= {p} AND at < {p}",
                [*kinds, moment_text(start), moment_text(end)],
            )
            return [(key, kind) for key, kind in c.fetchall()]

    def _source(
        self, at: Moment | None, query: LedgerQuery | None = None
    ) -> tuple[str, list[Any]]:
        """Name the rows to read: the current ones, or each finding's version at a moment.

        For a moment and a unit, only findings that were ever the unit's are
        looked at (the unit of the version shown is still checked by the
        query), so one unit's past costs its own findings, not the province's.
        """
        if at is None:
            # The table itself, so that counts and ranges read its indexes.
            return self.ROWS, []
        p = self.PARAM
        within = [
            f"{column} {'<' if column == 'reach' else '<='} {p}" for column, _ in at.bounds
        ]
        params = [value for _, value in at.bounds]
        v = self.VERSIONS
        if query is not None and query.unit:
            within.append(
                f"finding_id IN (SELECT finding_id FROM {v} WHERE reporting_unit = {p})"
            )
            params.append(query.unit)
        return (
            f"(SELECT v.*, v.first_position AS first_seen FROM {v} AS v JOIN"
            f" (SELECT finding_id AS fid, max(version) AS top FROM {v}"
            f" WHERE {' AND '.join(within)} GROUP BY finding_id) AS m"
            " ON v.finding_id = m.fid AND v.version = m.top) AS r",
            params,
        )

    def _first_seen(self, at: Moment | None) -> str:
        """Name the column that orders findings recorded at the same moment."""
        return self.ORDER if at is None else "first_seen"

    def _where(self, query: LedgerQuery) -> tuple[str, list[Any]]:
        p = self.PARAM
        where: list[str] = []
        params: list[Any] = []
        for column, value in (
            ("reporting_unit", query.unit),
            ("category", query.category),
            ("nature", query.nature),
            ("status", query.status),
            ("finding_id", query.finding_id),
        ):
            if value:
                where.append(f"{column} = {p}")
                params.append(value)
        open_states = [str(s) for s in Status if s not in FINAL]
        open_states.remove(str(Status.AWAITING_ACCEPTANCE))
        marks = ",".join([p] * len(open_states))
        if query.overdue_on is not None:
            where.append(f"deadline < {p} AND status IN ({marks})")
            params += [query.overdue_on.isoformat(), *open_states]
        if query.due_between is not None:
            first, last = query.due_between
            where.append(f"deadline >= {p} AND deadline <= {p} AND status IN ({marks})")
            params += [first.isoformat(), last.isoformat(), *open_states]
        for word in query.text.lower().split():
            where.append(self.CONTAINS)
            params.append(word)
        return (" WHERE " + " AND ".join(where) if where else ""), params

    def create_table(self) -> None:
        super().create_table()  # type: ignore[misc]
        if (self.max_tracking_id(SCHEMA_MARK) or 0) < VIEW_SCHEMA:
            self.reset()

    def _empty(self, c: Any) -> None:
        for table in self.tables():
            c.execute(f"DELETE FROM {table}")

    def logged_rows(
        self, upto: int
    ) -> Iterator[tuple[tuple[int, int], str, tuple[Any, ...]]]:
        """Yield every version, moment and screening up to a log position, table by table.

        Each as (a sort key, its finding or "" for the others, its values),
        in log order within a table, for comparing the view with one folded
        afresh (`Ledger.verify`). Read a thousand at a time, so a province's
        log is never held whole.
        """
        p = self.PARAM
        # Each table: its columns, where its log position is, where its finding is.
        tables = (
            (self.VERSIONS, (*COLUMNS, *VERSION_COLUMNS), len(COLUMNS) + 1, 0),
            (self.MOMENTS, ("position", "at"), 0, None),
            (self.SCREENINGS, SCREENING_COLUMNS, 0, None),
            (self.UNIT_RECORDS, UNIT_RECORD_COLUMNS, 0, None),
        )
        for kind, (table, columns, at, owner) in enumerate(tables):
            after = -1
            while True:
                with self._cursors(commit=False) as (_, c):
                    c.execute(
                        f"SELECT {', '.join(columns)} FROM {table}"
                        f" WHERE position > {p} AND position <= {p}"
                        " ORDER BY position LIMIT 1000",
                        [after, upto],
                    )
                    rows = c.fetchall()
                if not rows:
                    break
                for row in rows:
                    yield (kind, row[at]), "" if owner is None else row[owner], tuple(row)
                after = rows[-1][at]

    def rows_unlike_versions(self) -> list[str]:
        """List findings whose current row is not their newest version (or lacks one).

        Each row is matched with its newest version through the versions'
        primary key, and versions with no row are looked up by the rows' own:
        a join of the whole tables on a grouped subquery took over a minute at
        10,000 findings.
        """
        v = self.VERSIONS
        differs = " OR ".join(f"r.{name} {self.NOT_SAME} n.{name}" for name in COLUMNS[1:])
        with self._cursors(commit=False) as (_, c):
            c.execute(
                f"SELECT r.finding_id FROM {self.ROWS} AS r LEFT JOIN {v} AS n"
                " ON n.finding_id = r.finding_id AND n.version ="
                f" (SELECT max(version) FROM {v} AS x WHERE x.finding_id = r.finding_id)"
                f" WHERE n.finding_id IS NULL OR {differs}"
                f" UNION SELECT DISTINCT x.finding_id FROM {v} AS x WHERE NOT EXISTS"
                f" (SELECT 1 FROM {self.ROWS} AS r WHERE r.finding_id = x.finding_id)"
            )
            return sorted(key for (key,) in c.fetchall())

    def reset(self) -> None:
        """Make the view's tables anew, empty, so that the next catch-up folds
        the whole log again: tables of an earlier schema may lack a column."""
        with self._cursors(commit=True) as (own, c):
            self._lock_rows(own)
            for table in self.tables():
                c.execute(f"DROP TABLE IF EXISTS {table}")
            for sql in self.view_sql():
                c.execute(sql)
            c.execute(
                f"DELETE FROM {self.TRACKING} WHERE application_name <> {self.PARAM}",
                ["__migration__"],
            )
            self._insert_tracking(own, Tracking(SCHEMA_MARK, VIEW_SCHEMA))


class LedgerView(LedgerRows, SQLiteTrackingRecorder):
    """The ledger rows in the embedded SQLite file, beside the events."""

    # Pages SQLite may hold in memory while a whole view is written (see
    # `refolding`), in KiB: its default of 2 MiB writes every batch's index
    # pages out again and again.
    BULK_CACHE_KIB = 64 * 1024

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *self.view_sql()]

    def view_sql(self) -> list[str]:
        return [
            # INTEGER, not BIGINT, so that a moment's position is the rowid.
            *view_tables_sql(
                self.ROWS,
                self.VERSIONS,
                self.MOMENTS,
                self.SCREENINGS,
                self.UNIT_RECORDS,
                "INTEGER",
                "",
                "",
            ),
            # Every opening asks for each category's highest check item
            # (`category_usage`); without this index that parses every row's
            # JSON, a twentieth of a second at 10,000 findings.
            f"CREATE INDEX IF NOT EXISTS ledger_rows_item"
            f" ON {self.ROWS} (category, {self.CHECK_ITEM})",
        ]

    def _bulk_start(self, c: Any) -> Any:
        c.execute("PRAGMA cache_size")
        (pages,) = c.fetchone()
        c.execute(f"PRAGMA cache_size = -{self.BULK_CACHE_KIB}")
        return pages

    def _bulk_end(self, c: Any, before: Any) -> None:
        # The setting would outlive the transaction on this pooled connection.
        c.execute(f"PRAGMA cache_size = {int(before)}")

    def _lock_rows(self, c: Any) -> None:
        # A write that changes nothing takes SQLite's write lock now, so the
        # reads that follow see the latest commit and nobody commits after them.
        c.execute("UPDATE tracking SET notification_id = notification_id WHERE 0")


class LedgerProjection(Projection[LedgerRows]):
    """Fold the log into ledger rows, versions, moments, unit records and screenings."""

    name = "ledger"

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.process_batch([(tracking.notification_id, domain_event)], tracking, None)

    def process_batch(
        self, entries: Sequence[tuple[int, Any]], tracking: Tracking, start: int | None
    ) -> bool:
        """Fold a run of logged events following log position `start` in one commit.

        `entries` pairs each event with its log position. With `start` None
        the position is not checked: a runner that feeds events one by one in
        order (ProjectionRunner) guarantees it.

        Events that are not finding events still advance the tracking position.
        Returns False when the view had already moved past `start`.
        """
        return self.view.fold_in(
            tracking.application_name,
            start,
            entries,
            tracking,
            _evolve,
        )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Hold off the cyclic garbage collector while a view makes states in bulk.

    A refold keeps every finding's state alive, and a whole ledger read
    makes one per row; neither makes reference cycles, so the collector's
    full passes find nothing, yet each walks all those states: at 100,000
    findings they took a quarter of the rebuild and a tenth of a read.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _evolve(state: FindingState | None, event: Any) -> FindingState:
    return event.evolve(state)
