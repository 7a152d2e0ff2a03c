"""Resolving a blocker: which one, and how it was resolved (optional, but asked). The answer becomes the
blocker's resolution; the note written when it was opened stays as it was (it says why it blocked)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Footer, Input, Label, Static

from caio_tui.domain.blockers import Blocker
from caio_tui.tui.dialogs.base import Dialog
from caio_tui.tui.styles.content import user_text


class ResolveBlocker(Dialog[str | None]):
    """Dismisses with how it was resolved ("" when not said), or None when cancelled."""

    DEFAULT_CSS = """
    ResolveBlocker > .dialog-frame {
        width: 76;
    }
    ResolveBlocker #resolve-note {
        background: $foreground 7%;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="resolve_blocker.cancel"),
    ]

    def __init__(self, pilot_id: str, blocker: Blocker) -> None:
        super().__init__()
        self.pilot_id = pilot_id
        self.blocker = blocker

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-frame"):
            yield Label(
                Content.assemble("Resolve ", (self.blocker.tag, "bold"), f" on {self.pilot_id}"),
                classes="dialog-title",
            )
            if self.blocker.note:
                yield Static(Content.assemble(("Opened with: ", "$text-muted"), user_text(self.blocker.note)))
            yield Label("How was it resolved? (optional, kept in the history and the audit trail)")
            yield Input(placeholder="e.g. migrated to per-user sign-in through ICAM", id="resolve-note", compact=True)
            yield Static(Content.styled("enter: resolve · esc: cancel", "$text-muted"), classes="dialog-hint")
        yield Footer()

    @on(Input.Submitted, "#resolve-note")
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


__all__ = ["ResolveBlocker"]
