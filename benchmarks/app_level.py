"""In-app measures: keys timed to the frame that shows their effect (see frames.py), whole-process start
under a pseudo-terminal, and peak memory of a scripted session; each beside the same measure of the
floor app (floor_app.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import tempfile
import termios
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.frames import ID_PATTERN, AlreadyShown, Recorder, ScreenModel, key_event, shows_pilot
from benchmarks.harness import ROOT, Generated, Measure, Results, Stats, bench_env, fmt, size_label

WIDTH, HEIGHT = 120, 40
START_TIMEOUT_S = 120.0


def _ms(value: float) -> float:
    return value / 1000


def measures() -> list[Measure]:
    return [
        Measure(
            "app.start",
            "process start to the first screen with rows",
            "time",
            floor="start",
            ratio_target={"100k": 1.5, "1M": 2.0},
            target_text="≤ 1.5× the bare app (2× at 1M)",
        ),
        Measure("app.cursor", "cursor down: key to frame", "time", {"100k": _ms(20), "1M": _ms(20)}, floor="frame"),
        Measure("app.page", "page down: key to frame", "time", {"100k": _ms(30), "1M": _ms(30)}, floor="frame"),
        Measure(
            "app.filter_text",
            "filter, free text: last key to rows and count",
            "time",
            {"100k": _ms(50), "1M": _ms(250)},
            floor="frame",
        ),
        Measure(
            "app.filter_tokens",
            "filter, tokens: last key to rows and count",
            "time",
            {"100k": _ms(50), "1M": _ms(250)},
            floor="frame",
        ),
        Measure(
            "app.sort", "sort by the next column: key to rows", "time", {"100k": _ms(50), "1M": _ms(100)}, floor="frame"
        ),
        Measure(
            "app.detail",
            "open a pilot's detail: key to frame",
            "time",
            {"100k": _ms(50), "1M": _ms(250)},
            floor="frame",
        ),
        Measure(
            "app.compare",
            "compare 8 marked pilots: key to frame",
            "time",
            {"100k": _ms(50), "1M": _ms(250)},
            floor="frame",
        ),
        Measure(
            "app.board",
            "switch to the pipeline board: key to frame",
            "time",
            {"100k": _ms(50), "1M": _ms(250)},
            floor="frame",
        ),
        Measure(
            "app.dashboard",
            "switch to the dashboard: key to frame",
            "time",
            {"100k": _ms(50), "1M": _ms(250)},
            floor="frame",
        ),
        Measure(
            "app.memory",
            "peak memory of the TUI (scripted session)",
            "memory",
            {"100k": 100e6, "1M": 150e6},
            floor="memory",
        ),
        Measure("app.memory_first", "peak memory at the first screen", "memory", {}, floor="memory_first"),
    ]


# ---- the floor ---------------------------------------------------------------------------------------


def _starts(argv: list[str], env: dict[str, str], times: int) -> tuple[list[float], int]:
    """Start-up times of `times` spawns, and the largest memory any had at its first screen."""
    found, peak = [], 0
    for _ in range(times):
        seconds, memory = start_time(argv, env)
        if seconds is not None:
            found.append(seconds)
            peak = max(peak, memory)
    return found, peak


def floor(results: Results, size: str, *, times: int, session: bool, log: Callable[[str], None]) -> None:
    """The bare app's start, key-to-frame and memory, measured beside each size."""
    from benchmarks.floor_app import FloorApp

    argv = [sys.executable, str(ROOT / "benchmarks" / "floor_app.py")]
    with tempfile.TemporaryDirectory(prefix="caio-bench-") as home:
        env = bench_env(Path(home))
        starts, first = _starts(argv, env, times)
        memory = session_memory(argv, env, FLOOR_SESSION, quit_key=b"q") if session else 0

    async def frames() -> list[float]:
        app = FloorApp()
        found: list[float] = []
        async with app.run_test(size=(WIDTH, HEIGHT)):
            recorder = Recorder(app, WIDTH, HEIGHT)
            await recorder.settle()
            for _ in range(times * 2):
                before = recorder.model.highlighted()
                took = await recorder.time_keys(["down"], lambda m, b=before: m.highlighted() not in (None, b))
                if took is not None:
                    found.append(took)
        return found

    keys = asyncio.run(frames())
    floors = results.floors.setdefault(size, {})
    for kind, values in (("start", starts), ("frame", keys), ("memory_first", [first]), ("memory", [memory])):
        if any(values):
            floors[kind] = Stats([float(v) for v in values])
    log(
        "  floor: "
        + ", ".join(f"{FLOOR_LABELS[kind]} {fmt(FLOOR_KINDS[kind], stats.median)}" for kind, stats in floors.items())
    )


