"""The repository: every read and write of a portfolio. Each write runs in one transaction with its
audit event, so an interrupted program leaves the file as it was before the write."""

from __future__ import annotations

import contextlib
import functools
import json
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from caio_tui.domain.filters import PilotFilter
from caio_tui.domain.pilot_row import PilotRow
from caio_tui.domain.stages import DEFAULT_STALLED_DAYS, Stage, is_stalled
from caio_tui.domain.territory import CATEGORY_WEIGHT, BlockerCategory
from caio_tui.store import audit, database, rows, seal
from caio_tui.store.database import busy_error, connect, is_busy, is_corrupt, out_of_space
from caio_tui.store.errors import PortfolioError, StoreError
from caio_tui.store.lazy import LazyModule
from caio_tui.store.queries import (
    STAGE_POSITION,
    SortKey,
    Text,
    ascending,
    before,
    common_threshold,
    conditions,
    fts_query,
    order_by,
    order_by_column,
    page_plan,
    sort_column,
    sort_value,
    text_only,
    where,
)

if TYPE_CHECKING:
    import sqlite_utils
    from pydantic import ValidationError

    from caio_tui.domain import staleness
    from caio_tui.domain.blockers import BlockerTag
    from caio_tui.domain.coverage import Catalog, CoverageStatus, Framework
    from caio_tui.domain.derived import Derivation
    from caio_tui.domain.gates import GateResult, GateRules
    from caio_tui.domain.history import AuditEvent
    from caio_tui.domain.pilots import Pilot, PilotFields, PilotRecord
    from caio_tui.store import models
else:
    # The models (pydantic) are imported at the first read or write that builds one, not at start-up: the
    # table's pages are PilotRows (see lazy.py).
    models = LazyModule("caio_tui.store.models")

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class GateRefused(StoreError):
    """A move the gate refused; carries the result with every failing rule."""

    def __init__(self, result: GateResult) -> None:
        super().__init__(f"the gate into {result.to_stage.value} refused {result.pilot_id}")
        self.result = result


