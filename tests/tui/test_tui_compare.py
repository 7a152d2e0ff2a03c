"""The Compare view (key 3): the marked pilots side by side, or the coverage heatmap when none is marked.
Driven with its keys over the civilian-agency sample (fixed clock); snapshots at 120x40 and 80x24."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import Static

from caio_tui.domain.coverage import CoverageStatus
from caio_tui.domain.filters import parse_filter
from caio_tui.domain.pilots import PilotFields
from caio_tui.store import Portfolio
from caio_tui.store.analytics import comparison, heatmap_page
from caio_tui.tui.app import CaioApp
from caio_tui.tui.screens.compare import CompareScreen
from caio_tui.tui.screens.detail import PilotDetailScreen
from caio_tui.tui.screens.portfolio import PortfolioScreen
from caio_tui.tui.widgets.virtual_table import VirtualTable
from helpers.tui import make_app, press, pressing, settle, until

SnapCompare = Callable[..., bool]
SIZES = [(120, 40), (80, 24)]


def screen(app: CaioApp) -> CompareScreen:
    assert isinstance(app.screen, CompareScreen), f"expected Compare, got {app.screen!r}"
    return app.screen


def rows(table: VirtualTable) -> list[tuple[str, list[str]]]:
    found = []
    for i in range(table.row_count):
        row = table.get_row(i)
        assert row is not None
        found.append((row.key, [c.plain if isinstance(c, Text) else c for c in row.cells]))
    return found


def keys(table: VirtualTable) -> list[str]:
    return [k for k, _ in rows(table)]


def title(app: CaioApp) -> str:
    return str(screen(app).query_one("#compare-title", Static).content)


async def mark_on_portfolio(pilot: Pilot[Any], *ids: str) -> None:
    """Mark pilots on the Portfolio (ids in table order), then `c`."""
    app = pilot.app
    assert isinstance(app, CaioApp) and isinstance(app.screen, PortfolioScreen)
    table = app.screen.query_one("#pilots", VirtualTable)
    for pilot_id in ids:
        table.move_cursor(next(i for i in range(table.row_count) if (r := table.get_row(i)) and r.key == pilot_id))
        await press(pilot, "space")
    await press(pilot, "c")


# ---- the heatmap --------------------------------------------------------------------------------------


async def test_3_without_marks_shows_the_heatmap_by_readiness(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "3")
        s = screen(app)
        assert s.mode == "heatmap" and s.has_class("-heatmap")
        expected = [r.pilot.id for r in heatmap_page(sample_portfolio, sort="readiness", descending=True)]
        assert keys(s.heatmap) == expected
        first = rows(s.heatmap)[0][1]
        best = heatmap_page(sample_portfolio, sort="readiness", descending=True, limit=1)[0]
        assert first[2] == f"{round(best.readiness * 100)}%"
        assert "30 pilot(s)" in title(app) and "sort: readiness ▼" in title(app)


async def test_s_sorts_by_id_name_then_each_area_and_S_reverses(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "3", "s")
        assert keys(screen(app).heatmap) == [f"DCS-{n:03d}" for n in range(1, 31)]
        await press(pilot, "s", "s")  # name, then the first area: access, most covered first
        s = screen(app)
        assert s.heat_query.sort == "access" and s.heat_query.descending
        expected = [r.pilot.id for r in heatmap_page(sample_portfolio, sort="access", descending=True)]
        assert keys(s.heatmap) == expected
        assert "sort: Access control & provisioning ▼" in title(app)
        await press(pilot, "S")
        expected = [r.pilot.id for r in heatmap_page(sample_portfolio, sort="access", descending=False)]
        assert keys(screen(app).heatmap) == expected


async def test_slash_filters_with_the_table_tokens_and_escape_clears(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "3", "slash")
        await pilot.press(*"territory:infrastructure")
        await press(pilot, "enter")
        wanted = sample_portfolio.pilots(parse_filter("territory:infrastructure"))
        assert sorted(keys(screen(app).heatmap)) == sorted(p.id for p in wanted)
        assert f"{len(wanted)} pilot(s)" in title(app)
        await press(pilot, "escape")
        assert len(keys(screen(app).heatmap)) == 30


async def test_a_bad_filter_token_is_explained(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "3", "slash")
        await pilot.press(*"stage:piolt")
        await press(pilot, "enter")
        s = screen(app)
        assert s.has_class("-filter-error")
        assert "unknown stage 'piolt'" in str(s.query_one("#heat-filter-error", Static).content)
        assert len(keys(s.heatmap)) == 30


async def test_the_heatmaps_filter_line_hides_in_the_comparison_and_returns_with_the_heatmap(
    sample_portfolio: Portfolio,
) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "3", "slash")
        await pilot.press(*"stage:pilot")
        await press(pilot, "enter")
        s = screen(app)
        area = s.query_one("#heat-filter-area")
        assert area.display and app.focused is s.heatmap
        assert len(keys(s.heatmap)) == len(sample_portfolio.pilots(parse_filter("stage:pilot")))
        await press(pilot, "space", "c")
        assert s.mode == "compare" and not area.display
        await press(pilot, "h")
        assert s.mode == "heatmap" and area.display  # the heatmap keeps its filter


async def test_space_marks_in_the_heatmap_and_c_compares(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "3", "s")  # by id: DCS-001 first
        await press(pilot, "space", "space")
        assert app.marked_ids() == ["DCS-001", "DCS-002"]
        s = screen(app)
        assert s.mode == "heatmap"  # marking keeps the heatmap
        assert [r.marked for r in (s.heatmap.get_row(0), s.heatmap.get_row(1)) if r] == [True, True]
        await press(pilot, "c")
        assert screen(app).mode == "compare"
        assert [c.key for c in screen(app).matrix.columns[1:]] == ["DCS-001", "DCS-002"]


def footer_keys(app: CaioApp) -> list[str]:
    return [str(getattr(key, "description", "")) for key in app.screen.query("FooterKey")]


async def test_the_footer_follows_the_keys_but_is_not_rebuilt_when_they_stay(sample_portfolio: Portfolio) -> None:
    """Coming back to a view keeps its footer as drawn (a rebuild costs a view switch tens of ms); a key
    that comes into use (c, once a pilot is marked) shows."""
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "3")
        assert "Compare" not in footer_keys(app)
        drawn = [id(key) for key in app.screen.query("FooterKey")]
        await press(pilot, "1", "3")
        assert [id(key) for key in app.screen.query("FooterKey")] == drawn
        await press(pilot, "space")
        assert "Compare" in footer_keys(app)
        await press(pilot, "c")
        assert "Clear marks" in footer_keys(app) and "Compare" not in footer_keys(app)


async def test_enter_in_the_heatmap_opens_the_pilot(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "3", "s", "j", "enter")
        assert isinstance(app.screen, PilotDetailScreen)
        assert app.screen.pilot_id == "DCS-002"


# ---- the comparison -----------------------------------------------------------------------------------


async def test_c_on_the_portfolio_compares_the_marked_pilots(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await mark_on_portfolio(pilot, "DCS-004", "DCS-010", "DCS-020")
        s = screen(app)
        assert s.mode == "compare"
        assert [c.key for c in s.matrix.columns] == ["label", "DCS-004", "DCS-010", "DCS-020"]
        found = comparison(sample_portfolio, ["DCS-004", "DCS-010", "DCS-020"])
        shown = dict(rows(s.matrix))
        assert shown["summary:name"][1:] == [p.name for p in found.pilots]
        assert shown["summary:distance"][1:] == [f"{p.distance} changes" for p in found.pilots]
        assert shown["summary:stage"][1:] == ["pilot", "readiness", "production"]
        assert keys(s.matrix)[9:] == [f"area:{a.id}" for a in found.areas]
        access = shown["area:access"]
        assert access[0].startswith("≠ ▸ Access")
        assert access[1:] == ["◐ 0/4 4ev 150d", "✓ 4/4 1ev 140d", "✓ 4/4 1ev 260d"]


async def test_enter_plus_and_minus_expand_and_collapse_an_area(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await mark_on_portfolio(pilot, "DCS-004", "DCS-010")
        s = screen(app)
        access_items = [f"item:{i.id}" for i in sample_portfolio.catalog().area("access").items]
        await until(pilot, lambda: "area:access" in keys(s.matrix))  # the comparison is read in a worker
        s.matrix.move_cursor(keys(s.matrix).index("area:access"))
        await until(pilot, lambda: s.matrix.cursor_key == "area:access")
        await press(pilot, "enter")
        await until(pilot, lambda: access_items[0] in keys(s.matrix))
        listed = keys(s.matrix)
        at = listed.index("area:access")
        assert listed[at + 1 : at + 5] == access_items
        assert rows(s.matrix)[at][1][0].startswith("≠ ▾")
        await press(pilot, "enter")
        assert not set(access_items) & set(keys(s.matrix))
        await press(pilot, "plus")
        assert set(access_items) <= set(keys(s.matrix))
        await press(pilot, "j", "j", "minus")  # from an item row: its area collapses, the cursor goes to it
        assert not set(access_items) & set(keys(s.matrix))
        assert s.matrix.cursor_key == "area:access"


async def test_a_expands_every_area_and_d_keeps_the_differences(portfolio: Portfolio) -> None:
    a = portfolio.add_pilot(PilotFields(name="Alpha", office="O", owner="W"))
    b = portfolio.add_pilot(PilotFields(name="Beta", office="O", owner="W"))
    portfolio.set_coverage(b, "audit.activity", CoverageStatus.MET, evidence="log spec v2")
    app = make_app(portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await mark_on_portfolio(pilot, a, b)
        s = screen(app)
        items = len(portfolio.catalog().items(high_impact=False))
        areas = len(portfolio.catalog().areas(high_impact=False))
        await press(pilot, "a")
        assert len(keys(s.matrix)) == 9 + areas + items
        await press(pilot, "d")
        requirement_rows = [k for k in keys(s.matrix) if not k.startswith("summary:")]
        assert requirement_rows == ["area:audit", "item:audit.activity"]
        assert "differences only" in title(app) and "1 area(s), 1 item(s) differ" in title(app)
        cells = dict(rows(s.matrix))["item:audit.activity"]
        assert cells[1:] == ["?", "✓ 1ev 0d"]
        await press(pilot, "a", "d")  # collapse all, show everything again
        assert len(keys(s.matrix)) == 9 + areas


async def test_left_and_right_scroll_the_pilots_when_more_are_marked_than_fit(sample_portfolio: Portfolio) -> None:
    marked = ["DCS-004", "DCS-007", "DCS-008", "DCS-010", "DCS-014", "DCS-019", "DCS-020"]
    app = make_app(sample_portfolio)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await mark_on_portfolio(pilot, *marked)
        s = screen(app)
        shown = [c.key for c in s.matrix.columns[1:]]
        assert shown == marked[: len(shown)] and 2 <= len(shown) < len(marked)
        assert f"showing 1–{len(shown)}" in title(app)
        assert s.check_action("scroll_pilots", (-1,)) is False
        await press(pilot, "right")
        assert [c.key for c in s.matrix.columns[1:]] == marked[1 : len(shown) + 1]
        await press(pilot, *["right"] * 10)  # stops at the last pilot
        assert [c.key for c in s.matrix.columns[1:]][-1] == marked[-1]
        await press(pilot, "left_square_bracket")
        assert [c.key for c in s.matrix.columns[1:]][-1] == marked[-2]


async def test_shift_x_clears_the_marks_and_h_shows_the_heatmap_with_marks_kept(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await mark_on_portfolio(pilot, "DCS-004", "DCS-010")
        await press(pilot, "h")
        assert screen(app).mode == "heatmap" and app.marked_ids() == ["DCS-004", "DCS-010"]
        assert "2 marked" in title(app)
        await press(pilot, "c")
        assert screen(app).mode == "compare"
        await press(pilot, "x")  # the app's export key: it leaves the marks alone
        assert app.marked_ids() == ["DCS-004", "DCS-010"]
        await press(pilot, "escape")
        assert screen(app).mode == "compare"
        await press(pilot, "X")
        assert app.marked_ids() == [] and screen(app).mode == "heatmap"
        await press(pilot, "1")
        assert not table_marks(app)


def table_marks(app: CaioApp) -> list[str]:
    assert isinstance(app.screen, PortfolioScreen)
    table = app.screen.query_one("#pilots", VirtualTable)
    return [r.key for i in range(table.row_count) if (r := table.get_row(i)) and r.marked]


async def test_marks_changed_on_the_portfolio_are_compared_on_return(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await mark_on_portfolio(pilot, "DCS-004", "DCS-010")
        await press(pilot, "1")
        await mark_on_portfolio(pilot, "DCS-020")
        assert [c.key for c in screen(app).matrix.columns[1:]] == ["DCS-004", "DCS-010", "DCS-020"]


async def test_a_change_to_the_store_shows_in_the_comparison(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await mark_on_portfolio(pilot, "DCS-004", "DCS-010")
        app.portfolio.resolve_blocker("DCS-004", "shared-service-account")
        app.portfolio_changed()
        await settle(pilot)
        assert dict(rows(screen(app).matrix))["summary:blockers"][1:] == ["0", "1"]


async def test_user_text_shows_literally(portfolio: Portfolio) -> None:
    a = portfolio.add_pilot(PilotFields(name="[red]x[/red]", office="O", owner="W"))
    b = portfolio.add_pilot(PilotFields(name="<script>\x1b[2J", office="O", owner="W"))
    app = make_app(portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await mark_on_portfolio(pilot, a, b)
        names = dict(rows(screen(app).matrix))["summary:name"][1:]
        assert names == ["[red]x[/red]", "<script>\\x1b[2J"]


# ---- snapshots ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES, ids=["120x40", "80x24"])
def test_snapshot_heatmap(snap_compare: SnapCompare, sample_portfolio: Portfolio, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(sample_portfolio), terminal_size=size, run_before=pressing("3"))


@pytest.mark.parametrize("size", SIZES, ids=["120x40", "80x24"])
def test_snapshot_comparison(snap_compare: SnapCompare, sample_portfolio: Portfolio, size: tuple[int, int]) -> None:
    # DCS-004, DCS-007, DCS-010 and DCS-020 marked on the Portfolio (rows 4, 7, 10, 20), Data access expanded.
    keys = ("j", "j", "j", "space", "j", "j", "space", "j", "j", "space", *["j"] * 9, "space", "c")
    keys += (*["j"] * 15, "enter")
    assert snap_compare(make_app(sample_portfolio), terminal_size=size, run_before=pressing(*keys))