FLOOR_LABELS = {
    "start": "start",
    "frame": "key to frame",
    "memory_first": "memory at first screen",
    "memory": "memory after a session",
}
FLOOR_KINDS = {"start": "time", "frame": "time", "memory_first": "memory", "memory": "memory"}
FLOOR_SESSION = ["pagedown"] * 5 + ["down"] * 5
# A key ending in "!" waits until the app has drawn nothing for QUIET_S (a view computing its figures
# animates its loading indicator): each view is seen complete, with the memory its figures take.
APP_SESSION = [
    *["pagedown"] * 5,
    *["slash", *"benefits", "enter", "s", "s", "enter!", "escape"],
    *["2!", "3!", "4!", "5!", "1!"],
]
QUIET_S = 1.5
SESSION_KEY_LIMIT_S = 180.0


# ---- whole processes under a pseudo-terminal ---------------------------------------------------------

_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")


class Terminal:
    """A program running in a 120x40 pseudo-terminal, as a user starts it from a shell."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.started = time.perf_counter()
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: size the terminal, then become the program
            try:
                fcntl.ioctl(sys.stdout.fileno(), termios.TIOCSWINSZ, struct.pack("HHHH", HEIGHT, WIDTH, 0, 0))
                os.execve(argv[0], argv, env)
            finally:
                os._exit(127)
        self.screen = ""
        self.received = 0  # bytes read so far (the screen text keeps only its end)

    def _read(self, wait: float) -> bool:
        """Read what the program wrote within `wait` seconds; False once it has closed the terminal."""
        ready, _, _ = select.select([self.fd], [], [], wait)
        if not ready:
            return True
        try:
            data = os.read(self.fd, 1 << 16)
        except OSError:
            return False
        self.received += len(data)
        self.screen = (self.screen + data.decode("utf-8", errors="replace"))[-200_000:]
        return bool(data)

    def wait_for(self, pattern: re.Pattern[str], timeout: float = START_TIMEOUT_S) -> float | None:
        """Seconds from the start until the text on the terminal matches `pattern`."""
        while time.perf_counter() - self.started < timeout:
            if not self._read(0.01):
                return None
            if pattern.search(_ESCAPES.sub("", self.screen[-80_000:])):
                return time.perf_counter() - self.started
        return None

    def press(self, keys: list[str]) -> None:
        """Type the keys, each given 0.15 s to take effect; a key ending in "!" waits until the screen
        has been still for QUIET_S (at most SESSION_KEY_LIMIT_S)."""
        for key in keys:
            name, wait = key.removesuffix("!"), key.endswith("!")
            os.write(self.fd, _KEY_BYTES.get(name, name.encode()))
            started = time.perf_counter()
            quiet_since = started
            while True:
                before = self.received
                if not self._read(0.02):
                    return
                now = time.perf_counter()
                if self.received != before:
                    quiet_since = now
                if not wait and now - started >= 0.15:
                    break
                if wait and (now - quiet_since >= QUIET_S or now - started >= SESSION_KEY_LIMIT_S):
                    break

    def peak_memory(self) -> int:
        """The program's peak resident memory so far (VmHWM), in bytes. Not the rusage of the child:
        a forked child's maxrss counts the benchmark's own memory from before exec."""
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return 0
        found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
        return int(found.group(1)) * 1024 if found else 0

    def finish(self, quit_key: bytes | None = None) -> int:
        """Quit (or kill) the program; its peak resident memory in bytes, read just before."""
        peak = self.peak_memory()
        try:
            if quit_key is not None:
                os.write(self.fd, quit_key)
                deadline = time.perf_counter() + 10
                while time.perf_counter() < deadline:
                    peak = max(peak, self.peak_memory())
                    done, _status = os.waitpid(self.pid, os.WNOHANG)
                    if done:
                        return peak
                    self._read(0.05)
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            return peak
        finally:
            with contextlib.suppress(OSError):
                os.close(self.fd)


def start_time(argv: list[str], env: dict[str, str]) -> tuple[float | None, int]:
    """Seconds from spawning the process to the first frame that shows a pilot id (a table row), and the
    peak memory by then."""
    terminal = Terminal(argv, env)
    seconds = terminal.wait_for(ID_PATTERN)
    return seconds, terminal.finish()


_KEY_BYTES = {"pagedown": b"\x1b[6~", "down": b"\x1b[B", "enter": b"\r", "escape": b"\x1b", "slash": b"/"}


def session_memory(argv: list[str], env: dict[str, str], keys: list[str], *, quit_key: bytes) -> int:
    """Peak resident memory (bytes) of the program over a scripted session: start, the keys, quit.
    0 when it did not start."""
    terminal = Terminal(argv, env)
    if terminal.wait_for(ID_PATTERN) is None:
        terminal.finish()
        return 0
    terminal.press(keys)
    return terminal.finish(quit_key)


# ---- keys inside the app -----------------------------------------------------------------------------


@dataclass
class Expected:
    """What the table must show after a filter or a sort: the kept (or first) pilot highlighted, with its
    neighbours in the new order, and the count in the header."""

    rows: list[tuple[str, str]]  # (id, name) of the highlighted row and the rows around it, in order
    center: int  # index in rows of the highlighted one
    count_text: str | None

    def holds(self, screen: ScreenModel) -> bool:
        if self.count_text is not None and self.count_text not in screen.text():
            return False
        if len(self.rows) < 3:  # too few rows to tell the cursor row by its colour: all of them shown
            lines = screen.table_lines()
            return len(lines) == len(self.rows) and all(
                shows_pilot(line, *row) for line, row in zip(lines, self.rows, strict=True)
            )
        lit = screen.highlighted()
        if lit is None:
            return False
        lines = screen.lines()
        y = lit[0]
        for offset in (-1, 0, 1):
            index = self.center + offset
            if not 0 <= index < len(self.rows) or not 0 <= y + offset < len(lines):
                continue
            if offset and not ID_PATTERN.search(lines[y + offset]):
                continue  # the edge of the table
            if not shows_pilot(lines[y + offset], *self.rows[index]):
                return False
        return True


def expect(portfolio: Any, query_text: str, sort: Any, descending: bool, kept: str | None) -> Expected:
    """The rows the Portfolio screen shows after loading (query, sort): the kept pilot when the filter
    keeps it, else the first one; computed from the store before the key is sent."""
    from caio_tui.domain.filters import parse_filter

    pilot_filter = parse_filter(query_text)
    position = portfolio.position(kept, pilot_filter, sort=sort, descending=descending) if kept else None
    center = position or 0
    start = max(0, center - 2)
    page = portfolio.page(pilot_filter, sort=sort, descending=descending, offset=start, limit=5)
    shown = portfolio.count(pilot_filter)
    total = portfolio.count()
    count_text = f"{shown:,} of {total:,} pilots" if shown != total else f"{total:,} pilots"
    return Expected([(p.id, p.name) for p in page], center - start, count_text)


TEXT_FILTERS = ("benefits", "fraud triage", "zielinski", "grant search")
TOKEN_FILTERS = ("stage:pilot", "stalled", "high-impact", "territory:both", "blocker:no-ato-pathway stage:readiness")


def in_app(generated: Generated, results: Results, *, times: int, session: bool, log: Callable[[str], None]) -> None:
    """Every in-app measure on one generated portfolio, plus start-up and memory."""
    size = size_label(generated.size)
    by_key = {m.key: m for m in measures()}

    def record(key: str, samples: list[float]) -> None:
        measure = by_key[key]
        if not samples:
            results.note(size, f"{measure.label}: no sample (the screen never showed the change)")
            return
        stats = Stats(samples)
        results.add(size, measure, stats)
        log(f"  {measure.label:<60} {fmt(measure.kind, stats.median):>9}  ({len(samples)} runs)")

    argv = [str(Path(sys.executable).with_name("caio-tui")), "--db", str(generated.path)]
    with tempfile.TemporaryDirectory(prefix="caio-bench-") as home:
        env = bench_env(Path(home))
        starts, first = _starts(argv, env, times)
        record("app.start", starts)
        if first:
            record("app.memory_first", [float(first)])
        if session:
            memory = session_memory(argv, env, APP_SESSION, quit_key=b"\x11")
            if memory:
                record("app.memory", [float(memory)])
    asyncio.run(_keys(generated, results, record, size, times=times))


async def _keys(
    generated: Generated, results: Results, record: Callable[[str, list[float]], None], size: str, *, times: int
) -> None:
    """The keys, timed in the app itself (headless, 120x40), against a second connection that works out
    what each key must show."""
    from caio_tui.config import Settings
    from caio_tui.domain.stages import Stage
    from caio_tui.store import Portfolio
    from caio_tui.tui.app import CaioApp
    from caio_tui.tui.navigation import view

    app = CaioApp(generated.path, Settings(actor="bench"), watch_interval=None)
    reader = Portfolio.open(generated.path, actor="bench")
    try:
        async with app.run_test(size=(WIDTH, HEIGHT)):
            recorder = Recorder(app, WIDTH, HEIGHT)
            await recorder.settle(quiet=0.5, timeout=START_TIMEOUT_S)
            portfolio_screen = app.screen
            run = _Runner(recorder, portfolio_screen, reader)
            record("app.cursor", await run.moves("down", times * 2))
            record("app.page", await run.moves("pagedown", times))
            await run.untimed("home")
            record("app.filter_text", await run.filters(TEXT_FILTERS, times))
            record("app.filter_tokens", await run.filters(TOKEN_FILTERS, times))
            record("app.sort", await run.sorts(times))
            record("app.detail", await run.details(times))
            if view("compare").screen is not None:
                record("app.compare", await run.compare(times))
            else:
                results.todo.append(f"{size}: compare 8 pilots: the compare view has not landed")
            if view("dashboard").screen is not None:
                pilots_in_pilot = reader.stage_counts()[Stage.PILOT]
                record(
                    "app.dashboard",
                    await run.switch("5", "Funnel: pilots per stage", f"{pilots_in_pilot:,}", times=times),
                )
            else:
                results.todo.append(f"{size}: switch to the dashboard: the dashboard view has not landed")
            if view("pipeline").screen is not None:
                counts = reader.stage_counts()
                lanes = (f"{counts[Stage.PILOT]:,}", f"{counts[Stage.PRODUCTION]:,}")
                record("app.board", await run.switch("2", "⏎ open", *lanes, times=times))
            else:
                results.todo.append(f"{size}: switch to the pipeline board: the board has not landed (placeholder)")
            for text in sorted(set(run.skipped)):
                results.note(size, f"{text} ({run.skipped.count(text)}×)")
    finally:
        reader.close()


@dataclass
class _Runner:
    """The timed actions on the Portfolio screen; each leaves the screen as it found it (untimed)."""

    recorder: Recorder
    screen: Any  # the PortfolioScreen
    reader: Any  # a Portfolio on the same file
    skipped: list[str] = field(default_factory=list)

    async def untimed(self, *keys: str) -> None:
        """Keys whose effect is not timed (they reset the screen between samples)."""
        for name in keys:
            self.recorder.app.post_message(key_event(name))
        await self.recorder.settle()

    async def home(self) -> None:
        """Back on the Portfolio screen, whatever a key left open, and the whole screen redrawn so the
        model holds nothing of the screen before (untimed)."""
        app = self.recorder.app
        await self.recorder.settle()
        if app.current_mode != "portfolio":
            await app.switch_mode("portfolio")
        while app.screen is not self.screen and len(app.screen_stack) > 1:
            await app.pop_screen()
        app.screen.refresh()
        await self.recorder.settle()

    async def timed(
        self, keys: list[str], shows: Callable[[ScreenModel], bool], what: str, gap: float = 0.0
    ) -> float | None:
        """recorder.time_keys, but a sample whose check already holds is skipped (and said so)."""
        try:
            return await self.recorder.time_keys(keys, shows, gap=gap)
        except AlreadyShown:
            self.skipped.append(f"{what}: a sample skipped, the screen showed the result before the key")
            await self.home()
            return None

    async def moves(self, key: str, times: int) -> list[float]:
        found = []
        for _ in range(times):
            before = self.recorder.model.highlighted()
            took = await self.timed([key], lambda m, b=before: m.highlighted() not in (None, b), key)
            if took is not None:
                found.append(took)
        return found

    async def filters(self, texts: tuple[str, ...], times: int) -> list[float]:
        """Open the filter line (`/`), type each filter in one burst (keys posted back to back: a slower
        typist lets the screen's pause before it queries expire between keys, and a prefix's result can then
        match the final one's) and time the last key to the frame with the rows and the count; then clear
        it (escape)."""
        found = []
        for index in range(times):
            text = texts[index % len(texts)]
            await self.recorder.settle()
            state, kept = self.screen.query_state, self.screen.table.cursor_key
            wanted = await asyncio.to_thread(expect, self.reader, text, state.sort, state.descending, kept)
            await self.untimed("slash")  # the filter line takes the focus before the burst
            took = await self.timed(typed(text), wanted.holds, f"filter {text}")
            if took is not None:
                found.append(took)
            await self.untimed("escape", "escape")
        return found

    async def sorts(self, times: int) -> list[float]:
        """`s`: sort by the next column, the cursor staying on its pilot."""
        from caio_tui.tui.widgets.pilot_source import SORT_ORDER

        found = []
        for _ in range(times):
            await self.recorder.settle()
            state, kept = self.screen.query_state, self.screen.table.cursor_key
            following = SORT_ORDER[(SORT_ORDER.index(state.sort) + 1) % len(SORT_ORDER)]
            wanted = await asyncio.to_thread(expect, self.reader, "", following, False, kept)
            wanted.count_text = f"sort: {following.value}"
            took = await self.timed(["s"], wanted.holds, "sort")
            if took is not None:
                found.append(took)
        return found

    async def details(self, times: int) -> list[float]:
        """`enter`: the pilot's detail screen with its coverage; escape goes back."""
        found = []
        for _ in range(times):
            await self.recorder.settle()
            kept = self.screen.table.cursor_key
            name = self.reader.get(kept).name[:20] if kept else "?"
            took = await self.timed(["enter"], lambda m, n=name: "Coverage · " in m.text() and n in m.text(), "detail")
            if took is not None:
                found.append(took)
            self.recorder.app.post_message(key_event("escape"))
            await self.home()
            self.recorder.app.post_message(key_event("down"))  # the next sample opens another pilot
        return found

    async def compare(self, times: int) -> list[float]:
        """Mark 8 pilots (space), then time `c` to the comparison of the 8; `1` goes back."""
        await self.recorder.settle()
        await self.untimed(*["space"] * 8)
        found = []
        for _ in range(times):
            took = await self.timed(["c"], lambda m: "Compare · 8 pilot(s)" in m.text(), "compare")
            if took is not None:
                found.append(took)
            self.recorder.app.post_message(key_event("1"))
            await self.home()
        self.recorder.app.clear_marks()
        await self.recorder.settle()
        return found

    async def switch(self, key: str, *texts: str, times: int) -> list[float]:
        """A view key, timed to the frame that shows the view's texts; `1` goes back."""
        found = []
        wanted = [t for t in texts if t]
        for _ in range(times):
            took = await self.timed([key], lambda m: all(t in m.text() for t in wanted), f"view {key}")
            if took is not None:
                found.append(took)
            self.recorder.app.post_message(key_event("1"))
            await self.home()
        return found


def typed(text: str) -> list[str]:
    """The keys that type `text`, named as the terminal driver names them."""
    from textual.keys import _character_to_key

    return [c if c.isalnum() else _character_to_key(c) for c in text]
