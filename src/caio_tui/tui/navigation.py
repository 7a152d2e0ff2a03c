"""The views of the app: a whole-screen way of looking at the portfolio, reached with a number key (`1` to
`5`) from anywhere. Each view runs as a Textual *mode* with its own screen stack, so a pilot opened from
the Pipeline board returns to the board.

Plugging in a view (issues 4 and 5): write its screen class, constructed as `ViewScreen(portfolio)`,
and put its dotted path in `screen=` below; that is the only change the app needs. The screen may read
`self.app.marked_ids()` (the pilots marked with `space`, for Compare), should `yield ViewBar("<id>")`
(tui/widgets/view_bar.py) at its top, and may define `portfolio_changed(self) -> None`, which the app
calls after every change (a modal's result, undo, a reload, a change made by another program) so the view
re-reads the store (screens.view.ViewScreen does it: now when shown, else when shown next).
Its BINDINGS appear in the help screen automatically. The screen is imported by name when its view is
first shown (tui/speed.py: start-up).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from caio_tui.tui.speed import import_screen

if TYPE_CHECKING:
    from textual.screen import Screen


@dataclass(frozen=True)
class View:
    id: str
    key: str
    title: str
    screen: str  # "package.module:Class"

    def screen_class(self) -> type[Screen[Any]]:
        """The view's screen class, imported only when the view is first shown."""
        return import_screen(self.screen)


VIEWS: tuple[View, ...] = (
    View("portfolio", "1", "Portfolio", "caio_tui.tui.screens.portfolio:PortfolioScreen"),
    View("pipeline", "2", "Pipeline", "caio_tui.tui.screens.pipeline:PipelineScreen"),
    View("compare", "3", "Compare", "caio_tui.tui.screens.compare:CompareScreen"),
    View("blockers", "4", "Blockers", "caio_tui.tui.screens.blockers:BlockersScreen"),
    View("dashboard", "5", "Dashboard", "caio_tui.tui.screens.dashboard:DashboardScreen"),
    View("commercial", "6", "Commercial AI", "caio_tui.tui.screens.commercial:CommercialScreen"),
    View("identity", "7", "Identity", "caio_tui.tui.screens.identity:IdentityScreen"),
    View("conflicts", "8", "Conflicts", "caio_tui.tui.screens.conflicts:ConflictsScreen"),
)

START_VIEW = "portfolio"


def view(view_id: str) -> View:
    return next(v for v in VIEWS if v.id == view_id)


__all__ = ["START_VIEW", "VIEWS", "View", "view"]
