"""Writing export files so that a reader never sees half of one.

The bytes go to a temporary file in the target's own folder (same file system, so the final rename is
atomic), are flushed to disk, and only then take the target's name. A crash leaves either the old file
or the new one, never a mix; the temporary file is removed on any error.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

PRIVATE_MODE = 0o600


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
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
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
    if path.exists() and not force:
        raise FileWriteError(f"{path}: exists already; nothing was written (use --force to replace it)")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise FileWriteError(f"{path}: the folder {folder} does not exist; nothing was written")
    return folder


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
