"""The fast path for filling an empty portfolio with many whole pilots: `caio-tui generate` (bulk_add)
and a snapshot import (store.replace.replace_contents, through loading and insert_batch).

`Portfolio.import_records` adds a pilot at a time through sqlite-utils, which is right for a sample of
thirty and far too slow for a hundred thousand (about 1 ms a pilot). Here the rows go in with raw INSERT
statements of a few hundred rows each, batch after batch (the caller may stream them: memory stays flat),
all inside ONE transaction with ONE audit event. The derived columns the table sorts and filters by
(readiness, not_assessed, territory, open_blockers, top_blocker, below_gate) come from domain.derived, the same
computation `store.writes.refresh` applies, so a loaded pilot reads exactly as if it had been built change
by change (tests check every generated pilot against the domain's readiness() and territory()).

Secondary indexes and the full-text triggers are dropped for the load and rebuilt from the full tables at
the end (from their own SQL in sqlite_schema, so a later migration's indexes come back too): building an
index once is several times cheaper than updating it a row at a time. 100,000 pilots (1.2 million
coverage rows) take about 7 s of CPU on these machines.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from itertools import islice
from typing import Any, NamedTuple

from caio_tui.domain.coverage import CoverageStatus
from caio_tui.domain.derived import Derivation, DerivedColumns, OpenBlocker
from caio_tui.domain.stages import Stage
from caio_tui.domain.territory import BlockerCategory, Territory
from caio_tui.store import audit, rows
from caio_tui.store.errors import StoreError
from caio_tui.store.insert_rows import BULK_COLUMNS
from caio_tui.store.portfolio import Portfolio
from caio_tui.store.queries import STAGE_POSITION

LOAD_CACHE_KIB = -65_536  # SQLite's page cache during a load: 64 MB (negative: KiB)
CHUNK = 2_000
"""Pilots per executemany round: large enough to amortise the call, small enough for a smooth progress bar."""

_BULK_TABLES = ("pilot", "coverage", "blocker", "stage_move")


class NewCoverage(NamedTuple):
    item: str
    status: CoverageStatus
    evidence: str = ""
    justification: str = ""


class NewBlocker(NamedTuple):
    tag: str
    note: str
    opened_at: datetime
    resolved_at: datetime | None = None


class NewMove(NamedTuple):
    from_stage: Stage | None
    to_stage: Stage
    moved_at: datetime
    override: str = ""


class NewPilot(NamedTuple):
    """A whole pilot to add: plain tuples, because a million pydantic models would cost more than the load."""

    id: str
    name: str
    office: str
    owner: str
    stage: Stage
    high_impact: bool
    description: str
    created_at: datetime
    stage_entered_at: datetime
    coverage: tuple[NewCoverage, ...] = ()
    blockers: tuple[NewBlocker, ...] = ()
    moves: tuple[NewMove, ...] = ()


Progress = Callable[[str, int], None]
"""Called with ("adding", pilots added so far) after each chunk, then ("indexing", total) once before the
indexes and the full-text index are built, the last long step."""


class RowBatch(NamedTuple):
    """Rows for the four bulk tables, each table's values in one flat list in its column order (no tuple
    per row: the flat list is what a multi-row INSERT binds). `pilots` counts the pilots in it; `ends` says,
    pilot by pilot, where its rows end in the coverage, blocker and move values (the lists' lengths once its
    rows were added), so that the seal finds each pilot's rows without searching them (store/bulk_seal.py)."""

    pilots: int
    pilot_values: list[Any]
    coverage_values: list[Any]
    blocker_values: list[Any]
    move_values: list[Any]
    ends: list[tuple[int, int, int]]


PILOT_COLUMNS = BULK_COLUMNS["pilot"]
COVERAGE_COLUMNS = BULK_COLUMNS["coverage"]
BLOCKER_COLUMNS = BULK_COLUMNS["blocker"]
MOVE_COLUMNS = BULK_COLUMNS["stage_move"]


