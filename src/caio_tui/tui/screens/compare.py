"""The Compare view (key `3`, or `c` with pilots marked): what exactly separates a few pilots. One job (this
view's matrix and its keys) in one file, over 500 lines: its helpers are used nowhere else.

With pilots marked (`space` on the Portfolio or here), the marked pilots are columns and the requirement
areas rows, under summary rows (stage, readiness, territory, blockers, next gate, distance to production).
`enter` or `+` expands an area into its items, `d` keeps only the rows where the pilots differ, and
`←`/`→` scroll the pilots sideways when more are marked than fit.

With no pilot marked, the whole portfolio as a coverage heatmap: one pilot a row, one area a column,
paged from the store (only the visible pilots' coverage is read), sorted by readiness or by one area,
filtered with the table's tokens. Counting and sorting by an area run in a worker. The two tables:
tui/widgets/comparison/. Over 500 lines as one job: the Compare screen (its keys, marks, sort, loading).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, ClassVar, Literal, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.timer import Timer
from textual.widgets import Static

from caio_tui.domain.compare import Comparison, Row
from caio_tui.domain.coverage import Area
from caio_tui.domain.text import printable
from caio_tui.store import Portfolio, StoreError
from caio_tui.store.analytics import comparison, heatmap_order
from caio_tui.tui.screens.detail import PilotDetailScreen
from caio_tui.tui.screens.view import ViewScreen
from caio_tui.tui.styles.rich_styles import Palette
from caio_tui.tui.widgets.filter_bar import FilterBar
from caio_tui.tui.widgets.quiet_footer import QuietFooter
from caio_tui.tui.widgets.view_bar import ViewBar
from caio_tui.tui.widgets.virtual_table import Column, VirtualTable

if TYPE_CHECKING:
    from caio_tui.tui.host import CaioHost

from caio_tui.tui.widgets.comparison.heatmap import HeatmapSource, HeatQuery, heat_columns, heat_compact
from caio_tui.tui.widgets.comparison.matrix import WIDE_LABEL, MatrixTable, matrix_layout, matrix_rows

LOADING_AFTER_S = 0.1

HEAT_LEGEND = (
    "■ % of the area met (partial ½) · ? not assessed · – all waived or n/a · · does not apply · "
    "OMB: M-25-21 practices (high-impact)"
)

HEAT_FIXED_SORTS: tuple[str, ...] = ("readiness", "id", "name")
SORT_LABEL = {"readiness": "readiness", "id": "id", "name": "name"}


NO_MATCH = "No pilot matches the filter · esc clears it"
NO_PILOTS = "No pilots yet · 1: the Portfolio, where n adds one and ctrl+p loads a sample"


class CompareScreen(ViewScreen):
    """The marked pilots side by side, or the whole portfolio as a coverage heatmap when none is marked."""

    DEFAULT_CSS = """
    CompareScreen #compare-title {
        height: 1;
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    CompareScreen #compare-legend {
        height: auto;  /* it explains the cells' units: it wraps rather than cut at 80 columns */
        padding: 0 1;
        color: $text-muted;
    }
    /* The filter is the heatmap's: the comparison hides it, filtered or not. */
    CompareScreen #heat-filter-area { display: none; }
    CompareScreen.-heatmap.-filtering #heat-filter-area,
    CompareScreen.-heatmap.-filtered #heat-filter-area {
        display: block;
    }
    CompareScreen #matrix { display: block; }
    CompareScreen #heatmap { display: none; }
    CompareScreen.-heatmap #matrix { display: none; }
    CompareScreen.-heatmap #heatmap { display: block; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        # the comparison
        Binding("plus", "expand", "Expand", show=False, id="compare.expand", tooltip="Expand the area into its items"),
        Binding("minus", "collapse", "Collapse", show=False, id="compare.collapse", tooltip="Collapse the area"),
        Binding("a", "expand_all", "All items", id="compare.expand_all", tooltip="Expand or collapse every area"),
        Binding(
            "d", "differences", "Differences", id="compare.differences", tooltip="Only the rows where the pilots differ"
        ),
        Binding(
            "left,left_square_bracket",
            "scroll_pilots(-1)",
            "◀ Pilots",
            show=False,
            id="compare.scroll_left",
            tooltip="Scroll the compared pilots left",
        ),
        Binding(
            "right,right_square_bracket",
            "scroll_pilots(1)",
            "Pilots ▶",
            show=False,
            id="compare.scroll_right",
            tooltip="Scroll the compared pilots right",
        ),
        # `X`, not `x`: `x` is the app's export key, everywhere.
        Binding(
            "X", "clear_marks", "Clear marks", id="compare.clear_marks", tooltip="Clear the marks (back to the heatmap)"
        ),
        Binding("h", "heatmap", "Heatmap", id="compare.heatmap", tooltip="The heatmap of the whole portfolio"),
        # the heatmap
        Binding(
            "slash",
            "filter",
            "Filter",
            id="compare.filter",
            tooltip="Filter the heatmap (the table's tokens)",
        ),
        Binding(
            "escape", "clear_filter", "Clear filter", id="compare.clear_filter", tooltip="Clear the heatmap's filter"
        ),
        Binding("s", "sort_next", "Sort", id="compare.sort_next", tooltip="Sort the heatmap: readiness, name, areas"),
        Binding(
            "S", "sort_reverse", "Reverse sort", show=False, id="compare.sort_reverse", tooltip="Reverse the order"
        ),
        Binding(
            "space", "toggle_mark", "Mark", id="compare.toggle_mark", tooltip="Mark or unmark the pilot for comparison"
        ),
        Binding("c", "compare", "Compare", id="compare.compare", tooltip="Compare the marked pilots"),
    ]

    def __init__(self, portfolio: Portfolio) -> None:
        super().__init__(id="compare-view")
        self.portfolio = portfolio
        self.comparison: Comparison | None = None
        self.compared: list[str] = []  # the pilot ids the comparison was read for
        self.expanded: set[str] = set()
        self.differences_only = False
        self.first_pilot = 0
        self.heat_query = HeatQuery()
        self.heat_count: int | None = None
        self.show_heatmap = False  # the heatmap although pilots are marked (`h`, or marking in the heatmap)
        self.showing: Literal["compare", "heatmap"] = "heatmap"
        self._marks_seen: list[str] = []
        self._matrix_keys: list[str] = []
        self._serial = 0
        self._loading_timer: Timer | None = None

    @property
    def caio(self) -> CaioHost:
        return cast("CaioHost", self.app)

    @property
    def filter_bar(self) -> FilterBar:
        return self.query_one("#heat-filter-area", FilterBar)

    @property
    def matrix(self) -> VirtualTable:
        return self.query_one("#matrix", VirtualTable)

    @property
    def heatmap(self) -> VirtualTable:
        return self.query_one("#heatmap", VirtualTable)

    @property
    def mode(self) -> Literal["compare", "heatmap"]:
        """What the view shows: decided when it loads, so marking a pilot in the heatmap keeps the heatmap."""
        return self.showing

    @property
    def palette(self) -> Palette:
        return Palette.from_theme(self.app.theme_variables)

    def areas(self) -> list[Area]:
        return self.portfolio.catalog().areas(high_impact=True)

    # ---- building ------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield ViewBar("compare")
        yield Static("", id="compare-title")
        yield FilterBar(prefix="heat-filter", on_applied=self._filter_applied)
        yield MatrixTable([Column("label", "Requirement", WIDE_LABEL)], None, stretch_last=False, id="matrix")
        yield VirtualTable(
            heat_columns(self.areas(), self.app.size.width - 1),
            None,
            empty_message=NO_MATCH,
            stretch_last=False,
            id="heatmap",
        )
        yield Static("", id="compare-legend")
        yield QuietFooter()

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._redraw())
        self.load()

    def shown_again(self) -> None:
        # Marks changed on another view (`c` on the Portfolio comes here): compare them. A change of the
        # store made while the view was hidden is read now.
        if self.caio.marked_ids() != self._marks_seen:
            self.show_heatmap = False
            self.load()
        elif self._stale:
            self.load()
        else:
            self._show_mode()

    def on_resize(self) -> None:
        self.heatmap.set_columns(heat_columns(self.areas(), self.size.width - 1))
        source = self.heatmap.source
        if isinstance(source, HeatmapSource):
            compact = heat_compact(self.size.width - 1, len(self.areas()))
            if compact != source.compact:
                source.compact = compact
                self.heatmap.reload_pages()
        if self.mode == "compare":
            self._show_matrix()

    # ---- loading -------------------------------------------------------------------------------------

    def load(self) -> None:
        self._stale = False
        self._serial += 1
        self._marks_seen = self.caio.marked_ids()
        self.showing = "compare" if self._marks_seen and not self.show_heatmap else "heatmap"
        self._show_mode()
        if self._loading_timer is None:
            self._loading_timer = self.set_timer(LOADING_AFTER_S, self._show_loading)
        self.filter_bar.hold()  # typing meanwhile waits for this load
        if self.mode == "compare":
            self._load_comparison(self.caio.marked_ids(), self._serial)
        else:
            self._load_heatmap(self.heat_query, self._serial)

    def _show_loading(self) -> None:
        self._loading_timer = None
        self.matrix.loading = self.mode == "compare"
        self.heatmap.loading = self.mode == "heatmap"

    def _loaded(self) -> bool:
        """The load is over; True when the filter typed meanwhile starts the next one."""
        if self._loading_timer is not None:
            self._loading_timer.stop()
            self._loading_timer = None
        self.matrix.loading = False
        self.heatmap.loading = False
        return self.filter_bar.release()

    @work(exclusive=True, group="compare.load")
    async def _load_comparison(self, ids: list[str], serial: int) -> None:
        try:
            found, missing = await asyncio.to_thread(_read_comparison, self.portfolio, ids)
        except StoreError as exc:
            self._failed(exc, serial)
            return
        if serial != self._serial:
            return
        for gone in missing:  # a marked pilot that no longer exists (undone, or removed elsewhere)
            if gone in self.caio.marked:
                self.caio.toggle_mark(gone)
        if self._loaded():
            return  # the filter typed meanwhile loads now: its result is the one to show
        if found is None:
            self.load()  # nothing left to compare: the heatmap
            return
        self.comparison = found
        self.compared = [p.id for p in found.pilots] if found else []
        self.first_pilot = min(self.first_pilot, max(0, len(self.compared) - 1))
        self._show_mode()
        self._show_matrix(keep_cursor=True)

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

    def _failed(self, exc: StoreError, serial: int) -> None:
        if serial == self._serial:
            self._loaded()
            self.notify(str(exc), title="Cannot read the portfolio", severity="error", markup=False)

    # ---- drawing -------------------------------------------------------------------------------------

    def _redraw(self) -> None:
        if self.mode == "compare":
            self._show_matrix(keep_cursor=True)
        else:
            self.load()

    def _show_mode(self) -> None:
        heat = self.mode == "heatmap"
        self.set_class(heat, "-heatmap")
        table = self.heatmap if heat else self.matrix
        if not (heat and self.has_class("-filtering")):
            table.focus()
        self._show_title()
        self.refresh_bindings()

    def window(self) -> range:
        if self.comparison is None:
            return range(0)
        layout = matrix_layout(self.size.width - 1, len(self.comparison.pilots))
        first = max(0, min(self.first_pilot, len(self.comparison.pilots) - layout.visible))
        self.first_pilot = first
        return range(first, first + layout.visible)

    def shown_rows(self) -> list[Row]:
        if self.comparison is None:
            return []
        return self.comparison.rows(self.expanded, differences_only=self.differences_only)

    def _show_matrix(self, *, keep_cursor: bool = True) -> None:
        from caio_tui.tui.widgets.virtual_table import SequenceSource

        found = self.comparison
        if found is None:
            return
        window = self.window()
        layout = matrix_layout(self.size.width - 1, len(found.pilots))
        columns = [Column("label", "Requirement", layout.label_width)]
        columns += [Column(found.pilots[i].id, found.pilots[i].id, layout.pilot_width) for i in window]
        table = self.matrix
        if tuple(columns) != table.columns:
            table.set_columns(columns)
        rows = matrix_rows(found, self.shown_rows(), window, self.expanded, self.palette)
        self._matrix_keys = [r.key for r in rows]
        table.set_source(SequenceSource(rows), keep_cursor_key=keep_cursor)
        self._show_title()

    def _show_title(self) -> None:
        title = self.query_one("#compare-title", Static)
        legend = self.query_one("#compare-legend", Static)
        if self.mode == "heatmap":
            title.update(self._heat_title())
            legend.update(Content(HEAT_LEGEND))
            return
        found = self.comparison
        if found is None:
            # The first frame already says what is compared: the marks are known before the records are read.
            marked = len(self._marks_seen)
            title.update(Content.assemble(("Compare", "bold"), f" · {marked} pilot(s) · ", ("loading…", "$text-muted")))
            return
        window = self.window()
        parts: list[Content | tuple[str, str] | str] = [("Compare", "bold"), f" · {len(found.pilots)} pilot(s)"]
        if len(window) < len(found.pilots):
            parts += [f" · showing {window.start + 1}–{window.stop} ", ("←/→", "bold")]
        parts += [" · ", (f"{found.differing_areas}", "bold $text-warning"), " area(s), "]
        parts += [(f"{found.differing_items}", "bold $text-warning"), " item(s) differ"]
        if self.differences_only:
            parts += [" · ", ("differences only", "bold $text-accent")]
        title.update(Content.assemble(*parts))
        legend.update(
            Content(
                "≠ differ ✓ met ◐ partial ✗ gap ? not assessed W waived – n/a · 2/4 items met · "
                "3ev evidence · 9d since changed"
            )
        )

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

    # ---- the comparison's keys -----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        compare_only = ("expand", "collapse", "expand_all", "differences", "scroll_pilots", "clear_marks")
        heat_only = ("filter", "sort_next", "sort_reverse", "toggle_mark")
        if action in compare_only:
            if self.mode != "compare":
                return False
            if action == "scroll_pilots":
                return self._can_scroll(cast(int, parameters[0]) if parameters else 0)
            return True
        if action in heat_only:
            return self.mode == "heatmap"
        if action == "clear_filter":
            return self.mode == "heatmap" and (self.filter_bar.is_filtered or self.filter_bar.is_open)
        if action == "compare":
            return self.mode == "heatmap" and bool(self.caio.marked)
        if action == "heatmap":
            return self.mode == "compare"
        return True

    def _can_scroll(self, step: int) -> bool:
        if self.comparison is None:
            return False
        window = self.window()
        if step < 0:
            return window.start > 0
        return window.stop < len(self.comparison.pilots)

    def _cursor_area(self) -> str | None:
        """The area of the cursor row (the row's own for an item)."""
        key = self.matrix.cursor_key or ""
        kind, _, ident = key.partition(":")
        if kind == "area":
            return ident
        if kind == "item" and self.comparison is not None:
            return next((a for a, rows in self.comparison.items.items() if any(r.id == ident for r in rows)), None)
        return None

    @on(VirtualTable.RowActivated, "#matrix")
    def _activated(self, event: VirtualTable.RowActivated) -> None:
        kind, _, area = event.key.partition(":")
        if kind == "area":
            self._set_expanded(area, area not in self.expanded)

    def action_expand(self) -> None:
        area = self._cursor_area()
        if area is not None:
            self._set_expanded(area, True)

    def action_collapse(self) -> None:
        area = self._cursor_area()
        if area is not None and area in self.expanded:
            self._set_expanded(area, False)
            if f"area:{area}" in self._matrix_keys:
                self.matrix.move_cursor(self._matrix_keys.index(f"area:{area}"))

    def _set_expanded(self, area: str, expanded: bool) -> None:
        if expanded:
            self.expanded.add(area)
        else:
            self.expanded.discard(area)
        self._show_matrix()

    def action_expand_all(self) -> None:
        if self.comparison is None:
            return
        every = {a.id for a in self.comparison.areas}
        self.expanded = set() if self.expanded >= every else every
        self._show_matrix()

    def action_differences(self) -> None:
        self.differences_only = not self.differences_only
        if self.differences_only and self.comparison is not None and not self.comparison.differing_areas:
            self.notify("The pilots do not differ on any requirement", markup=False)
        self._show_matrix()

    def action_scroll_pilots(self, step: int) -> None:
        if not self._can_scroll(step):
            return
        self.first_pilot += step
        self._show_matrix()
        self.refresh_bindings()

    def action_clear_marks(self) -> None:
        self.show_heatmap = False
        self.caio.clear_marks()  # tells every view, this one included
        self.notify("Marks cleared: the heatmap shows the whole portfolio", markup=False)

    def action_heatmap(self) -> None:
        self.show_heatmap = True
        self.load()

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


def _read_comparison(portfolio: Portfolio, ids: list[str]) -> tuple[Comparison | None, list[str]]:
    """Runs in a worker: the comparison of the marked pilots that still exist, and those that do not."""
    missing: list[str] = []
    present: list[str] = []
    for pilot_id in ids:
        try:
            portfolio.get(pilot_id)
        except StoreError:
            missing.append(pilot_id)
        else:
            present.append(pilot_id)
    return (comparison(portfolio, present) if present else None), missing


def _read_heatmap(portfolio: Portfolio, query: HeatQuery) -> tuple[int, list[str] | None]:
    """Runs in a worker: how many pilots the filter keeps and, sorted by an area, their order."""
    if query.sort in HEAT_FIXED_SORTS:
        return portfolio.count(query.filter), None
    order = heatmap_order(portfolio, query.filter, query.sort, descending=query.descending)
    return len(order), order


__all__ = ["CompareScreen", "HeatQuery", "HeatmapSource", "matrix_layout", "matrix_rows"]
