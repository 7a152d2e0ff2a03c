"""The Blockers view (key `4`): which single fix would unblock the most pilots.

Every blocker tag with its category, the requirement areas it hits, how many are open, how old the
oldest is, and its leverage: how many pilots would pass their next gate if the tag's blockers were
resolved and its areas covered. Sorted by leverage; `s` cycles the sort. Above the table, the open
blockers split by category and by the territory of the pilots carrying them. `enter` lists the pilots
that carry the tag, with each blocker's note.

The counts read in a few GROUP BY queries; the leverage evaluates the gates of every pilot with an open
blocker (seconds at 100k pilots), so it runs in a worker after the counts are on screen.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static

from caio_tui.domain.leverage import TagLeverage
from caio_tui.domain.portfolio_stats import TagSummary
from caio_tui.domain.territory import BlockerCategory, Territory
from caio_tui.domain.text import printable
from caio_tui.store import Portfolio, StoreError
from caio_tui.store.analytics import (
    OpenBlockers,
    TagCarrier,
    blocker_table,
    leverage,
    open_blockers,
    tag_carriers,
    tag_unlocks,
)
from caio_tui.tui.screens.detail import PilotDetailScreen
from caio_tui.tui.screens.view import ViewScreen
from caio_tui.tui.styles.rich_styles import Palette
from caio_tui.tui.widgets.quiet_footer import QuietFooter
from caio_tui.tui.widgets.view_bar import ViewBar
from caio_tui.tui.widgets.virtual_table import Column, SequenceSource, TableRow, VirtualTable

if TYPE_CHECKING:
    from caio_tui.tui.host import CaioHost

LOADING_AFTER_S = 0.1
NARROW_BELOW = 100

CATEGORY_SHORT = {
    BlockerCategory.IDENTITY: "identity",
    BlockerCategory.INFRASTRUCTURE: "infra",
    BlockerCategory.GOVERNANCE: "gov",
    BlockerCategory.ORGANIZATIONAL: "org",
}


@dataclass(frozen=True)
class TagSort:
    key: str
    label: str
    order: Callable[[TagSummary], Any]
    most_first: bool  # the natural order is largest first (the header shows ▼)


# Leverage first (the default), then most open, oldest, by name, by category.
SORTS: tuple[TagSort, ...] = (
    TagSort("leverage", "leverage", lambda t: (-t.leverage, -t.open, t.tag), True),
    TagSort("open", "open", lambda t: (-t.open, -t.leverage, t.tag), True),
    TagSort("oldest", "oldest", lambda t: (-(t.oldest_open_days or -1), t.tag), True),
    TagSort("tag", "tag", lambda t: t.tag, False),
    TagSort("category", "category", lambda t: (t.category.value, -t.leverage, t.tag), False),
)


def tag_columns(width: int) -> tuple[Column, ...]:
    narrow = width < NARROW_BELOW
    return (
        Column("tag", "Tag", 30 if not narrow else 26, min_width=16),
        Column("category", "Category", 15 if not narrow else 8),
        Column("areas", "Areas", 26 if not narrow else 12, min_width=6),
        Column("open", "Open", 7, align="right"),
        Column("oldest", "Oldest", 7, align="right"),
        Column("leverage", "Leverage", 10, align="right"),
    )


def tag_row(t: TagSummary, *, narrow: bool, computing: bool, palette: Palette) -> TableRow:
    quiet = palette.muted if not t.open else Style.null()
    category = CATEGORY_SHORT[t.category] if narrow else t.category.value
    oldest = "—" if t.oldest_open_days is None else f"{t.oldest_open_days}d"
    if computing:
        lever = Text("…", style=palette.muted)
    else:
        lever = Text(f"{t.leverage:,}", style=palette.success + Style(bold=True) if t.leverage else quiet)
    return TableRow(
        t.tag,
        (
            Text(printable(t.tag), style=quiet),
            Text(category, style=quiet),
            Text(printable(", ".join(t.areas) or "—"), style=quiet),
            Text(f"{t.open:,}", style=quiet),
            Text(oldest, style=quiet),
            lever,
        ),
    )


SHORT_NAME = {"infrastructure": "infra", "organizational": "org", "governance": "gov"}


def split_line(title: str, counts: dict[str, int], total: int, *, narrow: bool = False) -> Content:
    """'By category: identity 6 (24%) · ...'; narrow, with short names."""
    parts: list[Content | tuple[str, str] | str] = [(title, "bold"), " "]
    for index, (name, count) in enumerate(counts.items()):
        if index:
            parts.append(" · ")
        share = f" ({round(100 * count / total)}%)" if total else ""
        parts += [f"{SHORT_NAME.get(name, name) if narrow else name} ", (f"{count:,}", "bold"), share]
    return Content.assemble(*parts)


class BlockersScreen(ViewScreen):
    """Every blocker tag by leverage, with the splits by category and territory."""

    DEFAULT_CSS = """
    BlockersScreen .blockers-line {
        height: 1;
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    BlockersScreen #blockers-hint {
        color: $text-muted;
        height: auto;  /* what leverage means matters more than a row of the list: it wraps */
        text-wrap: wrap;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "sort_next", "Sort", id="blockers.sort_next", tooltip="Sort: leverage, open, age, tag, category"),
        Binding(
            "S", "sort_reverse", "Reverse sort", show=False, id="blockers.sort_reverse", tooltip="Reverse the order"
        ),
    ]

    def __init__(self, portfolio: Portfolio) -> None:
        super().__init__(id="blockers-view")
        self.portfolio = portfolio
        self.table_rows: list[TagSummary] = []
        self.by_category: dict[BlockerCategory, int] = {}
        self.by_territory: dict[Territory, int] = {}
        self.computing = True  # the leverage is being computed
        self.sort = SORTS[0]
        self.descending = False  # the sorts' natural order (most first) unless reversed
        self._serial = 0
        self._loading_timer: Timer | None = None

    @property
    def caio(self) -> CaioHost:
        return cast("CaioHost", self.app)

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#tags", VirtualTable)

    def compose(self) -> ComposeResult:
        yield ViewBar("blockers")
        yield Static("", id="blockers-title", classes="blockers-line")
        yield Static("", id="by-category", classes="blockers-line")
        yield Static("", id="by-territory", classes="blockers-line")
        yield VirtualTable(
            tag_columns(self.app.size.width - 1),
            None,
            empty_message="No blocker tags",
            stretch_last=False,
            id="tags",
        )
        yield Static(
            "enter: its pilots · Leverage: pilots that would pass their next gate if the tag were fixed (its "
            "blockers resolved and its areas covered)",
            id="blockers-hint",
            classes="blockers-line",
        )
        yield QuietFooter()

    def on_mount(self) -> None:
        self.table.focus()
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._show())
        self.load()

    def on_resize(self) -> None:
        columns = tag_columns(self.size.width - 1)
        if columns != self.table.columns:
            self.table.set_columns(columns)
            self._show()

    # ---- loading -------------------------------------------------------------------------------------

    def load(self) -> None:
        """The counts first (quick), then the leverage (slow on a large portfolio), each in a worker."""
        self._stale = False
        self._serial += 1
        if self._loading_timer is None:
            self._loading_timer = self.set_timer(LOADING_AFTER_S, self._show_loading)
        self._load(self._serial)

    def _show_loading(self) -> None:
        self._loading_timer = None
        if not self.table_rows:
            self.table.loading = True

    @work(exclusive=True, group="blockers.load")
    async def _load(self, serial: int) -> None:
        try:
            counts = await asyncio.to_thread(_read_counts, self.portfolio)
        except StoreError as exc:
            self._failed(exc, serial)
            return
        if serial != self._serial:
            return
        figures, self.table_rows = counts
        self.by_category, self.by_territory = figures.by_category, figures.by_territory
        self.computing = True
        self._loaded()
        self._show()
        try:
            lever = await asyncio.to_thread(partial(leverage, self.portfolio, carriers=False))
            table = await asyncio.to_thread(blocker_table, self.portfolio, lever, figures)
        except StoreError as exc:
            self._failed(exc, serial)
            return
        if serial != self._serial:
            return
        self.table_rows = table
        self.computing = False
        self._show()

    def _loaded(self) -> None:
        if self._loading_timer is not None:
            self._loading_timer.stop()
            self._loading_timer = None
        self.table.loading = False

    def _failed(self, exc: StoreError, serial: int) -> None:
        if serial == self._serial:
            self._loaded()
            self.notify(str(exc), title="Cannot read the portfolio", severity="error", markup=False)

    # ---- drawing -------------------------------------------------------------------------------------

    def sorted_rows(self) -> list[TagSummary]:
        ordered = sorted(self.table_rows, key=self.sort.order)
        return ordered[::-1] if self.descending else ordered

    def _show(self) -> None:
        if not self.is_mounted:
            return
        narrow = self.size.width - 1 < NARROW_BELOW
        palette = Palette.from_theme(self.app.theme_variables)
        rows = [tag_row(t, narrow=narrow, computing=self.computing, palette=palette) for t in self.sorted_rows()]
        at_top = self.table.cursor_index <= 0
        self.table.set_source(SequenceSource(rows), keep_cursor_key=True)
        if at_top:  # a cursor on the first row stays there (the leverage arrives and re-sorts the rows)
            self.table.move_cursor(0)
        self.table.set_sort(self.sort.key, self.sort.most_first != self.descending)
        total = sum(self.by_category.values())
        carriers = {t: n for t, n in self.by_territory.items() if t not in (Territory.CLEAR, Territory.UNASSESSED)}
        tags_open = sum(1 for t in self.table_rows if t.open)
        title: list[Content | tuple[str, str] | str] = [
            ("Blockers", "bold"),
            " · ",
            (f"{total:,}", "bold"),
            f" open, {tags_open} of {len(self.table_rows)} tags in use · sort: ",
            (self.sort.label + (" (reversed)" if self.descending else ""), "bold"),
        ]
        if self.computing:
            title += [" · ", ("computing leverage…", "$text-warning")]
        self.query_one("#blockers-title", Static).update(Content.assemble(*title))
        self.query_one("#by-category", Static).update(
            split_line("By category:", {c.value: n for c, n in self.by_category.items()}, total, narrow=narrow)
        )
        self.query_one("#by-territory", Static).update(
            split_line("By territory:", {t.value: n for t, n in carriers.items()}, total, narrow=narrow)
        )

    # ---- keys ----------------------------------------------------------------------------------------

    def action_sort_next(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self.descending = False
        self._show()

    def action_sort_reverse(self) -> None:
        self.descending = not self.descending
        self._show()

    @on(VirtualTable.HeaderSelected, "#tags")
    def _header_clicked(self, event: VirtualTable.HeaderSelected) -> None:
        chosen = next((s for s in SORTS if s.key == event.column_key), None)
        if chosen is None:
            return
        self.descending = not self.descending if chosen is self.sort else False
        self.sort = chosen
        self._show()

    @on(VirtualTable.RowActivated, "#tags")
    def _open_tag(self, event: VirtualTable.RowActivated) -> None:
        found = next((t for t in self.table_rows if t.tag == event.key), None)
        if found is not None:
            self.app.push_screen(TagPilotsScreen(self.portfolio, found, computing=self.computing))


def _read_counts(portfolio: Portfolio) -> tuple[OpenBlockers, list[TagSummary]]:
    """Runs in a worker: the open blockers' counts (one pass over them) and the tag table without leverage."""
    no_leverage: list[TagLeverage] = []
    figures = open_blockers(portfolio)
    return figures, blocker_table(portfolio, no_leverage, figures)


# ---- the pilots that carry a tag --------------------------------------------------------------------


RECHECK_CARRIERS = 200  # up to this many carriers, which of them a fix unlocks is read again on every load


def carrier_columns(width: int) -> tuple[Column, ...]:
    return (
        Column("id", "ID", 9),
        Column("name", "Name", 30 if width >= NARROW_BELOW else 20, min_width=12),
        Column("stage", "Stage", 10),
        Column("days", "Open", 6, align="right"),
        Column("unlocks", "Unlocks", 7),
        Column("note", "Note", 20, min_width=8),
    )


class TagPilotsScreen(Screen[None]):
    """The pilots (not retired) with an open blocker of one tag; `enter` opens a pilot, `esc` goes back."""

    DEFAULT_CSS = """
    TagPilotsScreen #carriers-title {
        height: auto;
        padding: 0 1;
    }
    TagPilotsScreen #carrier-note {
        height: auto;
        max-height: 6;
        padding: 0 1;
        border-top: solid $panel;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="blockers.carriers.back", tooltip="Back to the blocker tags"),
    ]

    def __init__(self, portfolio: Portfolio, tag: TagSummary, *, computing: bool = False) -> None:
        super().__init__(id="tag-pilots")
        self.portfolio = portfolio
        self.tag = tag
        self.computing = computing  # the leverage was not known yet when the tag was opened
        self.carriers: list[TagCarrier] = []

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#carriers", VirtualTable)

    def compose(self) -> ComposeResult:
        yield ViewBar("blockers")
        yield Static(self._title(), id="carriers-title")
        yield VirtualTable(
            carrier_columns(self.app.size.width - 1),
            None,
            empty_message="No pilot carries this blocker now",
            id="carriers",
        )
        yield Static("", id="carrier-note")
        yield QuietFooter()

    def _title(self) -> Content:
        t = self.tag
        parts: list[Content | tuple[str, str] | str] = [
            (printable(t.tag), "bold"),
            f" · {t.category.value}",
            f" · areas: {printable(', '.join(t.areas) or '—')}",
            " · ",
            (str(t.open), "bold"),
            " open · leverage ",
            ("…", "$text-muted")
            if self.computing
            else (str(t.leverage), "bold $text-success" if t.leverage else "bold"),
        ]
        if t.description:
            parts += ["\n", (printable(t.description), "$text-muted")]
        return Content.assemble(*parts)

    def on_mount(self) -> None:
        self.table.focus()
        self.load()

    def on_screen_resume(self, _event: Any) -> None:
        if self.is_mounted:
            self.load()  # back from a pilot, which may have resolved this blocker

    @work(exclusive=True, group="blockers.carriers")
    async def load(self) -> None:
        try:
            self.carriers, unlocks = await asyncio.to_thread(self._read)
        except StoreError as exc:
            self.notify(str(exc), title="Cannot read the portfolio", severity="error", markup=False)
            return
        rows = [
            TableRow(
                c.pilot.id,
                (
                    c.pilot.id,
                    printable(c.pilot.name),
                    c.pilot.stage.value,
                    f"{c.open_days}d",
                    "…" if self.computing else Text("yes", style="bold") if c.pilot.id in unlocks else "",
                    printable(c.note),
                ),
            )
            for c in self.carriers
        ]
        self.table.set_source(SequenceSource(rows), keep_cursor_key=True)

    def _read(self) -> tuple[list[TagCarrier], set[str]]:
        """Runs in a worker: the carriers, and which of them a fix unlocks now (read again on every load:
        an override or a resolved blocker elsewhere changes it; the view's leverage waits for its reload)."""
        carriers = tag_carriers(self.portfolio, self.tag.tag)
        if self.computing:
            return carriers, set()
        # The pilots it unlocked when the view read the leverage, and every carrier of a short list: each
        # is one pilot's gate evaluated (a tag on thousands of pilots keeps the view's figure meanwhile).
        ids = [c.pilot.id for c in carriers]
        check = set(self.tag.unlocks) | (set(ids) if len(ids) <= RECHECK_CARRIERS else set())
        return carriers, tag_unlocks(self.portfolio, self.tag.tag, [i for i in ids if i in check])

    @on(VirtualTable.CursorMoved, "#carriers")
    def _show_note(self, event: VirtualTable.CursorMoved) -> None:
        """The whole note of the blocker on the cursor pilot (the column clips it)."""
        found = next((c for c in self.carriers if c.pilot.id == event.key), None)
        note = self.query_one("#carrier-note", Static)
        if found is None:
            note.update("")
            return
        note.update(
            Content.assemble(
                (found.pilot.id, "bold"),
                f" · open {found.open_days} days: ",
                printable(found.note, single_line=False) or ("no note", "$text-muted"),
            )
        )

    @on(VirtualTable.RowActivated, "#carriers")
    def _open(self, event: VirtualTable.RowActivated) -> None:
        self.app.push_screen(PilotDetailScreen(self.portfolio, event.key))

    def action_back(self) -> None:
        self.app.pop_screen()


__all__ = ["BlockersScreen", "TagPilotsScreen", "split_line", "tag_columns", "tag_row"]
