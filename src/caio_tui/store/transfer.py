"""Bulk reads and writes for import and export, beside the Portfolio class.

Whole-portfolio reads take one query per table (not one per pilot), so an export of 100,000 pilots reads
in seconds. Each import runs in one transaction with one audit event that names the source file: an
import either lands whole or not at all.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any, NamedTuple

from caio_tui.domain.blockers import Blocker, BlockerTag
from caio_tui.domain.coverage import Catalog, Coverage, CoverageStatus
from caio_tui.domain.derived import Derivation, OpenBlocker
from caio_tui.domain.gates import GateRules, evaluate, parse_rules
from caio_tui.domain.pilots import EDITABLE_FIELDS, Pilot, PilotRecord, StageMove
from caio_tui.domain.stages import Stage
from caio_tui.domain.territory import BlockerCategory, Territory
from caio_tui.store import bulk, rows, undo_steps, writes
from caio_tui.store.errors import StoreError

# The insert rows are built in store/insert_rows.py; named here too for the io modules that read them.
from caio_tui.store.insert_rows import BlockerRow as BlockerRow
from caio_tui.store.insert_rows import CoverageRow as CoverageRow
from caio_tui.store.insert_rows import MoveRow as MoveRow
from caio_tui.store.insert_rows import PilotRows as PilotRows
from caio_tui.store.insert_rows import PilotValues as PilotValues
from caio_tui.store.insert_rows import rows_of
from caio_tui.store.portfolio import Portfolio
from caio_tui.store.queries import STAGE_POSITION

# The author of a status or blocker derived from a file ("inventory:FILE"), not set by a person.
DERIVED_PREFIX = "inventory:"

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
    "SELECT pilot_id, tag, note, opened_at, opened_by, resolved_at, resolved_by FROM blocker ORDER BY pilot_id, id",
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
    "FROM pilot ORDER BY id"
)


@contextmanager
def stream_facts(portfolio: Portfolio) -> Iterator[Iterator[PilotFacts]]:
    """Every pilot's PilotFacts in id order, one at a time, inside one read transaction (flat memory)."""
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


# ---- replacing an empty portfolio's contents (snapshot import) -------------------------------------


def replace_contents(
    portfolio: Portfolio,
    *,
    name: str,
    catalog: Catalog,
    tags: Sequence[BlockerTag],
    rules: RulesRevision,
    pilots: Iterable[PilotRows],
    source: str,
    summary: Callable[[int], str],
    total: int = 0,
    progress: Progress | None = None,
    then: Callable[[], None] | None = None,
) -> int:
    """Make an empty portfolio hold exactly this content: its name, frameworks, tags, gate rules and pilots
    (with coverage, blockers and stage history, times and actors kept). One transaction, one event whose
    summary is summary(pilots loaded); returns the number of pilots.

    `pilots` is consumed once, in batches, through the bulk load (store.bulk.loading): a caller can stream
    them from a file, and an exception it raises while they are read (e.g. a digest that does not match
    once the last pilot is read) rolls the whole import back. `total` (when known) is for progress.
    `then`, when given, writes the rest of the content in the same transaction (the commercial AI uses)."""

    def refuse(found: int) -> str:
        return (
            f"{portfolio.path}: holds {found} pilot(s); a snapshot imports only into an empty portfolio "
            "(create one with 'caio-tui --db NEW.db init'); nothing was imported"
        )

    with portfolio.session.lock, bulk.loading(portfolio, refuse=refuse):
        conn = portfolio.conn
        conn.execute("DELETE FROM item")
        conn.execute("DELETE FROM framework")
        for position, framework in enumerate(catalog.frameworks):
            writes.insert_framework(portfolio, framework, position)
        conn.execute("DELETE FROM blocker_tag")
        for tag in tags:
            writes.insert_tag(portfolio, tag)
        conn.execute("DELETE FROM gate_rules")
        conn.execute(
            "INSERT INTO gate_rules (version, rules, created_at, actor) VALUES (?, ?, ?, ?)",
            (rules.revision, rules.rules.model_dump_json(by_alias=True), rules.created_at, rules.actor),
        )
        conn.execute("UPDATE meta SET value = ? WHERE key = 'name'", (name,))
        portfolio.forget_catalog()
        portfolio.forget_rules()
        batcher = _Batcher(catalog, rules.rules, {t.tag: t.category for t in tags}, "imported")
        loaded = 0
        for batch in bulk.built_ahead(batcher.batch(chunk) for chunk in _chunks(pilots, _BATCH)):
            bulk.insert_batch(portfolio, batch)
            loaded += batch.pilots
            if progress:
                progress(loaded, max(total, loaded))
        if then is not None:
            then()
        portfolio.append_event(
            "import",
            None,
            None,
            {"summary": summary(loaded), "pilots": loaded, "name": name, "rules_revision": rules.revision},
            source=source,
        )
    return loaded


