"""Take a portfolio back to an older schema, as an older caio-tui left it (for upgrade tests)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from caio_tui.store import audit, seal

IDENTITY_TABLES = (
    "idp_file",
    "idp_app",
    "idp_credential",
    "idp_assignment",
    "idp_person",
    "idp_sign_in",
    "idp_link",
    "idp_proposal",
    "identity_rules",
)
# Schema 13, children first (they reference their parents).
OFFICE_TABLES = ("office_conflict", "office_request", "office_bundle", "office_base", "office_send")


def as_version_4(path: Path) -> None:
    """Schema 4 (before 0006): no pilot.below_gate, no territory 'unassessed' (such pilots were 'clear'),
    every row sealed as schema 4 sealed it (a digest of JSON arrays per table and group, before schema 10
    gave each pilot one seal row) and the newest event recording that state."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("BEGIN")
    for table in ("inventory_mapping", "commercial_use", "commercial_file"):  # schemas 5 and 7
        conn.execute(f"DROP TABLE IF EXISTS {table}")
    for table in OFFICE_TABLES:  # schema 13
        conn.execute(f"DROP TABLE IF EXISTS {table}")
    conn.execute("DROP INDEX IF EXISTS audit_office_merge")
    for table in IDENTITY_TABLES:  # schema 8
        conn.execute(f"DROP TABLE IF EXISTS {table}")
    conn.execute("DROP INDEX pilot_ready")  # schema 12
    conn.execute("DROP INDEX pilot_unready")
    conn.execute("ALTER TABLE pilot DROP COLUMN ready")
    conn.execute("DROP INDEX pilot_below_gate")
    conn.execute("DROP INDEX pilot_unjudged")
    conn.execute("ALTER TABLE pilot DROP COLUMN below_gate")
    conn.execute("ALTER TABLE blocker DROP COLUMN resolution")  # schema 11
    conn.execute("UPDATE pilot SET territory = 'clear' WHERE territory = 'unassessed'")
    conn.execute("DELETE FROM state_seal")
    total = 0
    present = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
    for spec in (t for t in seal.TABLES if t.table in present):
        for group, digest in seal.json_table_digests(conn, spec):
            total += int.from_bytes(digest, "big")
            conn.execute("INSERT INTO state_seal VALUES (?, ?, ?)", (spec.table, group, digest))
    last = conn.execute("SELECT * FROM audit_event ORDER BY id DESC LIMIT 1").fetchone()
    if last is not None:
        event = dict(last) | {"state": seal.state_text(total)}
        conn.execute(
            "UPDATE audit_event SET state = ?, hash = ? WHERE id = ?",
            (event["state"], audit.event_hash(event), last["id"]),
        )
    conn.execute("PRAGMA user_version = 4")
    conn.execute("COMMIT")
    conn.close()


def as_version_3(path: Path) -> None:
    """Schema 3: no state seal, and events without `state` (each re-hashed as schema 3 hashed it)."""
    as_version_4(path)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("BEGIN")
    conn.execute("DROP TABLE state_seal")
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


def as_version_13(path: Path) -> None:
    """Schema 13 (before 0014): office_base a WITHOUT ROWID table keyed by (pilot_id, send_id), its rows
    the same (so their seal is too)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    conn.execute("ALTER TABLE office_base RENAME TO office_base_14")
    conn.execute(
        "CREATE TABLE office_base (send_id TEXT NOT NULL REFERENCES office_send(id), pilot_id TEXT NOT NULL, "
        "state TEXT NOT NULL, PRIMARY KEY (pilot_id, send_id)) STRICT, WITHOUT ROWID"
    )
    conn.execute("INSERT INTO office_base SELECT send_id, pilot_id, state FROM office_base_14")
    conn.execute("DROP TABLE office_base_14")
    conn.execute("PRAGMA user_version = 13")
    conn.execute("COMMIT")
    conn.close()
