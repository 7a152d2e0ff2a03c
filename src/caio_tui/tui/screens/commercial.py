"""The Commercial AI view (key `6`): the agency's answers on OMB's twenty standard commercial AI uses, from
the consolidated COTS file imported (io/commercial.py): each use, the Y/N answer (a blank one is
"unknown", never "no"), the products named and the licence band.

The file holds every agency's answers: the view shows the portfolio's agency (a setting, else the agency
of most of its pilots), or every agency when neither says which. With no file imported it says how to
import one. The rows are few (twenty an agency), but naming the agency reads every pilot's office (70 ms
at 100,000 pilots): they are read in a worker.
"""

from __future__ import annotations

import asyncio

from textual import work
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from caio_tui.domain.text import clip, printable
from caio_tui.io.commercial import agency_uses, in_use_label, portfolio_agency
from caio_tui.store import Portfolio, StoreError
from caio_tui.store import commercial as store
from caio_tui.tui.screens.view import ViewScreen
from caio_tui.tui.widgets.quiet_footer import QuietFooter
from caio_tui.tui.widgets.view_bar import ViewBar

EMPTY = (
    "No consolidated COTS file imported yet.\n\n"
    "OMB's consolidated COTS file lists, agency by agency, the twenty standard commercial AI uses "
    "(Y/N, products, licence band). Import it with 'caio-tui import FILE' or the import dialog."
)
_ANSWER_STYLE = {"Yes": "bold green", "No": "", "unknown": "dim italic"}


class CommercialScreen(ViewScreen, inherit_bindings=False):
    """The commercial AI uses of the portfolio's agency. Read-only: 1 to 6 switch views."""

    DEFAULT_CSS = """
    CommercialScreen #commercial-title {
        height: auto;
        padding: 0 1;
    }
    CommercialScreen #commercial-table {
        height: 1fr;
    }
    CommercialScreen #commercial-empty {
        padding: 1 2;
        height: auto;
    }
    """

    def __init__(self, portfolio: Portfolio) -> None:
        super().__init__(id="commercial-view")
        self.portfolio = portfolio

    def compose(self) -> ComposeResult:
        yield ViewBar("commercial")
        yield Static("", id="commercial-title", markup=False)
        yield DataTable(id="commercial-table", cursor_type="row", zebra_stripes=True)
        yield Static(EMPTY, id="commercial-empty", markup=False)
        yield QuietFooter()

    def on_mount(self) -> None:
        self.load()

    def load(self) -> None:
        """Read the rows again in a worker; what is shown stays until they replace it."""
        self._stale = False
        self._load()

    @work(exclusive=True, group="commercial.load")
    async def _load(self) -> None:
        try:
            found = await asyncio.to_thread(_read, self.portfolio)
        except StoreError as exc:
            self.query_one("#commercial-title", Static).update(printable(f"Cannot read the commercial AI uses: {exc}"))
            return
        self._show(*found)

    def _show(
        self,
        file: store.CommercialFile | None,
        agency: str | None,
        found: list[store.CommercialUse],
        named: list[tuple[str, str, int]],
    ) -> None:
        title = self.query_one("#commercial-title", Static)
        table = self.query_one("#commercial-table", DataTable)
        empty = self.query_one("#commercial-empty", Static)
        table.clear(columns=True)
        table.display = file is not None
        empty.display = file is None
        empty.update(EMPTY)
        if file is None:
            title.update("Commercial AI uses")
            return
        if not found and agency is not None:  # the portfolio's agency is not among the file's
            names = ", ".join(abbr or name for abbr, name, _rows in named[:12])
            title.update(printable(f"Commercial AI uses: {agency} · from {file.source}"))
            empty.update(
                printable(
                    f"{agency} has no row in {file.source}, which names {names}. "
                    "Set the agency with 'caio-tui settings agency', or list every agency with "
                    "'caio-tui cots --agency all'."
                )
            )
            table.display, empty.display = False, True
            return
        every = agency is None
        answered = sum(1 for u in found if u.in_use.strip() == "Y")
        who = "all agencies" if every else agency
        title.update(printable(f"Commercial AI uses: {who} · {answered} of {len(found)} in use · from {file.source}"))
        if every:
            table.add_column("Agency", width=8)
        table.add_column("Standard use", width=48)
        table.add_column("In use", width=7)
        table.add_column("Products", width=36)
        table.add_column("Licences", width=13)
        for use in found:
            answer = in_use_label(use.in_use)
            cells: list[object] = [
                clip(printable(use.use_case.strip()), 120),
                (answer, _ANSWER_STYLE.get(answer, "yellow")),
                clip(printable(" ".join(use.products.split())), 200),
                printable(use.licenses.strip()),
            ]
            if every:
                cells.insert(0, printable(use.agency_abbr or clip(use.agency.strip(), 30)))
            table.add_row(*(_text(c) for c in cells))


def _read(
    portfolio: Portfolio,
) -> tuple[store.CommercialFile | None, str | None, list[store.CommercialUse], list[tuple[str, str, int]]]:
    """The file, the portfolio's agency, that agency's rows and every agency the file names (in a worker)."""
    file = store.stored_file(portfolio)
    if file is None:
        return None, None, [], []
    agency = portfolio_agency(portfolio)
    return file, agency, agency_uses(portfolio, agency), store.agencies(portfolio)


def _text(cell: object) -> object:
    """A cell as Rich Text: user text is data, never markup."""
    from rich.text import Text

    if isinstance(cell, tuple):
        return Text(str(cell[0]), style=str(cell[1]))
    return Text(str(cell))