_BATCH = 2000


def _chunks(pilots: Iterable[PilotRows], size: int) -> Iterator[list[PilotRows]]:
    iterator = iter(pilots)
    while chunk := list(islice(iterator, size)):
        yield chunk


class _Batcher:
    """PilotRows into the bulk load's flat rows, with the derived columns (domain.derived), checking the
    items and tags the foreign keys would (they are off during a bulk load)."""

    def __init__(
        self, catalog: Catalog, rules: GateRules, categories: Mapping[str, BlockerCategory], verb: str
    ) -> None:
        self.known_items = {i.id for i in catalog.items()}
        self.categories = categories
        self.derivation = Derivation(catalog, rules)
        self.verb = verb  # "nothing was {verb}" in errors

    def batch(self, chunk: Sequence[PilotRows]) -> bulk.RowBatch:
        pilot_values: list[Any] = []
        coverage_values: list[Any] = []
        blocker_values: list[Any] = []
        move_values: list[Any] = []
        known_items, categories = self.known_items, self.categories
        for whole in chunk:
            p = whole.pilot
            pilot_id = p.id
            statuses = {}
            for c in whole.coverage:
                if c.item_id not in known_items:
                    raise StoreError(f"{pilot_id}: unknown requirement item {c.item_id!r}; nothing was {self.verb}")
                coverage_values += (pilot_id, *c)
                statuses[c.item_id] = c.status
            open_blockers = []
            for b in whole.blockers:
                category = categories.get(b.tag)
                if category is None:
                    raise StoreError(f"{pilot_id}: unknown blocker tag {b.tag!r}; nothing was {self.verb}")
                blocker_values += (pilot_id, *b)
                if b.resolved_at is None:
                    open_blockers.append(OpenBlocker(b.tag, category, b.opened_at))
            for m in whole.moves:
                move_values += (pilot_id, *m)
            fields = {"name": p.name, "office": p.office, "owner": p.owner, "description": p.description}
            d = self.derivation.columns(statuses, p.high_impact, open_blockers, stage=p.stage, fields=fields)
            pilot_values += (
                *p[:5],
                STAGE_POSITION[p.stage],
                int(p.high_impact),
                *p[6:],
                d.readiness,
                d.not_assessed,
                d.territory.value,
                d.open_blockers,
                d.top_blocker,
                int(d.below_gate),
            )
        return bulk.RowBatch(len(chunk), pilot_values, coverage_values, blocker_values, move_values)


# ---- update in place (inventory import) ------------------------------------------------------------

_LAYOUT_PREFIX = "omb_layout:"


def save_layout(portfolio: Portfolio, key: str, layout_json: str) -> None:
    """Keep an inventory file's layout (a portfolio setting, sealed with the others), the newest import's."""
    portfolio.conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (_LAYOUT_PREFIX + key, layout_json),
    )


_HELD_PREFIX = "omb_held:"


