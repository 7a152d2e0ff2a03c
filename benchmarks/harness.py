"""What every benchmark shares: sizes, repeated timing with medians and spread, the cache of generated
portfolios, and the result records the report is written from."""

from __future__ import annotations

import hashlib
import json
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CACHE = ROOT / "benchmarks" / ".cache"
SEED = 1

SIZE_LABELS = {1_000: "1k", 10_000: "10k", 100_000: "100k", 1_000_000: "1M"}


def size_label(size: int) -> str:
    return SIZE_LABELS.get(size) or f"{size:,}"


def parse_size(text: str) -> int:
    """'1k', '10k', '100k', '1m', '250' -> a number of pilots."""
    text = text.strip().lower().replace("_", "").replace(",", "")
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    number = text[:-1] if factor > 1 else text
    return int(float(number) * factor)


@dataclass
class Stats:
    """Repeated measurements of one thing, in seconds (or bytes for memory)."""

    samples: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def low(self) -> float:
        return min(self.samples)

    @property
    def high(self) -> float:
        return max(self.samples)

    def as_json(self) -> dict[str, Any]:
        return {"median": self.median, "min": self.low, "max": self.high, "n": len(self.samples)}


def repeat(action: Callable[[], Any], times: int, *, warmup: int = 1) -> Stats:
    """Time `action` `times` times after `warmup` untimed runs (which fill SQLite's page cache and
    prepare its statements, as the first keystroke of a session would)."""
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return Stats(samples)


@dataclass
class Measure:
    """One line of the report: what is measured, its target, and which floor figure it is compared to."""

    key: str
    label: str
    kind: str  # "time" (seconds) or "memory" (bytes)
    targets: dict[str, float | None] = field(default_factory=dict)  # by size label; None: measured only
    target_text: str = ""  # how the target reads in the report, when it is not a plain number
    floor: str | None = None  # "frame", "start" or "memory": which bare-app figure is the floor
    ratio_target: dict[str, float] = field(default_factory=dict)  # a target as a ratio to the floor
    note: str = ""

    def target_for(self, label: str) -> float | None:
        """The 100k target holds for the smaller sizes too: a small portfolio must be as instant."""
        return self.targets.get("1M" if label == "1M" else "100k")

    def ratio_target_for(self, label: str) -> float | None:
        return self.ratio_target.get("1M" if label == "1M" else "100k")


@dataclass
class Results:
    """Every figure of a run, by size label and measure key; written to JSON beside the report."""

    sizes: list[str] = field(default_factory=list)
    measures: dict[str, Measure] = field(default_factory=dict)
    figures: dict[str, dict[str, Stats]] = field(default_factory=dict)  # size label -> key -> stats
    floors: dict[str, dict[str, Stats]] = field(default_factory=dict)  # size label -> floor kind -> stats
    notes: dict[str, list[str]] = field(default_factory=dict)  # size label -> remarks (skipped, errors)
    todo: list[str] = field(default_factory=list)

    def add(self, size: str, measure: Measure, stats: Stats) -> None:
        self.measures.setdefault(measure.key, measure)
        self.figures.setdefault(size, {})[measure.key] = stats

    def note(self, size: str, text: str) -> None:
        self.notes.setdefault(size, []).append(text)

    def as_json(self) -> dict[str, Any]:
        return {
            "sizes": self.sizes,
            "figures": {s: {k: v.as_json() for k, v in f.items()} for s, f in self.figures.items()},
            "floors": {s: {k: v.as_json() for k, v in f.items()} for s, f in self.floors.items()},
            "notes": self.notes,
            "todo": self.todo,
        }


# ---- the cache of generated portfolios --------------------------------------------------------------


def _source_digest() -> str:
    """Changes when the generator, the bulk load or the schema changes: a cached file is then stale."""
    digest = hashlib.sha256()
    paths = [
        ROOT / "src" / "caio_tui" / "io" / "generate.py",
        ROOT / "src" / "caio_tui" / "store" / "bulk.py",
        *sorted((ROOT / "src" / "caio_tui" / "migrations").glob("*.sql")),
    ]
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


@dataclass
class Generated:
    path: Path
    size: int
    seconds: float  # how long generating it took (when it was made)
    cached: bool


def portfolio_file(size: int, cache: Path, *, log: Callable[[str], None] = print) -> Generated:
    """A portfolio of `size` generated pilots, made once and kept in the cache folder. Files of an older
    generator or schema are replaced."""
    cache.mkdir(parents=True, exist_ok=True)
    digest = _source_digest()
    path = cache / f"pilots-{size}-seed{SEED}-{digest}.db"
    info = path.with_suffix(".json")
    if path.exists() and info.exists():
        recorded = json.loads(info.read_text())
        return Generated(path, size, float(recorded["seconds"]), cached=True)
    for stale in cache.glob(f"pilots-{size}-seed{SEED}-*"):
        stale.unlink()
    from caio_tui.io.generate import generate
    from caio_tui.store import Portfolio

    log(f"  generating {size:,} pilots into {path.name} ...")
    started = time.perf_counter()
    with Portfolio.open(path, actor="bench", create=True, name=f"benchmark {size_label(size)}") as portfolio:
        generate(portfolio, size, seed=SEED)
    seconds = time.perf_counter() - started
    info.write_text(json.dumps({"seconds": seconds, "size": size, "seed": SEED}))
    log(f"  generated in {seconds:.1f} s")
    return Generated(path, size, seconds, cached=False)


def bench_env(home: Path) -> dict[str, str]:
    """The environment of a spawned app: a private HOME and config, so a run never touches the user's."""
    # PYTHONDONTWRITEBYTECODE out too: an installed app runs from compiled bytecode (a wheel ships it,
    # pip compiles it), as the floor's Textual does; recompiling every module at each start cost 0.2x.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CAIO_TUI_", "TEXTUAL")) and k != "PYTHONDONTWRITEBYTECODE"
    }
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        CAIO_TUI_CONFIG=str(home / "config" / "caio-tui" / "config.toml"),
        CAIO_TUI_ACTOR="bench",
        TERM="xterm-256color",
        COLORTERM="truecolor",
    )
    return env


def fmt_time(seconds: float) -> str:
    if seconds >= 10:
        return f"{seconds:.1f} s"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 0.01:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds * 1000:.1f} ms"


def fmt_bytes(count: float) -> str:
    return f"{count / 1_000_000:.0f} MB"


def fmt(kind: str, value: float) -> str:
    return fmt_bytes(value) if kind == "memory" else fmt_time(value)
