"""A table that draws only the rows on screen, reading them page by page from a data source. One job (the
widget, its cursor, scrolling and caches) in one file, over 500 lines.

Textual's ``DataTable`` measures every cell it holds: at 100k rows its first frame takes seconds.
``VirtualTable`` is a Line API widget (``ScrollView`` + ``render_line``): it asks its
:class:`RowSource` for the row count once, then for the few pages of rows that are on screen, and
keeps a small LRU cache of pages and of rendered lines. Opening a table of a million rows or jumping
to its last row costs a ``count()`` and one or two ``page()`` calls.

The widget knows nothing of the domain: a source yields :class:`TableRow` objects (a stable key,
display cells, a "marked" flag) in display order, and the widget reports cursor moves and
activations with messages carrying the row key. Over 500 lines as one job: the table widget.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal, NamedTuple, Protocol, runtime_checkable

from rich.cells import cell_len, set_cell_size
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

__all__ = [
    "Cell",
    "Column",
    "KeyIndexedRowSource",
    "RowSource",
    "SequenceSource",
    "TableRow",
    "VirtualTable",
]

Cell = str | Text
"""A cell: a plain ``str`` is always shown literally (never parsed as markup); use
:class:`rich.text.Text` for styled content."""

MARKER = "●"
"""Glyph drawn in the gutter of marked rows."""

GUTTER_WIDTH = 2
"""Cells reserved left of the first column for the marker."""

SEPARATOR_WIDTH = 1
"""Blank cells between two columns."""

ELLIPSIS = "…"

# Control characters would break the line structure of the terminal: show them as spaces.
_CONTROL_TO_SPACE = {code: " " for code in (*range(0x20), 0x7F, *range(0x80, 0xA0))}


@dataclass(frozen=True, slots=True)
class Column:
    """A table column.

    ``width`` is the preferred width in cells. When the table is narrower than the columns need,
    columns with a ``min_width`` give up cells (down to that minimum) before the row is clipped.
    """

    key: str
    label: str
    width: int
    align: Literal["left", "right"] = "left"
    min_width: int | None = None


@dataclass(frozen=True, slots=True)
class TableRow:
    """One row as the table shows it: a stable ``key``, its display ``cells`` (one per column,
    in column order) and whether it is ``marked``."""

    key: str
    cells: tuple[Cell, ...]
    marked: bool = False


class RowSource(Protocol):
    """Where a :class:`VirtualTable` reads its rows."""

    def count(self) -> int:
        """Total rows (under the source's current filter)."""
        ...

    def page(self, offset: int, limit: int) -> Sequence[TableRow]:
        """Up to ``limit`` rows starting at row ``offset``, in display order."""
        ...


@runtime_checkable
class KeyIndexedRowSource(RowSource, Protocol):
    """A source that can also tell where a key sits (for instance with a ``COUNT`` over the sort
    key). When a source offers ``index_of``, :meth:`VirtualTable.refresh_data` keeps the cursor on
    its row wherever the row moved; otherwise it looks only in a few pages."""

    def index_of(self, key: str) -> int | None:
        """Display index of the row with ``key``, or ``None`` if it is not in the source."""
        ...


class SequenceSource:
    """A :class:`RowSource` over rows held in memory (small lists, tests)."""

    def __init__(self, rows: Iterable[TableRow] = ()) -> None:
        self.rows: list[TableRow] = list(rows)

    def count(self) -> int:
        return len(self.rows)

    def page(self, offset: int, limit: int) -> Sequence[TableRow]:
        return self.rows[offset : offset + limit]

    def index_of(self, key: str) -> int | None:
        for index, row in enumerate(self.rows):
            if row.key == key:
                return index
        return None


@dataclass(frozen=True, slots=True)
class _Layout:
    """Column widths resolved for one viewport width."""

    viewport_width: int
    widths: tuple[int, ...]
    offsets: tuple[int, ...]
    total: int


class _Styles(NamedTuple):
    base: Style
    header: Style
    cursor: Style
    marked: Style
    cursor_marked: Style
    marker: Style
    empty: Style


def _resolve_layout(columns: Sequence[Column], viewport_width: int, stretch_last: bool) -> _Layout:
    """Fit the columns to ``viewport_width``: stretch the last column into spare room, shrink the
    columns that have a ``min_width`` (largest slack first) when room is short."""
    widths = [max(0, column.width) for column in columns]
    separators = SEPARATOR_WIDTH * max(0, len(columns) - 1)
    natural = GUTTER_WIDTH + sum(widths) + separators
    if natural > viewport_width:
        slack = [
            max(0, width - max(0, column.min_width)) if column.min_width is not None else 0
            for column, width in zip(columns, widths, strict=True)
        ]
        deficit = natural - viewport_width
        while deficit > 0 and slack:
            index = max(range(len(slack)), key=slack.__getitem__)
            if slack[index] == 0:
                break
            slack[index] -= 1
            widths[index] -= 1
            deficit -= 1
    elif natural < viewport_width and stretch_last and widths:
        widths[-1] += viewport_width - natural
    offsets: list[int] = []
    x = GUTTER_WIDTH
    for width in widths:
        offsets.append(x)
        x += width + SEPARATOR_WIDTH
    total = GUTTER_WIDTH + sum(widths) + separators
    return _Layout(viewport_width, tuple(widths), tuple(offsets), total)


def _fit_str(value: str, width: int, right: bool) -> str:
    """``value`` as exactly ``width`` cells: truncated with an ellipsis or padded."""
    if width <= 0:
        return ""
    if not value.isprintable():
        value = value.translate(_CONTROL_TO_SPACE)
    length = len(value) if value.isascii() else cell_len(value)
    if length > width:
        return set_cell_size(value, width - 1) + ELLIPSIS
    padding = " " * (width - length)
    return padding + value if right else value + padding


def _fit_text(text: Text, width: int, right: bool, style: Style, console: Console) -> list[Segment]:
    """Segments of a rich ``Text`` as exactly ``width`` cells, over the row ``style``."""
    if width <= 0:
        return []
    plain = text.plain
    if plain.isprintable():
        fitted = text.copy()
    else:
        # One character for one: the spans stay valid.
        fitted = Text(plain.translate(_CONTROL_TO_SPACE), style=text.style, spans=list(text.spans))
    fitted.truncate(width, overflow="ellipsis")
    text_style = style
    if fitted.style:
        # Text.render leaves the text's own base style to the console: apply it here.
        text_style = style + console.get_style(fitted.style, default=Style.null())
    segments = list(Segment.apply_style(fitted.render(console), text_style))
    padding = width - fitted.cell_len
    if padding > 0:
        pad = Segment(" " * padding, style)
        if right:
            segments.insert(0, pad)
        else:
            segments.append(pad)
    return segments


def _sorted_label(label: str, arrow: str, width: int) -> str:
    """A sorted column's label with its arrow after it, on every column: an arrow before a right-aligned
    label reads as the column to its left's ("Open ▼ Oldest"). Spaced when it fits, else attached, else
    the label gives way."""
    if cell_len(label) + 2 <= width:
        return f"{label} {arrow}"
    if cell_len(label) + 1 <= width:
        return f"{label}{arrow}"
    return _fit_str(label, width - 1, right=False) + arrow


class VirtualTable(ScrollView, can_focus=True):
    """A focusable table over a :class:`RowSource` that renders only the visible rows.

    The first line is a sticky header; each row starts with a 2-cell gutter that shows
    :data:`MARKER` for marked rows. Column widths are fixed (the last column stretches into spare
    room), cells are truncated with an ellipsis, and columns too wide for the table are clipped
    (scroll horizontally with left/right).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False, id="table.cursor_up"),
        Binding("down,j", "cursor_down", "Down", show=False, id="table.cursor_down"),
        Binding("g,home", "cursor_top", "Top", show=False, id="table.cursor_top"),
        Binding("G,end", "cursor_bottom", "Bottom", show=False, id="table.cursor_bottom"),
        Binding("pageup", "page_up", "Page up", show=False, id="table.page_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="table.page_down"),
        Binding("enter", "activate", "Open", id="table.activate"),
    ]
    """
    | Key(s) | Description |
    | :- | :- |
    | up, k | Move the cursor up. |
    | down, j | Move the cursor down. |
    | g, home | Move the cursor to the first row. |
    | G, end | Move the cursor to the last row. |
    | pageup | Move the cursor up a screenful. |
    | pagedown | Move the cursor down a screenful. |
    | enter | Post `RowActivated` for the cursor row. |
    | left, right | Scroll horizontally when the columns are wider than the table. |
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "virtual-table--header",
        "virtual-table--cursor",
        "virtual-table--marked",
        "virtual-table--marker",
        "virtual-table--empty",
    }
    """
    | Class | Description |
    | :- | :- |
    | `virtual-table--header` | The header line. |
    | `virtual-table--cursor` | The cursor row. |
    | `virtual-table--marked` | Marked rows. |
    | `virtual-table--marker` | The marker glyph in the gutter. |
    | `virtual-table--empty` | The message shown when there are no rows. |
    """

    DEFAULT_CSS = """
    VirtualTable {
        height: 1fr;
        background: $surface;
        color: $foreground;
        &:focus {
            background-tint: $foreground 5%;
            & > .virtual-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
        & > .virtual-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .virtual-table--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .virtual-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        & > .virtual-table--marked {
            color: $text-accent;
        }
        & > .virtual-table--marker {
            color: $accent;
            text-style: bold;
        }
        & > .virtual-table--empty {
            color: $text-muted;
            text-style: italic;
        }
    }
    """

    empty_message: reactive[str] = reactive("No rows")
    """Shown under the header when the source has no rows."""

    class CursorMoved(Message):
        """The cursor moved to another row (or the table became empty: ``key`` is ``None``)."""

        def __init__(self, table: VirtualTable, key: str | None, index: int) -> None:
            super().__init__()
            self.table = table
            self.key = key
            self.index = index

        @property
        def control(self) -> VirtualTable:
            return self.table

    class RowActivated(Message):
        """A row was activated (enter, or double click)."""

        def __init__(self, table: VirtualTable, key: str, index: int) -> None:
            super().__init__()
            self.table = table
            self.key = key
            self.index = index

        @property
        def control(self) -> VirtualTable:
            return self.table

    class HeaderSelected(Message):
        """A column label in the header was clicked (e.g. to sort by it)."""

        def __init__(self, table: VirtualTable, column_key: str, column_index: int) -> None:
            super().__init__()
            self.table = table
            self.column_key = column_key
            self.column_index = column_index

        @property
        def control(self) -> VirtualTable:
            return self.table

    def __init__(
        self,
        columns: Sequence[Column],
        source: RowSource | None = None,
        *,
        page_size: int = 100,
        cache_pages: int = 8,
        empty_message: str = "No rows",
        stretch_last: bool = True,
        prefetch: bool = False,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """
        Args:
            columns: The columns, left to right.
            source: Where rows come from (``None``: an empty table until :meth:`set_source`).
            page_size: Rows per ``source.page()`` call.
            cache_pages: How many pages the LRU page cache holds (at least 2).
            empty_message: Shown when the source has no rows.
            stretch_last: Let the last column take the spare width.
            prefetch: Read the page above and below the screen in a worker thread once the table is
                drawn, so a page up or down finds its rows cached (for a source whose ``page()``
                reads a database; the source must then be safe to call from a thread).
        """
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self._columns: tuple[Column, ...] = tuple(columns)
        self._source: RowSource | None = source
        self._page_size = page_size
        self._stretch_last = stretch_last
        self._pages: LRUCache[int, tuple[TableRow, ...]] = LRUCache(max(2, cache_pages))
        self._strips: LRUCache[tuple[str, bool], Strip] = LRUCache(1024)
        self._row_count = 0
        self._cursor = -1
        self._sort: tuple[str, bool] | None = None
        self._layout: _Layout | None = None
        self._styles: _Styles | None = None
        self._header_strip: Strip | None = None
        self._render_width = 0
        self._last_posted: tuple[int, str | None] | None = None
        self._loaded = False
        self._prefetch = prefetch
        self._generation = 0  # bumped when cached pages are dropped: a prefetch of before is stale
        self._prefetching: set[int] = set()
        self.page_fetches = 0
        """How many times ``source.page()`` was called (diagnostics, tests)."""
        self.set_reactive(VirtualTable.empty_message, empty_message)

    # ------------------------------------------------------------------ public API

    @property
    def columns(self) -> tuple[Column, ...]:
        return self._columns

    @property
    def source(self) -> RowSource | None:
        return self._source

    @property
    def page_size(self) -> int:
        """Rows per ``source.page()`` call; page ``n`` starts at row ``n * page_size``."""
        return self._page_size

    @property
    def visible_rows(self) -> int:
        """Rows that fit under the header."""
        return self._visible_rows()

    @property
    def row_count(self) -> int:
        """Rows in the source, as of the last ``count()``."""
        return self._row_count

    @property
    def cursor_index(self) -> int:
        """Index of the cursor row, ``-1`` when the table is empty."""
        return self._cursor

    @property
    def cursor_key(self) -> str | None:
        """Key of the cursor row, ``None`` when the table is empty."""
        row = self.get_row(self._cursor)
        return None if row is None else row.key

    @property
    def sort(self) -> tuple[str, bool] | None:
        """``(column_key, descending)`` shown in the header, or ``None``."""
        return self._sort

    def get_row(self, index: int) -> TableRow | None:
        """The row at ``index`` (read through the page cache), or ``None`` if out of range."""
        if self._source is None or not 0 <= index < self._row_count:
            return None
        page_number, position = divmod(index, self._page_size)
        page = self._pages.get(page_number)
        if page is None:
            page = self._fetch_page(page_number)
        return page[position] if position < len(page) else None

    def set_source(self, source: RowSource | None, *, keep_cursor_key: bool = True, cursor: int | None = None) -> None:
        """Show another source (e.g. a new filter): resets the caches and re-reads the count. With
        ``cursor``, the cursor goes to that row (clamped) rather than staying on its key or index."""
        self._source = source
        if self.is_mounted:
            self.refresh_data(keep_cursor_key=keep_cursor_key and cursor is None, cursor=cursor)

    def refresh_data(
        self, keep_cursor_key: bool = True, *, count: int | None = None, cursor: int | None = None
    ) -> None:
        """Drop the cached pages, re-read ``count()`` (unless ``count`` is given, e.g. computed in a
        worker) and redraw.

        With ``cursor`` the cursor goes to that row (clamped: a caller that knows where its row went
        reads no other page). Else with ``keep_cursor_key`` the cursor stays on its row if the row is
        still near where it was or in the first pages (anywhere, if the source offers ``index_of``);
        otherwise the cursor keeps its index, clamped to the new row count.
        """
        old_key = self._last_posted[1] if keep_cursor_key and cursor is None and self._last_posted else None
        old_index = self._cursor if cursor is None else cursor
        self._drop_pages()
        source = self._source
        if source is None:
            self._row_count = 0
        else:
            self._row_count = max(0, count if count is not None else source.count())
        if self._row_count == 0:
            self._cursor = -1
        else:
            new_index = self._locate(old_key, old_index) if old_key is not None else None
            if new_index is None:
                new_index = min(max(old_index, 0), self._row_count - 1)
            self._cursor = new_index
        self._loaded = True
        self._update_virtual_size()
        self.refresh()
        if self.scroll_y > self.max_scroll_y:
            self.scroll_to(y=self.max_scroll_y, animate=False, force=True)
        self._scroll_cursor_into_view()
        self._post_cursor_moved()

    def reload_pages(self) -> None:
        """Drop the cached pages and redraw, keeping the row count and the cursor index (after an
        edit that changes rows but not how many there are, e.g. marking a row)."""
        self._drop_pages()
        self.refresh()
        self._post_cursor_moved()

    def set_columns(self, columns: Sequence[Column]) -> None:
        """Replace the columns (rows must then have cells for the new columns)."""
        self._columns = tuple(columns)
        self._invalidate_layout()
        self._update_virtual_size()
        self.refresh()

    def set_sort(self, column_key: str | None, descending: bool = False) -> None:
        """Show a sort arrow on ``column_key`` in the header (``None`` clears it). Sorting itself
        is the source's business: re-sort it, then call :meth:`refresh_data`."""
        self._sort = None if column_key is None else (column_key, descending)
        self._header_strip = None
        self.refresh(Region(0, 0, self.size.width, 1))

    def move_cursor(self, index: int, *, scroll: bool = True) -> None:
        """Put the cursor on row ``index`` (clamped) and scroll it into view."""
        if self._row_count == 0:
            return
        index = max(0, min(index, self._row_count - 1))
        old = self._cursor
        if index != old:
            self._cursor = index
            self._refresh_row(old)
            self._refresh_row(index)
        if scroll:
            self._scroll_cursor_into_view()
        self._post_cursor_moved()

    # ------------------------------------------------------------------ actions

    def action_cursor_up(self) -> None:
        self.move_cursor(self._cursor - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self._cursor + 1)

    def action_cursor_top(self) -> None:
        self.move_cursor(0)

    def action_cursor_bottom(self) -> None:
        self.move_cursor(self._row_count - 1)

    def action_page_down(self) -> None:
        self._page(+1)

    def action_page_up(self) -> None:
        self._page(-1)

    def action_activate(self) -> None:
        key = self.cursor_key
        if key is not None:
            self.post_message(self.RowActivated(self, key, self._cursor))

    # ------------------------------------------------------------------ events

    def on_mount(self) -> None:
        if not self._loaded:
            self.refresh_data(keep_cursor_key=False)

    def on_resize(self, _event: events.Resize) -> None:
        self._invalidate_layout()
        self._scroll_cursor_into_view()

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        x, y = offset
        if y == 0:
            column_index = self._column_at(x + round(self.scroll_x))
            if column_index is not None:
                column = self._columns[column_index]
                self.post_message(self.HeaderSelected(self, column.key, column_index))
            return
        index = round(self.scroll_y) + y - 1
        if not 0 <= index < self._row_count:
            return
        self.move_cursor(index)
        if event.chain >= 2:
            self.action_activate()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = None

    # ------------------------------------------------------------------ rendering

    def render_lines(self, crop: Region) -> list[Strip]:
        self._prepare_render()
        lines = super().render_lines(crop)
        if self._prefetch:
            self._prefetch_neighbours()
        return lines

    def render_line(self, y: int) -> Strip:
        if self._styles is None or self._layout is None:
            self._prepare_render()
        styles = self._styles
        layout = self._layout
        assert styles is not None and layout is not None
        width = self._render_width
        scroll_x, scroll_y = self.scroll_offset
        if y == 0:
            if self._header_strip is None:
                self._header_strip = self._render_header(layout, styles.header)
            return self._crop(self._header_strip, scroll_x, width, styles.base)
        if self._row_count == 0:
            if y == 1:
                message = _fit_str(self.empty_message, width, right=False).rstrip()
                left = (width - cell_len(message)) // 2
                return Strip([Segment(_fit_str(" " * left + message, width, False), styles.empty)], width)
            return Strip.blank(width, styles.base)
        index = scroll_y + y - 1
        row = self.get_row(index)
        if row is None:
            return Strip.blank(width, styles.base)
        is_cursor = index == self._cursor
        cache_key = (row.key, is_cursor)
        strip = self._strips.get(cache_key)
        if strip is None:
            strip = self._render_row(row, is_cursor, layout, styles)
            self._strips.set(cache_key, strip)
        return self._crop(strip, scroll_x, width, styles.base)

    # ------------------------------------------------------------------ internals

    class _Prefetched(Message):
        """A page read in a worker thread (private: posted by the table to itself)."""

        def __init__(self, generation: int, page_number: int, rows: tuple[TableRow, ...]) -> None:
            super().__init__()
            self.generation = generation
            self.page_number = page_number
            self.rows = rows

    def _drop_pages(self) -> None:
        self._pages.clear()
        self._strips.clear()
        self._generation += 1
        self._prefetching.clear()

    def _prefetch_neighbours(self) -> None:
        """Start reading, in a worker, the pages within a screenful above and below the visible rows that
        are not cached yet, so page up and page down draw from the cache."""
        source = self._source
        if source is None or self._row_count == 0:
            return
        visible = self._visible_rows()
        top = round(self.scroll_y)
        first = max(0, top - visible) // self._page_size
        last = min(self._row_count - 1, top + 2 * visible) // self._page_size
        for page_number in range(first, last + 1):
            if page_number in self._pages or page_number in self._prefetching:
                continue
            self._prefetching.add(page_number)
            generation = self._generation

            def read(page_number: int = page_number, generation: int = generation) -> None:
                rows = tuple(source.page(page_number * self._page_size, self._page_size))
                self.post_message(self._Prefetched(generation, page_number, rows))

            self.run_worker(read, thread=True, group="virtual-table.prefetch", exit_on_error=False)

    def on_virtual_table__prefetched(self, message: _Prefetched) -> None:
        message.stop()
        if message.generation != self._generation:
            return  # the source changed (or its pages were dropped) while this page was read
        self._prefetching.discard(message.page_number)
        if message.rows and message.page_number not in self._pages:
            self._pages.set(message.page_number, message.rows)
            self.page_fetches += 1

    def _fetch_page(self, page_number: int) -> tuple[TableRow, ...]:
        assert self._source is not None
        rows = tuple(self._source.page(page_number * self._page_size, self._page_size))
        self.page_fetches += 1
        self._pages.set(page_number, rows)
        return rows

    def _locate(self, key: str, hint: int) -> int | None:
        """Where ``key`` is now: ask the source if it can tell, else look in the page of ``hint``,
        its neighbours and the first two pages."""
        source = self._source
        if source is None:
            return None
        if isinstance(source, KeyIndexedRowSource):
            index = source.index_of(key)
            return index if index is not None and 0 <= index < self._row_count else None
        hint_page = max(hint, 0) // self._page_size
        last_page = (self._row_count - 1) // self._page_size
        for page_number in dict.fromkeys((hint_page, hint_page - 1, hint_page + 1, 0, 1)):
            if not 0 <= page_number <= last_page:
                continue
            page = self._pages.get(page_number)
            if page is None:
                page = self._fetch_page(page_number)
            for position, row in enumerate(page):
                if row.key == key:
                    return page_number * self._page_size + position
        return None

    def _post_cursor_moved(self) -> None:
        state = (self._cursor, self.cursor_key)
        if state != self._last_posted:
            self._last_posted = state
            self.post_message(self.CursorMoved(self, state[1], state[0]))

    def _visible_rows(self) -> int:
        """Rows that fit under the header."""
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_cursor_into_view(self) -> None:
        if self._cursor < 0:
            return
        top = round(self.scroll_y)
        visible = self._visible_rows()
        if self._cursor < top:
            target = self._cursor
        elif self._cursor >= top + visible:
            target = self._cursor - visible + 1
        else:
            return
        self.scroll_to(y=target, animate=False, force=True)

    def _page(self, direction: int) -> None:
        if self._row_count == 0:
            return
        visible = self._visible_rows()
        on_screen = self._cursor - round(self.scroll_y)
        index = max(0, min(self._cursor + direction * visible, self._row_count - 1))
        target = max(0, min(index - on_screen, self.max_scroll_y))
        self.scroll_to(y=target, animate=False, force=True)
        self.move_cursor(index)

    def _refresh_row(self, index: int) -> None:
        if index >= 0:
            self.refresh_line(index + 1)

    def _column_at(self, x: int) -> int | None:
        layout = self._layout or _resolve_layout(
            self._columns, self.scrollable_content_region.width, self._stretch_last
        )
        for index, (start, width) in enumerate(zip(layout.offsets, layout.widths, strict=True)):
            if start <= x < start + width:
                return index
        return None

    def _min_total_width(self) -> int:
        return _resolve_layout(self._columns, 0, stretch_last=False).total

    def _update_virtual_size(self) -> None:
        self.virtual_size = Size(self._min_total_width(), self._row_count + 1)

    def _invalidate_layout(self) -> None:
        self._layout = None
        self._header_strip = None
        self._strips.clear()

    def _prepare_render(self) -> None:
        """Once per render pass: resolve the styles and the layout, dropping cached lines if
        either changed."""
        width = self.scrollable_content_region.width
        get = self.get_component_rich_style
        marked = get("virtual-table--marked")
        cursor = get("virtual-table--cursor")
        styles = _Styles(
            base=self.rich_style,
            header=get("virtual-table--header"),
            cursor=cursor,
            marked=marked,
            cursor_marked=marked + cursor,
            marker=get("virtual-table--marker"),
            empty=get("virtual-table--empty"),
        )
        if styles != self._styles:
            self._styles = styles
            self._header_strip = None
            self._strips.clear()
        if self._layout is None or self._layout.viewport_width != width:
            self._invalidate_layout()
            self._layout = _resolve_layout(self._columns, width, self._stretch_last)
        self._render_width = width

    @staticmethod
    def _crop(strip: Strip, scroll_x: int, width: int, style: Style) -> Strip:
        if scroll_x == 0 and strip.cell_length == width:
            return strip
        return strip.crop_extend(scroll_x, scroll_x + width, style)

    def _render_header(self, layout: _Layout, style: Style) -> Strip:
        parts = [" " * GUTTER_WIDTH]
        sort = self._sort
        for index, (column, width) in enumerate(zip(self._columns, layout.widths, strict=True)):
            if index:
                parts.append(" " * SEPARATOR_WIDTH)
            right = column.align == "right"
            label = column.label
            if sort is not None and sort[0] == column.key and width >= 3:
                label = _sorted_label(label, "▼" if sort[1] else "▲", width)
            parts.append(_fit_str(label, width, right))
        return Strip([Segment("".join(parts), style)], layout.total)

    def _render_row(self, row: TableRow, is_cursor: bool, layout: _Layout, styles: _Styles) -> Strip:
        if is_cursor:
            style = styles.cursor_marked if row.marked else styles.cursor
        else:
            style = styles.marked if row.marked else styles.base
        if row.marked:
            gutter = Segment(MARKER.ljust(GUTTER_WIDTH), style if is_cursor else styles.marker)
        else:
            gutter = Segment(" " * GUTTER_WIDTH, style)
        segments = [gutter]
        buffer: list[str] = []
        cells = row.cells
        cell_count = len(cells)
        for index, (column, width) in enumerate(zip(self._columns, layout.widths, strict=True)):
            if index:
                buffer.append(" " * SEPARATOR_WIDTH)
            cell = cells[index] if index < cell_count else ""
            right = column.align == "right"
            if isinstance(cell, str):
                buffer.append(_fit_str(cell, width, right))
            else:
                if buffer:
                    segments.append(Segment("".join(buffer), style))
                    buffer = []
                segments.extend(_fit_text(cell, width, right, style, self.app.console))
        if buffer:
            segments.append(Segment("".join(buffer), style))
        return Strip(segments, layout.total)
