"""Timing a Textual app from a key to the frame that shows its effect.

`pilot.press()` waits for the app to go idle after every key (about 60 ms), so it cannot time a key. Here
the key is posted to the app as the terminal driver would post it (`App.post_message(events.Key)`), and
`App._display` (the one place a frame leaves the app for the terminal) is wrapped to note the moment each
frame is ready: after the compositor has rendered it and after it has been turned into the terminal's
escape sequences (`render_segments`, which the headless driver would skip; the benchmark does it so the
cost of a real frame is counted). Only the final write to the terminal is left out.

Every frame is kept and replayed into `ScreenModel`, a grid of characters and styles, so a check reads
the screen as a user would see it ("the row of AI-000102 is highlighted", "the header says 1,234 of
100,000 pilots"), whatever widgets draw it. The latency of a key is the time to the first frame after
which the check holds.
"""

from __future__ import annotations

import asyncio
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rich.cells import get_character_cell_size
from rich.segment import ControlType, Segment
from rich.style import Style
from textual import events
from textual.app import App
from textual.keys import REPLACED_KEYS, _get_unicode_name_from_key

ID_PATTERN = re.compile(r"\bAI-\d{3,}…?")  # a narrow ID column clips an id with an ellipsis

# Keys as the terminal driver reports them: (key, character).
KEYS: dict[str, tuple[str, str | None]] = {
    "down": ("down", None),
    "up": ("up", None),
    "pagedown": ("pagedown", None),
    "pageup": ("pageup", None),
    "home": ("home", None),
    "end": ("end", None),
    "enter": ("enter", "\r"),
    "escape": ("escape", "\x1b"),
    "slash": ("slash", "/"),
    "space": ("space", " "),
    "backspace": ("backspace", "\x7f"),
}


def key_event(name: str) -> events.Key:
    """The event the driver posts for a key name ("down", "s", "colon"), as Pilot.press builds it."""
    if name in KEYS:
        key, character = KEYS[name]
        return events.Key(key, character)
    try:
        character: str | None = unicodedata.lookup(_get_unicode_name_from_key(REPLACED_KEYS.get(name, name)))
    except KeyError:
        character = name if len(name) == 1 else None
    return events.Key(name, character)


class AlreadyShown(Exception):
    """The check holds before the key is sent: timing it would measure nothing."""


@dataclass
class Frame:
    at: float
    update: Any


class ScreenModel:
    """What the terminal shows: each cell's character and style, updated frame by frame."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.chars = [[" "] * width for _ in range(height)]
        self.styles: list[list[Style | None]] = [[None] * width for _ in range(height)]

    def apply(self, update: Any, app: App[Any]) -> None:
        console = app.console
        x = y = 0
        for segment in update.__rich_console__(console, console.options):
            if not isinstance(segment, Segment):
                continue
            if segment.control:
                for control in segment.control:
                    if control[0] == ControlType.CURSOR_MOVE_TO:
                        x, y = int(control[1]), int(control[2])  # type: ignore[misc]
                continue
            if segment.text == "\n":
                x, y = 0, y + 1
                continue
            for char in segment.text:
                size = get_character_cell_size(char)
                if 0 <= y < self.height and 0 <= x < self.width:
                    self.chars[y][x] = char
                    self.styles[y][x] = segment.style
                    if size == 2 and x + 1 < self.width:
                        self.chars[y][x + 1] = ""
                x += size

    def lines(self) -> list[str]:
        return ["".join(row) for row in self.chars]

    def text(self) -> str:
        return "\n".join(self.lines())

    def id_lines(self) -> list[tuple[int, str, int]]:
        """(line, pilot id, column) of every line that shows a pilot id first: the table's rows."""
        found = []
        for y, line in enumerate(self.lines()):
            match = ID_PATTERN.search(line)
            if match and not line[: match.start()].strip(" ●│▏▕┃|"):
                found.append((y, match.group(), match.start()))
        return found

    def background(self, y: int, x: int) -> Any:
        style = self.styles[y][x]
        return None if style is None else (style.bgcolor, style.reverse)

    def highlighted(self) -> tuple[int, str] | None:
        """(line, text) of the row drawn unlike the others (the cursor row): the one row whose background
        differs from that of most rows. A cursor move shows as a change of either."""
        rows = self.id_lines()
        if len(rows) < 3:
            return None
        backgrounds = [self.background(y, x) for y, _id, x in rows]
        common = max(set(backgrounds), key=backgrounds.count)
        odd = [row for row, bg in zip(rows, backgrounds, strict=True) if bg != common]
        if len(odd) != 1:
            return None
        y = odd[0][0]
        return y, self.lines()[y]

    def table_lines(self) -> list[str]:
        lines = self.lines()
        return [lines[y] for y, _id, _x in self.id_lines()]


