"""The Pipeline view (key 2): lanes by stage, cards, focus, gated moves, the filter, paging a big lane.
Driven with its keys over the civilian-agency sample (fixed clock); snapshots at 120x40 and 80x24."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.content import Content
from textual.widgets import Static

from caio_tui.domain.filters import PilotFilter, parse_filter
from caio_tui.domain.pilots import PilotFields
from caio_tui.domain.stages import Stage
from caio_tui.domain.territory import BlockerCategory
from caio_tui.io.generate import generate
from caio_tui.store import Portfolio
from caio_tui.tui.app import CaioApp
from caio_tui.tui.dialogs.gate import GateModal
from caio_tui.tui.screens.detail import PilotDetailScreen
from caio_tui.tui.screens.pipeline import BoardFilter, PipelineScreen
from caio_tui.tui.widgets.board.data import LANE_SORT, LANES, Card, lane_filter
from caio_tui.tui.widgets.board.lanes import LaneView, card_lines
from helpers.tui import make_app, press, pressing, settle

SnapCompare = Callable[..., bool]
SIZES = [(120, 40), (80, 24)]
STALLED_IN_SAMPLE = {"DCS-011", "DCS-012", "DCS-013", "DCS-014"}


def board(app: CaioApp) -> PipelineScreen:
    assert isinstance(app.screen, PipelineScreen), f"expected the Pipeline, got {app.screen!r}"
    return app.screen


def lane_text(app: CaioApp, stage: Stage) -> str:
    return board(app).lane_view(stage).render().plain


def lane_ids(app: CaioApp, stage: Stage) -> list[str]:
    return [c.id for c in board(app).lane_view(stage).lane.cards]


def in_order(portfolio: Portfolio, stage: Stage, pilot_filter: PilotFilter | None = None) -> list[str]:
    """A lane's pilots in the board's order, read straight from the store."""
    wanted = lane_filter(pilot_filter or PilotFilter(), stage)
    assert wanted is not None
    return [p.id for p in portfolio.pilots(wanted, sort=LANE_SORT, descending=True)]


def make_stale(portfolio: Portfolio) -> None:
    """DCS-008 passes into readiness, then a personal-credentials blocker opens: its approval is stale."""
    portfolio.move("DCS-008", Stage.READINESS)
    portfolio.open_blocker("DCS-008", "personal-credentials", note="runs as the lead's account")
    assert portfolio.get("DCS-008").approval_stale


# ---- what the board shows -----------------------------------------------------------------------------------


async def test_2_shows_a_lane_per_stage_headed_by_its_count_with_retired_collapsed(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "2")
        screen = board(app)
        counts = sample_portfolio.stage_counts()
        for stage in LANES:
            view = screen.lane_view(stage)
            assert view.lane.total == counts[stage]
            heading = lane_text(app, stage).splitlines()[2 if stage is Stage.RETIRED else 0]
            assert heading.split()[-1] == f"{counts[stage]}"
            if stage is not Stage.RETIRED:
                # The lane's window, in the board's order (longest in the stage first).
                assert lane_ids(app, stage) == in_order(sample_portfolio, stage)
        assert screen.lane_view(Stage.RETIRED).collapsed
        assert "Retired" in lane_text(app, Stage.RETIRED) and "⏎ open" in lane_text(app, Stage.RETIRED)
        assert "Legacy" not in lane_text(app, Stage.RETIRED)  # its cards stay hidden while collapsed
        totals = str(screen.query_one("#pipeline-totals", Static).content)
        assert totals == "30 pilots · 4 stalled · 1 below their gate ↓"  # DCS-020, in production
        # Every card of the pilot lane is drawn with its name; a lane with more cards than fit says so.
        text = lane_text(app, Stage.PILOT)
        shown = [pid for pid in in_order(sample_portfolio, Stage.PILOT) if sample_portfolio.get(pid).name[:12] in text]
        assert shown == in_order(sample_portfolio, Stage.PILOT)[: len(shown)]
        more = counts[Stage.PILOT] - len(shown)
        assert (f"+{more} more" in text) == (more > 0)


async def test_cards_mark_stalled_pilots_and_stale_approvals(sample_portfolio: Portfolio) -> None:
    make_stale(sample_portfolio)
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "2")
        cards = {c.id: c for stage in LANES for c in board(app).lane_view(stage).lane.cards}
        assert {pid for pid, c in cards.items() if c.stalled} == STALLED_IN_SAMPLE
        assert {pid for pid, c in cards.items() if c.stale} == {"DCS-008"}
        assert cards["DCS-008"].blockers[-1] is BlockerCategory.IDENTITY
        assert "stale" in lane_text(app, Stage.READINESS)
        assert "stalled" in lane_text(app, Stage.READINESS)
        totals = str(board(app).query_one("#pipeline-totals", Static).content)
        assert "· 1 approval stale ·" in totals and totals.endswith("below their gate ↓")


def test_a_card_shows_name_office_readiness_glyphs_days_and_marks() -> None:
    card = Card(
        id="P-1",
        name="Benefits [red]Policy[/red] Assistant",
        office="Office of Benefits",
        readiness=0.42,
        blockers=(BlockerCategory.IDENTITY, BlockerCategory.GOVERNANCE, BlockerCategory.ORGANIZATIONAL),
        days=212,
        stalled=True,
        stale=True,
    )
    wide = [line.plain for line in card_lines(card, 40)]
    assert all(len(line) == 40 for line in wide)
    assert wide[0].startswith(" Benefits [red]Policy[/red] Assistant")  # user text shows literally
    assert wide[1].strip() == "Office of Benefits"
    assert "42%" in wide[2] and "█" in wide[2]
    assert wide[3].strip() == "◆▲● 212d stalled approval stale"  # stalled said once: no gutter bar too
    narrow = [line.plain for line in card_lines(card, 14)]
    assert narrow[:2] == ["Benefits      ", "[red]Policy[/…"]  # the name takes the office's line
    assert narrow[3].strip() == "◆▲● 212d!≠"
    narrower = [line.plain for line in card_lines(card, 9)]
    assert narrower[2].strip().endswith("42%")  # the bar gives way, the percentage stays
    assert narrower[3].strip() == "◆▲● !≠ 2…"  # the marks win over the days
    plain_card = Card("P-2", "Chatbot", "", 0.0, (), 3, False, False)
    lines = [line.plain for line in card_lines(plain_card, 20)]
    assert lines[0].startswith(" Chatbot")
    assert lines[1].strip() == "—"
    assert lines[3].strip() == "3d"


# ---- focus --------------------------------------------------------------------------------------------------


async def test_hjkl_and_arrows_move_the_focus_between_lanes_and_cards(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "2")
        screen = board(app)
        intake = in_order(sample_portfolio, Stage.INTAKE)
        poc = in_order(sample_portfolio, Stage.POC)
        assert screen.focused_pilot() == intake[0]
        await press(pilot, "j")
        assert screen.focused_pilot() == intake[1]
        await press(pilot, "l")  # the card at the same height in the next lane
        assert (screen.stage, screen.focused_pilot()) == (Stage.POC, poc[1])
        await press(pilot, "down", "down")
        assert screen.focused_pilot() == poc[3]
        await press(pilot, "k", "up")
        assert screen.focused_pilot() == poc[1]
        await press(pilot, "left")
        assert (screen.stage, screen.focused_pilot()) == (Stage.INTAKE, intake[1])
        await press(pilot, "h", "k", "k", "k")  # nothing left of intake, nothing above its first card
        assert (screen.stage, screen.focused_pilot()) == (Stage.INTAKE, intake[0])
        await press(pilot, "right", "l", "l")
        assert screen.stage is Stage.READINESS
        await press(pilot, "G")
        assert screen.focused_pilot() == in_order(sample_portfolio, Stage.READINESS)[-1]
        await press(pilot, "g")
        assert screen.focused_pilot() == in_order(sample_portfolio, Stage.READINESS)[0]
        focused = screen.lane_view(Stage.READINESS)
        assert focused.focused_lane and not screen.lane_view(Stage.INTAKE).focused_lane


async def test_enter_opens_the_pilot_and_back_returns_to_the_board(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "2", "l", "l", "j")
        wanted = in_order(sample_portfolio, Stage.PILOT)[1]
        await press(pilot, "enter")
        assert isinstance(app.screen, PilotDetailScreen)
        assert app.screen.pilot_id == wanted
        await press(pilot, "escape")
        assert board(app).focused_pilot() == wanted


async def test_enter_on_retired_shows_its_cards_and_escape_collapses_it(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "2", *["l"] * 6)
        screen = board(app)
        assert screen.stage is Stage.RETIRED
        assert screen.focused_pilot() is None
        await press(pilot, "enter")
        retired = screen.lane_view(Stage.RETIRED)
        assert not retired.collapsed
        assert screen.focused_pilot() == in_order(sample_portfolio, Stage.RETIRED)[0]
        assert sample_portfolio.get(screen.focused_pilot() or "").name[:10] in lane_text(app, Stage.RETIRED)
        await press(pilot, "escape")
        assert retired.collapsed
        await press(pilot, "enter", "h")  # leaving the lane folds it away again
        assert retired.collapsed and screen.stage is Stage.SCALED


async def test_a_click_focuses_the_card_under_the_mouse(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "2")
        view = board(app).lane_view(Stage.POC)
        # Row 3 is the first card (heading, rule, the more-above line); each card takes five rows.
        await pilot.click(view, offset=(3, 3 + 5))
        await settle(pilot)
        assert board(app).focused_pilot() == in_order(sample_portfolio, Stage.POC)[1]


# ---- gated moves ------------------------------------------------------------------------------------------


async def test_promote_through_a_passing_gate_and_the_focus_follows_the_card(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "2", "l", "l")
        screen = board(app)
        order = in_order(sample_portfolio, Stage.PILOT)
        target = "DCS-008"
        await press(pilot, *["j"] * order.index(target))
        assert screen.focused_pilot() == target
        await press(pilot, "greater_than_sign")
        assert isinstance(app.screen, GateModal)
        assert app.screen.to_stage is Stage.READINESS
        await press(pilot, "enter")
        assert sample_portfolio.get(target).stage is Stage.READINESS
        screen = board(app)
        assert (screen.stage, screen.focused_pilot()) == (Stage.READINESS, target)
        assert target in lane_ids(app, Stage.READINESS) and target not in lane_ids(app, Stage.PILOT)
        counts = sample_portfolio.stage_counts()
        assert screen.lane_view(Stage.PILOT).lane.total == counts[Stage.PILOT]
        assert screen.lane_view(Stage.READINESS).lane.total == counts[Stage.READINESS]
        # The move passed the gate: the stage history says so.
        assert sample_portfolio.record(target).stage_history[-1].gate == "passed"


async def test_a_refused_gate_moves_nothing_and_L_is_promote_too(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "2", "l", "l")
        await press(pilot, *["j"] * in_order(sample_portfolio, Stage.PILOT).index("DCS-004"))
        await press(pilot, "L")
        modal = app.screen
        assert isinstance(modal, GateModal) and modal.result is not None
        assert not modal.result.passed
        await press(pilot, "escape")
        assert sample_portfolio.get("DCS-004").stage is Stage.PILOT
        assert board(app).focused_pilot() == "DCS-004"


async def test_demote_with_less_than_or_H(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "2", "l", "l", "l", "l")
        moved = board(app).focused_pilot()
        assert moved is not None and sample_portfolio.get(moved).stage is Stage.PRODUCTION
        await press(pilot, "H")
        assert isinstance(app.screen, GateModal) and app.screen.to_stage is Stage.READINESS
        await press(pilot, "enter")
        assert sample_portfolio.get(moved).stage is Stage.READINESS
        assert (board(app).stage, board(app).focused_pilot()) == (Stage.READINESS, moved)
        await press(pilot, "less_than_sign", "enter")
        assert sample_portfolio.get(moved).stage is Stage.PILOT


async def test_moving_off_either_end_of_the_pipeline_says_why(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    notes: list[str] = []
    app.notify = lambda message, *a, **k: notes.append(str(message))  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "2", "less_than_sign")
        first = in_order(sample_portfolio, Stage.INTAKE)[0]
        assert notes[-1] == f"{first} is intake: there is no stage before it"
        await press(pilot, *["l"] * 5, "greater_than_sign")
        last = in_order(sample_portfolio, Stage.SCALED)[0]
        assert notes[-1] == f"{last} is scaled: there is no stage after it"
        assert isinstance(app.screen, PipelineScreen)


async def test_a_change_elsewhere_shows_on_the_board(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "2")
        assert not any(c.stale for c in board(app).lane_view(Stage.READINESS).lane.cards)
        make_stale(app.portfolio)
        app.portfolio_changed()
        await settle(pilot)
        stale = [c.id for c in board(app).lane_view(Stage.READINESS).lane.cards if c.stale]
        assert stale == ["DCS-008"]


async def test_coming_back_to_the_board_reads_the_store_only_after_a_change(
    sample_portfolio: Portfolio, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lanes show at once on return; a change made while the board was hidden is read on return."""
    from caio_tui.tui.screens import pipeline

    reads: list[int] = []
    real = pipeline.read_board

    def counted(*args: Any) -> Any:
        reads.append(1)
        return real(*args)

    monkeypatch.setattr(pipeline, "read_board", counted)
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "2", "1", "2")
        assert len(reads) == 1
        await press(pilot, "1")
        make_stale(app.portfolio)
        app.portfolio_changed()
        await settle(pilot)
        assert len(reads) == 1  # hidden: nothing read yet
        await press(pilot, "2")
        assert len(reads) == 2
        stale = [c.id for c in board(app).lane_view(Stage.READINESS).lane.cards if c.stale]
        assert stale == ["DCS-008"]


