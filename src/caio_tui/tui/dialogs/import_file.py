"""The import under way (the palette's Import…): a progress bar, then what the import did.

The import runs on a connection of its own (io.inventory.import_into), in a worker of the app, not of
this screen: esc hides the screen and the import goes on to its end (an import commits all at once or
not at all, so it is never stopped half-way); a notification says how it ended. An import without row
issues closes the screen by itself; otherwise the screen lists the issues by kind (a count and a few rows
of each; the file is named once) and the command that lists every one. A fatal problem (a file of no
known format, a broken snapshot) writes nothing and shows the file, line and reason in one line.
"""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Footer, Static

from caio_tui.domain.text import clip, printable
from caio_tui.io.inventory import ImportResult, TransferError, import_into
from caio_tui.store import StoreError
from caio_tui.tui.dialogs.base import Dialog
from caio_tui.tui.widgets.transfer_progress import ProgressRelay, TransferProgress

ISSUES_SHOWN = 5  # the kinds of row issue the screen lists; the hint says how to see every issue
EXAMPLES = 3  # the rows shown of each kind


def list_all_command(db: Path, source: Path) -> str:
    """The CLI command that lists every row issue of source without writing anything."""
    return f"caio-tui import --db {shlex.quote(str(db))} --dry-run {shlex.quote(str(source))}"


def issue_kinds(result: ImportResult) -> list[tuple[str, list[str]]]:
    """The row issues by kind (the column and the reason), most frequent first: each kind with the rows
    it was found on ("row 4 (blank)"); the file is named once, in the title, not on every line."""
    kinds: dict[str, list[str]] = {}
    prefix = f"{result.source}:"
    for line in result.issues:
        row, _, rest = line.removeprefix(prefix).partition(": ")
        column, _, said = rest.partition(": ")
        reason, paren, value = said.rpartition(" (")
        if not paren:  # not the usual "column: reason (value)": the line is its own kind
            reason, value = said, ""
        kinds.setdefault(f"{column}: {reason}", []).append(f"row {row}" + (f" ({value}" if value else ""))
    return sorted(kinds.items(), key=lambda kind: -len(kind[1]))


def issue_lines(result: ImportResult, shown: int = ISSUES_SHOWN, examples: int = EXAMPLES) -> list[str]:
    """The row issues grouped by kind: a count and a few rows of each kind, then how many kinds more."""
    kinds = issue_kinds(result)
    lines = []
    for kind, rows in kinds[:shown]:
        more = f" and {len(rows) - examples:,} more" if len(rows) > examples else ""
        lines.append(clip(printable(f"{len(rows):,} × {kind}: {', '.join(rows[:examples])}{more}"), 300))
    if len(kinds) > shown:
        lines.append(f"… and {len(kinds) - shown:,} more kinds")
    return lines


class ImportScreen(Dialog[ImportResult | None]):
    """Imports source into the portfolio at db; dismisses with the result (None on a fatal problem or
    when hidden before the end). on_imported runs as soon as the import has committed, on the UI thread."""

    DEFAULT_CSS = """
    ImportScreen > #import-dialog {
        width: 100;
    }
    ImportScreen #import-title {
        text-style: bold;
        margin-bottom: 1;
    }
    ImportScreen #import-summary {
        height: auto;
    }
    ImportScreen #import-issues {
        height: auto;
        color: $text-warning;
        margin-top: 1;
    }
    ImportScreen #import-error {
        color: $text-error;
        height: auto;
    }
    ImportScreen #import-hint {
        color: $text-muted;
        margin-top: 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,escape", "close", "Close", tooltip="Close (an import under way goes on)", id="import.close"),
    ]

    def __init__(
        self, db: Path, source: Path, *, actor: str, on_imported: Callable[[ImportResult], None] | None = None
    ) -> None:
        super().__init__()
        self.db = db
        self.source = source
        self.actor = actor
        self.on_imported = on_imported
        self.relay = ProgressRelay()
        self.result: ImportResult | None = None
        self.error = ""
        self.done = False

    def compose(self) -> ComposeResult:
        with Vertical(id="import-dialog", classes="dialog-frame"):
            yield Static(Content(f"Import {printable(str(self.source))}"), id="import-title")
            yield TransferProgress(id="import-progress")
            yield Static("", id="import-summary")
            yield Static("", id="import-issues")
            yield Static("", id="import-error")
            yield Static(Content("esc: hide (the import goes on)"), id="import-hint")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(TransferProgress).start(self.relay, "Importing")
        # The app's worker, not the screen's: hiding the screen must not abandon a running import.
        self.app.run_worker(self._run(), group="commands.transfer", exclusive=True)

    async def _run(self) -> None:
        try:
            result = await asyncio.to_thread(import_into, self.db, self.source, actor=self.actor, progress=self.relay)
        except (StoreError, TransferError, OSError) as exc:
            self._failed(printable(str(exc)).replace("\n", " "))
            return
        self._imported(result)

    def _failed(self, message: str) -> None:
        self.done = True
        self.error = message
        self.app.notify(message, title="Nothing was imported", severity="error", markup=False)
        if self.is_attached:
            self.query_one(TransferProgress).stop()
            self.query_one("#import-error", Static).update(Content(f"Nothing was imported: {message}"))
            self.query_one("#import-hint", Static).update(Content("enter or esc: close"))

    def _imported(self, result: ImportResult) -> None:
        self.done = True
        self.result = result
        self.app.notify(printable(result.summary), title="Imported", markup=False)
        if self.on_imported is not None:
            self.on_imported(result)
        if not self.is_attached:  # hidden before the end: the issues go to a notification instead
            if result.issues:
                self.app.notify(self._issues_note(result), title="Row issues", severity="warning", markup=False)
            return
        self.query_one(TransferProgress).stop()
        if not result.issues and self.is_active:
            self.dismiss(result)  # nothing more to read than the notification
            return
        self.query_one("#import-summary", Static).update(Content(printable(result.summary)))
        if result.issues:
            count = len(result.issues)
            kinds = len(issue_kinds(result))
            heading = (
                f"{count:,} row issue(s) of {kinds:,} kind(s): those rows were imported, their odd values kept as text"
            )
            self.query_one("#import-issues", Static).update(Content("\n".join([heading, *issue_lines(result)])))
            # The command on a line of its own, to be copied whole.
            hint = f"Every issue: {printable(list_all_command(self.db, self.source))}\nenter or esc: close"
        else:
            hint = "enter or esc: close"
        self.query_one("#import-hint", Static).update(Content(hint))

    def _issues_note(self, result: ImportResult) -> str:
        lines = issue_lines(result, 3)
        return "\n".join([*lines, f"Every issue: {list_all_command(self.db, self.source)}"])

    def action_close(self) -> None:
        if not self.done:
            self.app.notify("The import goes on; a notification says when it ends", markup=False)
        self.dismiss(self.result)

    def action_cancel(self) -> None:
        self.action_close()  # the app's q and ctrl+q close a dialog through its action_cancel


__all__ = ["ImportScreen", "issue_kinds", "issue_lines", "list_all_command"]
