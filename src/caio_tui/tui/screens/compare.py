"""The Compare view (key `3`, or `c` with pilots marked): what exactly separates a few pilots, or, with no
pilot marked, the whole portfolio as a coverage heatmap. This module is the screen: its keys, its layout,
and which of the two modes shows and loads. Each mode is a job of its own: the marked pilots side by side
in compare_matrix.py, the heatmap in compare_heatmap.py, what they share in compare_base.py; their tables
in tui/widgets/comparison/.
"""

from __future__ import annotations

from typing import ClassVar, cast

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import Static

from caio_tui.tui.screens.compare_base import LOADING_AFTER_S
from caio_tui.tui.screens.compare_heatmap import HEAT_LEGEND, NO_MATCH, NO_PILOTS, HeatmapMode
from caio_tui.tui.screens.compare_matrix import MATRIX_LEGEND, ComparisonMode
from caio_tui.tui.widgets.comparison.heatmap import HeatmapSource, HeatQuery, heat_columns, heat_compact
from caio_tui.tui.widgets.comparison.matrix import WIDE_LABEL, MatrixTable, matrix_layout, matrix_rows
from caio_tui.tui.widgets.filter_bar import FilterBar
from caio_tui.tui.widgets.quiet_footer import QuietFooter
from caio_tui.tui.widgets.view_bar import ViewBar
from caio_tui.tui.widgets.virtual_table import Column, VirtualTable


class CompareScreen(ComparisonMode, HeatmapMode):
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

    def _show_title(self) -> None:
        title = self.query_one("#compare-title", Static)
        legend = self.query_one("#compare-legend", Static)
        if self.mode == "heatmap":
            title.update(self._heat_title())
            legend.update(Content(HEAT_LEGEND))
        elif self.comparison is None:
            title.update(self._loading_title())
        else:
            title.update(self._matrix_title(self.comparison))
            legend.update(Content(MATRIX_LEGEND))

    # ---- which keys apply ----------------------------------------------------------------------------

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


__all__ = ["NO_PILOTS", "CompareScreen", "HeatQuery", "HeatmapSource", "matrix_layout", "matrix_rows"]
