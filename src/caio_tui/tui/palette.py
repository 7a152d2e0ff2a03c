"""The command palette (`ctrl+p`): switch views, load a sample, export, import, compare with a snapshot,
change theme; the Portfolio view adds its own (filter, sort by a column, marks). Also what those commands
do, for the keys that do the same (x: export); the dialogs they open live in tui/dialogs/.

Long work runs in a worker: a sample with the views' loading indicator; an export, an import or a
comparison on a screen of its own with a progress bar or a loading indicator (tui/dialogs/export.py,
tui/dialogs/import_file.py, tui/screens/snapshot_diff.py). Results and errors are notifications. The app
imports this module on its first use (the palette, the x key): io/, the store and those screens only when
a command runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen

from caio_tui.domain.text import printable
from caio_tui.tui.dialogs.export_formats import EXPORTS
from caio_tui.tui.dialogs.questions import ConfirmScreen, PathPrompt
from caio_tui.tui.host import CaioHost
from caio_tui.tui.navigation import VIEWS

LIGHT_THEME = "textual-light"
DARK_THEME = "textual-dark"


# ---- what the commands do --------------------------------------------------------------------------------


def _caio(app: Any) -> CaioHost:
    return cast("CaioHost", app)


def ask_load_sample(app: CaioHost, name: str) -> None:
    """Confirmation first: a sample adds its pilots to the open portfolio."""
    from caio_tui.store import StoreError

    try:
        target = f"{printable(app.portfolio.name)} ({app.portfolio.path})"
    except StoreError:
        target = str(app.portfolio.path)

    def answered(yes: bool | None) -> None:
        if yes:
            app.run_worker(_load_sample(app, name), group="commands.sample", exclusive=True)

    app.push_screen(
        ConfirmScreen(
            f"Load the {name} sample into this portfolio?",
            f"Its pilots are added to {target}. u undoes the whole load, until one of its pilots is changed.",
        ),
        answered,
    )


async def _load_sample(app: CaioHost, name: str) -> None:
    from caio_tui.io.samples import load_sample
    from caio_tui.store import StoreError

    app.set_busy(True)
    try:
        added = await asyncio.to_thread(load_sample, app.portfolio, name)
    except StoreError as exc:
        app.notify(str(exc), title="The sample was not loaded", severity="error", markup=False)
        return
    finally:
        app.set_busy(False)
    app.notify(f"Loaded {added} pilots from the {name} sample", markup=False)
    app.portfolio_changed(details=True)


def default_export_path(app: CaioHost, fmt: str) -> Path:
    """<portfolio>-<day><suffix> in the export folder (config.toml's export_dir; by default a caio-tui folder
    in the user's documents, never the folder the app was started from); the OMB inventory says so in its
    name, so it never takes the name of the CSV of pilots."""
    from caio_tui.io.inventory import EXPORT_SUFFIX

    day = app.portfolio.clock().date().isoformat()
    kind = {"omb-2025": "-omb-2025", "omb": "-omb"}.get(fmt, "")
    return app.settings.export_dir / f"{app.portfolio.path.stem}-{day}{kind}{EXPORT_SUFFIX[fmt]}"


def open_export_dialog(app: CaioHost, fmt: str | None = None) -> None:
    """The export dialog (key x, the palette's Export commands), with fmt chosen (default: snapshot)."""
    from caio_tui.tui.dialogs.export import ExportDialog

    if isinstance(app.screen, ExportDialog):
        return  # already open
    app.push_screen(
        ExportDialog(
            app.portfolio.path,
            actor=app.settings.actor,
            stalled_days=app.settings.stalled_days,
            default_path=partial(default_export_path, app),
            fmt=fmt or "snapshot",
            folder=app.settings.export_dir,
        )
    )


def ask_import(app: CaioHost) -> None:
    """A file name, then the import with its progress bar and its summary (tui/dialogs/import_file.py)."""

    def chosen(path: Path | None) -> None:
        if path is not None:
            start_import(app, path)

    app.push_screen(
        PathPrompt(
            "Import from the file",
            "",
            "an OMB inventory CSV (2023, 2024, 2025) or a snapshot (into an empty portfolio)",
        ),
        chosen,
    )


def start_import(app: CaioHost, path: Path) -> None:
    from caio_tui.tui.dialogs.import_file import ImportScreen

    def imported(_result: object) -> None:
        app.portfolio_changed(details=True)

    app.push_screen(ImportScreen(app.portfolio.path, path, actor=app.settings.actor, on_imported=imported))


def ask_identity_import(app: CaioHost) -> None:
    """A file or a folder of the identity team's exports, then their import (tui/dialogs/identity_import.py)."""

    def chosen(path: Path | None) -> None:
        if path is not None:
            start_identity_import(app, path)

    app.push_screen(
        PathPrompt(
            "Import identity exports",
            "",
            "an Okta or Entra ID export, or a folder of them; each file's kind is read from its content",
        ),
        chosen,
    )


def start_identity_import(app: CaioHost, path: Path) -> None:
    from caio_tui.tui.dialogs.identity_import import IdentityImportScreen

    def imported(_result: object) -> None:
        app.portfolio_changed(details=True)

    app.push_screen(IdentityImportScreen(app.portfolio.path, path, actor=app.settings.actor, on_imported=imported))


def open_link_years(app: CaioHost) -> None:
    """The inventory rows an import held back (several pilots match), to link by hand."""
    from caio_tui.tui.dialogs.link_years import LinkYearsScreen

    def closed(settled: int | None) -> None:
        if settled:
            app.portfolio_changed(details=True)

    app.push_screen(LinkYearsScreen(app.portfolio), closed)


def ask_compare_snapshot(app: CaioHost) -> None:
    """A snapshot (or portfolio) file, then what moved between it and this portfolio."""

    def chosen(path: Path | None) -> None:
        if path is not None:
            show_snapshot_diff(app, path)

    app.push_screen(
        PathPrompt(
            "Compare this portfolio with the snapshot",
            "",
            "a snapshot file (caio-tui export --format snapshot) or another portfolio's .db; neither is changed",
        ),
        chosen,
    )


def show_snapshot_diff(app: CaioHost, old: Path) -> None:
    from caio_tui.tui.screens.snapshot_diff import SnapshotDiffScreen

    app.push_screen(SnapshotDiffScreen(old, app.portfolio.path, actor=app.settings.actor, clock=app.portfolio.clock))


def open_lint(app: CaioHost) -> None:
    """The inventory lint (key i, the palette's "Lint the inventory"); once, however often asked."""
    from caio_tui.tui.screens.lint import LintScreen

    if not isinstance(app.screen, LintScreen):
        app.push_screen(LintScreen(app.portfolio, actor=app.settings.actor))


def set_theme(app: CaioHost, name: str) -> None:
    app.theme = name  # the app remembers it in the config file


# ---- the provider ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    title: str
    help: str
    run: Callable[[], Any]


def commands_for(app: CaioHost, screen: object) -> Iterator[Command]:
    """The commands that make sense on `screen` (the one the palette was opened from)."""
    from caio_tui.io.samples import sample_names
    from caio_tui.tui.screens.portfolio import PortfolioScreen

    for v in VIEWS:
        if v.id != app.current_mode:
            yield Command(
                f"Go to {v.title}", f"Switch to the {v.title} view (key {v.key})", partial(app.show_view, v.id)
            )
    if isinstance(screen, PortfolioScreen):
        yield from _portfolio_commands(app, screen)
    for name in sample_names():
        yield Command(
            f"Load sample: {name}",
            "Add a sample portfolio's pilots to this portfolio (asks first)",
            partial(ask_load_sample, app, name),
        )
    for fmt, label in EXPORTS:
        yield Command(
            f"Export {label}…",
            f"Write the portfolio as {fmt} to a file (key x: every format)",
            partial(open_export_dialog, app, fmt),
        )
    yield Command(
        "Import…",
        "Import an OMB AI use case inventory CSV or a snapshot file",
        partial(ask_import, app),
    )
    yield Command(
        "Import identity exports…",
        "Okta and Entra ID exports from the identity team: their findings wait in the Identity view (key 7)",
        partial(ask_identity_import, app),
    )
    yield Command(
        "Lint the inventory (OMB 2025)",
        "Check the portfolio as an OMB 2025 submission: blanks, invalid answers, ids, contacts, practices (key i)",
        partial(open_lint, app),
    )
    yield Command(
        "Link years…",
        "Inventory rows an import held back because several pilots match them: link each, or keep it new",
        partial(open_link_years, app),
    )
    yield Command(
        "Compare with snapshot…",
        "What moved since a snapshot: pilots added and removed, stage moves, coverage, blockers, rules",
        partial(ask_compare_snapshot, app),
    )
    if app.theme != LIGHT_THEME:
        yield Command(
            "Theme: light",
            f"Switch to the light theme ({LIGHT_THEME}); remembered",
            partial(set_theme, app, LIGHT_THEME),
        )
    if app.theme != DARK_THEME:
        yield Command(
            "Theme: dark", f"Switch to the dark theme ({DARK_THEME}); remembered", partial(set_theme, app, DARK_THEME)
        )
    yield Command("Undo", "Undo your last change (key u)", app.action_undo)
    yield Command("Reload from disk", "Re-read the portfolio file (key ctrl+r)", app.action_reload)
    yield Command("Help: every key", "Every key of every screen (key ? or f1)", app.action_help)
    # Textual's own (all themes, the keys panel, a screenshot, quit) after ours, in a stable order.
    if isinstance(screen, Screen):
        for system in app.get_system_commands(screen):
            yield Command(system.title, system.help, system.callback)


def _portfolio_commands(app: CaioHost, screen: Any) -> Iterator[Command]:
    from caio_tui.config import TABLE_COLUMNS
    from caio_tui.tui.widgets.pilot_columns import COLUMN_LABELS
    from caio_tui.tui.widgets.pilot_source import SORT_NAMES, SORT_ORDER

    yield Command("Filter pilots…", "Filter the table: free text and tokens (key /)", screen.action_filter)
    for key in SORT_ORDER:
        yield Command(f"Sort by {SORT_NAMES[key]}", "Sort the table (keys s and S)", partial(screen.sort_by, key))
    for column in TABLE_COLUMNS:
        verb = "Hide" if column in screen.shown_columns else "Show"
        yield Command(
            f"{verb} column: {COLUMN_LABELS[column]}",
            "Choose the table's columns; remembered in config.toml ([table] columns)",
            partial(screen.toggle_column, column),
        )
    yield Command("New pilot…", "Add a pilot (key n)", screen.action_new_pilot)
    if app.marked:
        yield Command("Compare marked pilots", "Compare the pilots marked with space (key c)", screen.action_compare)
        yield Command("Clear marks", "Unmark every pilot", app.clear_marks)


class CaioCommands(Provider):
    """caio-tui's commands, then Textual's own (theme list, keys panel, screenshot, quit)."""

    async def discover(self) -> Hits:
        for command in commands_for(_caio(self.app), self.screen):
            yield DiscoveryHit(command.title, command.run, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in commands_for(_caio(self.app), self.screen):
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(score, matcher.highlight(command.title), command.run, help=command.help)


__all__ = [
    "EXPORTS",
    "CaioCommands",
    "ask_compare_snapshot",
    "ask_identity_import",
    "ask_import",
    "commands_for",
    "default_export_path",
    "open_export_dialog",
    "open_lint",
]
