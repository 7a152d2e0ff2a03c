"""A view that has not landed yet: it says which issue brings it (and, for Compare, which pilots are marked)."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from caio_tui.tui.keymap import View, ViewBar


class PlaceholderScreen(Screen[None]):
    """Stands in for a view of a later issue."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.view('portfolio')", "Portfolio", id="placeholder.back"),
    ]

    def __init__(self, view: View) -> None:
        super().__init__(id=f"{view.id}-view", classes="placeholder-view")
        self.view = view

    def compose(self) -> ComposeResult:
        yield ViewBar(self.view.id)
        with Center(classes="placeholder-body"):
            yield Static(self.message(), classes="placeholder-message")
        yield Footer()

    def message(self) -> Content:
        parts: list[Content | tuple[str, str] | str] = [
            (self.view.title, "bold"),
            "\n\n",
            f"This view arrives with {self.view.brought_by}.",
        ]
        if self.view.id == "compare":
            marked: list[str] = list(getattr(self.app, "marked", {}))
            if marked:
                parts += ["\n\nMarked for comparison: ", (", ".join(marked), "bold $text-accent")]
            else:
                parts += [
                    "\n\nNo pilots are marked: ",
                    ("space", "bold"),
                    " marks one on the Portfolio (",
                    ("1", "bold"),
                    ").",
                ]
        parts += ["\n\n", ("1", "bold"), " or ", ("esc", "bold"), " goes back to the Portfolio."]
        return Content.assemble(*parts)

    def portfolio_changed(self) -> None:
        for message in self.query(".placeholder-message").results(Static):
            message.update(self.message())

    def on_screen_resume(self, _event: Any) -> None:
        self.portfolio_changed()  # the marks may have changed on another view


__all__ = ["PlaceholderScreen"]
