"""Whole-portfolio reads, for exports and reports: every pilot with its coverage, blockers and stage
history, streamed table by table (one query per table, not one per pilot), so an export of 100,000 pilots
reads in seconds; and a few pilots' whole records by id.

Writes of many pilots live beside it: store/replace.py (a snapshot's contents into an empty portfolio),
store/upsert.py (an inventory import, updating in place), store/inventory_rows.py (what the store keeps
of imported inventories). The insert rows are built in store/insert_rows.py.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple

from caio_tui.domain.blockers import Blocker, BlockerTag
from caio_tui.domain.coverage import Catalog, Coverage, CoverageStatus
from caio_tui.domain.gates import GateRules, parse_rules
from caio_tui.domain.natural_id import NATURAL_ID_SQL
from caio_tui.domain.pilots import Pilot, PilotRecord, StageMove
from caio_tui.domain.stages import Stage
from caio_tui.domain.territory import BlockerCategory, Territory
from caio_tui.store import rows
from caio_tui.store.errors import StoreError

# The insert rows are built in store/insert_rows.py; named here too for the io modules that read them.
from caio_tui.store.insert_rows import BlockerRow as BlockerRow
from caio_tui.store.insert_rows import CoverageRow as CoverageRow
from caio_tui.store.insert_rows import MoveRow as MoveRow
from caio_tui.store.insert_rows import PilotRows as PilotRows
from caio_tui.store.insert_rows import PilotValues as PilotValues
from caio_tui.store.portfolio import Portfolio

# Called with (done, total) as bulk work advances, so a caller can draw a progress bar.
Progress = Callable[[int, int], None]

_CHUNK = 500  # ids per IN (...) list: well under SQLite's variable limit


@dataclass(frozen=True)
class RulesRevision:
    """The portfolio's current gate rules with their revision number, when and by whom they were set."""

    revision: int
    created_at: str
    actor: str
    rules: GateRules


@dataclass(frozen=True)
class PortfolioHeader:
    """What a snapshot holds besides the pilots."""

    name: str
    catalog: Catalog
    tags: list[BlockerTag]
    rules: RulesRevision


class StoredPilot(NamedTuple):
    """A pilot as stored: its rows and the derived columns the store keeps current."""

    rows: PilotRows
    readiness: float
    territory: str
    top_blocker: str
    approval_stale: bool = False
    below_gate: bool = False


# ---- reading ---------------------------------------------------------------------------------------


def rules_revision(portfolio: Portfolio) -> RulesRevision:
    row = portfolio.session.one("SELECT * FROM gate_rules ORDER BY version DESC LIMIT 1")
    if row is None:
        return RulesRevision(0, "", "", portfolio.rules())
    return RulesRevision(
        revision=int(row["version"]),
        created_at=row["created_at"],
        actor=row["actor"],
        rules=parse_rules(json.loads(row["rules"])),
    )


def read_header(portfolio: Portfolio) -> PortfolioHeader:
    return PortfolioHeader(
        name=portfolio.name, catalog=portfolio.catalog(), tags=portfolio.tags(), rules=rules_revision(portfolio)
    )


_STREAM_SQL = (
    "SELECT id, name, office, owner, stage, high_impact, description, extra, created_at, stage_entered_at, "
    "readiness, territory, top_blocker, approval_stale, below_gate FROM pilot ORDER BY id",
    "SELECT pilot_id, item_id, status, evidence, justification, updated_at, updated_by FROM coverage ORDER BY pilot_id",
    "SELECT pilot_id, tag, note, opened_at, opened_by, resolved_at, resolved_by, resolution FROM blocker "
    "ORDER BY pilot_id, id",
    "SELECT pilot_id, from_stage, to_stage, moved_at, actor, override, failed_rules FROM stage_move "
    "ORDER BY pilot_id, id",
)


