"""Pipeline stages, in order, and their OMB 2025 inventory equivalents."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    INTAKE = "intake"
    POC = "poc"
    PILOT = "pilot"
    READINESS = "readiness"
    PRODUCTION = "production"
    SCALED = "scaled"
    RETIRED = "retired"

    @property
    def label(self) -> str:
        return STAGE_LABELS[self]

    @property
    def position(self) -> int:
        return PIPELINE.index(self) if self in PIPELINE else len(PIPELINE)

    @property
    def omb_2025(self) -> str:
        return OMB_2025_STAGE[self]

    def next(self) -> Stage | None:
        """The stage a promotion leads to, or None at the end of the pipeline (and for retired)."""
        if self is Stage.RETIRED or self is PIPELINE[-1]:
            return None
        return PIPELINE[PIPELINE.index(self) + 1]

    def previous(self) -> Stage | None:
        if self is Stage.RETIRED or self is PIPELINE[0]:
            return None
        return PIPELINE[PIPELINE.index(self) - 1]


# Retired is reachable from any stage, so it is not part of the forward pipeline.
PIPELINE: tuple[Stage, ...] = (
    Stage.INTAKE,
    Stage.POC,
    Stage.PILOT,
    Stage.READINESS,
    Stage.PRODUCTION,
    Stage.SCALED,
)

STAGE_LABELS: dict[Stage, str] = {
    Stage.INTAKE: "Intake",
    Stage.POC: "Proof of concept",
    Stage.PILOT: "Pilot",
    Stage.READINESS: "Production readiness",
    Stage.PRODUCTION: "Production",
    Stage.SCALED: "Scaled",
    Stage.RETIRED: "Retired",
}

OMB_2025_STAGE: dict[Stage, str] = {
    Stage.INTAKE: "Pre-deployment",
    Stage.POC: "Pre-deployment",
    Stage.PILOT: "Pilot",
    Stage.READINESS: "Pilot",
    Stage.PRODUCTION: "Deployed",
    Stage.SCALED: "Deployed",
    Stage.RETIRED: "Retired",
}

# Stages in which a long stay makes a pilot an "extended evaluation".
STALLABLE: frozenset[Stage] = frozenset({Stage.PILOT, Stage.READINESS})
DEFAULT_STALLED_DAYS = 180


def is_stalled(stage: Stage, days_in_stage: int, threshold: int = DEFAULT_STALLED_DAYS) -> bool:
    return stage in STALLABLE and days_in_stage > threshold


def parse_stage(text: str) -> Stage:
    """A stage from its id or its label, case-insensitively; ValueError names the valid ids."""
    wanted = text.strip().lower()
    for stage in Stage:
        if wanted in (stage.value, stage.label.lower()):
            return stage
    raise ValueError(f"unknown stage {text!r}; expected one of {', '.join(s.value for s in Stage)}")
