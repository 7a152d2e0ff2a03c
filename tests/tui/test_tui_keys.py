"""Keys a user can change and keys a user expects: the config file's [keymap] in the app, its help and its
footer; ctrl+c; quitting while long work runs; the keys that matter first in each footer at 80 columns."""

from __future__ import annotations

import asyncio
from typing import Any

from textual.widgets import Static
from textual.widgets._footer import FooterKey

from caio_tui.config import Settings
from caio_tui.store import Portfolio
from caio_tui.tui.dialogs.pilot_form import PilotForm
from caio_tui.tui.dialogs.questions import ConfirmScreen
from caio_tui.tui.screens.compare import NO_PILOTS
from caio_tui.tui.screens.help import HelpScreen
from caio_tui.tui.screens.portfolio import PortfolioScreen
from helpers.tui import make_app, press, settle, until


def help_text(app: Any) -> str:
    return " ".join("\n".join(str(s.content) for s in app.screen.query(".help-section").results(Static)).split())


def footer(app: Any) -> list[str]:
    """The footer's keys as drawn, left to right: `key description`."""
    return [f"{w.key_display} {w.description}".strip() for w in app.screen.query(FooterKey)]


async def test_a_keymap_moves_a_key_in_the_app_its_help_and_its_footer(sample_portfolio: Portfolio) -> None:
    settings = Settings(actor="tester", keymap={"app.undo": "z", "portfolio.new_pilot": "ctrl+n"})
    app = make_app(sample_portfolio, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "z Undo" in footer(app) and "u Undo" not in footer(app)
        await press(pilot, "ctrl+n")
        assert isinstance(app.screen, PilotForm)
        await press(pilot, "escape", "question_mark")
        assert isinstance(app.screen, HelpScreen)
        shown = help_text(app)
        assert "z Undo your last change" in shown and "u Undo your last change" not in shown
        assert "^n New pilot" in shown


async def test_g_and_shift_g_move_through_the_help(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "question_mark", "G")
        body = app.screen.query_one("#help-body")
        assert body.scroll_y == body.max_scroll_y > 0
        await press(pilot, "g")
        assert body.scroll_y == 0
        assert "stalled In pilot or readiness for over 180 days (stalled_days in config.toml)" in help_text(app)


async def test_the_keys_that_matter_come_first_in_the_footer_at_80_columns(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert footer(app)[:5] == ["> Promote", "b Blocker", "/ Filter", "n New", "u Undo"]
        await press(pilot, "j", "j", "j", "enter", "tab")  # DCS-004, its blockers
        await until(pilot, lambda: "r Resolve" in footer(app))
        assert footer(app)[:2] == ["r Resolve", "> Promote"] and "u Undo" in footer(app)
        await press(pilot, "2")
        await until(pilot, lambda: "> Promote" in footer(app))
        assert "u Undo" in footer(app)


async def test_ctrl_c_asks_before_quitting_while_an_import_runs(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        done = asyncio.Event()
        app.run_worker(done.wait(), group="commands.transfer")
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "an import" in app.screen.question
        await pilot.press("n")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, PortfolioScreen)
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert not app.is_running


async def test_an_empty_compare_does_not_blame_a_filter(portfolio: Portfolio) -> None:
    app = make_app(portfolio)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "3")
        await until(pilot, lambda: app.screen.heat_count == 0)
        assert app.screen.heatmap.empty_message == NO_PILOTS
