"""Opening a portfolio file: recognising it, creating it, upgrading its schema safely."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sqlite3
import stat
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from caio_tui.resources import migration_files
from caio_tui.store import open_files, upgrade_seal
from caio_tui.store.errors import PortfolioError, StoreError, busy_error, disk_full, is_busy, is_corrupt, out_of_space
from caio_tui.store.leftovers import mark, remove_stale
from caio_tui.store.open_files import connect_uri, read_header, uri_path

# PRAGMA application_id of a caio-tui portfolio ("CAIT"): tells our files from other SQLite files.
APPLICATION_ID = 0x43414954
_SQLITE_HEADER = b"SQLite format 3\x00"
_SQLITE_READONLY_DIRECTORY = 1544  # SQLITE_READONLY | (6 << 8): no -wal/-shm can be made


def latest_version() -> int:
    return migration_files()[-1][0]


def connect(path: Path, *, create: bool) -> sqlite3.Connection:
    """A connection to a ready portfolio at path: created, checked and upgraded as needed."""
    if not path.exists():
        if path.is_symlink():
            raise PortfolioError(f"{path}: a symbolic link to a missing file; nothing was changed")
        if not create:
            raise PortfolioError(f"{path}: no portfolio there (create one with 'caio-tui init')")
        _create(path)
    _check_file(path)
    try:
        conn = _open(path)
    except sqlite3.Error as exc:
        raise PortfolioError(f"{path}: cannot open ({exc})") from None
    try:
        _prepare(conn, path)
    except BaseException:
        conn.close()
        raise
    return conn


def _create(path: Path) -> None:
    """A new portfolio appears whole or not at all: it is built (schema and all) in a private temporary
    file beside path, which then takes path's name in one link. A program killed half-way, or another
    program creating the same portfolio at the same moment, can never leave or see an empty file there."""
    folder = path.parent
    make_folders(folder)
    remove_stale(folder, f".{path.name}.")  # what a killed run left beside it
    try:
        handle, name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.{mark()}.", suffix=".new")  # 0600
    except OSError as exc:
        raise PortfolioError(f"{path}: cannot create the portfolio ({exc.strerror})") from None
    os.close(handle)  # a new file no connection has open: closing it drops no lock of SQLite's
    building = Path(name)
    try:
        try:
            conn = _open(building)
        except sqlite3.Error as exc:
            raise PortfolioError(f"{path}: cannot create the portfolio ({exc})") from None
        try:
            _prepare(conn, path)
            _settle(conn, path)
        finally:
            conn.close()
        _publish(building, path)
    finally:
        _remove(building)


def make_folders(folder: Path) -> None:
    """folder and each missing folder above it, each 0700 whatever the umask (mkdir(parents=True) would
    give the ones above the umask's mode, 0777 under umask 0)."""
    missing = [f for f in (folder, *folder.parents) if not f.is_dir()][::-1]
    for each in missing:
        try:
            each.mkdir(mode=0o700)
        except FileExistsError:
            if not each.is_dir():
                raise PortfolioError(f"{folder}: cannot create the folder ({each} is a file)") from None
        except OSError as exc:
            raise PortfolioError(f"{folder}: cannot create the folder ({exc.strerror})") from None


@contextlib.contextmanager
def new_portfolio(path: Path) -> Iterator[Path]:
    """Where to build a whole new portfolio for path, content and all, in private: yields a path in a
    private folder beside path (Portfolio.open(..., create=True) makes the file there). On a clean exit the
    finished file takes path's name in one link; if another program created path meanwhile, that file is
    left alone and PortfolioError says so. On any error nothing appears at path. Either way the private
    folder goes, so a failing command never removes a file that another one made."""
    if path.exists() or path.is_symlink():
        link = " (a symbolic link to a missing file)" if not path.exists() else ""
        raise PortfolioError(f"{path}: exists already{link}; nothing was changed")
    make_folders(path.parent)
    remove_stale(path.parent, f".{path.name}.")
    try:
        private = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.{mark()}.", suffix=".build"))
    except OSError as exc:
        raise PortfolioError(f"{path}: cannot create the portfolio ({exc.strerror})") from None
    building = private / path.name
    try:
        try:
            yield building
            _finish(building, path)
        except StoreError as exc:  # name the user's file, not the private one
            raise type(exc)(str(exc).replace(str(building), str(path))) from None
    finally:
        shutil.rmtree(private, ignore_errors=True)


def _finish(building: Path, path: Path) -> None:
    """Everything of the built portfolio into its file, which then takes path's name."""
    if not building.exists():
        raise PortfolioError(f"{path}: cannot create the portfolio (nothing was built); nothing was created")
    try:
        conn = _open(building)
    except sqlite3.Error as exc:
        raise PortfolioError(f"{path}: cannot create the portfolio ({exc})") from None
    try:
        _settle(conn, path)
    finally:
        conn.close()
    if not _publish(building, path):
        raise PortfolioError(f"{path}: exists already (another program created it meanwhile); nothing was changed")
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    """Make a new name durable (best effort: not every platform can open a folder)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _settle(conn: sqlite3.Connection, path: Path) -> None:
    """Everything written so far into the file itself: only the file takes the new name, not its -wal."""
    try:
        busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.DatabaseError as exc:
        raise PortfolioError(f"{path}: cannot create the portfolio ({exc})") from None
    if busy or frames != copied:
        reason = "the disk is full" if disk_full(path) else "its schema did not reach the file"
        raise PortfolioError(f"{path}: cannot create the portfolio ({reason}); nothing was created")


def _publish(building: Path, path: Path) -> bool:
    """Give the built file path's name; False when another program created path first (theirs stays)."""
    try:
        os.link(building, path)
    except FileExistsError:
        return False
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV):  # EXDEV cannot happen: same folder
            raise PortfolioError(f"{path}: cannot create the portfolio ({exc.strerror})") from None
        # A file system without hard links: a rename, which could only replace a file created this instant.
        if path.exists() or path.is_symlink():
            return False
        os.replace(building, path)
    return True


