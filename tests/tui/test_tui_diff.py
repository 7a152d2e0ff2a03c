"""The palette's "Compare with snapshot…": what moved since a snapshot (or another portfolio file)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Log, Static

from caio_tui.config import Settings
from caio_tui.domain.coverage import CoverageStatus
from caio_tui.domain.pilots import PilotFields
from caio_tui.domain.stages import Stage
from caio_tui.io.snapshot import snapshot_bytes
from caio_tui.store import Portfolio
from caio_tui.tui.app import CaioApp
from caio_tui.tui.dialogs.questions import PathPrompt
from caio_tui.tui.palette import commands_for, show_snapshot_diff
from caio_tui.tui.screens.portfolio import PortfolioScreen
from caio_tui.tui.screens.snapshot_diff import SnapshotDiffScreen
from helpers.tui import make_app, press, run_command, settle

SnapCompare = Callable[..., bool]
HOSTILE = "[red]x <script>alert(1)</script>"


async def compare_with(pilot: Pilot[Any], path: Path | str) -> SnapshotDiffScreen:
    await settle(pilot)
    await run_command(pilot, "Compare with snapshot")
    assert isinstance(pilot.app.screen, PathPrompt)
    pilot.app.screen.query_one("#path", Input).value = str(path)
    await press(pilot, "enter")
    screen = pilot.app.screen
    assert isinstance(screen, SnapshotDiffScreen)
    return screen


def summary(screen: SnapshotDiffScreen) -> str:
    return str(screen.query_one("#diff-summary", Static).content)


def change_things(p: Portfolio) -> None:
    """A quarter's work: a move, coverage, a blocker opened and one resolved, a new pilot with a hostile name."""
    p.set_coverage("DCS-004", "access.roles", CoverageStatus.MET, evidence="roles in the catalog")
    p.move("DCS-001", Stage.POC)
    p.open_blocker("DCS-002", "debug-only-logging", note=HOSTILE)
    resolved = next(r for r in (p.record(f"DCS-{n:03d}") for n in range(1, 31)) if r.open_blockers)
    p.resolve_blocker(resolved.pilot.id, resolved.open_blockers[0].tag)
    p.add_pilot(PilotFields(name=HOSTILE, office="<b>Office</b>", owner="o"), pilot_id="NEW-1")


@pytest.fixture
def before(sample_portfolio: Portfolio, tmp_path: Path) -> Path:
    """A snapshot taken before change_things."""
    path = tmp_path / "before.json"
    path.write_bytes(snapshot_bytes(sample_portfolio))
    return path


async def test_compare_shows_what_moved_since_the_snapshot(
    sample_portfolio: Portfolio, before: Path, tmp_path: Path
) -> None:
    change_things(sample_portfolio)
    version = sample_portfolio.data_version()
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await compare_with(pilot, before)
        assert summary(screen).splitlines() == [
            "Pilots  1 added · 0 removed · 1 stage moves · 1 coverage changes",
            "Blockers  1 opened · 1 resolved   Gates  0 overrides · 0 rules changed",
        ]
        lines = screen.lines
        # The path is cut to the screen's width where the temporary folder is long (a pytest-xdist worker's).
        head, _, tail = lines[0].partition(" (portfolio, ")
        assert tail == "2026-11-01 12:00 UTC)"
        assert f"old: {before}".startswith(head.removesuffix("…"))
        assert f"  + NEW-1  {HOSTILE}  (intake)" in lines  # user text as typed, never markup
        assert any(line.startswith("  DCS-001  ") and line.endswith(": intake → poc") for line in lines)
        assert any("DCS-002  debug-only-logging" in line and line.endswith(HOSTILE) for line in lines)
        assert "  DCS-004  access.roles: partial → met (better)" in lines
        await press(pilot, "escape")
        assert isinstance(app.screen, PortfolioScreen)
    assert sample_portfolio.data_version() == version  # reading this portfolio wrote nothing


