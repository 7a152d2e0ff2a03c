"""Turning rows into domain models and back. The table's rows (PilotRow) need no pydantic; the models
are imported at their first use (see lazy.py)."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from caio_tui.domain.pilot_row import PilotRow
from caio_tui.domain.stages import Stage
from caio_tui.domain.territory import BlockerCategory, Territory
from caio_tui.store.lazy import LazyModule

if TYPE_CHECKING:
    from caio_tui.domain.blockers import Blocker, BlockerTag
    from caio_tui.domain.coverage import Coverage
    from caio_tui.domain.history import AuditEvent
    from caio_tui.domain.pilots import Pilot, StageMove
    from caio_tui.store import models
else:
    models = LazyModule("caio_tui.store.models")

# What the table shows of a pilot: every column but the long text fields (description, extra).
ROW_COLUMNS = (
    "id, name, office, stage, high_impact, stage_entered_at, readiness, territory, open_blockers, top_blocker, "
    "approval_stale, below_gate"
)
PILOT_COLUMNS = (
    "id, name, office, owner, stage, high_impact, description, extra, created_at, stage_entered_at, "
    "readiness, territory, open_blockers, top_blocker, approval_stale, below_gate"
)


def timestamp(moment: datetime) -> str:
    """The one text form of a time in the file: UTC, to the second, so text order is time order."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def pilot_row(row: sqlite3.Row) -> PilotRow:
    return PilotRow(
        id=row["id"],
        name=row["name"],
        office=row["office"],
        stage=Stage(row["stage"]),
        high_impact=bool(row["high_impact"]),
        stage_entered_at=parse_time(row["stage_entered_at"]),
        readiness=row["readiness"],
        territory=Territory(row["territory"]),
        open_blockers=row["open_blockers"],
        top_blocker=row["top_blocker"],
        approval_stale=bool(row["approval_stale"]),
        below_gate=row["below_gate"] == 1,  # -1: not judged yet (a file upgraded, read before its first write)
    )


def pilot(row: sqlite3.Row) -> Pilot:
    """The whole pilot: the table's columns (as pilot_row reads them) and the long fields."""
    listed = pilot_row(row)
    return models.Pilot(
        **{name: getattr(listed, name) for name in PilotRow.__slots__},
        owner=row["owner"],
        description=row["description"],
        extra=json.loads(row["extra"]),
        created_at=parse_time(row["created_at"]),
    )


def coverage(row: sqlite3.Row) -> Coverage:
    return models.Coverage.model_construct(
        item=row["item_id"],
        status=models.CoverageStatus(row["status"]),
        evidence=row["evidence"],
        justification=row["justification"],
        updated_at=parse_time(row["updated_at"]),
        updated_by=row["updated_by"],
    )


def blocker(row: sqlite3.Row) -> Blocker:
    return models.Blocker(
        id=row["id"],
        pilot_id=row["pilot_id"],
        tag=row["tag"],
        category=BlockerCategory(row["category"]),
        note=row["note"],
        opened_at=parse_time(row["opened_at"]),
        opened_by=row["opened_by"],
        resolved_at=parse_time(row["resolved_at"]) if row["resolved_at"] else None,
        resolved_by=row["resolved_by"],
        resolution=row["resolution"],
    )


def stage_move(row: sqlite3.Row) -> StageMove:
    return models.StageMove(
        pilot_id=row["pilot_id"],
        from_stage=Stage(row["from_stage"]) if row["from_stage"] else None,
        to_stage=Stage(row["to_stage"]),
        moved_at=parse_time(row["moved_at"]),
        actor=row["actor"],
        override=row["override"],
        failed_rules=tuple(json.loads(row["failed_rules"])),
        gate=_gate_result(row["decided_state"] if "decided_state" in row.keys() else None),  # noqa: SIM118 (a Row's `in` looks at values)
    )


def _gate_result(decided_state: str | None) -> str:
    if not decided_state:
        return ""
    return "passed" if json.loads(decided_state).get("passed") else "overridden"


def tag(row: sqlite3.Row) -> BlockerTag:
    return models.BlockerTag(
        tag=row["tag"],
        category=BlockerCategory(row["category"]),
        areas=tuple(json.loads(row["areas"])),
        description=row["description"],
        builtin=bool(row["builtin"]),
    )


def as_dict(row: sqlite3.Row | None) -> dict[str, Any] | None:
    return None if row is None else dict(row)


def audit_event(row: sqlite3.Row) -> AuditEvent:
    return models.AuditEvent(
        id=row["id"],
        at=parse_time(row["at"]),
        actor=row["actor"],
        action=row["action"],
        pilot_id=row["pilot_id"],
        before=json.loads(row["before"]) if row["before"] else None,
        after=json.loads(row["after"]) if row["after"] else None,
        source=row["source"],
        undoes=row["undoes"],
        hash=row["hash"],
    )
