"""Heads noted outside the portfolio: the anchor that catches a rewritten or cut audit trail.

The chain lives in the file it protects: whoever can write the file can re-hash the whole trail, or cut its
newest events, and the chain still verifies. A head noted elsewhere catches both: `caio-tui verify --head`
checks that the noted event is still in the trail with the same hash. A head can be noted by hand (what
`verify` prints), or taken from a file that carries one: every snapshot (`"audit"` in its header) and every
HTML briefing (a `caio-tui-audit-head` meta tag and the line at its foot).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_HEX = re.compile(r"^[0-9a-f]{16,64}$")
# A snapshot's header comes before its pilots: the head is in the first few kilobytes of even a 1 GB file.
_SNAPSHOT_AUDIT = re.compile(rb'"audit":\s*\{\s*"events":\s*(\d+),\s*"head":\s*"([0-9a-f]{64})"')
_BRIEFING_META = re.compile(rb'<meta name="caio-tui-audit-head" content="(\d+):([0-9a-f]{64})"')
_READ = 4 << 20


class AnchorError(Exception):
    """A head that cannot be read: the message says what was given and why."""


@dataclass(frozen=True)
class NotedHead:
    head: str  # the hash, or its first 16 or more hex digits
    events: int | None  # the event it was noted at, when the note says
    source: str  # where it came from, for the messages


def noted_head(text: str) -> NotedHead:
    """A head given on the command line: a hash (16 to 64 hex digits), or a snapshot or briefing file.
    Read before the portfolio is opened: a file read here must never be the open portfolio itself (closing
    a handle on it would drop the process's SQLite locks)."""
    value = text.strip().lower()
    if _HEX.match(value):
        return NotedHead(value, None, "the noted head")
    path = Path(text)
    if not path.is_file():
        raise AnchorError(f"{text}: neither an audit head (16 to 64 hex digits) nor a snapshot or briefing file")
    try:
        with path.open("rb") as handle:
            start = handle.read(_READ)
    except OSError as exc:
        raise AnchorError(f"{text}: cannot read ({exc.strerror})") from None
    for pattern in (_SNAPSHOT_AUDIT, _BRIEFING_META):
        found = pattern.search(start)
        if found:
            return NotedHead(found[2].decode(), int(found[1]), f"the head noted in {path.name}")
    raise AnchorError(f"{text}: carries no audit head (caio-tui snapshots and HTML briefings carry one)")
