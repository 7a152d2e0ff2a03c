"""The files this process has open through SQLite, and the one way it connects to them.

SQLite's locks on a file are POSIX advisory locks, which belong to the process, not to a file handle:
closing ANY handle on the file in this process drops every lock that all its connections hold. Another
program would then take the WAL for abandoned and delete it, or write over pages this process is using.
So every connection is registered by the file's identity (device, inode), and the one place that reads a
portfolio's bytes outside SQLite (read_header) does it only for a file with no connection open here.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from collections import Counter
from pathlib import Path

# How long a write (or an open) waits for another program's write before saying it is busy. Long on purpose:
# the longest writes users run on a shared portfolio are imports, one transaction each (an OMB inventory
# of 20,000 use cases holds the file 3.5 s on an idle 2-core machine, 9.5 s on a loaded one); a write
# queued behind one should land, not fail. Only a program stopped in the middle of a write makes anyone
# wait this long (one that dies releases its lock at once).
BUSY_TIMEOUT_MS = 30_000  # read at each use (store modules say open_files.BUSY_TIMEOUT_MS): tests shorten it

_open_files: Counter[tuple[int, int]] = Counter()
_open_files_lock = threading.Lock()


class _Connection(sqlite3.Connection):
    """A connection that keeps _open_files up to date: on close, or when it is collected unclosed."""

    _release: weakref.finalize[[tuple[int, int]], _Connection] | None = None

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self._release is not None:
                self._release()


def _file_key(path: Path) -> tuple[int, int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


def _register(conn: _Connection, path: Path) -> None:
    key = _file_key(path)
    if key is None:
        return
    with _open_files_lock:
        _open_files[key] += 1
    conn._release = weakref.finalize(conn, _unregister, key)


def _unregister(key: tuple[int, int]) -> None:
    with _open_files_lock:
        _open_files[key] -= 1
        if _open_files[key] <= 0:
            del _open_files[key]


def is_open_here(path: Path) -> bool:
    """Whether this process has a connection open on the file at path (by identity, whatever its name)."""
    key = _file_key(path)
    with _open_files_lock:
        return key is not None and key in _open_files


def read_header(path: Path, size: int) -> bytes | None:
    """The first size bytes of the file at path, read outside SQLite; None (nothing is opened) when this
    process has a connection open on that file. Raises OSError. Held under the registry's lock, so no
    connection of this process can open the file between the check and the closing of the handle."""
    with _open_files_lock:
        key = _file_key(path)
        if key is not None and key in _open_files:
            return None
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            opened = os.fstat(fd)
            if (opened.st_dev, opened.st_ino) in _open_files:  # replaced since the stat by a file open here:
                return None  # the handle still has to be closed below; nothing better is possible
            return os.read(fd, size)
        finally:
            os.close(fd)


def connect_uri(path: Path, mode: str) -> _Connection:
    """A connection through an explicit URI built from the absolute path: a name such as
    'file:x.db?mode=memory' is a file of that name, never a URI of SQLite's."""
    uri = "file:" + uri_path(path) + f"?mode={mode}"
    conn = sqlite3.connect(
        uri,
        uri=True,
        isolation_level=None,
        timeout=BUSY_TIMEOUT_MS / 1000,
        check_same_thread=False,
        factory=_Connection,
    )
    _register(conn, path)
    return conn


def uri_path(path: Path) -> str:
    """The path part of a SQLite URI: absolute, with the characters a URI reserves escaped."""
    text = str(path.absolute())
    escaped = text.replace("%", "%25").replace("?", "%3f").replace("#", "%23")
    return "//" + escaped if escaped.startswith("//") else escaped  # an empty authority before a '//' path