def _keep_held(portfolio: Portfolio, held: Mapping[str, str], resolved: Sequence[str]) -> list[str]:
    """Write the held rows that are new or changed and remove the resolved ones; the keys it changed."""
    changed = []
    for key in resolved:
        if portfolio.conn.execute("DELETE FROM meta WHERE key = ?", (_HELD_PREFIX + key,)).rowcount:
            changed.append(key)
    for key, value in held.items():
        if portfolio.meta(_HELD_PREFIX + key) != value:
            portfolio.conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (_HELD_PREFIX + key, value),
            )
            changed.append(key)
    return changed


def held_rows(portfolio: Portfolio) -> dict[str, str]:
    """Every inventory row held for a person to link, by key (JSON text)."""
    found = portfolio.session.read(
        "SELECT key, value FROM meta WHERE key >= ? AND key < ? ORDER BY key", (_HELD_PREFIX, _HELD_PREFIX[:-1] + ";")
    )
    return {r[0][len(_HELD_PREFIX) :]: r[1] for r in found}


def saved_layouts(portfolio: Portfolio) -> dict[str, str]:
    """Every inventory layout kept, by key (JSON text)."""
    found = portfolio.session.read(
        "SELECT key, value FROM meta WHERE key >= ? AND key < ?", (_LAYOUT_PREFIX, _LAYOUT_PREFIX[:-1] + ";")
    )
    return {r[0][len(_LAYOUT_PREFIX) :]: r[1] for r in found}


def layouts_in_use(portfolio: Portfolio) -> set[str]:
    """The keys of the layouts whose rows pilots still keep (pilot.extra's omb_row)."""
    found = portfolio.session.read(
        "SELECT DISTINCT json_extract(extra, '$.omb_row.layout') FROM pilot "
        "WHERE json_extract(extra, '$.omb_row.layout') IS NOT NULL"
    )
    return {str(r[0]) for r in found}


class LinkKey(NamedTuple):
    """What linking a later inventory needs of a pilot: its id, name, agency, bureau, the agency's id and the
    layout of the inventory row it keeps."""

    id: str
    name: str
    agency: str
    bureau: str
    omb_id: str
    layout: str


def link_keys(portfolio: Portfolio) -> list[LinkKey]:
    """Every pilot's LinkKey, in one query (the inventory columns read from pilot.extra by SQLite)."""
    found = portfolio.session.read(
        "SELECT id, name, coalesce(json_extract(extra, '$.agency'), ''), "
        "coalesce(json_extract(extra, '$.agency_bureau'), ''), coalesce(json_extract(extra, '$.omb_id'), ''), "
        "coalesce(json_extract(extra, '$.omb_row.layout'), '') FROM pilot"
    )
    return [LinkKey(*(str(v) for v in r)) for r in found]


@dataclass(frozen=True)
class IncomingPilot:
    """What an import says a pilot is. For a pilot that exists already, every field given here is what it
    should become (the caller keeps the current value where the source says nothing); coverage lists only
    the items the source speaks about."""

    id: str
    name: str
    office: str = ""
    owner: str = ""
    high_impact: bool = False
    description: str = ""
    stage: Stage = Stage.INTAKE
    extra: dict[str, Any] = field(default_factory=dict)
    coverage: dict[str, Coverage] = field(default_factory=dict)
    # Derived from the source: blockers to open, (tag, note), each only on a pilot that never had one of its
    # tag (so a blocker a person resolved is not opened again); who derived them; when the pilot entered
    # the stage it stands at, where the source says.
    blockers: tuple[tuple[str, str], ...] = ()
    derived_by: str = ""
    entered_at: datetime | None = None
    # When the source says the pilot stood at `stage` (an inventory's year): a new pilot's first stage and a
    # stage move the import records are dated then, not at the time of the import.
    as_of: datetime | None = None


@dataclass(frozen=True)
class PilotChange:
    id: str
    name: str
    changes: tuple[str, ...] = ()


