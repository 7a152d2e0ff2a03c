"""The briefing's content: what a leadership review asks of the portfolio, gathered in one pass.

How the funnel looks, which kind of gap holds the portfolio back, which single fix unblocks the most pilots,
which pilots are closest to production and what each still needs, which pilots stall, and what moved lately.
The words shared by both renderings (the headline, what a pilot still needs) are here too; the Markdown is
in `briefing_markdown`, the HTML page in `briefing_html`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from caio_tui.domain.blockers import Blocker
from caio_tui.domain.coverage import Catalog, Coverage, CoverageStatus
from caio_tui.domain.gates import Change
from caio_tui.domain.leverage import ClosestCounter, Distance, GateFacts, LeverageCounter, TagLeverage
from caio_tui.domain.pilots import Pilot, PilotRecord, StageMove
from caio_tui.domain.stages import PIPELINE, Stage, is_stalled
from caio_tui.domain.territory import Territory
from caio_tui.io.briefing_commercial import CommercialSection, commercial_section
from caio_tui.io.briefing_gates import BELOW_GATE_SHOWN, BelowGate, BelowGateCounter, below_gate_shown
from caio_tui.store import Portfolio
from caio_tui.store.overrides import GateOverride
from caio_tui.store.transfer import (
    MoveRow,
    PilotFacts,
    Progress,
    below_gate_pilots,
    read_records,
    recent_moves,
    stream_facts,
)

# Public reviews of the inventories found fewer than a third of AI initiatives in production.
PRODUCTION_BENCHMARK = 1 / 3
TOP = 10
STALLED_SHOWN = 15

_STATUS = {s.value: s for s in CoverageStatus}


def days_since(now: datetime, entered: str) -> int:
    """Whole days from a stored ISO time to now (never negative: a clock set back shows 0)."""
    return max(0, (now - datetime.fromisoformat(entered)).days)


@dataclass(frozen=True)
class RecentMove:
    pilot_id: str
    name: str
    move: StageMove


@dataclass(frozen=True)
class Stalled:
    id: str
    name: str
    office: str
    stage: Stage
    days: int
    territory: str
    top_blocker: str


@dataclass
class Briefing:
    name: str
    taken_at: datetime
    taken_by: str
    stalled_days: int
    catalog: Catalog
    total: int
    funnel: list[tuple[Stage, int]]
    territory: list[tuple[Territory, int]]
    leverage: list[TagLeverage]
    closest: list[Distance]
    stalled: list[Stalled]  # every stalled pilot, longest first (the reports show the first STALLED_SHOWN)
    recent: list[RecentMove]
    in_production: int = 0
    active: int = 0
    commercial: CommercialSection | None = None  # the agency's commercial AI uses, when a COTS file was imported
    audit_head: tuple[int, str] = (0, "")  # (newest event, its hash) when taken: `caio-tui verify --head FILE`
    below_gate: int = 0  # pilots standing at a stage whose gates they would fail today
    below_gate_shown: list[BelowGate] = field(default_factory=list)  # furthest along first
    overrides: int = 0  # moves made although their gate refused
    overrides_shown: list[GateOverride] = field(default_factory=list)  # newest first

    @property
    def production_share(self) -> float:
        return self.in_production / self.active if self.active else 0.0


def build_briefing(portfolio: Portfolio, progress: Progress | None = None) -> Briefing:
    """Everything the briefing shows, in one pass over the pilots' facts (fields, derived columns, item
    statuses and open blocker tags: no evidence, notes or history); full records and gate evaluations only
    for the few pilots a section shows or a leverage check needs."""
    catalog, rules, tags = portfolio.catalog(), portfolio.rules(), portfolio.tags()
    categories = {t.tag: t.category for t in tags}
    now, stalled_days = portfolio.clock(), portfolio.stalled_days
    leverage = LeverageCounter(tags, rules, catalog)
    closest = ClosestCounter(rules, catalog, TOP)
    stored = below_gate_pilots(portfolio, BELOW_GATE_SHOWN)  # None: some pilot is still to judge
    below_gate = BelowGateCounter(rules, catalog)
    counts = {s: 0 for s in Stage}
    territory = {t: 0 for t in Territory}
    stalled: list[Stalled] = []
    total = portfolio.count() if progress else 0
    stages = {s.value: s for s in Stage}
    with stream_facts(portfolio) as stream:
        for index, p in enumerate(stream, start=1):
            stage = stages[p.stage]
            counts[stage] += 1
            if stage is not Stage.RETIRED:
                territory[Territory(p.territory)] += 1
            days = days_since(now, p.stage_entered_at)
            if is_stalled(stage, days, stalled_days):
                stalled.append(Stalled(p.id, p.name, p.office, stage, days, p.territory, p.top_blocker))
            facts = GateFacts(
                stage=stage,
                high_impact=p.high_impact,
                fields={"name": p.name, "office": p.office, "owner": p.owner, "description": p.description},
                statuses={item: _STATUS[status] for item, status in p.statuses.items()},
                open_blockers=[(tag, categories[tag]) for tag in p.open_tags],
            )

            def gate_record(p: PilotFacts = p, facts: GateFacts = facts) -> PilotRecord:
                return _gate_record(p, facts)

            def full_record(pilot_id: str = p.id) -> PilotRecord:
                return read_records(portfolio, [pilot_id])[0]

            leverage.add(p.id, facts, gate_record)
            closest.add(p.id, facts, p.readiness, full_record)
            if stored is None:
                below_gate.add(p.id, facts)
            if progress and index % 1000 == 0:
                progress(index, total)
    stalled.sort(key=lambda s: (-s.days, s.id))
    overrides = portfolio.gate_overrides(OVERRIDES_SHOWN)
    below, below_ids = stored if stored is not None else (len(below_gate.found), below_gate.ids())
    return Briefing(
        name=portfolio.name,
        taken_at=now,
        taken_by=portfolio.actor,
        stalled_days=stalled_days,
        catalog=catalog,
        total=sum(counts.values()),
        funnel=[(s, counts[s]) for s in (*PIPELINE, Stage.RETIRED)],
        territory=[(t, territory[t]) for t in Territory],
        leverage=leverage.result()[:TOP],
        closest=closest.result(),
        stalled=stalled,
        recent=[RecentMove(pilot_id, name, _move(pilot_id, m)) for pilot_id, name, m in recent_moves(portfolio, TOP)],
        in_production=counts[Stage.PRODUCTION] + counts[Stage.SCALED],
        active=sum(counts.values()) - counts[Stage.RETIRED],
        audit_head=portfolio.audit_head(),
        commercial=commercial_section(portfolio),
        below_gate=below,
        below_gate_shown=below_gate_shown(portfolio, below_ids, rules, catalog),
        overrides=overrides[0],
        overrides_shown=overrides[1],
    )


def override_stage(value: str | None) -> str:
    """A stored stage id as the briefing names it ("Production readiness")."""
    return Stage(value).label if value else "-"


OVERRIDES_NOTE = "Moves made although the gate refused them, with the written justification, newest first."


def _gate_record(p: PilotFacts, facts: GateFacts) -> PilotRecord:
    """A record holding what a gate looks at (fields, item statuses, open blockers), for a leverage check:
    evaluated, never shown. Times the facts do not carry are the stage's entry."""
    entered = datetime.fromisoformat(p.stage_entered_at)
    pilot = Pilot(
        id=p.id,
        name=p.name,
        office=p.office,
        owner=p.owner,
        stage=facts.stage,
        high_impact=p.high_impact,
        description=p.description,
        created_at=entered,
        stage_entered_at=entered,
    )
    # Constructed, not validated: the statuses are the store's (a waiver's justification is not carried).
    coverage = {item: Coverage.model_construct(item=item, status=status) for item, status in facts.statuses.items()}
    blockers = tuple(
        Blocker(id=index, pilot_id=p.id, tag=tag, category=category, opened_at=entered, opened_by="")
        for index, (tag, category) in enumerate(facts.open_blockers, start=1)
    )
    return PilotRecord.model_construct(pilot=pilot, coverage=coverage, blockers=blockers, stage_history=())


