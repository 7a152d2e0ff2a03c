"""The two small questions the app asks: yes or no, and a file name; and a file name as the user would
type it back (for those questions and the dialogs that show paths)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Footer, Input, Label, Static

from caio_tui.tui.dialogs.base import Dialog


class ConfirmScreen(Dialog[bool]):
    """A yes/no question; dismisses True for yes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "confirm", "Yes", id="confirm.yes"),
        Binding("n,escape", "cancel", "No", id="confirm.no"),
    ]

    def __init__(self, question: str, detail: str = "") -> None:
        super().__init__()
        self.question = question
        self.detail = detail

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-frame"):
            yield Static(Content.styled(self.question, "bold"), classes="dialog-title")
            if self.detail:
                yield Static(Content(self.detail), classes="dialog-detail")
            yield Static(Content.styled("y or enter: yes · n or esc: no", "$text-muted"), classes="dialog-hint")
        yield Footer()

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class PathPrompt(Dialog[Path | None]):
    """Asks for a file name; dismisses with the path, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="path_prompt.cancel"),
    ]

    def __init__(self, title: str, value: str = "", hint: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-frame"):
            yield Label(Content.styled(self.title_text, "bold"), classes="dialog-title")
            yield Input(self.value, placeholder="a file name", id="path")
            yield Static("", id="path-error", classes="dialog-error")
            hint = (self.hint + " · " if self.hint else "") + "enter: OK · esc: cancel"
            yield Static(Content.styled(hint, "$text-muted"), classes="dialog-hint")
        yield Footer()

    @on(Input.Submitted, "#path")
    def _submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            self.query_one("#path-error", Static).update("Give a file name.")
            return
        self.dismiss(Path(text).expanduser())

    def action_cancel(self) -> None:
        self.dismiss(None)


def shown_path(path: Path) -> str:
    """A file name as the user would type it: relative to the working folder when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


__all__ = ["ConfirmScreen", "PathPrompt", "shown_path"]
