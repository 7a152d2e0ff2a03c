"""The Commercial AI view (key 6): the COTS file's rows, and the empty state before one is imported."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from caio_tui.config import Settings
from caio_tui.io.inventory import import_file
from caio_tui.store import Portfolio
from caio_tui.tui.app import CaioApp
from helpers import REPO
from helpers.tui import settle

EXCERPT = REPO / "tests" / "data" / "omb" / "cots_2025_excerpt.csv"
SnapCompare = Callable[..., bool]


def app_for(portfolio: Portfolio) -> CaioApp:
    return CaioApp(portfolio.path, Settings(actor="tester"), clock=portfolio.clock, watch_interval=None)


async def to_commercial(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("6")
    await settle(pilot)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_commercial_view(snap_compare: SnapCompare, sample_portfolio: Portfolio, size: tuple[int, int]) -> None:
    import_file(sample_portfolio, EXCERPT)
    assert snap_compare(app_for(sample_portfolio), terminal_size=size, run_before=to_commercial)


async def test_empty_state_says_how_to_import(sample_portfolio: Portfolio) -> None:
    app = app_for(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await to_commercial(pilot)
        empty = app.screen.query_one("#commercial-empty", Static)
        assert empty.display and "No consolidated COTS file imported" in str(empty.render())
        assert not app.screen.query_one("#commercial-table", DataTable).display


async def test_an_agency_the_file_does_not_name_is_said_with_the_ones_it_does(sample_portfolio: Portfolio) -> None:
    from caio_tui.store.settings import set_agency

    import_file(sample_portfolio, EXCERPT)
    set_agency(sample_portfolio, abbr="TREAS", name="Department of the Treasury")
    app = app_for(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await to_commercial(pilot)
        empty = str(app.screen.query_one("#commercial-empty", Static).render())
        assert "TREAS has no row in cots_2025_excerpt.csv, which names CSOSA" in empty
        assert "caio-tui cots --agency all" in empty
        assert not app.screen.query_one("#commercial-table", DataTable).display