# ---- the filter -------------------------------------------------------------------------------------------


async def test_slash_filters_the_board_with_the_tables_tokens(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "2", "slash")
        await pilot.press(*"office:Benefits")
        await press(pilot, "enter")
        screen = board(app)
        wanted = parse_filter("office:Benefits")
        counts = sample_portfolio.stage_counts(wanted)
        assert {s: screen.lane_view(s).lane.total for s in LANES} == counts
        assert lane_ids(app, Stage.PRODUCTION) == in_order(sample_portfolio, Stage.PRODUCTION, wanted)
        assert str(screen.query_one("#pipeline-totals", Static).content).startswith(
            f"{sum(counts.values())} pilots shown"
        )
        assert app.focused is screen.board
        await press(pilot, "escape")
        assert screen.lane_view(Stage.PILOT).lane.total == sample_portfolio.stage_counts()[Stage.PILOT]


async def test_a_stage_token_empties_the_other_lanes_and_a_bad_token_is_explained(
    sample_portfolio: Portfolio,
) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "2", "slash")
        await pilot.press(*"stage:pilot stalled")
        await press(pilot, "enter")
        screen = board(app)
        assert {s: screen.lane_view(s).lane.total for s in LANES if screen.lane_view(s).lane.total} == {Stage.PILOT: 2}
        assert "no pilots" in lane_text(app, Stage.INTAKE)
        await press(pilot, "slash")
        await pilot.press(*" stage:piolt")
        await press(pilot, "enter")
        error = screen.query_one("#pipeline-filter-error", Static)
        assert "unknown stage 'piolt'" in str(error.content)
        assert screen.lane_view(Stage.PILOT).lane.total == 2  # the last good filter still holds
        await press(pilot, "escape")
        assert screen.lane_view(Stage.INTAKE).lane.total == 3


