"""Errors the store raises. Each message is one line a user can act on."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from caio_tui.domain.gates import GateResult


class StoreError(Exception):
    """A request the portfolio refuses: unknown pilot, invalid value, ..."""


class PortfolioError(StoreError):
    """The portfolio file cannot be used: not SQLite, another program's, newer schema, read-only, ..."""


class PortfolioBusy(StoreError):
    """Another process held the write lock longer than the busy timeout."""


class GateRefused(StoreError):
    """A move the gate refused; carries the result with every failing rule."""

    def __init__(self, result: GateResult) -> None:
        super().__init__(f"the gate into {result.to_stage.value} refused {result.pilot_id}")
        self.result = result


# ---- what a SQLite error means -----------------------------------------------------------------


def is_busy(exc: sqlite3.Error) -> bool:
    """SQLITE_BUSY or SQLITE_LOCKED: another connection holds a lock this one needs."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    text = str(exc)
    return "locked" in text or "busy" in text


# What SQLite reports when a write (of the file, its journal, -wal or -shm) finds no room.
_SPACE_ERRORS = (sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN)


def disk_full(path: Path) -> bool:
    """True when SQLite's failed write is explained by a full disk: SQLITE_FULL says so itself, but a
    -shm or -wal that cannot grow shows only as an I/O error."""
    try:
        stats = os.statvfs(path.parent)
    except OSError:
        return False
    return stats.f_bavail * stats.f_frsize < 64 * 1024


def out_of_space(exc: sqlite3.Error, path: Path) -> bool:
    """SQLITE_FULL, or an error a full disk causes (an I/O error growing -wal or -shm) with the disk full."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        return "database or disk is full" in str(exc)
    return code & 0xFF == sqlite3.SQLITE_FULL or (code & 0xFF in _SPACE_ERRORS and disk_full(path))


def is_corrupt(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == sqlite3.SQLITE_CORRUPT


def busy_error(path: Path) -> PortfolioBusy:
    return PortfolioBusy(f"{path}: another program is writing to the portfolio; try again")