class _WriteLock:
    """The write connection's lock: reentrant, and it knows which thread holds it, so that thread's reads
    (inside a write, or a read that must see one state of the file) go through the write connection."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._owner: int | None = None
        self._depth = 0

    def acquire(self, blocking: bool = True) -> bool:
        if not self._lock.acquire(blocking):
            return False
        self._owner = threading.get_ident()
        self._depth += 1
        return True

    def release(self) -> None:
        self._depth -= 1
        if not self._depth:
            self._owner = None
        self._lock.release()

    def held(self) -> bool:
        return self._owner == threading.get_ident()

    def __enter__(self) -> _WriteLock:
        self.acquire()
        return self

    def __exit__(self, *_: object) -> None:
        self.release()


# What the whole list holds, for a position counted from the list's end: the table, or the word's matches.
_TOTAL = {
    Text.MATCHES: "SELECT count(*) FROM pilot",
    Text.WALK: "SELECT count(*) FROM pilot_fts WHERE pilot_fts MATCH ?",
}
_REMEMBERED_WORDS = 32  # match counts kept to choose the plan of the pages that follow a count


class Portfolio:
    """One portfolio file. Safe to share between the UI thread and workers: writes (and reads inside them)
    go through one write connection, one thread at a time; a read that finds it busy takes a read
    connection of its own, so a page read on the UI thread never waits for a worker's long count or write
    (the file is in WAL mode, where readers and the writer do not block each other)."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path,
        *,
        actor: str,
        stalled_days: int = DEFAULT_STALLED_DAYS,
        clock: Clock = _utcnow,
    ) -> None:
        self.conn = conn
        self.path = path
        self.actor = actor
        self.stalled_days = stalled_days
        self.clock = clock
        self._lock = _WriteLock()
        self._readers: list[sqlite3.Connection] = []  # idle read connections
        self._readers_lock = threading.Lock()
        self._closed = False
        self._concurrent_reads = database.in_wal_mode(conn)
        self._match_counts: dict[str, int] = {}  # recent full-text counts, only to choose a page's plan
        self._middles: dict[SortKey, tuple[int, tuple[Any, str] | None]] = {}  # see _past_middle
        self._catalog: Catalog | None = None
        self._derived: Derivation | None = None
        self._derived_for: Catalog | None = None
        self._rules: GateRules | None = None
        self._rules_at = 0  # the version of the cached rules: another program may load new ones
        self.seal = seal.SealKeeper(conn)
        self._committed_at = -1.0  # when this connection's last write committed (time.monotonic)

    # ---- opening -------------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        actor: str,
        create: bool = False,
        stalled_days: int = DEFAULT_STALLED_DAYS,
        clock: Clock = _utcnow,
        name: str | None = None,
    ) -> Portfolio:
        conn = connect(path, create=create)
        portfolio = cls(conn, path, actor=actor, stalled_days=stalled_days, clock=clock)
        try:
            if portfolio._meta("name") is None:
                portfolio._seed(name or path.stem)
            portfolio._seal_if_never_sealed()
        except BaseException:
            conn.close()
            raise
        return portfolio

    @functools.cached_property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils on the write connection, for the writes that use it. Imported at the first such
        write: it costs about 50 ms of start-up, and no read needs it."""
        import sqlite_utils

        return sqlite_utils.Database(self.conn)

    def close(self) -> None:
        with self._readers_lock:
            self._closed = True
            idle, self._readers = self._readers, []
        for reader in idle:
            reader.close()
        with self._lock:
            self.conn.close()

    def __enter__(self) -> Portfolio:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _seed(self, name: str) -> None:
        """A new portfolio: its name, the default frameworks, blocker tags and gate rules."""
        now = self._now()
        with self._transaction():
            if self._meta("name") is not None:
                return  # another program seeded it first
            self.conn.execute("INSERT INTO meta VALUES ('name', ?), ('created_at', ?)", (name, now))
            for position, framework in enumerate(models.default_catalog().frameworks):
                self._insert_framework(framework, position)
            for tag in models.BUILTIN_TAGS:
                self._insert_tag(tag)
            self._insert_rules(models.default_rules())
            audit.append(
                self.conn,
                at=now,
                actor=self.actor,
                action="portfolio.create",
                pilot_id=None,
                before=None,
                after={"name": name, "summary": f"created portfolio {name!r}"},
            )

    def _seal_if_never_sealed(self) -> None:
        """A portfolio from before schema 4 has events but no state seal: seal what it holds now, as an
        event of its own, so verify checks every row from here on. A read-only file stays as it is (verify
        then says the state is not sealed)."""
        head = self._one("SELECT state FROM audit_event ORDER BY id DESC LIMIT 1")
        if head is None or head["state"] is not None:
            return
        with contextlib.suppress(PortfolioError), self._transaction():
            self.seal.seal_everything()
            self._event(
                "state.seal",
                None,
                None,
                {"summary": "sealed the portfolio's rows: from here on verify checks each of them"},
            )

    # ---- transactions --------------------------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._load_write_modules()
        with self._lock:
            deadline = _busy_deadline()
            try:
                self._begin(deadline)
            except sqlite3.DatabaseError as exc:
                raise self._translate(exc) from None
            try:
                self.seal.begin()
                yield
                self.seal.finish()  # the rows' new digests, and the state into this write's event
                _retry_busy(lambda: self.conn.execute("COMMIT"), deadline)
                self._committed_at = time.monotonic()
            except sqlite3.DatabaseError as exc:
                refusal = self.seal.refusal()
                self.seal.abort()
                self._rollback()
                if refusal is not None:
                    raise seal.TamperedError(f"{self.path}: {refusal}") from None
                raise self._translate(exc) from None
            except BaseException:
                self.seal.abort()
                self._rollback()
                raise

    def _begin(self, deadline: float) -> None:
        """Take the write lock, looking for it every few milliseconds until the deadline.

        Not in SQLite's busy handler: it sleeps in growing steps, 100 ms apart after the first 0.3 s, so a
        write that has waited a while looks for the lock ten times a second while each newcomer looks
        within 1, 2 and 5 ms; under a stream of short writes the one that waited longest kept losing the
        lock to them, past the whole busy timeout. Here every waiting write looks as often (see
        _retry_busy), so none is starved."""
        # Fairness the other way round: a program writing in a loop took the lock back within microseconds of
        # each COMMIT, while the others look every 1-10 ms, and kept it for its whole loop. After its own
        # write it now leaves the lock free a moment for the programs waiting for it.
        gap = self._committed_at + _TURN - time.monotonic()
        if gap > 0:
            time.sleep(gap)
        self.conn.execute("PRAGMA busy_timeout = 0")
        try:
            _retry_busy(lambda: self.conn.execute("BEGIN IMMEDIATE"), deadline)
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {database.BUSY_TIMEOUT_MS}")

    def _load_write_modules(self) -> None:
        """Import what a write needs (the models, sqlite-utils) before taking the write lock, not inside it.
        A command's first write imported them while holding the lock: ~0.4 s of the file held for about 1 ms
        of SQL, and every other program's write queued behind it (then waited in SQLite's 100 ms steps)."""
        if "db" not in self.__dict__:  # functools.cached_property keeps it there
            import sqlite_utils  # noqa: F401 (the slow part, outside any lock)

            _ = models.Catalog
            with self._lock:  # self.db sets a pragma on the write connection
                _ = self.db

    def _rollback(self) -> None:
        if self.conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):  # SQLite may have rolled back already (disk full, I/O)
                self.conn.execute("ROLLBACK")

    def _translate(self, exc: sqlite3.DatabaseError) -> StoreError:
        """One line for the user; every write that ends here changed nothing."""
        text = str(exc)
        if is_busy(exc):
            return busy_error(self.path)
        if "readonly" in text or "read-only" in text:
            return PortfolioError(f"{self.path}: the portfolio is read-only; nothing was changed")
        if out_of_space(exc, self.path):
            return PortfolioError(f"{self.path}: the disk is full; nothing was changed")
        if is_corrupt(exc):
            return PortfolioError(f"{self.path}: the file is damaged ({text}); nothing was changed")
        if isinstance(exc, sqlite3.IntegrityError):
            return StoreError(f"{self.path}: {text}; nothing was changed")
        return PortfolioError(f"{self.path}: {text}; nothing was changed")

    def _event(
        self,
        action: str,
        pilot_id: str | None,
        before: Any,
        after: Any,
        *,
        source: str = "",
        undoes: int | None = None,
    ) -> int:
        return audit.append(
            self.conn,
            at=self._now(),
            actor=self.actor,
            action=action,
            pilot_id=pilot_id,
            before=before,
            after=after,
            source=source,
            undoes=undoes,
        )

    def _now(self) -> str:
        return rows.timestamp(self.clock())

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        # On the write connection when it is free, or ours already (a read inside a write must see it);
        # while another thread holds it (a write, or a long count in a worker), on a read connection of its
        # own, which waits for no one. One thread alone (the CLI, a bulk load) never opens a second one.
        if self._lock.acquire(blocking=not self._concurrent_reads):
            try:
                # Retried only outside a write: inside one, a busy read cannot happen (the lock is ours).
                return self._fetch(self.conn, sql, params, retry=not self.conn.in_transaction)
            finally:
                self._lock.release()
        reader = self._reader()
        if reader is None:
            with self._lock:
                return self._fetch(self.conn, sql, params, retry=not self.conn.in_transaction)
        try:
            return self._fetch(reader, sql, params, retry=True)
        finally:
            self._give_back(reader)

    def _fetch(self, conn: sqlite3.Connection, sql: str, params: Sequence[Any], *, retry: bool) -> list[sqlite3.Row]:
        try:
            if not retry:
                return conn.execute(sql, params).fetchall()
            return _retry_busy(lambda: conn.execute(sql, params).fetchall(), _busy_deadline())
        except sqlite3.DatabaseError as exc:
            if is_busy(exc):
                raise busy_error(self.path) from None
            if is_corrupt(exc):
                raise PortfolioError(f"{self.path}: the file is damaged ({exc}); restore it from a backup") from None
            raise PortfolioError(f"{self.path}: cannot read the portfolio ({exc})") from None

    def _reader(self) -> sqlite3.Connection | None:
        """An idle read connection, or a new one; None when none can be opened (then reads share the
        write connection, as they would have to anyway)."""
        with self._readers_lock:
            if self._closed:
                return None
            if self._readers:
                return self._readers.pop()
        try:
            return database.reader(self.path)
        except (sqlite3.Error, OSError):
            self._concurrent_reads = False
            return None

    def _give_back(self, reader: sqlite3.Connection) -> None:
        with self._readers_lock:
            if not self._closed and len(self._readers) < _IDLE_READERS:
                self._readers.append(reader)
                return
        reader.close()

    def _one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        found = self._read(sql, params)
        return found[0] if found else None

    # ---- portfolio-wide reads ------------------------------------------------------------------------

    def _meta(self, key: str) -> str | None:
        row = self._one("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else str(row["value"])

    @property
    def name(self) -> str:
        return self._meta("name") or self.path.stem

    def catalog(self) -> Catalog:
        if self._catalog is None:
            found = self._read("SELECT definition FROM framework ORDER BY position")
            frameworks = tuple(models.Framework.model_validate_json(r["definition"]) for r in found)
            self._catalog = models.Catalog(frameworks=frameworks)
        return self._catalog

    def rules(self) -> GateRules:
        version = self.rules_version()
        if self._rules is None or self._rules_at != version:
            row = self._one("SELECT rules FROM gate_rules ORDER BY version DESC LIMIT 1")
            self._rules = models.parse_rules(json.loads(row["rules"])) if row else models.default_rules()
            self._rules_at = version
        return self._rules

    def rules_version(self) -> int:
        row = self._one("SELECT max(version) AS v FROM gate_rules")
        return int(row["v"]) if row and row["v"] is not None else 0

    def tags(self) -> list[BlockerTag]:
        return [rows.tag(r) for r in self._read("SELECT * FROM blocker_tag ORDER BY builtin DESC, category, tag")]

    def tag(self, tag: str) -> BlockerTag:
        row = self._one("SELECT * FROM blocker_tag WHERE tag = ?", (tag,))
        if row is None:
            raise StoreError(f"unknown blocker tag {tag!r} (see the tag list, or create it with a category)")
        return rows.tag(row)

    def data_version(self) -> int:
        """Changes when another connection commits: the TUI polls it to notice other processes."""
        with self._lock:
            return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def stage_counts(self, pilot_filter: PilotFilter | None = None) -> dict[Stage, int]:
        f = pilot_filter or PilotFilter()
        clause, params = where(f, self.clock(), self.stalled_days)
        # Filtered, `+stage` keeps the planner off the (stage, stage_entered_at) index, whose row-by-row
        # look-ups cost up to ten times a table scan; unfiltered, that index alone answers the count, and
        # for the high-impact pilots their partial index (stage, high_impact) does.
        group = "+stage" if clause and f != PilotFilter(high_impact=True) else "stage"
        found = self._read(f"SELECT stage, count(*) AS n FROM pilot{clause} GROUP BY {group}", params)
        counts = {stage: 0 for stage in Stage}
        counts.update({Stage(r["stage"]): r["n"] for r in found})
        return counts

    # ---- pilot reads ---------------------------------------------------------------------------------

    def count(self, pilot_filter: PilotFilter | None = None) -> int:
        f = pilot_filter or PilotFilter()
        if text_only(f):
            # The full-text index counts its own matches: no pilot row is read (345 -> 15 ms at 1M).
            match = fts_query(f.text)
            row = self._one("SELECT count(*) AS n FROM pilot_fts WHERE pilot_fts MATCH ?", (match,))
            found = int(row["n"]) if row else 0
            self._remember_matches(match, found)
            return found
        clause, params = where(f, self.clock(), self.stalled_days)
        row = self._one(f"SELECT count(*) AS n FROM pilot{clause}", params)
        return int(row["n"]) if row else 0

    def page(
        self,
        pilot_filter: PilotFilter | None = None,
        *,
        sort: SortKey = SortKey.ID,
        descending: bool = False,
        offset: int = 0,
        limit: int = 100,
    ) -> list[Pilot]:
        found = self._page(pilot_filter, sort, descending, offset, limit, rows.PILOT_COLUMNS)
        return [rows.pilot(r) for r in found]

    def table_page(
        self,
        pilot_filter: PilotFilter | None = None,
        *,
        sort: SortKey = SortKey.ID,
        descending: bool = False,
        offset: int = 0,
        limit: int = 100,
    ) -> list[PilotRow]:
        """A page as the table lists it: PilotRows, built without pydantic (see domain/pilot_row.py)."""
        found = self._page(pilot_filter, sort, descending, offset, limit, rows.ROW_COLUMNS)
        return [rows.pilot_row(r) for r in found]

    def _page(
        self, pilot_filter: PilotFilter | None, sort: SortKey, descending: bool, offset: int, limit: int, columns: str
    ) -> list[sqlite3.Row]:
        f = pilot_filter or PilotFilter()
        clause, params = where(f, self.clock(), self.stalled_days, plan=page_plan(sort), text=self._text_plan(f, limit))
        sql = f"SELECT {columns} FROM pilot{clause} ORDER BY {order_by(sort, descending)} LIMIT ? OFFSET ?"
        return self._read(sql, [*params, limit, offset])

    def page_after(
        self,
        pilot_filter: PilotFilter | None = None,
        *,
        sort: SortKey = SortKey.ID,
        descending: bool = False,
        after: Pilot | PilotRow | None = None,
        limit: int = 100,
    ) -> list[PilotRow]:
        """The `limit` pilots that follow `after` in the filtered, sorted list (the first ones without
        `after`). Keyset paging: a page deep in a million pilots costs what the first one does, where
        page(offset=) reads every row before it. `after` is a pilot as a page returned it (its sort value
        is taken from it); it need not be in the list any more."""
        return self._keyset_page(pilot_filter, sort, descending, after, limit, backwards=False)

    def page_before(
        self,
        pilot_filter: PilotFilter | None = None,
        *,
        sort: SortKey = SortKey.ID,
        descending: bool = False,
        before: Pilot | PilotRow | None = None,
        limit: int = 100,
    ) -> list[PilotRow]:
        """The `limit` pilots just before `before` in the filtered, sorted list, in list order; without
        `before`, the last `limit` pilots of the list (its end, read as fast as its start)."""
        return self._keyset_page(pilot_filter, sort, descending, before, limit, backwards=True)[::-1]

    def _keyset_page(
        self,
        pilot_filter: PilotFilter | None,
        sort: SortKey,
        descending: bool,
        anchor: Pilot | PilotRow | None,
        limit: int,
        *,
        backwards: bool,
    ) -> list[PilotRow]:
        f = pilot_filter or PilotFilter()
        clauses, params = conditions(
            f, self.clock(), self.stalled_days, plan=page_plan(sort), text=self._text_plan(f, limit)
        )
        if anchor is not None:
            # Forwards: the rows after the anchor; backwards: the rows before it, read from the anchor up.
            edge, edge_params = before(sort, descending, sort_value(anchor, sort), anchor.id, reverse=not backwards)
            clauses.append(edge)
            params += edge_params
        clause = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        order = order_by(sort, descending, reverse=backwards)
        sql = f"SELECT {rows.ROW_COLUMNS} FROM pilot{clause} ORDER BY {order} LIMIT ?"
        return [rows.pilot_row(r) for r in self._read(sql, [*params, limit])]

    def pilots(
        self, pilot_filter: PilotFilter | None = None, *, sort: SortKey = SortKey.ID, descending: bool = False
    ) -> list[Pilot]:
        return self.page(pilot_filter, sort=sort, descending=descending, limit=-1)

    def position(
        self,
        pilot_id: str,
        pilot_filter: PilotFilter | None = None,
        *,
        sort: SortKey = SortKey.ID,
        descending: bool = False,
    ) -> int | None:
        """Where a pilot stands in the filtered, sorted list (so a view can keep its cursor on it): how
        many listed pilots come before it, counted on a range of the sort column's index; nothing is
        numbered (a window function numbering every row took 570 ms at 1M pilots)."""
        f = pilot_filter or PilotFilter()
        now = self.clock()
        # Its own sort value, if it is in the list at all (the text asked of the full-text index for it alone).
        found, params = conditions(f, now, self.stalled_days, text=Text.PROBE)
        own = self._one(
            f"SELECT {sort_column(sort)} AS value FROM pilot WHERE {' AND '.join(['id = ?', *found])}",
            [pilot_id, *params],
        )
        if own is None:
            return None
        value = own["value"]
        text = self._text_plan(f, 1)
        clauses, params = conditions(f, now, self.stalled_days, text=text)
        total = _TOTAL.get(text) if f.is_empty or text is Text.WALK else None
        if total is not None and self._past_middle(sort, descending, value, pilot_id):
            # Far down the list: all of it (which the full-text index or the table's b-tree counts at once)
            # less the rows after the pilot, so the index range walked is never more than half of it.
            edge, edge_params = before(sort, descending, value, pilot_id, reverse=True)
            sql = f"SELECT ({total}) - count(*) - 1 AS n FROM pilot WHERE {' AND '.join([*clauses, edge])}"
            total_params = [fts_query(f.text)] if f.text else []
            row = self._one(sql, [*total_params, *params, *edge_params])
        else:
            edge, edge_params = before(sort, descending, value, pilot_id)
            sql = f"SELECT count(*) AS n FROM pilot WHERE {' AND '.join([*clauses, edge])}"
            row = self._one(sql, [*params, *edge_params])
        return int(row["n"]) if row else 0

    def _past_middle(self, sort: SortKey, descending: bool, value: Any, pilot_id: str) -> bool:
        """Whether a pilot is in the second half of the whole portfolio in this sort order, by the pilot in
        the middle of the sort column's index (remembered: a middle gone stale only makes a count slower)."""
        estimate = self._pilots_estimate()
        known = self._middles.get(sort)
        if known is None or abs(known[0] - estimate) > estimate // 20:
            row = self._one(
                f"SELECT {sort_column(sort)} AS value, id FROM pilot ORDER BY {order_by_column(sort)} LIMIT 1 OFFSET ?",
                (estimate // 2,),
            )
            known = (estimate, None if row is None else (row["value"], row["id"]))
            self._middles[sort] = known
        middle = known[1]
        if middle is None:
            return False
        past = (value, pilot_id) > middle
        return past if ascending(sort, descending) else not past

    def _text_plan(self, f: PilotFilter, limit: int) -> Text:
        """How a page (or a count of rows before a pilot) reads a free-text filter: a common word walks the
        sort index, checking each row against the matches, and stops after the page (188 -> 39 ms for a
        word in a quarter of 1M pilots); a rare word reads its matches and sorts them (2 ms, where the walk
        would read the whole index). Words with other tokens keep the planner's choice."""
        if limit < 0 or not text_only(f):
            return Text.MATCHES
        match = fts_query(f.text)
        threshold = common_threshold(self._pilots_estimate())
        known = self._match_counts.get(match)
        if known is None:  # not counted lately: count up to the threshold, which is all the choice needs
            row = self._one(
                "SELECT count(*) AS n FROM (SELECT 1 FROM pilot_fts WHERE pilot_fts MATCH ? LIMIT ?)",
                (match, threshold),
            )
            known = int(row["n"]) if row else 0
        return Text.WALK if known >= threshold else Text.MATCHES

    def _pilots_estimate(self) -> int:
        """About how many pilots there are, read from the end of the table alone (rowids are never reused
        while the last row stays; a deletion only makes this an overestimate)."""
        row = self._one("SELECT max(rowid) AS n FROM pilot")
        return int(row["n"] or 0) if row else 0

    def _remember_matches(self, match: str, found: int) -> None:
        with self._readers_lock:
            self._match_counts.pop(match, None)
            self._match_counts[match] = found
            while len(self._match_counts) > _REMEMBERED_WORDS:
                del self._match_counts[next(iter(self._match_counts))]

    def days_in_stage(self, pilot: Pilot | PilotRow) -> int:
        return pilot.days_in_stage(self.clock())

    def is_stalled(self, pilot: Pilot | PilotRow) -> bool:
        return is_stalled(pilot.stage, self.days_in_stage(pilot), self.stalled_days)

    def get(self, pilot_id: str) -> Pilot:
        row = self._one(f"SELECT {rows.PILOT_COLUMNS} FROM pilot WHERE id = ?", (pilot_id,))
        if row is None:
            raise StoreError(f"no pilot with id {pilot_id!r}")
        return rows.pilot(row)

    def record(self, pilot_id: str) -> PilotRecord:
        """A pilot with its coverage, blockers (open and resolved) and stage history."""
        pilot = self.get(pilot_id)
        coverage = {
            c.item: c for c in map(rows.coverage, self._read("SELECT * FROM coverage WHERE pilot_id = ?", (pilot_id,)))
        }
        found_blockers = self._read(
            "SELECT b.*, t.category FROM blocker b JOIN blocker_tag t USING (tag) WHERE pilot_id = ? ORDER BY b.id",
            (pilot_id,),
        )
        moves = self._read("SELECT * FROM stage_move WHERE pilot_id = ? ORDER BY id", (pilot_id,))
        return models.PilotRecord(
            pilot=pilot,
            coverage=coverage,
            blockers=tuple(map(rows.blocker, found_blockers)),
            stage_history=tuple(map(rows.stage_move, moves)),
        )

    def open_blocker_tags(self, pilot_ids: Sequence[str]) -> dict[str, list[str]]:
        """Open blocker tags of each pilot, most important first (one query for a whole page)."""
        if not pilot_ids:
            return {}
        marks = ", ".join("?" * len(pilot_ids))
        found = self._read(
            f"SELECT b.pilot_id, b.tag, t.category, b.opened_at FROM blocker b JOIN blocker_tag t USING (tag) "
            f"WHERE b.resolved_at IS NULL AND b.pilot_id IN ({marks})",
            list(pilot_ids),
        )
        weight = CATEGORY_WEIGHT
        ordered = sorted(found, key=lambda r: (weight[BlockerCategory(r["category"])], r["opened_at"], r["tag"]))
        result: dict[str, list[str]] = {pid: [] for pid in pilot_ids}
        for r in ordered:
            if r["tag"] not in result[r["pilot_id"]]:
                result[r["pilot_id"]].append(r["tag"])
        return result

    def check_gate(self, pilot_id: str, to_stage: Stage | None = None) -> GateResult:
        record = self.record(pilot_id)
        target = to_stage or record.pilot.stage.next()
        if target is None:
            raise StoreError(f"{pilot_id} is {record.pilot.stage.value}: there is no stage after it")
        return models.evaluate(record, target, self.rules(), self.catalog())

    def history(self, pilot_id: str | None = None, limit: int | None = None) -> list[AuditEvent]:
        sql = "SELECT * FROM audit_event" + (" WHERE pilot_id = ?" if pilot_id else "") + " ORDER BY id DESC"
        params: list[Any] = [pilot_id] if pilot_id else []
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [_event(r) for r in self._read(sql, params)][::-1]

    def verify_chain(self) -> tuple[int, audit.ChainBreak | None]:
        with self._lock:
            return audit.verify_chain(self.conn)

    def check_state(self) -> seal.StateReport:
        """Every row against the state seal and the chain's recorded state (store/seal.py)."""
        with self._lock:  # one walk at a time, on one state of the file
            return seal.check_state(self.conn)

    def audit_head(self) -> tuple[int, str]:
        """(number of the newest audit event, its hash): the anchor to note outside the file."""
        row = self._one("SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1")
        return (0, audit.GENESIS) if row is None else (int(row["id"]), str(row["hash"]))

    def event_with_hash(self, head: str) -> int | None:
        """The number of the event whose hash is `head` (or begins with it: 16 or more hex digits)."""
        if len(head) == 64:
            found = self._one("SELECT id FROM audit_event WHERE hash = ?", (head,))
        else:
            found = self._one("SELECT id FROM audit_event WHERE substr(hash, 1, ?) = ?", (len(head), head))
        return None if found is None else int(found["id"])

    def integrity_problems(self) -> list[str]:
        """SQLite's own integrity and foreign-key checks; empty when both hold."""
        problems = [r[0] for r in self._read("PRAGMA integrity_check") if r[0] != "ok"]
        problems += [f"{r[0]} row {r[1]} refers to a missing {r[2]}" for r in self._read("PRAGMA foreign_key_check")]
        return problems

    # ---- pilot writes --------------------------------------------------------------------------------

    def add_pilot(self, fields: PilotFields, *, stage: Stage = Stage.INTAKE, pilot_id: str | None = None) -> str:
        now = self._now()
        with self._transaction():
            new_id = pilot_id or self._next_id()
            if self._exists(new_id):
                raise StoreError(f"a pilot with id {new_id!r} already exists")
            row = {
                "id": new_id,
                **fields.model_dump(),
                "stage": stage.value,
                "stage_pos": STAGE_POSITION[stage.value],
                "extra": "{}",
                "created_at": now,
                "stage_entered_at": now,
            }
            self.db.table("pilot").insert(row)
            self._record_move(new_id, None, stage, now, override="", failed=())
            self._refresh(new_id)
            self._event("pilot.create", new_id, None, self._pilot_state(new_id))
        return new_id

    def edit_pilot(self, pilot_id: str, **changes: Any) -> None:
        unknown = set(changes) - set(models.EDITABLE_FIELDS)
        if unknown:
            raise StoreError(f"cannot edit {', '.join(sorted(unknown))}; editable: {', '.join(models.EDITABLE_FIELDS)}")
        with self._transaction():
            current = self.get(pilot_id)
            try:
                editable = current.model_dump(include=set(models.EDITABLE_FIELDS))
                merged = models.PilotFields.model_validate({**editable, **changes})
            except models.ValidationError as exc:
                raise _invalid(exc) from None
            after = {k: v for k, v in merged.model_dump().items() if getattr(current, k) != v}
            if not after:
                return
            before = {k: getattr(current, k) for k in after}
            self.db.table("pilot").update(pilot_id, after)
            self._refresh(pilot_id)
            self._event("pilot.edit", pilot_id, before, after)

    def set_coverage(
        self,
        pilot_id: str,
        item_id: str,
        status: CoverageStatus,
        *,
        evidence: str | None = None,
        justification: str | None = None,
    ) -> None:
        catalog = self.catalog()
        if not catalog.has_item(item_id):
            raise StoreError(f"unknown requirement item {item_id!r}")
        with self._transaction():
            pilot = self.get(pilot_id)
            if not catalog.framework_of(item_id).applies(pilot.high_impact):
                raise StoreError(f"{item_id} applies to high-impact use cases only; {pilot_id} is not one")
            before = self._coverage_row(pilot_id, item_id)
            kept = before or {}
            try:
                coverage = models.Coverage(
                    item=item_id,
                    status=status,
                    evidence=kept.get("evidence", "") if evidence is None else evidence,
                    justification=kept.get("justification", "") if justification is None else justification,
                )
            except models.ValidationError as exc:
                raise _invalid(exc) from None
            if status.counts_in_readiness and justification is None:
                coverage = coverage.model_copy(update={"justification": ""})
            row = {
                "pilot_id": pilot_id,
                "item_id": item_id,
                "status": status.value,
                "evidence": coverage.evidence,
                "justification": coverage.justification,
                "updated_at": self._now(),
                "updated_by": self.actor,
            }
            self.db.table("coverage").upsert(row, pk=("pilot_id", "item_id"))
            self._refresh(pilot_id)
            self._event("coverage.set", pilot_id, before, row)

    def create_tag(
        self, tag: str, category: BlockerCategory, *, areas: Sequence[str] = (), description: str = ""
    ) -> None:
        catalog = self.catalog()
        bad = [a for a in areas if not catalog.has_area(a)]
        if bad:
            raise StoreError(f"unknown requirement area {bad[0]!r}")
        try:
            new = models.BlockerTag(tag=tag, category=category, areas=tuple(areas), description=description)
        except models.ValidationError as exc:
            raise _invalid(exc, where=False) from None  # the message names the tag already
        with self._transaction():
            if self._one("SELECT 1 FROM blocker_tag WHERE tag = ?", (tag,)):
                raise StoreError(f"the tag {tag!r} exists already")
            self._insert_tag(new)
            self._event("tag.create", None, None, new.model_dump(mode="json"))

    def open_blocker(self, pilot_id: str, tag: str, *, note: str = "") -> int:
        with self._transaction():
            self.get(pilot_id)
            self.tag(tag)
            if self._one(
                "SELECT 1 FROM blocker WHERE pilot_id = ? AND tag = ? AND resolved_at IS NULL",
                (pilot_id, tag),
            ):
                raise StoreError(f"{pilot_id} already has an open {tag} blocker")
            row = {
                "pilot_id": pilot_id,
                "tag": tag,
                "note": note,
                "opened_at": self._now(),
                "opened_by": self.actor,
            }
            blocker_id = int(self.db.table("blocker").insert(row).last_pk or 0)
            self._refresh(pilot_id)
            self._event("blocker.open", pilot_id, None, self._blocker_row(blocker_id))
        return blocker_id

    def resolve_blocker(self, pilot_id: str, tag: str) -> None:
        with self._transaction():
            self.get(pilot_id)
            found = self._one(
                "SELECT id FROM blocker WHERE pilot_id = ? AND tag = ? AND resolved_at IS NULL",
                (pilot_id, tag),
            )
            if found is None:
                raise StoreError(f"{pilot_id} has no open {tag} blocker")
            before = self._blocker_row(found["id"])
            self.db.table("blocker").update(found["id"], {"resolved_at": self._now(), "resolved_by": self.actor})
            self._refresh(pilot_id)
            self._event("blocker.resolve", pilot_id, before, self._blocker_row(found["id"]))

    def move(self, pilot_id: str, to_stage: Stage, *, override: str | None = None) -> GateResult:
        """Move a pilot through the gate. A refused gate raises GateRefused unless a written override
        justification is given; the override and its reasons stay in the history and the audit trail."""
        with self._transaction():
            record = self.record(pilot_id)
            if record.pilot.stage is to_stage:
                raise StoreError(f"{pilot_id} is already in {to_stage.value}")
            result = models.evaluate(record, to_stage, self.rules(), self.catalog())
            justification = (override or "").strip()
            if override is not None and not justification:
                raise StoreError("an override needs a written justification")
            if not result.passed and not justification:
                raise GateRefused(result)
            if result.passed:
                justification = ""
            decided = models.staleness.decide(record, result, self.rules(), self.catalog(), override=justification)
            now = self._now()
            before = {
                "stage": record.pilot.stage.value,
                "stage_entered_at": rows.timestamp(record.pilot.stage_entered_at),
            }
            self.db.table("pilot").update(
                pilot_id,
                {
                    "stage": to_stage.value,
                    "stage_pos": STAGE_POSITION[to_stage.value],
                    "stage_entered_at": now,
                    "approval_stale": 0,  # a new decision; _refresh below judges it
                },
            )
            failed = tuple(f"{f.rule}: {f.reason}" for f in result.failures) if justification else ()
            move_id = self._record_move(
                pilot_id, record.pilot.stage, to_stage, now, override=justification, failed=failed, decided=decided
            )
            self._refresh(pilot_id)  # a new decision: its approval holds until the state regresses
            after = {
                "stage": to_stage.value,
                "stage_entered_at": now,
                "move_id": move_id,
                "override": justification,
                "failed_rules": list(failed),
                "gate": decided.result if decided else "",
            }
            self._event("stage.move", pilot_id, before, after)
        return result

    # ---- undo ----------------------------------------------------------------------------------------

    def undo(self) -> AuditEvent | None:
        """Revert the current actor's last change as a new event; None when there is nothing to undo. An
        import or a rules load is reverted whole; a bulk load into an empty portfolio is refused by name
        (undo never reaches past it). Refused, in one line, when a later event changed what it would revert."""
        from caio_tui.store import undo_steps

        with self._transaction():
            target = self._last_undoable()
            if target is None:
                return None
            replaced = undo_steps.replaced_since(self, target.id)
            if replaced is not None:
                raise StoreError(
                    f"event {target.id} ({target.action}) is older than the snapshot import of event {replaced}, "
                    "which replaced the portfolio's contents; nothing was undone"
                )
            recorded = _UNDO[target.action](self, target)
            if target.pilot_id and self._exists(target.pilot_id):
                self._refresh(target.pilot_id)
            before, after = recorded or (target.after, target.before)
            self._event("undo", target.pilot_id, before, after, undoes=target.id)
        return target

    def _last_undoable(self) -> AuditEvent | None:
        undone = {r["undoes"] for r in self._read("SELECT undoes FROM audit_event WHERE undoes IS NOT NULL")}
        actions = sorted(models.UNDOABLE)
        found = self._read(
            f"SELECT * FROM audit_event WHERE actor = ? AND action IN ({', '.join('?' * len(actions))}) "
            "ORDER BY id DESC LIMIT 200",
            [self.actor, *actions],
        )
        return next((_event(r) for r in found if r["id"] not in undone), None)

    def _undo_create(self, event: AuditEvent) -> None:
        from caio_tui.store.undo_steps import changed_since

        assert event.pilot_id
        # Changes that were undone since do not count: the pilot is back as it was created. An import
        # that changed it counts (its event lists the pilots it touched).
        later = changed_since(self, event.id, [event.pilot_id])
        if later is not None:
            raise StoreError(
                f"{event.pilot_id} has changed since it was created (event {later[1]}, {later[2]}); "
                "undo its later changes first"
            )
        self.conn.execute("DELETE FROM pilot WHERE id = ?", (event.pilot_id,))

    def _undo_edit(self, event: AuditEvent) -> None:
        assert event.pilot_id
        current = self.get(event.pilot_id)
        if any(getattr(current, k) != v for k, v in event.after.items()):
            raise StoreError(f"{event.pilot_id} was edited again since; nothing was undone")
        self.db.table("pilot").update(event.pilot_id, event.before)

    def _undo_coverage(self, event: AuditEvent) -> None:
        assert event.pilot_id
        current = self._coverage_row(event.pilot_id, event.after["item_id"])
        if current != event.after:
            raise StoreError(f"{event.after['item_id']} of {event.pilot_id} changed again since; nothing was undone")
        if event.before is None:
            self.conn.execute(
                "DELETE FROM coverage WHERE pilot_id = ? AND item_id = ?",
                (event.pilot_id, event.after["item_id"]),
            )
        else:
            self.db.table("coverage").upsert(event.before, pk=("pilot_id", "item_id"))

    def _undo_blocker_open(self, event: AuditEvent) -> None:
        if self._blocker_row(event.after["id"]) != event.after:
            raise StoreError(f"the {event.after['tag']} blocker changed since; nothing was undone")
        self.conn.execute("DELETE FROM blocker WHERE id = ?", (event.after["id"],))

    def _undo_blocker_resolve(self, event: AuditEvent) -> None:
        if self._blocker_row(event.after["id"]) != event.after:
            raise StoreError(f"the {event.after['tag']} blocker changed since; nothing was undone")
        self.db.table("blocker").update(event.after["id"], {"resolved_at": None, "resolved_by": ""})

    def _undo_move(self, event: AuditEvent) -> None:
        assert event.pilot_id
        current = self.get(event.pilot_id)
        last = self._one("SELECT max(id) AS id FROM stage_move WHERE pilot_id = ?", (event.pilot_id,))
        # Not only the stage: a move there and back (by hand or by an import) since is a later change too.
        if current.stage.value != event.after["stage"] or (last and last["id"] != event.after["move_id"]):
            raise StoreError(f"{event.pilot_id} moved again since; nothing was undone")
        self.db.table("pilot").update(
            event.pilot_id,
            {**event.before, "stage_pos": STAGE_POSITION[event.before["stage"]]},
        )
        self.conn.execute("DELETE FROM stage_move WHERE id = ?", (event.after["move_id"],))

    def _undo_tag(self, event: AuditEvent) -> None:
        tag = event.after["tag"]
        if self._one("SELECT 1 FROM blocker WHERE tag = ?", (tag,)):
            raise StoreError(f"the tag {tag!r} is in use; nothing was undone")
        self.conn.execute("DELETE FROM blocker_tag WHERE tag = ?", (tag,))

    # ---- bulk ----------------------------------------------------------------------------------------

    def import_records(self, records: Sequence[PilotRecord], *, source: str, tags: Sequence[BlockerTag] = ()) -> int:
        """Add whole pilots (with coverage, blockers and history) in one transaction and one event, which
        lists the pilots and the tags it added: undo removes them all."""
        with self._transaction():
            added_tags = []
            for tag in tags:
                if not self._one("SELECT 1 FROM blocker_tag WHERE tag = ?", (tag.tag,)):
                    self._insert_tag(tag)
                    added_tags.append(tag.tag)
            for record in records:
                self._insert_record(record)
            self._event(
                "import",
                None,
                None,
                {
                    "pilots": [r.pilot.id for r in records],
                    "tags": added_tags,
                    "summary": f"imported {len(records)} pilots from {source}",
                },
                source=source,
            )
        return len(records)

    def _insert_record(self, record: PilotRecord) -> None:
        p = record.pilot
        if self._exists(p.id):
            raise StoreError(f"a pilot with id {p.id!r} already exists")
        self.db.table("pilot").insert(
            {
                **p.model_dump(include={"id", "name", "office", "owner", "high_impact", "description"}),
                "stage": p.stage.value,
                "stage_pos": STAGE_POSITION[p.stage.value],
                "extra": json.dumps(p.extra),
                "created_at": rows.timestamp(p.created_at),
                "stage_entered_at": rows.timestamp(p.stage_entered_at),
            }
        )
        catalog = self.catalog()
        for cov in record.coverage.values():
            if not catalog.has_item(cov.item):
                raise StoreError(f"{p.id}: unknown requirement item {cov.item!r}")
            self.db.table("coverage").insert(
                {
                    "pilot_id": p.id,
                    "item_id": cov.item,
                    "status": cov.status.value,
                    "evidence": cov.evidence,
                    "justification": cov.justification,
                    "updated_at": rows.timestamp(cov.updated_at or p.created_at),
                    "updated_by": cov.updated_by or self.actor,
                }
            )
        for b in record.blockers:
            self.tag(b.tag)
            self.db.table("blocker").insert(
                {
                    "pilot_id": p.id,
                    "tag": b.tag,
                    "note": b.note,
                    "opened_at": rows.timestamp(b.opened_at),
                    "opened_by": b.opened_by,
                    "resolved_at": rows.timestamp(b.resolved_at) if b.resolved_at else None,
                    "resolved_by": b.resolved_by,
                }
            )
        for m in record.stage_history:
            self._record_move(
                p.id,
                m.from_stage,
                m.to_stage,
                rows.timestamp(m.moved_at),
                override=m.override,
                failed=m.failed_rules,
                actor=m.actor,
            )
        self._refresh(p.id)

    # ---- internals -----------------------------------------------------------------------------------

    def _exists(self, pilot_id: str) -> bool:
        return self._one("SELECT 1 FROM pilot WHERE id = ?", (pilot_id,)) is not None

    def _next_id(self) -> str:
        row = self._one("SELECT max(CAST(substr(id, 4) AS INTEGER)) AS n FROM pilot WHERE id GLOB 'AI-[0-9]*'")
        number = (row["n"] or 0) + 1 if row else 1
        return f"AI-{number:04d}"

    def _pilot_state(self, pilot_id: str) -> dict[str, Any]:
        row = self._one(f"SELECT {rows.PILOT_COLUMNS} FROM pilot WHERE id = ?", (pilot_id,))
        assert row is not None
        return {k: row[k] for k in ("id", "name", "office", "owner", "stage", "high_impact", "description")}

    def _coverage_row(self, pilot_id: str, item_id: str) -> dict[str, Any] | None:
        return rows.as_dict(self._one("SELECT * FROM coverage WHERE pilot_id = ? AND item_id = ?", (pilot_id, item_id)))

    def _blocker_row(self, blocker_id: int) -> dict[str, Any] | None:
        return rows.as_dict(self._one("SELECT * FROM blocker WHERE id = ?", (blocker_id,)))

    def _record_move(
        self,
        pilot_id: str,
        from_stage: Stage | None,
        to_stage: Stage,
        at: str,
        *,
        override: str,
        failed: Sequence[str],
        actor: str | None = None,
        decided: staleness.DecidedState | None = None,
    ) -> int:
        cursor = self.conn.execute(
            "INSERT INTO stage_move (pilot_id, from_stage, to_stage, moved_at, actor, override, failed_rules, "
            "decided_state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                pilot_id,
                from_stage.value if from_stage else None,
                to_stage.value,
                at,
                actor or self.actor,
                override,
                json.dumps(list(failed)),
                decided.model_dump_json() if decided else None,
            ),
        )
        return int(cursor.lastrowid or 0)

    def _refresh(self, pilot_id: str) -> None:
        """Recompute the derived columns of one pilot from its coverage, open blockers and last gate decision."""
        row = self._one(
            "SELECT high_impact, name, office, owner, description, approval_stale FROM pilot WHERE id = ?", (pilot_id,)
        )
        if row is None:
            return
        statuses = {
            r["item_id"]: r["status"]
            for r in self._read("SELECT item_id, status FROM coverage WHERE pilot_id = ?", (pilot_id,))
        }
        open_rows = self._read(
            "SELECT b.tag, t.category, b.opened_at FROM blocker b JOIN blocker_tag t USING (tag) "
            "WHERE b.pilot_id = ? AND b.resolved_at IS NULL",
            (pilot_id,),
        )
        open_blockers = [
            models.OpenBlocker(r["tag"], BlockerCategory(r["category"]), r["opened_at"]) for r in open_rows
        ]
        derived = self._derivation().columns(statuses, bool(row["high_impact"]), open_blockers)
        now = models.staleness.GateState(
            statuses={item: models.CoverageStatus(status) for item, status in statuses.items()},
            open_blockers=tuple((b.tag, b.category) for b in open_blockers),
            fields={name: row[name] for name in ("name", "office", "owner", "description")},
            high_impact=bool(row["high_impact"]),
        )
        stale = models.approval_stale(bool(row["approval_stale"]), self.decided_state(pilot_id), now)
        self.conn.execute(
            "UPDATE pilot SET readiness = ?, not_assessed = ?, territory = ?, open_blockers = ?, top_blocker = ?, "
            "approval_stale = ? WHERE id = ?",
            (
                derived.readiness,
                derived.not_assessed,
                derived.territory.value,
                derived.open_blockers,
                derived.top_blocker,
                int(stale),
                pilot_id,
            ),
        )

    def _derivation(self) -> Derivation:
        """The derived-column calculator of the current catalog (rebuilt when the catalog is re-read)."""
        catalog = self.catalog()
        if self._derived_for is not catalog:
            self._derived, self._derived_for = models.Derivation(catalog), catalog
        assert self._derived is not None
        return self._derived

    def decided_state(self, pilot_id: str) -> staleness.DecidedState | None:
        """The state the gate decision of the pilot's last move was made on, or of its latest re-check
        (None: the move crossed no gate)."""
        last = self._one(
            "SELECT coalesce((SELECT r.decided_state FROM gate_recheck r WHERE r.move_id = m.id ORDER BY r.id DESC "
            "LIMIT 1), m.decided_state) AS decided_state FROM stage_move m WHERE m.pilot_id = ? ORDER BY m.id DESC "
            "LIMIT 1",
            (pilot_id,),
        )
        if last is None or not last["decided_state"]:
            return None
        return models.staleness.DecidedState.model_validate_json(last["decided_state"])

    def _insert_framework(self, framework: Framework, position: int) -> None:
        self.db.table("framework").insert(
            {"id": framework.id, "position": position, "definition": framework.model_dump_json()}
        )
        for area in framework.areas:
            for index, item in enumerate(area.items):
                self.db.table("item").insert(
                    {"id": item.id, "framework_id": framework.id, "area_id": area.id, "position": index}
                )

    def _insert_tag(self, tag: BlockerTag) -> None:
        self.db.table("blocker_tag").insert(
            {
                "tag": tag.tag,
                "category": tag.category.value,
                "areas": json.dumps(list(tag.areas)),
                "description": tag.description,
                "builtin": int(tag.builtin),
            }
        )

    def _insert_rules(self, rules: GateRules) -> None:
        version = self.rules_version() + 1
        self.db.table("gate_rules").insert(
            {
                "version": version,
                "rules": rules.model_dump_json(by_alias=True),
                "created_at": self._now(),
                "actor": self.actor,
            }
        )
        self._rules = None