def insert_batch(portfolio: Portfolio, batch: RowBatch) -> None:
    """Insert a batch inside the caller's transaction; StoreError (nothing kept once the caller's
    transaction rolls back) on a constraint the rows break."""
    conn = portfolio.conn
    loading = portfolio.seal.loading
    if loading is not None:  # a bulk load seals its pilots from these values (store/bulk_seal.py)
        loading.add(batch.pilot_values, batch.coverage_values, batch.blocker_values, batch.move_values, batch.ends)
    try:
        for table, columns, values in (
            ("pilot", PILOT_COLUMNS, batch.pilot_values),
            ("coverage", COVERAGE_COLUMNS, batch.coverage_values),
            ("blocker", BLOCKER_COLUMNS, batch.blocker_values),
            ("stage_move", MOVE_COLUMNS, batch.move_values),
        ):
            for sql, params in _inserts(table, columns, values):
                conn.execute(sql, params)
    except sqlite3.IntegrityError as exc:
        raise StoreError(f"{portfolio.path}: cannot add the pilots ({exc}); nothing was added") from None


@contextmanager
def loading(portfolio: Portfolio, *, refuse: Callable[[int], str]) -> Iterator[Callable[[], None]]:
    """The bulk load of an EMPTY portfolio: one transaction in load mode (see _load_mode) with the
    secondary indexes and full-text triggers dropped. The caller inserts its batches with insert_batch
    and appends its audit event inside the block; on leaving it the indexes and the full-text index are
    built from the loaded rows and the transaction commits. Any exception in the block rolls everything
    back (indexes included). refuse(pilots) is the StoreError message when the portfolio has pilots.

    Yields a function the caller may call once all rows are in, to build the indexes before its own last
    steps (e.g. to report "indexing" progress); otherwise they are built on leaving.

    No ANALYZE afterwards, on purpose: with statistics the planner chose worse plans for several
    per-keystroke counts at 100k (office: 16 -> 36 ms, stalled sorted by days 2 -> 35 ms); the queries
    carry their own planner hints (store/queries.py) instead."""
    with no_cycle_collection(), _load_mode(portfolio), portfolio.session.transaction():
        found = portfolio.conn.execute("SELECT count(*) FROM pilot").fetchone()[0]
        if found:
            raise StoreError(refuse(int(found)))
        # Every row is digested once at commit (store/seal.py), not by a trigger call per row.
        with portfolio.seal.bulk():
            rebuild = _drop_derived_structures(portfolio.conn)
            built = False

            def build() -> None:
                nonlocal built
                if not built:
                    built = True
                    _rebuild(portfolio.conn, rebuild)

            yield build
            build()


def bulk_add(
    portfolio: Portfolio,
    pilots: Iterable[NewPilot],
    *,
    action: str,
    details: Mapping[str, Any],
    source: str,
    by: str,
    progress: Progress | None = None,
) -> int:
    """Add every pilot to an EMPTY portfolio in one transaction with one audit event `action` whose
    `after` is `details` plus the count; `by` is recorded as who set each coverage item, opened each
    blocker and made each move; `progress` hears how far it got (see Progress). Returns how many
    pilots were added. Raises StoreError when the portfolio has pilots already or a pilot is invalid
    (unknown item or tag, a waiver without justification, a repeated id); nothing is added then."""
    loader = _Loader(portfolio, by)

    def refuse(found: int) -> str:
        return f"{portfolio.path}: the portfolio has {found} pilot(s); bulk loading needs an empty one"

    with loading(portfolio, refuse=refuse) as build_indexes:
        added = 0
        for chunk in _chunks(pilots, CHUNK):
            batch = loader.batch(chunk)
            insert_batch(portfolio, batch)
            added += batch.pilots
            if progress is not None:
                progress("adding", added)
        if progress is not None:
            progress("indexing", added)
        build_indexes()
        audit.append(
            portfolio.conn,
            at=rows.timestamp(portfolio.clock()),
            actor=portfolio.actor,
            action=action,
            pilot_id=None,
            before=None,
            after={**details, "pilots": added},
            source=source,
        )
    return added


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Pause Python's cycle collector during a load or a large parse (nesting is fine): the objects make
    no cycles (reference counting frees them), but millions of them trigger a collection every 700
    allocations, each walking everything still alive; that was a quarter of a load's Python time, and
    made a 100,000-pilot snapshot parse take minutes."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def _load_mode(portfolio: Portfolio) -> Iterator[None]:
    """Settings for the length of a load, put back afterwards (they only take effect outside a transaction).

    - Foreign keys off: the loader checks every item and tag itself, and SQLite's per-row look-ups cost a
      third of the insert time.
    - A rollback journal instead of the WAL: the pages are written once, into the file, instead of into
      the WAL and again at the checkpoint. The load stays atomic: the journal keeps the few pages of the
      empty portfolio. Another connection open on the file keeps the WAL in place (slower, as safe): the
      switch needs the file to itself and is refused at once, never waited for. A program that opens the
      file during the load waits for the load to end (up to the busy timeout, 30 s), then works: its own
      open switches the file back to WAL if this load could not. (Kept for the speed: 100,000 pilots
      load in 17 s this way, 25 to 30 s through the WAL, measured side by side on a loaded 2-core machine.)
    - A 64 MB page cache instead of 2 MB, for the index builds at the end."""
    conn = portfolio.conn
    with portfolio.session.lock:
        conn.execute("PRAGMA foreign_keys = OFF")
        cache = int(conn.execute("PRAGMA cache_size").fetchone()[0])
        conn.execute(f"PRAGMA cache_size = {LOAD_CACHE_KIB}")
        journal = str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()
        if journal == "wal":
            with contextlib.suppress(sqlite3.OperationalError):
                conn.execute("PRAGMA journal_mode = DELETE")
        try:
            yield
        finally:
            if journal == "wal":
                with contextlib.suppress(sqlite3.OperationalError):
                    conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(f"PRAGMA cache_size = {cache}")
            conn.execute("PRAGMA foreign_keys = ON")


