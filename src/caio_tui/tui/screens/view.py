"""What every view (navigation.VIEWS) does when the portfolio changes: read it again at once when shown,
else once it is shown next, so coming back to an unchanged view costs no query. And how a view reaches
the app (`caio`: what tui/host.py says a screen may ask of it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.screen import Screen

if TYPE_CHECKING:
    from caio_tui.tui.host import CaioHost


class ViewScreen(Screen[None]):
    """A view's screen. Subclasses define load() (the read, in a worker) and may override shown_again()."""

    _stale = False  # the store changed while the view was hidden

    @property
    def caio(self) -> CaioHost:
        return cast("CaioHost", self.app)

    def load(self) -> None:
        raise NotImplementedError

    def portfolio_changed(self) -> None:
        """The store changed (a modal, undo, a reload, another program)."""
        if self.is_current:
            self.load()
        else:
            self._stale = True

    def on_screen_resume(self) -> None:
        self.shown_again()

    def shown_again(self) -> None:
        if self._stale:
            self.load()
