"""docs/performance.md: the results tables of a run, between markers, so the prose around them (method,
findings) stays as written while `make bench` refreshes the numbers."""

from __future__ import annotations

import os
import platform
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.harness import Measure, Results, Stats, fmt

START = "<!-- results:start (written by benchmarks/run.py; edits between these markers are replaced) -->"
END = "<!-- results:end -->"

FLOOR_LABELS = {
    "start": "process start to the first screen with rows",
    "frame": "cursor down: key to frame",
    "memory_first": "peak memory at the first screen",
    "memory": "peak memory after a scripted session",
}


def _versions() -> str:
    import textual

    return (
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, Textual {textual.__version__}, "
        f"{os.cpu_count()} CPUs"
    )


def _target(measure: Measure) -> str:
    if measure.target_text:
        return measure.target_text
    small, large = measure.target_for("100k"), measure.target_for("1M")
    if small is None and large is None:
        return "measured"
    parts = [fmt(measure.kind, small) if small is not None else "measured"]
    if large != small:
        parts.append(f"{fmt(measure.kind, large) if large is not None else 'measured'} at 1M")
    return "≤ " + "; ".join(parts)


def _ratio(results: Results, size: str, measure: Measure, stats: Stats) -> float | None:
    if measure.floor is None:
        return None
    floor = results.floors.get(size, {}).get(measure.floor)
    if floor is None or floor.median <= 0:
        return None
    return stats.median / floor.median


def _verdict(results: Results, size: str, measure: Measure, stats: Stats) -> str:
    ratio_target = measure.ratio_target_for(size)
    if ratio_target is not None:
        ratio = _ratio(results, size, measure, stats)
        if ratio is None:
            return "no floor"
        return "pass" if ratio <= ratio_target else "**FAIL**"
    target = measure.target_for(size)
    if target is None:
        return "measured"
    return "pass" if stats.median <= target else "**FAIL**"


def _cell(results: Results, size: str, measure: Measure) -> str:
    stats = results.figures.get(size, {}).get(measure.key)
    if stats is None:
        return "–"
    value = fmt(measure.kind, stats.median)
    if len(stats.samples) > 1:
        value += f" ({fmt(measure.kind, stats.low)}–{fmt(measure.kind, stats.high)})"
    ratio = _ratio(results, size, measure, stats)
    if ratio is not None:
        value += f", {ratio:.1f}×"
    return f"{value}, {_verdict(results, size, measure, stats)}"


def results_section(results: Results, *, repeat: str, load: str) -> str:
    sizes = results.sizes
    lines = [
        START,
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {_versions()}; {repeat}; load average {load}.",
        "Each cell: median (min–max over the runs), the ratio to the floor where one applies, pass or fail",
        "against the target (the 100k target holds for the smaller sizes too).",
        "",
        "### The floor: a bare Textual app showing a 100-row DataTable",
        "",
        "| measure | " + " | ".join(sizes) + " |",
        "|---|" + "---|" * len(sizes),
    ]
    for kind, label in FLOOR_LABELS.items():
        cells = []
        for size in sizes:
            stats = results.floors.get(size, {}).get(kind)
            unit = "memory" if kind.startswith("memory") else "time"
            cells.append("–" if stats is None else fmt(unit, stats.median))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    measured = [m for m in results.measures.values() if any(m.key in f for f in results.figures.values())]
    groups = [
        ("In the app", [m for m in measured if m.key.startswith("app.")]),
        ("The store, without the UI", [m for m in measured if not m.key.startswith("app.")]),
    ]
    for title, found in groups:
        if not found:
            continue
        lines += [
            "",
            f"### {title}",
            "",
            "| measure | target | " + " | ".join(sizes) + " |",
            "|---|---|" + "---|" * len(sizes),
        ]
        for measure in found:
            cells = [_cell(results, size, measure) for size in sizes]
            lines.append(f"| {measure.label} | {_target(measure)} | " + " | ".join(cells) + " |")
    notes = [(size, note) for size in sizes for note in results.notes.get(size, [])]
    if notes:
        lines += ["", "### Notes of this run", ""]
        lines += [f"- {size}: {note}" for size, note in notes]
    if results.todo:
        lines += ["", "### Not measured yet (TODO)", ""]
        lines += [f"- {item}" for item in results.todo]
    lines += ["", END]
    return "\n".join(lines)


def write(path: Path, section: str, template: str) -> None:
    """Replace the results between the markers; a file without them gets the whole template."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if START in text and END in text:
        head, _, rest = text.partition(START)
        _, _, tail = rest.partition(END)
        text = head + section + tail
    else:
        text = template.replace("{results}", section)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
