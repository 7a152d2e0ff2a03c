"""A warning across the top of every screen while the portfolio's audit trail does not verify.

The app owns one ChainGuard. It walks the hash chain in a thread (the walk reads every event: a fraction
of a second for tens of thousands) when the app starts and whenever told the file changed under it
(`check()`, from the app's data_version watch), and keeps a ChainBanner on each view screen while the chain
is broken, taking it away once it verifies again. Mounting it in the app:

    from caio_tui.tui.widgets.chain_banner import ChainGuard
    self.chain_guard = ChainGuard(self, self.portfolio)     # in on_mount
    self.chain_guard.start()                                # once the first screen shows its rows
    self.chain_guard.check()                                # where the watch sees another program's change
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from caio_tui.domain.text import printable
from caio_tui.store import StoreError

if TYPE_CHECKING:
    from caio_tui.store import Portfolio
    from caio_tui.store.audit import ChainBreak


def warning_text(broken: ChainBreak) -> str:
    return (
        f"⚠ The audit trail does not verify: event {broken.event_id} {broken.reason}. "
        "Changes made outside caio-tui cannot be ruled out; run 'caio-tui verify' for details."
    )


class ChainBanner(Static):
    """One line (two on a narrow screen), docked above everything else on the screen."""

    DEFAULT_CSS = """
    ChainBanner {
        dock: top;
        width: 1fr;
        height: auto;
        padding: 0 1;
        background: $error;
        color: $text;
        text-style: bold;
    }
    """

    def __init__(self, text: str) -> None:
        super().__init__(Content(printable(text)), id="chain-banner")

    def show(self, text: str) -> None:
        self.update(Content(printable(text)))


class ChainGuard:
    """Keeps a ChainBanner on every view screen while the audit chain is broken."""

    def __init__(self, app: App[Any], portfolio: Portfolio) -> None:
        self.app = app
        self.portfolio = portfolio
        self.problem: str | None = None  # the banner's text; None while the chain verifies
        self.checks = 0  # walks finished (tests wait on it)

    def start(self) -> None:
        self.app.screen_change_signal.subscribe(self.app, self._screen_changed)
        self.check()

    def check(self) -> None:
        """Walk the chain again, off the UI thread; the banner follows the result."""
        self.app.run_worker(self._verify, thread=True, group="chain-guard", exclusive=True, exit_on_error=False)

    def _verify(self) -> None:
        try:
            _checked, broken = self.portfolio.verify_chain()
            problem = warning_text(broken) if broken else None
        except StoreError as exc:
            problem = f"⚠ The audit trail cannot be read: {exc}"
        self.app.call_from_thread(self._show, problem)

    def _show(self, problem: str | None) -> None:
        self.problem = problem
        self.checks += 1
        for screen in self.app.screen_stack:
            self._apply(screen)

    def _screen_changed(self, screen: Screen[Any]) -> None:
        # A screen shown for the first time is composed after this signal: place the banner after that.
        self.app.call_after_refresh(self._apply, screen)

    def _apply(self, screen: Screen[Any], tries: int = 0) -> None:
        if isinstance(screen, ModalScreen):
            return  # a dialog floats over a screen that has the banner already
        if not screen.is_mounted:
            # The first check can finish before the start screen is composed: look again shortly.
            if tries < 100:
                self.app.set_timer(0.05, lambda: self._apply(screen, tries + 1))
            return
        found = screen.query(ChainBanner)
        if self.problem is None:
            found.remove()
        elif found:
            found.first().show(self.problem)
        else:
            screen.mount(ChainBanner(self.problem))
