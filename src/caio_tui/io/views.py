"""The stable JSON shapes of pilots (`list --json`, `show --json`), shared by the CLI and the exports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from caio_tui.domain.coverage import Catalog, CoverageStatus
from caio_tui.domain.pilots import Pilot, PilotRecord
from caio_tui.domain.stages import is_stalled
from caio_tui.store import Portfolio


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds")


def pilot_json(pilot: Pilot, open_blockers: list[str], *, now: datetime, stalled_days: int) -> dict[str, Any]:
    days = pilot.days_in_stage(now)
    return {
        "id": pilot.id,
        "name": pilot.name,
        "office": pilot.office,
        "owner": pilot.owner,
        "stage": pilot.stage.value,
        "high_impact": pilot.high_impact,
        "readiness": round(pilot.readiness, 4),
        "territory": pilot.territory.value,
        "days_in_stage": days,
        "stalled": is_stalled(pilot.stage, days, stalled_days),
        "open_blockers": open_blockers,
        "approval_stale": pilot.approval_stale,
        "below_gate": pilot.below_gate,
    }


def pilots_json(portfolio: Portfolio, pilots: list[Pilot]) -> list[dict[str, Any]]:
    tags = portfolio.open_blocker_tags([p.id for p in pilots])
    now = portfolio.clock()
    return [pilot_json(p, tags[p.id], now=now, stalled_days=portfolio.stalled_days) for p in pilots]


def coverage_json(record: PilotRecord, catalog: Catalog) -> list[dict[str, Any]]:
    entries = []
    for area in catalog.areas(record.pilot.high_impact):
        for item in area.items:
            cov = record.coverage.get(item.id)
            entries.append(
                {
                    "item": item.id,
                    "area": area.id,
                    "text": item.text,
                    "status": (cov.status if cov else CoverageStatus.NOT_ASSESSED).value,
                    "evidence": cov.evidence if cov else "",
                    "justification": cov.justification if cov else "",
                    "updated_at": _time(cov.updated_at) if cov else None,
                    "updated_by": cov.updated_by if cov else "",
                }
            )
    return entries


def record_json(portfolio: Portfolio, record: PilotRecord) -> dict[str, Any]:
    base = pilots_json(portfolio, [record.pilot])[0]
    return {
        **base,
        "description": record.pilot.description,
        "extra": record.pilot.extra,
        "coverage": coverage_json(record, portfolio.catalog()),
        "blockers": [
            {
                "tag": b.tag,
                "category": b.category.value,
                "note": b.note,
                "opened_at": _time(b.opened_at),
                "opened_by": b.opened_by,
                "resolved_at": _time(b.resolved_at),
                "resolved_by": b.resolved_by,
                "resolution": b.resolution,
                "open": b.is_open,
            }
            for b in record.blockers
        ],
        "stage_history": [
            {
                "from": m.from_stage.value if m.from_stage else None,
                "to": m.to_stage.value,
                "moved_at": _time(m.moved_at),
                "actor": m.actor,
                "override": m.override,
                "failed_rules": list(m.failed_rules),
                "gate": m.gate,
            }
            for m in record.stage_history
        ],
    }
