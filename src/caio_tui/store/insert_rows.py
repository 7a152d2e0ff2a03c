"""A whole pilot as the rows that insert it: the one place a pilot (its record, with coverage, blockers
and stage history) becomes the text the file keeps (times as rows.timestamp writes them, JSON as text).

Plain tuples, not models: building them costs a fraction of building pydantic models, which matters at
100,000 pilots. Portfolio.import_records inserts them one pilot at a time (insert); an inventory import
and a snapshot load pass them through the bulk load (store.transfer, store.bulk)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from caio_tui.store import rows
from caio_tui.store.queries import STAGE_POSITION

if TYPE_CHECKING:
    from caio_tui.domain.pilots import PilotRecord


# The columns of the four tables a whole pilot fills, in each table's order (schema 12): the one list the
# bulk load's INSERTs (store/bulk.py) and the seal's digest of the values it inserts (store/bulk_seal.py)
# are derived from. `approval_stale` keeps its default in a bulk load; SQLite gives the ids.
TABLE_COLUMNS = {
    "pilot": (
        "id", "name", "office", "owner", "stage", "stage_pos", "high_impact", "description", "extra",
        "created_at", "stage_entered_at", "readiness", "not_assessed", "territory", "open_blockers",
        "top_blocker", "approval_stale", "below_gate", "ready",
    ),
    "coverage": ("pilot_id", "item_id", "status", "evidence", "justification", "updated_at", "updated_by"),
    "blocker": (
        "id", "pilot_id", "tag", "note", "opened_at", "opened_by", "resolved_at", "resolved_by", "resolution",
    ),
    "stage_move": ("id", "pilot_id", "from_stage", "to_stage", "moved_at", "actor", "override", "failed_rules"),
}  # fmt: skip
LEFT_TO_SQLITE = {"pilot": "approval_stale", "blocker": "id", "stage_move": "id"}  # a bulk load does not insert
BULK_COLUMNS = {t: tuple(c for c in columns if c != LEFT_TO_SQLITE.get(t)) for t, columns in TABLE_COLUMNS.items()}


class PilotValues(NamedTuple):
    id: str
    name: str
    office: str
    owner: str
    stage: str
    high_impact: bool
    description: str
    extra: str  # JSON object
    created_at: str
    stage_entered_at: str


class CoverageRow(NamedTuple):
    item_id: str
    status: str
    evidence: str
    justification: str
    updated_at: str
    updated_by: str


class BlockerRow(NamedTuple):
    tag: str
    note: str
    opened_at: str
    opened_by: str
    resolved_at: str | None
    resolved_by: str
    resolution: str = ""


class MoveRow(NamedTuple):
    from_stage: str | None
    to_stage: str
    moved_at: str
    actor: str
    override: str
    failed_rules: str  # JSON array


class PilotRows(NamedTuple):
    """One whole pilot, ready to insert."""

    pilot: PilotValues
    coverage: list[CoverageRow]
    blockers: list[BlockerRow]
    moves: list[MoveRow]


class FlatPilotRows(NamedTuple):
    """One whole pilot as the bulk load binds it (store/bulk.py): its values, then each table's rows one
    after another in one flat list, in BULK_COLUMNS order (the pilot's id first in every row). No tuple
    per row: a snapshot's streaming reader fills these straight from each line (io/snapshot/rows.py),
    where a row tuple each, flattened again by the load, cost about 1 s of CPU per 100,000 pilots."""

    pilot: PilotValues
    coverage: list[Any]
    blockers: list[Any]
    moves: list[Any]


def flat_rows(whole: PilotRows) -> FlatPilotRows:
    """The same rows, flat, for the bulk load."""
    pilot_id = whole.pilot.id
    coverage: list[Any] = []
    for c in whole.coverage:
        coverage += (pilot_id, *c)
    blockers: list[Any] = []
    for b in whole.blockers:
        blockers += (pilot_id, *b)
    moves: list[Any] = []
    for m in whole.moves:
        moves += (pilot_id, *m)
    return FlatPilotRows(whole.pilot, coverage, blockers, moves)


def unflat_rows(flat: FlatPilotRows) -> PilotRows:
    """The rows of flat_rows again, a tuple per row (the pilot's id left out of each)."""

    def split(values: list[Any], width: int) -> list[list[Any]]:
        return [values[i + 1 : i + width] for i in range(0, len(values), width)]

    return PilotRows(
        flat.pilot,
        [CoverageRow(*r) for r in split(flat.coverage, _COVERAGE_WIDTH)],
        [BlockerRow(*r) for r in split(flat.blockers, _BLOCKER_WIDTH)],
        [MoveRow(*r) for r in split(flat.moves, _MOVE_WIDTH)],
    )


_COVERAGE_WIDTH, _BLOCKER_WIDTH, _MOVE_WIDTH = (len(BULK_COLUMNS[t]) for t in ("coverage", "blocker", "stage_move"))


class _Blocker(Protocol):
    """A blocker as the domain and a snapshot both hold it."""

    @property
    def tag(self) -> str: ...
    @property
    def note(self) -> str: ...
    @property
    def opened_at(self) -> Any: ...
    @property
    def opened_by(self) -> str: ...
    @property
    def resolved_at(self) -> Any: ...
    @property
    def resolved_by(self) -> str: ...
    @property
    def resolution(self) -> str: ...


def blocker_row(b: _Blocker, ts: Callable[[Any], str]) -> BlockerRow:
    """A blocker's row, its times as `ts` stores them (a domain record's and a snapshot's blockers alike)."""
    return BlockerRow(
        b.tag,
        b.note,
        ts(b.opened_at),
        b.opened_by,
        ts(b.resolved_at) if b.resolved_at else None,
        b.resolved_by,
        b.resolution,
    )


def rows_of(record: PilotRecord, actor: str) -> PilotRows:
    """The record's rows; `actor` stands in for who set a coverage item or made a move where it says no one."""
    p = record.pilot
    ts = rows.timestamp
    return PilotRows(
        pilot=PilotValues(
            p.id,
            p.name,
            p.office,
            p.owner,
            p.stage.value,
            p.high_impact,
            p.description,
            json.dumps(p.extra, ensure_ascii=False),
            ts(p.created_at),
            ts(p.stage_entered_at),
        ),
        coverage=[
            CoverageRow(
                c.item,
                c.status.value,
                c.evidence,
                c.justification,
                ts(c.updated_at or p.created_at),
                c.updated_by or actor,
            )
            for c in record.coverage.values()
        ],
        blockers=[blocker_row(b, ts) for b in record.blockers],
        moves=[
            MoveRow(
                m.from_stage.value if m.from_stage else None,
                m.to_stage.value,
                ts(m.moved_at),
                m.actor or actor,
                m.override,
                json.dumps(list(m.failed_rules), ensure_ascii=False),
            )
            for m in record.stage_history
        ],
    )


_PILOT = (
    "INSERT INTO pilot (id, name, office, owner, stage, high_impact, description, extra, created_at, "
    "stage_entered_at, stage_pos) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_COVERAGE = (
    "INSERT INTO coverage (pilot_id, item_id, status, evidence, justification, updated_at, updated_by) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_BLOCKER = (
    "INSERT INTO blocker (pilot_id, tag, note, opened_at, opened_by, resolved_at, resolved_by, resolution) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_MOVE = (
    "INSERT INTO stage_move (pilot_id, from_stage, to_stage, moved_at, actor, override, failed_rules) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def insert(conn: sqlite3.Connection, whole: PilotRows) -> None:
    """Insert one pilot's rows inside the caller's transaction; the derived columns are the caller's to
    compute (store.writes.refresh), as after any change."""
    p = whole.pilot
    conn.execute(_PILOT, (*p[:5], int(p.high_impact), *p[6:], STAGE_POSITION[p.stage]))
    conn.executemany(_COVERAGE, [(p.id, *c) for c in whole.coverage])
    conn.executemany(_BLOCKER, [(p.id, *b) for b in whole.blockers])
    conn.executemany(_MOVE, [(p.id, *m) for m in whole.moves])
