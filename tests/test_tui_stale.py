"""A stale approval shows in the Portfolio table and on the pilot's detail screen (issue 4)."""

from __future__ import annotations

import html
import re

from caio_tui.config import Settings
from caio_tui.domain.pilots import PilotFields
from caio_tui.domain.stages import Stage
from caio_tui.store import Portfolio
from caio_tui.tui.app import CaioApp
from caio_tui.tui.pilot_source import STALE_MARK
from caio_tui.tui.screens.detail import PilotDetailScreen
from conftest import NOW


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