@contextmanager
def stream_pilots(portfolio: Portfolio) -> Iterator[Iterator[StoredPilot]]:
    """Every pilot in id order with its coverage, blockers and stage history, one at a time: four cursors
    read side by side (a merge on pilot id) inside one read transaction, so memory stays flat at any size
    and every pilot comes from the same state of the file."""
    with portfolio.session.lock:
        conn = portfolio.conn
        cursors = []
        try:
            conn.execute("BEGIN")
            for sql in _STREAM_SQL:
                cursor = conn.cursor()
                cursor.row_factory = None  # plain tuples: several times cheaper than sqlite3.Row
                cursors.append(cursor.execute(sql))
        except sqlite3.DatabaseError as exc:
            _end_read(conn, cursors)
            raise StoreError(f"{portfolio.path}: cannot read the portfolio ({exc})") from None
        try:
            yield _merged(*cursors)
        except sqlite3.DatabaseError as exc:  # a damaged page met half-way through the stream
            raise StoreError(f"{portfolio.path}: cannot read the portfolio ({exc})") from None
        finally:
            _end_read(conn, cursors)


class PilotFacts(NamedTuple):
    """A pilot as a portfolio-wide report reads it: its fields, the stored derived columns, the status of
    each assessed item and the tags of its open blockers (not the evidence, notes or history)."""

    id: str
    name: str
    office: str
    owner: str
    description: str
    stage: str
    high_impact: bool
    stage_entered_at: str
    readiness: float
    territory: str
    top_blocker: str
    statuses: dict[str, str]  # item id -> status, assessed items only
    open_tags: list[str]  # in the order they were opened


# One row per pilot: each pilot's coverage and open blockers gathered by SQLite from their indexes, as
# JSON (any text is safe in it). Reading every coverage row into Python instead took half of a briefing.
_FACTS_SQL = (
    "SELECT id, name, office, owner, description, stage, high_impact, stage_entered_at, readiness, territory, "
    "top_blocker, "
    "(SELECT json_group_object(c.item_id, c.status) FROM coverage c WHERE c.pilot_id = pilot.id), "
    "(SELECT json_group_array(b.tag) FROM (SELECT tag FROM blocker WHERE pilot_id = pilot.id "
    "AND resolved_at IS NULL ORDER BY id) b) "
    f"FROM pilot ORDER BY {NATURAL_ID_SQL}, id"  # natural order (AI-2 before AI-10), up its index
)


@contextmanager
def stream_facts(portfolio: Portfolio) -> Iterator[Iterator[PilotFacts]]:
    """Every pilot's PilotFacts in natural id order, one at a time, inside one read transaction (flat memory)."""
    with portfolio.session.lock:
        conn = portfolio.conn
        cursors: list[sqlite3.Cursor] = []
        try:
            conn.execute("BEGIN")
            cursor = conn.cursor()
            cursor.row_factory = None
            cursors.append(cursor.execute(_FACTS_SQL))
        except sqlite3.DatabaseError as exc:
            _end_read(conn, cursors)
            raise StoreError(f"{portfolio.path}: cannot read the portfolio ({exc})") from None
        try:
            yield _facts(cursors[0])
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{portfolio.path}: cannot read the portfolio ({exc})") from None
        finally:
            _end_read(conn, cursors)


def _facts(cursor: sqlite3.Cursor) -> Iterator[PilotFacts]:
    loads = json.loads
    while batch := cursor.fetchmany(1000):
        for r in batch:
            statuses = r[11]
            tags = r[12]
            yield PilotFacts(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                bool(r[6]),
                r[7],
                r[8],
                r[9],
                r[10],
                loads(statuses) if statuses != "{}" else {},
                loads(tags) if tags != "[]" else [],
            )


