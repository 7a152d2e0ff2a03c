"""What the TUI tests share: an app that keeps its notifications, keys pressed until the app is still, and
a view waited for until it has settled (what a snapshot needs)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import LoadingIndicator, Static
from textual.worker import WorkerCancelled

from caio_tui.config import Settings
from caio_tui.store import Portfolio
from caio_tui.tui.app import CaioApp


class RecordingApp(CaioApp):
    """The app, keeping every notification it shows."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.notes: list[tuple[str, str]] = []

    def notify(self, message: str, *args: Any, **kwargs: Any) -> None:
        self.notes.append((str(message), str(kwargs.get("severity", "information"))))
        super().notify(message, *args, **kwargs)


def make_app(portfolio: Portfolio, settings: Settings | None = None) -> RecordingApp:
    """The app over the fixture's file, with its clock; a second connection, as the real app has."""
    return RecordingApp(
        portfolio.path, settings or Settings(actor="tester"), clock=portfolio.clock, watch_interval=None
    )


async def settle(pilot: Pilot[Any]) -> None:
    """Until the app is still: its messages handled and its workers done (a worker cancelled because a newer
    one replaced it, as a reload does when changes come quickly, is done too)."""
    await pilot.pause()
    while True:
        try:
            await pilot.app.workers.wait_for_complete()
            break
        except WorkerCancelled:
            continue
    await pilot.pause()


async def until(pilot: Pilot[Any], ready: Callable[[], bool], *, seconds: float = 30.0) -> None:
    """Until `ready()` holds (a state the app reaches through workers that may start after `settle`),
    failing after `seconds`: a bound for a stuck app, never a timing measure."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not ready():
        assert loop.time() < deadline, "the app never reached the state the test waits for"
        await settle(pilot)
        await asyncio.sleep(0.01)


def settled(app: App[Any]) -> bool:
    """The view on screen shows what it loaded: no worker pending or running, no widget loading, no
    "loading…" line. A screen's first load starts on mount, which under load can come after `settle`'s
    wait for the workers: a snapshot taken then shows the view half drawn."""
    if any(not worker.is_finished for worker in app.workers):
        return False
    screen = app.screen
    if not screen.is_mounted:
        return False
    for node in screen.walk_children(with_self=True):
        if isinstance(node, LoadingIndicator) or getattr(node, "loading", False):
            return False
    return not any("loading…" in str(static.content) for static in screen.query(Static))


async def still(pilot: Pilot[Any]) -> None:
    """Until the view has settled (see `settled`), then one more settle for its last frame."""
    await settle(pilot)
    await until(pilot, lambda: settled(pilot.app))
    await settle(pilot)


async def press(pilot: Pilot[Any], *keys: str) -> None:
    """Each key, then wait until the app is still."""
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


def pressing(*keys: str, linger: float = 0.0) -> Callable[[Pilot[Any]], Awaitable[None]]:
    """A snapshot's `run_before`: the keys, each once the app is still; then `linger` seconds (past a
    timer that could change the picture) and until the view has settled."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await press(pilot, *keys)
        if linger:
            await pilot.pause(linger)
        await still(pilot)

    return run_before


async def run_command(pilot: Pilot[Any], text: str) -> None:
    """Open the command palette, type, and run the first match."""
    await press(pilot, "ctrl+p")
    await pilot.press(*text)
    await pilot.pause(0.3)  # the palette searches in the background
    await press(pilot, "enter")
