"""What every dialog shares: a ModalScreen centred over the screen it was opened from, its content in a
framed box (the child with class `dialog-frame`). A dialog sets only its box's width."""

from __future__ import annotations

from typing import TypeVar

from textual.screen import ModalScreen

ResultT = TypeVar("ResultT")


class Dialog(ModalScreen[ResultT]):
    """A modal dialog; its answer comes back through dismiss()."""

    DEFAULT_CSS = """
    Dialog {
        align: center middle;
    }
    Dialog > .dialog-frame {
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    """


__all__ = ["Dialog"]
