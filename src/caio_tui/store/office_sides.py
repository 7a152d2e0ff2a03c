"""Pilots as an office merge compares them: some pilots' rows read a few hundred at a time (inside the
caller's transaction, so a merge sees its own writes), each as the `PilotSide` of domain/office_merge.py,
and the base a send recorded for them (office_base: the side as JSON) read and written."""

from __future__ import annotations

import json
import pickle
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from caio_tui.domain.office_merge import PilotSide, side_json, side_of_json
from caio_tui.store.derived_upkeep import DERIVED, Judged, open_blocker
from caio_tui.store.insert_rows import BlockerRow, CoverageRow, MoveRow, PilotRows, PilotValues
from caio_tui.store.seal import digests_and_rows

CHUNK = 500  # ids per IN (...) list: well under SQLite's variable limit

_PILOT = (
    "SELECT id, name, office, owner, stage, high_impact, description, extra, created_at, stage_entered_at FROM pilot"
)
_COVERAGE = "SELECT pilot_id, item_id, status, evidence, justification, updated_at, updated_by FROM coverage"
_BLOCKER = "SELECT pilot_id, tag, note, opened_at, opened_by, resolved_at, resolved_by, resolution FROM blocker"
_MOVE = "SELECT pilot_id, from_stage, to_stage, moved_at, actor, override, failed_rules FROM stage_move"


def chunked(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def pilot_rows(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, PilotRows]:
    """The rows of these pilots (those that exist), coverage by item, blockers and moves as recorded."""
    found: dict[str, PilotRows] = {}
    for chunk in chunked(ids):
        marks = ", ".join("?" * len(chunk))
        cursor = conn.cursor()
        cursor.row_factory = None
        for r in cursor.execute(f"{_PILOT} WHERE id IN ({marks})", chunk):
            values = PilotValues(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], r[7], r[8], r[9])
            found[r[0]] = PilotRows(values, [], [], [])
        for r in cursor.execute(f"{_COVERAGE} WHERE pilot_id IN ({marks}) ORDER BY pilot_id, item_id", chunk):
            found[r[0]].coverage.append(CoverageRow(*r[1:]))
        for r in cursor.execute(f"{_BLOCKER} WHERE pilot_id IN ({marks}) ORDER BY pilot_id, id", chunk):
            found[r[0]].blockers.append(BlockerRow(*r[1:]))
        for r in cursor.execute(f"{_MOVE} WHERE pilot_id IN ({marks}) ORDER BY pilot_id, id", chunk):
            found[r[0]].moves.append(MoveRow(*r[1:]))
    return found


@dataclass(frozen=True)
class CaioPilot:
    """One of the CAIO's pilots as a merge reads it: the side it compares, and what its derived columns are
    judged from (which the merge's changes then update: derived_upkeep.refreshed)."""

    side: PilotSide
    judged: Judged


_CAIO_PILOT = ("id", "name", "office", "owner", "high_impact", "description", "stage", "approval_stale", *DERIVED)


@dataclass
class MergeRead:
    """What a merge's batch reads: the CAIO's pilots, the send's bases, and the seal's digests of the
    groups read whole (a pilot's own row, its office bases), for the check before writing them
    (SealKeeper.check_groups' `now`) without reading them again."""

    caio: dict[str, CaioPilot]
    bases: dict[str, PilotSide]
    digests: dict[str, dict[str, bytes]]  # table -> group -> digest (absent: no row)


def merge_read(conn: sqlite3.Connection, send_id: str, ids: Sequence[str], categories: Mapping[str, str]) -> MergeRead:
    """These pilots as a merge needs them (`caio_pilots`) and their bases for the send."""
    pilots, digests = caio_pilots(conn, ids, categories)
    found: dict[str, PilotSide] = {}
    base_digests, rows = digests_and_rows(conn, "office_base", list(ids), ("pilot_id", "send_id", "state"))
    for pilot_id, send, state in rows:  # a pilot's bases of every send are one group
        if send == send_id:
            found[str(pilot_id)] = side_of_json(json.loads(state))
    return MergeRead(pilots, found, {"pilot": digests, "office_base": base_digests})


