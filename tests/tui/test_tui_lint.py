"""The inventory lint screen (key i, the palette): findings grouped by use case, enter opens the pilot,
an empty portfolio says "No findings"; SVG snapshots at 120x40 and 80x24."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from caio_tui.store import Portfolio
from caio_tui.tui.palette import commands_for
from caio_tui.tui.screens.detail import PilotDetailScreen
from caio_tui.tui.screens.lint import LintScreen
from helpers.tui import make_app, pressing, settle, still, until

SIZES = [(120, 40), (80, 24)]
SnapCompare = Callable[..., bool]


async def test_enter_on_a_finding_opens_its_pilot(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("i")
        await until(pilot, lambda: isinstance(app.screen, LintScreen) and app.screen.report is not None)
        screen = app.screen
        assert isinstance(screen, LintScreen) and screen.report is not None
        keys = [row.key for row in screen.table.source.page(0, 1000)]  # type: ignore[union-attr]
        first = next(i for i, key in enumerate(keys) if not key.startswith("#"))
        assert first == 2  # the agency's two inventory-wide findings come first, and open nothing
        await pilot.press("enter")
        assert isinstance(app.screen, LintScreen)
        for _ in range(first):
            await pilot.press("j")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PilotDetailScreen)
        assert app.screen.pilot_id == keys[first].rpartition("#")[0]


async def test_an_empty_portfolio_has_no_findings_and_the_palette_offers_the_lint(portfolio: Portfolio) -> None:
    app = make_app(portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        lint = next(c for c in commands_for(app, app.screen) if c.title.startswith("Lint the inventory"))
        lint.run()
        await until(pilot, lambda: isinstance(app.screen, LintScreen) and app.screen.report is not None)
        screen = app.screen
        assert isinstance(screen, LintScreen)
        assert screen.table.source.count() == 0  # type: ignore[union-attr]
        assert screen.table.empty_message == "No findings"


@pytest.mark.parametrize("size", SIZES, ids=["120x40", "80x24"])
def test_snapshot_lint(snap_compare: SnapCompare, sample_portfolio: Portfolio, size: tuple[int, int]) -> None:
    async def linted(pilot: Pilot[Any]) -> None:
        # The screen is imported and pushed on first use, then lints in a worker: wait for its report.
        await pressing("i")(pilot)
        await until(pilot, lambda: isinstance(pilot.app.screen, LintScreen) and pilot.app.screen.report is not None)
        await still(pilot)

    assert snap_compare(make_app(sample_portfolio), terminal_size=size, run_before=linted)
