"""The state seal: the audit chain covers the portfolio's rows, not only its events.

The hash chain (audit.py) shows an event that was changed, but a row changed with another program (an
`UPDATE pilot SET stage = 'production'` in the sqlite3 shell, a replaced `gate_rules`) leaves every event
intact. So the rows are sealed too:

- Each *group* of state rows has a digest in `state_seal`: a pilot's own row; a pilot's coverage, its
  blockers, its stage moves; one row of each small table (meta, framework, item, blocker_tag, gate_rules,
  gate_recheck, inventory_mapping, commercial_file, identity_rules, idp_file); the commercial AI uses of
  one agency (commercial_use); one identity export's facts in each table (idp_app, idp_credential, ...);
  a pilot's identity links, its identity proposals. A digest is the SHA-256 of the table, the group and
  the group's rows as text, in the order of the index that reads them (seal_digest.py: the text, and how
  a pilot's four digests share one `state_seal` row since schema 10).
- Every audit event written since carries `state`: the sum of all digests modulo 2^256 after its change.
  It is inside the event's hash, so it is chained like everything else in the event.
- The store keeps both in the transaction of each write (seal_keeper.py). Temporary triggers on this
  process's write connection (no other program has them) call `caio_touch` before each row changes: the
  first touch of a group in a transaction checks that the group still matches its digest, so a write
  never launders a row changed outside caio-tui into a new digest; it is refused, naming the row. At
  commit the touched groups are digested again and the sum moves by the difference, which goes into the
  last event.
- `check_state` (`caio-tui verify`) digests every group from the rows: a group whose digest differs, has
  none, or has one but no rows is named (changed, added, deleted); digests rewritten to match changed
  rows no longer sum to the state the newest event recorded.

Cost: a single write digests the few groups it touches (well under a millisecond); a bulk load digests its
pilots from the values it inserts (bulk_seal.py) and the small tables at its end; `check_state` at
100,000 pilots reads every row once (see docs/performance.md).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from caio_tui.store.errors import StoreError
from caio_tui.store.seal_digest import (
    ROW_SEPARATOR,
    SEP,
    SLOT,
    PlainText,
    Sealed,
    digest,
    json_digests,
    json_text,
    plain_digest,
    stored_digests,
)

_MODULUS = 1 << 256
_BATCH = 500  # groups per statement when many are read at once (SQLite allows 32,766 parameters)

TABLES = (
    Sealed("meta", "key", "key", "portfolio setting"),
    Sealed("framework", "id", "id", "framework"),
    Sealed("item", "id", "id", "framework item"),
    Sealed("blocker_tag", "tag", "tag", "blocker tag"),
    Sealed("gate_rules", "version", "version", "gate rules version"),
    Sealed("gate_recheck", "id", "id", "gate re-check"),
    Sealed("inventory_mapping", "version", "version", "inventory mapping version"),
    Sealed("pilot", "id", "id", "pilot", "sqlite_autoindex_pilot_1"),
    Sealed("coverage", "pilot_id", "pilot_id, item_id", "coverage of pilot", "sqlite_autoindex_coverage_1"),
    Sealed("blocker", "pilot_id", "pilot_id, resolved_at, id", "blockers of pilot", "blocker_by_pilot"),
    Sealed("stage_move", "pilot_id", "pilot_id, id", "stage moves of pilot", "stage_move_by_pilot"),
    Sealed("commercial_file", "id", "id", "commercial AI file"),
    Sealed("commercial_use", "agency", "agency, row_no", "commercial AI uses of agency", "commercial_use_by_agency"),
    # Identity evidence (migration 0008): an export file's facts are one group per table, a pilot's links
    # and proposals one group each.
    Sealed("identity_rules", "version", "version", "identity rules version"),
    Sealed("idp_file", "digest", "digest", "identity export"),
    *(
        Sealed(table, "file", "file, seq", f"{what} of identity export", f"sqlite_autoindex_{table}_1")
        for table, what in (
            ("idp_app", "applications"),
            ("idp_credential", "credentials"),
            ("idp_assignment", "assignments"),
            ("idp_person", "people"),
            ("idp_sign_in", "sign-ins"),
        )
    ),
    Sealed(
        "idp_link", "pilot_id", "pilot_id, vendor, app_key", "identity links of pilot", "sqlite_autoindex_idp_link_1"
    ),
    Sealed("idp_proposal", "pilot_id", "pilot_id, id", "identity proposals of pilot", "idp_proposal_by_pilot"),
    # Offices (migration 0013): a send and a merged bundle are one group each; the base a pilot holds for
    # its sends, its conflicts and its stage requests are one group per pilot.
    Sealed("office_send", "id", "id", "office send"),
    Sealed("office_bundle", "head", "head", "office bundle"),
    Sealed("office_base", "pilot_id", "pilot_id, send_id", "office base of pilot", "sqlite_autoindex_office_base_1"),
    Sealed("office_conflict", "pilot_id", "pilot_id, id", "office conflicts of pilot", "office_conflict_by_pilot"),
    Sealed("office_request", "pilot_id", "pilot_id, id", "office stage requests of pilot", "office_request_by_pilot"),
)
BY_TABLE = {t.table: t for t in TABLES}


class TamperedError(StoreError):
    """A write met a row changed outside caio-tui: nothing was written."""


# ---- digests (their text and storage: seal_digest.py) ---------------------------------------------


def digest_value(digest: bytes) -> int:
    return int.from_bytes(digest, "big")


Text = PlainText | str  # how a table's rows are read: plain (a pilot's tables) or JSON (the small ones)


def row_text(conn: sqlite3.Connection, table: str) -> Text:
    return PlainText.of(conn, table) if table in SLOT else json_text(conn, table)


def group_digest(conn: sqlite3.Connection, table: str, group: object, text: Text | None = None) -> bytes | None:
    """The digest of one group as its rows are now; None when it has no row. `text`: row_text, if known."""
    return digests_of(conn, table, [group], text).get(str(group))


def digests_of(
    conn: sqlite3.Connection, table: str, groups: list[object], text: Text | None = None
) -> dict[str, bytes]:
    """The digests of many groups, a few hundred per statement; a group with no row is absent."""
    return digests_and_rows(conn, table, groups, (), text)[0]


def digests_and_rows(
    conn: sqlite3.Connection, table: str, groups: Sequence[object], columns: Sequence[str], text: Text | None = None
) -> tuple[dict[str, bytes], list[tuple[Any, ...]]]:
    """digests_of, and `columns` of every row of these groups (in the groups' order) from the same
    statements: for a write that reads the rows it checks (SealKeeper.check_groups' `now`)."""
    spec = BY_TABLE[table]
    known = text if text is not None else row_text(conn, table)
    plain = known if isinstance(known, PlainText) else None
    text = plain.text if plain else str(known)
    wanted = "".join(f", {c}" for c in columns)
    found: dict[str, bytes] = {}
    rows: list[tuple[Any, ...]] = []
    cursor = conn.cursor()
    cursor.row_factory = None
    for start in range(0, len(groups), _BATCH):
        chunk = groups[start : start + _BATCH]
        marks = ", ".join("?" * len(chunk))
        sql = f"SELECT {spec.group}, {text}, {plain.nulls if plain else 0}{wanted} FROM {table} "
        sql += f"WHERE {spec.group} IN ({marks}) ORDER BY {spec.order}"
        parts: dict[str, tuple[list[str], list[int]]] = {}
        for row in cursor.execute(sql, chunk):
            texts, counts = parts.setdefault(str(row[0]), ([], []))
            texts.append(row[1])
            counts.append(row[2])
            if columns:
                rows.append(row[3:])
        for key, (texts, counts) in parts.items():
            if plain is None:
                found[key] = digest(table, key, ROW_SEPARATOR.join(texts))
                continue
            joined = SEP.join(texts)
            done = plain_digest(table, key, joined, len(texts), sum(counts), plain.width)
            found[key] = done if done is not None else json_digests(conn, spec, [key])[key]
    return found, rows


def table_digests(conn: sqlite3.Connection, spec: Sealed) -> Iterator[tuple[str, bytes]]:
    """(group, digest) of every group of a table, read in one pass."""
    if spec.table in SLOT:
        yield from _pilot_digests(conn, spec)
    else:
        yield from json_table_digests(conn, spec)


def json_table_digests(conn: sqlite3.Connection, spec: Sealed) -> Iterator[tuple[str, bytes]]:
    """(group, digest) of every group of a table from its rows as JSON arrays: how the small tables are
    sealed, and how every table was before schema 10 (upgrade_seal.py)."""
    text = json_text(conn, spec.table)
    cursor = conn.cursor()
    cursor.row_factory = None
    if spec.group == spec.order:  # one row a group (its key): no GROUP BY
        for group, row in cursor.execute(f"SELECT {spec.group}, {text} FROM {spec.table} ORDER BY {spec.group}"):
            yield str(group), digest(spec.table, str(group), row)
        return
    current: object = None
    parts: list[str] = []
    for group, text_of_row in cursor.execute(f"SELECT {spec.group}, {text} FROM {spec.table} ORDER BY {spec.order}"):
        if parts and group != current:
            yield str(current), digest(spec.table, str(current), ROW_SEPARATOR.join(parts))
            parts = []
        current = group
        parts.append(text_of_row)
    if parts:
        yield str(current), digest(spec.table, str(current), ROW_SEPARATOR.join(parts))


def _pilot_digests(conn: sqlite3.Connection, spec: Sealed) -> Iterator[tuple[str, bytes]]:
    """A per-pilot table's digests: SQLite joins each pilot's rows (in the order of the index its GROUP BY
    walks, checked in the plan: several times faster than joining them in Python, which the function falls
    back to when the index is missing)."""
    plain = PlainText.of(conn, spec.table)
    table, width = spec.table, plain.width
    cursor = conn.cursor()
    cursor.row_factory = None
    if spec.group == spec.order:  # the pilot's own row
        sql = f"SELECT {spec.group}, {plain.text}, 1, {plain.nulls} FROM {table} ORDER BY {spec.group}"
        rows: Iterable[tuple[object, str, int, int]] = cursor.execute(sql)
    else:
        grouped = (
            f"SELECT {spec.group}, group_concat({plain.text}, char(31)), count(*), sum({plain.nulls}) FROM {table} "
            f"GROUP BY {spec.group} ORDER BY {spec.group}"
        )
        rows = cursor.execute(grouped) if _walks(conn, grouped, spec) else _joined_in_python(conn, spec, plain)
    redo: list[str] = []
    for group, text, count, nulls in rows:
        key = str(group)
        found = plain_digest(table, key, text, count, nulls, width)
        if found is None:
            redo.append(key)
        else:
            yield key, found
    yield from json_digests(conn, spec, redo).items()


def _joined_in_python(
    conn: sqlite3.Connection, spec: Sealed, plain: PlainText
) -> Iterator[tuple[object, str, int, int]]:
    current: object = None
    parts: list[str] = []
    nulls = 0
    sql = f"SELECT {spec.group}, {plain.text}, {plain.nulls} FROM {spec.table} ORDER BY {spec.order}"
    for group, text, row_nulls in conn.execute(sql):
        if parts and group != current:
            yield current, SEP.join(parts), len(parts), nulls
            parts, nulls = [], 0
        current = group
        parts.append(text)
        nulls += row_nulls
    if parts:
        yield current, SEP.join(parts), len(parts), nulls


def _walks(conn: sqlite3.Connection, sql: str, spec: Sealed) -> bool:
    plan = [str(r[3]) for r in conn.execute("EXPLAIN QUERY PLAN " + sql)]
    return plan == [f"SCAN {spec.table} USING INDEX {spec.index}"] or plan == [
        f"SCAN {spec.table} USING COVERING INDEX {spec.index}"
    ]


def state_text(total: int) -> str:
    return f"{total % _MODULUS:064x}"


# ---- keeping the seal on writes ---------------------------------------------------------------------


# ---- checking --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StateFault:
    table: str
    group: str
    kind: str  # "changed", "added" (rows with no digest) or "deleted" (a digest with no rows)

    def describe(self) -> str:
        return f"{BY_TABLE[self.table].label} {self.group}: {self.kind} outside caio-tui"


def fault_kind(stored: bytes | None, *, present: bool) -> str:
    if stored is None:
        return "added"
    return "changed" if present else "deleted"


def refusal_of(fault: StateFault) -> str:
    return (
        f"{fault.describe()} (its rows no longer match the audit trail's seal); nothing was changed. "
        "Run 'caio-tui verify', and restore the portfolio from a backup or snapshot"
    )


@dataclass(frozen=True)
class StateReport:
    sealed: bool  # whether the chain records a state at all (not before the portfolio's first seal)
    faults: list[StateFault]
    recorded: str | None  # the state the newest event recorded
    computed: str  # the sum of the digests of the rows as they are
    stored: str  # the sum of the digests in state_seal
    groups: int  # how many groups were read

    @property
    def holds(self) -> bool:
        return self.sealed and not self.faults and self.computed == self.recorded == self.stored

    def problems(self) -> list[str]:
        """What does not hold, a line each (the faults first)."""
        lines = [f.describe() for f in self.faults]
        if not self.sealed:
            lines.append("the state is not sealed yet (a portfolio from before schema 4 opened read-only)")
        elif not self.faults and self.stored != self.recorded:
            lines.append(
                "the state's digests were rewritten outside caio-tui: they no longer add up to the state "
                "the newest audit event recorded"
            )
        elif not self.faults and self.computed != self.recorded:
            lines.append("the state does not match the newest audit event's record")
        return lines


def check_groups(conn: sqlite3.Connection) -> list[StateFault]:
    """Every group whose rows do not match its digest."""
    return _walk(conn)[0]


def check_state(conn: sqlite3.Connection) -> StateReport:
    """Digest every group from its rows and compare with the seals and the chain's recorded state."""
    faults, computed, stored, groups = _walk(conn)
    head = conn.execute("SELECT state FROM audit_event ORDER BY id DESC LIMIT 1").fetchone()
    recorded = None if head is None else head[0]
    sealed = head is None or recorded is not None
    if head is None:
        recorded = state_text(0)
    return StateReport(
        sealed=sealed,
        faults=faults,
        recorded=recorded,
        computed=state_text(computed),
        stored=state_text(stored),
        groups=groups,
    )


def _walk(conn: sqlite3.Connection) -> tuple[list[StateFault], int, int, int]:
    faults: list[StateFault] = []
    computed = stored_total = groups = 0
    for spec in TABLES:
        stored = stored_digests(conn, spec.table)
        for group, found in table_digests(conn, spec):
            groups += 1
            computed += digest_value(found)
            seal = stored.pop(group, None)
            if seal is not None:
                stored_total += digest_value(seal)
            if seal != found:
                faults.append(StateFault(spec.table, group, fault_kind(seal, present=True)))
        for group, seal in stored.items():
            stored_total += digest_value(seal)
            faults.append(StateFault(spec.table, group, "deleted"))
    return faults, computed, stored_total, groups
