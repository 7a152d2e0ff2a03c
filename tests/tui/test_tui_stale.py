"""A stale approval shows in the Portfolio table and on the pilot's detail screen (issue 4)."""

from __future__ import annotations

import html
import re

from caio_tui.config import Settings
from caio_tui.domain.pilots import PilotFields
from caio_tui.domain.stages import Stage
from caio_tui.store import Portfolio
from caio_tui.tui.app import CaioApp
from caio_tui.tui.screens.detail import PilotDetailScreen
from caio_tui.tui.widgets.pilot_source import STALE_MARK
from helpers import NOW
from helpers.tui import settle


def make_stale(portfolio: Portfolio) -> str:
    """A pilot that passed the gate into pilot (owner and office recorded), then lost its owner."""
    pilot_id = portfolio.add_pilot(PilotFields(name="Stale one", office="OCIO", owner="Ann"), stage=Stage.POC)
    portfolio.move(pilot_id, Stage.PILOT)
    portfolio.edit_pilot(pilot_id, owner="")
    assert portfolio.get(pilot_id).approval_stale
    return pilot_id


def screen_text(app: CaioApp) -> str:
    """The characters on screen (from the SVG export), as a user reads them."""
    svg = app.export_screenshot()
    return html.unescape(re.sub(r"<[^>]+>", "", svg[svg.index("<text") :])).replace("\xa0", " ")


async def test_the_table_and_the_detail_mark_a_stale_approval(portfolio: Portfolio) -> None:
    fresh = portfolio.add_pilot(PilotFields(name="Fresh one", office="OCIO", owner="Bo"))
    stale = make_stale(portfolio)
    app = CaioApp(portfolio.path, Settings(actor="tester"), clock=lambda: NOW, watch_interval=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        lines = [line.strip() for line in screen_text(app).splitlines()]
        rows = {line.split()[0]: line for line in lines if line.split()[:1] in ([fresh], [stale])}
        assert rows[stale].endswith(STALE_MARK)
        assert STALE_MARK not in rows[fresh]
        app.push_screen(PilotDetailScreen(app.portfolio, stale))
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "APPROVAL STALE" in screen_text(app)


async def open_detail(app: CaioApp, pilot_id: str, pilot: object) -> None:
    app.push_screen(PilotDetailScreen(app.portfolio, pilot_id))
    await pilot.pause()  # type: ignore[attr-defined]
    await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]


async def test_a_refused_recheck_re_approves_only_with_a_written_justification(portfolio: Portfolio) -> None:
    stale = make_stale(portfolio)
    app = CaioApp(portfolio.path, Settings(actor="tester"), clock=lambda: NOW, watch_interval=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_detail(app, stale, pilot)
        await pilot.press("a")
        await settle(pilot)
        text = screen_text(app)
        assert "Re-check the approval of" in text
        assert "What regressed since the approval" in text
        assert "owner" in text.lower()
        assert "The gate refuses" in text
        await pilot.press("enter")  # refused and no justification: nothing happens
        await settle(pilot)
        assert app.portfolio.get(stale).approval_stale
        await pilot.press("o")
        await pilot.press(*"owner leaves; acting lead named next week")
        await pilot.press("enter")
        await settle(pilot)
        assert not app.portfolio.get(stale).approval_stale
        assert "APPROVAL STALE" not in screen_text(app)
        event = app.portfolio.history(stale, limit=1)[0]
        assert event.action == "gate.recheck"
        assert "acting lead" in str(event.after)


async def test_a_recheck_that_passes_clears_the_flag_and_is_offered_only_when_stale(portfolio: Portfolio) -> None:
    stale = make_stale(portfolio)
    fresh = portfolio.add_pilot(PilotFields(name="Fresh one", office="OCIO", owner="Bo"))
    portfolio.edit_pilot(stale, owner="Cy")  # the state is back above what was approved, the flag stays
    assert portfolio.get(stale).approval_stale
    app = CaioApp(portfolio.path, Settings(actor="tester"), clock=lambda: NOW, watch_interval=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_detail(app, fresh, pilot)
        await pilot.press("a")  # not stale: no re-check
        await settle(pilot)
        assert isinstance(app.screen, PilotDetailScreen)
        await pilot.press("escape")
        await settle(pilot)
        await open_detail(app, stale, pilot)
        await pilot.press("a")
        await settle(pilot)
        text = screen_text(app)
        assert "The gate passes" in text
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PilotDetailScreen)
        assert not app.portfolio.get(stale).approval_stale
