"""A bulk load's pilots sealed from the values it inserts, not by reading them back (store/bulk.py).

Reading 1.5 million rows back to digest them at the end of a 100,000-pilot load cost about 3 s (SQLite
building every row's text, then 369,000 digests and seal rows). The loader has the values in hand, so each
batch's pilots are digested here in the text SQLite gives `verify` (seal_digest.py: the values as text
joined by U+001F, a REAL as SQLite casts it, NULL as U+001C, in the order of the index that reads them),
with the ids SQLite gives the blockers and stage moves (one more than the largest, in insertion order).
The loader notes where each pilot's rows end as it builds them (RowBatch.ends), so a pilot's rows are
sliced straight out of the batch's flat values; the columns are those of store/insert_rows.py.

Only into empty tables with the columns this module knows (later columns with a constant default are
fine). Anything it cannot be sure of goes to SQLite at the end: a pilot whose values hold a separator or
whose id repeats, and the whole load when the ids SQLite gave are not the ones
counted here (then `start` or `finish` returns None and the seal reads every row, as before).
"""

from __future__ import annotations

import hashlib
import sqlite3
from itertools import count
from operator import itemgetter
from typing import Any

from caio_tui.store.insert_rows import BULK_COLUMNS, TABLE_COLUMNS
from caio_tui.store.seal_digest import EMPTY, NULL, PER_PILOT, SEP

KNOWN = TABLE_COLUMNS  # the columns it knows, in each table's order (store/insert_rows.py)
PILOT_VALUES = len(BULK_COLUMNS["pilot"])  # the values the loader gives per pilot: approval_stale keeps its default
COVERAGE_VALUES = len(BULK_COLUMNS["coverage"])
BLOCKER_VALUES = len(BULK_COLUMNS["blocker"])  # and per blocker: SQLite gives the id
MOVE_VALUES = len(BULK_COLUMNS["stage_move"])