async def test_the_board_filters_as_you_type_and_the_filter_line_shows_while_filtered(
    sample_portfolio: Portfolio,
) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "2", "slash")
        screen = board(app)
        area = screen.query_one("#pipeline-filter-area")
        assert area.display and isinstance(app.focused, BoardFilter)
        await pilot.press(*"stage:pilot stalled")
        await pilot.pause(0.05)  # the pause after a burst of keys
        await settle(pilot)
        assert {s: screen.lane_view(s).lane.total for s in LANES if screen.lane_view(s).lane.total} == {Stage.PILOT: 2}
        assert isinstance(app.focused, BoardFilter)  # still typing
        await press(pilot, "enter")
        assert app.focused is screen.board and area.display  # the applied filter stays in view
        await press(pilot, "escape")
        assert not area.display
        assert screen.lane_view(Stage.INTAKE).lane.total == 3


async def test_stale_filters_the_board_to_stale_approvals(sample_portfolio: Portfolio) -> None:
    make_stale(sample_portfolio)
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "2", "slash")
        await pilot.press(*"stale")
        await press(pilot, "enter")
        assert [c.id for s in LANES for c in board(app).lane_view(s).lane.cards] == ["DCS-008"]


# ---- a big lane -------------------------------------------------------------------------------------------


async def test_a_big_lane_holds_a_window_of_cards_and_scrolls_by_paging(portfolio: Portfolio) -> None:
    generate(portfolio, 600)
    counts = portfolio.stage_counts()
    biggest = max(PIPELINE_ORDER, key=lambda s: counts[s])
    order = in_order(portfolio, biggest)
    app = make_app(portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "2", *["l"] * PIPELINE_ORDER.index(biggest))
        screen = board(app)
        view = screen.lane_view(biggest)
        assert view.lane.total == counts[biggest] > 60
        assert len(view.lane.cards) <= 3 * view.window < view.lane.total  # never the whole stage
        assert f"+{view.lane.total - view.window} more" in lane_text(app, biggest)
        await press(pilot, "pagedown", "pagedown", "pagedown", "pagedown")
        position = 4 * view.window
        assert screen.focused_pilot() == order[position]
        assert view.lane.top == position - view.window + 1
        assert f"↑ {view.lane.top} more" in lane_text(app, biggest)
        assert len(view.lane.cards) <= 3 * view.window
        await press(pilot, "G")
        assert screen.focused_pilot() == order[-1]
        assert view.lane.start > 0 and len(view.lane.cards) <= 3 * view.window
        await press(pilot, "g")
        assert screen.focused_pilot() == order[0] and view.lane.top == 0
        # Every lane widget together holds a few screens of cards, whatever the portfolio's size.
        held = sum(len(screen.lane_view(s).lane.cards) for s in LANES)
        assert held <= 3 * view.window * len(LANES) < portfolio.count()