def shows_pilot(line: str, pilot_id: str, name: str) -> bool:
    """Whether a table line is the row of this pilot: its id (or the part a narrow column leaves of it)
    and the start of its name."""
    match = ID_PATTERN.search(line)
    if not match:
        return False
    shown = match.group().rstrip("…")
    return pilot_id.startswith(shown) and (shown == pilot_id or match.group().endswith("…")) and name[:16] in line


@dataclass
class Recorder:
    """Keeps every frame the app sends, with its time; replays them into a ScreenModel on demand."""

    app: App[Any]
    width: int
    height: int
    frames: list[Frame] = field(default_factory=list)
    model: ScreenModel = field(init=False)
    applied: int = 0

    def __post_init__(self) -> None:
        self.model = ScreenModel(self.width, self.height)
        original = self.app._display
        console = self.app.console

        def display(screen: Any, renderable: Any) -> None:
            original(screen, renderable)
            if renderable is not None and hasattr(renderable, "render_segments"):
                renderable.render_segments(console)  # the work a real terminal frame costs
                self.frames.append(Frame(time.perf_counter(), renderable))

        self.app._display = display  # type: ignore[method-assign]

    def catch_up(self) -> None:
        while self.applied < len(self.frames):
            self._apply_next()

    def _apply_next(self) -> Frame:
        """Replay the next frame into the model, then let its renderable go (its time stays). Kept, every
        frame's strips grew the harness's own heap until its full garbage collections (150 ms) landed on
        the app's timed keys."""
        frame = self.frames[self.applied]
        self.model.apply(frame.update, self.app)
        self.frames[self.applied] = Frame(frame.at, None)
        self.applied += 1
        return frame

    async def settle(self, quiet: float = 0.2, timeout: float = 60.0) -> None:
        """Wait until the app has drawn nothing for `quiet` seconds and no worker runs."""
        started = time.perf_counter()
        while time.perf_counter() - started < timeout:
            await asyncio.sleep(0.02)
            last = self.frames[-1].at if self.frames else started
            busy = any(w.is_running for w in self.app.workers)
            if not busy and time.perf_counter() - last >= quiet:
                break
        self.catch_up()

    async def time_keys(
        self,
        keys: list[str],
        shows: Callable[[ScreenModel], bool],
        *,
        gap: float = 0.0,
        timeout: float = 30.0,
    ) -> float | None:
        """Post the keys (`gap` seconds apart, as typed), then return the seconds from the last key to
        the first frame after which `shows(screen)` holds; None when it never did within `timeout`."""
        await self.settle()
        if shows(self.model):
            raise AlreadyShown(self.model.text())
        mark, sent = len(self.frames), time.perf_counter()
        for index, name in enumerate(keys):
            if index:
                await asyncio.sleep(gap)
            mark = len(self.frames)
            sent = time.perf_counter()
            self.app.post_message(key_event(name))
        # Frames already applied belong to the keys before the last; replay the rest as they arrive
        # (replaying costs well under a millisecond a frame, and only after the frame's time is taken).
        self.catch_up_to(mark)
        while time.perf_counter() - sent < timeout:
            while self.applied < len(self.frames):
                frame = self._apply_next()
                if shows(self.model):
                    return frame.at - sent
            await asyncio.sleep(0.002)
        return None

    def catch_up_to(self, index: int) -> None:
        while self.applied < index:
            self._apply_next()
