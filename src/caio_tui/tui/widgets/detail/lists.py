"""The detail screen's two keyboard lists, coverage and blockers: option lists with vi keys that say when
their width changes (their prompts are wrapped to it)."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import OptionList


class KeyList(OptionList):
    """An option list with vi-style keys as well as the arrows, that says when its width changes."""

    class WidthChanged(Message):
        """The list's width changed: prompts wrapped to the old width need redoing."""

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id, markup=False)
        self._width = 0

    @property
    def prompt_width(self) -> int:
        """Cells available to a prompt (a guess until the first layout)."""
        return self.scrollable_content_region.width - 2 or 60

    # Paging onto a heading (not selectable) at either end leaves OptionList with no highlight at all:
    # land on the first or last item instead.
    def action_page_up(self) -> None:
        super().action_page_up()  # type: ignore[no-untyped-call]
        if self.highlighted is None:
            self.action_first()

    def action_page_down(self) -> None:
        super().action_page_down()  # type: ignore[no-untyped-call]
        if self.highlighted is None:
            self.action_last()

    def on_resize(self) -> None:
        if self.size.width != self._width:
            self._width = self.size.width
            self.post_message(self.WidthChanged())

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="detail.list_down"),
        Binding("k", "cursor_up", "Up", show=False, id="detail.list_up"),
        Binding("g", "first", "First", show=False, id="detail.list_first"),
        Binding("G", "last", "Last", show=False, id="detail.list_last"),
    ]


class CoverageList(KeyList):
    """Coverage area by area: area headings (not selectable) and their items."""


class BlockerList(KeyList):
    """Open blockers (selectable) then resolved ones."""


__all__ = ["BlockerList", "CoverageList", "KeyList"]
