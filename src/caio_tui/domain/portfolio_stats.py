"""The portfolio dashboard's numbers and the blocker table, as plain models.

The store computes them with GROUP BY queries (store/analytics.py); `stats_from_records` computes the same
numbers from whole records, for small portfolios and as the reference the store is checked against.

Retired pilots are switched off: they count in the funnel, but not in the production share, the
territory split or any blocker figure (their open blockers hold nothing back).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from caio_tui.domain.blockers import BlockerTag
from caio_tui.domain.coverage import Catalog
from caio_tui.domain.gates import GateRules
from caio_tui.domain.leverage import TagLeverage, tag_leverage
from caio_tui.domain.pilots import PilotRecord
from caio_tui.domain.stages import PIPELINE, Stage, is_stalled
from caio_tui.domain.territory import BlockerCategory, Territory

BENCHMARK = 1 / 3
"""Public reviews of the AI inventories found fewer than a third of reported initiatives in production."""

FUNNEL: tuple[Stage, ...] = (*PIPELINE, Stage.RETIRED)
OLDEST = 5
TOP_BLOCKERS = 5


class ProductionShare(BaseModel):
    """Pilots in production or scaled, out of the pilots not retired, against the one-third benchmark."""

    model_config = ConfigDict(frozen=True)
    in_production: int
    active: int

    @property
    def share(self) -> float:
        return self.in_production / self.active if self.active else 0.0

    @property
    def percent(self) -> int:
        return round(self.share * 100)

    @property
    def meets_benchmark(self) -> bool:
        return self.active > 0 and self.in_production * 3 >= self.active

    @property
    def short_of_benchmark(self) -> int:
        """How many more pilots in production would reach one third (0 when it is reached)."""
        return max(0, math.ceil(self.active * BENCHMARK - 1e-9) - self.in_production)


class StalledPilot(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    name: str
    stage: Stage
    days: int


class TagSummary(BaseModel):
    """One blocker tag across the portfolio: what the Blockers view and `caio-tui blockers` show."""

    model_config = ConfigDict(frozen=True)
    tag: str
    category: BlockerCategory
    areas: tuple[str, ...]
    description: str
    open: int  # open blockers of this tag on pilots not retired
    oldest_open_days: int | None  # age of the oldest of them; None when none is open
    leverage: int  # pilots that would pass their next gate with this tag resolved and its areas covered
    unlocks: tuple[str, ...]


class PortfolioStats(BaseModel):
    model_config = ConfigDict(frozen=True)
    total: int
    stages: dict[Stage, int]  # every stage of FUNNEL, in order
    production: ProductionShare
    territories: dict[Territory, int]  # pilots not retired
    stalled: int
    oldest_stalled: tuple[StalledPilot, ...]  # the longest in their stage first
    open_blockers: int
    blockers_by_category: dict[BlockerCategory, int]
    blockers_by_territory: dict[Territory, int]  # open blockers, by the territory of the pilot carrying them
    top_blockers: tuple[TagSummary, ...]  # highest leverage first, only tags that unlock a pilot
    stale_approvals: int
    below_gate: int = 0  # pilots standing at a stage whose gates they would fail today

    @property
    def widest_stage(self) -> int:
        return max(self.stages.values(), default=0)


def production_share(stages: Mapping[Stage, int]) -> ProductionShare:
    active = sum(n for s, n in stages.items() if s is not Stage.RETIRED)
    return ProductionShare(in_production=stages.get(Stage.PRODUCTION, 0) + stages.get(Stage.SCALED, 0), active=active)


def funnel(stages: Mapping[Stage, int]) -> dict[Stage, int]:
    return {s: stages.get(s, 0) for s in FUNNEL}


def tag_summaries(
    tags: Sequence[BlockerTag],
    open_counts: Mapping[str, int],
    oldest_days: Mapping[str, int],
    leverage: Iterable[TagLeverage],
) -> list[TagSummary]:
    """Every tag, highest leverage first, then most open, then by name."""
    by_tag = {t.tag: t for t in leverage}
    found = [
        TagSummary(
            tag=t.tag,
            category=t.category,
            areas=t.areas,
            description=t.description,
            open=open_counts.get(t.tag, 0),
            oldest_open_days=oldest_days.get(t.tag),
            leverage=by_tag[t.tag].leverage if t.tag in by_tag else 0,
            unlocks=by_tag[t.tag].unlocks if t.tag in by_tag else (),
        )
        for t in tags
    ]
    return sorted(found, key=lambda s: (-s.leverage, -s.open, s.tag))


def top_blockers(summaries: Iterable[TagSummary], limit: int = TOP_BLOCKERS) -> tuple[TagSummary, ...]:
    return tuple(s for s in sorted(summaries, key=lambda s: (-s.leverage, -s.open, s.tag)) if s.leverage)[:limit]


def oldest_stalled(stalled: Iterable[StalledPilot], limit: int = OLDEST) -> tuple[StalledPilot, ...]:
    return tuple(sorted(stalled, key=lambda s: (-s.days, s.id))[:limit])


def stats_from_records(
    records: Sequence[PilotRecord],
    *,
    now: datetime,
    stalled_days: int,
    tags: Sequence[BlockerTag],
    rules: GateRules,
    catalog: Catalog,
) -> tuple[PortfolioStats, list[TagSummary]]:
    """The dashboard and the blocker table from whole records (every pilot of the portfolio)."""
    stages = {s: 0 for s in FUNNEL}
    territories = {t: 0 for t in Territory}
    by_category = {c: 0 for c in BlockerCategory}
    by_territory = {t: 0 for t in Territory}
    open_counts: dict[str, int] = {}
    oldest: dict[str, int] = {}
    stalled: list[StalledPilot] = []
    stale = below = 0
    for r in records:
        p = r.pilot
        stages[p.stage] += 1
        if p.stage is Stage.RETIRED:
            continue
        territories[p.territory] += 1
        stale += p.approval_stale
        below += p.below_gate
        days = p.days_in_stage(now)
        if is_stalled(p.stage, days, stalled_days):
            stalled.append(StalledPilot(id=p.id, name=p.name, stage=p.stage, days=days))
        for b in r.open_blockers:
            by_category[b.category] += 1
            by_territory[p.territory] += 1
            open_counts[b.tag] = open_counts.get(b.tag, 0) + 1
            age = max(0, (now - b.opened_at).days)
            oldest[b.tag] = max(oldest.get(b.tag, 0), age)
    active = [r for r in records if r.pilot.stage is not Stage.RETIRED]
    summaries = tag_summaries(tags, open_counts, oldest, tag_leverage(active, tags, rules, catalog))
    stats = PortfolioStats(
        total=len(records),
        stages=stages,
        production=production_share(stages),
        territories=territories,
        stalled=len(stalled),
        oldest_stalled=oldest_stalled(stalled),
        open_blockers=sum(by_category.values()),
        blockers_by_category=by_category,
        blockers_by_territory=by_territory,
        top_blockers=top_blockers(summaries),
        stale_approvals=stale,
        below_gate=below,
    )
    return stats, summaries
