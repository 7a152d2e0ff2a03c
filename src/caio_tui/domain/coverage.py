"""Coverage statuses and the requirement frameworks that items belong to."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class CoverageStatus(StrEnum):
    NOT_ASSESSED = "not_assessed"
    GAP = "gap"
    PARTIAL = "partial"
    MET = "met"
    WAIVED = "waived"
    NOT_APPLICABLE = "not_applicable"

    @property
    def needs_justification(self) -> bool:
        return self in (CoverageStatus.WAIVED, CoverageStatus.NOT_APPLICABLE)

    @property
    def counts_in_readiness(self) -> bool:
        """Waived and not-applicable items leave the readiness denominator."""
        return not self.needs_justification

    @property
    def credit(self) -> float:
        return {CoverageStatus.MET: 1.0, CoverageStatus.PARTIAL: 0.5}.get(self, 0.0)

    @property
    def glyph(self) -> str:
        return STATUS_GLYPHS[self]


STATUS_GLYPHS: dict[CoverageStatus, str] = {
    CoverageStatus.NOT_ASSESSED: "?",
    CoverageStatus.GAP: "✗",
    CoverageStatus.PARTIAL: "◐",
    CoverageStatus.MET: "✓",
    CoverageStatus.WAIVED: "W",
    CoverageStatus.NOT_APPLICABLE: "–",
}


def parse_status(text: str) -> CoverageStatus:
    wanted = text.strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return CoverageStatus(wanted)
    except ValueError:
        valid = ", ".join(s.value for s in CoverageStatus)
        raise ValueError(f"unknown coverage status {text!r}; expected one of {valid}") from None


class Item(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True)
    id: str
    text: str
    omb_column: str | None = None


class Area(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True)
    id: str
    name: str
    items: tuple[Item, ...]


class Framework(BaseModel):
    """A requirement framework: areas of items. Data, not code: a user can add one."""

    model_config = ConfigDict(defer_build=True, frozen=True)
    id: str
    name: str
    applies_to: Literal["all", "high_impact"] = "all"
    # "Met" is a claim an inspector general will ask about: by default it needs evidence (a note or a
    # reference). A framework may say false; a framework stored before this key existed requires it.
    met_needs_evidence: bool = True
    areas: tuple[Area, ...]

    def applies(self, high_impact: bool) -> bool:
        return self.applies_to == "all" or high_impact

    @model_validator(mode="after")
    def _unique_item_ids(self) -> Framework:
        ids = [item.id for area in self.areas for item in area.items]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"framework {self.id}: item ids repeat: {', '.join(dupes)}")
        return self


def missing_evidence(framework: Framework, item_id: str, status: CoverageStatus, evidence: str) -> str | None:
    """Why a status cannot be recorded without evidence, in one line; None when it can."""
    if status is CoverageStatus.MET and framework.met_needs_evidence and not evidence.strip():
        return (
            f"{item_id}: met needs evidence (a note or a reference): the {framework.name} framework "
            "asks what shows it is met"
        )
    return None


class Coverage(BaseModel):
    """One item's status on one pilot, with who set it and why."""

    model_config = ConfigDict(defer_build=True, frozen=True)
    item: str
    status: CoverageStatus = CoverageStatus.NOT_ASSESSED
    evidence: str = ""
    justification: str = ""
    updated_at: datetime | None = None
    updated_by: str = ""

    @model_validator(mode="after")
    def _justified(self) -> Coverage:
        if self.status.needs_justification and not self.justification.strip():
            raise ValueError(f"{self.item}: status {self.status.value} needs a justification")
        return self


class Catalog(BaseModel):
    """Every framework of a portfolio, with look-ups by item and area."""

    model_config = ConfigDict(defer_build=True, frozen=True)
    frameworks: tuple[Framework, ...] = Field(default_factory=tuple)

    def areas(self, high_impact: bool = True) -> list[Area]:
        return [a for f in self.frameworks if f.applies(high_impact) for a in f.areas]

    def items(self, high_impact: bool = True) -> list[Item]:
        return [i for a in self.areas(high_impact) for i in a.items]

    def area_of(self, item_id: str) -> Area:
        for area in self.areas():
            if any(i.id == item_id for i in area.items):
                return area
        raise KeyError(item_id)

    def framework_of(self, item_id: str) -> Framework:
        for framework in self.frameworks:
            if any(i.id == item_id for a in framework.areas for i in a.items):
                return framework
        raise KeyError(item_id)

    def area(self, area_id: str) -> Area:
        for area in self.areas():
            if area.id == area_id:
                return area
        raise KeyError(area_id)

    def has_item(self, item_id: str) -> bool:
        return any(i.id == item_id for i in self.items())

    def has_area(self, area_id: str) -> bool:
        return any(a.id == area_id for a in self.areas())
