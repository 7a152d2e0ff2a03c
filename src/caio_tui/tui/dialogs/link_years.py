"""Link years (the palette's Link years…): the inventory rows an import held back because several pilots
match them, each with its candidates. Choosing a candidate links the row to that pilot (the pilot is
updated from the row); "none of these" keeps the row as a new use case. Each answer is one import event
(io/inventory_review.py); u undoes it like any import.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from caio_tui.domain.text import clip, printable
from caio_tui.io.inventory import TransferError
from caio_tui.io.inventory_review import HeldRow, held_for_review, link_held
from caio_tui.store import Portfolio, StoreError
from caio_tui.tui.dialogs.base import Dialog

_NEW = "\x00new"  # the option id suffix of "none of these"


class LinkYearsScreen(Dialog[int]):
    """Lists the held rows and their candidates; dismisses with how many rows were settled."""

    DEFAULT_CSS = """
    LinkYearsScreen > .dialog-frame {
        width: 110;
    }
    LinkYearsScreen #link-rows {
        height: auto;
        max-height: 30;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", tooltip="Close; held rows stay held", id="link_years.close"),
    ]

    def __init__(self, portfolio: Portfolio) -> None:
        super().__init__()
        self.portfolio = portfolio
        self.settled = 0

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-frame"):
            yield Static(Content.styled("Link years: rows several pilots match", "bold"), classes="dialog-title")
            yield Static("", id="link-summary", classes="dialog-detail")
            yield OptionList(id="link-rows")
            yield Static("", id="link-error", classes="dialog-error")
            hint = "enter: this row is that pilot (or: none of these, a new use case) · esc: close"
            yield Static(Content.styled(hint, "$text-muted"), classes="dialog-hint")
        yield Footer()

    def on_mount(self) -> None:
        self._fill()

    def _fill(self) -> None:
        held = held_for_review(self.portfolio)
        options = self.query_one("#link-rows", OptionList)
        options.clear_options()
        for row in held:
            options.add_options(_options(row))
        summary = self.query_one("#link-summary", Static)
        if held:
            summary.update(Content(f"{len(held)} held row(s); each waits for you, never for a guess."))
            options.focus()
        else:
            summary.update(Content("No row is held: every inventory row found its pilot, or none."))

    @on(OptionList.OptionSelected, "#link-rows")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        key, _, pilot = (event.option.id or "").partition("\x1f")
        if key:
            self._link(key, None if pilot == _NEW else pilot)

    @work(exclusive=True, group="link_years.link")
    async def _link(self, key: str, pilot: str | None) -> None:
        """One import event in a worker (the row is read again through the mapping: 70 ms or more)."""
        try:
            await asyncio.to_thread(link_held, self.portfolio, key, pilot)
        except (TransferError, StoreError) as exc:
            self.query_one("#link-error", Static).update(Content(clip(printable(str(exc)), 300)))
            return
        self.settled += 1
        self._fill()

    def action_close(self) -> None:
        self.dismiss(self.settled)


def _options(row: HeldRow) -> list[Option | None]:
    """A held row as a heading (not selectable), its candidates, and "none of these"."""
    title = f"{clip(printable(row.name), 60)}: {printable(row.source)} row {row.row}"
    found: list[Option | None] = [Option(Content.styled(title, "bold"), disabled=True)]
    for c in row.candidates:
        text = f"  is {printable(c.id)}  {clip(printable(c.name), 40)}  {clip(printable(c.office), 30)}  ({c.stage})"
        found.append(Option(Content(text), id=f"{row.key}\x1f{c.id}"))
    found.append(Option(Content("  none of these: a new use case"), id=f"{row.key}\x1f{_NEW}"))
    found.append(None)
    return found


__all__ = ["LinkYearsScreen"]
