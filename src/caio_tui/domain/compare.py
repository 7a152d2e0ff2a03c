"""The side-by-side comparison: what exactly separates a few pilots on the road to production.

Pilots are columns; requirement areas are rows, each expandable into its items. A cell carries the
status (an area's is summarised from its items), how many items carry evidence, and how long ago the
last change was made. A row *differs* when the pilots' statuses on it are not all the same (an item that
applies to one pilot and not another, such as an M-25-21 practice, differs too). Summary rows on top
give each pilot's stage, readiness, territory, open blockers, its next gate and its distance to
production (how many changes stand between it and passing every gate up to production).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from caio_tui.domain.coverage import Area, Catalog, Coverage, CoverageStatus, Item
from caio_tui.domain.gates import GateRules, distance, evaluate
from caio_tui.domain.pilots import PilotRecord
from caio_tui.domain.scoring import readiness
from caio_tui.domain.stages import Stage
from caio_tui.domain.territory import CATEGORY_WEIGHT, Territory

_SATISFIED = frozenset({CoverageStatus.MET, CoverageStatus.WAIVED, CoverageStatus.NOT_APPLICABLE})


class Cell(BaseModel):
    """One pilot on one row. For an area row, the status summarises the items (see area_status)."""

    model_config = ConfigDict(frozen=True)
    status: CoverageStatus
    evidence: int  # items with evidence recorded (0 or 1 on an item row)
    age_days: int | None  # days since the last change; None when nothing was ever recorded
    score: float | None = None  # area rows: the area's readiness (None when no item counts)
    met: int = 0  # area rows: items met, waived or not applicable
    total: int = 1  # items in the row (1 on an item row)


class Row(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: Literal["area", "item"]
    id: str  # the area id or the item id
    area: str
    label: str
    cells: tuple[Cell | None, ...]  # one per pilot; None where the row does not apply to the pilot
    differs: bool


class PilotColumn(BaseModel):
    """The summary of one pilot: what the rows on top show."""

    model_config = ConfigDict(frozen=True)
    id: str
    name: str
    stage: Stage
    days_in_stage: int
    high_impact: bool
    readiness: int  # percent
    territory: Territory
    open_blockers: tuple[str, ...]  # tags, most important first
    next_stage: Stage | None
    next_gate_passes: bool | None  # None when there is no next stage
    distance: int  # changes that stand between the pilot and passing every gate up to production


class SummaryRow(BaseModel):
    model_config = ConfigDict(frozen=True)
    key: str
    label: str
    values: tuple[str, ...]
    differs: bool


class Comparison(BaseModel):
    model_config = ConfigDict(frozen=True)
    pilots: tuple[PilotColumn, ...]
    summary: tuple[SummaryRow, ...]
    areas: tuple[Row, ...]
    items: dict[str, tuple[Row, ...]]  # area id -> its item rows

    @property
    def differing_areas(self) -> int:
        return sum(1 for a in self.areas if a.differs)

    @property
    def differing_items(self) -> int:
        return sum(1 for rows in self.items.values() for r in rows if r.differs)

    def rows(self, expanded: Collection[str] | Literal["all"] = (), *, differences_only: bool = False) -> list[Row]:
        """The area rows in order, each followed by its item rows when expanded; with differences_only,
        only rows where the pilots differ (an area that does not differ hides its items too)."""
        shown: list[Row] = []
        for area in self.areas:
            if differences_only and not area.differs:
                continue
            shown.append(area)
            if expanded == "all" or area.id in expanded:
                shown += [r for r in self.items[area.id] if r.differs or not differences_only]
        return shown


def area_status(statuses: Sequence[CoverageStatus]) -> CoverageStatus:
    """One status for an area: met when every item is met, waived or not applicable (waived or not
    applicable when all are), not assessed when nothing is, gap when nothing has progressed, else partial."""
    if not statuses:
        return CoverageStatus.NOT_APPLICABLE
    if all(s is CoverageStatus.NOT_APPLICABLE for s in statuses):
        return CoverageStatus.NOT_APPLICABLE
    if all(s in (CoverageStatus.WAIVED, CoverageStatus.NOT_APPLICABLE) for s in statuses):
        return CoverageStatus.WAIVED
    if all(s in _SATISFIED for s in statuses):
        return CoverageStatus.MET
    if all(s is CoverageStatus.NOT_ASSESSED for s in statuses):
        return CoverageStatus.NOT_ASSESSED
    if any(s in (CoverageStatus.MET, CoverageStatus.PARTIAL) for s in statuses):
        return CoverageStatus.PARTIAL
    return CoverageStatus.GAP


def _age(coverage: Coverage | None, now: datetime) -> int | None:
    if coverage is None or coverage.updated_at is None:
        return None
    return max(0, (now - coverage.updated_at).days)


def _item_cell(record: PilotRecord, item: Item, now: datetime) -> Cell:
    cov = record.coverage.get(item.id)
    status = cov.status if cov else CoverageStatus.NOT_ASSESSED
    return Cell(
        status=status,
        evidence=1 if cov and cov.evidence.strip() else 0,
        age_days=_age(cov, now),
        met=1 if status in _SATISFIED else 0,
    )


def _area_cell(cells: Sequence[Cell], score: float | None) -> Cell:
    ages = [c.age_days for c in cells if c.age_days is not None]
    return Cell(
        status=area_status([c.status for c in cells]),
        evidence=sum(c.evidence for c in cells),
        age_days=min(ages) if ages else None,
        score=score,
        met=sum(c.met for c in cells),
        total=len(cells),
    )


def _differs(cells: Sequence[Cell | None]) -> bool:
    return len({None if c is None else c.status for c in cells}) > 1


def _area_rows(
    area: Area,
    records: Sequence[PilotRecord],
    catalog: Catalog,
    scores: Sequence[dict[str, float | None]],
    now: datetime,
) -> tuple[Row, tuple[Row, ...]]:
    applies = [any(a.id == area.id for a in catalog.areas(r.pilot.high_impact)) for r in records]
    items: list[Row] = []
    for item in area.items:
        cells = tuple(_item_cell(r, item, now) if ok else None for r, ok in zip(records, applies, strict=True))
        items.append(Row(kind="item", id=item.id, area=area.id, label=item.text, cells=cells, differs=_differs(cells)))
    area_cells: list[Cell | None] = []
    for index, ok in enumerate(applies):
        if not ok:
            area_cells.append(None)
            continue
        own = [row.cells[index] for row in items]
        area_cells.append(_area_cell([c for c in own if c is not None], scores[index].get(area.id)))
    area_row = Row(
        kind="area",
        id=area.id,
        area=area.id,
        label=area.name,
        cells=tuple(area_cells),
        differs=any(r.differs for r in items),
    )
    return area_row, tuple(items)


def _column(record: PilotRecord, rules: GateRules, catalog: Catalog, now: datetime) -> PilotColumn:
    pilot = record.pilot
    score = readiness(catalog, record.coverage, pilot.high_impact)
    ordered = sorted(record.open_blockers, key=lambda b: (CATEGORY_WEIGHT[b.category], b.opened_at, b.tag))
    target = pilot.stage.next()
    return PilotColumn(
        id=pilot.id,
        name=pilot.name,
        stage=pilot.stage,
        days_in_stage=pilot.days_in_stage(now),
        high_impact=pilot.high_impact,
        readiness=score.percent,
        territory=pilot.territory,
        open_blockers=tuple(dict.fromkeys(b.tag for b in ordered)),
        next_stage=target,
        next_gate_passes=None if target is None else evaluate(record, target, rules, catalog).passed,
        distance=distance(record, Stage.PRODUCTION, rules, catalog),
    )


def _changes(distance: int) -> str:
    """The distance to production in its unit: the least changes that would pass every gate up to it."""
    return f"{distance} change" if distance == 1 else f"{distance} changes"


def _gate_text(column: PilotColumn) -> str:
    if column.next_stage is None:
        return "—"
    return f"{'✓' if column.next_gate_passes else '✗'} {column.next_stage.value}"


def summary_rows(columns: Sequence[PilotColumn]) -> tuple[SummaryRow, ...]:
    """The rows on top of the matrix, as the text each pilot's column shows."""
    values: list[tuple[str, str, tuple[str, ...]]] = [
        ("stage", "Stage", tuple(c.stage.value for c in columns)),
        ("days", "Days in stage", tuple(str(c.days_in_stage) for c in columns)),
        ("readiness", "Readiness", tuple(f"{c.readiness}%" for c in columns)),
        ("territory", "Territory", tuple(c.territory.value for c in columns)),
        ("blockers", "Open blockers", tuple(str(len(c.open_blockers)) for c in columns)),
        ("top_blocker", "Top blocker", tuple(c.open_blockers[0] if c.open_blockers else "—" for c in columns)),
        ("next_gate", "Next gate", tuple(_gate_text(c) for c in columns)),
        ("distance", "To production", tuple(_changes(c.distance) for c in columns)),
    ]
    return tuple(SummaryRow(key=k, label=label, values=v, differs=len(set(v)) > 1) for k, label, v in values)


