"""The state seal across a schema upgrade that reshapes sealed rows.

A row is sealed by the text of every one of its columns (store/seal.py), so a migration that adds a column
to a sealed table (0006 adds pilot.below_gate) changes the text of every row of it: without this, the next
`verify` would name every pilot as changed outside caio-tui, and every write would be refused.

So the upgrade digests the reshaped tables before its scripts and again after, inside its one transaction:
a group whose seal held before the upgrade is sealed again as the upgrade left it, and the state moves by
the difference in an audit event of its own (`schema.upgrade`). A group whose seal did not hold (a row
changed outside caio-tui before the upgrade) keeps its old digest, so verify still names it: the upgrade
never launders a change.

Schema 10 changed how a pilot is sealed (four JSON digests in four rows became four plain-text digests in
one row, store/seal_digest.py). An upgrade across it digests every pilot's tables the old way before the
scripts (`Regroup`) and, where the old seal held, the new way after them; where it did not hold, the new
row keeps a digest no rows can match (derived from the old one), so verify still names the group, changed
or deleted, and a group that had no digest still has none (added).
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from datetime import UTC, datetime

from caio_tui.store import audit, rows, seal
from caio_tui.store.seal_digest import PER_PILOT, put, stored_digests

_WRITES_TABLE = re.compile(r"\b(?:ALTER\s+TABLE|UPDATE|INSERT\s+INTO|DELETE\s+FROM)\s+(\w+)", re.IGNORECASE)
_MODULUS = 1 << 256
REGROUPED = 10  # the schema from which a pilot's four digests share one seal row

Digests = dict[str, dict[str, bytes]]  # table -> group -> digest


def reshaped_tables(conn: sqlite3.Connection, version: int, scripts: list[str]) -> list[str]:
    """The sealed tables the scripts change, when the file is sealed (schema 4 or later, with a state
    recorded); empty otherwise (an older file is sealed whole after its upgrade, see seeding.seal_if_never_sealed)."""
    if version < 4:
        return []
    head = conn.execute("SELECT state FROM audit_event ORDER BY id DESC LIMIT 1").fetchone()
    if head is None or head[0] is None:
        return []
    code = "\n".join(line for sql in scripts for line in sql.splitlines() if not line.lstrip().startswith("--"))
    regrouped = PER_PILOT if version < REGROUPED else ()  # these go through Regroup instead
    # Only the tables there now: one an earlier script of the same upgrade creates has no rows to reseal.
    present = {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
    written = set(_WRITES_TABLE.findall(code)) & present
    return sorted(t for t in written if t in seal.BY_TABLE and t not in regrouped)


class Regroup:
    """A sealed file crossing schema 10: its pilots' digests, the old way, before the scripts."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.held: dict[str, dict[str, bytes | None]] = {}  # table -> group -> old digest (None: none)
        self.broken: dict[str, dict[str, bytes]] = {}  # table -> group -> old digest that did not hold
        self.total = 0  # the sum of the old digests stored
        for table in PER_PILOT:
            stored = {
                str(g): bytes(d) for g, d in conn.execute("SELECT grp, digest FROM state_seal WHERE tbl = ?", (table,))
            }
            self.total += sum(int.from_bytes(d, "big") for d in stored.values())
            computed = dict(seal.json_table_digests(conn, seal.BY_TABLE[table]))
            held, broken = self.held.setdefault(table, {}), self.broken.setdefault(table, {})
            for group in stored.keys() | computed.keys():
                if stored.get(group) == computed.get(group):
                    held[group] = stored.get(group)
                elif group in stored:
                    broken[group] = stored[group]
            # a group with rows and no digest (added) is in neither: it stays without one

    @classmethod
    def needed(cls, conn: sqlite3.Connection, version: int) -> Regroup | None:
        if not 4 <= version < REGROUPED:
            return None
        head = conn.execute("SELECT state FROM audit_event ORDER BY id DESC LIMIT 1").fetchone()
        if head is None or head[0] is None:
            return None
        return cls(conn)

    def apply(self, conn: sqlite3.Connection) -> tuple[int, int]:
        """After the scripts: each pilot's new seal row; (the state's move, groups sealed again)."""
        conn.executemany("DELETE FROM state_seal WHERE tbl = ?", [(t,) for t in PER_PILOT])
        changes: dict[tuple[str, str], bytes | None] = {}
        for table in PER_PILOT:
            now = dict(seal.table_digests(conn, seal.BY_TABLE[table]))
            for group, was in self.held[table].items():
                if was is not None and group in now:
                    changes[(table, group)] = now[group]
            for group, was in self.broken[table].items():
                # No rows can give this digest (it is not a digest of any text the seal builds).
                changes[(table, group)] = hashlib.sha256(b"sealed before schema 10, not holding\x1f" + was).digest()
        put(conn, changes)
        total = sum(int.from_bytes(d, "big") for d in changes.values() if d is not None)
        return total - self.total, len(changes)


def digests(conn: sqlite3.Connection, tables: list[str]) -> Digests:
    return {t: dict(seal.table_digests(conn, seal.BY_TABLE[t])) for t in tables}


def reseal(
    conn: sqlite3.Connection, before: Digests, regroup: Regroup | None, *, from_version: int, to_version: int
) -> None:
    """Seal again, after the scripts, each group of `before` whose seal held, and the pilots across schema
    10 (`regroup`); one event records it."""
    delta, regrouped = regroup.apply(conn) if regroup is not None else (0, 0)
    count = regrouped
    for table, old in before.items():
        stored = stored_digests(conn, table)
        changes: dict[tuple[str, str], bytes | None] = {}
        for group, digest in seal.table_digests(conn, seal.BY_TABLE[table]):
            was = old.get(group)
            if was is None or stored.get(group) != was or was == digest:
                continue  # new, not holding before the upgrade, or unchanged by it
            delta += int.from_bytes(digest, "big") - int.from_bytes(was, "big")
            changes[(table, group)] = digest
        put(conn, changes)
        count += len(changes)
    if not count and regroup is None:
        return
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
            "resealed": count,
            "summary": f"upgraded the schema from version {from_version} to {to_version}: {count} row group(s) "
            f"of {', '.join([*before, *(PER_PILOT if regroup else ())])} sealed again as reshaped",
        },
    )
    row = conn.execute("SELECT * FROM audit_event WHERE id = ?", (event_id,)).fetchone()
    event = {k: row[k] for k in row.keys()}  # noqa: SIM118 (sqlite3.Row has no items())
    event["state"] = state
    conn.execute("UPDATE audit_event SET state = ?, hash = ? WHERE id = ?", (state, audit.event_hash(event), event_id))
