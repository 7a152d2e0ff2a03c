"""The Conflicts view (key 8), after a real office round (helpers.offices.merged_portfolio): `o` takes the
office's value, `c` keeps the CAIO's, `e` sets one's own (checked before the dialog closes), `>` passes a
stage request through the gate dialog of `>`, `d` declines one; the count in the view bar follows, `u`
undoes a decision; names are shown as typed (a pilot named `[red]...` is not markup)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from caio_tui.domain.coverage import CoverageStatus
from caio_tui.domain.stages import Stage
from caio_tui.store import Portfolio
from caio_tui.store.office_queue import waiting_count
from caio_tui.tui.dialogs.conflict_value import ConflictValue, DeclineReason
from caio_tui.tui.dialogs.gate import GateModal
from caio_tui.tui.screens.conflicts import ConflictsScreen, RequestGateModal, conflict_rows
from caio_tui.tui.widgets.conflict_pane import ConflictPane
from caio_tui.tui.widgets.view_bar import ViewBar
from helpers import NOW
from helpers.offices import Waiting, merged_portfolio, seed_waiting
from helpers.tui import make_app, settle, until

SIZES = [(120, 40), (80, 24)]
SnapCompare = Callable[..., bool]


@pytest.fixture(scope="module")
def merged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return merged_portfolio(tmp_path_factory.mktemp("merged"))


@pytest.fixture
def waiting(merged: Path, tmp_path: Path) -> Iterator[Portfolio]:
    """Conflicts 1 (P-1 access.roles), 2 (description), 3 (owner); requests 1 (P-2 to poc) and 2 (P-1 to
    pilot, from a second bundle)."""
    with Portfolio.open(shutil.copy2(merged, tmp_path / "p.db"), actor="tester", clock=lambda: NOW) as p:
        seed_waiting(p, Waiting().request("P-1", "intake", "pilot"), head="d" * 64)
        yield p


def _screen(app: Any) -> ConflictsScreen:
    screen = app.screen
    assert isinstance(screen, ConflictsScreen)
    return screen


def _bar(app: Any) -> str:
    return str(app.screen.query_one(ViewBar).content)


async def _open(pilot: Pilot[Any]) -> ConflictsScreen:
    await settle(pilot)
    await pilot.press("8")
    await until(pilot, lambda: isinstance(pilot.app.screen, ConflictsScreen) and pilot.app.screen.found is not None)
    return _screen(pilot.app)


def _waits(screen: ConflictsScreen, conflicts: int, requests: int) -> Callable[[], bool]:
    return lambda: len(screen.found or ()) == conflicts and len(screen.asked) == requests


async def test_o_takes_the_offices_value_c_keeps_the_caios_and_the_bar_counts_down(waiting: Portfolio) -> None:
    app = make_app(waiting)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        await until(pilot, lambda: "8 Conflicts 5" in _bar(app))
        await pilot.press("o")  # conflict 1: access.roles, the office's "met"
        await until(pilot, _waits(screen, 2, 2))
        await pilot.press("c")  # conflict 2: description, the CAIO's "ours"
        await until(pilot, lambda: _waits(screen, 1, 2)() and "8 Conflicts 3" in _bar(app))
        await pilot.press("u")  # the last decision undone: conflict 2 waits again
        await until(pilot, lambda: _waits(screen, 2, 2)() and "8 Conflicts 4" in _bar(app))
    assert waiting.record("P-1").coverage["access.roles"].status is CoverageStatus.MET
    assert waiting.get("P-1").description == "ours"


async def test_e_sets_a_value_of_ones_own_checked_before_the_dialog_closes(waiting: Portfolio) -> None:
    app = make_app(waiting)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, ConflictValue))
        field = app.screen.query_one(Input)
        assert field.value == "met: IAM catalog"  # the office's value to start from
        for refused in ("done", "met"):  # not a status; a met without evidence
            field.value = refused
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, ConflictValue)  # refused in place: the dialog stays
        field.value = "partial: roles drafted"
        await pilot.press("enter")
        await until(pilot, _waits(screen, 2, 2))
    coverage = waiting.record("P-1").coverage["access.roles"]
    assert (coverage.status, coverage.evidence) == (CoverageStatus.PARTIAL, "roles drafted")


async def test_gt_passes_a_request_through_the_gate_dialog_and_d_declines_one(waiting: Portfolio) -> None:
    app = make_app(waiting)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        await pilot.press("tab")  # to the stage requests
        await until(pilot, lambda: screen.focused is screen.requests_table)
        await pilot.press("greater_than_sign")  # request 1: P-2 intake → poc
        await until(pilot, lambda: isinstance(app.screen, GateModal) and app.screen.result is not None)
        assert "The Office of Benefits asks to move P-2" in str(app.screen.query_one("#gate-heading").content)
        await pilot.press("enter")
        await until(pilot, _waits(screen, 3, 1))
        await pilot.press("d")  # request 2: P-1 intake → pilot, declined with a reason
        await until(pilot, lambda: isinstance(app.screen, DeclineReason))
        app.screen.query_one(Input).value = "not before the ATO"
        await pilot.press("enter")
        await until(pilot, _waits(screen, 3, 0))
    assert (waiting.get("P-2").stage, waiting.get("P-1").stage) == (Stage.POC, Stage.INTAKE)
    assert waiting_count(waiting) == 3
    decided = [e for e in waiting.history("P-1") if e.action == "office.request"]
    assert decided[-1].after["reason"] == "not before the ATO"


async def test_tab_down_gt_opens_the_second_request_and_keys_follow_the_focused_list(waiting: Portfolio) -> None:
    app = make_app(waiting)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        await until(pilot, lambda: bool(screen.asked))
        pane = screen.query_one(ConflictPane)
        assert "Base (as sent)" in pane.shown_text() and "met: IAM catalog" in pane.shown_text()
        assert not screen.check_action("gate", ()) and screen.check_action("take", ())
        await pilot.press("greater_than_sign")  # not the focused list's key: nothing opens
        await settle(pilot)
        assert app.screen is screen
        await pilot.press("tab", "down")
        await until(pilot, lambda: screen.requests_table.cursor_key == str(screen.asked[1].id))
        assert "asks to move P-1" in pane.shown_text()
        assert not screen.check_action("take", ()) and screen.check_action("gate", ())
        await pilot.press("greater_than_sign")
        await until(pilot, lambda: isinstance(app.screen, RequestGateModal))
        assert app.screen.request_id == screen.asked[1].id  # the second request, the highlighted one


@pytest.mark.parametrize("size", SIZES, ids=["120x40", "80x24"])
def test_snapshot_conflicts(snap_compare: SnapCompare, waiting: Portfolio, size: tuple[int, int]) -> None:
    async def opened(pilot: Pilot[Any]) -> None:
        screen = await _open(pilot)
        await until(pilot, lambda: bool(screen.found) and "Conflicts 5" in _bar(pilot.app))
        await settle(pilot)

    assert snap_compare(make_app(waiting), terminal_size=size, run_before=opened)


def test_names_and_values_are_shown_as_typed_never_as_markup(waiting: Portfolio) -> None:
    from caio_tui.store.office_queue import conflicts

    row = conflict_rows(conflicts(waiting))[0]
    assert [str(cell) for cell in row.cells[:2]] == ["P-1 Claims [red]triage", "coverage access.roles"]


async def test_the_detail_says_what_waits_and_credits_the_office_whose_value_was_taken(waiting: Portfolio) -> None:
    from textual.widgets import OptionList, Static

    from caio_tui.tui.screens.detail import PilotDetailScreen

    app = make_app(waiting)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        await pilot.press("o")  # conflict 1: P-1's access.roles, the office's "met: IAM catalog"
        await until(pilot, _waits(screen, 2, 2))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, PilotDetailScreen) and app.screen.view is not None)
        fields = str(app.screen.query_one("#detail-fields", Static).content)
        assert "2 conflicts and a stage request from the Office of Benefits wait: press 8" in fields
        options = app.screen.query_one("#detail-coverage", OptionList)
        prompts = " ".join(str(options.get_option_at_index(i).prompt) for i in range(options.option_count))
        assert "met, set by office Office of Benefits (chosen by tester) on " in " ".join(prompts.split())


async def test_a_request_shows_the_offices_words_and_a_refused_gate_its_override_hint_at_80x24(
    waiting: Portfolio,
) -> None:
    from textual.widgets import Static

    waiting.conn.execute(
        "UPDATE office_request SET note = 'the office thinks it is ready', requested = 'production' WHERE id = 2"
    )
    app = make_app(waiting)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        await pilot.press("tab", "down")
        await until(pilot, lambda: "the office thinks it is ready" in screen.query_one(ConflictPane).shown_text())
        assert "The Office of Benefits asks to move P-1 to Production: ‘the office thinks it is ready’" in " ".join(
            screen.query_one(ConflictPane).shown_text().split()
        )
        await pilot.press("greater_than_sign")
        await until(pilot, lambda: isinstance(app.screen, RequestGateModal) and app.screen.result is not None)
        heading = str(app.screen.query_one("#gate-heading", Static).content)
        assert "asks to move P-1 to Production: ‘the office thinks it is ready’" in heading
        assert not app.screen.result.passed  # the override hint is on the screen, not below the fold
        hints = app.screen.query_one("#gate-hints", Static)
        assert "o override" in str(hints.content) and hints.region.bottom <= 24 and hints.region.height > 0
