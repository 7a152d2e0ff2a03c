"""The Blockers view (key 4): every tag by leverage, the splits, and the pilots that carry a tag. Driven
with its keys over the civilian-agency sample (fixed clock); snapshots at 120x40 and 80x24."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rich.text import Text
from textual.widgets import Static

from caio_tui.domain.pilots import PilotFields
from caio_tui.store import Portfolio
from caio_tui.store.analytics import blocker_table, blockers_by_category, tag_carriers
from caio_tui.tui.app import CaioApp
from caio_tui.tui.screens.blockers import BlockersScreen, TagPilotsScreen
from caio_tui.tui.screens.detail import PilotDetailScreen
from caio_tui.tui.widgets.virtual_table import VirtualTable
from helpers.tui import make_app, press, pressing, settle, until

SnapCompare = Callable[..., bool]
SIZES = [(120, 40), (80, 24)]


def screen(app: CaioApp) -> BlockersScreen:
    assert isinstance(app.screen, BlockersScreen), f"expected Blockers, got {app.screen!r}"
    return app.screen


def rows(table: VirtualTable) -> list[tuple[str, list[str]]]:
    found = []
    for i in range(table.row_count):
        row = table.get_row(i)
        assert row is not None
        found.append((row.key, [c.plain if isinstance(c, Text) else c for c in row.cells]))
    return found


def line(app: CaioApp, widget_id: str) -> str:
    return str(app.screen.query_one(widget_id, Static).content)


async def test_4_lists_every_tag_by_leverage_with_counts_and_ages(sample_portfolio: Portfolio) -> None:
    expected = blocker_table(sample_portfolio)
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "4")
        shown = rows(screen(app).table)
        assert [k for k, _ in shown] == [t.tag for t in expected]
        for (_, cells), t in zip(shown, expected, strict=True):
            oldest = "—" if t.oldest_open_days is None else f"{t.oldest_open_days}d"
            assert cells[3:] == [f"{t.open:,}", oldest, f"{t.leverage:,}"]
            assert cells[1] == t.category.value
        assert shown[0][1][5] != "0"  # the sample has a tag that unlocks a pilot
        assert screen(app).table.sort == ("leverage", True)
        assert "computing" not in line(app, "#blockers-title")


async def test_the_splits_by_category_and_territory(sample_portfolio: Portfolio) -> None:
    counts = blockers_by_category(sample_portfolio)
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "4")
        total = sum(counts.values())
        by_category = line(app, "#by-category")
        for category, n in counts.items():
            assert f"{category.value} {n} ({round(100 * n / total)}%)" in by_category
        assert line(app, "#by-territory").startswith("By territory: infrastructure")
        assert f"{total} open" in line(app, "#blockers-title")


async def test_s_cycles_the_sort_and_S_reverses(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "4", "s")  # most open first
        opened = [int(cells[3].replace(",", "")) for _, cells in rows(screen(app).table)]
        assert opened == sorted(opened, reverse=True)
        assert screen(app).table.sort == ("open", True)
        await press(pilot, "s", "s")  # oldest, then by tag name
        tags = [k for k, _ in rows(screen(app).table)]
        assert tags == sorted(tags)
        await press(pilot, "S")
        assert [k for k, _ in rows(screen(app).table)] == sorted(tags, reverse=True)
        assert "sort: tag (reversed)" in line(app, "#blockers-title")


async def test_enter_lists_the_pilots_that_carry_the_tag(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "4", "s")  # most open first: program-office-resistance, on three pilots
        tag = rows(screen(app).table)[0][0]
        await press(pilot, "enter")
        assert isinstance(app.screen, TagPilotsScreen)
        carriers = tag_carriers(sample_portfolio, tag)
        shown = rows(app.screen.table)
        assert [k for k, _ in shown] == [c.pilot.id for c in carriers] and len(shown) >= 2
        assert shown[0][1][5] == carriers[0].note
        assert tag in str(app.screen.query_one("#carriers-title", Static).content)
        note = str(app.screen.query_one("#carrier-note", Static).content)
        assert note == f"{carriers[0].pilot.id} · open {carriers[0].open_days} days: {carriers[0].note}"
        await press(pilot, "j")
        assert str(app.screen.query_one("#carrier-note", Static).content).startswith(carriers[1].pilot.id)
        await press(pilot, "k")
        await press(pilot, "enter")
        assert isinstance(app.screen, PilotDetailScreen) and app.screen.pilot_id == carriers[0].pilot.id
        await press(pilot, "escape")
        assert isinstance(app.screen, TagPilotsScreen)
        await press(pilot, "escape")
        assert isinstance(app.screen, BlockersScreen)


async def test_the_carriers_list_marks_the_pilots_a_fix_unlocks(sample_portfolio: Portfolio) -> None:
    unlocking = next(t for t in blocker_table(sample_portfolio) if t.leverage)
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "4")  # by leverage: the first tag unlocks a pilot
        assert rows(screen(app).table)[0][0] == unlocking.tag
        await press(pilot, "enter")
        assert isinstance(app.screen, TagPilotsScreen)
        flagged = [k for k, cells in rows(app.screen.table) if cells[4] == "yes"]
        assert flagged == list(unlocking.unlocks)


async def test_unlocks_yes_goes_after_an_override_without_leaving_the_carriers(sample_portfolio: Portfolio) -> None:
    unlocking = next(t for t in blocker_table(sample_portfolio) if t.leverage)
    unlocked = unlocking.unlocks[0]
    app = make_app(sample_portfolio)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "4", "enter")
        carriers = app.screen
        assert isinstance(carriers, TagPilotsScreen)
        assert dict(rows(carriers.table))[unlocked][4] == "yes"
        index = [k for k, _ in rows(carriers.table)].index(unlocked)
        carriers.table.move_cursor(index)
        await press(pilot, "enter")  # the pilot's detail, where the override is made
        stage = sample_portfolio.get(unlocked).stage.next()
        assert stage is not None
        sample_portfolio.move(unlocked, stage, override="moved on by the CAIO's written decision of today")
        await press(pilot, "escape")
        assert app.screen is carriers
        await until(pilot, lambda: dict(rows(carriers.table))[unlocked][4] != "yes")


async def test_a_resolved_blocker_updates_the_counts(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "4")
        before = dict(rows(screen(app).table))["shared-service-account"]
        assert before[3] == "1" and before[5] == "1"
        app.portfolio.resolve_blocker("DCS-004", "shared-service-account")
        app.portfolio_changed()
        await settle(pilot)
        after = dict(rows(screen(app).table))["shared-service-account"]
        assert after[3:] == ["0", "—", "0"]


async def test_a_change_while_hidden_is_read_on_return(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "4", "1")
        app.portfolio.open_blocker("DCS-001", "no-governing-policy")
        app.portfolio_changed()
        await press(pilot, "4")
        assert dict(rows(screen(app).table))["no-governing-policy"][3] == "2"


async def test_a_custom_tag_with_markup_shows_literally(portfolio: Portfolio) -> None:
    from caio_tui.domain.territory import BlockerCategory

    portfolio.create_tag("red-tape", BlockerCategory.ORGANIZATIONAL, description="[bold]forms[/bold] <b>")
    pilot_id = portfolio.add_pilot(PilotFields(name="[red]x", office="O", owner="W"))
    portfolio.open_blocker(pilot_id, "red-tape", note="[link=x]click[/link]")
    app = make_app(portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "4")
        tags = [k for k, _ in rows(screen(app).table)]
        screen(app).table.move_cursor(tags.index("red-tape"))
        await press(pilot, "enter")
        assert isinstance(app.screen, TagPilotsScreen)
        assert rows(app.screen.table)[0][1][1:6:4] == ["[red]x", "[link=x]click[/link]"]
        assert "[bold]forms[/bold] <b>" in str(app.screen.query_one("#carriers-title", Static).content)


@pytest.mark.parametrize("size", SIZES, ids=["120x40", "80x24"])
def test_snapshot_blockers(snap_compare: SnapCompare, sample_portfolio: Portfolio, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(sample_portfolio), terminal_size=size, run_before=pressing("4"))


@pytest.mark.parametrize("size", SIZES, ids=["120x40", "80x24"])
def test_snapshot_tag_pilots(snap_compare: SnapCompare, sample_portfolio: Portfolio, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(sample_portfolio), terminal_size=size, run_before=pressing("4", "s", "enter"))
