"""The top line of every view: the app's name and the views with their keys, the shown one highlighted, and
how many conflicts and stage requests from office bundles wait ("8 Conflicts 3"; the app counts them)."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from caio_tui.tui.navigation import VIEWS

# The views' short names, for a line too narrow for the whole ones (80 columns hold the eight views and a
# count this way; the shown view's own name is shortened last, by `tight`).
SHORT = {
    "portfolio": "Pilots",
    "pipeline": "Board",
    "compare": "Comp",
    "blockers": "Block",
    "dashboard": "Dash",
    "commercial": "COTS",
    "identity": "IdP",
    "conflicts": "Confl",
}
WAITING_VIEW = "conflicts"  # the view whose name carries the count of what waits


def view_tabs(active: str, *, short: bool = False, tight: bool = False, waiting: int = 0) -> Content:
    """`caio-tui  1 Portfolio  2 Pipeline ...` with the active view highlighted; `short`: short names for the
    views not shown, and no app name; `tight`: the active one's short name too; `waiting`: the count after
    the Conflicts view's name (0: none)."""
    parts: list[Content | tuple[str, str] | str] = [] if short else [("caio-tui", "bold $text-primary"), "  "]
    for v in VIEWS:
        count = f" {waiting}" if waiting and v.id == WAITING_VIEW else ""
        if v.id == active:
            title = SHORT.get(v.id, v.title) if tight else v.title
            parts.append((f" {v.key} {title}{count} ", "bold reverse $text-accent"))
        else:
            title = SHORT.get(v.id, v.title) if short else v.title
            parts += [(f" {v.key}", "bold"), (f" {title}", "$text-muted"), (f"{count} ", "bold $text-warning")]
    return Content.assemble(*parts)


class ViewBar(Static):
    """The top line of every view: the app's name and the views with their keys."""

    DEFAULT_CSS = """
    ViewBar {
        height: 1;
        width: 1fr;
        background: $panel;
        padding: 0 1;
    }
    """

    def __init__(self, active: str) -> None:
        super().__init__(view_tabs(active), classes="view-bar")
        self.active = active
        self.waiting = 0

    def on_mount(self) -> None:
        self.show_waiting(getattr(self.app, "waiting", 0))

    def show_waiting(self, waiting: int) -> None:
        self.waiting = waiting
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        width = self.content_size.width
        for short, tight in ((False, False), (True, False), (True, True)):
            tabs = view_tabs(self.active, short=short, tight=tight, waiting=self.waiting)
            if tabs.cell_length <= width:
                break
        self.update(tabs)


__all__ = ["ViewBar", "view_tabs"]
