"""The inventory lint (key `i`, the palette's "Lint the inventory"): the portfolio checked as an OMB 2025
submission, findings grouped by use case; `enter` opens the pilot a finding is about.

The lint reads every pilot (io.lint.lint_file), so it runs in a worker thread on a connection of its own
while a loading indicator shows. User text is shown as Text (never markup).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static

from caio_tui.domain.text import printable
from caio_tui.io.lint import LintReport, lint_file, use_case_title
from caio_tui.io.omb.lint import ERROR
from caio_tui.store import Portfolio, StoreError
from caio_tui.tui.screens.detail import PilotDetailScreen
from caio_tui.tui.styles.rich_styles import Palette
from caio_tui.tui.widgets.quiet_footer import QuietFooter
from caio_tui.tui.widgets.virtual_table import Column, SequenceSource, TableRow, VirtualTable

NARROW_BELOW = 100


def finding_columns(width: int) -> tuple[Column, ...]:
    narrow = width < NARROW_BELOW
    return (
        Column("use_case", "Use case", 34 if not narrow else 22, min_width=12),
        Column("column", "Column", 24 if not narrow else 16, min_width=10),
        Column("severity", "Severity" if not narrow else "Sev", 8 if not narrow else 5),
        Column("why", "Why", 40, min_width=12),
    )


def finding_rows(report: LintReport, palette: Palette, *, narrow: bool) -> list[TableRow]:
    """One row per finding, the use case named on the first row of its group; a row's key is
    `pilot#n` (the pilot to open)."""
    found: list[TableRow] = []
    for head, findings in report.by_use_case():
        for n, f in enumerate(findings):
            style = palette.error if f.severity == ERROR else palette.warning
            severity = ("err" if f.severity == ERROR else "warn") if narrow else f.severity
            found.append(
                TableRow(
                    f"{f.pilot}#{len(found)}",
                    (
                        Text(printable(use_case_title(head)) if n == 0 else "", style="bold"),
                        Text(printable(f.column)),
                        Text(severity, style=style),
                        Text(printable(f"{f.kind}: {f.why}")),
                    ),
                )
            )
    return found


class LintScreen(Screen[None]):
    """The lint's findings; `enter` opens the finding's pilot, `r` lints again, `esc` goes back."""

    DEFAULT_CSS = """
    LintScreen #lint-title {
        height: auto;
        padding: 0 1;
    }
    LintScreen #lint-hint {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="lint.back", tooltip="Back to the view"),
        Binding("r", "relint", "Lint again", id="lint.again", tooltip="Lint the portfolio again"),
    ]

    def __init__(self, portfolio: Portfolio, *, actor: str) -> None:
        super().__init__(id="lint")
        self.portfolio = portfolio
        self.db: Path = portfolio.path
        self.actor = actor
        self.report: LintReport | None = None

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#findings", VirtualTable)

    def compose(self) -> ComposeResult:
        yield Static(Content.assemble(("Inventory lint", "bold"), " · OMB 2025 · linting…"), id="lint-title")
        yield VirtualTable(finding_columns(self.app.size.width - 1), None, empty_message="No findings", id="findings")
        yield Static("enter: open the pilot · r: lint again · esc: back", id="lint-hint")
        yield QuietFooter()

    def on_mount(self) -> None:
        self.table.focus()
        self.load()

    def on_resize(self) -> None:
        columns = finding_columns(self.size.width - 1)
        if columns != self.table.columns:
            self.table.set_columns(columns)
            self._show()

    @work(exclusive=True, group="lint.load")
    async def load(self) -> None:
        self.table.loading = True
        try:
            self.report = await asyncio.to_thread(lint_file, self.db, actor=self.actor)
        except StoreError as exc:
            self.notify(str(exc), title="Cannot lint the portfolio", severity="error", markup=False)
            return
        finally:
            self.table.loading = False
        self._show()
        # A loading widget can lose the focus, and its keys leave the footer: the findings take both back.
        self.table.focus()
        self.refresh_bindings()

    def _show(self) -> None:
        if self.report is None or not self.is_mounted:
            return
        palette = Palette.from_theme(self.app.theme_variables)
        narrow = self.size.width - 1 < NARROW_BELOW
        self.table.set_source(SequenceSource(finding_rows(self.report, palette, narrow=narrow)), keep_cursor_key=True)
        a = self.report.agency
        agency = printable(a.abbr.value or "agency not set") + (f" · {printable(a.name.value)}" if a.name.value else "")
        self.query_one("#lint-title", Static).update(
            Content.assemble(("Inventory lint", "bold"), f" · OMB 2025 · {agency}\n", self.report.summary)
        )

    @on(VirtualTable.RowActivated, "#findings")
    def _open(self, event: VirtualTable.RowActivated) -> None:
        pilot = event.key.rpartition("#")[0]
        if pilot:  # the inventory-wide findings have no pilot: the agency is a setting
            self.app.push_screen(PilotDetailScreen(self.portfolio, pilot))

    def action_relint(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.app.pop_screen()


__all__ = ["LintScreen", "finding_columns", "finding_rows"]