PIPELINE_ORDER = list(LANES[:-1])


async def test_an_empty_portfolio_shows_empty_lanes(portfolio: Portfolio) -> None:
    app = make_app(portfolio)
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "2", "j", "l", "greater_than_sign", "enter")
        screen = board(app)
        assert all(screen.lane_view(s).lane.total == 0 for s in LANES)
        assert "no pilots" in lane_text(app, Stage.INTAKE)
        assert screen.focused_pilot() is None
        assert isinstance(app.screen, PipelineScreen)


@pytest.mark.parametrize("width", [80, 70])
async def test_at_80_and_70_columns_lanes_and_cards_stay_readable(sample_portfolio: Portfolio, width: int) -> None:
    for scaled in ("DCS-027", "DCS-028"):  # an empty lane
        sample_portfolio.move(scaled, Stage.RETIRED, override="switched off: emptying the scaled lane")
    app = make_app(sample_portfolio)
    async with app.run_test(size=(width, 24)) as pilot:
        await press(pilot, "2")
        await settle(pilot)
        for stage in LANES[:-1]:
            lines = lane_text(app, stage).splitlines()
            assert "…" not in lines[0] and lines[0].strip()[-1].isdigit()  # "Ready 5", not "Readin… 5"
            cards = [card for card in board(app).lane_view(stage).lane.cards if card is not None]
            for line in lines[3:]:
                assert not line.rstrip().endswith("…%")
            if not cards:
                assert lines[2].strip() in ("no pilots", "none") and len(lines) == 3  # one line, not wrapped
        pilot_lane = lane_text(app, Stage.PILOT)
        assert "690d!" in pilot_lane and "stalled" not in pilot_lane  # stalled: one mark (no gutter bar either)
        retired = board(app).lane_view(Stage.RETIRED)
        assert retired.region.right <= width and "Retired" in lane_text(app, Stage.RETIRED)


