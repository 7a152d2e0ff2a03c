"""Full garbage collections between keys, not during them.

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
import threading
import time
from collections.abc import Callable

IDLE_S = 1.0  # no key or click for this long: a full collection now delays nobody
CHECK_S = 0.5  # how often the app asks
YOUNG_PER_FULL = 10  # young (generation 1) collections between full ones: Python's own default
FORCED_AFTER = 50 * YOUNG_PER_FULL
_NEVER = 1_000_000_000  # a generation 2 threshold that Python's automatic collections never reach


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