def below_gate_pilots(portfolio: Portfolio, limit: int) -> tuple[int, list[str]] | None:
    """How many pilots stand below their gate and the ids of the `limit` furthest along (then by id), from
    the column the store keeps current; None while some pilot is still to judge (below_gate -1: the first
    open after the upgrade to schema 6 judges them), so the caller judges them itself."""
    if portfolio.session.one("SELECT 1 AS n FROM pilot WHERE below_gate = -1 LIMIT 1") is not None:
        return None
    row = portfolio.session.one("SELECT count(*) AS n FROM pilot WHERE below_gate = 1")
    found = portfolio.session.read(
        "SELECT id FROM pilot WHERE below_gate = 1 ORDER BY stage_pos DESC, id LIMIT ?", (limit,)
    )
    return (int(row["n"]) if row else 0), [str(r["id"]) for r in found]


def recent_moves(portfolio: Portfolio, limit: int) -> list[tuple[str, str, MoveRow]]:
    """The latest `limit` moves between stages (not a pilot's first stage), latest first: (pilot id,
    pilot name, move)."""
    found = portfolio.session.read(
        "SELECT m.pilot_id, p.name, m.from_stage, m.to_stage, m.moved_at, m.actor, m.override, m.failed_rules "
        "FROM stage_move m JOIN pilot p ON p.id = m.pilot_id WHERE m.from_stage IS NOT NULL "
        "ORDER BY m.moved_at DESC, m.pilot_id DESC, m.id LIMIT ?",
        (limit,),
    )
    return [(r[0], r[1], MoveRow(*r[2:])) for r in found]


def _end_read(conn: sqlite3.Connection, cursors: list[sqlite3.Cursor]) -> None:
    for cursor in cursors:
        cursor.close()
    # A read transaction has nothing to keep: end it in a way that cannot fail on a damaged file.
    with contextlib.suppress(sqlite3.DatabaseError):
        if conn.in_transaction:
            conn.execute("ROLLBACK")