R = TypeVar("R")
_TURN = 0.003  # seconds a program leaves the lock free after its own write before it takes it again
_IDLE_READERS = 4  # read connections kept open between reads (the UI thread and a few workers)
_LONGEST_PAUSE = 0.01  # between two looks for a busy lock (seconds)


def _busy_deadline() -> float:
    return time.monotonic() + database.BUSY_TIMEOUT_MS / 1000


def _retry_busy(step: Callable[[], R], deadline: float) -> R:
    """Run step, trying again while another program holds the lock, until the busy timeout is spent.

    BEGIN waits here alone (see Portfolio._begin); for other statements SQLite's busy handler already waits
    inside most calls and this covers the cases it returns SQLITE_BUSY at once (a WAL being recovered or
    reset by another process, a COMMIT waiting for readers), so a user sees "another program is writing"
    only after the whole busy timeout, never a bare "database is locked".

    The pauses stay short (at most 10 ms, jittered so waiting programs do not look in step): the lock is
    taken by whoever looks first once it is free, and a long pause is a lost turn."""
    pause = 0.001
    while True:
        try:
            return step()
        except sqlite3.OperationalError as exc:
            if not is_busy(exc) or time.monotonic() + pause > deadline:
                raise
        time.sleep(random.uniform(pause / 2, pause))  # jitter: waiting programs do not look in step
        pause = min(pause * 2, _LONGEST_PAUSE)


