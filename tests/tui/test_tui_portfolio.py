"""The Portfolio view, driven with its keys over the civilian-agency sample (fixed clock)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from rich.text import Text
from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import Input, Static

from caio_tui.config import Settings
from caio_tui.domain.filters import parse_filter
from caio_tui.domain.pilots import PilotFields
from caio_tui.domain.stages import Stage
from caio_tui.store import Portfolio
from caio_tui.store.queries import SortKey
from caio_tui.tui.app import CaioApp
from caio_tui.tui.dialogs.blocker_picker import BlockerPicker
from caio_tui.tui.dialogs.gate import GateModal
from caio_tui.tui.dialogs.pilot_form import PilotForm
from caio_tui.tui.dialogs.questions import ConfirmScreen
from caio_tui.tui.screens.detail import PilotDetailScreen
from caio_tui.tui.screens.portfolio import DEBOUNCE_S, FilterInput, PortfolioScreen
from caio_tui.tui.styles.text import short_office
from caio_tui.tui.widgets.virtual_table import VirtualTable
from helpers.tui import RecordingApp, make_app, press, settle, until

STALLED_IN_SAMPLE = ["DCS-011", "DCS-012", "DCS-013", "DCS-014"]  # pilot/readiness for over 180 days


async def type_filter(pilot: Pilot[Any], text: str) -> None:
    """Open the filter, type, and go to the results with enter."""
    await press(pilot, "slash")
    await pilot.press(*text)
    await press(pilot, "enter")


def screen(app: CaioApp) -> PortfolioScreen:
    assert isinstance(app.screen, PortfolioScreen), f"expected the Portfolio, got {app.screen!r}"
    return app.screen


def table(app: CaioApp) -> VirtualTable:
    return screen(app).query_one("#pilots", VirtualTable)


def shown_ids(app: CaioApp) -> list[str]:
    t = table(app)
    rows = [t.get_row(i) for i in range(t.row_count)]
    return [r.key for r in rows if r is not None]


def row_text(app: CaioApp, pilot_id: str) -> str:
    t = table(app)
    for i in range(t.row_count):
        row = t.get_row(i)
        if row is not None and row.key == pilot_id:
            return " | ".join(c.plain if isinstance(c, Text) else c for c in row.cells)
    raise AssertionError(f"{pilot_id} is not in the table")


def plain(widget: Static) -> str:
    content = widget.content
    return content.plain if isinstance(content, Content) else str(content)


def totals(app: CaioApp) -> str:
    return plain(screen(app).query_one("#totals", Static))


def notes(app: RecordingApp) -> list[str]:
    return [message for message, _severity in app.notes]


# ---- what the screen shows ------------------------------------------------------------------------------


async def test_start_screen_names_the_portfolio_and_counts_per_stage(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        s = screen(app)
        assert plain(s.query_one("#portfolio-name", Static)) == sample_portfolio.name
        counts = sample_portfolio.stage_counts()
        stages = plain(s.query_one("#stages", Static))
        for stage in Stage:
            assert f"{stage.value} {counts[stage]}" in stages
        assert sum(counts.values()) == 30
        assert totals(app).startswith("30 pilots · 4 stalled · sort: id ▲")
        assert shown_ids(app) == [f"DCS-{n:03d}" for n in range(1, 31)]
        assert app.focused is table(app)


async def test_rows_show_readiness_territory_blockers_and_stalled_days(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pilot_11 = sample_portfolio.get("DCS-011")
        days = pilot_11.days_in_stage(sample_portfolio.clock())
        tags = sample_portfolio.open_blocker_tags(["DCS-011"])["DCS-011"]
        cells = row_text(app, "DCS-011").split(" | ")
        assert cells[:4] == ["DCS-011", pilot_11.name, short_office(pilot_11.office), "pilot"]  # 12 cells
        assert cells[4].startswith(f"{round(pilot_11.readiness * 100):>3}% █")
        assert cells[5] == pilot_11.territory.value == "both"
        assert cells[6].startswith(f"{len(tags)} {tags[0][:6]}") and cells[6].endswith(f"+{len(tags) - 1}")
        assert cells[7] == f"{days}!"  # stalled: over 180 days in pilot
        assert (
            row_text(app, "DCS-001").split(" | ")[7]
            == f"{sample_portfolio.get('DCS-001').days_in_stage(sample_portfolio.clock())} "
        )


async def test_user_text_is_never_markup(portfolio: Portfolio) -> None:
    portfolio.add_pilot(PilotFields(name="[bold red]x[/]", office="[link=http://x]Office[/link]"))
    app = make_app(portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "[bold red]x[/]" in table(app).render_line(1).text
        assert "[link=http:" in table(app).render_line(1).text  # shown as written (clipped to the column)


# ---- moving and opening ---------------------------------------------------------------------------------


async def test_list_keys_move_the_cursor(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 24)) as pilot:
        await settle(pilot)
        t = table(app)
        await press(pilot, "down", "j")
        assert t.cursor_key == "DCS-003"
        await press(pilot, "k")
        assert t.cursor_key == "DCS-002"
        await press(pilot, "up")
        assert t.cursor_key == "DCS-001"
        await press(pilot, "G")
        assert t.cursor_key == "DCS-030"
        await press(pilot, "g")
        assert t.cursor_key == "DCS-001"
        await press(pilot, "pagedown")
        assert t.cursor_index > 10
        await press(pilot, "pageup")
        assert t.cursor_key == "DCS-001"


async def test_enter_opens_the_pilot_and_escape_comes_back(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "j", "j", "j", "enter")
        assert isinstance(app.screen, PilotDetailScreen)
        assert app.screen.pilot_id == "DCS-004"
        await press(pilot, "escape")
        assert table(app).cursor_key == "DCS-004"


async def test_click_selects_and_double_click_opens(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: table(app).row_count >= 30)  # a click past the known rows does nothing
        row_y = 1 + 4  # under the header line: the fifth row
        await pilot.click("#pilots", offset=(20, row_y))
        await settle(pilot)
        assert table(app).cursor_key == "DCS-005"
        assert isinstance(app.screen, PortfolioScreen)
        await pilot.click("#pilots", offset=(20, row_y), times=2)
        await settle(pilot)
        assert isinstance(app.screen, PilotDetailScreen)
        assert app.screen.pilot_id == "DCS-005"


# ---- the filter -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "stage:pilot",
        "blocker:shared-service-account",
        "territory:organizational",
        'office:"Human Capital"',
        "stalled",
        "high-impact",
        "grant",
        "stage:readiness territory:both",
    ],
)
async def test_filter_tokens_show_what_the_store_finds(sample_portfolio: Portfolio, query: str) -> None:
    expected = [p.id for p in sample_portfolio.pilots(parse_filter(query))]
    assert 0 < len(expected) < 30  # each query keeps some pilots and drops others
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await type_filter(pilot, query)
        assert shown_ids(app) == expected
        assert totals(app).startswith(f"{len(expected)} of 30 pilots")
        assert app.focused is table(app)  # enter went to the results


async def test_filter_anchors_in_the_sample(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await type_filter(pilot, "stalled")
        assert shown_ids(app) == STALLED_IN_SAMPLE
        await press(pilot, "escape")
        await type_filter(pilot, "stage:pilot")
        assert all(row_text(app, i).split(" | ")[3] == "pilot" for i in shown_ids(app))
        await press(pilot, "escape")
        await type_filter(pilot, "blocker:shared-service-account")
        assert "DCS-004" in shown_ids(app)
        await press(pilot, "escape")
        await type_filter(pilot, "grant")
        assert shown_ids(app) and all("grant" in row_text(app, i).lower() for i in shown_ids(app))


async def test_filter_applies_as_you_type(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "slash")
        await pilot.press(*"stalled")
        await pilot.pause(DEBOUNCE_S * 3)  # the pause after typing
        await settle(pilot)
        assert shown_ids(app) == STALLED_IN_SAMPLE
        assert isinstance(app.focused, FilterInput)  # still typing


async def test_down_moves_from_the_filter_to_the_results(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "slash")
        await pilot.press(*"stalled")
        await press(pilot, "down")
        assert app.focused is table(app)
        assert shown_ids(app) == STALLED_IN_SAMPLE


async def test_a_bad_token_says_why_under_the_input(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "slash")
        await pilot.press(*"stage:piolt")
        await press(pilot, "enter")
        error = screen(app).query_one("#filter-error", Static)
        assert error.display
        assert plain(error).startswith("unknown stage 'piolt'; did you mean 'pilot'? tab: take it (one of intake, poc")
        assert isinstance(app.focused, FilterInput)  # stays in the input to fix it
        assert len(shown_ids(app)) == 30
        await press(pilot, "backspace", "backspace", "backspace", "backspace", "backspace")
        await pilot.press(*"pilot")
        await press(pilot, "enter")
        assert not error.display
        assert shown_ids(app) == [p.id for p in sample_portfolio.pilots(parse_filter("stage:pilot"))]


async def test_a_misspelt_blocker_tag_says_what_was_meant_and_tab_takes_it(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await type_filter(pilot, "category:identity -stalled blocker:shared-service-acount")
        error = screen(app).query_one("#filter-error", Static)
        assert error.display
        assert plain(error) == (
            "unknown blocker tag 'shared-service-acount'; did you mean 'shared-service-account'? tab: take it"
        )
        assert "tab: take it" in "".join(s.text for s in error.render_lines(error.region.reset_offset))  # not cut
        await press(pilot, "tab")
        field = screen(app).query_one("#filter", FilterInput)
        assert app.focused is field  # the focus stays in the input: what is typed next goes there
        assert field.value == "category:identity -stalled blocker:shared-service-account"
        assert not error.display
        wanted = [p.id for p in sample_portfolio.pilots(parse_filter(field.value))]
        assert wanted
        await until(pilot, lambda: shown_ids(app) == wanted)
        await pilot.press(*" ready")  # the walkthrough's next keys: into the filter, never the table
        await press(pilot, "enter")
        assert field.value.endswith("shared-service-account ready")
        assert not any(isinstance(s, PilotForm) for s in app.screen_stack)


async def test_tab_takes_a_misspelt_flag_and_moves_on_without_a_hint(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await type_filter(pilot, "-stalld")
        assert "did you mean -stalled? tab: take it" in plain(screen(app).query_one("#filter-error", Static))
        await press(pilot, "tab")
        field = screen(app).query_one("#filter", FilterInput)
        assert (field.value, app.focused) == ("-stalled", field)
        await until(pilot, lambda: len(shown_ids(app)) == 30 - len(STALLED_IN_SAMPLE))
        await press(pilot, "tab")  # no hint: tab moves the focus on, as before
        assert app.focused is not field


async def test_escape_clears_the_filter(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await type_filter(pilot, "stalled")
        assert len(shown_ids(app)) == 4
        await press(pilot, "escape")  # from the table
        assert len(shown_ids(app)) == 30
        assert screen(app).query_one("#filter", Input).value == ""
        await press(pilot, "slash")
        await pilot.press(*"grant")
        await press(pilot, "escape")  # from the input
        assert len(shown_ids(app)) == 30
        assert app.focused is table(app)


async def test_no_match_says_so(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await type_filter(pilot, "zzzz")
        assert shown_ids(app) == []
        assert "No pilot matches the filter" in table(app).render_line(1).text


# ---- sorting --------------------------------------------------------------------------------------------


async def test_s_sorts_by_the_next_column_and_S_reverses(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "s")
        by_name = [p.id for p in sample_portfolio.pilots(sort=SortKey.NAME)]
        assert shown_ids(app) == by_name
        assert "Name ▲" in table(app).render_line(0).text
        assert "sort: name ▲" in totals(app)
        await press(pilot, "S")
        assert shown_ids(app) == by_name[::-1]
        assert "Name ▼" in table(app).render_line(0).text
        await press(pilot, "s", "s", "s")  # office, stage, readiness
        assert shown_ids(app) == [p.id for p in sample_portfolio.pilots(sort=SortKey.READINESS)]
        assert "sort: readiness ▲" in totals(app)


async def test_sort_keeps_the_cursor_on_its_pilot(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "j", "j", "j")
        await press(pilot, "s", "S")
        assert table(app).cursor_key == "DCS-004"
        assert table(app).cursor_index == shown_ids(app).index("DCS-004")


async def test_clicking_a_heading_sorts_by_it(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        days = table(app).columns[-1]
        assert days.key == "days"
        await pilot.click("#pilots", offset=(118 - days.width // 2, 0))
        await settle(pilot)
        assert shown_ids(app) == [p.id for p in sample_portfolio.pilots(sort=SortKey.DAYS)]
        await pilot.click("#pilots", offset=(118 - days.width // 2, 0))
        await settle(pilot)
        assert shown_ids(app) == [p.id for p in sample_portfolio.pilots(sort=SortKey.DAYS, descending=True)]


# ---- marks and compare ----------------------------------------------------------------------------------


async def test_space_marks_and_unmarks(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "space")
        t = table(app)
        assert t.cursor_key == "DCS-002"  # marking moves on, to mark the next quickly
        await press(pilot, "space")
        assert app.marked_ids() == ["DCS-001", "DCS-002"]
        first, second = t.get_row(0), t.get_row(1)
        assert first is not None and first.marked and second is not None and second.marked
        assert t.render_line(1).text.startswith("● DCS-001")
        assert "2 marked" in totals(app)
        await press(pilot, "k", "space")
        assert app.marked_ids() == ["DCS-001"]
        assert "1 marked" in totals(app)


async def test_marks_survive_a_filter(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await type_filter(pilot, "stalled")
        await press(pilot, "space")
        await press(pilot, "escape")
        assert app.marked_ids() == ["DCS-011"]
        row = table(app).get_row(10)
        assert row is not None and row.key == "DCS-011" and row.marked


async def test_c_compares_the_marked_pilots(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "c")  # nothing marked: nothing to compare, and the footer does not offer c
        assert isinstance(app.screen, PortfolioScreen)
        await press(pilot, "space", "j", "space", "c")
        assert app.current_mode == "compare"
        assert app.marked_ids() == ["DCS-001", "DCS-003"]


# ---- changes through the modals -------------------------------------------------------------------------


async def test_b_adds_a_blocker_and_the_row_shows_it(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "j", "b")  # DCS-002
        assert isinstance(app.screen, BlockerPicker)
        await pilot.press(*"debug-only")
        await press(pilot, "enter")
        assert isinstance(app.screen, PortfolioScreen)
        assert "debug-only-logging" in sample_portfolio.open_blocker_tags(["DCS-002"])["DCS-002"]
        assert row_text(app, "DCS-002").split(" | ")[6].startswith("2 debug-only-")  # infrastructure first
        assert table(app).cursor_key == "DCS-002"
        assert "DCS-002: blocker debug-only-logging opened" in notes(app)


async def test_promote_through_the_gate(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, *["j"] * 7)  # DCS-008 passes its gate into readiness
        assert table(app).cursor_key == "DCS-008"
        await press(pilot, "greater_than_sign")
        modal = app.screen
        assert isinstance(modal, GateModal) and modal.to_stage is Stage.READINESS
        await press(pilot, "enter")
        assert sample_portfolio.get("DCS-008").stage is Stage.READINESS
        assert row_text(app, "DCS-008").split(" | ")[3] == "readiness"
        assert table(app).cursor_key == "DCS-008"
        assert "DCS-008 moved to Production readiness" in notes(app)


async def test_a_refused_gate_leaves_the_pilot_where_it_is(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "j", "j", "j", "greater_than_sign")  # DCS-004: shared service account
        assert isinstance(app.screen, GateModal)
        await press(pilot, "enter", "escape")
        assert isinstance(app.screen, PortfolioScreen)
        assert sample_portfolio.get("DCS-004").stage is Stage.PILOT


async def test_demote_moves_back_a_stage(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "j", "j", "j", "less_than_sign")
        modal = app.screen
        assert isinstance(modal, GateModal) and modal.to_stage is Stage.POC
        await press(pilot, "enter")
        assert row_text(app, "DCS-004").split(" | ")[3] == "poc"
        assert "poc 6" in plain(screen(app).query_one("#stages", Static))


async def test_no_promotion_past_the_last_stage(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await type_filter(pilot, "stage:scaled")
        await press(pilot, "greater_than_sign")
        assert isinstance(app.screen, PortfolioScreen)
        assert "DCS-027 is scaled: there is no stage after it" in notes(app)


async def test_n_creates_a_pilot_and_the_cursor_goes_to_it(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "n")
        assert isinstance(app.screen, PilotForm) and app.screen.pilot_id is None
        await pilot.press(*"Zoning Letter Drafting")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, PortfolioScreen)
        created = [p for p in sample_portfolio.pilots() if p.name == "Zoning Letter Drafting"]
        assert len(created) == 1
        assert table(app).cursor_key == created[0].id
        assert totals(app).startswith("31 pilots")
        assert f"Created {created[0].id}" in notes(app)


async def test_a_new_pilot_hidden_by_the_filter_is_announced(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await type_filter(pilot, "stalled")
        await press(pilot, "n")
        await pilot.press(*"Hidden One")
        await press(pilot, "ctrl+s")
        created = next(p for p in sample_portfolio.pilots() if p.name == "Hidden One")
        assert created.id not in shown_ids(app)
        assert any(n.startswith(f"{created.id} is not shown: the filter hides it") for n in notes(app))


async def test_e_edits_the_pilot_under_the_cursor(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "j", "e")
        assert isinstance(app.screen, PilotForm) and app.screen.pilot_id == "DCS-002"
        await press(pilot, "home", "ctrl+k")
        await pilot.press(*"OIG Referral Search")
        await press(pilot, "ctrl+s")
        assert row_text(app, "DCS-002").split(" | ")[1] == "OIG Referral Search"
        assert table(app).cursor_key == "DCS-002"


async def test_a_change_in_the_detail_shows_when_coming_back(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "s", "s", "s", "s")  # by readiness: the row moves when its readiness changes
        await press(pilot, "g", "enter")
        detail = app.screen
        assert isinstance(detail, PilotDetailScreen)
        pilot_id = detail.pilot_id
        before = sample_portfolio.get(pilot_id).readiness
        await press(pilot, "enter", "down", "down", "ctrl+s")  # the first item: not assessed -> gap -> partial
        await press(pilot, "escape")
        assert sample_portfolio.get(pilot_id).readiness != before
        assert table(app).cursor_key == pilot_id
        assert shown_ids(app) == [p.id for p in sample_portfolio.pilots(sort=SortKey.READINESS)]


# ---- undo and reload ------------------------------------------------------------------------------------


async def test_u_undoes_the_last_change(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "j", "j", "j", "less_than_sign", "enter")
        assert row_text(app, "DCS-004").split(" | ")[3] == "poc"
        await press(pilot, "u")
        assert sample_portfolio.get("DCS-004").stage is Stage.PILOT
        assert row_text(app, "DCS-004").split(" | ")[3] == "pilot"
        assert table(app).cursor_key == "DCS-004"
        assert "Undid DCS-004 stage move: pilot → poc" in notes(app)
        assert sample_portfolio.history(limit=1)[0].action == "undo"


async def until_asked(pilot: Pilot[Any]) -> None:
    """Until the confirmation is on screen (not `settle`: the undo's worker waits for the answer)."""
    for _ in range(600):  # a bound for a stuck app, not a timing
        if isinstance(pilot.app.screen, ConfirmScreen):
            return
        await pilot.pause(0.05)
    raise AssertionError("the app never asked")


async def test_u_after_a_sample_load_asks_then_removes_the_whole_load(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert len(shown_ids(app)) == 30
        await pilot.press("u")  # one key would remove 30 pilots: it asks first (its worker waits for the answer)
        await until_asked(pilot)
        assert app.screen.question == "Undo the whole import?"
        await press(pilot, "n")
        assert sample_portfolio.count() == 30 and len(shown_ids(app)) == 30
        await pilot.press("u")
        await until_asked(pilot)
        await press(pilot, "y")
        assert sample_portfolio.count() == 0
        assert shown_ids(app) == []
        assert notes(app) == ["Undid import: imported 30 pilots from sample:civilian-agency"]


async def test_u_with_nothing_to_undo_says_so(portfolio: Portfolio) -> None:
    app = make_app(portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "u")
        assert notes(app) == ["Nothing to undo"]


async def test_an_undo_the_store_refuses_is_a_notification(sample_portfolio: Portfolio) -> None:
    sample_portfolio.edit_pilot("DCS-001", owner="Someone")  # tester's last change
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        with Portfolio.open(sample_portfolio.path, actor="colleague") as other:
            other.edit_pilot("DCS-001", owner="Someone else")  # changed again behind the undo's back
        await press(pilot, "u")
        assert app.notes[-1][1] == "error"
        assert "edited again since" in app.notes[-1][0]
        assert isinstance(app.screen, PortfolioScreen)
        assert sample_portfolio.get("DCS-001").owner == "Someone else"


async def test_ctrl_r_shows_a_change_made_by_another_program(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "j", "j")
        sample_portfolio.edit_pilot("DCS-003", name="Renamed Elsewhere")  # the fixture's own connection
        assert "Renamed Elsewhere" not in row_text(app, "DCS-003")  # the table shows what it read
        await press(pilot, "ctrl+r")
        assert row_text(app, "DCS-003").split(" | ")[1] == "Renamed Elsewhere"
        assert table(app).cursor_key == "DCS-003"
        assert "Reloaded from disk" in notes(app)


async def test_a_change_by_another_program_shows_by_itself(sample_portfolio: Portfolio) -> None:
    app = RecordingApp(
        sample_portfolio.path, Settings(actor="tester"), clock=sample_portfolio.clock, watch_interval=0.05
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        sample_portfolio.edit_pilot("DCS-003", name="Renamed Elsewhere")
        for _ in range(40):  # the watch looks every 50 ms
            await pilot.pause(0.05)
            await settle(pilot)
            if "Renamed Elsewhere" in row_text(app, "DCS-003"):
                break
        assert row_text(app, "DCS-003").split(" | ")[1] == "Renamed Elsewhere"


# ---- an empty portfolio ---------------------------------------------------------------------------------


async def test_empty_portfolio_says_how_to_start(portfolio: Portfolio) -> None:
    app = make_app(portfolio)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        s = screen(app)
        empty = plain(s.query_one("#empty", Static))
        assert "This portfolio has no pilots yet." in empty
        assert "ctrl+p → Load sample" in empty
        assert "caio-tui init --sample civilian-agency" in empty
        assert "caio-tui import FILE" in empty
        assert s.query_one("#empty", Static).region.width > 0  # on screen
        assert not table(app).display
        for key in ("space", "b", "greater_than_sign", "e", "enter"):
            await press(pilot, key)
            assert isinstance(app.screen, PortfolioScreen)
        await press(pilot, "n")
        assert isinstance(app.screen, PilotForm)
        await pilot.press(*"First Pilot")
        await press(pilot, "ctrl+s")
        assert table(app).display
        assert len(shown_ids(app)) == 1


async def test_shown_keys_follow_what_applies(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        s = screen(app)
        assert s.check_action("compare", ()) is False
        assert s.check_action("clear_filter", ()) is False
        await press(pilot, "space")
        assert s.check_action("compare", ()) is True
        await type_filter(pilot, "stalled")
        assert s.check_action("clear_filter", ()) is True


async def test_the_stage_counts_follow_a_change_and_a_failed_count_keeps_the_last_ones(
    sample_portfolio: Portfolio, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The header's stage and stalled counts are read after the rows (a worker of their own): they follow a
    change, and when they cannot be read the rows still show, the last counts stay and the user is told."""
    from caio_tui.store import PortfolioError

    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        stages = screen(app).query_one("#stages", Static)
        assert "intake 3 " in plain(stages)
        sample_portfolio.add_pilot(PilotFields(name="Added by another program", office="Benefits"))
        await press(pilot, "ctrl+r")
        assert "intake 4 " in plain(stages) and totals(app).startswith("31 pilots · 4 stalled")

        def unreadable(*_args: object, **_kwargs: object) -> dict[Stage, int]:
            raise PortfolioError("portfolio.db: cannot read the portfolio (disk I/O error)")

        monkeypatch.setattr(app.portfolio, "stage_counts", unreadable)
        sample_portfolio.add_pilot(PilotFields(name="Added again", office="Benefits"))
        await press(pilot, "ctrl+r")
        assert ("portfolio.db: cannot read the portfolio (disk I/O error)", "error") in app.notes
        assert table(app).row_count == 32 and totals(app).startswith("32 pilots · 4 stalled")
        assert "intake 4 " in plain(stages)  # the last counts read, not blanks


def test_read_counts_finds_the_kept_pilot(sample_portfolio: Portfolio) -> None:
    from caio_tui.tui.screens.portfolio import read_counts
    from caio_tui.tui.widgets.pilot_source import PilotQuery

    counts = read_counts(sample_portfolio, PilotQuery(parse_filter("stalled")), "DCS-013")
    assert (counts.shown, counts.total, counts.totals.stalled, counts.position) == (4, 30, 4, 2)
    assert read_counts(sample_portfolio, PilotQuery(parse_filter("stalled")), "DCS-001").position is None
    reused = read_counts(sample_portfolio, PilotQuery(), None, counts.totals)
    assert reused.totals is counts.totals and reused.shown == 30


def test_a_load_reads_the_rows_first_and_the_stage_counts_after(sample_portfolio: Portfolio) -> None:
    """At a million pilots the stage counts take about 100 ms: the rows do not wait for them."""
    from caio_tui.tui.screens.portfolio import Window, complete_totals, read_view
    from caio_tui.tui.widgets.pilot_source import PilotQuery

    view = read_view(sample_portfolio, PilotQuery(), None, window=Window(visible=8, page_size=10))
    assert view is not None and [p.id for p in view.pages[0]][:2] == ["DCS-001", "DCS-002"]
    totals = view.counts.totals
    assert (totals.total, totals.stages, totals.stalled, totals.complete) == (30, None, None, False)
    complete = complete_totals(sample_portfolio, totals)
    assert complete.stages == sample_portfolio.stage_counts() and sum(complete.stages.values()) == 30
    assert complete.stalled == 4 and complete.complete


# ---- at a size where paging matters ----------------------------------------------------------------------


PAGE_READS = ("page", "table_page", "page_after", "page_before")


class PageReads:
    """Notes each page the app's Portfolio reads (by offset or by keyset): which read it was, and whether
    the UI thread ran it."""

    def __init__(self, portfolio: Portfolio) -> None:
        self.reads: list[tuple[str, bool]] = []
        for name in PAGE_READS:
            setattr(portfolio, name, self._noting(name, getattr(portfolio, name)))

    def _noting(self, name: str, original: Any) -> Any:
        def read(*args: Any, **kwargs: Any) -> Any:
            self.reads.append((name, threading.current_thread() is threading.main_thread()))
            return original(*args, **kwargs)

        return read

    @property
    def used(self) -> list[str]:
        return [name for name, _ in self.reads]

    @property
    def on_ui_thread(self) -> int:
        return sum(on_ui for _, on_ui in self.reads)


async def test_filter_and_sort_show_their_rows_without_reading_on_the_ui_thread(portfolio: Portfolio) -> None:
    from caio_tui.io.generate import generate

    generate(portfolio, 450, seed=5)
    app = make_app(portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        t = table(app)
        await press(pilot, "G", "k", "k")  # deep in the list, on the fifth page
        kept = t.cursor_key
        assert kept is not None and t.cursor_index == 447
        noted = PageReads(app.portfolio)
        await press(pilot, "s")  # by name: the kept pilot moves, the cursor with it
        by_name = [p.id for p in portfolio.pilots(sort=SortKey.NAME)]
        assert t.cursor_key == kept and t.cursor_index == by_name.index(kept)
        lit = t.cursor_index - round(t.scroll_y) + 1
        assert t.render_line(lit).text.startswith(f"  {kept}")
        assert kept not in t.render_line(lit - 1).text
        await type_filter(pilot, "stage:pilot")
        expected = [p.id for p in portfolio.pilots(parse_filter("stage:pilot"), sort=SortKey.NAME)]
        assert totals(app).startswith(f"{len(expected)} of 450 pilots")
        assert [t.render_line(y).text.split()[0] for y in (1, 2, 3)] == expected[:3]
        assert noted.reads and noted.on_ui_thread == 0  # the counts and the rows shown were read in workers


async def test_page_down_through_a_long_list_shows_the_stores_rows(portfolio: Portfolio) -> None:
    from caio_tui.io.generate import generate

    generate(portfolio, 450, seed=5)
    app = make_app(portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        t = table(app)
        for _ in range(5):  # past the first page of 100 rows: the next one was read ahead
            await press(pilot, "pagedown")
        ids = [p.id for p in portfolio.pilots()]
        top = round(t.scroll_y)
        assert top > 100
        assert [t.render_line(y).text.split()[0] for y in range(1, 6)] == ids[top : top + 5]


def test_read_view_reads_the_pages_the_table_will_show(sample_portfolio: Portfolio) -> None:
    from caio_tui.tui.screens.portfolio import Window, read_view
    from caio_tui.tui.widgets.pilot_source import PilotQuery

    by_name = [p.id for p in sample_portfolio.pilots(sort=SortKey.NAME)]
    kept = by_name[25]
    window = Window(top=0, visible=8, cursor=3, page_size=10)
    view = read_view(sample_portfolio, PilotQuery(sort=SortKey.NAME), kept, window=window)
    assert view is not None
    # The cursor goes to row 25 and the table scrolls to show rows 18..25: pages 10-19 and 20-29.
    assert view.counts.position == 25
    assert sorted(view.pages) == [10, 20]
    assert [p.id for p in [*view.pages[10], *view.pages[20]]] == by_name[10:30]
    gone = read_view(sample_portfolio, PilotQuery(), None, window=window, superseded=lambda: True)
    assert gone is None  # a newer load made it useless: it stops after its first query


@pytest.mark.parametrize("query", ["", "a", "office:o"])
@pytest.mark.parametrize(("sort", "descending"), [(SortKey.ID, False), (SortKey.READINESS, True)])
def test_pages_next_to_one_read_are_read_by_keyset_and_show_what_offset_would(
    sample_portfolio: Portfolio, query: str, sort: SortKey, descending: bool
) -> None:
    """Paging deep into a million pilots costs what the first page does: a page after (or before) one
    already read continues from its last (first) pilot, and the last page is read from the end of the list;
    only a jump into the middle reads by OFFSET. The rows are the same either way."""
    from caio_tui.tui.widgets.pilot_source import PilotQuery, PilotSource

    f = parse_filter(query)
    listed = [p.id for p in sample_portfolio.pilots(f, sort=sort, descending=descending)]
    assert len(listed) > 16  # the last page is not next to the first three
    noted = PageReads(sample_portfolio)
    source = PilotSource(sample_portfolio, PilotQuery(f, sort, descending), count=len(listed))

    def ids(offset: int) -> list[str]:
        return [row.key for row in source.page(offset, 4)]

    last = (len(listed) - 1) // 4 * 4
    assert ids(0) + ids(4) + ids(8) == listed[:12]  # down from the top
    assert ids(last) == listed[last:]  # the end
    assert ids(last - 4) == listed[last - 4 : last]  # up from the end
    assert noted.used == ["table_page", "page_after", "page_after", "page_before", "page_before"]
    assert ids(4) == listed[4:8] and len(noted.used) == 5  # a page read is kept: not read again


def test_shown_rows_scroll_the_least_to_show_the_cursor() -> None:
    from caio_tui.tui.screens.portfolio import Window, shown_rows

    window = Window(top=40, visible=20, cursor=45)
    assert shown_rows(window, 1000, 50, reset_cursor=False) == range(40, 60)  # already on screen
    assert shown_rows(window, 1000, 70, reset_cursor=False) == range(51, 71)  # below: at the bottom
    assert shown_rows(window, 1000, 3, reset_cursor=False) == range(3, 23)  # above: at the top
    assert shown_rows(window, 1000, None, reset_cursor=True) == range(0, 20)
    assert shown_rows(window, 1000, None, reset_cursor=False) == range(40, 60)  # the cursor keeps its index
    assert shown_rows(window, 12, None, reset_cursor=False) == range(0, 12)  # fewer rows than fit
    assert shown_rows(window, 0, None, reset_cursor=True) == range(0)


# ---- columns at a width, and the columns a user chooses ------------------------------------------------------


async def test_at_80x24_the_name_gets_the_width_ids_show_whole_and_a_column_can_be_hidden(portfolio: Portfolio) -> None:
    from caio_tui.config import config_path, load_settings
    from caio_tui.tui.palette import commands_for

    long_id = "AGENCY-2025-000123"
    portfolio.add_pilot(PilotFields(name="Benefits Policy Helper", office="Office of Benefits"), pilot_id=long_id)
    portfolio.add_pilot(PilotFields(name="FOIA Redaction Assistant"), pilot_id="AI-10")
    portfolio.add_pilot(PilotFields(name="Grant Narrative Checker"), pilot_id="AI-2")
    app = make_app(portfolio)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        t = table(app)
        assert [c.key for c in t.columns] == ["id", "name", "stage", "readiness", "territory", "blockers", "days"]
        assert [t.get_row(i).key for i in range(3)] == [long_id, "AI-2", "AI-10"]  # type: ignore[union-attr]
        line = t.render_line(1).text
        assert long_id in line and "Benefits Policy Helper" in line  # whole: no "AGENCY-20…"
        hide = next(c for c in commands_for(app, app.screen) if c.title == "Hide column: Territory")
        hide.run()
        await until(pilot, lambda: "territory" not in [c.key for c in table(app).columns])
        assert load_settings().table_columns == ("id", "name", "office", "stage", "readiness", "blockers", "days")
        assert "[table]" in config_path().read_text(encoding="utf-8")
        show = next(c for c in commands_for(app, app.screen) if c.title == "Show column: Territory")
        show.run()
        await until(pilot, lambda: "territory" in [c.key for c in table(app).columns])
