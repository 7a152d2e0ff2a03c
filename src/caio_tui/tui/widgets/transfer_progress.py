"""A progress bar for an export or an import that runs in a worker thread.

The io functions report progress with a `(done, total)` callback from their own thread. A ProgressRelay is
that callback: it only stores the latest pair (no call into the UI from the worker, so a callback per
pilot costs next to nothing), and the TransferProgress widget reads it ten times a second. The relay also
carries a cancel request the other way: once cancelled, the next callback raises TransferCancelled, which
the atomic export turns into "nothing was written".
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.timer import Timer
from textual.widgets import ProgressBar, Static

POLL_S = 0.1  # how often the bar reads the relay: smooth enough, and free when nothing moves


class TransferCancelled(Exception):
    """Raised inside the worker when the user cancelled the transfer."""


class ProgressRelay:
    """The `progress=(done, total)` callback of an io function; safe to call from any thread."""

    def __init__(self) -> None:
        self.state: tuple[int, int] | None = None  # one assignment: a reader never sees half of an update
        self.cancelled = False

    def __call__(self, done: int, total: int) -> None:
        if self.cancelled:
            raise TransferCancelled
        self.state = (done, total)

    def cancel(self) -> None:
        self.cancelled = True


class TransferProgress(Vertical):
    """A status line over a progress bar. Pulses until the work reports its first (done, total)."""

    DEFAULT_CSS = """
    TransferProgress {
        height: auto;
        display: none;
    }
    TransferProgress.-running {
        display: block;
    }
    TransferProgress #transfer-status {
        color: $text-muted;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._relay: ProgressRelay | None = None
        self._label = ""
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="transfer-status")
        yield ProgressBar(total=None, show_eta=False, id="transfer-bar")

    @property
    def running(self) -> bool:
        return self.has_class("-running")

    def start(self, relay: ProgressRelay, label: str) -> None:
        """Show the bar and follow relay; label says what is being done ("Writing the snapshot")."""
        self._relay = relay
        self._label = label
        self.query_one("#transfer-bar", ProgressBar).update(total=None, progress=0)
        self._show(None)
        self.add_class("-running")
        if self._timer is None:
            self._timer = self.set_interval(POLL_S, self._poll)
        else:
            self._timer.resume()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.pause()
        self.remove_class("-running")

    def _poll(self) -> None:
        if self._relay is not None:
            self._show(self._relay.state)

    def _show(self, state: tuple[int, int] | None) -> None:
        status = Content(self._label + "…")
        if state is not None and state[1] > 0:
            done, total = state
            self.query_one("#transfer-bar", ProgressBar).update(total=total, progress=min(done, total))
            status = Content(f"{self._label}: {done:,} of {total:,} pilots")
        self.query_one("#transfer-status", Static).update(status)


__all__ = ["POLL_S", "ProgressRelay", "TransferCancelled", "TransferProgress"]