async def test_the_text_is_drawn_as_data(sample_portfolio: Portfolio, before: Path) -> None:
    change_things(sample_portfolio)
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await compare_with(pilot, before)
        log = screen.query_one("#diff-text", Log)
        shown = [log.render_line(y).text for y in range(log.size.height)]
        assert any(f"+ NEW-1  {HOSTILE}" in line for line in shown)


async def test_no_change_says_so(sample_portfolio: Portfolio, before: Path) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await compare_with(pilot, before)
        assert summary(screen) == "No differences"
        assert screen.lines[-1] == "no differences"


async def test_compare_with_another_portfolio_file(sample_portfolio: Portfolio, tmp_path: Path) -> None:
    other_path = tmp_path / "other.db"
    with Portfolio.open(other_path, actor="tester", create=True, clock=sample_portfolio.clock) as other:
        other.add_pilot(PilotFields(name="Only in the other file"), pilot_id="OLD-1")
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await compare_with(pilot, other_path)
        assert summary(screen).startswith("Pilots  30 added · 1 removed · 0 stage moves")
        assert "  - OLD-1  Only in the other file  (was intake)" in screen.lines


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("missing.json", None, "missing.json: cannot read (No such file or directory)"),
        ("bad.json", b"{\n  oops\n}", "bad.json:2:3: not valid JSON"),
        ("[red]x.db", b"SQLite format 3\x00" + b"\x00" * 200, "[red]x.db: "),
    ],
)
async def test_a_side_that_cannot_be_read_is_one_line(
    sample_portfolio: Portfolio, tmp_path: Path, name: str, content: bytes | None, reason: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await compare_with(pilot, path)
        error = str(screen.query_one("#diff-error", Static).content)
        assert error.startswith(f"{tmp_path}/{reason}") and "\n" not in error
        assert app.notes[-1] == (error, "error")
        assert screen.lines == []
        await press(pilot, "escape")
        assert isinstance(app.screen, PortfolioScreen)


async def test_the_palette_offers_the_comparison_everywhere(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "Compare with snapshot…" in [c.title for c in commands_for(app, app.screen)]
        await press(pilot, "2")
        assert "Compare with snapshot…" in [c.title for c in commands_for(app, app.screen)]


# ---- pictures ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_snapshot_diff_screen(
    snap_compare: SnapCompare,
    sample_portfolio: Portfolio,
    before: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
) -> None:
    monkeypatch.chdir(tmp_path)  # the screen names both files relative to the working folder
    change_things(sample_portfolio)

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        app = pilot.app
        assert isinstance(app, CaioApp)
        show_snapshot_diff(app, Path("before.json"))
        await settle(pilot)

    app = CaioApp(sample_portfolio.path, Settings(actor="tester"), clock=sample_portfolio.clock, watch_interval=None)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


# ---- large sides: a process of their own ------------------------------------------------------------------


async def test_large_sides_are_compared_in_a_process_of_their_own(
    sample_portfolio: Portfolio, before: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from caio_tui.tui.screens import snapshot_diff

    monkeypatch.setattr(snapshot_diff, "OWN_PROCESS_ABOVE_BYTES", 0)
    in_thread: list[object] = []
    monkeypatch.setattr(snapshot_diff, "report_here", in_thread.append)  # must not be called
    change_things(sample_portfolio)
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await compare_with(pilot, before)
        assert summary(screen).splitlines()[0] == "Pilots  1 added · 0 removed · 1 stage moves · 1 coverage changes"
        assert f"  + NEW-1  {HOSTILE}  (intake)" in screen.lines
        await press(pilot, "escape")
        screen = await compare_with(pilot, tmp_path / "bad.json")
        assert (
            str(screen.query_one("#diff-error", Static).content)
            == f"{tmp_path}/bad.json: cannot read (No such file or directory)"
        )
    assert in_thread == []
