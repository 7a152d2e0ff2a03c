"""Gate overrides: every stage move made although its gate refused, with who, when and the written
justification, newest first (for the dashboard and the briefing: an override is a decision an inspector
general will ask about, so it is counted and listed, not only kept in a pilot's history)."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from caio_tui.store.portfolio import Portfolio


class GateOverride(NamedTuple):
    pilot_id: str
    name: str
    from_stage: str | None
    to_stage: str  # the gate overridden is the one into this stage
    actor: str
    moved_at: str  # as stored: ISO 8601, UTC
    justification: str


_COUNT = "SELECT count(*) AS n FROM stage_move WHERE override != ''"
_LIST = (
    "SELECT m.pilot_id, p.name, m.from_stage, m.to_stage, m.actor, m.moved_at, m.override FROM stage_move m "
    "JOIN pilot p ON p.id = m.pilot_id WHERE m.override != '' ORDER BY m.moved_at DESC, m.id DESC LIMIT ?"
)


def gate_overrides(portfolio: Portfolio, limit: int) -> tuple[int, list[GateOverride]]:
    """How many moves overrode their gate, and the newest `limit` of them."""
    count = portfolio.session.one(_COUNT)
    rows = portfolio.session.read(_LIST, (limit,)) if limit else []
    return int(count["n"] if count else 0), [GateOverride(*tuple(r)) for r in rows]


__all__ = ["GateOverride", "gate_overrides"]
