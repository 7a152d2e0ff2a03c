"""The export dialog (`x`, or the palette's Export commands): a format, a file, then the export itself.

The export runs in a worker on a connection of its own (io.inventory.export_file), with a progress bar;
the dialog stays open until it ends, so an error (one line) leaves every choice as it was, ready to fix.
An existing file is replaced only after a yes to the question that names it; the file is written to a
temporary name and renamed, so a failed or cancelled export leaves the old file untouched.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from caio_tui.domain.text import printable
from caio_tui.io.files import FileWriteError, check_target
from caio_tui.io.inventory import EXPORT_FORMATS, TransferError, export_file
from caio_tui.store import StoreError
from caio_tui.tui.dialogs.base import Dialog
from caio_tui.tui.dialogs.export_formats import EXPORTS
from caio_tui.tui.dialogs.questions import ConfirmScreen
from caio_tui.tui.widgets.transfer_progress import ProgressRelay, TransferCancelled, TransferProgress

MUTED = "$text-muted"
LABEL_WIDTH = max(len(label) for _, label in EXPORTS) + 2  # the suffixes in one column, apart from the longest label


def size_text(size: int) -> str:
    """A file size as a reader says it: bytes up to 10 kB, then kB, MB, GB with one decimal."""
    if size < 10_000:
        return f"{size:,} bytes"
    value = float(size)
    for unit in ("kB", "MB", "GB"):
        value /= 1000
        if value < 1000 or unit == "GB":
            break
    return f"{value:,.1f} {unit}"


def file_facts(path: Path) -> str:
    """An existing file's size and time of last change ("1,234 bytes, 2026-11-01 12:00"); "" if none."""
    try:
        stat = path.stat()
    except OSError:
        return ""
    return f"{size_text(stat.st_size)}, {datetime.fromtimestamp(stat.st_mtime):%Y-%m-%d %H:%M}"


def existing_note(path: Path) -> str:
    """What is at path now, when something is: the dialog says it before enter is pressed."""
    if path.is_dir():
        return "a folder: give a file name"
    facts = file_facts(path) if path.exists() else ""
    return f"exists ({facts}): you will be asked before it is replaced" if facts else ""


def one_line(message: str) -> str:
    """An io error for the dialog: one line, without the CLI's flag advice."""
    return printable(message.replace(" (use --force to replace it)", "")).replace("\n", " ")


