"""What moved between two states of a portfolio (two snapshots, or a snapshot and a portfolio file).

Pure comparison: pilots added and removed, stage moves and gate overrides, coverage changes per area and
item, blockers opened and resolved, field edits, and changes to the gate rules, frameworks and tags.
Blockers are matched by tag and opening time, moves by stages and time, so the same pilot compared with
itself (or with its own re-import) shows no change.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from caio_tui.domain.blockers import Blocker, BlockerTag
from caio_tui.domain.coverage import Catalog, CoverageStatus
from caio_tui.domain.gates import CoverageRule, FieldRule, GateRules, HighImpactRule, NoBlockerRule, Rule
from caio_tui.domain.pilots import EDITABLE_FIELDS, PilotRecord, StageMove
from caio_tui.domain.stages import Stage
from caio_tui.domain.territory import BlockerCategory

_FROZEN = ConfigDict(frozen=True)


class PortfolioState(BaseModel):
    """A whole portfolio at one moment, as the diff compares it."""

    model_config = _FROZEN
    name: str
    taken_at: datetime | None = None
    catalog: Catalog
    tags: tuple[BlockerTag, ...] = ()
    rules: GateRules
    rules_revision: int = 0
    records: tuple[PilotRecord, ...] = ()


class PilotRef(BaseModel):
    model_config = _FROZEN
    id: str
    name: str
    office: str
    stage: Stage


class FieldChange(BaseModel):
    model_config = _FROZEN
    field: str
    old: str
    new: str


# Coverage level for "did it get better": an assessed gap is no better than an unassessed item.
_LEVEL: dict[CoverageStatus, int] = {
    CoverageStatus.NOT_ASSESSED: 0,
    CoverageStatus.GAP: 0,
    CoverageStatus.PARTIAL: 1,
    CoverageStatus.MET: 2,
    CoverageStatus.WAIVED: 2,
    CoverageStatus.NOT_APPLICABLE: 2,
}


class CoverageChange(BaseModel):
    model_config = _FROZEN
    area: str
    item: str
    old: CoverageStatus
    new: CoverageStatus

    @property
    def direction(self) -> Literal["better", "worse", "same level"]:
        old, new = _LEVEL[self.old], _LEVEL[self.new]
        return "better" if new > old else "worse" if new < old else "same level"


class BlockerEvent(BaseModel):
    model_config = _FROZEN
    tag: str
    category: BlockerCategory
    note: str
    at: datetime
    by: str


class MoveEvent(BaseModel):
    model_config = _FROZEN
    from_stage: Stage | None
    to_stage: Stage
    moved_at: datetime
    actor: str
    override: str = ""
    failed_rules: tuple[str, ...] = ()


class PilotDelta(BaseModel):
    """Everything that changed on one pilot present on both sides."""

    model_config = _FROZEN
    id: str
    name: str
    old_stage: Stage
    new_stage: Stage
    fields: tuple[FieldChange, ...] = ()
    coverage: tuple[CoverageChange, ...] = ()
    opened: tuple[BlockerEvent, ...] = ()
    resolved: tuple[BlockerEvent, ...] = ()
    moves: tuple[MoveEvent, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(
            self.fields
            or self.coverage
            or self.opened
            or self.resolved
            or self.moves
            or self.old_stage != self.new_stage
        )


class StageCount(BaseModel):
    model_config = _FROZEN
    stage: Stage
    old: int
    new: int


class AreaDelta(BaseModel):
    model_config = _FROZEN
    area: str
    name: str
    better: int
    worse: int
    other: int


class Override(BaseModel):
    model_config = _FROZEN
    pilot_id: str
    name: str
    move: MoveEvent


class RuleChange(BaseModel):
    model_config = _FROZEN
    stage: Stage
    change: Literal["added", "removed"]
    rule: str


class PortfolioDiff(BaseModel):
    model_config = _FROZEN
    old_name: str
    new_name: str
    old_taken_at: datetime | None
    new_taken_at: datetime | None
    added: tuple[PilotRef, ...] = ()
    removed: tuple[PilotRef, ...] = ()
    changed: tuple[PilotDelta, ...] = ()
    funnel: tuple[StageCount, ...] = ()
    areas: tuple[AreaDelta, ...] = ()
    overrides: tuple[Override, ...] = ()
    old_rules_revision: int = 0
    new_rules_revision: int = 0
    rule_changes: tuple[RuleChange, ...] = ()
    items_added: tuple[str, ...] = ()
    items_removed: tuple[str, ...] = ()
    tags_added: tuple[str, ...] = ()
    tags_removed: tuple[str, ...] = ()

    @property
    def stage_moves(self) -> tuple[PilotDelta, ...]:
        return tuple(d for d in self.changed if d.old_stage != d.new_stage)

    @property
    def opened(self) -> list[tuple[PilotDelta, BlockerEvent]]:
        return [(d, b) for d in self.changed for b in d.opened]

    @property
    def resolved(self) -> list[tuple[PilotDelta, BlockerEvent]]:
        return [(d, b) for d in self.changed for b in d.resolved]

    @property
    def identical(self) -> bool:
        return not (
            self.added
            or self.removed
            or self.changed
            or self.rule_changes
            or self.items_added
            or self.items_removed
            or self.tags_added
            or self.tags_removed
            or self.old_rules_revision != self.new_rules_revision
        )


# ---- comparing -------------------------------------------------------------------------------------


def compare(old: PortfolioState, new: PortfolioState) -> PortfolioDiff:
    old_by_id = {r.pilot.id: r for r in old.records}
    new_by_id = {r.pilot.id: r for r in new.records}
    added = [new_by_id[i] for i in sorted(new_by_id.keys() - old_by_id.keys())]
    removed = [old_by_id[i] for i in sorted(old_by_id.keys() - new_by_id.keys())]
    area_of = _area_lookup(old.catalog, new.catalog)
    deltas = [_pilot_delta(old_by_id[i], new_by_id[i], area_of) for i in sorted(old_by_id.keys() & new_by_id.keys())]
    changed = [d for d in deltas if d.changed]
    overrides = [Override(pilot_id=d.id, name=d.name, move=m) for d in changed for m in d.moves if m.override]
    overrides += [
        Override(pilot_id=r.pilot.id, name=r.pilot.name, move=_move(m))
        for r in added
        for m in r.stage_history
        if m.override
    ]
    old_items = {i.id for i in old.catalog.items()}
    new_items = {i.id for i in new.catalog.items()}
    old_tags = {t.tag for t in old.tags}
    new_tags = {t.tag for t in new.tags}
    return PortfolioDiff(
        old_name=old.name,
        new_name=new.name,
        old_taken_at=old.taken_at,
        new_taken_at=new.taken_at,
        added=tuple(_ref(r) for r in added),
        removed=tuple(_ref(r) for r in removed),
        changed=tuple(changed),
        funnel=_funnel(old.records, new.records),
        areas=_areas(changed, old.catalog, new.catalog),
        overrides=tuple(sorted(overrides, key=lambda o: (o.move.moved_at, o.pilot_id))),
        old_rules_revision=old.rules_revision,
        new_rules_revision=new.rules_revision,
        rule_changes=_rule_changes(old.rules, new.rules),
        items_added=tuple(sorted(new_items - old_items)),
        items_removed=tuple(sorted(old_items - new_items)),
        tags_added=tuple(sorted(new_tags - old_tags)),
        tags_removed=tuple(sorted(old_tags - new_tags)),
    )


def _ref(record: PilotRecord) -> PilotRef:
    p = record.pilot
    return PilotRef(id=p.id, name=p.name, office=p.office, stage=p.stage)


def _area_lookup(old: Catalog, new: Catalog) -> dict[str, str]:
    found = {i.id: a.id for a in old.areas() for i in a.items}
    found.update({i.id: a.id for a in new.areas() for i in a.items})
    return found


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _pilot_delta(old: PilotRecord, new: PilotRecord, area_of: dict[str, str]) -> PilotDelta:
    fields = [
        FieldChange(field=name, old=_text(getattr(old.pilot, name)), new=_text(getattr(new.pilot, name)))
        for name in EDITABLE_FIELDS
        if getattr(old.pilot, name) != getattr(new.pilot, name)
    ]
    for key in sorted(old.pilot.extra.keys() | new.pilot.extra.keys()):
        before, after = old.pilot.extra.get(key), new.pilot.extra.get(key)
        if before != after:
            fields.append(
                FieldChange(
                    field=f"extra.{key}", old=_text(before or ""), new=_text(after if after is not None else "")
                )
            )
    coverage = []
    for item in sorted(old.coverage.keys() | new.coverage.keys(), key=lambda i: (area_of.get(i, ""), i)):
        before_status = _status(old, item)
        after_status = _status(new, item)
        if before_status != after_status:
            coverage.append(CoverageChange(area=area_of.get(item, ""), item=item, old=before_status, new=after_status))
    old_blockers = {_blocker_key(b): b for b in old.blockers}
    opened = [_opened(b) for b in new.blockers if _blocker_key(b) not in old_blockers]
    resolved = [
        _resolved(b)
        for b in new.blockers
        if b.resolved_at is not None
        and (_blocker_key(b) not in old_blockers or old_blockers[_blocker_key(b)].resolved_at is None)
    ]
    old_moves = {_move_key(m) for m in old.stage_history}
    moves = [_move(m) for m in new.stage_history if _move_key(m) not in old_moves]
    return PilotDelta(
        id=new.pilot.id,
        name=new.pilot.name,
        old_stage=old.pilot.stage,
        new_stage=new.pilot.stage,
        fields=tuple(fields),
        coverage=tuple(coverage),
        opened=tuple(opened),
        resolved=tuple(resolved),
        moves=tuple(moves),
    )


def _status(record: PilotRecord, item: str) -> CoverageStatus:
    cov = record.coverage.get(item)
    return cov.status if cov else CoverageStatus.NOT_ASSESSED


def _blocker_key(b: Blocker) -> tuple[str, datetime]:
    return (b.tag, b.opened_at)


def _opened(b: Blocker) -> BlockerEvent:
    return BlockerEvent(tag=b.tag, category=b.category, note=b.note, at=b.opened_at, by=b.opened_by)


def _resolved(b: Blocker) -> BlockerEvent:
    assert b.resolved_at is not None
    return BlockerEvent(tag=b.tag, category=b.category, note=b.resolution, at=b.resolved_at, by=b.resolved_by)


def _move_key(m: StageMove) -> tuple[Stage | None, Stage, datetime]:
    return (m.from_stage, m.to_stage, m.moved_at)


def _move(m: StageMove) -> MoveEvent:
    return MoveEvent(
        from_stage=m.from_stage,
        to_stage=m.to_stage,
        moved_at=m.moved_at,
        actor=m.actor,
        override=m.override,
        failed_rules=tuple(m.failed_rules),
    )


def _funnel(old: Iterable[PilotRecord], new: Iterable[PilotRecord]) -> tuple[StageCount, ...]:
    before = {s: 0 for s in Stage}
    after = {s: 0 for s in Stage}
    for r in old:
        before[r.pilot.stage] += 1
    for r in new:
        after[r.pilot.stage] += 1
    return tuple(StageCount(stage=s, old=before[s], new=after[s]) for s in Stage)


def _areas(changed: Iterable[PilotDelta], old: Catalog, new: Catalog) -> tuple[AreaDelta, ...]:
    names = {a.id: a.name for a in old.areas()} | {a.id: a.name for a in new.areas()}
    order = [a.id for a in new.areas()] + [a.id for a in old.areas()]
    counts: dict[str, list[int]] = {}
    for delta in changed:
        for c in delta.coverage:
            slot = counts.setdefault(c.area, [0, 0, 0])
            slot[("better", "worse", "same level").index(c.direction)] += 1
    return tuple(
        AreaDelta(area=a, name=names.get(a, a), better=n[0], worse=n[1], other=n[2])
        for a, n in sorted(counts.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))
    )


def rule_text(rule: Rule) -> str:
    """A rule in words: its description and what it checks."""
    if isinstance(rule, FieldRule):
        spec = f"field {rule.field} recorded"
    elif isinstance(rule, CoverageRule):
        scope = ", ".join([*rule.areas, *rule.items])
        spec = f"{scope} at least {rule.at_least}" + ("" if rule.accept_waived else ", waivers not accepted")
    elif isinstance(rule, NoBlockerRule):
        spec = "no open " + ", ".join([*rule.tags, *(f"{c.value} blocker" for c in rule.categories)])
    elif isinstance(rule, HighImpactRule):
        spec = "high-impact practices " + " or ".join(s.value for s in rule.accept)
    else:  # pragma: no cover - the rule union is closed
        spec = str(rule)
    return f"{rule.description} ({spec})" if rule.description else spec


def _rule_changes(old: GateRules, new: GateRules) -> tuple[RuleChange, ...]:
    changes: list[RuleChange] = []
    gated = {g.to for g in old.gates} | {g.to for g in new.gates}
    for stage in (s for s in Stage if s in gated):
        before = {_rule_key(r): r for g in old.gates if g.to is stage for r in g.rules}
        after = {_rule_key(r): r for g in new.gates if g.to is stage for r in g.rules}
        changes += [
            RuleChange(stage=stage, change="removed", rule=rule_text(r)) for k, r in before.items() if k not in after
        ]
        changes += [
            RuleChange(stage=stage, change="added", rule=rule_text(r)) for k, r in after.items() if k not in before
        ]
    return tuple(changes)


def _rule_key(rule: Rule) -> str:
    return json.dumps(rule.model_dump(mode="json"), sort_keys=True)