def compare(records: Sequence[PilotRecord], catalog: Catalog, rules: GateRules, now: datetime) -> Comparison:
    """The comparison of the pilots, in the order given."""
    scores: list[dict[str, float | None]] = []
    for record in records:
        result = readiness(catalog, record.coverage, record.pilot.high_impact)
        scores.append({a.area: (a.score if a.counted else None) for a in result.areas})
    area_rows: list[Row] = []
    item_rows: dict[str, tuple[Row, ...]] = {}
    for area in catalog.areas(high_impact=True):
        area_row, items = _area_rows(area, records, catalog, scores, now)
        if all(c is None for c in area_row.cells):
            continue  # e.g. the M-25-21 practices when no pilot compared is high-impact
        area_rows.append(area_row)
        item_rows[area.id] = items
    columns = tuple(_column(r, rules, catalog, now) for r in records)
    return Comparison(pilots=columns, summary=summary_rows(columns), areas=tuple(area_rows), items=item_rows)


def cell_text(cell: Cell | None, *, kind: Literal["area", "item"] = "item") -> str:
    """A cell as short text: glyph, items met of the area, evidence count, days since the last change, each
    with its unit; e.g. '◐ 2/4 1ev 12d' (1 evidence note, 12 days since the last change). '·' where the
    row does not apply to the pilot."""
    if cell is None:
        return "·"
    parts = [cell.status.glyph]
    if kind == "area":
        parts.append(f"{cell.met}/{cell.total}")
    if cell.evidence:
        parts.append(f"{cell.evidence}ev")
    if cell.age_days is not None:
        parts.append(f"{cell.age_days}d")
    return " ".join(parts)
