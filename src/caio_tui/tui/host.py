"""The app as its screens, dialogs and the command palette see it: app-wide state and what may be asked of
the app, declared here so none of them imports tui/app.py (which imports them: that was the circle).

tui/app.py's CaioApp is the one subclass; a screen reaches it with `cast(CaioHost, self.app)`.
"""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.screen import Screen

from caio_tui.config import Settings
from caio_tui.store import Portfolio


class CaioHost(App[None]):
    """The open Portfolio, the settings, the pilots marked for comparison, and the app-wide actions."""

    portfolio: Portfolio
    settings: Settings
    marked: dict[str, None]  # pilots marked for comparison, in the order they were marked
    views: dict[str, Screen[Any]]  # the view screens made so far, by view id

    # ---- marks ---------------------------------------------------------------------------------------

    def marked_ids(self) -> list[str]:
        return list(self.marked)

    def toggle_mark(self, pilot_id: str) -> bool:
        """Mark or unmark a pilot for comparison; True when it is now marked."""
        if pilot_id in self.marked:
            del self.marked[pilot_id]
            return False
        self.marked[pilot_id] = None
        return True

    def clear_marks(self) -> None:
        self.marked.clear()
        self.portfolio_changed()

    # ---- what CaioApp does ---------------------------------------------------------------------------

    def show_view(self, view_id: str) -> None:
        """Switch to a view; asking for the view already shown goes back to its first screen."""
        raise NotImplementedError

    def set_busy(self, busy: bool) -> None:
        """Show (or hide) the loading indicator of every view that has one, during long work."""
        raise NotImplementedError

    def portfolio_changed(self, *, source: Screen[Any] | None = None, details: bool = False) -> None:
        """Tell every view (but `source`) that the store changed; with `details`, open pilot screens too."""
        raise NotImplementedError

    def action_undo(self) -> None:
        raise NotImplementedError

    def action_reload(self) -> None:
        raise NotImplementedError

    def action_help(self) -> None:
        raise NotImplementedError


__all__ = ["CaioHost"]