class ExportDialog(Dialog[Path | None]):
    """Exports the portfolio at db; dismisses with the written file, or None when cancelled."""

    DEFAULT_CSS = """
    ExportDialog > #export-dialog {
        width: 80;
    }
    ExportDialog #export-title {
        text-style: bold;
        margin-bottom: 1;
    }
    ExportDialog .export-label {
        color: $text-muted;
    }
    ExportDialog #export-formats {
        height: auto;
        border: none;
        background: $boost;
        margin-bottom: 1;
    }
    ExportDialog #export-path {
        background: $foreground 7%;
    }
    ExportDialog #export-where {
        color: $text-muted;
        height: auto;
        display: none;
    }
    ExportDialog #export-where.-shown {
        display: block;
    }
    ExportDialog #export-note {
        color: $text-warning;
        height: auto;
    }
    ExportDialog #export-error {
        color: $text-error;
        height: auto;
    }
    ExportDialog #export-hint {
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "export", "Export", id="export.export"),
        Binding("escape", "cancel", "Cancel", tooltip="Cancel (while exporting: stop it)", id="export.cancel"),
    ]

    def __init__(
        self,
        db: Path,
        *,
        actor: str,
        stalled_days: int,
        default_path: Callable[[str], Path],
        fmt: str = "snapshot",
        folder: Path | None = None,
    ) -> None:
        super().__init__()
        if fmt not in EXPORT_FORMATS:
            raise ValueError(f"unknown export format {fmt!r}")
        self.db = db
        self.actor = actor
        self.stalled_days = stalled_days
        self.default_path = default_path
        self.fmt = fmt
        # Where a name without a folder goes: the export folder (config.toml's export_dir), made on first use.
        self.folder = folder if folder is not None else default_path(fmt).parent
        self.relay: ProgressRelay | None = None  # set while an export runs

    # ---- layout ----------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="export-dialog", classes="dialog-frame"):
            yield Static(Content("Export the portfolio"), id="export-title")
            yield Label(Content("Format"), classes="export-label")
            yield OptionList(
                *[
                    Option(Content.assemble(label.ljust(LABEL_WIDTH), (self.suffix_of(fmt), MUTED)), id=fmt)
                    for fmt, label in EXPORTS
                ],
                id="export-formats",
                markup=False,
            )
            yield Label(
                Content.assemble("File", (f" · a name without a folder goes in {printable(str(self.folder))}", MUTED)),
                classes="export-label",
            )
            yield Input(str(self.default_path(self.fmt)), placeholder="a file name", id="export-path", compact=True)
            yield Static("", id="export-where")
            yield Static("", id="export-note")
            yield TransferProgress(id="export-progress")
            yield Static("", id="export-error")
            yield Static(
                Content("↑↓ format · tab: file name · enter: export · esc: cancel"),
                id="export-hint",
            )
        yield Footer()

    def on_mount(self) -> None:
        formats = self.query_one("#export-formats", OptionList)
        formats.highlighted = [fmt for fmt, _ in EXPORTS].index(self.fmt)
        formats.focus()
        self._update_note()

    @staticmethod
    def suffix_of(fmt: str) -> str:
        from caio_tui.io.inventory import EXPORT_SUFFIX

        return EXPORT_SUFFIX[fmt]

    @property
    def label(self) -> str:
        return dict(EXPORTS)[self.fmt]

    @property
    def path_text(self) -> str:
        return self.query_one("#export-path", Input).value

    def target(self) -> Path | None:
        """The file the export would write: the typed name, a name without a folder in the export folder."""
        text = self.path_text.strip()
        if not text:
            return None
        path = Path(text).expanduser()
        return path if path.is_absolute() else self.folder / path

    # ---- choices ---------------------------------------------------------------------------------------

    @on(OptionList.OptionHighlighted, "#export-formats")
    def _format_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        new = event.option.id
        if new is None or new == self.fmt:
            return
        path_input = self.query_one("#export-path", Input)
        # The file name follows the format until the user types one of their own.
        if path_input.value == str(self.default_path(self.fmt)):
            path_input.value = str(self.default_path(new))
        self.fmt = new
        self._show_error("")

    @on(OptionList.OptionSelected, "#export-formats")
    def _format_chosen(self, _event: OptionList.OptionSelected) -> None:
        self.action_export()

    @on(Input.Changed, "#export-path")
    def _path_changed(self, _event: Input.Changed) -> None:
        self._update_note()
        self._show_error("")

    @on(Input.Submitted, "#export-path")
    def _path_submitted(self, _event: Input.Submitted) -> None:
        self.action_export()

    def _update_note(self) -> None:
        path = self.target()
        note = existing_note(path) if path is not None else ""
        self.query_one("#export-note", Static).update(Content(note))
        # The whole path where the typed name does not say it (a name without a folder, a ~).
        shown = path is not None and str(path) != self.path_text.strip()
        where = f"writes {printable(str(path))}" if shown else ""
        self.query_one("#export-where", Static).update(Content(where))
        self.query_one("#export-where", Static).set_class(bool(where), "-shown")

    def _show_error(self, message: str) -> None:
        self.query_one("#export-error", Static).update(Content(message))

    # ---- the export ------------------------------------------------------------------------------------

    def action_export(self) -> None:
        if self.relay is not None:
            return  # one export at a time
        path = self.target()
        if path is None:
            self._fail("Give a file name.", notify=False)
            return
        try:
            if path.parent == self.folder:
                self.folder.mkdir(parents=True, exist_ok=True)  # the export folder, on the first export
            check_target(path, force=True)  # a folder, a missing folder: said now, before any work
        except FileWriteError as exc:
            self._fail(one_line(str(exc)))
            return
        except OSError as exc:
            self._fail(one_line(f"{self.folder}: the export folder cannot be made ({exc.strerror or exc})"))
            return
        if path.exists():
            self._ask_replace(path)
        else:
            self._start(path, force=False)

    def _ask_replace(self, path: Path) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self._start(path, force=True)
            else:
                self.query_one("#export-note", Static).update(
                    Content(f"kept {printable(path.name)}: give another name, or enter again to replace it")
                )
                self.query_one("#export-path", Input).focus()

        self.app.push_screen(
            ConfirmScreen(
                f"Replace {printable(path.name)}?",
                f"{printable(str(path))} exists ({file_facts(path)}). "
                f"Yes writes the {self.label} in its place; no keeps the file as it is.",
            ),
            answered,
        )

    def _start(self, path: Path, *, force: bool) -> None:
        self.relay = ProgressRelay()
        self._show_error("")
        self._set_choosing(False)
        self.query_one(TransferProgress).start(self.relay, f"Writing the {self.label}")
        self.run_worker(self._run(path, force, self.relay), group="export", exclusive=True)

    async def _run(self, path: Path, force: bool, relay: ProgressRelay) -> None:
        try:
            size = await asyncio.to_thread(
                export_file,
                self.db,
                self.fmt,
                path,
                actor=self.actor,
                force=force,
                stalled_days=self.stalled_days,
                progress=relay,
            )
        except TransferCancelled:
            self._ended()
            self.notify("The export was cancelled; nothing was written", markup=False)
            self._show_error("Cancelled; nothing was written.")
            return
        except (StoreError, TransferError, FileWriteError, OSError) as exc:
            self._ended()
            self._fail(one_line(str(exc)))
            return
        self._ended()
        written = f"Wrote {printable(str(path))} ({size_text(size)})"
        if self.app.is_web:  # in a browser (`caio-tui serve`) the file is wanted on the browser's side too
            self.app.deliver_binary(path)
            written += "; your browser downloads it"
        self.app.notify(written, title="Exported", markup=False)
        if self.is_active:
            self.dismiss(path)
        else:  # another screen went over it meanwhile (the palette): popping now would close that one
            self.query_one("#export-note", Static).update(Content(written))

    def _ended(self) -> None:
        self.relay = None
        self.query_one(TransferProgress).stop()
        self._set_choosing(True)
        self._update_note()

    def _set_choosing(self, choosing: bool) -> None:
        for widget in (self.query_one("#export-formats"), self.query_one("#export-path")):
            widget.disabled = not choosing
        if choosing:
            self.query_one("#export-path", Input).focus()

    def _fail(self, message: str, *, notify: bool = True) -> None:
        self._show_error(message)
        if notify:
            self.app.notify(message, title="Nothing was exported", severity="error", markup=False)

    def action_cancel(self) -> None:
        if self.relay is not None:
            self.relay.cancel()  # the export stops at its next progress step and removes its temporary file
            self.query_one("#transfer-status", Static).update(Content("Cancelling…"))
            return
        self.dismiss(None)


__all__ = ["ExportDialog", "existing_note", "file_facts", "size_text"]
