"""Leverage: which single fix would unblock the most pilots, and which pilots are closest to production.

The leverage of a blocker tag is how many pilots would pass their next gate if that tag's blockers were
resolved and the requirement areas it hits were covered (every item met, waivers kept). It is decided with
the gates themselves (domain.gates.evaluate on the modified record), so it follows the portfolio's own
rules. Pilots that pass their next gate already are not counted: the fix does not unlock them.

At 100,000 pilots, evaluating every gate of every pilot with pydantic results takes far too long, so a
GateIndex first works out, from plain facts, which changes a gate asks for (the same (kind, target) set as
evaluate(...).least_changes; a test holds them equal). It only decides which pilots are worth a full
evaluation: the verdicts and the changes shown come from evaluate.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict

from caio_tui.domain.blockers import BlockerTag
from caio_tui.domain.coverage import Catalog, Coverage, CoverageStatus
from caio_tui.domain.gates import (
    GATED_FIELDS,
    CoverageRule,
    FieldRule,
    GateResult,
    GateRules,
    HighImpactRule,
    NoBlockerRule,
    accepted_statuses,
    evaluate,
    stages_crossed,
)
from caio_tui.domain.pilots import PilotRecord
from caio_tui.domain.stages import PIPELINE, Stage
from caio_tui.domain.territory import BlockerCategory

_SATISFIED = (CoverageStatus.MET, CoverageStatus.WAIVED, CoverageStatus.NOT_APPLICABLE)
_BEFORE_PRODUCTION = frozenset(PIPELINE[: PIPELINE.index(Stage.PRODUCTION)])

ChangeKey = tuple[str, str]  # (Change.kind, Change.target)


class GateFacts(NamedTuple):
    """What a gate looks at, as plain values (cheap to build from stored rows)."""

    stage: Stage
    high_impact: bool
    fields: Mapping[str, str]  # the gated fields: name, office, owner, description
    statuses: Mapping[str, CoverageStatus]  # assessed items only
    open_blockers: Sequence[tuple[str, BlockerCategory]]  # (tag, category)


def facts_of(record: PilotRecord) -> GateFacts:
    p = record.pilot
    return GateFacts(
        stage=p.stage,
        high_impact=p.high_impact,
        fields={name: str(getattr(p, name)) for name in GATED_FIELDS},
        statuses={item: cov.status for item, cov in record.coverage.items()},
        open_blockers=[(b.tag, b.category) for b in record.open_blockers],
    )


class _Plan(NamedTuple):
    """The checks of the gates one move crosses, flattened: (item, statuses that satisfy it, the change it
    asks for) per coverage item, (field, change) per gated field, the no-blocker rules, and the M-25-21
    practices a high-impact pilot needs."""

    coverage: tuple[tuple[str, frozenset[CoverageStatus], ChangeKey], ...]
    fields: tuple[tuple[str, ChangeKey], ...]
    blockers: tuple[NoBlockerRule, ...]
    practices: tuple[tuple[str, frozenset[CoverageStatus], ChangeKey], ...]


class GateIndex:
    """The portfolio's gate rules flattened, per (from, to) stage, into the checks a move crosses: at 100,000
    pilots, looking the gates up and resolving each rule's items again for every pilot cost more than
    checking them (the briefing's leverage and closest sections: about 1.5 s of CPU)."""

    def __init__(self, rules: GateRules, catalog: Catalog) -> None:
        self.rules = rules
        self.catalog = catalog
        self._plans: dict[tuple[Stage, Stage], _Plan] = {}
        self.practices = tuple(
            i.id for f in catalog.frameworks if f.applies_to == "high_impact" for a in f.areas for i in a.items
        )

    def _plan(self, from_stage: Stage, to_stage: Stage) -> _Plan:
        """What the gates a move crosses check, rule kind by rule kind, worked out once per (from, to)."""
        found = self._plans.get((from_stage, to_stage))
        if found is not None:
            return found
        coverage: list[tuple[str, frozenset[CoverageStatus], ChangeKey]] = []
        fields: list[tuple[str, ChangeKey]] = []
        blockers: list[NoBlockerRule] = []
        practices: list[tuple[str, frozenset[CoverageStatus], ChangeKey]] = []
        for stage in stages_crossed(from_stage, to_stage):
            for rule in self.rules.for_stage(stage).rules:
                if isinstance(rule, CoverageRule):
                    accepted = accepted_statuses(rule)
                    ids = [i.id for a in rule.areas if self.catalog.has_area(a) for i in self.catalog.area(a).items]
                    coverage += (
                        (item, accepted, ("set_coverage", item)) for item in dict.fromkeys([*ids, *rule.items])
                    )
                elif isinstance(rule, FieldRule):
                    fields.append((rule.field, ("set_field", rule.field)))
                elif isinstance(rule, NoBlockerRule):
                    blockers.append(rule)
                elif isinstance(rule, HighImpactRule):
                    accepted = frozenset(rule.accept)
                    practices += ((item, accepted, ("set_coverage", item)) for item in self.practices)
        found = self._plans[(from_stage, to_stage)] = _Plan(
            tuple(coverage), tuple(fields), tuple(blockers), tuple(practices)
        )
        return found

    def unmet(self, facts: GateFacts, to_stage: Stage) -> set[ChangeKey]:
        """The (kind, target) of every change the gates between the pilot's stage and to_stage ask for:
        empty when the move passes."""
        plan = self._plan(facts.stage, to_stage)
        keys: set[ChangeKey] = set()
        status_of = facts.statuses.get
        not_assessed = CoverageStatus.NOT_ASSESSED
        for item, accepted, key in plan.coverage:
            if status_of(item, not_assessed) not in accepted:
                keys.add(key)
        for field, key in plan.fields:
            if not facts.fields.get(field, "").strip():
                keys.add(key)
        if plan.blockers and facts.open_blockers:
            for rule in plan.blockers:
                for tag, category in facts.open_blockers:
                    if tag in rule.tags or category in rule.categories:
                        keys.add(("resolve_blocker", tag))
        if facts.high_impact:
            for item, accepted, key in plan.practices:
                if status_of(item, not_assessed) not in accepted:
                    keys.add(key)
        return keys

    def fix_keys(self, tag: BlockerTag) -> set[ChangeKey]:
        """The changes that resolving the tag and covering its areas makes."""
        items = {i.id for a in tag.areas if self.catalog.has_area(a) for i in self.catalog.area(a).items}
        return {("resolve_blocker", tag.tag), *(("set_coverage", i) for i in items)}


# ---- leverage --------------------------------------------------------------------------------------


class TagLeverage(BaseModel):
    model_config = ConfigDict(frozen=True)
    tag: str
    category: BlockerCategory
    areas: tuple[str, ...]
    open_on: tuple[str, ...]  # pilots with an open blocker of this tag (empty when only counted: see carriers)
    unlocks: tuple[str, ...]  # of those, the ones that would then pass their next gate
    carriers: int  # how many pilots have an open blocker of this tag (len(open_on) when they are kept)

    @property
    def leverage(self) -> int:
        return len(self.unlocks)


def resolve_tag(record: PilotRecord, tag: BlockerTag, catalog: Catalog) -> PilotRecord:
    """The record as it would be with the tag's blockers resolved and the tag's areas covered."""
    blockers = tuple(
        b.model_copy(update={"resolved_at": b.opened_at, "resolved_by": "leverage"})
        if b.tag == tag.tag and b.is_open
        else b
        for b in record.blockers
    )
    coverage = dict(record.coverage)
    for area_id in tag.areas:
        if not catalog.has_area(area_id):
            continue
        for item in catalog.area(area_id).items:
            current = coverage.get(item.id)
            if current is None or current.status not in _SATISFIED:
                coverage[item.id] = Coverage(item=item.id, status=CoverageStatus.MET)
    return record.model_copy(update={"blockers": blockers, "coverage": coverage})


class LeverageCounter:
    """Tag leverage over a stream of pilots: add() each pilot (a full record is built only for the few
    whose next gate a single tag's fix could open), then result(). With keep_carriers=False the pilots
    that carry a tag are counted, not kept (open_on stays empty): what a view that shows only the counts
    needs, in memory that does not grow with the portfolio."""

    def __init__(
        self, tags: Sequence[BlockerTag], rules: GateRules, catalog: Catalog, *, keep_carriers: bool = True
    ) -> None:
        self.index = GateIndex(rules, catalog)
        self.by_tag = {t.tag: t for t in tags}
        self.fixes = {t.tag: self.index.fix_keys(t) for t in tags}
        self.keep_carriers = keep_carriers
        self.open_on: dict[str, list[str]] = {}
        self.carriers: dict[str, int] = {}
        self.unlocks: dict[str, list[str]] = {}

    def add(self, pilot_id: str, facts: GateFacts, record: Callable[[], PilotRecord]) -> None:
        open_tags = list(dict.fromkeys(tag for tag, _ in facts.open_blockers if tag in self.by_tag))
        if not open_tags:
            return
        for name in open_tags:
            self.carriers[name] = self.carriers.get(name, 0) + 1
            if self.keep_carriers:
                self.open_on.setdefault(name, []).append(pilot_id)
        target = facts.stage.next()
        if target is None:
            return
        needed = self.index.unmet(facts, target)
        if not needed:
            return  # passes already: no fix unlocks it
        built: PilotRecord | None = None
        for name in open_tags:
            if not needed <= self.fixes[name]:
                continue  # the fix leaves a change undone, so the gate would still refuse
            built = built or record()
            fixed = resolve_tag(built, self.by_tag[name], self.index.catalog)
            if evaluate(fixed, target, self.index.rules, self.index.catalog).passed:
                self.unlocks.setdefault(name, []).append(pilot_id)

    def result(self) -> list[TagLeverage]:
        """Every tag with open blockers, highest leverage first (then most pilots, then name)."""
        found = [
            TagLeverage(
                tag=name,
                category=self.by_tag[name].category,
                areas=self.by_tag[name].areas,
                open_on=tuple(self.open_on.get(name, ())),
                unlocks=tuple(self.unlocks.get(name, ())),
                carriers=count,
            )
            for name, count in self.carriers.items()
        ]
        return sorted(found, key=lambda t: (-t.leverage, -t.carriers, t.tag))


def tag_leverage(
    records: Iterable[PilotRecord], tags: Sequence[BlockerTag], rules: GateRules, catalog: Catalog
) -> list[TagLeverage]:
    """Every tag with open blockers and how many pilots its fix would unlock, highest leverage first."""
    counter = LeverageCounter(tags, rules, catalog)
    for record in records:
        counter.add(record.pilot.id, facts_of(record), lambda record=record: record)  # type: ignore[misc]
    return counter.result()


# ---- distance to production ------------------------------------------------------------------------


class Distance(BaseModel):
    """A pilot's distance to production: the gate result into production and the least changes it needs."""

    model_config = ConfigDict(frozen=True)
    record: PilotRecord
    result: GateResult

    @property
    def changes(self) -> int:
        return len(self.result.least_changes)


_Rank = tuple[int, int, float, str]


def _rank(changes: int, stage: Stage, readiness: float, pilot_id: str) -> _Rank:
    """Fewest changes first, then the most advanced stage, then the highest readiness, then id."""
    return (changes, -stage.position, -readiness, pilot_id)


_Negated = tuple[int, int, float, tuple[int, ...]]


class ClosestCounter:
    """The pilots closest to production over a stream: add() each pilot, then result(). Only the `limit`
    best are kept, and only those get full records and gate evaluations."""

    def __init__(self, rules: GateRules, catalog: Catalog, limit: int = 10) -> None:
        self.index = GateIndex(rules, catalog)
        self.limit = limit
        # A max-heap (by negated rank) of the best so far, so the worst of them is dropped first.
        self._heap: list[tuple[_Negated, int, Callable[[], PilotRecord], _Rank]] = []
        self._worst: _Rank = (0, 0, 0.0, "")  # the rank of the heap's top, once it is full
        self._added = 0

    def add(self, pilot_id: str, facts: GateFacts, readiness: float, record: Callable[[], PilotRecord]) -> None:
        if facts.stage not in _BEFORE_PRODUCTION:
            return
        rank = _rank(len(self.index.unmet(facts, Stage.PRODUCTION)), facts.stage, readiness, pilot_id)
        full = len(self._heap) >= self.limit
        if full and rank >= self._worst:
            return  # no better than the worst kept: most pilots stop here, before the rank is negated
        entry = (_negated(rank), self._added, record, rank)
        self._added += 1
        if full:
            heapq.heapreplace(self._heap, entry)
        else:
            heapq.heappush(self._heap, entry)
        self._worst = self._heap[0][3]

    def result(self) -> list[Distance]:
        found = []
        for _, _, record, _ in self._heap:
            built = record()
            found.append(
                Distance(record=built, result=evaluate(built, Stage.PRODUCTION, self.index.rules, self.index.catalog))
            )
        found.sort(key=lambda d: _rank(d.changes, d.record.pilot.stage, d.record.pilot.readiness, d.record.pilot.id))
        return found


def _negated(rank: _Rank) -> _Negated:
    changes, stage, readiness, pilot_id = rank
    return (-changes, -stage, -readiness, (*(-ord(c) for c in pilot_id), 1))


def closest_to_production(
    records: Iterable[PilotRecord], rules: GateRules, catalog: Catalog, limit: int | None = 10
) -> list[Distance]:
    """Pilots not yet in production, fewest changes to pass every gate up to production first (then the
    most advanced stage, then the highest readiness)."""
    records = list(records)
    counter = ClosestCounter(rules, catalog, limit if limit is not None else max(1, len(records)))
    for r in records:
        counter.add(r.pilot.id, facts_of(r), r.pilot.readiness, lambda r=r: r)  # type: ignore[misc]
    return counter.result()
