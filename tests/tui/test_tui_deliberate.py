"""Changing nothing by accident, as a user does it in the app: undo keys queue, a status change is
deliberate, a blocker is resolved with how, an override says why at length."""

from __future__ import annotations

import threading

from caio_tui.store import Portfolio
from helpers.tui import make_app, settle


async def test_u_u_u_pressed_quickly_undoes_three_changes(sample_portfolio: Portfolio) -> None:
    for owner in ("First", "Second", "Third"):
        sample_portfolio.edit_pilot("DCS-001", owner=owner)
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        # The store is slow to answer (another program holds the lock): the 2nd and 3rd keys come while the
        # first undo still waits, and must wait their turn, not replace it.
        store_free = threading.Event()
        next_undo = app.portfolio.next_undo

        def slow_next_undo() -> object:
            store_free.wait(10)
            return next_undo()

        app.portfolio.next_undo = slow_next_undo  # type: ignore[method-assign]
        await pilot.press("u", "u", "u")
        store_free.set()
        await settle(pilot)
        assert [e.action for e in sample_portfolio.history(limit=3)] == ["undo", "undo", "undo"]
        assert sample_portfolio.get("DCS-001").owner not in ("First", "Second", "Third")
        assert sum(n.startswith("Undid DCS-001 edit") for n, _ in app.notes) == 3