class _Group:
    """Rows of one table ordered by pilot id, handed out pilot by pilot (fetched a thousand at a time:
    one fetchone() per row costs more than the rest of the export)."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self.cursor = cursor
        self.batch: list[tuple[Any, ...]] = cursor.fetchmany(1000)
        self.at = 0

    def take(self, pilot_id: str) -> list[tuple[Any, ...]]:
        found = []
        batch, at = self.batch, self.at
        while batch:
            while at < len(batch):
                row = batch[at]
                key = row[0]
                if key == pilot_id:
                    found.append(row[1:])
                elif key > pilot_id:
                    self.batch, self.at = batch, at
                    return found
                at += 1  # rows of this pilot, or of no pilot (cannot happen: foreign keys)
            batch, at = self.cursor.fetchmany(1000), 0
        self.batch, self.at = batch, at
        return found


def _merged(
    pilots: sqlite3.Cursor, coverage: sqlite3.Cursor, blockers: sqlite3.Cursor, moves: sqlite3.Cursor
) -> Iterator[StoredPilot]:
    groups = _Group(coverage), _Group(blockers), _Group(moves)
    for r in pilots:
        pilot_id = r[0]
        whole = PilotRows(
            pilot=PilotValues(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], r[7], r[8], r[9]),
            coverage=[CoverageRow(*c) for c in groups[0].take(pilot_id)],
            blockers=[BlockerRow(*b) for b in groups[1].take(pilot_id)],
            moves=[MoveRow(*m) for m in groups[2].take(pilot_id)],
        )
        yield StoredPilot(whole, r[10], r[11], r[12], bool(r[13]), r[14] == 1)


def record_of(stored: StoredPilot, categories: Mapping[str, BlockerCategory]) -> PilotRecord:
    """The domain record of a stored pilot (what gates evaluate and reports show)."""
    whole = stored.rows
    p = whole.pilot
    parse = rows.parse_time
    open_count = sum(1 for b in whole.blockers if b.resolved_at is None)
    pilot = Pilot(
        id=p.id,
        name=p.name,
        office=p.office,
        owner=p.owner,
        stage=Stage(p.stage),
        high_impact=p.high_impact,
        description=p.description,
        extra=json.loads(p.extra) if p.extra != "{}" else {},
        created_at=parse(p.created_at),
        stage_entered_at=parse(p.stage_entered_at),
        readiness=stored.readiness,
        territory=Territory(stored.territory),
        open_blockers=open_count,
        top_blocker=stored.top_blocker,
        approval_stale=stored.approval_stale,
        below_gate=stored.below_gate,
    )
    coverage = {
        c.item_id: Coverage(
            item=c.item_id,
            status=CoverageStatus(c.status),
            evidence=c.evidence,
            justification=c.justification,
            updated_at=parse(c.updated_at),
            updated_by=c.updated_by,
        )
        for c in whole.coverage
    }
    blockers = tuple(
        Blocker(
            id=index,
            pilot_id=p.id,
            tag=b.tag,
            category=categories[b.tag],
            note=b.note,
            opened_at=parse(b.opened_at),
            opened_by=b.opened_by,
            resolved_at=parse(b.resolved_at) if b.resolved_at else None,
            resolved_by=b.resolved_by,
            resolution=b.resolution,
        )
        for index, b in enumerate(whole.blockers, start=1)
    )
    moves = tuple(
        StageMove(
            pilot_id=p.id,
            from_stage=Stage(m.from_stage) if m.from_stage else None,
            to_stage=Stage(m.to_stage),
            moved_at=parse(m.moved_at),
            actor=m.actor,
            override=m.override,
            failed_rules=tuple(json.loads(m.failed_rules)) if m.failed_rules != "[]" else (),
        )
        for m in whole.moves
    )
    return PilotRecord(pilot=pilot, coverage=coverage, blockers=blockers, stage_history=moves)


def categories_of(portfolio: Portfolio) -> dict[str, BlockerCategory]:
    return {t.tag: t.category for t in portfolio.tags()}


def read_records(portfolio: Portfolio, ids: Sequence[str] | None = None) -> list[PilotRecord]:
    """Full records (coverage, blockers, stage history) of every pilot, or of the given ids, in id order;
    one query per table (per 500 ids when ids are given), never one per pilot."""
    with portfolio.session.lock:
        if ids is None:
            categories = categories_of(portfolio)
            with stream_pilots(portfolio) as stream:
                return [record_of(stored, categories) for stored in stream]
        found: list[PilotRecord] = []
        wanted = sorted(set(ids))
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            found += _records(portfolio, f" IN ({', '.join('?' * len(chunk))})", chunk)
        return sorted(found, key=lambda record: record.pilot.id)


def _records(portfolio: Portfolio, id_clause: str, ids: list[str]) -> list[PilotRecord]:
    pilots = [
        rows.pilot(r)
        for r in portfolio.session.read(f"SELECT {rows.PILOT_COLUMNS} FROM pilot WHERE id{id_clause}", ids)
    ]
    coverage: dict[str, dict[str, Coverage]] = defaultdict(dict)
    for r in portfolio.session.read(f"SELECT * FROM coverage WHERE pilot_id{id_clause}", ids):
        coverage[r["pilot_id"]][r["item_id"]] = rows.coverage(r)
    found_blockers: dict[str, list[Blocker]] = defaultdict(list)
    blocker_sql = f"SELECT b.*, t.category FROM blocker b JOIN blocker_tag t USING (tag) WHERE b.pilot_id{id_clause}"
    for r in portfolio.session.read(blocker_sql + " ORDER BY b.id", ids):
        found_blockers[r["pilot_id"]].append(rows.blocker(r))
    moves: dict[str, list[StageMove]] = defaultdict(list)
    for r in portfolio.session.read(f"SELECT * FROM stage_move WHERE pilot_id{id_clause} ORDER BY id", ids):
        moves[r["pilot_id"]].append(rows.stage_move(r))
    return [
        PilotRecord(
            pilot=p,
            coverage=coverage.get(p.id, {}),
            blockers=tuple(found_blockers.get(p.id, ())),
            stage_history=tuple(moves.get(p.id, ())),
        )
        for p in pilots
    ]


def is_empty(portfolio: Portfolio) -> bool:
    return portfolio.count() == 0
