"""The views of the app, the keys that switch between them, and the bar that shows them.

A view is a whole-screen way of looking at the portfolio, reached with a number key (`1` to `5`) from
anywhere. Each view runs as a Textual *mode* with its own screen stack, so a pilot opened from the
Pipeline board returns to the board.

Plugging in a view (issues 4 and 5): write its screen class, constructed as `ViewScreen(portfolio)`,
and put its dotted path in `screen=` below; that is the only change the app needs. The screen may read
`self.app.marked_ids()` (the pilots marked with `space`, for Compare), should `yield ViewBar("<id>")`
at its top, and may define `portfolio_changed(self) -> None`, which the app calls after every change
(a modal's result, undo, a reload, a change made by another program) so the view re-reads the store
(screens.view.ViewScreen does it: now when shown, else when shown next).
Its BINDINGS appear in the help screen automatically.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.content import Content
from textual.widgets import Static

if TYPE_CHECKING:
    from textual.screen import Screen


@dataclass(frozen=True)
class View:
    id: str
    key: str
    title: str
    screen: str | None = None  # "package.module:Class"; None shows a placeholder until the view lands
    brought_by: str = ""  # which issue brings the view, said by the placeholder

    def screen_class(self) -> type[Screen[Any]] | None:
        """The view's screen class, imported only when the view is first shown."""
        if self.screen is None:
            return None
        module_name, _, class_name = self.screen.partition(":")
        found: type[Screen[Any]] = getattr(importlib.import_module(module_name), class_name)
        return found


VIEWS: tuple[View, ...] = (
    View("portfolio", "1", "Portfolio", "caio_tui.tui.screens.portfolio:PortfolioScreen"),
    View("pipeline", "2", "Pipeline", "caio_tui.tui.screens.pipeline:PipelineScreen"),
    View("compare", "3", "Compare", "caio_tui.tui.screens.compare:CompareScreen"),
    View("blockers", "4", "Blockers", "caio_tui.tui.screens.blockers:BlockersScreen"),
    View("dashboard", "5", "Dashboard", "caio_tui.tui.screens.dashboard:DashboardScreen"),
)

START_VIEW = "portfolio"


def view(view_id: str) -> View:
    return next(v for v in VIEWS if v.id == view_id)


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


__all__ = ["START_VIEW", "VIEWS", "View", "ViewBar", "view", "view_tabs"]
