"""A parsed snapshot as the domain's models: its pilots as records and the whole as a PortfolioState (for diff)."""

from __future__ import annotations

from caio_tui.domain.blockers import Blocker
from caio_tui.domain.coverage import Catalog, Coverage
from caio_tui.domain.diff import PortfolioState
from caio_tui.domain.pilots import Pilot, PilotRecord, StageMove
from caio_tui.io.snapshot.schema import Snapshot
from caio_tui.io.snapshot.times import parsed_time


def records_of(snapshot: Snapshot) -> list[PilotRecord]:
    """The snapshot's pilots as domain records (already validated, so built without validating again)."""
    categories = {t.tag: t.category for t in snapshot.tags}
    records = []
    for p in snapshot.pilots:
        pilot = Pilot.model_construct(
            id=p.id,
            name=p.name,
            office=p.office,
            owner=p.owner,
            stage=p.stage,
            high_impact=p.high_impact,
            description=p.description,
            extra=dict(p.extra),
            created_at=parsed_time(p.created_at),
            stage_entered_at=parsed_time(p.stage_entered_at),
        )
        coverage = {
            c.item: Coverage.model_construct(
                item=c.item,
                status=c.status,
                evidence=c.evidence,
                justification=c.justification,
                updated_at=parsed_time(c.updated_at),
                updated_by=c.updated_by,
            )
            for c in p.coverage
        }
        blockers = tuple(
            Blocker.model_construct(
                id=index,
                pilot_id=p.id,
                tag=b.tag,
                category=categories[b.tag],
                note=b.note,
                opened_at=parsed_time(b.opened_at),
                opened_by=b.opened_by,
                resolved_at=parsed_time(b.resolved_at) if b.resolved_at else None,
                resolved_by=b.resolved_by,
                resolution=b.resolution,
            )
            for index, b in enumerate(p.blockers, start=1)
        )
        moves = tuple(
            StageMove.model_construct(
                pilot_id=p.id,
                from_stage=m.from_stage,
                to_stage=m.to,
                moved_at=parsed_time(m.moved_at),
                actor=m.actor,
                override=m.override,
                failed_rules=tuple(m.failed_rules),
            )
            for m in p.stage_history
        )
        records.append(
            PilotRecord.model_construct(pilot=pilot, coverage=coverage, blockers=blockers, stage_history=moves)
        )
    return records


def state_of(snapshot: Snapshot) -> PortfolioState:
    return PortfolioState(
        name=snapshot.portfolio.name,
        taken_at=parsed_time(snapshot.taken_at),
        catalog=Catalog(frameworks=tuple(snapshot.frameworks)),
        tags=tuple(snapshot.tags),
        rules=snapshot.gate_rules.rules,
        rules_revision=snapshot.gate_rules.revision,
        records=tuple(records_of(snapshot)),
    )
