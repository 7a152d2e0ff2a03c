"""The palette's Import…: a progress bar, the summary, the row issues, and fatal files that write nothing."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, ProgressBar, Static

from caio_tui.io.inventory import ImportResult, export_bytes, import_into
from caio_tui.store import Portfolio
from caio_tui.tui.app import CaioApp
from caio_tui.tui.dialogs import import_file as import_dialog
from caio_tui.tui.dialogs.import_file import ImportScreen, issue_lines, list_all_command
from caio_tui.tui.dialogs.questions import PathPrompt
from caio_tui.tui.screens.portfolio import PortfolioScreen
from caio_tui.tui.widgets.transfer_progress import ProgressRelay
from caio_tui.tui.widgets.virtual_table import VirtualTable
from helpers.omb import write_2025
from helpers.tui import make_app, press, run_command, settle


async def import_from(pilot: Pilot[Any], path: Path) -> None:
    """The palette's Import…, the file name, enter (without waiting for the import's end)."""
    await settle(pilot)
    await run_command(pilot, "Import…")
    assert isinstance(pilot.app.screen, PathPrompt)
    pilot.app.screen.query_one("#path", Input).value = str(path)
    await pilot.press("enter")


def text_of(screen: Any, selector: str) -> str:
    return str(screen.query_one(selector, Static).content)


def row_count(app: CaioApp) -> int:
    return app.screen.query_one("#pilots", VirtualTable).row_count


def odd_inventory(path: Path, rows: int) -> Path:
    """A 2025 inventory whose every row has a development stage nobody knows (a row issue, not fatal)."""
    return write_2025(
        path,
        [
            {
                "agency": "DCS",
                "id": f"INV-{n}",
                "use_case_name": f"[red]x <script> {n}",
                "agency_bureau": "OCIO",
                "development_stage": f"[bold]sort of {n}",
                "is_high_impact": "Not High-impact",
            }
            for n in range(1, rows + 1)
        ],
    )


@pytest.fixture
def fresh(tmp_path: Path, sample_portfolio: Portfolio) -> Any:
    with Portfolio.open(tmp_path / "fresh.db", actor="tester", create=True, clock=sample_portfolio.clock) as opened:
        yield opened


# ---- imports that work ---------------------------------------------------------------------------------


async def test_a_snapshot_imports_and_the_screen_closes_by_itself(
    sample_portfolio: Portfolio, fresh: Portfolio, tmp_path: Path
) -> None:
    source = tmp_path / "snap.json"
    source.write_bytes(export_bytes(sample_portfolio, "snapshot"))
    app = make_app(fresh)
    async with app.run_test(size=(120, 40)) as pilot:
        await import_from(pilot, source)
        await settle(pilot)
        assert isinstance(app.screen, PortfolioScreen)  # no row issue: nothing more to read
        assert fresh.count() == 30 and row_count(app) == 30
    assert (f"30 pilots imported from the snapshot {source}", "information") in app.notes


async def test_row_issues_are_listed_with_the_command_that_lists_them_all(portfolio: Portfolio, tmp_path: Path) -> None:
    source = odd_inventory(tmp_path / "inventory.csv", 8)
    app = make_app(portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await import_from(pilot, source)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ImportScreen)
        assert portfolio.count() == 8  # the rows are imported all the same
        summary = text_of(screen, "#import-summary")
        assert summary.startswith(f"{source}: omb-2025: 8 added") and summary.endswith("8 issue(s)")
        lines = text_of(screen, "#import-issues").splitlines()
        assert lines[0].startswith("8 row issue(s) of 1 kind(s)")
        # By kind, with a count and a few rows; the file is named once (in the title), not on every line.
        assert len(lines) == 2 and str(source) not in lines[1]
        assert lines[1].startswith("8 × development_stage: ")
        assert lines[1].endswith(
            ": row 2 ([bold]sort of 1), row 3 ([bold]sort of 2), row 4 ([bold]sort of 3) and 5 more"
        )
        hint = text_of(screen, "#import-hint").splitlines()
        assert hint == ["Every issue: " + list_all_command(portfolio.path, source), "enter or esc: close"]
        await press(pilot, "enter")
        assert isinstance(app.screen, PortfolioScreen) and row_count(app) == 8
    assert (summary, "information") in app.notes


def test_the_command_that_lists_every_issue_quotes_odd_names(tmp_path: Path) -> None:
    command = list_all_command(tmp_path / "my portfolio.db", tmp_path / "it's.csv")
    assert command == (f"caio-tui import --db '{tmp_path}/my portfolio.db' --dry-run '{tmp_path}/it'\"'\"'s.csv'")


# ---- progress ----------------------------------------------------------------------------------------------


class SlowImport:
    """import_into's stand-in: reports 10 of 40 pilots, waits for the test, then imports for real."""

    def __init__(self) -> None:
        self.reported = threading.Event()
        self.go_on = threading.Event()

    def __call__(self, db: Path, path: Path, *, actor: str, progress: ProgressRelay, **kw: Any) -> ImportResult:
        progress(10, 40)
        self.reported.set()
        self.go_on.wait(10)
        return import_into(db, path, actor=actor, progress=progress, **kw)


