"""The top line of every view: the app's name and the views with their keys, the shown one highlighted."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from caio_tui.tui.navigation import VIEWS

# The views' short names, for a line too narrow for the whole ones (80 columns hold seven views this way).
SHORT = {"pipeline": "Board", "dashboard": "Dash", "commercial": "COTS", "identity": "IdP"}


def view_tabs(active: str, *, short: bool = False) -> Content:
    """`caio-tui  1 Portfolio  2 Pipeline ...` with the active view highlighted; `short`: short names for the
    views not shown, and no app name."""
    parts: list[Content | tuple[str, str] | str] = [] if short else [("caio-tui", "bold $text-primary"), "  "]
    for v in VIEWS:
        if v.id == active:
            parts.append((f" {v.key} {v.title} ", "bold reverse $text-accent"))
        else:
            title = SHORT.get(v.id, v.title) if short else v.title
            parts += [(f" {v.key}", "bold"), (f" {title} ", "$text-muted")]
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

    def on_resize(self) -> None:
        whole = view_tabs(self.active)
        self.update(view_tabs(self.active, short=whole.cell_length > self.content_size.width))


__all__ = ["ViewBar", "view_tabs"]
