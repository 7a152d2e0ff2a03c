"""The export dialog (key x, the palette's Export commands): format, file, replace-or-keep, progress, errors."""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, ProgressBar, Static

from caio_tui.config import Settings
from caio_tui.io.inventory import TransferError, export_file
from caio_tui.io.omb import COLUMNS_2025
from caio_tui.store import Portfolio
from caio_tui.tui.app import CaioApp
from caio_tui.tui.dialogs import export as export_dialog
from caio_tui.tui.dialogs.export import ExportDialog, size_text
from caio_tui.tui.dialogs.questions import ConfirmScreen
from caio_tui.tui.palette import EXPORTS, commands_for, open_export_dialog
from caio_tui.tui.screens.portfolio import PortfolioScreen
from caio_tui.tui.widgets.transfer_progress import ProgressRelay, TransferCancelled
from helpers.tui import make_app, press, run_command, settle

SnapCompare = Callable[..., bool]
SUFFIX = {"snapshot": ".json", "csv": ".csv", "markdown": ".md", "html": ".html", "omb": ".csv", "omb-2025": ".csv"}


async def open_dialog(pilot: Pilot[Any], fmt: str | None = None) -> ExportDialog:
    """What the app's `x` does (bound by the app), or a palette command with fmt."""
    await settle(pilot)
    app = pilot.app
    assert isinstance(app, CaioApp)
    open_export_dialog(app, fmt)
    await settle(pilot)
    assert isinstance(app.screen, ExportDialog)
    return app.screen


def text_of(screen: Any, selector: str) -> str:
    return str(screen.query_one(selector, Static).content)


def path_input(screen: Any) -> Input:
    return screen.query_one("#export-path", Input)


def check_export(fmt: str, path: Path, portfolio: Portfolio) -> None:
    """The file holds the portfolio in fmt (what a reader of that format would look for)."""
    data = path.read_bytes()
    ids = {p.id for p in portfolio.pilots()}
    if fmt == "snapshot":
        assert {p["id"] for p in json.loads(data)["pilots"]} == ids
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
        assert {r["id"] for r in rows} == ids
    elif fmt in ("omb", "omb-2025"):  # a portfolio with no imported inventory: the 2025 layout either way
        reader = csv.reader(io.StringIO(data.decode("utf-8-sig")))
        assert data.startswith(b"\xef\xbb\xbf") and next(reader) == list(COLUMNS_2025)
        assert len(list(reader)) == len(ids)
    elif fmt == "markdown":
        text = data.decode("utf-8")
        assert text.startswith("# Portfolio briefing: ") and "## Funnel" in text
    else:
        text = data.decode("utf-8")
        assert text.startswith("<!DOCTYPE html>") and "<script" not in text


# ---- each format ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "label"), EXPORTS)
async def test_each_palette_export_opens_the_dialog_on_its_format_and_writes_the_file(
    sample_portfolio: Portfolio, tmp_path: Path, fmt: str, label: str
) -> None:
    target = tmp_path / f"out{SUFFIX[fmt]}"
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await run_command(pilot, f"Export {label}")
        dialog = app.screen
        assert isinstance(dialog, ExportDialog) and dialog.fmt == fmt
        formats = dialog.query_one("#export-formats", OptionList)
        assert formats.highlighted_option is not None and formats.highlighted_option.id == fmt
        assert path_input(dialog).value.endswith(SUFFIX[fmt])
        path_input(dialog).value = str(target)
        await press(pilot, "enter")
        assert isinstance(app.screen, PortfolioScreen)
    check_export(fmt, target, sample_portfolio)
    size = target.stat().st_size
    assert (f"Wrote {target} ({size_text(size)})", "information") in app.notes