def _move(pilot_id: str, m: MoveRow) -> StageMove:
    return StageMove(
        pilot_id=pilot_id,
        from_stage=Stage(m.from_stage) if m.from_stage else None,
        to_stage=Stage(m.to_stage),
        moved_at=datetime.fromisoformat(m.moved_at),
        actor=m.actor,
        override=m.override,
        failed_rules=tuple(json.loads(m.failed_rules)),
    )


def need_text(change: Change, record: PilotRecord, catalog: Catalog) -> str:
    """One change a pilot still needs, in words."""
    if change.kind == "set_coverage":
        cov = record.coverage.get(change.target)
        now = (cov.status if cov else CoverageStatus.NOT_ASSESSED).value.replace("_", " ")
        text = next((i.text for i in catalog.items() if i.id == change.target), change.target)
        return f"{text} ({change.target}): {now} → {change.to}"
    if change.kind == "resolve_blocker":
        return f"resolve the {change.target} blocker"
    return f"record the {change.target}"


def when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d}"


def headline(b: Briefing) -> str:
    share = round(b.production_share * 100)
    verdict = "below" if b.production_share < PRODUCTION_BENCHMARK else "at or above"
    return (
        f"{b.total} pilots; {b.in_production} of {b.active} active ({share}%) in production or scaled, "
        f"{verdict} the one-third mark that public reviews of the inventories found; {len(b.stalled)} stalled "
        f"(over {b.stalled_days} days in pilot or readiness)."
    )


def needs(d: Distance, catalog: Catalog, limit: int = 4) -> list[str]:
    changes = list(d.result.least_changes)
    shown = [need_text(c, d.record, catalog) for c in changes[:limit]]
    if len(changes) > limit:
        shown.append(f"and {len(changes) - limit} more")
    return shown


def from_label(move: StageMove) -> str:
    return move.from_stage.label if move.from_stage else "-"


TERRITORY_LABEL: dict[Territory, str] = {
    Territory.CLEAR: "Clear (assessed, no open blocker)",
    Territory.INFRASTRUCTURE: "Infrastructure (identity, infrastructure, governance)",
    Territory.ORGANIZATIONAL: "Organizational",
    Territory.BOTH: "Both",
    Territory.UNASSESSED: "Unassessed (nothing assessed yet, no open blocker)",
}


OVERRIDES_SHOWN = 15
BELOW_GATE_NOTE = (
    "Pilots standing at a stage whose gates they would fail today, however they got there (an old decision, "
    "an override, an import, a sample), furthest along first, with the rules each fails."
)
