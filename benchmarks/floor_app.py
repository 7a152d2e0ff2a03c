"""The floor: a bare Textual app that shows a 100-row DataTable and nothing else.

Every figure of the benchmark is also read as a ratio to this app's: its start-up, its key-to-frame time
(at best one frame of Textual's 60 fps refresh) and its memory. Run it alone with
`python benchmarks/floor_app.py`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.widgets import DataTable

ROWS = 100
COLUMNS = ("ID", "Name", "Office", "Stage", "Ready", "Territory", "Blockers", "Days")


def rows() -> list[tuple[str, ...]]:
    """Rows shaped like the pilot table's, so both draw about as much."""
    stages = ("intake", "poc", "pilot", "readiness", "production", "scaled", "retired")
    return [
        (
            f"AI-{n:04d}",
            f"Benefits Claims Triage Assistant {n}",
            "Office of Benefits Administration",
            stages[n % len(stages)],
            f"{n % 100:>3}% ███▌ ",
            "infrastructure",
            "1 shared-service-account",
            f"{n * 7 % 400}",
        )
        for n in range(1, ROWS + 1)
    ]


class FloorApp(App[None]):
    CSS = "DataTable { height: 1fr; }"
    BINDINGS: ClassVar[list[BindingType]] = [("q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield DataTable(cursor_type="row")

    def on_mount(self) -> None:
        table: DataTable[Any] = self.query_one(DataTable)
        table.add_columns(*COLUMNS)
        table.add_rows(rows())
        table.focus()


if __name__ == "__main__":
    FloorApp().run()
