"""The rows an identity write changed, as they were and as they became: what its audit event keeps, so that
undo puts back exactly what was there, and refuses once any of those rows changed since.

A write wraps each row change in `changes.row(table, key)`: the row is read before and after. The export
files an import added are undone by deleting their facts (identity_facts.remove_files), not row by row.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from caio_tui.store.errors import StoreError

# The tables identity writes change, and how a row of each is found.
KEYS = {
    "idp_proposal": ("id",),
    "idp_link": ("pilot_id", "vendor", "app_key"),
    "identity_rules": ("version",),
    "coverage": ("pilot_id", "item_id"),
    "blocker": ("id",),
}


def read_row(conn: sqlite3.Connection, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
    where = " AND ".join(f"{k} = ?" for k in KEYS[table])
    cursor = conn.execute(f"SELECT * FROM {table} WHERE {where}", [key[k] for k in KEYS[table]])
    row = cursor.fetchone()
    if row is None:
        return None
    return {d[0]: v for d, v in zip(cursor.description, row, strict=True)}


def write_row(conn: sqlite3.Connection, table: str, key: dict[str, Any], row: dict[str, Any] | None) -> None:
    where = " AND ".join(f"{k} = ?" for k in KEYS[table])
    conn.execute(f"DELETE FROM {table} WHERE {where}", [key[k] for k in KEYS[table]])
    if row is not None:
        columns = ", ".join(row)
        conn.execute(f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * len(row))})", list(row.values()))


class Changes:
    """The rows one write changed, in the order it changed them (the first `before` and last `after` of a
    row changed twice)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._rows: dict[tuple[str, tuple[Any, ...]], dict[str, Any]] = {}

    @contextmanager
    def row(self, table: str, key: dict[str, Any]) -> Iterator[None]:
        ident = (table, tuple(key[k] for k in KEYS[table]))
        before = read_row(self.conn, table, key)
        yield
        entry = self._rows.setdefault(ident, {"table": table, "key": key, "before": before})
        entry["after"] = read_row(self.conn, table, key)

    def recorded(self) -> list[dict[str, Any]]:
        return [e for e in self._rows.values() if e["before"] != e["after"]]


def revert(conn: sqlite3.Connection, recorded: list[dict[str, Any]], what: str) -> list[str]:
    """Put each recorded row back as it was; refused, naming the first, when one changed since. Returns the
    pilots whose coverage or blockers it put back (their derived columns need a refresh)."""
    for entry in recorded:
        now = read_row(conn, entry["table"], entry["key"])
        if now != entry["after"]:
            raise StoreError(f"cannot undo {what}: {_name(entry)} changed since; nothing was undone")
    for entry in reversed(recorded):
        write_row(conn, entry["table"], entry["key"], entry["before"])
    return sorted(
        {str((e["before"] or e["after"])["pilot_id"]) for e in recorded if e["table"] in ("coverage", "blocker")}
    )


def _name(entry: dict[str, Any]) -> str:
    row = entry["after"] or entry["before"] or {}
    table = entry["table"]
    if table == "idp_proposal":
        return f"proposal {entry['key']['id']} ({row.get('rule')} for {row.get('pilot_id')})"
    if table == "coverage":
        return f"{row.get('item_id')} of {row.get('pilot_id')}"
    if table == "blocker":
        return f"the {row.get('tag')} blocker of {row.get('pilot_id')}"
    if table == "idp_link":
        return f"the link of {row.get('pilot_id')} to {row.get('app_name')}"
    return f"identity rules version {entry['key'].get('version')}"
