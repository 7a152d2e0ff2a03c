"""The app shell: views, keys that work anywhere, help, the command palette, theme, samples, export, import."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from textual.binding import Binding
from textual.content import Content
from textual.widgets import Input, Static

from caio_tui.config import Settings, config_path, load_settings
from caio_tui.domain.stages import Stage
from caio_tui.store import Portfolio, PortfolioError
from caio_tui.tui.app import CaioApp
from caio_tui.tui.dialogs.blocker_picker import BlockerPicker
from caio_tui.tui.dialogs.coverage_edit import CoverageEditor
from caio_tui.tui.dialogs.export import ExportDialog
from caio_tui.tui.dialogs.gate import GateModal
from caio_tui.tui.dialogs.import_file import ImportScreen
from caio_tui.tui.dialogs.pilot_form import PilotForm
from caio_tui.tui.dialogs.questions import ConfirmScreen, PathPrompt
from caio_tui.tui.navigation import VIEWS
from caio_tui.tui.palette import commands_for
from caio_tui.tui.screens.detail import PilotDetailScreen
from caio_tui.tui.screens.help import HelpScreen, help_sections
from caio_tui.tui.screens.portfolio import FilterInput, PortfolioScreen
from caio_tui.tui.screens.snapshot_diff import SnapshotDiffScreen
from caio_tui.tui.widgets.virtual_table import VirtualTable
from helpers.tui import make_app, press, run_command, settle, until


def plain(widget: Static) -> str:
    content = widget.content
    return content.plain if isinstance(content, Content) else str(content)


def row_count(app: CaioApp) -> int:
    return app.screen.query_one("#pilots", VirtualTable).row_count


# ---- views ----------------------------------------------------------------------------------------------


async def test_number_keys_switch_views(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.current_mode == "portfolio"
        for view in VIEWS:
            await press(pilot, view.key)
            assert app.current_mode == view.id
        await press(pilot, "1")
        assert isinstance(app.screen, PortfolioScreen)


async def test_1_from_the_detail_goes_back_to_the_table(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "enter")
        assert isinstance(app.screen, PilotDetailScreen)
        await press(pilot, "1")
        assert isinstance(app.screen, PortfolioScreen)


async def test_views_keep_their_place(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "j", "j", "2", "1")
        assert app.screen.query_one("#pilots", VirtualTable).cursor_key == "DCS-003"


# ---- quit and back --------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["q", "ctrl+q", "ctrl+c"])
async def test_q_ctrl_q_and_ctrl_c_quit(sample_portfolio: Portfolio, key: str) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press(key)
        await pilot.pause()
        assert not app.is_running


@pytest.mark.parametrize("key", ["q", "ctrl+q", "escape"])
async def test_on_a_modal_q_and_escape_go_back(sample_portfolio: Portfolio, key: str) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "j", "j", "j", "greater_than_sign")  # the gate of DCS-004: no input focused
        assert isinstance(app.screen, GateModal)
        await press(pilot, key)
        assert app.is_running
        assert isinstance(app.screen, PortfolioScreen)
        assert sample_portfolio.get("DCS-004").stage is Stage.PILOT


async def test_ctrl_q_quits_from_the_detail(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "enter")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not app.is_running


async def test_view_keys_wait_while_a_dialog_is_open(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "j", "j", "j", "greater_than_sign", "2", "u")
        assert isinstance(app.screen, GateModal)
        assert app.current_mode == "portfolio"
        assert sample_portfolio.count() == 30  # u undid nothing (it used to undo the sample load behind the dialog)


# ---- help -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["question_mark", "f1"])
async def test_help_opens_and_closes(sample_portfolio: Portfolio, key: str) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, key)
        assert isinstance(app.screen, HelpScreen)
        await press(pilot, "escape")
        assert isinstance(app.screen, PortfolioScreen)
        await press(pilot, key, key)
        assert isinstance(app.screen, PortfolioScreen)


async def test_help_lists_every_key_of_every_screen(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "question_mark")
        shown = " ".join("\n".join(plain(s) for s in app.screen.query(".help-section").results(Static)).split())
        titles = [s.title for s in help_sections(app)]
        screens: list[type[Any]] = [
            type(app),
            PortfolioScreen,
            FilterInput,
            VirtualTable,
            PilotDetailScreen,
            BlockerPicker,
            GateModal,
            CoverageEditor,
            PilotForm,
            ConfirmScreen,
            PathPrompt,
            HelpScreen,
            ExportDialog,
            ImportScreen,
            SnapshotDiffScreen,
        ]
        screens += [cls for v in VIEWS if (cls := v.screen_class()) is not None]
        for cls in screens:
            for binding in Binding.make_bindings(cls.BINDINGS):
                if binding.system:
                    continue
                description = " ".join((binding.tooltip or binding.description).split())
                assert description in shown, f"{cls.__name__}: {binding.key} ({description}) is not in the help"
                assert app.get_key_display(binding) in shown
        for title in ("Anywhere", "Views", "Portfolio", "Pilot detail", "Blocker picker", "Gate", "Pilot form"):
            assert title in titles
        assert "Command palette" in shown
        assert "double-click" in shown


async def test_help_from_the_detail_and_back(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "enter", "f1")
        assert isinstance(app.screen, HelpScreen)
        await press(pilot, "q")
        assert isinstance(app.screen, PilotDetailScreen)


# ---- the command palette --------------------------------------------------------------------------------


async def test_palette_switches_views(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await run_command(pilot, "Go to Pipeline")
        assert app.current_mode == "pipeline"
        await run_command(pilot, "Go to Portfolio")
        assert isinstance(app.screen, PortfolioScreen)


async def test_palette_commands_follow_the_screen(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        on_portfolio = [c.title for c in commands_for(app, app.screen)]
        assert "Sort by readiness" in on_portfolio and "Filter pilots…" in on_portfolio
        assert "Go to Portfolio" not in on_portfolio and "Go to Pipeline" in on_portfolio
        assert "Clear marks" not in on_portfolio
        await press(pilot, "space")
        assert "Clear marks" in [c.title for c in commands_for(app, app.screen)]
        await press(pilot, "2")
        elsewhere = [c.title for c in commands_for(app, app.screen)]
        assert "Sort by readiness" not in elsewhere and "Go to Portfolio" in elsewhere
        for common in ("Load sample: civilian-agency", "Import…", "Theme: light", "Undo", "Reload from disk"):
            assert common in on_portfolio and common in elsewhere


async def test_palette_sorts_the_table(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await run_command(pilot, "Sort by office")
        assert isinstance(app.screen, PortfolioScreen)
        assert app.screen.query_state.sort.value == "office"


async def test_theme_change_is_remembered(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.theme == "textual-dark"
        await run_command(pilot, "Theme: light")
        assert app.theme == "textual-light"
    saved = tomllib.loads(config_path().read_text(encoding="utf-8"))
    assert saved["theme"] == "textual-light"
    settings = load_settings()
    assert settings.theme == "textual-light"
    again = make_app(sample_portfolio, settings)
    async with again.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert again.theme == "textual-light"


async def test_starting_does_not_write_the_config(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
    assert not config_path().exists()


async def test_an_unknown_theme_falls_back_with_a_warning(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio, Settings(actor="tester", theme="no-such-theme"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == "textual-dark"
        assert ("Unknown theme 'no-such-theme' in the config file; using textual-dark", "warning") in app.notes


async def test_load_sample_asks_first_then_fills_the_table(portfolio: Portfolio) -> None:
    app = make_app(portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await run_command(pilot, "Load sample: civilian-agency")
        assert isinstance(app.screen, ConfirmScreen)
        await press(pilot, "n")
        assert portfolio.count() == 0
        await run_command(pilot, "Load sample: civilian-agency")
        await press(pilot, "y")
        assert portfolio.count() == 30
        assert isinstance(app.screen, PortfolioScreen)
        assert row_count(app) == 30
        assert app.screen.query_one("#pilots", VirtualTable).display
        assert ("Loaded 30 pilots from the civilian-agency sample", "information") in app.notes


async def test_a_sample_that_cannot_load_is_a_notification(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await run_command(pilot, "Load sample: civilian-agency")
        await press(pilot, "enter")
        assert app.notes[-1] == ("a pilot with id 'DCS-001' already exists", "error")
        assert sample_portfolio.count() == 30
        assert isinstance(app.screen, PortfolioScreen)


async def test_export_then_import_a_snapshot(sample_portfolio: Portfolio, tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await run_command(pilot, "Export snapshot")
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        assert dialog.query_one("#export-path", Input).value.endswith(".json")
        dialog.query_one("#export-path", Input).value = str(target)
        await press(pilot, "enter")
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert isinstance(app.screen, PortfolioScreen)
    assert len(json.loads(target.read_text(encoding="utf-8"))["pilots"]) == 30
    assert any(message.startswith(f"Wrote {target}") for message, _ in app.notes)

    with Portfolio.open(tmp_path / "fresh.db", actor="tester", create=True, clock=sample_portfolio.clock) as fresh:
        app = make_app(fresh)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await run_command(pilot, "Import…")
            assert isinstance(app.screen, PathPrompt)
            await pilot.press(*str(target))
            await press(pilot, "enter")
            assert fresh.count() == 30
            assert row_count(app) == 30
            assert ("30 pilots imported from the snapshot " + str(target), "information") in app.notes


async def test_an_export_that_fails_is_a_notification(sample_portfolio: Portfolio, tmp_path: Path) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await run_command(pilot, "Export CSV of pilots")
        assert isinstance(app.screen, ExportDialog)
        app.screen.query_one("#export-path", Input).value = str(tmp_path)  # a folder
        await press(pilot, "enter")
        await settle(pilot)
        assert app.notes[-1][1] == "error"
        assert isinstance(app.screen, ExportDialog)  # the choices are kept for another try
    assert not any(p.suffix == ".csv" for p in tmp_path.iterdir())


async def test_an_import_of_a_missing_file_is_a_notification(sample_portfolio: Portfolio, tmp_path: Path) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await run_command(pilot, "Import…")
        await pilot.press(*str(tmp_path / "nothing.csv"))
        await press(pilot, "enter")
        assert app.notes[-1][1] == "error"
        assert "nothing.csv" in app.notes[-1][0]
        assert sample_portfolio.count() == 30


# ---- store errors are notifications ----------------------------------------------------------------------


async def test_a_store_error_while_drawing_is_a_notification(
    sample_portfolio: Portfolio, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)

        def unreadable(*_args: object, **_kwargs: object) -> list[object]:
            raise PortfolioError("portfolio.db: cannot read the portfolio (disk I/O error)")

        monkeypatch.setattr(app.portfolio, "table_page", unreadable)
        await press(pilot, "ctrl+r")
        assert ("portfolio.db: cannot read the portfolio (disk I/O error)", "error") in app.notes
        assert app.is_running and isinstance(app.screen, PortfolioScreen)
        monkeypatch.setattr(app.portfolio, "count", unreadable)
        await press(pilot, "s")
        assert app.is_running
        assert sum(message.startswith("portfolio.db: cannot read") for message, _ in app.notes) == 2


async def test_u_on_the_detail_undoes_and_the_detail_shows_it(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "j", "j", "j", "enter")  # DCS-004
        detail = app.screen
        assert isinstance(detail, PilotDetailScreen)
        before = sample_portfolio.record("DCS-004").coverage
        await press(pilot, "enter", "up", "ctrl+s")  # the first item, partial -> gap, in the editor
        assert sample_portfolio.record("DCS-004").coverage != before
        await press(pilot, "u")
        assert sample_portfolio.record("DCS-004").coverage == before
        assert app.screen is detail
        assert any(message.startswith("Undid DCS-004 coverage change") for message, _ in app.notes)


async def test_an_undo_in_another_view_shows_on_the_pilot_when_coming_back(sample_portfolio: Portfolio) -> None:
    """The pilot screen lives on the Portfolio view's stack: an undo pressed on the dashboard must not leave
    it showing the undone state (a walkthrough saw 'Open blockers 0' after the resolve was undone)."""
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "j", "j", "j", "enter")  # DCS-004
        detail = app.screen
        assert isinstance(detail, PilotDetailScreen) and detail.pilot_id == "DCS-004"
        open_before = len(sample_portfolio.record("DCS-004").open_blockers)
        sample_portfolio.resolve_blocker("DCS-004", "shared-service-account")
        await press(pilot, "ctrl+r")
        await until(pilot, lambda: detail.view is not None and len(detail.view.record.open_blockers) == open_before - 1)
        await press(pilot, "5", "u")
        await until(pilot, lambda: len(sample_portfolio.record("DCS-004").open_blockers) == open_before)
        await press(pilot, "1")
        assert app.screen is detail
        await until(pilot, lambda: detail.view is not None and len(detail.view.record.open_blockers) == open_before)


async def test_the_view_bar_names_every_view_at_80_columns(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        bar = str(app.screen.query_one(".view-bar", Static).render())
        assert all(f" {view.key} " in bar for view in VIEWS) and "IdP" in bar and "1 Portfolio" in bar