def caio_pilots(
    conn: sqlite3.Connection, ids: Sequence[str], categories: Mapping[str, str]
) -> tuple[dict[str, CaioPilot], dict[str, bytes]]:
    """These pilots (those that exist) as a merge needs them, in three statements per few hundred: their
    own row (read with its seal digest, returned too), coverage and open blockers (not their moves, nor
    resolved blockers). `categories`: each blocker tag's category."""
    found: dict[str, CaioPilot] = {}
    digests: dict[str, bytes] = {}
    for chunk in chunked(ids):
        marks = ", ".join("?" * len(chunk))
        sealed, read = digests_and_rows(conn, "pilot", list(chunk), _CAIO_PILOT)
        digests.update(sealed)
        rows = {r[0]: r for r in read}
        coverage: dict[str, dict[str, tuple[str, str, str]]] = {i: {} for i in rows}
        judged = {i: Judged(dict(zip(_CAIO_PILOT, r, strict=True)), {}, []) for i, r in rows.items()}
        cursor = conn.cursor()
        cursor.row_factory = None
        sql = f"SELECT pilot_id, item_id, status, evidence, justification FROM coverage WHERE pilot_id IN ({marks})"
        for pilot_id, item, status, evidence, justification in cursor.execute(sql, chunk):
            coverage[pilot_id][item] = (status, evidence, justification)
            judged[pilot_id].statuses[item] = status
        notes: dict[str, dict[str, str]] = {i: {} for i in rows}
        sql = (
            "SELECT pilot_id, tag, note, opened_at FROM blocker "
            f"WHERE pilot_id IN ({marks}) AND resolved_at IS NULL ORDER BY pilot_id, id"
        )
        for pilot_id, tag, note, opened_at in cursor.execute(sql, chunk):
            notes[pilot_id][tag] = note
            if tag in categories:  # as derived_upkeep's join with blocker_tag (a foreign key: always, unless typed in)
                judged[pilot_id].blockers.append(open_blocker(tag, categories[tag], opened_at))
        for i, r in rows.items():
            fields = {"name": r[1], "office": r[2], "owner": r[3], "high_impact": bool(r[4]), "description": r[5]}
            found[i] = CaioPilot(PilotSide(fields, coverage[i], notes[i], r[6]), judged[i])
    return found, digests


def side_of(whole: PilotRows) -> PilotSide:
    """What a merge compares of one pilot: its own fields, coverage triples, open blockers' notes, stage."""
    p = whole.pilot
    return PilotSide(
        fields={
            "name": p.name,
            "office": p.office,
            "owner": p.owner,
            "high_impact": bool(p.high_impact),
            "description": p.description,
        },
        coverage={c.item_id: (c.status, c.evidence, c.justification) for c in whole.coverage},
        open_blockers={b.tag: b.note for b in whole.blockers if b.resolved_at is None},
        stage=p.stage,
    )


_ENCODE = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def side_text(side: PilotSide) -> str:
    return _ENCODE(side_json(side))


def bases(conn: sqlite3.Connection, send_id: str, ids: Sequence[str]) -> dict[str, PilotSide]:
    """The base each of these pilots holds for the send (pilots the send did not carry are absent)."""
    found: dict[str, PilotSide] = {}
    for chunk in chunked(ids):
        marks = ", ".join("?" * len(chunk))
        sql = f"SELECT pilot_id, state FROM office_base WHERE send_id = ? AND pilot_id IN ({marks})"
        for pilot_id, state in conn.execute(sql, [send_id, *chunk]):
            found[str(pilot_id)] = side_of_json(json.loads(state))
    return found


def put_bases(conn: sqlite3.Connection, send_id: str, sides: Mapping[str, PilotSide]) -> None:
    """Record (or replace) the base of these pilots for the send."""
    put_base_texts(conn, send_id, {pilot_id: side_text(side) for pilot_id, side in sides.items()})


def put_base_texts(conn: sqlite3.Connection, send_id: str, texts: Mapping[str, str]) -> None:
    """Record (or replace) the base of these pilots for the send, as side_text gave it: a base already held
    is updated in its row (its rowid and its index entry stay; REPLACE would delete the row and add it
    again at the table's end)."""
    conn.executemany(
        "INSERT INTO office_base (send_id, pilot_id, state) VALUES (?, ?, ?) "
        "ON CONFLICT (pilot_id, send_id) DO UPDATE SET state = excluded.state",
        [(send_id, pilot_id, text) for pilot_id, text in texts.items()],
    )


class Carried(NamedTuple):
    """A pilot an office's bundle carries, as a merge takes it: its side, the text its base becomes, and its
    rows, kept pickled until the merge needs them (a pilot the office created, the words of a stage
    request). Made where the bundle is verified (`carried`): for large bundles in the verifier's process,
    so the merging process, which sets the pace, neither builds the side nor encodes the base, nor
    unpickles rows it never reads."""

    pilot_id: str
    side: PilotSide
    text: str
    packed: bytes

    def rows(self) -> PilotRows:
        found: PilotRows = pickle.loads(self.packed)
        return found


def carried(whole: PilotRows) -> Carried:
    side = side_of(whole)
    return Carried(whole.pilot.id, side, side_text(side), pickle.dumps(whole, protocol=pickle.HIGHEST_PROTOCOL))
