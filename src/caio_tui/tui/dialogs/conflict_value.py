"""Settling a conflict with a value of one's own: the field, its three values (base, CAIO, office), and an
input prefilled with the office's value. What is typed is checked as the field's type before the dialog
closes (a coverage status must be a status, high_impact yes or no, `met` needs evidence): a bad value is
said under the input. And DeclineReason: the optional reason a stage request is declined with."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Footer, Input, Label, Static

from caio_tui.tui.dialogs.base import Dialog
from caio_tui.tui.styles.content import user_text


class ConflictValue(Dialog[str | None]):
    """Dismisses with the text typed (which `check` accepted), or None when cancelled. `sides` are the
    three values as lines; `check` returns why a text is refused, or None."""

    DEFAULT_CSS = """
    ConflictValue > .dialog-frame {
        width: 76;
    }
    ConflictValue #conflict-value-error, ConflictValue .conflict-value-hint {
        color: $text-error;
        height: auto;
    }
    ConflictValue .conflict-value-hint {
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="conflict_value.cancel"),
    ]

    def __init__(
        self, title: str, sides: tuple[str, str, str], value: str, hint: str, check: Callable[[str], str | None]
    ) -> None:
        super().__init__()
        self.title_text = title
        self.sides = sides
        self.value = value
        self.hint = hint
        self.check = check

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-frame"):
            yield Label(user_text(self.title_text), classes="dialog-title")
            for side, text in zip(("base", "CAIO", "office"), self.sides, strict=True):
                yield Static(Content.assemble((f"{side:>6}: ", "$text-muted"), user_text(text)))
            yield Static(Content.styled(self.hint, "$text-muted"), classes="conflict-value-hint")
            yield Input(self.value, id="conflict-value", compact=True)
            yield Static("", id="conflict-value-error")
            yield Static(Content.styled("enter: set this value · esc: cancel", "$text-muted"), classes="dialog-hint")
        yield Footer()

    @on(Input.Submitted, "#conflict-value")
    def _submitted(self, event: Input.Submitted) -> None:
        refused = self.check(event.value)
        if refused:
            self.query_one("#conflict-value-error", Static).update(user_text(refused))
            return
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class DeclineReason(Dialog[str | None]):
    """Asks why a stage request is declined; the reason may be left blank. Dismisses with the reason ("" for
    none), or None when cancelled (nothing is declined)."""

    DEFAULT_CSS = """
    DeclineReason > .dialog-frame {
        width: 76;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="decline_reason.cancel"),
    ]

    def __init__(self, title: str) -> None:
        super().__init__()
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-frame"):
            # Wrapped, not cut: at 80 columns the stage it asks for comes last, and nothing else names it.
            yield Static(user_text(self.title_text), classes="dialog-title")
            yield Static(Content.styled("Why (optional, kept in the audit trail):", "$text-muted"))
            yield Input("", placeholder="the reason, or leave blank", id="decline-reason", compact=True)
            yield Static(Content.styled("enter: decline · esc: cancel", "$text-muted"), classes="dialog-hint")
        yield Footer()

    @on(Input.Submitted, "#decline-reason")
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


__all__ = ["ConflictValue", "DeclineReason"]
