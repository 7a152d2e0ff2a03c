"""Full garbage collections wait for a pause in the keys (tui/speed.py, IdleCollector)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from caio_tui.store import Portfolio
from caio_tui.tui.speed import FORCED_AFTER, IDLE_S, YOUNG_PER_FULL, IdleCollector
from helpers.tui import make_app, press, settle


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def full_collections() -> int:
    return int(gc.get_stats()[2]["collections"])


def young_collections(count: int) -> None:
    for _ in range(count):
        gc.collect(1)


@pytest.fixture
def collector() -> Iterator[tuple[IdleCollector, Clock]]:
    clock = Clock()
    collector = IdleCollector(clock)
    thresholds = gc.get_threshold()
    try:
        yield collector, clock
    finally:
        collector.stop()
        assert gc.get_threshold() == thresholds and gc.get_freeze_count() == 0


def test_a_full_collection_waits_until_no_key_has_come_for_a_while(collector: tuple[IdleCollector, Clock]) -> None:
    idle_gc, clock = collector
    idle_gc.start()
    assert idle_gc.active and gc.get_freeze_count() > 0
    assert gc.get_threshold()[2] > 1_000_000  # Python starts none of its own
    young_collections(YOUNG_PER_FULL)
    idle_gc.input_seen()
    before = full_collections()
    clock.now += IDLE_S / 2
    assert not idle_gc.tick() and full_collections() == before  # a key came just now
    clock.now += IDLE_S
    assert idle_gc.tick() and full_collections() == before + 1
    clock.now += IDLE_S
    assert not idle_gc.tick()  # none due: no young collections since


def test_someone_who_never_pauses_still_gets_a_full_collection(collector: tuple[IdleCollector, Clock]) -> None:
    idle_gc, _clock = collector
    idle_gc.start()
    young_collections(FORCED_AFTER)
    idle_gc.input_seen()
    before = full_collections()
    assert idle_gc.tick() and full_collections() == before + 1


def test_a_collector_stopped_before_it_started_leaves_python_alone(collector: tuple[IdleCollector, Clock]) -> None:
    idle_gc, _clock = collector
    idle_gc.stop()  # the app quit before its warm-up ended
    idle_gc.start()
    assert not idle_gc.active and gc.get_freeze_count() == 0 and gc.get_threshold()[2] < 1_000_000


async def test_the_app_takes_full_collections_over_after_start_up_and_gives_them_back(
    sample_portfolio: Portfolio,
) -> None:
    thresholds = gc.get_threshold()
    app = make_app(sample_portfolio)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(100):
            await settle(pilot)
            if app.idle_gc.active:
                break
        assert app.idle_gc.active and gc.get_threshold()[2] > 1_000_000
        seen = app.idle_gc._last_input
        await press(pilot, "down")
        assert app.idle_gc._last_input > seen  # a key counts as input
    assert gc.get_threshold() == thresholds and gc.get_freeze_count() == 0
