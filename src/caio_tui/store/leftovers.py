"""Temporary files a command makes beside its target (a portfolio being built, an export being written, a
backup being copied) carry the id of the process that made them in their name, so that a later run can tell
the ones a killed process left (its process is gone) from the ones a running program is still writing."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
from pathlib import Path

# The machine's name, hashed (a process id means nothing on another machine sharing the folder).
_MACHINE = hashlib.sha256(os.uname().nodename.encode()).hexdigest()[:8]
_MARK = re.compile(r"~(\d+)\.([0-9a-f]{8})~")


def mark() -> str:
    """The part of a temporary name that says which process made it: `~PID.MACHINE~`."""
    return f"~{os.getpid()}.{_MACHINE}~"


def is_stale(name: str) -> bool:
    """A name marked by a process of this machine that no longer runs."""
    found = _MARK.search(name)
    if found is None or found[2] != _MACHINE:
        return False
    pid = int(found[1])
    return pid != os.getpid() and not _running(pid)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except OSError:  # it exists, under another user
        return True
    return True


def remove_stale(folder: Path, prefix: str) -> None:
    """Remove what killed processes left in folder under names starting with prefix (best effort: a
    leftover that cannot be removed now is tried again by the next run)."""
    try:
        entries = [e for e in os.scandir(folder) if e.name.startswith(prefix) and is_stale(e.name)]
    except OSError:
        return
    for entry in entries:
        with contextlib.suppress(OSError):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
