"""The benchmark (`make bench`) still runs: a small version at 200 pilots, one run a measure.

No figure is checked against a time (a loaded machine would fail it); the test checks that every part
of the benchmark ran and found what it looks for on the screen, so a change to the app that blinds the
benchmark shows here rather than at the next `make bench`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import REPO

IN_APP = ("app.start", "app.cursor", "app.page", "app.filter_text", "app.filter_tokens", "app.sort", "app.detail")
STORE = ("generate", "filter.text_common", "filter.stalled", "sort.readiness", "page.last", "position", "record")


@pytest.mark.slow
def test_the_benchmark_runs_at_200_pilots_and_writes_its_report(tmp_path: Path) -> None:
    out, cache = tmp_path / "performance.md", tmp_path / "cache"
    # Without the memory sessions and the export commands (whole processes, seconds each): under 20 s.
    command = [sys.executable, "benchmarks/run.py", "--sizes", "200", "--repeat", "1", "--no-session", "--no-exports"]
    finished = subprocess.run(
        [*command, "--out", str(out), "--cache", str(cache)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    figures = json.loads((cache / "results.json").read_text())["figures"]["200"]
    assert {*IN_APP, *STORE} <= set(figures)
    assert all(figures[key]["n"] >= 1 for key in (*IN_APP, *STORE))
    report = out.read_text(encoding="utf-8")
    assert "| measure | target | 200 |" in report
    assert "### The floor: a bare Textual app showing a 100-row DataTable" in report
    assert report.count("<!-- results:start") == 1
    assert list(cache.glob("pilots-200-*.db")), "the generated portfolio is kept for the next run"


def test_a_second_run_keeps_the_prose_around_the_results(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO))
    try:
        from benchmarks import report
    finally:
        sys.path.remove(str(REPO))
    path = tmp_path / "performance.md"
    report.write(path, f"{report.START}\nold numbers\n{report.END}", "# Title\n\nMethod.\n\n{results}\n\nFindings.\n")
    report.write(path, f"{report.START}\nnew numbers\n{report.END}", "unused template {results}")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Title\n\nMethod.\n\n")
    assert text.endswith("\n\nFindings.\n")
    assert "new numbers" in text and "old numbers" not in text