def _invalid(exc: ValidationError, *, where: bool = True) -> StoreError:
    """A refused value as one line: where, then why (without pydantic's "Value error, " prefix)."""
    first = exc.errors()[0]
    message = str(first["msg"]).removeprefix("Value error, ")
    place = ".".join(str(part) for part in first["loc"]) if where else ""
    return StoreError(f"{place}: {message}" if place else message)


def _event(row: sqlite3.Row) -> AuditEvent:
    return models.AuditEvent(
        id=row["id"],
        at=rows.parse_time(row["at"]),
        actor=row["actor"],
        action=row["action"],
        pilot_id=row["pilot_id"],
        before=json.loads(row["before"]) if row["before"] else None,
        after=json.loads(row["after"]) if row["after"] else None,
        source=row["source"],
        undoes=row["undoes"],
        hash=row["hash"],
    )


def _undo_import(portfolio: Portfolio, event: AuditEvent) -> tuple[Any, Any]:
    from caio_tui.store import undo_steps

    return undo_steps.undo_import(portfolio, event)


def _undo_rules(portfolio: Portfolio, event: AuditEvent) -> tuple[Any, Any]:
    from caio_tui.store import undo_steps

    return undo_steps.undo_rules(portfolio, event)


def _undo_generate(portfolio: Portfolio, event: AuditEvent) -> tuple[Any, Any]:
    from caio_tui.store import undo_steps

    return undo_steps.undo_bulk_load(portfolio, event)


# Each reverts one event; a step that records its undo differently returns the undo event's (before, after).
_UNDO: dict[str, Callable[[Portfolio, AuditEvent], tuple[Any, Any] | None]] = {
    "pilot.create": Portfolio._undo_create,
    "pilot.edit": Portfolio._undo_edit,
    "coverage.set": Portfolio._undo_coverage,
    "blocker.open": Portfolio._undo_blocker_open,
    "blocker.resolve": Portfolio._undo_blocker_resolve,
    "stage.move": Portfolio._undo_move,
    "tag.create": Portfolio._undo_tag,
    "import": _undo_import,
    "rules.replace": _undo_rules,
    "generate": _undo_generate,
}
