"""The portfolio file's connections: one write connection behind a reentrant lock, idle read connections
for reads that would otherwise wait for it, transactions (with the state seal's hooks) and the retries
while another program holds the file. Every other store module reads and writes through a Session."""

from __future__ import annotations

import contextlib
import functools
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from caio_tui.store import database, open_files, seal, seal_keeper
from caio_tui.store.errors import PortfolioError, StoreError, busy_error, is_busy, is_corrupt, out_of_space
from caio_tui.store.lazy import LazyModule

if TYPE_CHECKING:
    import sqlite_utils

    from caio_tui.store import models
else:
    models = LazyModule("caio_tui.store.models")


class WriteLock:
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

    def __enter__(self) -> WriteLock:
        self.acquire()
        return self

    def __exit__(self, *_: object) -> None:
        self.release()


class Session:
    """One portfolio file's connections. Writes (and reads inside them) go through one write connection,
    one thread at a time; a read that finds it busy takes a read connection of its own, so a page read on
    the UI thread never waits for a worker's long count or write (the file is in WAL mode, where readers
    and the writer do not block each other)."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self.lock = WriteLock()
        self._readers: list[sqlite3.Connection] = []  # idle read connections
        self._readers_lock = threading.Lock()
        self._closed = False
        self._concurrent_reads = database.in_wal_mode(conn)
        self.seal = seal_keeper.SealKeeper(conn)
        self._committed_at = -1.0  # when this connection's last write committed (time.monotonic)

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
        with self.lock:
            self.conn.close()

    # ---- transactions --------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self._load_write_modules()
        with self.lock:
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
            self.conn.execute(f"PRAGMA busy_timeout = {open_files.BUSY_TIMEOUT_MS}")

    def _load_write_modules(self) -> None:
        """Import what a write needs (the models, sqlite-utils) before taking the write lock, not inside it.
        A command's first write imported them while holding the lock: ~0.4 s of the file held for about 1 ms
        of SQL, and every other program's write queued behind it (then waited in SQLite's 100 ms steps)."""
        if "db" not in self.__dict__:  # functools.cached_property keeps it there
            import sqlite_utils  # noqa: F401 (the slow part, outside any lock)

            _ = models.Catalog
            with self.lock:  # self.db sets a pragma on the write connection
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

    # ---- reads ---------------------------------------------------------------------------------------

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        # On the write connection when it is free, or ours already (a read inside a write must see it);
        # while another thread holds it (a write, or a long count in a worker), on a read connection of its
        # own, which waits for no one. One thread alone (the CLI, a bulk load) never opens a second one.
        if self.lock.acquire(blocking=not self._concurrent_reads):
            try:
                # Retried only outside a write: inside one, a busy read cannot happen (the lock is ours).
                return self._fetch(self.conn, sql, params, retry=not self.conn.in_transaction)
            finally:
                self.lock.release()
        reader = self._reader()
        if reader is None:
            with self.lock:
                return self._fetch(self.conn, sql, params, retry=not self.conn.in_transaction)
        try:
            return self._fetch(reader, sql, params, retry=True)
        finally:
            self._give_back(reader)

    def one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        found = self.read(sql, params)
        return found[0] if found else None

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

    @contextmanager
    def checkpoint_every(self, writes: int) -> Iterator[Callable[[], None]]:
        """For a run of large writes (a merge of many bundles): SQLite's automatic checkpoint, which copies
        the WAL into the file inside every large COMMIT, is off; one runs after every `writes` writes (the
        caller calls the function it is given after each) and one at the end. A run's writes rewrite many
        of the same pages (an office's pilots share pages with the others'), which one checkpoint copies
        once: 20 bundles of 5,000 pilots, 0.22 -> 0.14 s a bundle. Nothing is less durable: a committed
        write is in the WAL, and the next connection to open the file finds it there."""
        done = 0

        def written() -> None:
            nonlocal done
            done += 1
            if done % writes == 0:
                self._checkpoint()

        with self.lock:
            self.conn.execute("PRAGMA wal_autocheckpoint = 0")
        try:
            yield written
        finally:
            with self.lock:
                self.conn.execute(f"PRAGMA wal_autocheckpoint = {_AUTOCHECKPOINT}")
            self._checkpoint(truncate=True)

    def _checkpoint(self, *, truncate: bool = False) -> None:
        """Copy what the WAL holds into the file, as far as no reader needs it still (PASSIVE: never waits).
        `truncate`: then empty the WAL file too (it grew to a few bundles' pages), if no reader holds it
        within a moment; otherwise it stays as large until the next checkpoint that can."""
        with self.lock, contextlib.suppress(sqlite3.DatabaseError):  # busy or read-only: the next one will
            self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            if truncate:
                self.conn.execute(f"PRAGMA busy_timeout = {_TRUNCATE_WAIT_MS}")
                try:
                    self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
                finally:
                    self.conn.execute(f"PRAGMA busy_timeout = {open_files.BUSY_TIMEOUT_MS}")

    def data_version(self) -> int:
        """Changes when another connection commits: the TUI polls it to notice other processes."""
        with self.lock:
            return int(self.conn.execute("PRAGMA data_version").fetchone()[0])


R = TypeVar("R")
_TURN = 0.003  # seconds a program leaves the lock free after its own write before it takes it again
_IDLE_READERS = 4  # read connections kept open between reads (the UI thread and a few workers)
_LONGEST_PAUSE = 0.01  # between two looks for a busy lock (seconds)
_AUTOCHECKPOINT = 1000  # SQLite's default: a checkpoint once the WAL holds this many pages
_TRUNCATE_WAIT_MS = 100  # how long emptying the WAL at the end of a run waits for readers


def _busy_deadline() -> float:
    return time.monotonic() + open_files.BUSY_TIMEOUT_MS / 1000


def _retry_busy(step: Callable[[], R], deadline: float) -> R:
    """Run step, trying again while another program holds the lock, until the busy timeout is spent.

    BEGIN waits here alone (see Session._begin); for other statements SQLite's busy handler already waits
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
