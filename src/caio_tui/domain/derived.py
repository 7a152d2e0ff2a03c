"""The derived values the store keeps on each pilot row, computed in one place.

The portfolio table sorts and filters by readiness, territory, open blockers, the top blocker and whether
the pilot stands below its gate, so the
store keeps them as columns and recomputes them on every change (Portfolio._refresh), on every bulk load
(store.bulk, store.transfer) and the reports show readiness per area. All of them call `Derivation`, so
a pilot reads the same whichever way it was written.

Readiness follows domain.scoring.readiness (met 1, partial 0.5, gap and not_assessed 0; waived and
not_applicable leave the denominator) without building its pydantic models: a bulk load of a million
pilots calls this a million times (tests hold the two equal). Credits are multiples of 0.5, exact in
binary, so the sums do not depend on the order the items are visited in.

Below its gate: a pilot stands at a stage whose gates it would fail today, however it got there (an old
decision, an override, an import, a sample). The gates are those a move from intake to its stage crosses
(domain.gates.standing, which names the failing rules); GateStanding answers the yes or no from the rules
compiled once, for the same million-pilot loads (tests hold the two equal).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import pairwise
from typing import NamedTuple

from caio_tui.domain import staleness
from caio_tui.domain.coverage import Catalog, CoverageStatus
from caio_tui.domain.gates import (
    UNGATED,
    CoverageRule,
    FieldRule,
    GateRules,
    HighImpactRule,
    NoBlockerRule,
    accepted_statuses,
    high_impact_items,
    rule_items,
    stages_crossed,
)
from caio_tui.domain.stages import PIPELINE, Stage
from caio_tui.domain.territory import CATEGORY_WEIGHT, BlockerCategory, Territory, territory

# Statuses are looked up as plain text: CoverageStatus is a StrEnum, so its members hash and compare
# like their values and either kind of mapping works.
_CREDIT: dict[str, float] = {s.value: s.credit for s in CoverageStatus if s.credit}
_LEFT_OUT = frozenset(s.value for s in CoverageStatus if not s.counts_in_readiness)
_NOT_ASSESSED = CoverageStatus.NOT_ASSESSED.value
_WEIGHT: dict[str, int] = {c.value: w for c, w in CATEGORY_WEIGHT.items()}


class OpenBlocker(NamedTuple):
    """An open blocker as the derivation needs it; opened_at is the stored text (ISO 8601 in UTC, so text
    order is time order)."""

    tag: str
    category: BlockerCategory
    opened_at: str


class DerivedColumns(NamedTuple):
    """The pilot row's derived columns, in the table's column order."""

    readiness: float  # 0..1, rounded to 4 places as stored
    not_assessed: int  # applicable items not assessed
    territory: Territory
    open_blockers: int
    top_blocker: str  # the most important open blocker's tag, "" when none
    below_gate: bool  # stands at a stage whose gates it would fail today
    ready: bool  # passes the gate into its next stage today


class _Needs(NamedTuple):
    """What the gates up to one stage ask, merged: per item the statuses every rule naming it accepts."""

    items: tuple[tuple[str, frozenset[str]], ...]
    practices: tuple[tuple[str, frozenset[str]], ...]  # high-impact use cases only
    fields: tuple[str, ...]
    tags: frozenset[str]
    categories: frozenset[str]


def _needs(rules: GateRules, gates: list[Stage], catalog: Catalog) -> _Needs:
    """What the gates into `gates` ask, merged."""
    items: dict[str, frozenset[str]] = {}
    practices: dict[str, frozenset[str]] = {}
    fields: list[str] = []
    tags: set[str] = set()
    categories: set[str] = set()
    every = frozenset(s.value for s in CoverageStatus)
    for crossed in gates:
        for rule in rules.for_stage(crossed).rules:
            if isinstance(rule, FieldRule):
                fields.append(rule.field)
            elif isinstance(rule, CoverageRule):
                accept = frozenset(s.value for s in accepted_statuses(rule))
                for item in rule_items(rule, catalog):
                    items[item] = items.get(item, every) & accept
            elif isinstance(rule, HighImpactRule):
                accept = frozenset(s.value for s in accepted_statuses(rule))
                for item in high_impact_items(catalog):
                    practices[item] = practices.get(item, every) & accept
            elif isinstance(rule, NoBlockerRule):
                tags.update(rule.tags)
                categories.update(c.value for c in rule.categories)
    return _Needs(
        tuple(items.items()),
        tuple(practices.items()),
        tuple(dict.fromkeys(fields)),
        frozenset(tags),
        frozenset(categories),
    )


class GateStanding:
    """Whether a pilot stands below its gate, and whether it would pass its next one, from gate rules
    compiled once per stage (no rules: never below, never ready)."""

    def __init__(self, rules: GateRules | None, catalog: Catalog) -> None:
        self.needs: dict[str, _Needs] = {}
        self.next_needs: dict[str, _Needs] = {}  # by the pilot's stage: the gate into the stage after it
        if rules is not None:
            self.needs = {
                s.value: _needs(rules, stages_crossed(Stage.INTAKE, s), catalog) for s in PIPELINE if s not in UNGATED
            }
            # The stage after each (scaled and retired have none): a promotion crosses that one gate.
            self.next_needs = {s.value: _needs(rules, [n], catalog) for s, n in pairwise(PIPELINE)}

    def below(
        self,
        stage: str,
        statuses: Mapping[str, str],
        high_impact: bool,
        open_blockers: Iterable[OpenBlocker],
        fields: Mapping[str, str],
    ) -> bool:
        """stage: Stage or its value (intake and retired pass no gate, so stand below none)."""
        needs = self.needs.get(stage)
        return needs is not None and _fails(needs, statuses, high_impact, open_blockers, fields)

    def ready(
        self,
        stage: str,
        statuses: Mapping[str, str],
        high_impact: bool,
        open_blockers: Iterable[OpenBlocker],
        fields: Mapping[str, str],
    ) -> bool:
        """Whether the pilot passes the gate into the stage after its own (domain.gates.evaluate of that
        one move); a scaled or retired pilot has no next stage, so is never ready."""
        needs = self.next_needs.get(stage)
        return needs is not None and not _fails(needs, statuses, high_impact, open_blockers, fields)


def _fails(
    needs: _Needs,
    statuses: Mapping[str, str],
    high_impact: bool,
    open_blockers: Iterable[OpenBlocker],
    fields: Mapping[str, str],
) -> bool:
    """Whether a pilot fails any of `needs`."""
    # Plain loops, not any() over generators: this runs twice for each of 100,000 pilots in a bulk load
    # (the blockers, usually none or one, keep any()).
    get = statuses.get
    for item, accept in needs.items:
        if get(item, _NOT_ASSESSED) not in accept:
            return True
    if high_impact:
        for item, accept in needs.practices:
            if get(item, _NOT_ASSESSED) not in accept:
                return True
    for name in needs.fields:
        if not fields.get(name, "").strip():
            return True
    tags, categories = needs.tags, needs.categories
    return any(b.tag in tags or b.category in categories for b in open_blockers)


class Derivation:
    """The derived columns of any pilot of one catalog and one version of the gate rules (the catalog's
    item lists and the rules are worked out once). Without rules no pilot stands below a gate."""

    def __init__(self, catalog: Catalog, rules: GateRules | None = None) -> None:
        self.standing = GateStanding(rules, catalog)
        self.areas: dict[bool, tuple[tuple[str, tuple[str, ...]], ...]] = {
            hi: tuple((a.id, tuple(i.id for i in a.items)) for a in catalog.areas(hi)) for hi in (False, True)
        }
        self.items: dict[bool, tuple[str, ...]] = {
            hi: tuple(i for _, items in self.areas[hi] for i in items) for hi in (False, True)
        }
        self.item_sets = {hi: frozenset(items) for hi, items in self.items.items()}

    def columns(
        self,
        statuses: Mapping[str, str],
        high_impact: bool,
        open_blockers: Iterable[OpenBlocker],
        *,
        stage: str,
        fields: Mapping[str, str],
    ) -> DerivedColumns:
        """statuses: item id -> status (CoverageStatus or its value; absent items are not assessed);
        fields: the gated fields (name, office, owner, description) as text."""
        score, not_assessed = self.readiness(statuses, high_impact)
        found = list(open_blockers)
        # Anything set, waivers included, is an assessment; only a pilot with every item unset is unassessed.
        assessed = not_assessed < len(self.items[high_impact])
        return DerivedColumns(
            score,
            not_assessed,
            territory((b.category for b in found), assessed=assessed),
            len(found),
            top_blocker(found),
            self.standing.below(stage, statuses, high_impact, found, fields),
            self.standing.ready(stage, statuses, high_impact, found, fields),
        )

    def readiness(self, statuses: Mapping[str, str], high_impact: bool) -> tuple[float, int]:
        """(readiness rounded to 4 places, applicable items not assessed). Walks the assessed items, not
        the catalog (a pilot has a dozen of thirty): an absent item is not assessed, so counts, earns
        nothing. The credits are 1 and 0.5, so their sum is exact in any order."""
        applicable = self.item_sets[high_impact]
        credit, left, assessed = 0.0, 0, 0
        credits, left_out = _CREDIT, _LEFT_OUT
        for item, status in statuses.items():
            if item not in applicable:
                continue
            if status in left_out:
                left += 1
            elif status != _NOT_ASSESSED:
                assessed += 1
                credit += credits.get(status, 0.0)
        counted = len(applicable) - left
        return round(credit / counted if counted else 0.0, 4), counted - assessed

    def by_area(self, statuses: Mapping[str, str], high_impact: bool) -> tuple[float, dict[str, float | None]]:
        """Readiness overall (not rounded) and per area; None for an area whose every item is waived or
        not applicable (no score to show)."""
        by_area: dict[str, float | None] = {}
        credit_sum, counted_sum = 0.0, 0
        get, credits, left_out = statuses.get, _CREDIT, _LEFT_OUT
        for area, items in self.areas[high_impact]:
            credit, counted = 0.0, 0
            for item in items:
                status = get(item, _NOT_ASSESSED)
                if status not in left_out:
                    counted += 1
                    credit += credits.get(status, 0.0)
            by_area[area] = credit / counted if counted else None
            credit_sum += credit
            counted_sum += counted
        return (credit_sum / counted_sum if counted_sum else 0.0), by_area


def top_blocker(open_blockers: Iterable[OpenBlocker]) -> str:
    """The tag of the most important open blocker: by category weight, then the oldest, then the tag."""
    best = min(open_blockers, key=lambda b: (_WEIGHT[b.category], b.opened_at, b.tag), default=None)
    return best.tag if best else ""


def approval_stale(was_stale: bool, decided: staleness.DecidedState | None, now: staleness.GateState) -> bool:
    """Whether the pilot's last gate approval is stale. Once stale it stays stale until a re-check or a new
    move decides afresh (which writes a new decision and clears the flag), so the stored flag is an input."""
    return was_stale or staleness.is_stale(decided, now)
