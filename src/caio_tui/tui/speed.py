"""Where the app buys its speed: every device that trades plain code for a measured figure, in one place.
Each was measured (docs/performance.md, benchmarks/app_level.py) and pays; each says what it buys.

1. Screens imported when first shown, not at start-up (import_screen, imported; the palette, help, the
   detail screen and every view but the first are imported by name on first use, see tui/navigation.py
   and tui/app.py). Start-up is a promise of issue 8: at most 1.5x a bare Textual app (about 360 ms
   against 240 ms at 120x40); tests/test_startup.py lists the modules that must wait.
2. A frame out at once on switching to a view composed before (InstantSwitch): Textual holds every frame
   for 50 ms after switch_mode; without that, the key to the board's frame went from 60 ms to 10 ms.
3. Models warmed up in the background once the first rows are shown (CaioApp._warm_up): the first
   pilot opened does not wait ~110 ms for pydantic's models.
4. Full garbage collections between keys, not during them (IdleCollector): the detail screen's key
   took 40 ms, or 120 ms with a collection under it. Why it works:

A full collection walks every object the program holds that is not frozen: 35 ms at start-up, 60–90 ms
after a while in the views. Python starts one whenever enough objects have outlived the young
collections, which lands it on whatever key comes next (the detail screen took 40 ms, or 120 ms with a
collection under it). So once start-up is done the app freezes what it made (it lives as long as the
app), keeps the cheap young collections, and runs the full ones itself when no key or click has come for
IDLE_S, as often as Python would have, or regardless once FORCED_AFTER young collections have passed
(someone who never pauses still gets their cycles collected).
"""

from __future__ import annotations

import gc
import importlib
import sys
import threading
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

from textual.app import App
from textual.screen import Screen

IDLE_S = 1.0  # no key or click for this long: a full collection now delays nobody
CHECK_S = 0.5  # how often the app asks
YOUNG_PER_FULL = 10  # young (generation 1) collections between full ones: Python's own default
FORCED_AFTER = 50 * YOUNG_PER_FULL
_NEVER = 1_000_000_000  # a generation 2 threshold that Python's automatic collections never reach


# ---- 1. screens imported when first shown -----------------------------------------------------------


def import_screen(dotted: str) -> type[Screen[Any]]:
    """The screen class named "package.module:Class", imported now (the first time its view is shown)."""
    module_name, _, class_name = dotted.partition(":")
    found: type[Screen[Any]] = getattr(importlib.import_module(module_name), class_name)
    return found


def imported(module_name: str) -> ModuleType | None:
    """The module if something imported it already, else None: looking must not import it."""
    return sys.modules.get(module_name)


# ---- 2. a frame out at once when the screen is already composed --------------------------------------


class InstantSwitch(App[None]):
    """Textual's switch_mode holds every frame for 50 ms (delay_update) to hide a screen being composed;
    switch_mode_now lets the frame go out at once when the screen was composed before."""

    _no_update_delay = False

    def switch_mode_now(self, mode: str, *, mask: bool) -> None:
        """switch_mode, holding the frames (Textual's 50 ms) only with `mask`."""
        self._no_update_delay = not mask
        try:
            self.switch_mode(mode)
        finally:
            self._no_update_delay = False

    def delay_update(self, delay: float = 0.05) -> None:
        if not self._no_update_delay:
            super().delay_update(delay)


# ---- 3. full garbage collections between keys ------------------------------------------------------


def _young_collections() -> int:
    return int(gc.get_stats()[1]["collections"])


class IdleCollector:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last_input = clock()
        self._thresholds: tuple[int, int, int] | None = None  # Python's, while the collector is active
        self._young_at_full = 0
        self._ended = False
        self._lock = threading.Lock()  # start() runs in the app's warm-up worker, stop() when it quits

    @property
    def active(self) -> bool:
        return self._thresholds is not None

    def start(self) -> None:
        """Freeze what is alive and take the full collections over (once start-up is done)."""
        with self._lock:
            if self._thresholds is not None or self._ended:
                return  # (an app that quit before its warm-up ended leaves Python's collector alone)
            gc.freeze()
            self._thresholds = gc.get_threshold()
            young, middle, _full = self._thresholds
            gc.set_threshold(young, middle, _NEVER)
            self._young_at_full = _young_collections()

    def stop(self) -> None:
        """Python's own thresholds back, and the frozen objects collectable again (the app has ended)."""
        with self._lock:
            self._ended = True
            if self._thresholds is None:
                return
            gc.set_threshold(*self._thresholds)
            self._thresholds = None
            gc.unfreeze()

    def input_seen(self) -> None:
        self._last_input = self._clock()

    def tick(self) -> bool:
        """Run a full collection if one is due and no input has come for IDLE_S; True when it ran."""
        if self._thresholds is None:
            return False
        pending = _young_collections() - self._young_at_full
        idle = self._clock() - self._last_input >= IDLE_S
        if not (pending >= YOUNG_PER_FULL and idle) and pending < FORCED_AFTER:
            return False
        gc.collect()
        self._young_at_full = _young_collections()
        return True
