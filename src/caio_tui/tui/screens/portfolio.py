"""The Portfolio view (key `1`, the start screen): every pilot in one table, filtered and sorted in SQL.
One job (this view: its header, table, filter bar and their workers) in one file, over 500 lines.

The header names the portfolio and counts its pilots per stage; the table shows one pilot a row and reads
the store page by page (see tui/widgets/pilot_source.py), so it stays quick at any size. A filter or a sort is read
in a worker (the count, where the kept pilot now stands, and the rows the table shows first), so drawing
the result reads nothing on the UI thread. Typing queries at once; while a query runs, only the latest
text waits for it (see tui/widgets/filter_bar.py).
Over 500 lines as one job: the Portfolio screen (its table, header, filter, sort and marks).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, ClassVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static

from caio_tui.config import TABLE_COLUMNS, save_setting
from caio_tui.domain.filters import PilotFilter
from caio_tui.domain.pilot_row import PilotRow
from caio_tui.domain.stages import Stage
from caio_tui.domain.text import printable
from caio_tui.store import Portfolio, StoreError
from caio_tui.store.queries import SortKey
from caio_tui.tui.styles.rich_styles import Palette
from caio_tui.tui.widgets.filter_bar import ERROR_AFTER_S, FilterBar, FilterInput
from caio_tui.tui.widgets.pilot_columns import Layout, layout_for
from caio_tui.tui.widgets.pilot_source import SORT_ORDER, PilotQuery, PilotSource
from caio_tui.tui.widgets.quiet_footer import QuietFooter
from caio_tui.tui.widgets.view_bar import ViewBar
from caio_tui.tui.widgets.virtual_table import VirtualTable

if TYPE_CHECKING:
    from caio_tui.tui.host import CaioHost

DEBOUNCE_S = ERROR_AFTER_S  # a wrong filter token is said once typing pauses this long
LOADING_AFTER_S = 0.1  # a load that takes longer than this shows the loading indicator

STAGE_SHORT = {
    Stage.INTAKE: "intake",
    Stage.POC: "poc",
    Stage.PILOT: "pilot",
    Stage.READINESS: "readiness",
    Stage.PRODUCTION: "production",
    Stage.SCALED: "scaled",
    Stage.RETIRED: "retired",
}

EMPTY_STATE = Content.assemble(
    ("This portfolio has no pilots yet.", "bold"),
    "\n\n",
    "Load a sample to look around:\n",
    ("    ctrl+p", "bold $text-accent"),
    " → Load sample, or from a shell\n",
    ("    caio-tui init --sample civilian-agency", "bold $text-accent"),
    "\n\n",
    "Import your AI use case inventory (OMB CSV) or a snapshot:\n",
    ("    caio-tui import FILE", "bold $text-accent"),
    "\n\n",
    "Or add a pilot by hand: ",
    ("n", "bold $text-accent"),
)


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


class PilotTable(VirtualTable):
    """The pilot table: the VirtualTable with `enter` left out of the footer (the footer's room at 80
    columns goes to the Portfolio's own keys; help lists enter)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "activate", "Open", show=False, id="table.activate"),
    ]


