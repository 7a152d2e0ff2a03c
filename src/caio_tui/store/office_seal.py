"""What vouches for an office's bundle, checked as the bundle streams by: its chain (each event's hash and
link, from GENESIS, starting with the office's opening of this send), its seal (every state_seal row; their
sum must be the state its head event recorded), and each carried pilot's rows, digested again here exactly
as the office's store digested them (store/seal.py, in an in-memory SQLite with the same columns) and
compared with that pilot's seal row. A pilot's value edited in the file, an event edited, a head that is not
the chain's: each is refused with a one-line `BundleRefused`."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from caio_tui.store import audit, seal
from caio_tui.store.errors import StoreError
from caio_tui.store.insert_rows import BlockerRow, CoverageRow, MoveRow, PilotRows, PilotValues
from caio_tui.store.seal_digest import EMPTY, PER_PILOT, SLOT, columns

_MODULUS = 1 << 256


class BundleRefused(StoreError):
    """The bundle does not hold together (or is not this portfolio's to merge): nothing is merged.
    `next_step` says what to do, after the message."""

    def __init__(self, message: str, next_step: str = "ask the office for a new bundle") -> None:
        super().__init__(message)
        self.next_step = next_step


class ChainCheck:
    """The office's events in order, checked one at a time (only the last is kept)."""

    def __init__(self, send_id: str, watch: int | None = None) -> None:
        self.send_id = send_id
        self.prev = audit.GENESIS
        self.count = 0
        self.opened = False
        self.state: str | None = None
        self.watch = watch  # the length of the chain merged last from this send: its hash is kept
        self.watched: str | None = None
        self.named: set[str] = set()  # the pilots the events after the office's opening name

    def event(self, raw: Any) -> None:
        if not isinstance(raw, dict) or not isinstance(raw.get("hash"), str):
            raise BundleRefused(f"event {self.count + 1} is not an audit event")
        self.count += 1
        if raw.get("id") != self.count:
            raise BundleRefused(f"the office's chain breaks at event {self.count}: missing or renumbered")
        if raw.get("prev_hash") != self.prev:
            raise BundleRefused(f"the office's chain breaks at event {self.count}: it does not follow the one before")
        if audit.event_hash(raw) != raw["hash"]:
            raise BundleRefused(f"the office's chain breaks at event {self.count}: changed after it was recorded")
        if self.opened and isinstance(raw.get("pilot_id"), str):
            self.named.add(raw["pilot_id"])
        if raw.get("action") == "office.init" and _send_of(raw.get("after")) == self.send_id:
            self.opened = True
        if self.count == self.watch:
            self.watched = raw["hash"]
        self.prev, self.state = raw["hash"], raw.get("state")

    def finish(self, head: str, events: int) -> None:
        if not self.opened:
            raise BundleRefused(f"the office's chain does not start from send {self.send_id}")
        if self.prev != head or self.count != events:
            raise BundleRefused(f"the bundle's head {head[:16]} is not the newest event of the chain it carries")


def _send_of(after: Any) -> object:
    try:
        return json.loads(after).get("send_id") if isinstance(after, str) else None
    except (ValueError, AttributeError):
        return None


class SealCheck:
    """The office's seal rows: their sum against the head event's state; each pilot's row kept."""

    def __init__(self) -> None:
        self.total = 0
        self.pilots: dict[str, bytes] = {}

    def row(self, raw: Any) -> None:
        try:
            table, group, text = raw
            found = bytes.fromhex(text)
        except (TypeError, ValueError):
            raise BundleRefused(f"seal row {raw!r:.60} is not a table, a group and a digest") from None
        if len(found) % 32 or not isinstance(table, str) or not isinstance(group, str):
            raise BundleRefused(f"seal row of {table} {group} is not a digest")
        self.total += sum(int.from_bytes(found[i : i + 32], "big") for i in range(0, len(found), 32))
        if table == "pilot":
            self.pilots[group] = found

    def finish(self, state: str | None) -> None:
        if state is None or seal.state_text(self.total) != state:
            raise BundleRefused("the seal rows it carries are not the state its head event sealed")


class RowsCheck:
    """Carried pilots' rows digested again and compared with their seal rows, a batch at a time."""

    def __init__(self, conn: sqlite3.Connection, carried: Mapping[str, Sequence[str]], seals: Mapping[str, bytes]):
        for table in PER_PILOT:
            if list(carried.get(table, ())) != columns(conn, table):
                raise BundleRefused(f"its {table} rows have other columns than this portfolio's (another version)")
        self.columns = {t: list(carried[t]) for t in PER_PILOT}
        self.seals = seals
        self.mem = sqlite3.connect(":memory:")
        for table, names in self.columns.items():
            self.mem.execute(f"CREATE TABLE {table} ({', '.join(json.dumps(n) for n in names)})")
        self.key = {t: self.columns[t].index("id" if t == "pilot" else "pilot_id") for t in PER_PILOT}

    def close(self) -> None:
        self.mem.close()

    def check(self, batch: Sequence[tuple[str, Mapping[str, Any]]]) -> list[PilotRows]:
        """The batch's pilots as rows to merge, once each matches its seal row."""
        ids = [pilot_id for pilot_id, _ in batch]
        for pilot_id, tables in batch:
            self._insert(pilot_id, tables)
        for table in PER_PILOT:
            found = seal.digests_of(self.mem, table, list(ids))
            at = SLOT[table] * 32
            for pilot_id in ids:
                sealed = self.seals.get(pilot_id, b"")[at : at + 32]
                if found.get(pilot_id, EMPTY) != sealed:
                    raise BundleRefused(f"pilot {pilot_id}: its {table} rows in the bundle are not the ones sealed")
        for table in PER_PILOT:
            self.mem.execute(f"DELETE FROM {table}")
        return [self._rows(tables) for _, tables in batch]

    def _insert(self, pilot_id: str, tables: Mapping[str, Any]) -> None:
        if not isinstance(tables, Mapping) or len(tables.get("pilot") or ()) != 1:
            raise BundleRefused(f"pilot {pilot_id}: not one pilot row")
        for table in PER_PILOT:
            rows = tables.get(table) or []
            width, key = len(self.columns[table]), self.key[table]
            if not isinstance(rows, list) or any(
                not isinstance(r, list) or len(r) != width or r[key] != pilot_id for r in rows
            ):
                raise BundleRefused(f"pilot {pilot_id}: its {table} rows are not rows of this pilot")
            self.mem.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * width)})", rows)

    def _rows(self, tables: Mapping[str, Any]) -> PilotRows:
        def named(table: str) -> list[dict[str, Any]]:
            return [dict(zip(self.columns[table], r, strict=True)) for r in tables.get(table) or []]

        p = named("pilot")[0]
        moves = sorted(named("stage_move"), key=lambda m: m["id"])
        blockers = sorted(named("blocker"), key=lambda b: b["id"])
        return PilotRows(
            PilotValues(*(p[n] for n in PilotValues._fields))._replace(high_impact=bool(p["high_impact"])),
            [CoverageRow(*(c[n] for n in CoverageRow._fields)) for c in named("coverage")],
            [BlockerRow(*(b[n] for n in BlockerRow._fields)) for b in blockers],
            [MoveRow(*(m[n] for n in MoveRow._fields)) for m in moves],
        )
