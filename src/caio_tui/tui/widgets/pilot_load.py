"""One load of the pilot table, read in a worker thread: how many pilots the filter keeps, the header's
totals, where the kept pilot now stands, and the pages of the rows the table shows first (so drawing the
result reads nothing on the UI thread). The Portfolio screen runs it; the pages after these come from
pilot_source.py as the table scrolls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from caio_tui.domain.filters import PilotFilter
from caio_tui.domain.pilot_row import PilotRow
from caio_tui.domain.stages import Stage
from caio_tui.store import Portfolio
from caio_tui.tui.widgets.pilot_source import PilotQuery


@dataclass(frozen=True)
class Totals:
    """The portfolio-wide numbers of the header: they change with the data, not with the filter or sort.
    A load reads the name and the total with the rows; the stage counts and the stalled count (about
    65 ms at a million pilots) follow in a worker of their own, so the rows do not wait for them."""

    name: str
    total: int
    stages: dict[Stage, int] | None = None  # None: not read yet
    stalled: int | None = None
    longest_id: int = 0  # the ID column's width

    @property
    def complete(self) -> bool:
        return self.stages is not None and self.stalled is not None


def complete_totals(portfolio: Portfolio, totals: Totals) -> Totals:
    """The totals with the stage counts and the stalled count read (runs in a worker thread)."""
    if totals.complete:
        return totals
    return replace(totals, stages=portfolio.stage_counts(), stalled=portfolio.count(PilotFilter(stalled=True)))


@dataclass(frozen=True)
class Counts:
    """What one load reads besides the rows: how many pilots are shown and where the kept pilot stands."""

    shown: int
    totals: Totals
    position: int | None

    @property
    def total(self) -> int:
        return self.totals.total


@dataclass(frozen=True)
class Window:
    """Where the table stands when a load starts (the first row on screen, how many rows fit, the cursor
    row) and its rows per page: so the worker can read the pages the table is about to show."""

    top: int = 0
    visible: int = 1
    cursor: int = 0
    page_size: int = 100


@dataclass(frozen=True)
class View:
    """One load: the counts, and the pilots of the pages the table shows first (by their first row)."""

    counts: Counts
    pages: dict[int, list[PilotRow]] = field(default_factory=dict)


def shown_rows(window: Window, count: int, position: int | None, reset_cursor: bool) -> range:
    """The rows on screen once the table has `count` rows and the cursor goes to `position` (or to the
    top with `reset_cursor`, else stays at its index): VirtualTable scrolls the least that brings the
    cursor into view."""
    if count <= 0:
        return range(0)
    visible = max(1, window.visible)
    top = max(0, min(window.top, count - visible))
    cursor = position if position is not None else 0 if reset_cursor else min(max(window.cursor, 0), count - 1)
    if cursor < top:
        top = cursor
    elif cursor >= top + visible:
        top = cursor - visible + 1
    return range(top, min(count, top + visible))


def read_view(
    portfolio: Portfolio,
    query: PilotQuery,
    keep: str | None,
    totals: Totals | None = None,
    *,
    shown: int | None = None,
    window: Window | None = None,
    reset_cursor: bool = False,
    superseded: Callable[[], bool] = lambda: False,
) -> View | None:
    """Runs in a worker thread: at 100,000 pilots each query takes a few to a couple of hundred ms.
    `totals` from an earlier load are reused (a filter or a sort does not change them), and so is `shown`
    (a sort does not change how many pilots the filter keeps). With a `window`, the pages of the rows the
    table will show are read too. None once `superseded()` says a newer load made this one useless
    (asked between queries, so a stale load gives way after the query it is in)."""
    if shown is None:
        shown = portfolio.count(query.filter)
        if superseded():
            return None
    if totals is None:
        total = shown if query.filter.is_empty else portfolio.count()
        totals = Totals(name=portfolio.name, total=total, longest_id=portfolio.longest_id())
        if superseded():
            return None
    position = None
    if keep is not None:
        position = portfolio.position(keep, query.filter, sort=query.sort, descending=query.descending)
    pages: dict[int, list[PilotRow]] = {}
    rows = shown_rows(window, shown, position, reset_cursor) if window is not None else range(0)
    if window is not None and rows:
        size = window.page_size
        for number in range(rows.start // size, (rows.stop - 1) // size + 1):
            if superseded():
                return None
            offset = number * size
            pages[offset] = portfolio.table_page(
                query.filter, sort=query.sort, descending=query.descending, offset=offset, limit=size
            )
    return View(Counts(shown=shown, totals=totals, position=position), pages)


def read_counts(portfolio: Portfolio, query: PilotQuery, keep: str | None, totals: Totals | None = None) -> Counts:
    """The counts of a load without its rows, with complete totals (see read_view)."""
    view = read_view(portfolio, query, keep, totals)
    assert view is not None  # never superseded
    return replace(view.counts, totals=complete_totals(portfolio, view.counts.totals))
