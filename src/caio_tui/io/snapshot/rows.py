"""A snapshot's pilots as the store's flat insert rows (from a streamed pilot line or a parsed Snapshot), times
in the portfolio file's form, without the OMB as-given record (see imported_extra)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from caio_tui.io.omb import AS_GIVEN_KEY
from caio_tui.io.omb.records import ROW_KEY
from caio_tui.io.snapshot.checks import NEEDS_JUSTIFICATION, References, pilot_problems
from caio_tui.io.snapshot.schema import Snapshot
from caio_tui.io.snapshot.times import normal_time, stored_time
from caio_tui.store.insert_rows import FlatPilotRows, blocker_row, flat_rows
from caio_tui.store.transfer import CoverageRow, MoveRow, PilotRows, PilotValues


def checked_rows(p: Mapping[str, Any], refs: References, seen: dict[str, int], index: int) -> FlatPilotRows | list[str]:
    """A validated pilot (a dict from PILOT_LINE) as line_rows gives it when it passes every check of
    checks.pilot_problems (its id noted in seen, as there); else the problems pilot_problems finds."""
    pilot_id = p["id"]
    rows = None if pilot_id in seen else line_rows(p, refs)
    if rows is not None:
        seen[pilot_id] = index
        return rows
    return pilot_problems(p, refs, seen, index) or ["does not pass the snapshot's checks"]


def line_rows(p: Mapping[str, Any], refs: References) -> FlatPilotRows | None:
    """A validated pilot as the flat rows the bulk load binds, times in the portfolio file's form (the
    columns of store/insert_rows.py BULK_COLUMNS: the pilot's id first in every row); None when it fails
    a check of checks.pilot_problems but the repeated id (that one says which). The checks and the rows
    in one walk over the pilot's rows: about 0.2 s of CPU less per 100,000 pilots than two."""
    normal, pilot_id = normal_time, p["id"]
    created, entered = normal(p["created_at"]), normal(p["stage_entered_at"])
    if created is None or entered is None:
        return None
    items, covered = refs.items, set()
    coverage: list[Any] = []
    for c in p.get("coverage", ()):
        item, status, justification, at = c["item"], c["status"], c.get("justification", ""), normal(c["updated_at"])
        if at is None or item not in items or item in covered:
            return None
        if status in NEEDS_JUSTIFICATION and not justification.strip():
            return None
        covered.add(item)
        coverage += (pilot_id, item, status, c.get("evidence", ""), justification, at, c["updated_by"])
    blockers: list[Any] = []
    for b in p.get("blockers", ()):
        tag, opened, resolved = b["tag"], normal(b["opened_at"]), b.get("resolved_at")
        if tag not in refs.tags or opened is None:
            return None
        if resolved is not None and (resolved := normal(resolved)) is None:
            return None
        blockers += (
            pilot_id,
            tag,
            b.get("note", ""),
            opened,
            b["opened_by"],
            resolved,
            b.get("resolved_by", ""),
            b.get("resolution", ""),
        )
    moves: list[Any] = []
    for m in p.get("stage_history", ()):
        if (at := normal(m["moved_at"])) is None:
            return None
        failed = json.dumps(m["failed_rules"], ensure_ascii=False) if m.get("failed_rules") else "[]"
        moves += (pilot_id, m["from"], m["to"], at, m["actor"], m.get("override", ""), failed)
    extra = imported_extra(p.get("extra") or {})
    values = PilotValues(
        pilot_id,
        p["name"],
        p.get("office", ""),
        p.get("owner", ""),
        p["stage"],
        p.get("high_impact", False),
        p.get("description", ""),
        json.dumps(extra, ensure_ascii=False) if extra else "{}",
        created,
        entered,
    )
    return FlatPilotRows(values, coverage, blockers, moves)


def rows_of(snapshot: Snapshot) -> Iterator[FlatPilotRows]:
    """The snapshot's pilots as the flat rows the bulk load binds, times in the file's text form."""
    for p in snapshot.pilots:
        yield flat_rows(
            PilotRows(
                pilot=PilotValues(
                    p.id,
                    p.name,
                    p.office,
                    p.owner,
                    p.stage.value,
                    p.high_impact,
                    p.description,
                    json.dumps(imported_extra(p.extra), ensure_ascii=False),
                    stored_time(p.created_at),
                    stored_time(p.stage_entered_at),
                ),
                coverage=[
                    CoverageRow(
                        c.item, c.status.value, c.evidence, c.justification, stored_time(c.updated_at), c.updated_by
                    )
                    for c in p.coverage
                ],
                blockers=[blocker_row(b, stored_time) for b in p.blockers],
                moves=[
                    MoveRow(
                        m.from_stage.value if m.from_stage else None,
                        m.to.value,
                        stored_time(m.moved_at),
                        m.actor,
                        m.override,
                        json.dumps(m.failed_rules, ensure_ascii=False),
                    )
                    for m in p.stage_history
                ],
            )
        )


def imported_extra(extra: dict[str, Any]) -> dict[str, Any]:
    """A pilot's extra fields as a snapshot brings them in, without the record of which cells an OMB
    inventory gave as they are: a value that arrives in a snapshot is not one this portfolio imported from an
    inventory, so its OMB export neutralizes it if it starts like a formula (io/omb/formulas.py)."""
    if AS_GIVEN_KEY not in extra and ROW_KEY not in extra:
        return extra  # nearly every pilot: no copy
    kept = {k: v for k, v in extra.items() if k != AS_GIVEN_KEY}
    if isinstance(kept.get(ROW_KEY), dict):  # the inventory row stays (what was blank is still unknown), untrusted
        kept[ROW_KEY] = {**kept[ROW_KEY], "untrusted": True}
    return kept
