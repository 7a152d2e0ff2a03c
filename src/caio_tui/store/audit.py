"""The audit trail: an append-only, hash-chained log of every change.

Each event stores the SHA-256 of its canonical content together with the hash of the event before it, so
an event that is changed, deleted or inserted out of order breaks the chain from that point on.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from caio_tui.store.errors import PortfolioError

GENESIS = "0" * 64
_FIELDS = ("id", "at", "actor", "action", "pilot_id", "before", "after", "source", "undoes", "prev_hash")


# `state` (schema 4: the sum of the state seal's digests after the event, see seal.py) is in the hashed content
# only when the event carries one, so the events written before it keep their hashes.
_STATE_FIELDS = (*_FIELDS, "state")
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _keys(names: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    ordered = tuple(sorted(names))
    return ordered, tuple(f'{"{" if i == 0 else ","}"{name}":' for i, name in enumerate(ordered))


_SORTED, _KEYS = _keys(_FIELDS)
_STATE_SORTED, _STATE_KEYS = _keys(_STATE_FIELDS)


def canonical_json(value: Any) -> str:
    return _ENCODER.encode(value)


def event_hash(event: dict[str, Any]) -> str:
    with_state = event.get("state") is not None
    names, keys = (_STATE_SORTED, _STATE_KEYS) if with_state else (_SORTED, _KEYS)
    values = [event.get(name) for name in names]
    if all(v is None or type(v) is str or type(v) is int for v in values):
        # The stored columns are only text, integers and NULL (the table is STRICT): the canonical JSON
        # written directly, several times faster than the encoder, so a long trail verifies quickly.
        parts = [
            key + ("null" if v is None else str(v) if type(v) is int else _encode_text(v))
            for key, v in zip(keys, values, strict=True)
        ]
        content = "".join(parts) + "}"
    else:
        content = canonical_json({name: event.get(name) for name in names})
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


_encode_text: Any = getattr(json.encoder, "c_encode_basestring", None) or json.encoder.py_encode_basestring


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


class Mark(StrEnum):
    """What the chain says of one event."""

    VERIFIED = "verified"  # its content matches its hash, and every event back to the first does too
    BROKEN = "broken"  # changed, or not the event that followed the one before it
    UNVERIFIED = "unverified"  # sound on its own, but after a break: nothing vouches for it any more


@dataclass(frozen=True)
class ChainReport:
    marks: dict[int, Mark]
    checked: int  # events verified before the first break
    broken: ChainBreak | None
    head: str  # the hash of the last event (GENESIS when there is none): note it to detect a cut tail


def verify_chain(conn: sqlite3.Connection) -> tuple[int, ChainBreak | None]:
    """Walk the chain; (events checked, the first break or None)."""
    report = check_chain(conn)
    return report.checked, report.broken


def check_chain(conn: sqlite3.Connection) -> ChainReport:
    """Walk the whole chain, marking each event; names the first that does not match."""
    marks: dict[int, Mark] = {}
    first: ChainBreak | None = None
    prev_hash, expected_id, checked = GENESIS, 1, 0
    columns = (*_STATE_FIELDS, "hash")
    try:
        cursor = conn.cursor()
        cursor.row_factory = None  # plain tuples: the walk reads every event
        for row in cursor.execute(f"SELECT {', '.join(columns)} FROM audit_event ORDER BY id"):
            event = dict(zip(columns, row, strict=True))
            reason = _fault(event, expected_id, prev_hash)
            if reason is not None:
                marks[event["id"]] = Mark.BROKEN
                first = first or ChainBreak(event["id"], reason)
            else:
                marks[event["id"]] = Mark.UNVERIFIED if first else Mark.VERIFIED
                checked += 0 if first else 1
            prev_hash, expected_id = event["hash"], event["id"] + 1
    except sqlite3.DatabaseError as exc:
        raise PortfolioError(f"{_file(conn)}: cannot read the audit trail ({exc})") from None
    return ChainReport(marks=marks, checked=checked, broken=first, head=prev_hash)


def _fault(event: dict[str, Any], expected_id: int, prev_hash: str) -> str | None:
    """Why this event does not follow the one before it, or None when it does."""
    if event["id"] != expected_id:
        return f"event {expected_id} is missing (deleted or renumbered)"
    if event["prev_hash"] != prev_hash:
        return "does not follow the event before it (inserted or reordered)"
    if event_hash(event) != event["hash"]:
        return "its content was changed after it was recorded"
    return None


def _file(conn: sqlite3.Connection) -> str:
    try:
        return str(conn.execute("PRAGMA database_list").fetchone()[2])
    except sqlite3.Error:
        return "the portfolio"
