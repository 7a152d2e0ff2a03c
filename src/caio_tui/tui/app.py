"""The caio-tui terminal app (minimal first screen: the pilots of the portfolio)."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Footer, Header

from caio_tui.config import Settings
from caio_tui.store import Portfolio


class CaioApp(App[None]):
    TITLE = "caio-tui"
    BINDINGS = [("q", "quit", "Quit")]

    def __init__(self, path: Path, settings: Settings) -> None:
        super().__init__()
        self.portfolio = Portfolio.open(path, actor=settings.actor, stalled_days=settings.stalled_days)

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self.portfolio.name
        table = self.query_one(DataTable)
        table.add_columns("ID", "Name", "Office", "Stage", "Ready")
        for p in self.portfolio.page(limit=200):
            table.add_row(p.id, p.name, p.office, p.stage.value, f"{round(p.readiness * 100)}%")
