"""Opening a portfolio file: recognising it, creating it, upgrading its schema safely."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from caio_tui.resources import migration_files
from caio_tui.store.errors import PortfolioError

# PRAGMA application_id of a caio-tui portfolio ("CAIT"): tells our files from other SQLite files.
APPLICATION_ID = 0x43414954
BUSY_TIMEOUT_MS = 5_000
_SQLITE_HEADER = b"SQLite format 3\x00"


def latest_version() -> int:
    return migration_files()[-1][0]


def connect(path: Path, *, create: bool) -> sqlite3.Connection:
    """A connection to a ready portfolio at path: created, checked and upgraded as needed."""
    created = False
    if path.exists():
        _check_header(path)
    elif create:
        _create_private(path)
        created = True
    else:
        raise PortfolioError(f"{path}: no portfolio there (create one with 'caio-tui init')")
    try:
        conn = _open(path)
    except sqlite3.Error as exc:
        raise PortfolioError(f"{path}: cannot open ({exc})") from None
    try:
        _prepare(conn, path)
    except BaseException:
        conn.close()
        if created:  # a file we made and could not set up would block the next try as "empty"
            _remove(path)
        raise
    return conn


def _remove(path: Path) -> None:
    for leftover in (path, *(path.with_name(path.name + s) for s in ("-journal", "-wal", "-shm"))):
        with contextlib.suppress(OSError):
            leftover.unlink()


def _create_private(path: Path) -> None:
    """New portfolio files are readable by their owner only."""
    if not path.parent.is_dir():
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise PortfolioError(f"{path.parent}: cannot create the folder ({exc.strerror})") from None
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except OSError as exc:
        raise PortfolioError(f"{path}: cannot create the portfolio ({exc.strerror})") from None


def _check_header(path: Path) -> None:
    if path.is_dir():
        raise PortfolioError(f"{path}: is a folder, not a portfolio file")
    try:
        with path.open("rb") as handle:
            head = handle.read(len(_SQLITE_HEADER))
    except OSError as exc:
        raise PortfolioError(f"{path}: cannot read ({exc.strerror})") from None
    if not head:
        raise PortfolioError(f"{path}: the file is empty, not a caio-tui portfolio")
    if head != _SQLITE_HEADER:
        raise PortfolioError(f"{path}: not a caio-tui portfolio (not a SQLite database)")


def _open(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    return conn


def _pragma(conn: sqlite3.Connection, name: str) -> int:
    return int(conn.execute(f"PRAGMA {name}").fetchone()[0])


def _prepare(conn: sqlite3.Connection, path: Path) -> None:
    try:
        app_id = _pragma(conn, "application_id")
        version = _pragma(conn, "user_version")
        tables = conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise PortfolioError(f"{path}: not a caio-tui portfolio ({exc})") from None
    if app_id != APPLICATION_ID and (tables or app_id):
        raise PortfolioError(f"{path}: a SQLite database of another program, not a caio-tui portfolio")
    latest = latest_version()
    if version > latest:
        raise PortfolioError(
            f"{path}: written by a newer caio-tui (schema {version}; this version knows up to {latest}); "
            "upgrade caio-tui to open it"
        )
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if version < latest:
        if version > 0:
            backup(conn, path, version)
        _migrate(conn, path, version)
    _set_runtime_pragmas(conn, path)


def _set_runtime_pragmas(conn: sqlite3.Connection, path: Path) -> None:
    conn.execute("PRAGMA foreign_keys = ON")
    # A read-only file or folder keeps its journal mode; reads still work.
    with contextlib.suppress(sqlite3.OperationalError):
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")


def backup(conn: sqlite3.Connection, path: Path, version: int) -> Path:
    """A copy of the file before an upgrade, beside it, named after the schema version it holds."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.v{version}-{stamp}.bak")
    try:
        conn.execute("VACUUM INTO ?", (str(target),))
        target.chmod(0o600)
    except (sqlite3.DatabaseError, OSError) as exc:
        raise PortfolioError(f"{path}: cannot write the backup before upgrading ({exc})") from None
    return target


def _migrate(conn: sqlite3.Connection, path: Path, current: int) -> None:
    """Apply each newer migration; all of them in one transaction, so a failure leaves the file as it was."""
    pending = [(v, name, sql) for v, name, sql in migration_files() if v > current]
    try:
        conn.execute("BEGIN IMMEDIATE")
        for version, name, sql in pending:
            try:
                _run_script(conn, sql)
            except sqlite3.DatabaseError as exc:
                raise PortfolioError(f"{path}: migration {version:04d}_{name} failed ({exc})") from None
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {pending[-1][0]}")
        conn.execute("COMMIT")
    except sqlite3.OperationalError as exc:
        _rollback(conn)
        raise PortfolioError(f"{path}: cannot write ({exc})") from None
    except BaseException:
        _rollback(conn)
        raise


def _run_script(conn: sqlite3.Connection, sql: str) -> None:
    # executescript() would COMMIT first; run statement by statement inside our transaction instead.
    statement = ""
    for line in sql.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""
    if statement.strip() and not statement.strip().startswith("--"):
        conn.execute(statement)


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")