@dataclass(frozen=True)
class UpsertReport:
    source: str
    dry_run: bool
    added: tuple[PilotChange, ...] = ()
    updated: tuple[PilotChange, ...] = ()
    unchanged: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        return f"{len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged"


@dataclass
class _Update:
    incoming: IncomingPilot
    current: PilotRecord
    fields: dict[str, Any]
    coverage: list[Coverage]
    move: tuple[Stage, str, tuple[str, ...]] | None  # target, override justification, failed rules
    changes: list[str]
    blockers: list[tuple[str, str]] = field(default_factory=list)  # (tag, note) to open
    entered: datetime | None = None  # the new date its unmoved stage was entered on


def upsert_pilots(
    portfolio: Portfolio,
    incoming: Sequence[IncomingPilot],
    *,
    source: str,
    dry_run: bool = False,
    progress: Progress | None = None,
    layout: tuple[str, str] | None = None,
    held: Mapping[str, str] | None = None,
    resolved: Sequence[str] = (),
) -> UpsertReport:
    """Add the pilots that are new, update the ones that exist in place (never a duplicate), and report
    what changed per pilot. A forward stage change the gate would refuse is recorded as an override whose
    justification names the source. dry_run reports the same and writes nothing. ``layout`` (key, JSON)
    is the source file's layout, kept (once per key) in the same transaction when the import changes
    anything: what an export in the source layout writes back. ``held`` (key -> JSON) are rows the import
    holds back for a person to link (ambiguous matches), kept with the settings; ``resolved`` are held rows
    this write settles (removed in the same transaction)."""
    repeated = sorted(i for i, n in Counter(p.id for p in incoming).items() if n > 1)
    if repeated:
        raise StoreError(f"{source}: pilot id(s) repeat in the import: {', '.join(repeated[:5])}; nothing was imported")
    if dry_run:
        return _plan(portfolio, incoming, source, dry_run=True, progress=progress)[0]
    with portfolio.session.transaction():
        report, added, updates = _plan(portfolio, incoming, source, dry_run=False, progress=progress)
        portfolio.seal.check_pilots([p.id for p in incoming])  # in a few statements, not a trigger call each
        was, became = _apply(portfolio, added, updates)
        kept = _keep_held(portfolio, held or {}, resolved)
        if report.added or report.updated or kept:
            if layout is not None:
                save_layout(portfolio, *layout)
            # Before: the old value of every field, inventory column, coverage item and stage the import
            # changed, per pilot (not the pilots or fields it left alone): what undo puts back, and what
            # the trail says the import replaced. After: the change lines and the new values.
            portfolio.append_event(
                "import",
                None,
                {"updated": was},
                {
                    "summary": f"imported from {source}: {report.summary}",
                    "added": [c.id for c in report.added],
                    "updated": {c.id: list(c.changes) for c in report.updated},
                    "unchanged": len(report.unchanged),
                    "values": became,
                    **({"held": kept} if kept else {}),
                },
                source=source,
            )
    return report


def _plan(
    portfolio: Portfolio,
    incoming: Sequence[IncomingPilot],
    source: str,
    *,
    dry_run: bool,
    progress: Progress | None,
) -> tuple[UpsertReport, list[PilotRecord], list[_Update]]:
    catalog, rules = portfolio.catalog(), portfolio.rules()
    categories = categories_of(portfolio)
    known_items = {i.id for i in catalog.items()}  # a set: an import checks tens of thousands of items
    current = {r.pilot.id: r for r in read_records(portfolio, [p.id for p in incoming])}
    now = portfolio.clock()
    added: list[PilotRecord] = []
    updates: list[_Update] = []
    unchanged: list[str] = []
    for index, wanted in enumerate(incoming, start=1):
        for item in wanted.coverage:
            if item not in known_items:
                raise StoreError(f"{source}: {wanted.id}: unknown requirement item {item!r}; nothing was imported")
        for tag, _ in wanted.blockers:
            if tag not in categories:
                raise StoreError(f"{source}: {wanted.id}: unknown blocker tag {tag!r}; nothing was imported")
        record = current.get(wanted.id)
        if record is None:
            added.append(_new_record(wanted, now, portfolio.actor, categories))
        else:
            update = _compare(record, wanted, rules, catalog, source)
            if update.changes:
                updates.append(update)
            else:
                unchanged.append(wanted.id)
        if progress and (index % 200 == 0 or index == len(incoming)):
            progress(index, len(incoming))
    report = UpsertReport(
        source=source,
        dry_run=dry_run,
        added=tuple(PilotChange(r.pilot.id, r.pilot.name, (f"stage {r.pilot.stage.value}",)) for r in added),
        updated=tuple(PilotChange(u.incoming.id, u.incoming.name, tuple(u.changes)) for u in updates),
        unchanged=tuple(unchanged),
    )
    return report, added, updates


