"""Writing export files so that a reader never sees half of one.

The bytes go to a temporary file in the target's own folder (same file system, so the final rename is
atomic), are flushed to disk, and only then take the target's name. A crash leaves either the old file
or the new one, never a mix; the temporary file is removed on any error, and the one a killed export left
is removed by the next export to the same name (its name carries the id of the process that made it).

A target that is not a regular file is never replaced: a terminal, a pipe or a device such as /dev/null is
written in place, and so is a file named by one of this process's open descriptors (/dev/stdout, /dev/fd/N,
/proc/self/fd/N: the shell's redirection to a file); any other kind (a block device, a socket) is refused.
A portfolio this process has open, or its -wal, -shm or -journal, is refused too: replacing it would pull
the file from under SQLite.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from caio_tui.store.leftovers import mark, remove_stale
from caio_tui.store.open_files import is_open_here

if TYPE_CHECKING:
    from typing_extensions import Buffer  # collections.abc.Buffer from Python 3.12

PRIVATE_MODE = 0o600
_SIDE_FILES = ("-wal", "-shm", "-journal")
# Names of a descriptor the process already has open: replacing one would replace the kernel's link.
_DESCRIPTOR_NAME = re.compile(r"/dev/(stdout|stderr|fd/\d+)|/proc/(self|thread-self|\d+)/fd/\d+")


class FileWriteError(Exception):
    """An export that could not be written; the message is one line naming the file."""


def write_atomic(path: Path, data: bytes, *, force: bool = False) -> None:
    """Write data to path atomically, mode 0600. An existing file is replaced only when force is set."""
    with atomic_output(path, force=force) as out:
        out.write(data)


@contextmanager
def atomic_output(path: Path, *, force: bool = False) -> Iterator[BinaryIO]:
    """A binary file to write an export into; on a clean exit it takes path's name in one rename (an
    existing file only with force), on any error it is removed and path is left as it was."""
    folder = check_target(path, force=force)
    if _in_place(path):
        with _output_in_place(path) as out:
            yield out
        return
    remove_stale(folder, f".{path.name}.")
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.{mark()}.", suffix=".tmp")
    except OSError as exc:
        raise FileWriteError(f"{path}: cannot write in {folder} ({exc.strerror}); nothing was written") from None
    try:
        with os.fdopen(handle, "wb") as out:
            os.fchmod(out.fileno(), PRIVATE_MODE)
            yield out
            out.flush()
            os.fsync(out.fileno())
        _publish(Path(temporary), path, force=force)
    except OSError as exc:
        _remove(temporary)
        raise FileWriteError(f"{path}: cannot write ({exc.strerror}); nothing was written") from None
    except BaseException:
        _remove(temporary)
        raise
    _sync_folder(folder)


def check_target(path: Path, *, force: bool = False) -> Path:
    """Refuse a target that cannot be written (before any work is done); returns its folder."""
    if path.is_dir():
        raise FileWriteError(f"{path}: is a folder; give a file name")
    if _is_open_portfolio(path):
        raise FileWriteError(f"{path}: is a portfolio file in use; nothing was written (give another name)")
    if _in_place(path):
        return path.parent
    if path.exists() and not force:
        raise FileWriteError(f"{path}: exists already; nothing was written (use --force to replace it)")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise FileWriteError(f"{path}: the folder {folder} does not exist; nothing was written")
    return folder


def _is_open_portfolio(path: Path) -> bool:
    """path is a portfolio this process has open, or one of its SQLite side files."""
    for suffix in _SIDE_FILES:
        if path.name.endswith(suffix) and is_open_here(path.with_name(path.name.removesuffix(suffix))):
            return True
    return is_open_here(path)


def _in_place(path: Path) -> bool:
    """Whether path is written in place rather than replaced; FileWriteError for a kind never written."""
    try:
        found = os.stat(path)
    except OSError:
        return False  # nothing there (or a dangling link, which the atomic way refuses to replace)
    if stat.S_ISCHR(found.st_mode) or stat.S_ISFIFO(found.st_mode):
        return True
    if stat.S_ISREG(found.st_mode):
        return _DESCRIPTOR_NAME.fullmatch(str(path.absolute())) is not None
    raise FileWriteError(f"{path}: is not a regular file, a terminal or a pipe; nothing was written")


@contextmanager
def _output_in_place(path: Path) -> Iterator[BinaryIO]:
    """path opened for writing as it is: never created, truncated or replaced (a regular file named by a
    descriptor is appended to: the shell's `>` left it empty, its `>>` asked for that)."""
    flags = os.O_WRONLY | os.O_CLOEXEC | (os.O_APPEND if stat.S_ISREG(os.stat(path).st_mode) else 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise FileWriteError(f"{path}: cannot write ({exc.strerror}); nothing was written") from None
    try:
        with io.BufferedWriter(_Counted(fd)) as out:
            yield out
    except OSError as exc:
        raise FileWriteError(f"{path}: cannot write ({exc.strerror})") from None


class _Counted(io.RawIOBase):
    """A file descriptor written to as a stream that cannot seek (a pipe, a terminal); tell() is the
    number of bytes written, which is what an export reports as its size."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._written = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Buffer, /) -> int:
        done = os.write(self._fd, data)
        self._written += done
        return done

    def tell(self) -> int:
        return self._written

    def close(self) -> None:
        if not self.closed:
            os.close(self._fd)
        super().close()


def _remove(temporary: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(temporary)


def _publish(temporary: Path, path: Path, *, force: bool) -> None:
    if force:
        os.replace(temporary, path)
        return
    # Without force, a file that appeared since the check above must not be replaced: link() refuses
    # an existing name where rename() would silently overwrite it.
    try:
        os.link(temporary, path)
    except FileExistsError:
        os.unlink(temporary)
        raise FileWriteError(f"{path}: exists already; nothing was written (use --force to replace it)") from None
    except OSError:  # a file system without hard links: fall back to the (still atomic) rename
        os.replace(temporary, path)
        return
    os.unlink(temporary)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (best effort: not every platform can open a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
