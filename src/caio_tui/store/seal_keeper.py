"""The state seal's side of each write transaction (store/seal.py says what is sealed and why): temporary
triggers on this process's write connection check the first touch of each group against its digest, and at
commit the touched groups (or, after a bulk load or a first seal, every group) are digested again and the
state moves into the transaction's last audit event."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

from caio_tui.store import audit
from caio_tui.store.bulk_seal import BulkDigests
from caio_tui.store.errors import StoreError
from caio_tui.store.seal import (
    TABLES,
    StateFault,
    TamperedError,
    Text,
    check_groups,
    digest_value,
    digests_of,
    fault_kind,
    group_digest,
    refusal_of,
    row_text,
    state_text,
    table_digests,
)
from caio_tui.store.seal_digest import SLOT, put, seal_rows, slot_of, stored_of, write_all


class Mode(Enum):
    OFF = "off"  # a portfolio sealed by no event yet (from before schema 4, not yet sealed): nothing kept
    KEEP = "keep"  # digest the groups a write touches
    ALL = "all"  # digest everything at commit (a bulk load, the first seal)


@dataclass
class _Transaction:
    mode: Mode
    head_id: int
    state: int
    touched: dict[tuple[str, str], object] = field(default_factory=dict)
    # What state_seal held for each touched group when it was checked (it changes only at finish), and the
    # seal rows of the pilots read for it: finish does not read them again.
    stored: dict[tuple[str, str], bytes | None] = field(default_factory=dict)
    rows: dict[str, bytes | None] = field(default_factory=dict)
    refusal: str | None = None
    loaded: BulkDigests | None = None  # a bulk load's pilots, digested as they were inserted


class SealKeeper:
    """The seal's side of each write transaction on one write connection (see the module's docstring)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._txn: _Transaction | None = None
        self._texts: dict[str, Text] = {}  # each table's row text (its columns do not change while open)
        self.loading: BulkDigests | None = None  # during a bulk load: its pilots' digests (store/bulk.py)
        conn.create_function("caio_touch", 2, self._touch)
        self._triggers(create=True)

    def _triggers(self, *, create: bool) -> None:
        for spec in TABLES:
            for when, rows in (("INSERT", ("NEW",)), ("UPDATE", ("OLD", "NEW")), ("DELETE", ("OLD",))):
                name = f"caio_seal_{spec.table}_{when.lower()}"
                if not create:
                    self.conn.execute(f"DROP TRIGGER IF EXISTS temp.{name}")
                    continue
                calls = " ".join(f"SELECT caio_touch('{spec.table}', {r}.{spec.group});" for r in rows)
                self.conn.execute(
                    f"CREATE TEMP TRIGGER IF NOT EXISTS {name} BEFORE {when} ON main.{spec.table} BEGIN {calls} END"
                )

    def _text(self, table: str) -> Text:
        text = self._texts.get(table)
        if text is None:
            text = self._texts[table] = row_text(self.conn, table)
        return text

    def check_pilots(self, pilot_ids: list[str]) -> None:
        """Before a write that touches many pilots (an import): check their groups in a few statements
        instead of a trigger call each, refusing if one was changed outside caio-tui."""
        for spec in TABLES:
            if spec.table in SLOT:
                self.check_groups(spec.table, list(pilot_ids))

    def check_groups(self, table: str, groups: Sequence[object], now: Mapping[str, bytes] | None = None) -> None:
        """Before a write that touches many groups of `table` (a merge's batch): the first touch of each,
        checked in a few statements; the triggers then find them touched already. `now`: the digests of
        these groups as the caller read their rows in this transaction, since unchanged (seal.digests_and_rows),
        instead of reading them again."""
        txn = self._txn
        if txn is None or txn.mode is not Mode.KEEP:
            return
        fresh = {str(g): g for g in groups if (table, str(g)) not in txn.touched}
        if not fresh:
            return
        keys = list(fresh)
        if now is None:
            now = digests_of(self.conn, table, list(fresh.values()), self._text(table))
        stored = self._stored(txn, table, keys)
        for key in keys:
            if stored[key] != now.get(key):
                kind = fault_kind(stored[key], present=now.get(key) is not None)
                txn.refusal = refusal_of(StateFault(table, key, kind))
                raise TamperedError(txn.refusal)
            txn.touched[(table, key)] = fresh[key]
            txn.stored[(table, key)] = stored[key]

    def begin(self) -> None:
        """At BEGIN: where the chain's state stands."""
        head = self.conn.execute("SELECT id, state FROM audit_event ORDER BY id DESC LIMIT 1").fetchone()
        if head is None:
            self._txn = _Transaction(Mode.KEEP, 0, 0)  # a new portfolio: the empty state
        elif head[1] is None:
            self._txn = _Transaction(Mode.OFF, int(head[0]), 0)
        else:
            self._txn = _Transaction(Mode.KEEP, int(head[0]), int(head[1], 16))

    def seal_everything(self) -> None:
        """Digest every group at commit, whatever the mode (the first seal of an older portfolio)."""
        if self._txn is not None:
            self._txn.mode = Mode.ALL

    @contextlib.contextmanager
    def bulk(self) -> Iterator[None]:
        """A bulk load inside the current transaction: no trigger per row (millions of calls), everything
        digested at commit, the pilots from the values inserted (`loaded`, store/bulk_seal.py) when they
        went into empty tables. What is there before the load is checked first: it must not be laundered."""
        problems = check_groups(self.conn)
        if problems:
            raise TamperedError(refusal_of(problems[0]))
        self._triggers(create=False)
        self.loading = BulkDigests.start(self.conn)
        try:
            yield
            if self._txn is not None and self._txn.mode is not Mode.OFF:
                self._txn.mode = Mode.ALL
                self._txn.loaded = self.loading
        finally:
            self.loading = None
            self._triggers(create=True)

    def refusal(self) -> str | None:
        """Why the write was refused by a touch, if it was (the statement fails with SQLite's own words)."""
        return None if self._txn is None else self._txn.refusal

    def abort(self) -> None:
        self._txn = None

    def _touch(self, table: str, group: object) -> None:
        txn = self._txn
        if txn is None or txn.mode is not Mode.KEEP:
            return
        key = (table, str(group))
        if key in txn.touched:
            return
        txn.touched[key] = group
        stored = txn.stored[key] = self._stored(txn, table, [key[1]])[key[1]]
        now = group_digest(self.conn, table, group, self._text(table))
        if stored != now:
            fault = StateFault(table, key[1], fault_kind(stored, present=now is not None))
            txn.refusal = refusal_of(fault)
            raise TamperedError(txn.refusal)

    def _stored(self, txn: _Transaction, table: str, keys: list[str]) -> dict[str, bytes | None]:
        """The stored digests of these groups (None: none), a pilot's seal row read once a transaction."""
        if table not in SLOT:
            found = stored_of(self.conn, table, keys)
            return {key: found.get(key) for key in keys}
        missing = [key for key in keys if key not in txn.rows]
        rows = seal_rows(self.conn, missing)
        txn.rows.update((key, rows.get(key)) for key in missing)
        return {key: slot_of(txn.rows[key], table) for key in keys}

    def finish(self) -> None:
        """Before COMMIT: digest what changed, and put the new state into this transaction's last event."""
        txn, self._txn = self._txn, None
        if txn is None or txn.mode is Mode.OFF:
            return
        state = self._seal_all(txn.loaded) if txn.mode is Mode.ALL else self._seal_touched(txn)
        last = self.conn.execute(
            "SELECT * FROM audit_event WHERE id > ? ORDER BY id DESC LIMIT 1", (txn.head_id,)
        ).fetchone()
        if last is None:
            if state != txn.state or txn.mode is Mode.ALL:  # every change is in the trail, or none is made
                raise StoreError("a change to the portfolio without an audit event; nothing was changed")
            return
        event = {k: last[k] for k in last.keys()}  # noqa: SIM118 (sqlite3.Row has no items())
        event["state"] = state_text(state)
        self.conn.execute(
            "UPDATE audit_event SET state = ?, hash = ? WHERE id = ?",
            (event["state"], audit.event_hash(event), last["id"]),
        )

    def _seal_touched(self, txn: _Transaction) -> int:
        """Digest the touched groups again (table by table, a few hundred per statement) and move the state
        by the difference."""
        state = txn.state
        by_table: dict[str, dict[str, object]] = {}
        for (table, key), group in txn.touched.items():
            by_table.setdefault(table, {})[key] = group
        changes: dict[tuple[str, str], bytes | None] = {}
        for table, groups in by_table.items():
            new = digests_of(self.conn, table, list(groups.values()), self._text(table))
            for key in groups:
                before, after = txn.stored[(table, key)], new.get(key)
                if before == after:
                    continue
                if before is not None:
                    state -= digest_value(before)
                if after is not None:
                    state += digest_value(after)
                changes[(table, key)] = after
        put(self.conn, changes, txn.rows)
        return state

    def _seal_all(self, loaded: BulkDigests | None) -> int:
        pilots = loaded.finish() if loaded is not None else None
        specs = [s for s in TABLES if pilots is None or s.table not in SLOT]
        groups = ((spec.table, group, found) for spec in specs for group, found in table_digests(self.conn, spec))
        return write_all(self.conn, groups, pilots or {})