class BulkDigests:
    """The digests of the pilots of one bulk load, batch after batch (`add`), stored at commit (`finish`)."""

    def __init__(self, conn: sqlite3.Connection, tails: dict[str, tuple[str, int, int]], stale: str) -> None:
        self.conn = conn
        self.sealed: dict[str, bytes] = {}  # pilot id -> its seal row (four digests)
        self.redo: set[str] = set()  # pilots digested by SQLite at the end
        self.rows = {"blocker": 0, "stage_move": 0}  # inserted so far: the next id is one more
        self._tail = {t: (text, nulls) for t, (text, nulls, _) in tails.items()}  # later columns' defaults
        self._width = {t: len(KNOWN[t]) + extra for t, (_, _, extra) in tails.items()}
        self._stale = stale  # approval_stale's default, as text
        # Whether the defaults hold no separator; then a batch whose values hold none (nearly every batch:
        # `_holds_no_separator`) is digested without counting each pilot's separators.
        self._plain_tails = all(
            text.count(SEP) == extra and text.count(NULL) == nulls and SEP not in stale and NULL not in stale
            for text, nulls, extra in tails.values()
        )
        self._clean = False
        self._reals: dict[float, str] = {}

    @classmethod
    def start(cls, conn: sqlite3.Connection) -> BulkDigests | None:
        """Ready to digest a load into these tables; None when they hold rows or have other columns."""
        tails: dict[str, tuple[str, int, int]] = {}
        stale: str | None = None
        for table in PER_PILOT:
            if conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is not None:
                return None
            info = conn.execute(f"PRAGMA table_info({table})").fetchall()
            known = KNOWN[table]
            if tuple(str(r[1]) for r in info[: len(known)]) != known:
                return None
            text, nulls = "", 0
            for _, _, kind, _, default, _ in info[len(known) :]:
                value = _default(conn, str(kind), default)
                if value is False:
                    return None
                text += SEP + (NULL if value is None else str(value))
                nulls += value is None
            tails[table] = (text, nulls, len(info) - len(known))
            if table == "pilot":
                column = next(r for r in info if r[1] == "approval_stale")
                value = _default(conn, str(column[2]), column[4])
                if not isinstance(value, str):
                    return None
                stale = value
        return None if stale is None else cls(conn, tails, stale)

    def add(
        self, pilots: list[Any], coverage: list[Any], blockers: list[Any], moves: list[Any], ends: list[Any]
    ) -> None:
        """Digest one batch, before it is inserted (blockers and moves get their ids in this order). `ends`
        says, pilot by pilot, where its rows end in the flat coverage, blocker and move values: the loader
        notes it as it builds them (store/bulk.py RowBatch), so each pilot's rows are found, not searched."""
        sha, sealed, redo, texts = hashlib.sha256, self.sealed, self.redo, self._texts
        next_blocker, next_move = self.rows["blocker"] + 1, self.rows["stage_move"] + 1
        self.rows["blocker"] += len(blockers) // BLOCKER_VALUES
        self.rows["stage_move"] += len(moves) // MOVE_VALUES
        self._clean = self._plain_tails and _holds_no_separator(pilots, coverage, blockers, moves)
        start = covered = blocked = moved = 0
        for covered_to, blocked_to, moved_to in ends:
            pilot_id = pilots[start]
            if pilot_id in sealed or pilot_id in redo:
                redo.add(pilot_id)
            else:
                try:
                    found = texts(
                        pilots[start : start + PILOT_VALUES],
                        coverage[covered:covered_to],
                        blockers[blocked:blocked_to],
                        next_blocker + blocked // BLOCKER_VALUES,
                        moves[moved:moved_to],
                        next_move + moved // MOVE_VALUES,
                    )
                except (TypeError, ValueError):  # a value of another type: SQLite says what it stored
                    found = None
                if found is None:
                    redo.add(pilot_id)
                else:
                    slots = b""
                    for table, text in zip(PER_PILOT, found, strict=True):
                        slots += (
                            sha(f"{table}\x1f{pilot_id}\x1f{text}".encode("utf-8", "surrogatepass")).digest()
                            if text
                            else EMPTY
                        )
                    sealed[pilot_id] = slots
            start += PILOT_VALUES
            covered, blocked, moved = covered_to, blocked_to, moved_to

    def _texts(
        self,
        pilot: list[Any],
        coverage: list[Any],
        blockers: list[Any],
        first_blocker: int,
        moves: list[Any],
        first_move: int,
    ) -> tuple[str, str, str, str] | None:
        """One pilot's text in each table ("" where it has no row); None when a value holds a separator."""
        texts = (
            self._pilot(pilot),
            self._coverage(coverage) if coverage else "",
            self._blockers(blockers, first_blocker) if blockers else "",
            self._moves(moves, first_move) if moves else "",
        )
        return None if None in texts else texts  # type: ignore[return-value]

    def finish(self) -> dict[str, bytes] | None:
        """Every pilot's seal row, once the load is in; None if SQLite gave other ids than counted here."""
        for table in ("blocker", "stage_move"):
            count, last = self.conn.execute(f"SELECT count(*), coalesce(max(rowid), 0) FROM {table}").fetchone()
            if count != self.rows[table] or last != self.rows[table]:
                return None
        if self.redo:
            self._digest_in_sqlite(sorted(self.redo))
        return self.sealed

    def _digest_in_sqlite(self, pilot_ids: list[str]) -> None:
        from caio_tui.store import seal  # here: seal imports this module

        found = {t: seal.digests_of(self.conn, t, list(pilot_ids)) for t in PER_PILOT}
        for pilot_id in pilot_ids:
            slots = b"".join(found[t].get(pilot_id, EMPTY) for t in PER_PILOT)
            if slots == EMPTY * len(PER_PILOT):
                self.sealed.pop(pilot_id, None)
            else:
                self.sealed[pilot_id] = slots

    # ---- one pilot's text in each table (None: let SQLite digest it) -----------------------------------

    def _real(self, value: float) -> str:
        text = self._reals.get(value)
        if text is None:  # as SQLite casts it: its own rendering, asked once per distinct value
            cast = self.conn.execute("SELECT CAST(CAST(? AS REAL) AS TEXT)", (value,)).fetchone()[0]
            text = self._reals[value] = str(cast)
        return text

    def _pilot(self, row: list[Any]) -> str | None:
        (pilot_id, name, office, owner, stage, position, high, description, extra, created, entered, readiness,
         not_assessed, territory, open_blockers, top, below, ready) = row  # fmt: skip
        text = (
            f"{pilot_id}\x1f{name}\x1f{office}\x1f{owner}\x1f{stage}\x1f{int(position)}\x1f{int(high)}\x1f"
            f"{description}\x1f{extra}\x1f{created}\x1f{entered}\x1f{self._real(readiness)}\x1f{int(not_assessed)}"
            f"\x1f{territory}\x1f{int(open_blockers)}\x1f{top}\x1f{self._stale}\x1f{int(below)}\x1f{int(ready)}"
            f"{self._tail['pilot'][0]}"
        )
        return text if self._clean else _checked(text, 1, self._width["pilot"], self._tail["pilot"][1])

    def _coverage(self, part: list[Any]) -> str | None:
        tail, nulls = self._tail["coverage"]
        items = part[1::COVERAGE_VALUES]
        if tail or items != sorted(items):  # the seal reads them in the primary key's order
            rows = sorted(
                (part[i : i + COVERAGE_VALUES] for i in range(0, len(part), COVERAGE_VALUES)), key=itemgetter(1)
            )
            text = (tail + SEP).join(SEP.join(r) for r in rows) + tail
        else:
            text = SEP.join(part)
        return text if self._clean else _checked(text, len(items), self._width["coverage"], nulls * len(items))

    def _blockers(self, part: list[Any], first_id: int) -> str | None:
        """In the index's order: open first, then by when resolved, then by id."""
        tail, nulls = self._tail["blocker"]
        fields = iter(part)
        rows = [
            (resolved is not None, resolved or "", row_id,
             f"{row_id}\x1f{pilot_id}\x1f{tag}\x1f{note}\x1f{opened}\x1f{by}\x1f"
             f"{NULL if resolved is None else resolved}\x1f{resolver}\x1f{how}{tail}")
            for row_id, (pilot_id, tag, note, opened, by, resolved, resolver, how) in zip(
                count(first_id), zip(fields, fields, fields, fields, fields, fields, fields, fields, strict=True)
            )
        ]  # fmt: skip
        if len(rows) > 1:
            rows.sort()
        text = SEP.join([r[3] for r in rows])
        if self._clean:
            return text
        return _checked(text, len(rows), self._width["blocker"], sum(not r[0] for r in rows) + nulls * len(rows))

    def _moves(self, part: list[Any], first_id: int) -> str | None:
        tail, nulls = self._tail["stage_move"]
        fields = iter(part)
        texts = [
            f"{row_id}\x1f{pilot_id}\x1f{NULL if before is None else before}\x1f{after}\x1f{at}\x1f{actor}\x1f"
            f"{override}\x1f{failed}{tail}"
            for row_id, (pilot_id, before, after, at, actor, override, failed) in zip(
                count(first_id), zip(fields, fields, fields, fields, fields, fields, fields, strict=True)
            )
        ]
        if self._clean:
            return SEP.join(texts)
        return _checked(SEP.join(texts), len(texts), self._width["stage_move"], part.count(None) + nulls * len(texts))


