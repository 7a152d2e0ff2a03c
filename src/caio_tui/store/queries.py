"""Filters and sorts of the pilot table, as SQL. Every sort has the id as tiebreak so pages are stable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from caio_tui.domain.filters import PilotFilter
from caio_tui.domain.stages import STALLABLE, Stage


class SortKey(StrEnum):
    ID = "id"
    NAME = "name"
    OFFICE = "office"
    STAGE = "stage"
    READINESS = "readiness"
    TERRITORY = "territory"
    BLOCKERS = "blockers"
    DAYS = "days"


# Column per sort key; days in stage sorts on when the stage was entered (earlier = more days).
_ORDER: dict[SortKey, tuple[str, bool]] = {
    SortKey.ID: ("id", False),
    SortKey.NAME: ("name", False),
    SortKey.OFFICE: ("office", False),
    SortKey.STAGE: ("stage_pos", False),
    SortKey.READINESS: ("readiness", False),
    SortKey.TERRITORY: ("territory", False),
    SortKey.BLOCKERS: ("open_blockers", False),
    SortKey.DAYS: ("stage_entered_at", True),
}


def order_by(sort: SortKey, descending: bool) -> str:
    column, inverted = _ORDER[sort]
    direction = "DESC" if descending != inverted else "ASC"
    if column == "id":
        return f"id {direction}"
    return f"{column} {direction}, id {direction}"


def fts_query(words: tuple[str, ...]) -> str:
    """Every word as a quoted prefix term: user text never becomes FTS5 syntax."""
    return " ".join('"' + w.replace('"', '""') + '"*' for w in words)


def stalled_since(now: datetime, threshold_days: int) -> str:
    """The latest stage entry of a stalled pilot. Stalled means more than threshold whole days in stage
    (domain.stages.is_stalled), so the entry is at least threshold + 1 days ago; in the file's time form."""
    return (now - timedelta(days=threshold_days + 1)).astimezone(UTC).isoformat(timespec="seconds")


def where(f: PilotFilter, now: datetime, stalled_days: int) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if f.text:
        clauses.append("rowid IN (SELECT rowid FROM pilot_fts WHERE pilot_fts MATCH ?)")
        params.append(fts_query(f.text))
    if f.stages:
        clauses.append(f"stage IN ({', '.join('?' * len(f.stages))})")
        params += [s.value for s in f.stages]
    for tag in f.blockers:
        clauses.append("id IN (SELECT pilot_id FROM blocker WHERE tag = ? AND resolved_at IS NULL)")
        params.append(tag)
    if f.territories:
        clauses.append(f"territory IN ({', '.join('?' * len(f.territories))})")
        params += [t.value for t in f.territories]
    for office in f.offices:
        clauses.append("office LIKE ? ESCAPE '\\'")
        escaped = office.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params.append(f"%{escaped}%")
    if f.stalled:
        stallable = sorted(s.value for s in STALLABLE)
        clauses.append(f"stage IN ({', '.join('?' * len(stallable))}) AND stage_entered_at <= ?")
        params += [*stallable, stalled_since(now, stalled_days)]
    if f.high_impact:
        clauses.append("high_impact = 1")
    if f.approval_stale:
        clauses.append("approval_stale = 1")
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


STAGE_POSITION: dict[str, int] = {s.value: s.position for s in Stage}
