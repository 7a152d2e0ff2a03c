"""The state seal across a schema upgrade that reshapes sealed rows.

A row is sealed by the text of every one of its columns (store/seal.py), so a migration that adds a column
to a sealed table (0006 adds pilot.below_gate) changes the text of every row of it: without this, the next
`verify` would name every pilot as changed outside caio-tui, and every write would be refused.

So the upgrade digests the reshaped tables before its scripts and again after, inside its one transaction:
a group whose seal held before the upgrade is sealed again as the upgrade left it, and the state moves by
the difference in an audit event of its own (`schema.upgrade`). A group whose seal did not hold (a row
changed outside caio-tui before the upgrade) keeps its old digest, so verify still names it: the upgrade
never launders a change.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime

from caio_tui.store import audit, rows, seal

_WRITES_TABLE = re.compile(r"\b(?:ALTER\s+TABLE|UPDATE|INSERT\s+INTO|DELETE\s+FROM)\s+(\w+)", re.IGNORECASE)
_MODULUS = 1 << 256

Digests = dict[str, dict[str, bytes]]  # table -> group -> digest


def reshaped_tables(conn: sqlite3.Connection, version: int, scripts: list[str]) -> list[str]:
    """The sealed tables the scripts change, when the file is sealed (schema 4 or later, with a state
    recorded); empty otherwise (an older file is sealed whole after its upgrade, see writes.seal_if_never_sealed)."""
    if version < 4:
        return []
    head = conn.execute("SELECT state FROM audit_event ORDER BY id DESC LIMIT 1").fetchone()
    if head is None or head[0] is None:
        return []
    code = "\n".join(line for sql in scripts for line in sql.splitlines() if not line.lstrip().startswith("--"))
    return sorted({t for t in _WRITES_TABLE.findall(code) if t in seal.BY_TABLE})


def digests(conn: sqlite3.Connection, tables: list[str]) -> Digests:
    return {t: dict(seal.table_digests(conn, seal.BY_TABLE[t])) for t in tables}


def reseal(conn: sqlite3.Connection, before: Digests, *, from_version: int, to_version: int) -> None:
    """Seal again, after the scripts, each group of `before` whose seal held; one event records it."""
    delta, resealed = 0, []
    for table, old in before.items():
        stored = seal.stored_digests(conn, table)
        for group, digest in seal.table_digests(conn, seal.BY_TABLE[table]):
            was = old.get(group)
            if was is None or stored.get(group) != was or was == digest:
                continue  # new, not holding before the upgrade, or unchanged by it
            delta += int.from_bytes(digest, "big") - int.from_bytes(was, "big")
            resealed.append((table, group, digest))
    if not resealed:
        return
    conn.executemany("INSERT OR REPLACE INTO state_seal VALUES (?, ?, ?)", resealed)
    head = conn.execute("SELECT state FROM audit_event ORDER BY id DESC LIMIT 1").fetchone()
    state = seal.state_text((int(head[0], 16) + delta) % _MODULUS)
    event_id = audit.append(
        conn,
        at=rows.timestamp(datetime.now(UTC)),
        actor="caio-tui",
        action="schema.upgrade",
        pilot_id=None,
        before={"schema": from_version},
        after={
            "schema": to_version,
            "resealed": len(resealed),
            "summary": f"upgraded the schema from version {from_version} to {to_version}: "
            f"{len(resealed)} row group(s) of {', '.join(before)} sealed again as reshaped",
        },
    )
    row = conn.execute("SELECT * FROM audit_event WHERE id = ?", (event_id,)).fetchone()
    event = {k: row[k] for k in row.keys()}  # noqa: SIM118 (sqlite3.Row has no items())
    event["state"] = state
    conn.execute("UPDATE audit_event SET state = ?, hash = ? WHERE id = ?", (state, audit.event_hash(event), event_id))
