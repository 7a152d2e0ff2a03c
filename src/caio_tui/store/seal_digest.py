"""How the state seal digests rows and where it keeps the digests (store/seal.py says what and why).

Two kinds of group, each digested as the SHA-256 of its table, its group and its rows as text:

- a row of a small table (meta, framework, item, blocker_tag, gate rules and re-checks, the inventory
  mapping, the commercial AI file) or the commercial uses of one agency: its rows as JSON arrays
  (`json_array` of every column, joined by U+001E), one `state_seal` row each (schema 4's format);
- a pilot (schema 10): one digest per table (its own row, its coverage, its blockers, its stage moves), each
  over the values of the pilot's rows in that table, every column as text (`CAST(... AS TEXT)`, NULL as
  U+001C) joined by U+001F. The four digests live in ONE `state_seal` row (tbl 'pilot', 128 bytes, 32 zero
  bytes where the pilot has no row in a table), so a 100,000-pilot portfolio keeps 100,000 seal rows, not
  369,000, and a bulk load digests its pilots from the values it inserts (store/bulk_seal.py) instead of
  reading 1.5 million rows back. The text is unambiguous because the separators are counted: a group where
  a value itself holds U+001C or U+001F (the counts differ from what the rows' columns give) is digested
  from its JSON arrays instead, under the table name with ':json' (a different text, so never equal).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

ROW_SEPARATOR = "\x1e"  # between the JSON arrays of a small table's group
SEP = "\x1f"  # between the values of a pilot's rows in one table
NULL = "\x1c"  # a NULL value, in a pilot's rows
PER_PILOT = ("pilot", "coverage", "blocker", "stage_move")  # the four digests of a pilot's seal row, in order
SLOT = {table: i for i, table in enumerate(PER_PILOT)}
EMPTY = bytes(32)  # a table where the pilot has no row
_BATCH = 500  # groups per statement when many are read at once (SQLite allows 32,766 parameters)


@dataclass(frozen=True)
class Sealed:
    """A table whose rows the seal covers: `group` names the column that groups them, `order` the order of
    the rows in a group (that of the index `index`, which a GROUP BY over the whole table walks)."""

    table: str
    group: str
    order: str
    label: str  # how a group is named to the user: "{label} {group}"
    index: str | None = None  # set for tables whose groups hold many rows


def digest(table: str, group: str, text: str) -> bytes:
    return hashlib.sha256(f"{table}\x1f{group}\x1f{text}".encode("utf-8", errors="surrogatepass")).digest()


def columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [str(r[1]) for r in conn.execute(f"PRAGMA table_info({table})")]


def json_text(conn: sqlite3.Connection, table: str) -> str:
    """SQL for one row as a JSON array (quotes and control characters escaped, NULL as null)."""
    return "json_array(" + ", ".join(f'"{c}"' for c in columns(conn, table)) + ")"


@dataclass(frozen=True)
class PlainText:
    """SQL for a pilot's row in one table as plain text, with the counts that prove it unambiguous."""

    text: str  # the values as text joined by SEP, NULL as NULL
    nulls: str  # how many of the row's values are NULL
    width: int  # how many columns

    @classmethod
    def of(cls, conn: sqlite3.Connection, table: str) -> PlainText:
        names = columns(conn, table)
        text = " || char(31) || ".join(f'coalesce(CAST("{c}" AS TEXT), char(28))' for c in names)
        nulls = " + ".join(f'("{c}" IS NULL)' for c in names)
        return cls(text, nulls, len(names))


def plain_digest(table: str, group: str, text: str, rows: int, nulls: int, width: int) -> bytes | None:
    """The digest of a pilot's rows in `table` from their plain text; None when a value holds a separator
    (the group is then digested from its JSON arrays: json_digests)."""
    if text.count(SEP) != rows * width - 1 or text.count(NULL) != nulls:
        return None
    return digest(table, group, text)


def json_digests(conn: sqlite3.Connection, spec: Sealed, groups: Iterable[str]) -> dict[str, bytes]:
    """A pilot's rows in a table as JSON arrays: for the rare group whose values hold a separator."""
    text = json_text(conn, spec.table)
    found: dict[str, bytes] = {}
    for group in groups:
        rows = conn.execute(
            f"SELECT {text} FROM {spec.table} WHERE {spec.group} = ? ORDER BY {spec.order}", (group,)
        ).fetchall()
        if rows:
            found[group] = digest(f"{spec.table}:json", group, ROW_SEPARATOR.join(r[0] for r in rows))
    return found


# ---- where the digests are kept ---------------------------------------------------------------------


def stored_digests(conn: sqlite3.Connection, table: str) -> dict[str, bytes]:
    """Every stored digest of a table's groups."""
    if table not in SLOT:
        return {str(g): bytes(d) for g, d in conn.execute("SELECT grp, digest FROM state_seal WHERE tbl = ?", (table,))}
    at = SLOT[table] * 32
    found: dict[str, bytes] = {}
    for group, slots in conn.execute("SELECT grp, digest FROM state_seal WHERE tbl = 'pilot'"):
        part = bytes(slots[at : at + 32])
        if part != EMPTY:
            found[str(group)] = part
    return found


