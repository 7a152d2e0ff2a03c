"""A pilot as the portfolio table lists it: its identity and the derived columns the store keeps current.

A plain dataclass, not a pydantic model: the table's pages are built from rows the store wrote and
validated already, and the first screen shows them before pydantic is imported (pydantic and the models
cost about 110 ms of start-up).
The whole pilot (`domain.pilots.Pilot`) is read for the pilot a user opens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from caio_tui.domain.stages import Stage
from caio_tui.domain.territory import Territory


@dataclass(frozen=True, slots=True)
class PilotRow:
    id: str
    name: str
    office: str
    stage: Stage
    high_impact: bool
    stage_entered_at: datetime
    readiness: float
    territory: Territory
    open_blockers: int
    top_blocker: str
    approval_stale: bool
    below_gate: bool

    def days_in_stage(self, now: datetime) -> int:
        return days_since(self.stage_entered_at, now)


def days_since(moment: datetime, now: datetime) -> int:
    """Whole days from `moment` to `now`; never negative (a clock set back shows 0, not -3)."""
    return max(0, (now - moment).days)
