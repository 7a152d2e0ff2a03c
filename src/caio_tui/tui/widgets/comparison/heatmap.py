"""The whole portfolio as a coverage heatmap: one pilot a row, one area a column, a row source that reads
only the visible pilots' coverage from the store, sorted by readiness or by one area, filtered with the
table's tokens."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.text import Text

from caio_tui.domain.coverage import Area
from caio_tui.domain.filters import PilotFilter
from caio_tui.domain.text import printable
from caio_tui.store import Portfolio
from caio_tui.store.analytics import HeatmapRow, heatmap_page, heatmap_rows
from caio_tui.tui.styles.rich_styles import Palette, score_style
from caio_tui.tui.widgets.virtual_table import Column, TableRow

HEAT_CELL = 6  # '■ 100%'
HEAT_CELL_COMPACT = 4  # ' 100'

# Short headings of the default areas in the heatmap; an area of a user's framework shows its id.
AREA_SHORT: dict[str, str] = {
    "access": "Access",
    "audit": "Audit",
    "governance": "Gov",
    "lifecycle": "Life",
    "scalability": "Scale",
    "ato": "ATO",
    "data": "Data",
    "system_identity": "SysID",
    "hi": "OMB",  # the M-25-21 minimum practices (high-impact pilots only)
}

AREA_COMPACT: dict[str, str] = {
    "access": "Acc",
    "audit": "Aud",
    "governance": "Gov",
    "lifecycle": "Life",
    "scalability": "Scal",
    "ato": "ATO",
    "data": "Data",
    "system_identity": "SyID",
    "hi": "OMB",
}


@dataclass(frozen=True)
class HeatQuery:
    filter: PilotFilter = field(default_factory=PilotFilter)
    sort: str = "readiness"  # readiness, id, name or an area id
    descending: bool = True


def heat_compact(width: int, areas: int) -> bool:
    """Narrow terminals get 4-cell area columns (percent only) so the name keeps some room."""
    return width - 2 - 10 - 8 - areas * (HEAT_CELL + 1) < 20


def heat_columns(areas: list[Area], width: int) -> tuple[Column, ...]:
    compact = heat_compact(width, len(areas))
    cell = HEAT_CELL_COMPACT if compact else HEAT_CELL
    name = max(10, min(36, width - 2 - 10 - 8 - len(areas) * (cell + 1) - 1))
    fixed = (
        Column("id", "ID", 9),
        Column("name", "Name", name, min_width=10),
        Column("readiness", "Ready", 7, align="right"),
    )
    short = AREA_COMPACT if compact else AREA_SHORT
    return fixed + tuple(Column(a.id, short.get(a.id, a.id[:cell]), cell, align="right") for a in areas)


class HeatmapSource:
    """Pilots as rows, areas as columns: each page reads its pilots and their coverage only. When the
    order is by an area, `order` holds the ids in that order (computed once, in a worker)."""

    def __init__(
        self,
        portfolio: Portfolio,
        query: HeatQuery,
        areas: list[Area],
        *,
        count: int,
        order: list[str] | None,
        marked: dict[str, None],
        palette: Palette,
        compact: bool = False,
    ) -> None:
        self.compact = compact
        self.portfolio = portfolio
        self.query = query
        self.areas = areas
        self.marked = marked
        self.palette = palette
        self._count = count
        self._order = order

    def count(self) -> int:
        return self._count

    def page(self, offset: int, limit: int) -> list[TableRow]:
        if self._order is not None:
            found = heatmap_rows(self.portfolio, self._order[offset : offset + limit])
        else:
            q = self.query
            found = heatmap_page(
                self.portfolio, q.filter, sort=q.sort, descending=q.descending, offset=offset, limit=limit
            )
        return [TableRow(r.pilot.id, self.cells(r), r.pilot.id in self.marked) for r in found]

    def index_of(self, key: str) -> int | None:
        if self._order is not None:
            return self._order.index(key) if key in self._order else None
        return None

    def cells(self, row: HeatmapRow) -> tuple[str | Text, ...]:
        percent = round(row.readiness * 100)
        ready = Text(f"{percent}%", style=score_style(row.readiness, self.palette))
        applies = {a.id for a in self.catalog_areas(row.pilot.high_impact)}
        areas = [self._area(row.areas.get(a.id), a.id in applies, a.id in row.unassessed) for a in self.areas]
        return (row.pilot.id, printable(row.pilot.name), ready, *areas)

    def catalog_areas(self, high_impact: bool) -> list[Area]:
        return self.portfolio.catalog().areas(high_impact)

    def _area(self, score: float | None, applies: bool, unassessed: bool = False) -> Text:
        if not applies:
            return Text("·", style=self.palette.muted)
        if unassessed:  # nobody has looked: a question mark in the muted colour, never a red gap
            return Text("?", style=self.palette.muted)
        if score is None:  # every item waived or not applicable
            return Text("–", style=self.palette.accent)
        if self.compact:
            return Text(f"{round(score * 100)}", style=score_style(score, self.palette))
        return Text.assemble(("■", score_style(score, self.palette)), f" {round(score * 100):>3}%")
