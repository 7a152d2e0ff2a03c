"""Readiness: how much of the applicable requirements a pilot covers, overall and per area."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict

from caio_tui.domain.coverage import Catalog, Coverage, CoverageStatus


class AreaScore(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True)
    area: str
    score: float  # 0..1 over the items that count; 0 when none count
    counted: int  # items in the denominator (waived and not_applicable are left out)
    total: int
    not_assessed: int


class Readiness(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True)
    score: float
    counted: int
    not_assessed: int
    areas: tuple[AreaScore, ...]

    @property
    def percent(self) -> int:
        return round(self.score * 100)

    def area(self, area_id: str) -> AreaScore | None:
        return next((a for a in self.areas if a.area == area_id), None)


def _status(coverage: Mapping[str, Coverage | CoverageStatus], item_id: str) -> CoverageStatus:
    value = coverage.get(item_id)
    if value is None:
        return CoverageStatus.NOT_ASSESSED
    return value if isinstance(value, CoverageStatus) else value.status


def readiness(catalog: Catalog, coverage: Mapping[str, Coverage | CoverageStatus], high_impact: bool) -> Readiness:
    """met = 1, partial = 0.5, gap and not_assessed = 0; waived and not_applicable leave the denominator."""
    areas: list[AreaScore] = []
    credit_sum = 0.0
    counted_sum = 0
    not_assessed_sum = 0
    for area in catalog.areas(high_impact):
        statuses = [_status(coverage, item.id) for item in area.items]
        counted = [s for s in statuses if s.counts_in_readiness]
        credit = sum(s.credit for s in counted)
        not_assessed = statuses.count(CoverageStatus.NOT_ASSESSED)
        areas.append(
            AreaScore(
                area=area.id,
                score=credit / len(counted) if counted else 0.0,
                counted=len(counted),
                total=len(statuses),
                not_assessed=not_assessed,
            )
        )
        credit_sum += credit
        counted_sum += len(counted)
        not_assessed_sum += not_assessed
    score = credit_sum / counted_sum if counted_sum else 0.0
    return Readiness(score=score, counted=counted_sum, not_assessed=not_assessed_sum, areas=tuple(areas))
