"""The audit trail: an append-only, hash-chained log of every change.

Each event stores the SHA-256 of its canonical content together with the hash of the event before it, so
an event that is changed, deleted or inserted out of order breaks the chain from that point on.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64
_FIELDS = ("id", "at", "actor", "action", "pilot_id", "before", "after", "source", "undoes", "prev_hash")


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_hash(event: dict[str, Any]) -> str:
    content = canonical_json({name: event.get(name) for name in _FIELDS})
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def append(
    conn: sqlite3.Connection,
    *,
    at: str,
    actor: str,
    action: str,
    pilot_id: str | None,
    before: Any,
    after: Any,
    source: str = "",
    undoes: int | None = None,
) -> int:
    """Add an event inside the caller's transaction; returns its id."""
    last = conn.execute("SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1").fetchone()
    event: dict[str, Any] = {
        "id": (last["id"] + 1) if last else 1,
        "at": at,
        "actor": actor,
        "action": action,
        "pilot_id": pilot_id,
        "before": None if before is None else canonical_json(before),
        "after": None if after is None else canonical_json(after),
        "source": source,
        "undoes": undoes,
        "prev_hash": last["hash"] if last else GENESIS,
    }
    event["hash"] = event_hash(event)
    columns = ", ".join(event)
    conn.execute(f"INSERT INTO audit_event ({columns}) VALUES ({', '.join('?' * len(event))})", tuple(event.values()))
    return int(event["id"])


@dataclass(frozen=True)
class ChainBreak:
    event_id: int
    reason: str


def verify_chain(conn: sqlite3.Connection) -> tuple[int, ChainBreak | None]:
    """Walk the chain; (events checked, the first break or None)."""
    prev_hash = GENESIS
    expected_id = 1
    checked = 0
    for row in conn.execute(f"SELECT {', '.join(_FIELDS)}, hash FROM audit_event ORDER BY id"):
        event = dict(row)
        if event["id"] != expected_id:
            return checked, ChainBreak(event["id"], f"event {expected_id} is missing (deleted or renumbered)")
        if event["prev_hash"] != prev_hash:
            return checked, ChainBreak(event["id"], "does not follow the event before it (inserted or reordered)")
        if event_hash(event) != event["hash"]:
            return checked, ChainBreak(event["id"], "its content was changed after it was recorded")
        prev_hash = event["hash"]
        expected_id += 1
        checked += 1
    return checked, None
