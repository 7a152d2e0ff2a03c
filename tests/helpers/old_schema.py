"""Take a portfolio back to an older schema, as an older caio-tui left it (for upgrade tests)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from caio_tui.store import audit


def as_version_3(path: Path) -> None:
    """Schema 3: no state seal, and events without `state` (each re-hashed as schema 3 hashed it)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("BEGIN")
    conn.execute("DROP TABLE state_seal")
    conn.execute("DROP TABLE IF EXISTS inventory_mapping")  # schema 5
    prev = audit.GENESIS
    for row in conn.execute("SELECT * FROM audit_event ORDER BY id").fetchall():
        event = dict(row) | {"state": None, "prev_hash": prev}
        prev = audit.event_hash(event)
        conn.execute(
            "UPDATE audit_event SET prev_hash = ?, hash = ? WHERE id = ?", (event["prev_hash"], prev, row["id"])
        )
    conn.execute("ALTER TABLE audit_event DROP COLUMN state")
    conn.execute("PRAGMA user_version = 3")
    conn.execute("COMMIT")
    conn.close()
