"""What the Compare view's two modes share (tui/screens/compare.py puts them together): the portfolio and
the app, the two tables and the heatmap's filter, which mode shows, and the loading indicator of the mode
that loads. compare_matrix.py (the marked pilots side by side) and compare_heatmap.py (the whole
portfolio) build on it."""

from __future__ import annotations

from typing import Literal

from textual.timer import Timer

from caio_tui.domain.coverage import Area
from caio_tui.store import Portfolio, StoreError
from caio_tui.tui.screens.view import ViewScreen
from caio_tui.tui.styles.rich_styles import Palette
from caio_tui.tui.widgets.filter_bar import FilterBar
from caio_tui.tui.widgets.virtual_table import VirtualTable

LOADING_AFTER_S = 0.1


class CompareBase(ViewScreen):
    """The Compare screen's shared state; the screen defines how a load starts and what the title says."""

    def __init__(self, portfolio: Portfolio) -> None:
        super().__init__(id="compare-view")
        self.portfolio = portfolio
        self.show_heatmap = False  # the heatmap although pilots are marked (`h`, or marking in the heatmap)
        self.showing: Literal["compare", "heatmap"] = "heatmap"
        self._marks_seen: list[str] = []
        self._serial = 0
        self._loading_timer: Timer | None = None

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

    def _show_mode(self) -> None:
        raise NotImplementedError  # the screen's

    def _show_title(self) -> None:
        raise NotImplementedError  # the screen's

    # ---- loading -------------------------------------------------------------------------------------

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

    def _failed(self, exc: StoreError, serial: int) -> None:
        if serial == self._serial:
            self._loaded()
            self.notify(str(exc), title="Cannot read the portfolio", severity="error", markup=False)
