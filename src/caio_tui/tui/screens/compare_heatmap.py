"""The Compare view's heatmap (tui/screens/compare.py, shown while no pilot is marked, or with `h`): the
whole portfolio's coverage, one pilot a row and one area a column, paged from the store (only the visible
pilots' coverage is read), sorted by readiness, id, name or one area, filtered with the table's tokens.
Counting and sorting by an area run in a worker. Its keys mark pilots (`space`), compare the marked (`c`),
sort (`s`, `S`, a click on a column) and filter (`/`). The table's rows and columns:
tui/widgets/comparison/heatmap.py."""

from __future__ import annotations

import asyncio

from textual import on, work
from textual.content import Content

from caio_tui.domain.text import printable
from caio_tui.store import Portfolio, StoreError
from caio_tui.store.analytics import heatmap_order
from caio_tui.tui.screens.compare_base import CompareBase
from caio_tui.tui.screens.detail import PilotDetailScreen
from caio_tui.tui.widgets.comparison.heatmap import HeatmapSource, HeatQuery, heat_compact
from caio_tui.tui.widgets.filter_bar import FilterBar
from caio_tui.tui.widgets.virtual_table import VirtualTable

HEAT_LEGEND = (
    "■ % of the area met (partial ½) · ? not assessed · – all waived or n/a · · does not apply · "
    "OMB: M-25-21 practices (high-impact)"
)

HEAT_FIXED_SORTS: tuple[str, ...] = ("readiness", "id", "name")
SORT_LABEL = {"readiness": "readiness", "id": "id", "name": "name"}


NO_MATCH = "No pilot matches the filter · esc clears it"
NO_PILOTS = "No pilots yet · 1: the Portfolio, where n adds one and ctrl+p loads a sample"


class HeatmapMode(CompareBase):
    """The coverage heatmap of the whole portfolio: its query, read, title and keys."""

    def __init__(self, portfolio: Portfolio) -> None:
        super().__init__(portfolio)
        self.heat_query = HeatQuery()
        self.heat_count: int | None = None

    @work(exclusive=True, group="compare.load")
    async def _load_heatmap(self, query: HeatQuery, serial: int) -> None:
        try:
            count, order = await asyncio.to_thread(_read_heatmap, self.portfolio, query)
        except StoreError as exc:
            self._failed(exc, serial)
            return
        if serial != self._serial:
            return
        if self._loaded():
            return  # the filter typed meanwhile loads now: showing this result would only delay it
        self.heat_count = count
        # An empty heatmap says why: the filter, or a portfolio with no pilots yet (no filter to blame).
        self.heatmap.empty_message = NO_MATCH if not query.filter.is_empty else NO_PILOTS
        source = HeatmapSource(
            self.portfolio,
            query,
            self.areas(),
            count=count,
            order=order,
            marked=self.caio.marked,
            palette=self.palette,
            compact=heat_compact(self.size.width - 1, len(self.areas())),
        )
        self.heatmap.set_source(source, keep_cursor_key=True)
        self.heatmap.set_sort(query.sort, query.descending)
        self._show_mode()

    def _heat_title(self) -> Content:
        q = self.heat_query
        arrow = "▼" if q.descending else "▲"
        sort = SORT_LABEL.get(q.sort) or self._area_name(q.sort)
        parts: list[Content | tuple[str, str] | str] = [("Coverage heatmap", "bold")]
        if self.heat_count is None:
            parts.append(" · loading…")
        else:
            parts += [" · ", (f"{self.heat_count:,}", "bold"), " pilot(s)"]
        parts += [" · sort: ", (f"{printable(sort)} {arrow}", "bold")]
        if self.caio.marked:
            parts += [" · ", (f"{len(self.caio.marked)} marked", "bold $text-accent"), " (c compares)"]
        else:
            parts += [" · mark pilots with ", ("space", "bold"), " to compare them"]
        return Content.assemble(*parts)

    def _area_name(self, area_id: str) -> str:
        return next((a.name for a in self.areas() if a.id == area_id), area_id)

    # ---- the heatmap's keys --------------------------------------------------------------------------

    def action_compare(self) -> None:
        if not self.caio.marked:
            self.notify("Mark pilots with space first, then c compares them.", severity="warning")
            return
        self.show_heatmap = False
        self.load()

    def action_toggle_mark(self) -> None:
        key = self.heatmap.cursor_key
        if key is None:
            return
        self.caio.toggle_mark(key)
        self.show_heatmap = bool(self.caio.marked)  # stay in the heatmap: `c` compares
        self._marks_seen = self.caio.marked_ids()
        self.heatmap.reload_pages()
        self.heatmap.action_cursor_down()
        self._show_title()
        self.refresh_bindings()

    @on(VirtualTable.RowActivated, "#heatmap")
    def _open_pilot(self, event: VirtualTable.RowActivated) -> None:
        self.app.push_screen(PilotDetailScreen(self.portfolio, event.key))

    def sorts(self) -> list[str]:
        return [*HEAT_FIXED_SORTS, *(a.id for a in self.areas())]

    def action_sort_next(self) -> None:
        sorts = self.sorts()
        current = sorts.index(self.heat_query.sort) if self.heat_query.sort in sorts else -1
        following = sorts[(current + 1) % len(sorts)]
        self._sort(following, following != "id" and following != "name")

    def action_sort_reverse(self) -> None:
        self._sort(self.heat_query.sort, not self.heat_query.descending)

    @on(VirtualTable.HeaderSelected, "#heatmap")
    def _header_clicked(self, event: VirtualTable.HeaderSelected) -> None:
        if event.column_key in self.sorts():
            same = event.column_key == self.heat_query.sort
            self._sort(event.column_key, not self.heat_query.descending if same else True)

    def _sort(self, sort: str, descending: bool) -> None:
        self.heat_query = HeatQuery(self.heat_query.filter, sort, descending)
        self.heatmap.set_sort(sort, descending)
        self.load()

    def action_filter(self) -> None:
        self.filter_bar.open()

    def _filter_applied(self, event: FilterBar.Applied) -> None:
        self.heat_query = HeatQuery(event.filter, self.heat_query.sort, self.heat_query.descending)
        self.load()

    @on(FilterBar.Done, "#heat-filter-area")
    @on(FilterBar.Cleared, "#heat-filter-area")
    def _filter_closed(self) -> None:
        self.heatmap.focus()
        self.refresh_bindings()

    def action_clear_filter(self) -> None:
        self.filter_bar.clear()
        self._filter_closed()


def _read_heatmap(portfolio: Portfolio, query: HeatQuery) -> tuple[int, list[str] | None]:
    """Runs in a worker: how many pilots the filter keeps and, sorted by an area, their order."""
    if query.sort in HEAT_FIXED_SORTS:
        return portfolio.count(query.filter), None
    order = heatmap_order(portfolio, query.filter, query.sort, descending=query.descending)
    return len(order), order