def stored_of(conn: sqlite3.Connection, table: str, keys: list[str]) -> dict[str, bytes]:
    """The stored digests of some groups of a table; a group without one is absent."""
    if table in SLOT:
        rows = seal_rows(conn, keys)
        return {g: d for g, row in rows.items() if (d := slot_of(row, table)) is not None}
    found: dict[str, bytes] = {}
    for start in range(0, len(keys), _BATCH):
        chunk = keys[start : start + _BATCH]
        marks = ", ".join("?" * len(chunk))
        sql = f"SELECT grp, digest FROM state_seal WHERE tbl = ? AND grp IN ({marks})"
        found.update((str(g), bytes(d)) for g, d in conn.execute(sql, [table, *chunk]))
    return found


def seal_rows(conn: sqlite3.Connection, keys: list[str]) -> dict[str, bytes]:
    """The seal rows of some pilots (their four digests together); a pilot without one is absent."""
    found: dict[str, bytes] = {}
    for start in range(0, len(keys), _BATCH):
        chunk = keys[start : start + _BATCH]
        marks = ", ".join("?" * len(chunk))
        sql = f"SELECT grp, digest FROM state_seal WHERE tbl = 'pilot' AND grp IN ({marks})"
        found.update((str(g), bytes(d)) for g, d in conn.execute(sql, chunk))
    return found


def slot_of(row: bytes | None, table: str) -> bytes | None:
    """One table's digest in a pilot's seal row (None: no row, or the pilot has no row in that table)."""
    if row is None:
        return None
    at = SLOT[table] * 32
    part = row[at : at + 32]
    return None if part == EMPTY else part


def put(
    conn: sqlite3.Connection,
    changes: dict[tuple[str, str], bytes | None],
    known: Mapping[str, bytes | None] | None = None,
) -> None:
    """Store the new digests of some groups, by (table, group) (None: the group has no rows any more); a
    pilot's seal row is read (unless `known` holds it as it stands: None for none) and written once,
    whichever of its tables changed."""
    small = [(t, g, d) for (t, g), d in changes.items() if t not in SLOT]
    conn.executemany("DELETE FROM state_seal WHERE tbl = ? AND grp = ?", [(t, g) for t, g, d in small if d is None])
    conn.executemany("INSERT OR REPLACE INTO state_seal VALUES (?, ?, ?)", [r for r in small if r[2] is not None])
    keys = sorted({g for t, g in changes if t in SLOT})
    known = known or {}
    current = seal_rows(conn, [g for g in keys if g not in known])
    current.update((g, row) for g in keys if (row := known.get(g)) is not None)
    slots = {g: bytearray(current.get(g, EMPTY * len(PER_PILOT))) for g in keys}
    for (table, group), new in changes.items():
        if table in SLOT:
            at = SLOT[table] * 32
            slots[group][at : at + 32] = new or EMPTY
    empty = EMPTY * len(PER_PILOT)
    conn.executemany(
        "DELETE FROM state_seal WHERE tbl = 'pilot' AND grp = ?", [(g,) for g, s in slots.items() if s == empty]
    )
    kept = [(g, bytes(s)) for g, s in slots.items() if s != empty]
    conn.executemany("INSERT OR REPLACE INTO state_seal VALUES ('pilot', ?, ?)", kept)


def row_value(row: bytes) -> int:
    """The sum of the digests a seal row packs (a pilot's row holds one per table it has rows in)."""
    return sum(int.from_bytes(row[i : i + 32], "big") for i in range(0, len(row), 32))


def write_all(conn: sqlite3.Connection, groups: Iterator[tuple[str, str, bytes]], sealed: dict[str, bytes]) -> int:
    """Store every digest of a whole seal (state_seal emptied first): `groups` as (table, group, digest),
    `sealed` pilots' seal rows as a bulk load digested them; returns the sum of every digest."""
    conn.execute("DELETE FROM state_seal")
    total = sum(row_value(s) for s in sealed.values())
    pilots: dict[str, bytearray] = {}
    batch: list[tuple[str, str, bytes]] = []
    for table, group, found in groups:
        total += int.from_bytes(found, "big")
        if table in SLOT:
            at = SLOT[table] * 32
            pilots.setdefault(group, bytearray(EMPTY * len(PER_PILOT)))[at : at + 32] = found
            continue
        batch.append((table, group, found))
    batch.extend(("pilot", g, bytes(s)) for g, s in pilots.items())
    batch.extend(("pilot", g, s) for g, s in sealed.items())
    for start in range(0, len(batch), 5_000):
        conn.executemany("INSERT INTO state_seal VALUES (?, ?, ?)", batch[start : start + 5_000])
    return total