async def test_user_text_on_a_card_is_never_markup(portfolio: Portfolio) -> None:
    portfolio.add_pilot(PilotFields(name="[red]Boom[/]", office="\x1b[31m<b>"))
    app = make_app(portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "2")
        text = lane_text(app, Stage.INTAKE)
        assert "[red]Boom[/]" in text
        assert "\\x1b[31m<b>" in text
        rendered = board(app).lane_view(Stage.INTAKE).render()
        assert isinstance(rendered, Content)


# ---- snapshots ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES, ids=["120x40", "80x24"])
def test_snapshot_board(snap_compare: SnapCompare, sample_portfolio: Portfolio, size: tuple[int, int]) -> None:
    make_stale(sample_portfolio)
    assert snap_compare(make_app(sample_portfolio), terminal_size=size, run_before=pressing("2", "l", "l", "l"))


@pytest.mark.parametrize("size", SIZES, ids=["120x40", "80x24"])
def test_snapshot_board_retired_open_and_filtered(
    snap_compare: SnapCompare, sample_portfolio: Portfolio, size: tuple[int, int]
) -> None:
    keys = ("2", "slash", *"office:human", "enter", *["l"] * 6, "enter")
    assert snap_compare(make_app(sample_portfolio), terminal_size=size, run_before=pressing(*keys))


def test_lane_view_is_a_widget_of_one_stage() -> None:
    view = LaneView(Stage.PILOT)
    assert view.lane.stage is Stage.PILOT and not view.collapsed
    assert LaneView(Stage.RETIRED).collapsed
