"""A pilot: one AI use case of the portfolio, with what the tool derives from it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from caio_tui.domain.blockers import Blocker
from caio_tui.domain.coverage import Coverage
from caio_tui.domain.pilot_row import days_since
from caio_tui.domain.stages import Stage
from caio_tui.domain.territory import Territory

# Fields a user edits; everything else is derived or recorded by the store.
EDITABLE_FIELDS: tuple[str, ...] = ("name", "office", "owner", "high_impact", "description")


class PilotFields(BaseModel):
    """What a user types when creating or editing a pilot."""

    model_config = ConfigDict(defer_build=True, frozen=True, str_strip_whitespace=True)
    name: str = Field(max_length=10_000)  # blank names are refused with a message of our own below
    office: str = Field(default="", max_length=10_000)
    owner: str = Field(default="", max_length=10_000)
    high_impact: bool = False
    description: str = Field(default="", max_length=100_000)

    @field_validator("name")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a pilot needs a name")
        return value


class Pilot(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True)
    id: str
    name: str
    office: str = ""
    owner: str = ""
    stage: Stage = Stage.INTAKE
    high_impact: bool = False
    description: str = ""
    extra: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime
    stage_entered_at: datetime
    # Derived, kept current by the store so the table can sort and filter on them.
    readiness: float = 0.0
    territory: Territory = Territory.CLEAR
    open_blockers: int = 0
    top_blocker: str = ""
    approval_stale: bool = False
    below_gate: bool = False  # stands at a stage whose gates it would fail today

    def days_in_stage(self, now: datetime) -> int:
        return days_since(self.stage_entered_at, now)


class StageMove(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True)
    pilot_id: str
    from_stage: Stage | None
    to_stage: Stage
    moved_at: datetime
    actor: str
    override: str = ""  # the written justification when the gate was overridden
    failed_rules: tuple[str, ...] = ()
    gate: str = ""  # the gate result: "passed", "overridden", or "" when the move crossed no gate


class PilotRecord(BaseModel):
    """A pilot with everything attached to it: what `show` prints and gates evaluate."""

    model_config = ConfigDict(defer_build=True, frozen=True)
    pilot: Pilot
    coverage: dict[str, Coverage] = Field(default_factory=dict)
    blockers: tuple[Blocker, ...] = ()
    stage_history: tuple[StageMove, ...] = ()

    @property
    def open_blockers(self) -> list[Blocker]:
        return [b for b in self.blockers if b.is_open]
