"""The Identity view (key 7): proposals from the IdP's exports accepted (a), rejected (x), a rule accepted
across the portfolio after a confirmation (A), suggested links linked by hand (t, then l or enter), the
palette's "Import identity exports…", and the pilot's identity facts on its detail screen."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from caio_tui.domain.identity import AppRef, ExportKind, IdpApp, Vendor
from caio_tui.store import Portfolio
from caio_tui.tui.dialogs.questions import ConfirmScreen
from caio_tui.tui.screens.identity import NO_LINKS, NO_PROPOSALS, IdentityScreen
from helpers import NOW, idp
from helpers.tui import make_app, settle, until

SIZES = [(120, 40), (80, 24)]
SnapCompare = Callable[..., bool]


@pytest.fixture
def reviewed(sample_portfolio: Portfolio) -> Iterator[Portfolio]:
    """The civilian-agency sample, its assistant DCS-004 linked to an Okta app three people use as one
    login, and a second application named like DCS-008 waiting to be linked."""
    p = sample_portfolio
    helpdesk = IdpApp(AppRef(Vendor.OKTA, "0oa3tickets", "Help Desk Ticket Summarizer"), None, None, True, True)
    p.import_identity(
        [
            idp.shared_assignments(people=4),
            idp.okta_apps(),
            idp.tokens(date(2026, 11, 10)),
            idp.users({0: True, 1: True, 2: False, 3: True}),
            idp.export(ExportKind.OKTA_APPS, "more-apps.json", apps=[helpdesk]),
        ]
    )
    p.link_app("DCS-004", "okta", "0oa1assist")
    yield p


def _screen(app: Any) -> IdentityScreen:
    screen = app.screen
    assert isinstance(screen, IdentityScreen)
    return screen


async def _open(pilot: Pilot[Any]) -> IdentityScreen:
    await settle(pilot)
    await pilot.press("7")
    await until(pilot, lambda: isinstance(pilot.app.screen, IdentityScreen) and pilot.app.screen.pending is not None)
    return _screen(pilot.app)


async def test_a_accepts_and_x_rejects_the_highlighted_proposal(reviewed: Portfolio) -> None:
    before = reviewed.proposals()
    assert len(before) >= 2
    app = make_app(reviewed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        await until(pilot, lambda: screen.suggestions_read)
        suggested = screen.suggestions
        first, second = screen.pending[:2]  # type: ignore[index]
        await pilot.press("a")
        await until(pilot, lambda: screen.pending is not None and first.id not in {p.id for p in screen.pending})
        assert screen.table.cursor_key == str(second.id)  # the cursor moves on to the next one
        await pilot.press("x")
        await until(pilot, lambda: screen.pending is not None and second.id not in {p.id for p in screen.pending})
        await settle(pilot)
        assert screen.suggestions is suggested  # a decision on a proposal does not suggest links again
    decided = {p.id: p.state for p in reviewed.proposals(state=None)}
    assert decided[first.id] == "accepted" and decided[second.id] == "rejected"


async def test_A_accepts_the_rule_everywhere_after_saying_how_many(reviewed: Portfolio) -> None:
    app = make_app(reviewed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        rule = screen.pending[0].rule  # type: ignore[index]
        count = sum(1 for p in reviewed.proposals() if p.rule == rule)
        await pilot.press("A")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert f"Accept all {count} pending proposal(s) of rule {rule}" in app.screen.question  # type: ignore[attr-defined]
        await pilot.press("y")
        await until(pilot, lambda: screen.pending is not None and all(p.rule != rule for p in screen.pending))
    assert not reviewed.proposals(rule=rule)


async def test_links_are_suggested_and_made_only_by_hand(reviewed: Portfolio) -> None:
    assert ("DCS-008", "0oa3tickets") not in {(link[0], link[2]) for link in reviewed.app_links()}
    app = make_app(reviewed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        await pilot.press("t")
        await settle(pilot)
        keys = [(s.pilot_id, s.app_key) for s in screen.suggestions]
        assert ("DCS-008", "0oa3tickets") in keys
        for _ in range(keys.index(("DCS-008", "0oa3tickets"))):
            await pilot.press("j")
        await pilot.press("l")
        await settle(pilot)
        await until(
            pilot, lambda: ("DCS-008", "0oa3tickets") not in [(s.pilot_id, s.app_key) for s in screen.suggestions]
        )
    assert ("DCS-008", "okta", "0oa3tickets") in {link[:3] for link in reviewed.app_links()}


@pytest.mark.parametrize("size", SIZES, ids=["120x40", "80x24"])
def test_snapshot_identity_review(snap_compare: SnapCompare, reviewed: Portfolio, size: tuple[int, int]) -> None:
    async def opened(pilot: Pilot[Any]) -> None:
        await _open(pilot)
        await settle(pilot)

    app = make_app(reviewed)
    assert snap_compare(app, terminal_size=size, run_before=opened)


def _facts_read(app: Any, pilot_id: str) -> bool:
    from caio_tui.tui.screens.detail import PilotDetailScreen
    from caio_tui.tui.widgets.detail.identity import IdentityFacts

    screen = app.screen
    if not isinstance(screen, PilotDetailScreen) or screen.pilot_id != pilot_id or not screen.query(IdentityFacts):
        return False
    return screen.query_one(IdentityFacts).facts is not None


async def test_the_detail_screen_shows_the_pilots_identity_facts(reviewed: Portfolio) -> None:
    from caio_tui.tui.screens.detail import PilotDetailScreen
    from caio_tui.tui.widgets.detail.identity import IdentityFacts

    app = make_app(reviewed)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.push_screen(PilotDetailScreen(app.portfolio, "DCS-004"))
        await until(
            pilot, lambda: app.screen.query(IdentityFacts) and app.screen.query_one(IdentityFacts).facts is not None
        )
        facts = app.screen.query_one(IdentityFacts)
        shown = str(facts.content)
        assert facts.display and "Benefits Assistant" in shown and "svc-benefits" in shown
        assert "wait for review: key 7" in shown
        app.push_screen(PilotDetailScreen(app.portfolio, "DCS-001"))  # linked to nothing: no section
        await until(pilot, lambda: _facts_read(app, "DCS-001"))
        assert not app.screen.query_one(IdentityFacts).display


async def test_the_palette_imports_a_folder_of_exports_and_refuses_an_unknown_file(
    sample_portfolio: Portfolio, tmp_path: Path
) -> None:
    from caio_tui.io.generate import Generator
    from caio_tui.io.idp.generate import write_idp_exports
    from caio_tui.tui.dialogs.identity_import import IdentityImportScreen
    from caio_tui.tui.palette import commands_for, start_identity_import

    write_idp_exports(Generator(2, NOW).pilots(20), tmp_path / "all", seed=2, now=NOW)
    folder = tmp_path / "logs"
    folder.mkdir()
    (tmp_path / "all/okta/system-log.ndjson").rename(folder / "system-log.ndjson")
    (tmp_path / "notes.txt").write_text("hello\n")
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert any(c.title == "Import identity exports…" for c in commands_for(app, app.screen))
        start_identity_import(app, folder)
        await until(pilot, lambda: isinstance(app.screen, IdentityImportScreen) and app.screen.done)
        assert app.screen.result is not None  # type: ignore[attr-defined]
        await pilot.press("escape")
        start_identity_import(app, tmp_path / "notes.txt")
        await until(pilot, lambda: isinstance(app.screen, IdentityImportScreen) and app.screen.done)
        assert app.screen.result is None  # type: ignore[attr-defined]
    assert any(title == "Nothing was imported" or "notes.txt" in note for note, title in app.notes)
    assert sample_portfolio.identity_apps()


def test_a_folder_reached_through_dot_dot_or_a_hidden_parent_gives_its_files(tmp_path: Path) -> None:
    from caio_tui.tui.dialogs.identity_import import export_files

    folder = tmp_path / ".config" / "exports"
    (folder / ".git").mkdir(parents=True)
    (folder / "okta-users.json").write_text("[]", encoding="utf-8")
    (folder / ".DS_Store").write_text("", encoding="utf-8")
    (folder / ".git" / "HEAD").write_text("", encoding="utf-8")
    assert [p.name for p in export_files(folder)] == ["okta-users.json"]
    assert [p.name for p in export_files(folder / ".." / "exports")] == ["okta-users.json"]


async def test_the_header_and_the_empty_messages_fit_80_columns(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)  # no identity export read: nothing proposed, nothing to link
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        for message, tab in ((NO_PROPOSALS, "Proposals"), (NO_LINKS, "Suggested links")):
            title = screen.query_one("#identity-title", Static)
            assert title.region.height == 1 and f"Identity review · {tab}: " in str(title.render())
            shown = [strip.text for strip in screen.table.render_lines(screen.table.region.reset_offset)]
            assert any(line.strip() == message for line in shown), shown  # whole, not cut
            await pilot.press("t")
            await settle(pilot)
