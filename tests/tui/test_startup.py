"""Start-up (issue 8): the app imports only what its first screen needs, and the work the first screen
does not need waits until the start view has shown its rows."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from caio_tui.config import Settings
from caio_tui.store import Portfolio
from caio_tui.tui.app import CaioApp
from caio_tui.tui.screens.portfolio import PortfolioScreen
from helpers.tui import make_app, settle

# Modules the first screen does not need: each is imported when the user first asks for what it does.
NOT_AT_START = (
    "caio_tui.io",  # files in and out: import, export, samples
    "caio_tui.tui.palette",  # the command palette's provider
    "caio_tui.tui.screens.detail",
    "caio_tui.tui.dialogs.gate",
    "caio_tui.tui.dialogs.pilot_form",
    "caio_tui.tui.dialogs.blocker_picker",
    "caio_tui.tui.screens.help",
    "caio_tui.tui.dialogs.questions",  # the dialogs the palette opens
    "caio_tui.tui.screens.pipeline",
    "caio_tui.tui.screens.compare",
    "caio_tui.tui.screens.blockers",
    "caio_tui.tui.screens.dashboard",
    "sqlite_utils",  # the store runs its reads with sqlite3 alone
    "pydantic",  # the table lists PilotRows; the models load after the first rows (see store/lazy.py)
    "caio_tui.store.models",
    "caio_tui.domain.pilots",
    "caio_tui.domain.coverage",
    "caio_tui.domain.gates",
)


def modules_after_import(module: str) -> list[str]:
    """The modules a fresh interpreter holds after importing `module` (in a subprocess: this test
    process has imported everything already)."""
    code = f"import json, sys, {module}; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    found: list[str] = json.loads(done.stdout)
    return found


@pytest.mark.parametrize("module", ["caio_tui.tui.app", "caio_tui.tui.screens.portfolio"])
def test_importing_the_app_leaves_out_what_the_first_screen_does_not_need(module: str) -> None:
    loaded = modules_after_import(module)
    assert module in loaded  # the check would pass vacuously if the import had failed
    for name in NOT_AT_START:
        assert not [m for m in loaded if m == name or m.startswith(name + ".")], f"{name} is imported at start"


# Run in a fresh interpreter: the app headless over `path`, asked what is imported when its first rows
# are on the screen, and again once the work after start-up is done.
FIRST_ROWS = """
import asyncio, gc, sys
from pathlib import Path
from caio_tui.config import Settings
from caio_tui.tui.app import CaioApp

# What holds when the warm-up begins (it begins once the start view's first load is over): read at that
# moment, not by polling, which a loaded machine makes late.
seen = {}
warm_up = CaioApp._warm_up
def recording_warm_up(self) -> None:
    table = self.screen.query("#pilots")
    seen["rows"] = table.first().row_count if table else 0
    seen["pydantic"] = "pydantic" in sys.modules
    warm_up(self)
CaioApp._warm_up = recording_warm_up

async def main() -> None:
    app = CaioApp(Path(sys.argv[1]), Settings(actor="tester"), watch_interval=None)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(600):  # a bound for a stuck app, not a timing
            await pilot.pause(0.05)
            await app.workers.wait_for_complete()
            if app.idle_gc.active:
                break
        print(seen["rows"], seen["pydantic"], "caio_tui.store.models" in sys.modules, gc.get_freeze_count() > 10_000)

asyncio.run(main())
"""


def test_the_first_rows_show_before_pydantic_is_imported_and_it_is_imported_after(
    sample_portfolio: Portfolio,
) -> None:
    """Start-up (issue 8): pydantic and the models cost about 110 ms; the first screen lists pilots without
    them, and they are imported in the background afterwards, so opening a pilot does not wait for them;
    then what start-up made is frozen out of the garbage collector's full walks (a 35 ms pause)."""
    done = subprocess.run(
        [sys.executable, "-c", FIRST_ROWS, str(sample_portfolio.path)], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["30", "False", "True", "True"]


def test_the_command_palette_provider_is_loaded_when_the_palette_opens() -> None:
    from caio_tui.tui.palette import CaioCommands

    providers = [p() if not isinstance(p, type) else p for p in CaioApp.COMMANDS]
    assert providers == [CaioCommands]


async def test_the_chain_check_starts_after_the_start_view_has_read_its_rows(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    walks: list[bool] = []  # for each walk of the chain: had the start view read its rows by then?
    verify = app.portfolio.verify_chain

    def watched() -> Any:
        start_view = app.views.get("portfolio")
        walks.append(isinstance(start_view, PortfolioScreen) and start_view.counts is not None)
        return verify()

    app.portfolio.verify_chain = watched  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(100):
            await settle(pilot)
            if app.chain_guard.checks:
                break
        assert app.chain_guard.checks == 1
    assert walks == [True]


async def test_an_unknown_theme_is_still_reported_once_the_app_has_started(sample_portfolio: Portfolio) -> None:
    app = CaioApp(
        sample_portfolio.path,
        Settings(actor="tester", theme="no-such-theme"),
        clock=sample_portfolio.clock,
        watch_interval=None,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(100):
            await settle(pilot)
            if app.chain_guard.checks:
                break
        messages = [n.message for n in app._notifications]
    assert any("Unknown theme 'no-such-theme'" in m for m in messages)
