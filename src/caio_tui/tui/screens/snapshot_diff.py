"""What moved since a snapshot (the palette's "Compare with snapshot…").

The two sides (the chosen snapshot or portfolio file, and this portfolio's file) are read and compared
away from the UI while a loading indicator shows: in a worker thread when they are small, in a process of
their own when they are large (at a hundred thousand pilots the reading takes many seconds, most of them
holding Python's GIL, which would freeze the screen). Neither file is changed by the reading
(io.diff.load_side). The result is `caio-tui diff`'s text form under the counts of each kind of change;
every line is shown as data (a Log draws plain text), so a pilot named `[red]x` or `<script>` reads
exactly so.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Log, Static

from caio_tui.domain.text import printable
from caio_tui.io.diff import Clock, report
from caio_tui.io.snapshot import SnapshotError
from caio_tui.store import StoreError
from caio_tui.tui.dialogs.questions import shown_path

MUTED = "$text-muted"
# Sides bigger than this together (about 1,500 pilots of snapshot) are compared in a process of their own:
# json.loads and pydantic hold the GIL for seconds at 100,000 pilots, which a thread would turn into a
# frozen screen. Below it, starting a Python process (0.3-0.5 s) would cost more than the comparison.
OWN_PROCESS_ABOVE_BYTES = 4_000_000


def sides_size(*paths: Path) -> int:
    total = 0
    for path in paths:
        for part in (path, path.with_name(path.name + "-wal")):
            with contextlib.suppress(OSError):
                total += part.stat().st_size
    return total


def report_here(request: dict[str, Any]) -> dict[str, Any]:
    """io.diff.report in this process (a worker thread)."""
    at = datetime.fromisoformat(request["at"]) if request.get("at") else None
    return report(
        Path(request["old"]),
        Path(request["new"]),
        actor=request["actor"],
        at=at,
        old_label=request["old_label"],
        new_label=request["new_label"],
    )


async def report_in_own_process(request: dict[str, Any]) -> dict[str, Any]:
    """io.diff.report in a child process (`python -m caio_tui.io.diff`), killed if the screen goes away."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "caio_tui.io.diff",
        json.dumps(request),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await process.communicate()
    except asyncio.CancelledError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        raise
    try:
        answer: dict[str, Any] = json.loads(out)
    except ValueError:
        lines = err.decode("utf-8", "replace").strip().splitlines()
        return {"error": f"the comparison stopped: {lines[-1] if lines else f'exit code {process.returncode}'}"}
    return answer


# The counts of io.diff.counts, grouped and named for the screen: (line, group, [(key, label)]).
COUNT_GROUPS: tuple[tuple[int, str, tuple[tuple[str, str], ...]], ...] = (
    (
        0,
        "Pilots",
        (
            ("added", "added"),
            ("removed", "removed"),
            ("stage_moves", "stage moves"),
            ("coverage_changes", "coverage changes"),
        ),
    ),
    (1, "Blockers", (("blockers_opened", "opened"), ("blockers_resolved", "resolved"))),
    (1, "Gates", (("gate_overrides", "overrides"), ("rule_changes", "rules changed"))),
)


def summary_content(found: dict[str, int], identical: bool) -> Content:
    """The counts (io.diff.counts) on two short lines that fit 80 columns; the kinds that changed stand out."""
    if identical:
        return Content.styled("No differences", "bold")
    lines: list[list[Content]] = [[], []]
    for line, group, items in COUNT_GROUPS:
        cells = [
            Content.assemble((f"{found[key]:,}", "bold $text-accent" if found[key] else MUTED), " ", label)
            for key, label in items
        ]
        lines[line].append(Content.assemble((group, "bold"), "  ", Content(" · ").join(cells)))
    return Content("\n").join(Content("   ").join(groups) for groups in lines)


