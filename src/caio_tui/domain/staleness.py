"""Stale approvals: a gate's pass or override holds for the state it was decided on.

When a pilot passes a gate (or a gate is overridden), the store keeps what the gates crossed required
and the pilot's state at that moment (a DecidedState). Later, the approval is stale when that state has
regressed: an item now below what a gate required, and worse than when it was decided; a required field
blanked; a blocker of a gated tag or category opened that was not open then; or the pilot became
high-impact and the M-25-21 practices a gate asks of high-impact use cases are not in place.

What was already short when an override was decided does not make the approval stale by staying short:
the override accepted it. It does when it gets worse.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from caio_tui.domain.coverage import Catalog, CoverageStatus
from caio_tui.domain.gates import (
    GATED_FIELDS,
    CoverageRule,
    FieldRule,
    GateResult,
    GateRules,
    HighImpactRule,
    NoBlockerRule,
    accepted_statuses,
    high_impact_items,
    rule_items,
    stages_crossed,
)
from caio_tui.domain.pilots import PilotRecord
from caio_tui.domain.stages import Stage
from caio_tui.domain.territory import BlockerCategory

S = CoverageStatus

# How far an item stands when it is not accepted: a fall on this scale is a regression. A waiver that a
# gate does not accept still stands above a gap, so withdrawing it counts as a fall.
_STANDING: dict[CoverageStatus, int] = {
    S.NOT_ASSESSED: 0,
    S.GAP: 0,
    S.PARTIAL: 1,
    S.WAIVED: 1,
    S.NOT_APPLICABLE: 1,
    S.MET: 2,
}
_ACCEPTED = 3


class ItemRequirement(BaseModel):
    """What the gates crossed asked of one item, and the item's status when the move was decided."""

    model_config = ConfigDict(defer_build=True, frozen=True)
    item: str
    accept: tuple[CoverageStatus, ...]  # the statuses every gate crossed accepts
    decided: CoverageStatus
    high_impact_only: bool = False  # an M-25-21 practice: required only while the pilot is high-impact


class DecidedState(BaseModel):
    """The gate-relevant state a pass or an override was decided on (kept with the stage move)."""

    model_config = ConfigDict(defer_build=True, frozen=True)
    from_stage: Stage
    to_stage: Stage
    passed: bool
    override: str = ""
    high_impact: bool = False
    fields: dict[str, bool] = Field(default_factory=dict)  # required field -> recorded at the decision
    items: tuple[ItemRequirement, ...] = ()
    blocker_tags: tuple[str, ...] = ()  # tags a gate forbids
    blocker_categories: tuple[BlockerCategory, ...] = ()  # categories a gate forbids
    open_then: tuple[str, ...] = ()  # forbidden blockers open at the decision (an override accepted them)

    @property
    def result(self) -> str:
        """The gate result in one word, as the stage history shows it."""
        return "passed" if self.passed else "overridden"


class GateState(BaseModel):
    """A pilot's gate-relevant state now."""

    model_config = ConfigDict(defer_build=True, frozen=True)
    statuses: dict[str, CoverageStatus] = Field(default_factory=dict)  # absent: not assessed
    open_blockers: tuple[tuple[str, BlockerCategory], ...] = ()  # (tag, category)
    fields: dict[str, str] = Field(default_factory=dict)
    high_impact: bool = False

    @classmethod
    def of(cls, record: PilotRecord) -> GateState:
        return cls(
            statuses={item: c.status for item, c in record.coverage.items()},
            open_blockers=tuple((b.tag, b.category) for b in record.open_blockers),
            fields={name: str(getattr(record.pilot, name)) for name in GATED_FIELDS},
            high_impact=record.pilot.high_impact,
        )

    def status(self, item: str) -> CoverageStatus:
        return self.statuses.get(item, S.NOT_ASSESSED)


class Regression(BaseModel):
    """One way the state fell below what an approval was decided on."""

    model_config = ConfigDict(defer_build=True, frozen=True)
    kind: Literal["coverage", "blocker", "field", "high_impact"]
    target: str  # item id, blocker tag or field name
    text: str