class PortfolioScreen(Screen[None]):
    """The table of pilots with the filter, the sort and the keys that act on the pilot under the cursor."""

    # The footer shows these first (widgets/quiet_footer.py): at 80 columns the rest may not fit.
    FOOTER_FIRST: ClassVar[tuple[str, ...]] = ("promote", "add_blocker", "filter", "new_pilot", "undo", "toggle_mark")

    AUTO_FOCUS = "#pilots"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "slash", "filter", "Filter", tooltip="Filter: free text and stage:, blocker:, …", id="portfolio.filter"
        ),
        Binding("escape", "clear_filter", "Clear", tooltip="Clear the filter", id="portfolio.clear_filter"),
        Binding("s", "sort_next", "Sort", tooltip="Sort by the next column", id="portfolio.sort_next"),
        Binding("S", "sort_reverse", "Reverse", show=False, tooltip="Reverse the order", id="portfolio.sort_reverse"),
        Binding(
            "space",
            "toggle_mark",
            "Mark",
            tooltip="Mark or unmark the pilot for comparison",
            id="portfolio.toggle_mark",
        ),
        Binding("c", "compare", "Compare", tooltip="Compare the marked pilots", id="portfolio.compare"),
        Binding("b", "add_blocker", "Blocker", tooltip="Add a blocker to the pilot", id="portfolio.add_blocker"),
        Binding("greater_than_sign", "promote", "Promote", tooltip="Promote through the gate", id="portfolio.promote"),
        Binding(
            "less_than_sign",
            "demote",
            "Demote",
            show=False,
            tooltip="Demote to the stage before",
            id="portfolio.demote",
        ),
        Binding("n", "new_pilot", "New", tooltip="New pilot", id="portfolio.new_pilot"),
        Binding("e", "edit_pilot", "Edit", show=False, tooltip="Edit the pilot's fields", id="portfolio.edit_pilot"),
    ]

    def __init__(self, portfolio: Portfolio) -> None:
        super().__init__(id="portfolio-view")
        self.portfolio = portfolio
        self.query_state = PilotQuery()
        self.counts: Counts | None = None
        self._totals: Totals | None = None  # None: read them again with the next load
        self._counted = Totals("", 0)  # the last complete totals: shown while new ones are read
        self._shown: tuple[PilotFilter, int] | None = None  # how many pilots a filter keeps, until data changes
        self._last_error = ""
        self._source: PilotSource | None = None
        self._serial = 0
        self._loading_timer: Timer | None = None
        self._layout: Layout | None = None
        self.shown_columns: tuple[str, ...] = TABLE_COLUMNS  # until compose reads the settings

    # ---- the app this screen runs in -----------------------------------------------------------------

    @property
    def caio(self) -> CaioHost:
        return cast("CaioHost", self.app)

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#pilots", VirtualTable)

    @property
    def filter_bar(self) -> FilterBar:
        return self.query_one("#filter-area", FilterBar)

    @property
    def filter_text(self) -> str:
        """The text of the filter shown now."""
        return self.filter_bar.applied_text if self.is_mounted else ""

    # ---- building ------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield ViewBar("portfolio")
        with Horizontal(id="summary"):
            yield Static("", id="portfolio-name")
            yield Static("", id="totals")
        yield Static("", id="stages")
        yield FilterBar(prefix="filter", on_applied=self._filter_applied)
        self.shown_columns = self.caio.settings.table_columns
        layout = self._layout = self._layout_for(self.app.size.width - 1)
        yield PilotTable(
            layout.columns,
            None,
            empty_message="No pilot matches the filter · esc clears it",
            stretch_last=False,
            prefetch=True,
            id="pilots",
        )
        with Center(id="empty-state"):
            yield Static(EMPTY_STATE, id="empty")
        yield QuietFooter(compact=True)

    def on_mount(self) -> None:
        self.table.set_sort(self.query_state.sort.value, self.query_state.descending)
        self.table.focus()
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)
        self._show_header()
        self.load(reset_cursor=True)

    def on_screen_resume(self) -> None:
        # Marks may have changed on another view (Compare marks too): redraw them.
        if self._source is not None:
            self.table.reload_pages()
            self._show_header()
            self.refresh_bindings()

    def on_resize(self) -> None:
        self._relayout()

    def _layout_for(self, width: int) -> Layout:
        longest = self._totals.longest_id if self._totals is not None else 0
        return layout_for(width, id_width=longest or 7, shown=self.shown_columns)

    def _relayout(self) -> None:
        """Fit the columns to the width, the longest id and the columns chosen; redraw the rows if they changed."""
        layout = self._layout_for(self.size.width - 1)  # the table keeps one column for its scrollbar
        if layout == self._layout:
            return
        self._layout = layout
        self.table.set_columns(layout.columns)
        if self._source is not None:
            self._source.layout = layout
            self.table.reload_pages()

    def toggle_column(self, key: str) -> None:
        """Show or hide a column (the palette's Show/Hide column), remembered in the config file."""
        shown = [k for k in self.shown_columns if k != key]
        if len(shown) == len(self.shown_columns):
            shown = [k for k in TABLE_COLUMNS if k in self.shown_columns or k == key]
        if not shown:
            return
        self.shown_columns = tuple(shown)
        self._relayout()
        try:
            save_setting("table", {"columns": shown})
        except OSError as exc:
            self.notify(f"Not remembered: {exc}", severity="warning", markup=False)

    def _theme_changed(self, _theme: object) -> None:
        if self._source is not None:
            self._source.palette = Palette.from_theme(self.app.theme_variables)
            self.table.reload_pages()

    # ---- loading -------------------------------------------------------------------------------------

    def portfolio_changed(self, *, keep: str | None = None, announce: bool = False) -> None:
        """The store changed (a modal, the detail screen, undo, a reload, another program): re-read it,
        keeping the cursor on the same pilot (or on `keep`)."""
        self._totals = None
        self._shown = None
        self.load(keep=keep, announce=announce)

    def load(
        self, *, keep: str | None = None, follow: bool = True, reset_cursor: bool = False, announce: bool = False
    ) -> None:
        """Read the counts and the rows to show first in a worker, then show them. The cursor goes to
        `keep` (default: the pilot under the cursor, unless not `follow`); when that pilot is not shown, to
        the top if `reset_cursor`, else it keeps its place. With `announce`, a kept pilot the filter hides
        is said so."""
        self._serial += 1
        table = self.table
        target = keep if keep is not None else table.cursor_key if follow else None
        if self._loading_timer is None:
            self._loading_timer = self.set_timer(LOADING_AFTER_S, self._show_loading)
        self.filter_bar.hold()  # typing meanwhile waits for this load
        window = Window(round(table.scroll_y), table.visible_rows, table.cursor_index, table.page_size)
        shown = self._shown[1] if self._shown is not None and self._shown[0] == self.query_state.filter else None
        self._load(self.query_state, target, reset_cursor, announce, window, shown, self._serial)

    @work(exclusive=True, group="portfolio.load")
    async def _load(
        self,
        query: PilotQuery,
        keep: str | None,
        reset_cursor: bool,
        announce: bool,
        window: Window,
        shown: int | None,
        serial: int,
    ) -> None:
        def superseded() -> bool:
            return serial != self._serial

        try:
            view = await asyncio.to_thread(
                read_view,
                self.portfolio,
                query,
                keep,
                self._totals,
                shown=shown,
                window=window,
                reset_cursor=reset_cursor,
                superseded=superseded,
            )
        except StoreError as exc:
            if not superseded():
                self._loaded()
                self.notify(str(exc), title="Cannot read the portfolio", severity="error", markup=False)
            return
        if view is None or superseded():
            return  # a newer load (a sort, a change) is under way: its result is the one to show
        if self._loaded():
            return  # the filter typed meanwhile loads now: showing this result would only delay it
        self._show(query, view, reset_cursor)
        if not view.counts.totals.complete:
            self._complete_totals(view.counts.totals)
        if announce and keep is not None and view.counts.position is None:
            self.notify(f"{keep} is not shown: the filter hides it (esc clears the filter)", markup=False)

    @work(exclusive=True, group="portfolio.totals")
    async def _complete_totals(self, totals: Totals) -> None:
        try:
            complete = await asyncio.to_thread(complete_totals, self.portfolio, totals)
        except StoreError as exc:
            self.notify(str(exc), title="Cannot read the portfolio", severity="error", markup=False)
            return
        if self._totals is not totals or self.counts is None:
            return  # the data changed meanwhile: the load under way reads them again
        self._totals = complete
        self.counts = replace(self.counts, totals=complete)
        self._show_header()

    def set_busy(self, busy: bool) -> None:
        """Long work elsewhere (a sample, an import) is writing to the portfolio: show it."""
        self.table.loading = busy
        self.query_one("#empty-state").loading = busy

    def _show_loading(self) -> None:
        self._loading_timer = None
        self.table.loading = True

    def _loaded(self) -> bool:
        """The load is over; True when the filter typed meanwhile starts the next one."""
        if self._loading_timer is not None:
            self._loading_timer.stop()
            self._loading_timer = None
        self.table.loading = False
        return self.filter_bar.release()

    def _show(self, query: PilotQuery, view: View, reset_cursor: bool) -> None:
        counts = view.counts
        self.counts = counts
        self._totals = counts.totals
        self._shown = (query.filter, counts.shown)
        self._relayout()  # the longest id may have changed
        self._source = PilotSource(
            self.portfolio,
            query,
            marked=self.caio.marked,
            count=counts.shown,
            layout=self._layout,
            palette=Palette.from_theme(self.app.theme_variables),
            on_error=self._read_failed,
            pages=view.pages,
        )
        table = self.table
        cursor = counts.position if counts.position is not None else 0 if reset_cursor else None
        table.set_source(self._source, keep_cursor_key=False, cursor=cursor)
        empty = counts.total == 0
        self.set_class(empty, "-empty")
        if empty:
            self.set_focus(None)  # nothing to move through; the keys still reach the screen
        elif not self.filter_bar.is_open:
            table.focus()  # (while typing a filter, the input keeps the focus)
        self._show_header()
        self.refresh_bindings()

    def _read_failed(self, message: str) -> None:
        if threading.current_thread() is not threading.main_thread():
            self.app.call_from_thread(self._read_failed, message)  # a page read ahead in a worker
            return
        if message != self._last_error:  # once, not once per row drawn
            self._last_error = message
            self.notify(message, title="Cannot read the portfolio", severity="error", markup=False)

    # ---- header --------------------------------------------------------------------------------------

    def _show_header(self) -> None:
        counts = self.counts
        if counts is None:
            self.query_one("#totals", Static).update(Content.styled("loading…", "$text-muted"))
            return
        name = printable(counts.totals.name)
        self.query_one("#portfolio-name", Static).update(Content.styled(name, "bold"))
        marked = len(self.caio.marked)
        parts: list[Content | tuple[str, str] | str] = []
        if counts.shown != counts.total:
            parts += [(f"{counts.shown:,}", "bold"), f" of {counts.total:,} pilots"]
        else:
            parts += [(f"{counts.total:,}", "bold"), " pilots"]
        stalled = counts.totals.stalled if counts.totals.complete else self._counted.stalled
        if stalled:
            parts += [" · ", (f"{stalled:,} stalled", "$text-warning")]
        if marked:
            parts += [" · ", (f"{marked} marked", "bold $text-accent")]
        arrow = "▼" if self.query_state.descending else "▲"
        parts += [" · sort: ", (f"{self.query_state.sort.value} {arrow}", "bold")]
        self.query_one("#totals", Static).update(Content.assemble(*parts))
        if counts.totals.complete:
            self._counted = counts.totals
        elif self._counted.stages is None:
            return  # the stage counts follow (at the first load; later the last ones stay until then)
        stages: list[Content | tuple[str, str] | str] = []
        for stage in Stage:
            if stages:
                stages.append("  ")
            number = (self._counted.stages or {}).get(stage, 0)
            stages += [(STAGE_SHORT[stage], "$text-muted"), " ", (str(number), "bold" if number else "$text-muted")]
        self.query_one("#stages", Static).update(Content.assemble(*stages))

    # ---- the filter ----------------------------------------------------------------------------------

    def action_filter(self) -> None:
        self.filter_bar.open()

    def _filter_applied(self, event: FilterBar.Applied) -> None:
        # Typed: the cursor goes to the first result; cleared (escape): it stays on its pilot if shown.
        self.query_state = replace(self.query_state, filter=event.filter)
        self.load(follow=event.cleared, reset_cursor=True)

    @on(FilterBar.Done, "#filter-area")
    @on(FilterBar.Cleared, "#filter-area")
    def _filter_closed(self) -> None:
        if not self.has_class("-empty"):
            self.table.focus()
        self.refresh_bindings()

    def action_clear_filter(self) -> None:
        self.filter_bar.clear()
        self._filter_closed()

    # ---- sorting -------------------------------------------------------------------------------------

    def action_sort_next(self) -> None:
        current = SORT_ORDER.index(self.query_state.sort)
        self._sort(SORT_ORDER[(current + 1) % len(SORT_ORDER)], descending=False)

    def action_sort_reverse(self) -> None:
        self._sort(self.query_state.sort, descending=not self.query_state.descending)

    @on(VirtualTable.HeaderSelected, "#pilots")
    def _header_clicked(self, event: VirtualTable.HeaderSelected) -> None:
        key = SortKey(event.column_key)
        self._sort(key, descending=not self.query_state.descending if key is self.query_state.sort else False)

    def sort_by(self, key: SortKey) -> None:
        self._sort(key, descending=False)

    def _sort(self, key: SortKey, *, descending: bool) -> None:
        self.query_state = replace(self.query_state, sort=key, descending=descending)
        self.table.set_sort(key.value, descending)
        self._show_header()
        self.load()

    # ---- the pilot under the cursor ------------------------------------------------------------------

    def cursor_pilot_id(self) -> str | None:
        if self.has_class("-empty"):
            return None
        return self.table.cursor_key

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Only the keys that apply now show in the footer."""
        if action == "clear_filter":
            return self.filter_bar.is_filtered or self.filter_bar.is_open
        if action == "compare":
            return bool(self.caio.marked)
        if action in ("toggle_mark", "add_blocker", "edit_pilot", "promote", "demote"):
            # Promote stays offered at the last stage: pressing it says why nothing moves.
            return self.cursor_pilot_id() is not None
        if action in ("sort_next", "sort_reverse", "filter"):
            return not self.has_class("-empty") or bool(self.filter_text)
        return True

    @on(VirtualTable.CursorMoved, "#pilots")
    def _cursor_moved(self) -> None:
        self.refresh_bindings()

    @on(VirtualTable.RowActivated, "#pilots")
    def _open(self, event: VirtualTable.RowActivated) -> None:
        from caio_tui.tui.screens.detail import PilotDetailScreen

        self.app.push_screen(PilotDetailScreen(self.portfolio, event.key))

    def action_toggle_mark(self) -> None:
        pilot_id = self.cursor_pilot_id()
        if pilot_id is None:
            return
        self.caio.toggle_mark(pilot_id)
        self.table.reload_pages()
        self.table.action_cursor_down()
        self._show_header()
        self.refresh_bindings()

    def action_compare(self) -> None:
        self.caio.show_view("compare")

    def action_add_blocker(self) -> None:
        pilot_id = self.cursor_pilot_id()
        if pilot_id is None:
            return

        def opened(tag: str | None) -> None:
            if tag:
                self.notify(f"{pilot_id}: blocker {tag} opened", markup=False)
                self.caio.portfolio_changed()

        from caio_tui.tui.dialogs.blocker_picker import BlockerPicker

        self.app.push_screen(BlockerPicker(self.portfolio, pilot_id), opened)

    def action_promote(self) -> None:
        self._gate(+1)

    def action_demote(self) -> None:
        self._gate(-1)

    def _gate(self, step: int) -> None:
        pilot_id = self.cursor_pilot_id()
        if pilot_id is not None:
            from caio_tui.tui.dialogs.gate import ask_move

            ask_move(self, self.portfolio, pilot_id, step, lambda: self.caio.portfolio_changed())

    def action_new_pilot(self) -> None:
        def created(pilot_id: str | None) -> None:
            if pilot_id:
                self.notify(f"Created {pilot_id}", markup=False)
                self.portfolio_changed(keep=pilot_id, announce=True)
                self.caio.portfolio_changed(source=self)

        from caio_tui.tui.dialogs.pilot_form import PilotForm

        self.app.push_screen(PilotForm(self.portfolio, None), created)

    def action_edit_pilot(self) -> None:
        pilot_id = self.cursor_pilot_id()
        if pilot_id is None:
            return

        def saved(result: str | None) -> None:
            if result:
                self.notify(f"Saved {result}", markup=False)
                self.caio.portfolio_changed()

        from caio_tui.tui.dialogs.pilot_form import PilotForm

        self.app.push_screen(PilotForm(self.portfolio, pilot_id), saved)


__all__ = [
    "DEBOUNCE_S",
    "Counts",
    "FilterInput",
    "PortfolioScreen",
    "Totals",
    "View",
    "Window",
    "read_counts",
    "read_view",
    "shown_rows",
]