async def test_the_dialog_is_usable_with_the_keyboard_alone(
    sample_portfolio: Portfolio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path / "..")  # the folder the app was started from is not where exports go
    tmp_path = tmp_path / "exports"  # the export folder (export_dir), made by the first export
    app = make_app(sample_portfolio, Settings(actor="tester", export_dir=tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "x")  # the app's key for this dialog
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        assert dialog.fmt == "snapshot" and path_input(dialog).value == str(tmp_path / "portfolio-2026-11-01.json")
        assert text_of(dialog, "#export-where") == ""  # the file name shows the whole path already
        formats = dialog.query_one("#export-formats", OptionList)
        for index, (fmt, label) in enumerate(EXPORTS):  # a suffix never runs into its label
            prompt = formats.get_option_at_index(index).prompt
            assert f"{label}  " in str(prompt) and str(prompt).endswith(SUFFIX[fmt])
        await press(pilot, "down", "down")  # the file name follows the format while it is the default one
        assert dialog.fmt == "markdown" and path_input(dialog).value == str(tmp_path / "portfolio-2026-11-01.md")
        await press(pilot, "down", "down")
        assert path_input(dialog).value == str(tmp_path / "portfolio-2026-11-01-omb.csv")  # not the pilots' CSV
        await press(pilot, "down")
        assert path_input(dialog).value == str(tmp_path / "portfolio-2026-11-01-omb-2025.csv")
        await press(pilot, "up", "up", "up", "enter")
        assert isinstance(app.screen, PortfolioScreen)
        assert (tmp_path / "portfolio-2026-11-01.md").read_text(encoding="utf-8").startswith("# Portfolio briefing")

        await press(pilot, "x")
        assert isinstance(app.screen, ExportDialog)
        dialog = app.screen
        await press(pilot, "x")  # x again (over the format list): no second dialog
        assert app.screen is dialog and sum(isinstance(s, ExportDialog) for s in app.screen_stack) == 1
        await press(pilot, "down", "tab")  # CSV, then the file name: typing replaces it
        assert dialog.focused is path_input(dialog)
        await pilot.press(*"sub/pilots.csv")
        await press(pilot, "enter")  # a missing folder: said in the dialog, the choices stay
        assert isinstance(app.screen, ExportDialog)
        assert "does not exist" in text_of(dialog, "#export-error")
        assert dialog.fmt == "csv" and path_input(dialog).value == "sub/pilots.csv"
        assert text_of(dialog, "#export-where") == f"writes {tmp_path / 'sub' / 'pilots.csv'}"  # in the folder
        (tmp_path / "sub").mkdir()
        await press(pilot, "enter")
        assert isinstance(app.screen, PortfolioScreen)
    check_export("csv", tmp_path / "sub" / "pilots.csv", sample_portfolio)


async def test_a_typed_file_name_stays_when_the_format_changes(sample_portfolio: Portfolio, tmp_path: Path) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await open_dialog(pilot, "csv")
        path_input(dialog).value = str(tmp_path / "mine.txt")
        dialog.query_one("#export-formats", OptionList).focus()
        await press(pilot, "down")
        assert dialog.fmt == "markdown" and path_input(dialog).value == str(tmp_path / "mine.txt")


async def test_escape_closes_the_dialog_and_writes_nothing(
    sample_portfolio: Portfolio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_dialog(pilot)
        await press(pilot, "escape")
        assert isinstance(app.screen, PortfolioScreen)
        open_export_dialog(app)  # a second x while the dialog is open opens no second one
        open_export_dialog(app)
        await settle(pilot)
        assert sum(isinstance(s, ExportDialog) for s in app.screen_stack) == 1
        await press(pilot, "escape")
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith("portfolio.db")] == []


async def test_the_palette_offers_every_format(sample_portfolio: Portfolio) -> None:
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        titles = [c.title for c in commands_for(app, app.screen)]
        assert [t for t in titles if t.startswith("Export ")] == [f"Export {label}…" for _, label in EXPORTS]


# ---- an existing file ------------------------------------------------------------------------------------


async def test_an_existing_file_is_replaced_only_after_yes(sample_portfolio: Portfolio, tmp_path: Path) -> None:
    target = tmp_path / "briefing.md"
    target.write_text("my notes", encoding="utf-8")
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await open_dialog(pilot, "markdown")
        path_input(dialog).value = str(target)
        await settle(pilot)
        assert "exists (8 bytes" in text_of(dialog, "#export-note")  # said before enter
        await press(pilot, "enter")
        assert isinstance(app.screen, ConfirmScreen)
        assert "Replace briefing.md?" in str(app.screen.question)
        await press(pilot, "n")
        assert app.screen is dialog and "kept briefing.md" in text_of(dialog, "#export-note")
        assert target.read_text(encoding="utf-8") == "my notes"
        assert path_input(dialog).value == str(target) and dialog.fmt == "markdown"

        await press(pilot, "enter")
        await press(pilot, "y")
        assert isinstance(app.screen, PortfolioScreen)
    assert target.read_text(encoding="utf-8").startswith("# Portfolio briefing")
    assert app.notes[-1][0].startswith(f"Wrote {target} (")
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize(
    ("name", "reason"),
    [("", ": is a folder; give a file name"), ("missing/out.json", "/missing does not exist; nothing was written")],
)
async def test_a_folder_or_a_missing_folder_is_a_one_line_error(
    sample_portfolio: Portfolio, tmp_path: Path, name: str, reason: str
) -> None:
    target = tmp_path / name if name else tmp_path
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await open_dialog(pilot)
        path_input(dialog).value = str(target)
        await press(pilot, "enter")
        assert app.screen is dialog  # the choices stay, ready to fix
        error = text_of(dialog, "#export-error")
        assert reason in error and str(target) in error and "\n" not in error
        assert app.notes[-1] == (error, "error")
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith("portfolio.db")] == []