# The pilot values that are text (the others are numbers: no separator in them), by position.
_PILOT_TEXTS = tuple(
    i
    for i, c in enumerate(BULK_COLUMNS["pilot"])
    if c not in ("stage_pos", "high_impact", "readiness", "not_assessed", "open_blockers", "below_gate", "ready")
)


def _holds_no_separator(pilots: list[Any], coverage: list[Any], blockers: list[Any], moves: list[Any]) -> bool:
    """Whether no value of a batch holds U+001C or U+001F (False too when a value is of another type)."""
    try:
        parts = [
            *("".join(pilots[i::PILOT_VALUES]) for i in _PILOT_TEXTS),
            "".join(coverage),
            "".join(filter(None, blockers)),  # NULLs (None) and empty values left out
            "".join(filter(None, moves)),
        ]
    except TypeError:
        return False
    return not any(SEP in part or NULL in part for part in parts)


def _checked(text: str, rows: int, width: int, nulls: int) -> str | None:
    """The text, if no value in it holds a separator (the counts prove it); else None."""
    if text.count(SEP) != rows * width - 1 or text.count(NULL) != nulls:
        return None
    return text


def _default(conn: sqlite3.Connection, kind: str, sql: str | None) -> str | bool | None:
    """A column's default as text, as SQLite stores it in a column of that type (None for NULL); False
    when it is not a constant."""
    if sql is None:
        return None
    if any(word in sql.lower() for word in ("current_", "random", "(")):
        return False
    typed = f"CAST(({sql}) AS {kind})" if kind.upper() in ("INTEGER", "REAL", "TEXT", "INT") else f"({sql})"
    value = conn.execute(f"SELECT CAST({typed} AS TEXT)").fetchone()[0]
    return None if value is None else str(value)
