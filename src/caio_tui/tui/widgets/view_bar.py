"""The top line of every view: the app's name and the views with their keys, the shown one highlighted."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from caio_tui.tui.navigation import VIEWS


def view_tabs(active: str) -> Content:
    """`caio-tui  1 Portfolio  2 Pipeline ...` with the active view highlighted."""
    parts: list[Content | tuple[str, str] | str] = [("caio-tui", "bold $text-primary"), "  "]
    for v in VIEWS:
        if v.id == active:
            parts.append((f" {v.key} {v.title} ", "bold reverse $text-accent"))
        else:
            parts += [(f" {v.key}", "bold"), (f" {v.title} ", "$text-muted")]
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


__all__ = ["ViewBar", "view_tabs"]
