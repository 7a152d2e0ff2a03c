"""The palette's "Import identity exports…": the files (or a folder of them) the identity team handed over,
read and imported in a worker of the app with a progress bar, then what the import found.

Each file's kind is recognized from its content (io/idp/read.py). A file of unknown shape stops the import
before anything is written, in the reader's one line; the import is one transaction (the store's
`import_identity`), and the same file twice changes nothing. People's identifiers are stored as keyed hashes
(the CLI's `--keep-identities` is the only way to keep them). The files are read on a connection of their own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Footer, ProgressBar, Static

from caio_tui.domain.text import clip, printable
from caio_tui.store import Portfolio, StoreError
from caio_tui.tui.dialogs.base import Dialog

if TYPE_CHECKING:
    from caio_tui.domain.identity_rules import IdentityImport

POLL_S = 0.1
PROBLEMS_SHOWN = 4


def export_files(path: Path) -> list[Path]:
    """The file itself, or every file under a folder (hidden ones aside), in name order."""
    if not path.is_dir():
        return [path]
    # Hidden below the folder given (.DS_Store, .git/): the folder's own path may hold "..", "~/.x".
    return sorted(
        p for p in path.rglob("*") if p.is_file() and not any(s.startswith(".") for s in p.relative_to(path).parts)
    )


class Progress:
    """Where the import is, written by the worker thread and read by the screen's timer (one assignment)."""

    def __init__(self) -> None:
        self.state: tuple[int, int, str, int] = (0, 0, "", 0)  # files done, files, file now, its records

    def file(self, done: int, total: int, name: str) -> Callable[[int], None]:
        self.state = (done, total, name, 0)
        return lambda records: setattr(self, "state", (done, total, name, records))


def import_files(db: Path, paths: list[Path], *, actor: str, progress: Progress) -> IdentityImport:
    """Read every file, then import them all in one transaction (in a worker thread)."""
    from caio_tui.io.idp.keys import person_keyer
    from caio_tui.io.idp.read import read_export

    with Portfolio.open(db, actor=actor) as portfolio:
        # The portfolio's setting (no switch here); the key is stored by the import, in its transaction.
        keep = bool(portfolio.kept_identities())
        keyer = person_keyer(b"" if keep else portfolio.identity_secret(), keep)
        exports = []
        for n, path in enumerate(paths):
            exports.append(read_export(path, keyer, progress=progress.file(n, len(paths), path.name)))
        progress.state = (len(paths), len(paths), "", 0)
        return portfolio.import_identity(exports, keep_identities=keep)


def summary(result: IdentityImport) -> list[str]:
    """What the import did, in lines: files, proposals, the first skipped records."""
    new = [f for f in result.files if not f.already]
    lines = [f"{len(new)} file(s) imported, {len(result.files) - len(new)} imported before (nothing changed)"]
    lines.append(
        f"{result.proposed} new proposal(s), {result.replaced} replaced, {result.withdrawn} withdrawn: key 7 to review"
    )
    problems = [(f.name, p) for f in result.files for p in f.problems]
    if problems:
        lines.append(f"{len(problems):,} record(s) skipped:")
        lines += [clip(printable(f"  {name} {p.where}: {p.message}"), 200) for name, p in problems[:PROBLEMS_SHOWN]]
    return lines


class IdentityImportScreen(Dialog["IdentityImport | None"]):
    """Imports the files at `source` into the portfolio at `db`; dismisses with the result (None on failure).
    `on_imported` runs on the UI thread once the import has committed."""

    DEFAULT_CSS = """
    IdentityImportScreen > #idp-import-dialog {
        width: 100;
    }
    IdentityImportScreen #idp-import-title {
        text-style: bold;
        margin-bottom: 1;
    }
    IdentityImportScreen #idp-import-status {
        color: $text-muted;
    }
    IdentityImportScreen #idp-import-summary, IdentityImportScreen #idp-import-error {
        height: auto;
        margin-top: 1;
    }
    IdentityImportScreen #idp-import-error {
        color: $text-error;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,escape", "close", "Close", tooltip="Close (an import under way goes on)", id="idp_import.close"),
    ]

    def __init__(
        self, db: Path, source: Path, *, actor: str, on_imported: Callable[[IdentityImport], None] | None = None
    ) -> None:
        super().__init__()
        self.db, self.source, self.actor = db, source, actor
        self.on_imported = on_imported
        self.progress = Progress()
        self.result: IdentityImport | None = None
        self.done = False

    def compose(self) -> ComposeResult:
        with Vertical(id="idp-import-dialog", classes="dialog-frame"):
            yield Static(Content(f"Import identity exports: {printable(str(self.source))}"), id="idp-import-title")
            yield Static("Reading…", id="idp-import-status", markup=False)
            yield ProgressBar(total=None, show_eta=False, id="idp-import-bar")
            yield Static("", id="idp-import-summary", markup=False)
            yield Static("", id="idp-import-error", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self._timer = self.set_interval(POLL_S, self._poll)
        # The app's worker, not the screen's: hiding the dialog must not abandon the import.
        self.app.run_worker(self._run(), group="commands.identity_import", exclusive=True)

    def _poll(self) -> None:
        done, total, name, records = self.progress.state
        if total:
            self.query_one("#idp-import-bar", ProgressBar).update(total=total, progress=done)
        if name:
            status = f"Reading {printable(name)} ({done + 1} of {total}): {records:,} records"
            self.query_one("#idp-import-status", Static).update(status)

    async def _run(self) -> None:
        try:
            paths = await asyncio.to_thread(export_files, self.source)
            if not paths:
                raise StoreError(f"{self.source}: no file to import")
            result = await asyncio.to_thread(import_files, self.db, paths, actor=self.actor, progress=self.progress)
        except (StoreError, ValueError, OSError) as exc:  # IdpFormatError is a ValueError
            self._failed(printable(str(exc)).replace("\n", " "))
            return
        self._imported(result)

    def _failed(self, message: str) -> None:
        self.done = True
        self.app.notify(message, title="Nothing was imported", severity="error", markup=False)
        if self.is_attached:
            self._timer.stop()
            self.query_one("#idp-import-error", Static).update(f"Nothing was imported: {message}")
            self.query_one("#idp-import-status", Static).update("enter or esc: close")

    def _imported(self, result: IdentityImport) -> None:
        self.done = True
        self.result = result
        lines = summary(result)
        self.app.notify("\n".join(lines[:2]), title="Identity exports imported", markup=False)
        if self.on_imported is not None:
            self.on_imported(result)
        if self.is_attached:
            self._timer.stop()
            self._poll()
            self.query_one("#idp-import-summary", Static).update("\n".join(lines))
            self.query_one("#idp-import-status", Static).update("enter or esc: close")

    def action_close(self) -> None:
        if not self.done:
            self.app.notify("The import goes on; a notification says when it ends", markup=False)
        self.dismiss(self.result)

    def action_cancel(self) -> None:
        self.action_close()


__all__ = ["IdentityImportScreen", "export_files", "import_files", "summary"]