def _requirements(
    rules: GateRules, crossed: Iterable[Stage], catalog: Catalog
) -> tuple[dict[str, frozenset[CoverageStatus]], dict[str, frozenset[CoverageStatus]], list[str], list[NoBlockerRule]]:
    """Per item the statuses every crossed gate accepts (intersected when several ask), the same for the
    high-impact practices, the required fields and the blocker rules."""
    items: dict[str, frozenset[CoverageStatus]] = {}
    practices: dict[str, frozenset[CoverageStatus]] = {}
    fields: list[str] = []
    blockers: list[NoBlockerRule] = []
    for stage in crossed:
        for rule in rules.for_stage(stage).rules:
            if isinstance(rule, FieldRule):
                fields.append(rule.field)
            elif isinstance(rule, CoverageRule):
                for item in rule_items(rule, catalog):
                    items[item] = items.get(item, frozenset(S)) & accepted_statuses(rule)
            elif isinstance(rule, HighImpactRule):
                for item in high_impact_items(catalog):
                    practices[item] = practices.get(item, frozenset(S)) & accepted_statuses(rule)
            elif isinstance(rule, NoBlockerRule):
                blockers.append(rule)
    return items, practices, list(dict.fromkeys(fields)), blockers


def _ordered(statuses: frozenset[CoverageStatus]) -> tuple[CoverageStatus, ...]:
    return tuple(s for s in S if s in statuses)


def decide(
    record: PilotRecord, result: GateResult, rules: GateRules, catalog: Catalog, *, override: str = ""
) -> DecidedState | None:
    """The state a move is decided on; None when the move crosses no gate (backwards, retiring)."""
    crossed = stages_crossed(result.from_stage, result.to_stage)
    if not crossed:
        return None
    items, practices, fields, blocker_rules = _requirements(rules, crossed, catalog)
    state = GateState.of(record)
    tags = tuple(dict.fromkeys(t for r in blocker_rules for t in r.tags))
    categories = tuple(dict.fromkeys(c for r in blocker_rules for c in r.categories))
    requirements = [
        ItemRequirement(item=i, accept=_ordered(accept), decided=state.status(i)) for i, accept in items.items()
    ]
    requirements += [
        ItemRequirement(item=i, accept=_ordered(accept), decided=state.status(i), high_impact_only=True)
        for i, accept in practices.items()
    ]
    return DecidedState(
        from_stage=result.from_stage,
        to_stage=result.to_stage,
        passed=result.passed,
        override="" if result.passed else override,
        high_impact=state.high_impact,
        fields={f: bool(state.fields.get(f, "").strip()) for f in fields},
        items=tuple(requirements),
        blocker_tags=tags,
        blocker_categories=categories,
        open_then=tuple(dict.fromkeys(t for t, c in state.open_blockers if t in tags or c in categories)),
    )


def _standing(status: CoverageStatus, accept: tuple[CoverageStatus, ...]) -> int:
    return _ACCEPTED if status in accept else _STANDING[status]


def _item_regression(req: ItemRequirement, decided: DecidedState, now: GateState) -> Regression | None:
    current = now.status(req.item)
    if current in req.accept:
        return None
    gate = f"the gate into {decided.to_stage.value} accepts {' or '.join(s.value for s in req.accept)}"
    if req.high_impact_only:
        if not now.high_impact:
            return None
        if not decided.high_impact:
            text = f"{req.item} is {current.value} and the pilot is now high-impact ({gate})"
            return Regression(kind="high_impact", target=req.item, text=text)
    if _standing(current, req.accept) >= _standing(req.decided, req.accept):
        return None
    text = f"{req.item} fell from {req.decided.value} to {current.value} ({gate})"
    return Regression(kind="coverage", target=req.item, text=text)


def regressions(decided: DecidedState, now: GateState) -> list[Regression]:
    """How the state fell below what the approval was decided on; empty when the approval holds."""
    found = [r for req in decided.items if (r := _item_regression(req, decided, now)) is not None]
    for name, was_recorded in decided.fields.items():
        if was_recorded and not now.fields.get(name, "").strip():
            text = f"the {name} was removed (the gate into {decided.to_stage.value} requires one)"
            found.append(Regression(kind="field", target=name, text=text))
    opened = dict.fromkeys(
        tag
        for tag, category in now.open_blockers
        if (tag in decided.blocker_tags or category in decided.blocker_categories) and tag not in decided.open_then
    )
    found += [
        Regression(
            kind="blocker",
            target=tag,
            text=f"a {tag} blocker opened (the gate into {decided.to_stage.value} forbids it)",
        )
        for tag in opened
    ]
    return found


def is_stale(decided: DecidedState | None, now: GateState) -> bool:
    return decided is not None and bool(regressions(decided, now))


__all__ = ["DecidedState", "GateState", "ItemRequirement", "Regression", "decide", "is_stale", "regressions"]
