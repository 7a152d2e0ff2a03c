"""The identity export measure of the benchmark still runs: a System Log of 2,000 events, read in a child."""

from __future__ import annotations

import sys

from helpers import REPO


def test_the_idp_measure_reads_its_system_log_in_a_child_process() -> None:
    sys.path.insert(0, str(REPO))
    try:
        from benchmarks import idp_level
        from benchmarks.harness import Results
    finally:
        sys.path.remove(str(REPO))
    results = Results(sizes=["1M"])
    said: list[str] = []
    idp_level.run(results, "1M", times=1, log=said.append, events=2_000)
    figures = results.figures["1M"]
    assert figures["idp.read"].median > 0 and figures["idp.memory"].median > 0
    (note,) = results.notes["1M"]
    assert "2000 records" in note and "0 problems" in note