def _new_record(
    wanted: IncomingPilot, now: datetime, actor: str, categories: Mapping[str, BlockerCategory]
) -> PilotRecord:
    """A new pilot as the source gives it: a derived status keeps its author (the file); the pilot is dated
    when the source says it stood at its stage (`as_of`, an inventory's year), and enters the stage on the
    source's own date for it where it gives one in the past."""
    dated = min(wanted.as_of or now, now)
    entered = wanted.entered_at if wanted.entered_at and wanted.entered_at < now else dated
    now = dated
    pilot = Pilot(
        id=wanted.id,
        name=wanted.name,
        office=wanted.office,
        owner=wanted.owner,
        stage=wanted.stage,
        high_impact=wanted.high_impact,
        description=wanted.description,
        extra=wanted.extra,
        created_at=now,
        stage_entered_at=entered,
    )
    coverage = {
        item: cov.model_copy(update={"updated_at": now, "updated_by": cov.updated_by or actor})
        for item, cov in wanted.coverage.items()
    }
    blockers = tuple(
        Blocker(
            id=index,
            pilot_id=wanted.id,
            tag=tag,
            category=categories[tag],
            note=note,
            opened_at=now,
            opened_by=wanted.derived_by or actor,
        )
        for index, (tag, note) in enumerate(dict(wanted.blockers).items(), start=1)
    )
    move = StageMove(pilot_id=wanted.id, from_stage=None, to_stage=wanted.stage, moved_at=entered, actor=actor)
    return PilotRecord(pilot=pilot, coverage=coverage, blockers=blockers, stage_history=(move,))


def _field_change(name: str, old: Any, new: Any) -> str:
    if isinstance(old, str) and isinstance(new, str) and max(len(old), len(new)) > 60:
        return f"{name}: changed ({len(old)} → {len(new)} characters)"
    shown = [repr(v) if isinstance(v, str) else str(v).lower() for v in (old, new)]
    return f"{name}: {shown[0]} → {shown[1]}"


