"""The Dashboard view (key 5): the funnel, the production share against one third, territories, stalled
pilots, open blockers, top blockers by leverage, stale approvals. Over the civilian-agency sample (fixed
clock); snapshots at 120x40 and 80x24."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from textual.widgets import Static

from caio_tui.domain.portfolio_stats import FUNNEL
from caio_tui.domain.stages import Stage
from caio_tui.domain.territory import BlockerCategory
from caio_tui.store import Portfolio
from caio_tui.store.analytics import dashboard
from caio_tui.tui.app import CaioApp
from caio_tui.tui.screens.dashboard import DashboardScreen, Panel
from helpers.tui import make_app, press, pressing, settle

SnapCompare = Callable[..., bool]
SIZES = [(120, 40), (80, 24)]


def panel(app: CaioApp, panel_id: str) -> list[str]:
    assert isinstance(app.screen, DashboardScreen), f"expected the Dashboard, got {app.screen!r}"
    return app.screen.query_one(f"#{panel_id}", Panel).render().plain.splitlines()


async def test_5_shows_the_numbers_of_the_portfolio(sample_portfolio: Portfolio) -> None:
    stats = dashboard(sample_portfolio)
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "5")
        funnel = panel(app, "funnel")
        assert funnel[0] == "Funnel: pilots per stage"
        for line, (stage, count) in zip(funnel[1:], stats.stages.items(), strict=True):
            assert line.split()[-1] == str(count), (stage, line)
        assert [line.split("█")[0].strip() for line in funnel[2:4]] == ["Proof of concept", "Pilot"]
        share = panel(app, "share")
        p = stats.production
        assert share[0] == f"In production or scaled {p.percent}% ({p.in_production} of {p.active})"
        assert share[2] == f"{p.short_of_benchmark} short of the one-third benchmark ┃"
        assert "┃" in share[1]
        territories = panel(app, "territories")
        assert [line.split()[0] for line in territories[1:]] == [
            "clear",
            "infrastructure",
            "organizational",
            "both",
            "unassessed",
        ]
        assert [int(line.split()[-1]) for line in territories[1:]] == list(stats.territories.values())
        stalled = panel(app, "stalled")
        assert stalled[0] == f"Stalled (over 180 days in stage) {stats.stalled}"
        assert [line.split()[0] for line in stalled[1:]] == [s.id for s in stats.oldest_stalled]
        assert [line.split()[-1] for line in stalled[1:]] == [f"{s.days}d" for s in stats.oldest_stalled]
        top = panel(app, "top-blockers")
        assert [line.split()[0] for line in top[1:]] == [t.tag for t in stats.top_blockers]
        assert f"unlocks {stats.top_blockers[0].leverage}" in top[1]
        assert panel(app, "open-blockers")[0] == f"Open blockers {stats.open_blockers}"
        assert panel(app, "stale-approvals") == ["Stale approvals 0"]
        assert stats.below_gate == 1  # DCS-020: in production, short of the production gate
        assert panel(app, "below-gate") == ["Below their gate 1  (filter: below-gate)"]
        title = str(app.screen.query_one("#dashboard-title", Static).content)
        assert title == f"Dashboard · {sample_portfolio.name} · {stats.total} pilots"


async def test_a_move_into_production_shows_on_return(sample_portfolio: Portfolio) -> None:
    before = dashboard(sample_portfolio).production
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "5", "1")
        app.portfolio.move("DCS-010", Stage.PRODUCTION, override="tested in the dashboard test")
        app.portfolio_changed()
        await press(pilot, "5")
        share = panel(app, "share")
        assert f"({before.in_production + 1} of {before.active})" in share[0]


async def test_stale_approvals_are_counted(sample_portfolio: Portfolio) -> None:
    sample_portfolio.conn.execute("UPDATE pilot SET approval_stale = 1 WHERE id IN ('DCS-010', 'DCS-020')")
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "5")
        assert panel(app, "stale-approvals") == ["Stale approvals 2"]


async def test_an_empty_portfolio(portfolio: Portfolio) -> None:
    app = make_app(portfolio)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "5")
        assert panel(app, "share")[2] == "no active pilots"
        assert panel(app, "stalled")[1] == "none: no pilot is past its plan"
        assert panel(app, "top-blockers")[1] == "no single fix would unlock a pilot"


async def test_a_narrow_terminal_wraps_the_splits_instead_of_clipping(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "5")
        assert isinstance(app.screen, DashboardScreen)
        width = app.screen.query_one("#open-blockers", Panel).size.width
        lines = panel(app, "open-blockers")
        assert all(len(line) <= width for line in lines)
        organizational = dashboard(sample_portfolio).blockers_by_category[BlockerCategory.ORGANIZATIONAL]
        assert f"org {organizational}" in " ".join(lines)


async def test_the_frame_and_the_funnel_come_before_the_slower_figures(
    sample_portfolio: Portfolio, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a large portfolio the GROUP BY figures take seconds: every panel shows its heading at once, the
    funnel and the share as soon as the stage counts are in, the rest as they come."""
    from caio_tui.tui.screens import dashboard as dashboard_module

    release = threading.Event()
    real = dashboard_module.dashboard

    def slow(*args: Any) -> Any:
        release.wait(10)
        return real(*args)

    monkeypatch.setattr(dashboard_module, "dashboard", slow)
    counts = sample_portfolio.stage_counts()
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        for _ in range(100):  # the stage counts are read in a worker too
            await pilot.pause(0.02)
            if len(panel(app, "funnel")) > 2:
                break
        funnel = panel(app, "funnel")
        assert [int(line.split()[-1]) for line in funnel[1:]] == [counts[s] for s in FUNNEL]
        assert panel(app, "share")[0].startswith("In production or scaled ")
        assert panel(app, "territories") == ["Territory of active pilots", "loading…"]
        assert panel(app, "top-blockers") == ["Top blockers by leverage", "loading…"]
        assert panel(app, "stale-approvals") == ["Stale approvals loading…"]
        title = str(app.screen.query_one("#dashboard-title", Static).content)
        assert title.endswith(f" · {sum(counts.values())} pilots")
        release.set()
        await settle(pilot)
        assert panel(app, "territories")[1].split()[0] == "clear"
        assert panel(app, "top-blockers")[1] != "loading…"


@pytest.mark.parametrize("size", SIZES, ids=["120x40", "80x24"])
def test_snapshot_dashboard(snap_compare: SnapCompare, sample_portfolio: Portfolio, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(sample_portfolio), terminal_size=size, run_before=pressing("5"))


async def test_the_keys_of_a_list_scroll_to_what_is_below_the_fold_at_80x24(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "5")
        assert isinstance(app.screen, DashboardScreen)
        body = app.screen.query_one("#dashboard-body")
        overrides = app.screen.query_one("#gate-overrides", Panel)
        assert app.focused is body  # the keys reach it without a tab first
        assert body.max_scroll_y > 0 and not body.region.contains_region(overrides.region)
        for key, moved in (("j", lambda: body.scroll_y == 1), ("pagedown", lambda: body.scroll_y > 1)):
            await press(pilot, key)
            await pilot.pause(0.3)  # (a scroll animates)
            assert moved()
        await press(pilot, "end")
        await pilot.pause(0.3)
        assert body.scroll_y == body.max_scroll_y
        assert body.region.contains_region(overrides.region)  # the last panel is on screen
        await press(pilot, "g")
        await pilot.pause(0.3)
        assert body.scroll_y == 0
