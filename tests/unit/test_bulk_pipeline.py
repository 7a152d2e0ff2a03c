"""The bulk load builds its next batches in a thread (store.bulk.built_ahead): same batches, same errors,
and no thread left behind whichever way the load ends."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator

import pytest

from caio_tui.store.bulk import built_ahead


def _builders() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "caio-bulk-builder"]


def test_every_batch_arrives_in_order() -> None:
    assert list(built_ahead(iter(range(50)))) == list(range(50))
    assert _builders() == []


def test_an_error_while_building_reaches_the_caller_after_the_batches_before_it() -> None:
    def batches() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("digest does not match")

    seen: list[int] = []
    with pytest.raises(ValueError, match="digest does not match"):
        for batch in built_ahead(batches()):
            seen.append(batch)
    assert seen == [1, 2]
    assert _builders() == []


def test_leaving_early_stops_the_builder_and_restores_the_switch_interval() -> None:
    interval = sys.getswitchinterval()
    built: list[int] = []

    def batches() -> Iterator[int]:
        for n in range(10_000):
            built.append(n)
            yield n

    with pytest.raises(RuntimeError):
        for batch in built_ahead(batches()):
            if batch == 3:
                raise RuntimeError("insert failed")
    assert _builders() == []
    assert len(built) < 10  # it stopped a few batches ahead, not at the end
    assert sys.getswitchinterval() == interval