async def test_an_export_that_fails_says_why_in_one_line_and_keeps_the_choices(
    sample_portfolio: Portfolio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> int:
        raise TransferError("portfolio.db: cannot read the portfolio (disk I/O error)")

    monkeypatch.setattr(export_dialog, "export_file", broken)
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await open_dialog(pilot, "html")
        path_input(dialog).value = str(tmp_path / "b.html")
        await press(pilot, "enter")
        assert app.screen is dialog and dialog.fmt == "html" and path_input(dialog).value == str(tmp_path / "b.html")
        assert text_of(dialog, "#export-error") == "portfolio.db: cannot read the portfolio (disk I/O error)"
        assert app.notes[-1] == ("portfolio.db: cannot read the portfolio (disk I/O error)", "error")
        assert not path_input(dialog).disabled


async def test_a_hostile_file_name_is_written_and_shown_as_typed(sample_portfolio: Portfolio, tmp_path: Path) -> None:
    target = tmp_path / "[red]x <script>.json"
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await open_dialog(pilot)
        path_input(dialog).value = str(target)
        await press(pilot, "enter")
    assert target.exists()
    assert any(message.startswith(f"Wrote {target} (") for message, _ in app.notes)


# ---- progress and cancelling -----------------------------------------------------------------------------


class SlowExport:
    """export_file's stand-in: reports 5 of 30, waits for the test, reports again (which raises once the
    user cancelled), then writes the file."""

    def __init__(self) -> None:
        self.reported = threading.Event()
        self.go_on = threading.Event()

    def __call__(self, db: Path, fmt: str, path: Path, *, progress: ProgressRelay, **_kw: object) -> int:
        progress(5, 30)
        self.reported.set()
        self.go_on.wait(10)
        progress(30, 30)
        path.write_text("done", encoding="utf-8")
        return 4


async def wait_for(pilot: Pilot[Any], event: threading.Event) -> None:
    for _ in range(100):
        if event.is_set():
            return
        await pilot.pause(0.05)
    raise AssertionError("the export never reported progress")


async def test_the_progress_bar_follows_the_export(
    sample_portfolio: Portfolio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = SlowExport()
    monkeypatch.setattr(export_dialog, "export_file", slow)
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await open_dialog(pilot)
        path_input(dialog).value = str(tmp_path / "s.json")
        await pilot.press("enter")
        await wait_for(pilot, slow.reported)
        await pilot.pause(0.3)  # a few of the bar's reads of the relay
        bar = dialog.query_one("#transfer-bar", ProgressBar)
        assert bar.total == 30 and bar.progress == 5
        assert text_of(dialog, "#transfer-status") == "Writing the snapshot (JSON): 5 of 30 pilots"
        assert path_input(dialog).disabled  # no second export meanwhile
        slow.go_on.set()
        await settle(pilot)
        assert isinstance(app.screen, PortfolioScreen)
    assert (tmp_path / "s.json").read_text(encoding="utf-8") == "done"


async def test_escape_while_exporting_stops_the_export(
    sample_portfolio: Portfolio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = SlowExport()
    monkeypatch.setattr(export_dialog, "export_file", slow)
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await open_dialog(pilot)
        path_input(dialog).value = str(tmp_path / "s.json")
        await pilot.press("enter")
        await wait_for(pilot, slow.reported)
        await pilot.press("escape")
        slow.go_on.set()
        await settle(pilot)
        assert app.screen is dialog and not path_input(dialog).disabled
        assert text_of(dialog, "#export-error") == "Cancelled; nothing was written."
        assert app.notes[-1] == ("The export was cancelled; nothing was written", "information")
        await press(pilot, "escape")
        assert isinstance(app.screen, PortfolioScreen)
    assert not (tmp_path / "s.json").exists()


@pytest.mark.parametrize("fmt", ["snapshot", "csv", "html"])
def test_a_cancelled_export_leaves_no_file_and_no_temporary(portfolio: Portfolio, tmp_path: Path, fmt: str) -> None:
    from caio_tui.io.generate import generate

    generate(portfolio, 2_500, seed=3)  # the io functions report progress every thousand pilots
    relay = ProgressRelay()
    target = tmp_path / "out.csv"
    calls: list[tuple[int, int]] = []

    def cancel_after_first(done: int, total: int) -> None:
        relay(done, total)
        calls.append((done, total))
        relay.cancel()

    with pytest.raises(TransferCancelled):
        export_file(portfolio.path, fmt, target, actor="tester", progress=cancel_after_first)
    assert calls == [(1_000, 2_500)] and relay.state == (1_000, 2_500)
    assert not target.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".out.csv")]


def test_sizes_read_as_a_person_says_them() -> None:
    assert size_text(812) == "812 bytes"
    assert size_text(9_999) == "9,999 bytes"
    assert size_text(48_213) == "48.2 kB"
    assert size_text(3_100_000) == "3.1 MB"
    assert size_text(2_900_000_000) == "2.9 GB"


# ---- pictures --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_snapshot_export_dialog(
    snap_compare: SnapCompare,
    sample_portfolio: Portfolio,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
) -> None:
    monkeypatch.chdir(tmp_path)

    async def run_before(pilot: Pilot[Any]) -> None:
        await open_dialog(pilot, "markdown")

    # A fixed export folder (the default is under the test's own home): the dialog shows its whole path.
    settings = Settings(actor="tester", export_dir=Path("/home/dana/Documents/caio-tui"))
    app = CaioApp(sample_portfolio.path, settings, clock=sample_portfolio.clock, watch_interval=None)
    assert snap_compare(app, terminal_size=size, run_before=run_before)
