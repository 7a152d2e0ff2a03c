"""`x` opens the export dialog from anywhere in the app (issue 6)."""

from __future__ import annotations

from textual.widgets import Input, Static

from caio_tui.store import Portfolio
from caio_tui.tui.dialogs.export import ExportDialog
from caio_tui.tui.screens.help import HelpScreen
from caio_tui.tui.screens.portfolio import PortfolioScreen
from helpers.tui import make_app, press, settle


async def test_x_opens_the_export_dialog_and_escape_closes_it(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "x")
        assert isinstance(app.screen, ExportDialog)
        await press(pilot, "x")  # a second x does not stack another dialog
        assert len([s for s in app.screen_stack if isinstance(s, ExportDialog)]) == 1
        await press(pilot, "escape")
        assert isinstance(app.screen, PortfolioScreen)


async def test_x_opens_the_export_dialog_from_another_view(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "5")  # the dashboard
        dashboard = app.screen
        await press(pilot, "x")
        assert isinstance(app.screen, ExportDialog)
        await press(pilot, "escape")
        assert app.screen is dashboard


async def test_x_typed_in_the_filter_is_text_not_export(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "slash", "x")
        assert not isinstance(app.screen, ExportDialog)
        assert app.screen.query_one("#filter", Input).value == "x"


async def test_help_lists_x_as_export(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        sections = [str(s.content) for s in app.screen.query(".help-section").results(Static)]
        anywhere = " ".join(next(s for s in sections if s.startswith("Anywhere")).split())  # descriptions wrap
        assert "x Export the portfolio (snapshot, CSV, Markdown, HTML briefing, OMB 2025 CSV)" in anywhere