def _compare(record: PilotRecord, wanted: IncomingPilot, rules: GateRules, catalog: Catalog, source: str) -> _Update:
    pilot = record.pilot
    changes: list[str] = []
    fields: dict[str, Any] = {}
    for name in EDITABLE_FIELDS:
        old, new = getattr(pilot, name), getattr(wanted, name)
        if old != new:
            fields[name] = new
            changes.append(_field_change(name, old, new))
    if wanted.extra != pilot.extra:
        fields["extra"] = wanted.extra
        keys = sorted(k for k in set(wanted.extra) | set(pilot.extra) if wanted.extra.get(k) != pilot.extra.get(k))
        keys = [k for k in keys if k not in _INTERNAL_EXTRA]  # records kept for the export, not columns
        shown = ", ".join(keys[:4]) + (f" and {len(keys) - 4} more" if len(keys) > 4 else "")
        if keys:
            changes.append(f"inventory columns changed: {shown}")
    new_coverage: list[Coverage] = []
    for item, cov in wanted.coverage.items():
        old_cov = record.coverage.get(item)
        old_status = old_cov.status if old_cov else CoverageStatus.NOT_ASSESSED
        if old_status != cov.status and not _set_by_a_person(old_cov, cov):
            new_coverage.append(cov)
            changes.append(f"{item}: {old_status.value} → {cov.status.value}")
    had = {b.tag for b in record.blockers}  # open or resolved: never reopened, never duplicated
    new_blockers = [(tag, note) for tag, note in dict(wanted.blockers).items() if tag not in had]
    changes += [f"blocker opened: {tag}" for tag, _ in new_blockers]
    entered = _entered(record, wanted)
    if entered is not None:
        changes.append(f"entered {pilot.stage.value} on {entered.date().isoformat()} (per {source})")
    move: tuple[Stage, str, tuple[str, ...]] | None = None
    if wanted.stage is not pilot.stage:
        after = record.model_copy(
            update={
                "pilot": pilot.model_copy(update={k: v for k, v in fields.items() if k != "extra"}),
                "coverage": {**record.coverage, **{c.item: c for c in new_coverage}},
            }
        )
        result = evaluate(after, wanted.stage, rules, catalog)
        if result.passed:
            move = (wanted.stage, "", ())
            changes.append(f"stage: {pilot.stage.value} → {wanted.stage.value}")
        else:
            failed = tuple(f"{f.rule}: {f.reason}" for f in result.failures)
            move = (wanted.stage, f"reported as {wanted.stage.value} by the inventory {source}", failed)
            changes.append(
                f"stage: {pilot.stage.value} → {wanted.stage.value} (gate overridden: {len(failed)} rule(s))"
            )
    if "extra" in fields and not changes:  # only the kept inventory row changed (its text, its position)
        changes.append("inventory row as given: changed")
    return _Update(wanted, record, fields, new_coverage, move, changes, new_blockers, entered)


def _set_by_a_person(old: Coverage | None, new: Coverage) -> bool:
    """A status a person set (anything but not assessed, by anyone but a file) is never replaced by a status
    a file derived: the file's reading is kept beside it by the caller."""
    if old is None or old.status is CoverageStatus.NOT_ASSESSED:
        return False
    return bool(new.updated_by) and new.updated_by != old.updated_by and not _derived(old.updated_by)


def _derived(author: str) -> bool:
    return author.startswith(DERIVED_PREFIX)


def _entered(record: PilotRecord, wanted: IncomingPilot) -> datetime | None:
    """The source's date for the stage the pilot stands at, when it stays there and nobody has moved it
    since it was created (a person's move dates itself)."""
    pilot, moves = record.pilot, record.stage_history
    if wanted.entered_at is None or wanted.stage is not pilot.stage or len(moves) != 1 or moves[0].from_stage:
        return None
    if wanted.entered_at >= pilot.created_at or wanted.entered_at == pilot.stage_entered_at:
        return None
    return wanted.entered_at


# Keys of pilot.extra that an inventory import keeps for its export (io/omb/records.py), not columns.
_INTERNAL_EXTRA = frozenset({"omb_row", "omb_as_given"})

Values = dict[str, dict[str, Any]]  # pilot id -> what an import changed on it (old or new values)


def _apply(portfolio: Portfolio, added: list[PilotRecord], updates: list[_Update]) -> tuple[Values, Values]:
    """Write the import; returns, per updated pilot, the old and the new values of what it changed."""
    categories = {t.tag: t.category for t in portfolio.tags()}
    batcher = _Batcher(portfolio.catalog(), portfolio.rules(), categories, "imported")
    for chunk in _chunks((rows_of(r, portfolio.actor) for r in added), _BATCH):
        bulk.insert_batch(portfolio, batcher.batch(chunk))
    now = portfolio.timestamp()
    was: Values = {}
    became: Values = {}
    for update in updates:
        pilot_id = update.incoming.id
        was[pilot_id], became[pilot_id] = _update_pilot(portfolio, update, now)
    return was, became