async def wait_for(pilot: Pilot[Any], event: threading.Event) -> None:
    for _ in range(100):
        if event.is_set():
            return
        await pilot.pause(0.05)
    raise AssertionError("the import never reported progress")


async def test_the_progress_bar_follows_the_import(
    sample_portfolio: Portfolio, fresh: Portfolio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = SlowImport()
    monkeypatch.setattr(import_dialog, "import_into", slow)
    source = tmp_path / "snap.json"
    source.write_bytes(export_bytes(sample_portfolio, "snapshot"))
    app = make_app(fresh)
    async with app.run_test(size=(120, 40)) as pilot:
        await import_from(pilot, source)
        await wait_for(pilot, slow.reported)
        await pilot.pause(0.3)  # a few of the bar's reads
        screen = app.screen
        assert isinstance(screen, ImportScreen)
        bar = screen.query_one("#transfer-bar", ProgressBar)
        assert bar.total == 40 and bar.progress == 10
        assert text_of(screen, "#transfer-status") == "Importing: 10 of 40 pilots"
        slow.go_on.set()
        await settle(pilot)
        assert isinstance(app.screen, PortfolioScreen) and fresh.count() == 30


async def test_escape_hides_the_import_which_goes_on_to_its_end(
    sample_portfolio: Portfolio, fresh: Portfolio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = SlowImport()
    monkeypatch.setattr(import_dialog, "import_into", slow)
    source = odd_inventory(tmp_path / "inventory.csv", 4)
    app = make_app(fresh)
    async with app.run_test(size=(120, 40)) as pilot:
        await import_from(pilot, source)
        await wait_for(pilot, slow.reported)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PortfolioScreen)
        assert app.notes[-1] == ("The import goes on; a notification says when it ends", "information")
        slow.go_on.set()
        await settle(pilot)
        assert fresh.count() == 4 and row_count(app) == 4
    summary, issues = app.notes[-2], app.notes[-1]
    assert summary[0].startswith(f"{source}: omb-2025: 4 added") and summary[1] == "information"
    assert issues[1] == "warning" and issues[0].splitlines()[-1] == (
        "Every issue: " + list_all_command(fresh.path, source)
    )
    assert "([bold]sort of 1)" in issues[0]


# ---- fatal files ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("broken.json", b'{\n  "format": "caio-tui-snapshot",\n  "pilots": [\n', "broken.json:4:1: not valid JSON"),
        ("picture.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "picture.csv: binary data, not a CSV text file"),
        ("[red]x <b>.csv", b"", "[red]x <b>.csv: empty file (no header row)"),
    ],
)
async def test_a_fatal_file_names_file_line_and_reason_and_writes_nothing(
    sample_portfolio: Portfolio, tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    source = tmp_path / name
    source.write_bytes(content)
    version = sample_portfolio.data_version()
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await import_from(pilot, source)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ImportScreen)
        error = text_of(screen, "#import-error")
        assert error.startswith(f"Nothing was imported: {tmp_path}/{reason}") and "\n" not in error
        assert app.notes[-1][1] == "error" and app.notes[-1][0].startswith(f"{tmp_path}/{reason}")
        await press(pilot, "escape")
        assert isinstance(app.screen, PortfolioScreen)
    assert sample_portfolio.data_version() == version and sample_portfolio.count() == 30


async def test_a_snapshot_into_a_portfolio_with_pilots_is_refused(sample_portfolio: Portfolio, tmp_path: Path) -> None:
    source = tmp_path / "snap.json"
    source.write_bytes(export_bytes(sample_portfolio, "snapshot"))
    version = sample_portfolio.data_version()
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await import_from(pilot, source)
        await settle(pilot)
        assert "a snapshot imports only into an empty portfolio" in text_of(app.screen, "#import-error")
    assert sample_portfolio.data_version() == version


async def test_a_missing_file_is_said_in_one_line(sample_portfolio: Portfolio, tmp_path: Path) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await import_from(pilot, tmp_path / "nothing.csv")
        await settle(pilot)
        assert app.notes[-1] == (f"{tmp_path}/nothing.csv: cannot read (No such file or directory)", "error")


def test_row_issues_are_grouped_by_kind_most_frequent_first() -> None:
    issues = [f"f.csv:{n}: development_stage: not a stage this import knows (x{n})" for n in range(2, 9)]
    issues += ["f.csv:3: date_initiated: a date in the future; not used (2031-01-01)", "f.csv:9: row: odd"]
    result = ImportResult(source="f.csv", kind="inventory", format="omb-2025", dry_run=True, issues=issues)
    assert issue_lines(result) == [
        "7 × development_stage: not a stage this import knows: row 2 (x2), row 3 (x3), row 4 (x4) and 4 more",
        "1 × date_initiated: a date in the future; not used: row 3 (2031-01-01)",
        "1 × row: odd: row 9",
    ]
