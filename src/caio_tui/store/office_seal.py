"""What vouches for an office's bundle, checked as the bundle streams by: its chain (each event's hash and
link, from GENESIS, starting with the office's opening of this send), its seal (every state_seal row; their
sum must be the state its head event recorded), and each carried pilot's rows, digested again here exactly
as the office's store digested them (store/seal.py, in an in-memory SQLite with the same columns) and
compared with that pilot's seal row. A pilot's value edited in the file, an event edited, a head that is not
the chain's: each is refused with a one-line `BundleRefused`."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from caio_tui.store import audit, seal
from caio_tui.store.errors import StoreError
from caio_tui.store.insert_rows import BlockerRow, CoverageRow, MoveRow, PilotRows, PilotValues
from caio_tui.store.seal_digest import EMPTY, NULL, PER_PILOT, SEP, SLOT, columns, row_value

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
        self.hashes: list[str] = []  # every event's, so `watch` can be given once the chain is read

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
        self.hashes.append(raw["hash"])
        self.prev, self.state = raw["hash"], raw.get("state")

    def watching(self, watch: int | None) -> None:
        """The length of the chain merged last from this send, given after the chain was read (a merge of
        several files verifies a bundle before the one ahead of it, of the same send maybe, is merged):
        as if it had been read watching it."""
        self.watch = watch
        self.watched = self.hashes[watch - 1] if watch is not None and 1 <= watch <= self.count else None

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
        self.total += row_value(found)
        if table == "pilot":
            self.pilots[group] = found

    def finish(self, state: str | None) -> None:
        if state is None or seal.state_text(self.total) != state:
            raise BundleRefused("the seal rows it carries are not the state its head event sealed")


def sealed_columns(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """The portfolio's columns of each per-pilot table, as a bundle's rows must carry them."""
    return {table: columns(conn, table) for table in PER_PILOT}


class RowsCheck:
    """Carried pilots' rows digested again and compared with their seal rows, a batch at a time."""

    def __init__(
        self, ours: Mapping[str, Sequence[str]], carried: Mapping[str, Sequence[str]], seals: Mapping[str, bytes]
    ):
        """`ours`: this portfolio's columns of each table (sealed_columns), which the carried must be."""
        for table in PER_PILOT:
            if list(carried.get(table, ())) != list(ours[table]):
                raise BundleRefused(f"its {table} rows have other columns than this portfolio's (another version)")
        self.columns = {t: list(carried[t]) for t in PER_PILOT}
        self.seals = seals
        self.mem = sqlite3.connect(":memory:")
        for table, names in self.columns.items():
            self.mem.execute(f"CREATE TABLE {table} ({', '.join(json.dumps(n) for n in names)})")
        self.key = {t: self.columns[t].index("id" if t == "pilot" else "pilot_id") for t in PER_PILOT}
        # Each table's values as the store's rows take them (store/insert_rows.py), and its rows' ids.
        fields = {
            "pilot": PilotValues._fields,
            "coverage": CoverageRow._fields,
            "blocker": BlockerRow._fields,
            "stage_move": MoveRow._fields,
        }
        self.pick = {t: itemgetter(*(self.columns[t].index(n) for n in f)) for t, f in fields.items()}
        self.by_id = {t: itemgetter(self.columns[t].index("id")) for t in ("blocker", "stage_move")}
        self.text: dict[type, Callable[[Any], str]] = {**_TEXT, float: self._real}
        self.reals: dict[float, str] = {}
        self.order = {  # where the columns of the seal's order are (seal.TABLES)
            "item_id": self.columns["coverage"].index("item_id"),
            "resolved_at": self.columns["blocker"].index("resolved_at"),
            "blocker_id": self.columns["blocker"].index("id"),
            "move_id": self.columns["stage_move"].index("id"),
        }

    def close(self) -> None:
        self.mem.close()

    def _real(self, value: float) -> str:
        """A REAL as SQLite renders it (its own format), asked once per distinct value."""
        text = self.reals.get(value)
        if text is None:
            text = self.reals[value] = str(self.mem.execute("SELECT CAST(? AS TEXT)", (value,)).fetchone()[0])
        return text

    def check(self, batch: Sequence[tuple[str, Mapping[str, Any]]]) -> list[PilotRows]:
        """The batch's pilots as rows to merge, once each matches its seal row. Each pilot is digested
        from its values here, as SQLite's text of them (seal_digest.py); a pilot this cannot be sure of (a
        value of another type, a separator in a value, rows whose order SQLite might give otherwise) is
        digested in the in-memory SQLite instead."""
        ids = [pilot_id for pilot_id, _ in batch]
        found: dict[str, dict[str, bytes]] = {t: {} for t in PER_PILOT}
        doubtful: list[str] = []
        for pilot_id, tables in batch:
            self._shape(pilot_id, tables)
            digests = self._digests(pilot_id, tables)
            if digests is None:
                self._insert(tables)
                doubtful.append(pilot_id)
                continue
            for table, digest in digests.items():
                found[table][pilot_id] = digest
        if doubtful:
            for table in PER_PILOT:
                found[table].update(seal.digests_of(self.mem, table, list(doubtful)))
                self.mem.execute(f"DELETE FROM {table}")
        for table in PER_PILOT:
            at = SLOT[table] * 32
            for pilot_id in ids:
                sealed = self.seals.get(pilot_id, b"")[at : at + 32]
                if found[table].get(pilot_id, EMPTY) != sealed:
                    raise BundleRefused(f"pilot {pilot_id}: its {table} rows in the bundle are not the ones sealed")
        return [self._rows(tables) for _, tables in batch]

    def _digests(self, pilot_id: str, tables: Mapping[str, Any]) -> dict[str, bytes] | None:
        """Each table's digest of the pilot's rows (absent: no row), as seal.digests_of gives them; None
        when unsure."""
        found: dict[str, bytes] = {}
        for table in PER_PILOT:
            rows = tables.get(table)
            if not rows:
                continue
            ordered = self._ordered(table, rows)
            if ordered is None:
                return None
            try:
                texts = [SEP.join([self.text[type(v)](v) for v in row]) for row in ordered]
            except KeyError:  # a value of another type (a bool, a list): as SQLite takes it
                return None
            text = SEP.join(texts)
            nulls = sum(row.count(None) for row in ordered)
            if text.count(SEP) != len(ordered) * len(self.columns[table]) - 1 or text.count(NULL) != nulls:
                return None  # a value holds a separator: SQLite digests it from JSON
            try:  # strict: a lone surrogate, which SQLite would not take, goes to it (and fails there)
                found[table] = hashlib.sha256(f"{table}\x1f{pilot_id}\x1f{text}".encode()).digest()
            except UnicodeEncodeError:
                return None
        return found

    def _ordered(self, table: str, rows: list[list[Any]]) -> list[list[Any]] | None:
        """The rows in the seal's order for the table (seal.TABLES), or None when their keys are not of
        the types that order has or are not all different (SQLite's order of ties is its own)."""
        if table == "pilot":
            return rows
        if table == "coverage":
            at = self.order["item_id"]
            keys: list[Any] = [r[at] for r in rows]
            if not all(type(k) is str for k in keys):
                return None
        elif table == "blocker":
            when, at = self.order["resolved_at"], self.order["blocker_id"]
            keys = [(r[when] is not None, r[when] or "", r[at]) for r in rows]
            if not all(type(r[when]) in (str, type(None)) and type(r[at]) is int for r in rows):
                return None
        else:
            at = self.order["move_id"]
            keys = [r[at] for r in rows]
            if not all(type(k) is int for k in keys):
                return None
        if len(set(keys)) != len(keys):
            return None
        return [row for _, row in sorted(zip(keys, rows, strict=True), key=lambda pair: pair[0])]

    def _shape(self, pilot_id: str, tables: Mapping[str, Any]) -> None:
        if not isinstance(tables, Mapping) or len(tables.get("pilot") or ()) != 1:
            raise BundleRefused(f"pilot {pilot_id}: not one pilot row")
        for table in PER_PILOT:
            rows = tables.get(table) or []
            width, key = len(self.columns[table]), self.key[table]
            if not isinstance(rows, list) or any(
                not isinstance(r, list) or len(r) != width or r[key] != pilot_id for r in rows
            ):
                raise BundleRefused(f"pilot {pilot_id}: its {table} rows are not rows of this pilot")

    def _insert(self, tables: Mapping[str, Any]) -> None:
        for table in PER_PILOT:
            rows = tables.get(table) or []
            self.mem.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(self.columns[table]))})", rows)

    def _rows(self, tables: Mapping[str, Any]) -> PilotRows:
        pick, by_id = self.pick, self.by_id
        p = pick["pilot"](tables["pilot"][0])
        moves = sorted(tables.get("stage_move") or [], key=by_id["stage_move"])
        blockers = sorted(tables.get("blocker") or [], key=by_id["blocker"])
        return PilotRows(
            PilotValues(*p)._replace(high_impact=bool(p[PilotValues._fields.index("high_impact")])),
            [CoverageRow(*pick["coverage"](c)) for c in tables.get("coverage") or []],
            [BlockerRow(*pick["blocker"](b)) for b in blockers],
            [MoveRow(*pick["stage_move"](m)) for m in moves],
        )


# SQLite's CAST(value AS TEXT) of the values a bundle's JSON holds (a REAL: RowsCheck._real); not a bool
# or anything else: those pilots are digested by SQLite.
_TEXT: dict[type, Callable[[Any], str]] = {str: lambda v: v, int: str, type(None): lambda v: NULL}
