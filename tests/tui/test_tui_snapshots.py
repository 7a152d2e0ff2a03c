"""SVG snapshots of the app shell's screens at 120x40 and 80x24 (fixed clock, so days in stage never drift).

Update with `pytest tests/tui/test_tui_snapshots.py --snapshot-update`, look at the SVGs, then run without.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from caio_tui.config import Settings
from caio_tui.store import Portfolio
from caio_tui.tui.app import CaioApp
from helpers.tui import pressing, settle

SIZES = [(120, 40), (80, 24)]
LINGER = 0.3  # past the filter's 150 ms pause, so a late timer cannot change the picture
SnapCompare = Callable[..., bool]


def app_for(portfolio: Portfolio, theme: str = "textual-dark") -> CaioApp:
    return CaioApp(portfolio.path, Settings(actor="tester", theme=theme), clock=portfolio.clock, watch_interval=None)


@pytest.mark.parametrize("size", SIZES)
def test_portfolio(snap_compare: SnapCompare, sample_portfolio: Portfolio, size: tuple[int, int]) -> None:
    assert snap_compare(app_for(sample_portfolio), terminal_size=size, run_before=settle)


def test_portfolio_light(snap_compare: SnapCompare, sample_portfolio: Portfolio) -> None:
    assert snap_compare(app_for(sample_portfolio, "textual-light"), terminal_size=(120, 40), run_before=settle)


@pytest.mark.parametrize("size", SIZES)
def test_portfolio_filtered_sorted_and_marked(
    snap_compare: SnapCompare, sample_portfolio: Portfolio, size: tuple[int, int]
) -> None:
    keys = ("space", "j", "space", "slash", *"territory:infrastructure", "enter", "s", "s", "s", "s", "S")
    assert snap_compare(app_for(sample_portfolio), terminal_size=size, run_before=pressing(*keys, linger=LINGER))


def test_portfolio_bad_filter_token(snap_compare: SnapCompare, sample_portfolio: Portfolio) -> None:
    keys = ("slash", *"stage:piolt", "enter")

    async def run_before(pilot: Pilot[Any]) -> None:
        await pressing(*keys, linger=LINGER)(pilot)
        # The input keeps the focus: stop its cursor blinking, or the picture depends on when it is taken.
        pilot.app.screen.query_one("#filter", Input).cursor_blink = False
        await settle(pilot)

    assert snap_compare(app_for(sample_portfolio), terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_empty_portfolio(snap_compare: SnapCompare, portfolio: Portfolio, size: tuple[int, int]) -> None:
    assert snap_compare(app_for(portfolio), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES)
def test_help(snap_compare: SnapCompare, sample_portfolio: Portfolio, size: tuple[int, int]) -> None:
    run_before = pressing("question_mark", linger=LINGER)
    assert snap_compare(app_for(sample_portfolio), terminal_size=size, run_before=run_before)