class SnapshotDiffScreen(Screen[None]):
    """The difference between old (a snapshot file or a portfolio file) and the portfolio at current."""

    DEFAULT_CSS = """
    SnapshotDiffScreen {
        layout: vertical;
    }
    SnapshotDiffScreen #diff-title {
        text-style: bold;
        padding: 0 1;
    }
    SnapshotDiffScreen #diff-sides {
        color: $text-muted;
        padding: 0 1;
    }
    SnapshotDiffScreen #diff-summary {
        height: auto;
        padding: 0 1;
        margin-bottom: 1;
    }
    SnapshotDiffScreen #diff-error {
        color: $text-error;
        height: auto;
        padding: 0 1;
        display: none;
    }
    SnapshotDiffScreen.-failed #diff-error {
        display: block;
    }
    SnapshotDiffScreen #diff-text {
        height: 1fr;
        border: round $primary 50%;
        background: $surface;
    }
    SnapshotDiffScreen #diff-text:focus {
        border: round $primary;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="snapshot_diff.back"),
        Binding("j", "scroll(1)", "Down", show=False, id="snapshot_diff.down"),
        Binding("k", "scroll(-1)", "Up", show=False, id="snapshot_diff.up"),
    ]

    def __init__(self, old: Path, current: Path, *, actor: str, clock: Clock | None = None) -> None:
        super().__init__()
        self.old = old
        self.current = current
        self.actor = actor
        self.clock = clock
        self.counts: dict[str, int] | None = None  # io.diff.counts, once compared
        self.identical = False
        self.error = ""

    def compose(self) -> ComposeResult:
        yield Static(Content("What moved since the snapshot"), id="diff-title")
        yield Static(
            Content.assemble(
                printable(shown_path(self.old)),
                (" → this portfolio, ", MUTED),
                printable(shown_path(self.current)),
            ),
            id="diff-sides",
        )
        yield Static(Content.styled("Reading both sides…", MUTED), id="diff-summary")
        yield Static("", id="diff-error")
        yield Log(highlight=False, auto_scroll=False, id="diff-text")
        yield Footer()

    def on_mount(self) -> None:
        log = self.query_one("#diff-text", Log)
        log.loading = True
        log.focus()
        self._compare()

    @work(exclusive=True, group="snapshot_diff")
    async def _compare(self) -> None:
        request = {
            "old": str(self.old),
            "new": str(self.current),
            "actor": self.actor,
            "at": self.clock().isoformat() if self.clock else None,
            "old_label": shown_path(self.old),
            "new_label": shown_path(self.current),
        }
        try:
            if sides_size(self.old, self.current) > OWN_PROCESS_ABOVE_BYTES:
                answer = await report_in_own_process(request)
            else:
                answer = await asyncio.to_thread(report_here, request)
        except (SnapshotError, StoreError, OSError) as exc:
            answer = {"error": str(exc)}
        if "error" in answer:
            self._failed(printable(str(answer["error"])).replace("\n", " "))
            return
        self._show(answer)

    def _show(self, answer: dict[str, Any]) -> None:
        self.counts = dict(answer["counts"])
        self.identical = bool(answer["identical"])
        log = self.query_one("#diff-text", Log)
        log.loading = False
        # printable again: the renderer escapes user text, this covers every other part of a line too. A
        # blank line is written as a space: Log.write_lines drops empty strings, and the blank lines
        # between the sections are what makes the text readable.
        log.write_lines([printable(line) or " " for line in str(answer["text"]).splitlines()], scroll_end=False)
        log.scroll_home(animate=False)
        self.query_one("#diff-summary", Static).update(summary_content(self.counts, self.identical))

    def _failed(self, message: str) -> None:
        self.error = message
        self.add_class("-failed")
        self.query_one("#diff-text", Log).loading = False
        self.query_one("#diff-summary", Static).update(Content.styled("Nothing to compare", MUTED))
        self.query_one("#diff-error", Static).update(Content(message))
        self.app.notify(message, title="The comparison failed", severity="error", markup=False)

    @property
    def lines(self) -> list[str]:
        """The text shown, line by line (what a test or a copy reads)."""
        return list(self.query_one("#diff-text", Log).lines)

    def action_scroll(self, step: int) -> None:
        self.query_one("#diff-text", Log).scroll_relative(y=step, animate=False)

    def action_back(self) -> None:
        self.dismiss(None)


__all__ = ["COUNT_GROUPS", "SnapshotDiffScreen", "summary_content"]