def _chunks(pilots: Iterable[NewPilot], size: int) -> Iterator[list[NewPilot]]:
    iterator = iter(pilots)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _drop_derived_structures(conn: sqlite3.Connection) -> list[str]:
    """Drop the secondary indexes of the bulk tables and the full-text triggers; returns the SQL that
    recreates them. Primary keys and the FTS table itself stay."""
    marks = ", ".join("?" * len(_BULK_TABLES))
    found = conn.execute(
        f"SELECT type, name, sql FROM sqlite_schema WHERE type IN ('index', 'trigger') AND sql IS NOT NULL "
        f"AND tbl_name IN ({marks}) ORDER BY type, name",
        _BULK_TABLES,
    ).fetchall()
    for kind, name, _sql in found:
        conn.execute(f'DROP {kind.upper()} "{name}"')
    return [sql for _kind, _name, sql in found]


def _rebuild(conn: sqlite3.Connection, statements: list[str]) -> None:
    for sql in statements:
        conn.execute(sql)
    # The FTS table mirrors pilot (external content): fill it from the table in one pass.
    conn.execute("INSERT INTO pilot_fts (pilot_fts) VALUES ('rebuild')")


class _Loader:
    """Turns chunks of NewPilot into rows with their derived columns, checking what the schema's foreign
    keys and CHECKs would (they are off or costly during the load)."""

    def __init__(self, portfolio: Portfolio, by: str) -> None:
        catalog = portfolio.catalog()
        self.by = by
        self.categories = {t.tag: t.category for t in portfolio.tags()}
        self.items = {i.id for i in catalog.items()}
        self.high_impact_items = self.items - {i.id for i in catalog.items(high_impact=False)}
        self.derivation = Derivation(catalog, portfolio.rules())
        self._stamps: dict[datetime, str] = {}

    def stamp(self, moment: datetime) -> str:
        text = self._stamps.get(moment)
        if text is None:
            text = self._stamps[moment] = rows.timestamp(moment)
        return text

    def batch(self, chunk: list[NewPilot]) -> RowBatch:
        pilots: list[Any] = []
        coverage: list[Any] = []
        blockers: list[Any] = []
        moves: list[Any] = []
        ends: list[tuple[int, int, int]] = []
        for p in chunk:
            self._add_pilot(p, pilots)
            self._add_coverage(p, coverage)
            self._add_blockers(p, blockers)
            self._add_moves(p, moves)
            ends.append((len(coverage), len(blockers), len(moves)))
        return RowBatch(len(chunk), pilots, coverage, blockers, moves, ends)

    def derived(self, p: NewPilot) -> DerivedColumns:
        statuses = {c.item: c.status for c in p.coverage}
        open_blockers = [
            OpenBlocker(b.tag, self._category(p.id, b.tag), self.stamp(b.opened_at))
            for b in p.blockers
            if b.resolved_at is None
        ]
        fields = {"name": p.name, "office": p.office, "owner": p.owner, "description": p.description}
        return self.derivation.columns(statuses, p.high_impact, open_blockers, stage=p.stage, fields=fields)

    def _add_pilot(self, p: NewPilot, out: list[Any]) -> None:
        d = self.derived(p)
        out += (
            p.id,
            p.name,
            p.office,
            p.owner,
            _TEXT[p.stage],
            STAGE_POSITION[p.stage],
            int(p.high_impact),
            p.description,
            "{}",
            self.stamp(p.created_at),
            self.stamp(p.stage_entered_at),
            d.readiness,
            d.not_assessed,
            _TEXT[d.territory],
            d.open_blockers,
            d.top_blocker,
            int(d.below_gate),
            int(d.ready),
        )

    def _category(self, pilot_id: str, tag: str) -> BlockerCategory:
        category = self.categories.get(tag)
        if category is None:
            raise StoreError(f"{pilot_id}: unknown blocker tag {tag!r}; nothing was added")
        return category

    def _add_coverage(self, p: NewPilot, out: list[Any]) -> None:
        pilot_id, at, by, items = p.id, self.stamp(p.stage_entered_at), self.by, self.items
        for c in p.coverage:
            if c.item not in items:
                raise StoreError(f"{pilot_id}: unknown requirement item {c.item!r}; nothing was added")
            if not p.high_impact and c.item in self.high_impact_items:
                raise StoreError(f"{pilot_id}: {c.item} applies to high-impact use cases only; nothing was added")
            if c.status in _LEFT_OUT and not c.justification.strip():
                raise StoreError(
                    f"{pilot_id}: {c.item} is {c.status.value} and needs a justification; nothing was added"
                )
            out += (pilot_id, c.item, _TEXT[c.status], c.evidence, c.justification, at, by)

    def _add_blockers(self, p: NewPilot, out: list[Any]) -> None:
        for b in p.blockers:
            self._category(p.id, b.tag)
            if b.resolved_at is None:
                out += (p.id, b.tag, b.note, self.stamp(b.opened_at), self.by, None, "", "")
            else:
                out += (p.id, b.tag, b.note, self.stamp(b.opened_at), self.by, self.stamp(b.resolved_at), self.by, "")

    def _add_moves(self, p: NewPilot, out: list[Any]) -> None:
        for m in p.moves:
            before = _TEXT[m.from_stage] if m.from_stage else None
            out += (p.id, before, _TEXT[m.to_stage], self.stamp(m.moved_at), self.by, m.override, "[]")


# Enum .value goes through a descriptor; a dict look-up is several times cheaper, a million rows over.
_TEXT: dict[StrEnum, str] = {e: e.value for kind in (CoverageStatus, Stage, Territory) for e in kind}
_LEFT_OUT = frozenset(s for s in CoverageStatus if not s.counts_in_readiness)

_MAX_PARAMETERS = 30_000  # under SQLite's default limit of 32,766 bound parameters per statement
_ROWS_PER_STATEMENT = 300


@functools.cache
def _insert_sql(table: str, columns: tuple[str, ...], count: int) -> str:
    one = "(" + ", ".join("?" * len(columns)) + ")"
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES " + ", ".join([one] * count)


def _inserts(table: str, columns: tuple[str, ...], values: list[Any]) -> Iterator[tuple[str, list[Any]]]:
    """Several rows per INSERT statement rather than executemany's one: a CHECK with an IN list (coverage
    status, pilot stage) builds its look-up table once per statement run, which made one-row statements
    spend more time on the CHECK than on the insert."""
    width = len(columns)
    step = min(_ROWS_PER_STATEMENT, _MAX_PARAMETERS // width) * width
    for start in range(0, len(values), step):
        group = values[start : start + step]
        yield _insert_sql(table, columns, len(group) // width), group