def _update_pilot(portfolio: Portfolio, update: _Update, now: str) -> tuple[dict[str, Any], dict[str, Any]]:
    conn = portfolio.conn
    pilot_id, current = update.incoming.id, update.current.pilot
    was: dict[str, Any] = {k: getattr(current, k) for k in update.fields if k != "extra"}
    became: dict[str, Any] = {k: v for k, v in update.fields.items() if k != "extra"}
    if "extra" in update.fields:
        old_extra, new_extra = undo_steps.extra_change(current.extra, update.fields["extra"])
        was.update(old_extra)
        became.update(new_extra)
    if update.fields:
        values = {k: (json.dumps(v, ensure_ascii=False) if k == "extra" else v) for k, v in update.fields.items()}
        assignments = ", ".join(f"{k} = ?" for k in values)
        conn.execute(f"UPDATE pilot SET {assignments} WHERE id = ?", [*values.values(), pilot_id])
    if update.coverage:
        was["coverage"], became["coverage"] = {}, {}
    for cov in update.coverage:
        was["coverage"][cov.item] = undo_steps.coverage_values(writes.coverage_row(portfolio, pilot_id, cov.item))
        row = (cov.status.value, cov.evidence, cov.justification, now, cov.updated_by or portfolio.actor)
        conn.execute(undo_steps.SET_COVERAGE, (pilot_id, cov.item, *row))
        # The new row less its time and author: those are the event's own.
        became["coverage"][cov.item] = dict(zip(undo_steps.COVERAGE_COLUMNS[:3], row, strict=False))
    if update.blockers:
        was["blockers"] = []
        became["blockers"] = [
            _open_derived(portfolio, pilot_id, tag, note, now, update) for tag, note in update.blockers
        ]
    if update.entered is not None:
        first = update.current.stage_history[0]
        entered = rows.timestamp(update.entered)
        was["entered"] = {
            "stage_entered_at": rows.timestamp(current.stage_entered_at),
            "moved_at": rows.timestamp(first.moved_at),
        }
        became["entered"] = {"stage_entered_at": entered}
        conn.execute("UPDATE pilot SET stage_entered_at = ? WHERE id = ?", (entered, pilot_id))
        conn.execute(
            "UPDATE stage_move SET moved_at = ? WHERE pilot_id = ? AND from_stage IS NULL", (entered, pilot_id)
        )
    if update.move:
        target, override, failed = update.move
        at = _move_date(update, now)
        conn.execute(
            "UPDATE pilot SET stage = ?, stage_pos = ?, stage_entered_at = ? WHERE id = ?",
            (target.value, STAGE_POSITION[target.value], at, pilot_id),
        )
        move_id = writes.record_move(portfolio, pilot_id, current.stage, target, at, override=override, failed=failed)
        was.update(stage=current.stage.value, stage_entered_at=rows.timestamp(current.stage_entered_at))
        became.update(stage=target.value, stage_entered_at=at, move_id=move_id)
    writes.refresh(portfolio, pilot_id)
    return was, became


def _move_date(update: _Update, now: str) -> str:
    """When the pilot entered the stage the source moves it to: the source's own date for it (an inventory's
    operational date), else the date the source speaks for (`as_of`, an inventory's year), each only when it
    falls after every move recorded so far (the history stays in order) and before now; else now."""
    last = max((m.moved_at for m in update.current.stage_history), default=update.current.pilot.created_at)
    for day in (update.incoming.entered_at, update.incoming.as_of):
        if day is not None and day > last and rows.timestamp(day) < now:
            return rows.timestamp(day)
    return now


def _open_derived(portfolio: Portfolio, pilot_id: str, tag: str, note: str, now: str, update: _Update) -> int:
    cursor = portfolio.conn.execute(
        "INSERT INTO blocker (pilot_id, tag, note, opened_at, opened_by) VALUES (?, ?, ?, ?, ?)",
        (pilot_id, tag, note, now, update.incoming.derived_by or portfolio.actor),
    )
    return int(cursor.lastrowid or 0)