def _remove(path: Path) -> None:
    for leftover in (path, *(path.with_name(path.name + s) for s in ("-journal", "-wal", "-shm"))):
        with contextlib.suppress(OSError):
            leftover.unlink()


def _check_file(path: Path) -> None:
    """Refuse a file that is not SQLite's before SQLite touches it (SQLite would take an empty file, or one
    of a few bytes, for a new database and write a portfolio into it)."""
    try:
        found = os.stat(path)
    except OSError as exc:
        raise PortfolioError(f"{path}: cannot read ({exc.strerror})") from None
    if stat.S_ISDIR(found.st_mode):
        raise PortfolioError(f"{path}: is a folder, not a portfolio file")
    if found.st_size == 0:
        raise PortfolioError(f"{path}: the file is empty, not a caio-tui portfolio")
    try:
        head = read_header(path, len(_SQLITE_HEADER))
    except OSError as exc:
        raise PortfolioError(f"{path}: cannot read ({exc.strerror})") from None
    if head is not None and head != _SQLITE_HEADER:  # None: open here already, so checked when first opened
        raise PortfolioError(f"{path}: not a caio-tui portfolio (not a SQLite database)")


def reader(path: Path) -> sqlite3.Connection:
    """One more connection to a portfolio already opened (and upgraded) by `connect`, for reads only: in WAL
    mode its reads neither wait for nor block the write connection's, so a long count in a worker does not
    hold up the page the UI reads meanwhile. It never creates the file (a file gone since fails instead)."""
    conn = connect_uri(path, "rw")
    try:
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {open_files.BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA query_only = ON")  # a write through it would escape the one write transaction
    except BaseException:
        conn.close()
        raise
    return conn


def copy_database(path: Path, target: Path) -> None:
    """A copy of the portfolio at path into the new file target, by SQLite (its backup API) from a
    connection that only reads: the last commits in path's -wal are included, and path is not changed (a
    file in a rollback journal stays in it). Not mode=ro: a read-only connection to a file in WAL mode
    cannot remove the -wal and -shm it had to create. Raises PortfolioError naming path."""
    try:
        source = connect_uri(path, "rw")
    except sqlite3.Error as exc:
        raise PortfolioError(f"{path}: cannot open ({exc})") from None
    try:
        source.execute("PRAGMA query_only = ON")
        copy = sqlite3.connect("file:" + uri_path(target) + "?mode=rwc", uri=True)
        try:
            source.backup(copy)
        finally:
            copy.close()
    except sqlite3.DatabaseError as exc:
        raise _unreadable(path, exc) from None
    finally:
        source.close()


def in_wal_mode(conn: sqlite3.Connection) -> bool:
    """Whether the file is in WAL mode (a read-only folder can leave it in its rollback journal mode)."""
    try:
        return str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal"
    except sqlite3.Error:
        return False


def _open(path: Path) -> sqlite3.Connection:
    """A read-write connection to an existing file (mode=rw: SQLite never creates one; only _create does)."""
    conn = connect_uri(path, "rw")
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
        raise _unreadable(path, exc) from None
    if app_id != APPLICATION_ID and (tables or app_id):
        raise PortfolioError(f"{path}: a SQLite database of another program, not a caio-tui portfolio")
    latest = latest_version()
    if version > latest:
        raise PortfolioError(
            f"{path}: written by a newer caio-tui (schema {version}; this version knows up to {latest}); "
            "upgrade caio-tui to open it"
        )
    conn.execute(f"PRAGMA busy_timeout = {open_files.BUSY_TIMEOUT_MS}")
    if version < latest:
        saved = backup(conn, path, version) if version > 0 else None
        if not _migrate(conn, path, version) and saved is not None:
            saved.unlink(missing_ok=True)  # another program upgraded it meanwhile (and kept its own backup)
    _set_runtime_pragmas(conn, path)


def _unreadable(path: Path, exc: sqlite3.DatabaseError) -> StoreError:
    """Why the first read of a file failed, in one line."""
    code = getattr(exc, "sqlite_errorcode", None)
    if is_busy(exc):  # a long write by another program (a bulk load) holds the whole file
        return busy_error(path)
    if code == _SQLITE_READONLY_DIRECTORY:
        return PortfolioError(
            f"{path}: cannot open: its folder is read-only, and SQLite needs to create "
            f"{path.name}-wal and {path.name}-shm beside it"
        )
    if out_of_space(exc, path):
        return PortfolioError(f"{path}: cannot open: the disk is full")
    if code is None or code & 0xFF == sqlite3.SQLITE_NOTADB:
        return PortfolioError(f"{path}: not a caio-tui portfolio ({exc})")
    if is_corrupt(exc):
        return PortfolioError(f"{path}: the file is damaged ({exc}); restore it from a backup")
    return PortfolioError(f"{path}: cannot open ({exc})")


def _set_runtime_pragmas(conn: sqlite3.Connection, path: Path) -> None:
    conn.execute("PRAGMA foreign_keys = ON")
    # A read-only file or folder keeps its journal mode; reads still work.
    with contextlib.suppress(sqlite3.OperationalError):
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")


def backup(conn: sqlite3.Connection, path: Path, version: int) -> Path:
    """A copy of the file before an upgrade, beside it, named after the schema version it holds. It is
    written under a private temporary name and takes its name only when whole: a killed upgrade never
    leaves a backup that looks complete and is not (the next upgrade removes what it left)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    remove_stale(path.parent, f".{path.name}.")
    part = path.with_name(f".{path.name}.v{version}-{stamp}.{mark()}.part")
    try:
        # A private copy from the start: the umask could leave a window where it is readable by others.
        os.close(os.open(part, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))  # new: no connection has it
        conn.execute("VACUUM INTO ?", ("file:" + uri_path(part),))
        part.chmod(0o600)
        return _name_backup(part, path, version, stamp)
    except (sqlite3.DatabaseError, OSError) as exc:
        raise PortfolioError(f"{path}: cannot write the backup before upgrading ({exc})") from None
    finally:
        _remove(part)


def _name_backup(part: Path, path: Path, version: int, stamp: str) -> Path:
    """part under the first free name NAME.vN-STAMP[-n].bak (never over an earlier backup: two upgrades
    in one second)."""
    for n in range(1, 100):
        target = path.with_name(f"{path.name}.v{version}-{stamp}{'' if n == 1 else f'-{n}'}.bak")
        try:
            os.link(part, target)
        except FileExistsError:
            continue
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP) or target.exists():
                raise
            os.replace(part, target)  # a file system without hard links
        return target
    raise FileExistsError(errno.EEXIST, "too many backups in one second")


def _migrate(conn: sqlite3.Connection, path: Path, current: int) -> bool:
    """Apply each newer migration; all of them in one transaction, so a failure leaves the file as it was.
    False when another program finished the upgrade while this one waited for the write lock."""
    try:
        conn.execute("BEGIN IMMEDIATE")
        current = _pragma(conn, "user_version")  # under the write lock: what is there now
        pending = [(v, name, sql) for v, name, sql in migration_files() if v > current]
        if not pending:
            conn.execute("ROLLBACK")
            return False
        reshaped = upgrade_seal.reshaped_tables(conn, current, [sql for _, _, sql in pending])
        before = upgrade_seal.digests(conn, reshaped)
        regroup = upgrade_seal.Regroup.needed(conn, current) if pending[-1][0] >= upgrade_seal.REGROUPED else None
        for version, name, sql in pending:
            try:
                _run_script(conn, sql)
            except sqlite3.DatabaseError as exc:
                raise PortfolioError(f"{path}: migration {version:04d}_{name} failed ({exc})") from None
        upgrade_seal.reseal(conn, before, regroup, from_version=current, to_version=pending[-1][0])
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {pending[-1][0]}")
        conn.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        _rollback(conn)
        if is_busy(exc):
            raise busy_error(path) from None
        if out_of_space(exc, path):
            raise PortfolioError(f"{path}: the disk is full; nothing was changed") from None
        raise PortfolioError(f"{path}: cannot write ({exc})") from None
    except BaseException:
        _rollback(conn)
        raise
    return True


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
        with contextlib.suppress(sqlite3.Error):  # a failed COMMIT may have rolled back already
            conn.execute("ROLLBACK")
