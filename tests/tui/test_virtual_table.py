"""VirtualTable: paging, cursor, messages, rendering."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from rich.text import Text
from textual.app import App, ComposeResult
from textual.pilot import Pilot

from caio_tui.tui.widgets.virtual_table import (
    Column,
    RowSource,
    SequenceSource,
    TableRow,
    VirtualTable,
)

COLUMNS = (
    Column("name", "Name", 24, min_width=10),
    Column("status", "Status", 12),
    Column("score", "Score", 6, align="right"),
)


def make_row(index: int) -> TableRow:
    return TableRow(
        key=f"p{index}",
        cells=(f"pilot {index}", Text("active", style="green"), str(index % 100)),
        marked=index % 7 == 0,
    )


class LazySource:
    """100,000 rows that exist only when a page asks for them; counts its calls."""

    def __init__(self, total: int = 100_000) -> None:
        self.total = total
        self.count_calls = 0
        self.pages: list[tuple[int, int]] = []

    def count(self) -> int:
        self.count_calls += 1
        return self.total

    def page(self, offset: int, limit: int) -> Sequence[TableRow]:
        self.pages.append((offset, limit))
        return [make_row(index) for index in range(offset, min(offset + limit, self.total))]


class ListSource:
    """Rows in memory, without ``index_of`` (the table must search pages for the cursor key)."""

    def __init__(self, rows: list[TableRow]) -> None:
        self.rows = rows

    def count(self) -> int:
        return len(self.rows)

    def page(self, offset: int, limit: int) -> Sequence[TableRow]:
        return self.rows[offset : offset + limit]


class ThreadedSource(LazySource):
    """LazySource that notes which thread read each page."""

    def __init__(self, total: int = 100_000) -> None:
        super().__init__(total)
        self.threads: dict[int, str] = {}

    def page(self, offset: int, limit: int) -> Sequence[TableRow]:
        self.threads[offset] = "main" if threading.current_thread() is threading.main_thread() else "worker"
        return super().page(offset, limit)


class TableApp(App[None]):
    def __init__(
        self,
        source: RowSource | None,
        columns: Sequence[Column] = COLUMNS,
        empty_message: str = "No rows",
        prefetch: bool = False,
    ) -> None:
        super().__init__()
        self.source = source
        self.columns = columns
        self.empty_message = empty_message
        self.prefetch = prefetch
        self.moved: list[VirtualTable.CursorMoved] = []
        self.activated: list[VirtualTable.RowActivated] = []
        self.headers: list[VirtualTable.HeaderSelected] = []

    def compose(self) -> ComposeResult:
        yield VirtualTable(
            self.columns, self.source, page_size=100, empty_message=self.empty_message, prefetch=self.prefetch
        )

    def on_virtual_table_cursor_moved(self, message: VirtualTable.CursorMoved) -> None:
        self.moved.append(message)

    def on_virtual_table_row_activated(self, message: VirtualTable.RowActivated) -> None:
        self.activated.append(message)

    def on_virtual_table_header_selected(self, message: VirtualTable.HeaderSelected) -> None:
        self.headers.append(message)


def line_text(table: VirtualTable, y: int) -> str:
    return table.render_line(y).text


async def test_opening_and_jumping_to_the_end_fetch_only_a_few_pages() -> None:
    source = LazySource()
    app = TableApp(source)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(VirtualTable)
        await pilot.pause()
        assert table.row_count == 100_000
        assert source.count_calls == 1
        assert source.pages == [(0, 100)]
        assert table.cursor_key == "p0"
        assert "pilot 0" in line_text(table, 1)

        await pilot.press("G")
        assert table.cursor_index == 99_999
        assert table.cursor_key == "p99999"
        assert source.pages == [(0, 100), (99_900, 100)]
        last_line = line_text(table, table.scrollable_content_region.height - 1)
        assert "pilot 99999" in last_line

        await pilot.press("g")
        assert table.cursor_key == "p0"
        assert len(source.pages) <= 3
        assert source.count_calls == 1


async def test_movement_keys_change_cursor_key() -> None:
    app = TableApp(LazySource())
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(VirtualTable)
        await pilot.press("down", "j", "j")
        assert table.cursor_key == "p3"
        await pilot.press("up", "k")
        assert table.cursor_key == "p1"
        await pilot.press("end")
        assert table.cursor_key == "p99999"
        await pilot.press("down")
        assert table.cursor_key == "p99999"
        await pilot.press("home")
        assert table.cursor_key == "p0"
        await pilot.press("up")
        assert table.cursor_index == 0


async def test_pagedown_moves_a_screenful_and_scroll_follows() -> None:
    app = TableApp(LazySource())
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(VirtualTable)
        visible = table.scrollable_content_region.height - 1  # under the header
        assert visible == 23
        await pilot.press("pagedown")
        assert table.cursor_index == visible
        assert table.scroll_y == visible
        await pilot.press("pagedown")
        assert table.cursor_index == 2 * visible
        await pilot.press("pageup")
        assert table.cursor_index == visible
        await pilot.press("pageup", "pageup")
        assert table.cursor_index == 0
        assert table.scroll_y == 0
        # Scrolling follows a cursor walking off the bottom of the screen.
        for _ in range(visible):
            await pilot.press("down")
        assert table.cursor_index == visible
        assert table.scroll_y == 1
        assert f"pilot {visible}" in line_text(table, visible)


async def test_cursor_moved_and_row_activated_messages() -> None:
    app = TableApp(LazySource())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert [(m.key, m.index) for m in app.moved] == [("p0", 0)]
        await pilot.press("down", "down")
        await pilot.pause()
        assert [(m.key, m.index) for m in app.moved] == [("p0", 0), ("p1", 1), ("p2", 2)]
        assert app.moved[-1].control is app.query_one(VirtualTable)
        await pilot.press("enter")
        await pilot.pause()
        assert [(m.key, m.index) for m in app.activated] == [("p2", 2)]


async def test_click_selects_and_double_click_activates() -> None:
    app = TableApp(LazySource())
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(VirtualTable)
        await pilot.click(VirtualTable, offset=(5, 4))  # line 4 = row 3 under the header
        await pilot.pause()
        assert table.cursor_key == "p3"
        assert app.activated == []
        await pilot.double_click(VirtualTable, offset=(5, 6))
        await pilot.pause()
        assert table.cursor_key == "p5"
        assert [m.key for m in app.activated] == ["p5"]
        await pilot.click(VirtualTable, offset=(30, 0))  # the header, over "Status"
        await pilot.pause()
        assert [m.column_key for m in app.headers] == ["status"]


async def test_plain_strings_are_never_markup() -> None:
    rows = [
        TableRow("a", ("[red]x", "[b]st[/b]", "1")),
        TableRow("b", ("line\nbreak\ttab", "ok", "2")),
    ]
    app = TableApp(SequenceSource(rows))
    async with app.run_test(size=(80, 10)) as pilot:
        table = app.query_one(VirtualTable)
        await pilot.pause()
        first = line_text(table, 1)
        assert "[red]x" in first
        assert "[b]st[/b]" in first
        second = line_text(table, 2)
        assert "line break tab" in second
        assert len(second) == table.scrollable_content_region.width


async def test_cells_truncate_with_ellipsis_and_numbers_align_right() -> None:
    rows = [TableRow("a", ("a pilot name that is far too long to fit", "ok", "7"), marked=True)]
    app = TableApp(SequenceSource(rows))
    async with app.run_test(size=(80, 10)) as pilot:
        table = app.query_one(VirtualTable)
        await pilot.pause()
        header = line_text(table, 0)
        line = line_text(table, 1)
        assert line.startswith("● a pilot name that is fa… ok ")
        # The last column stretches to the edge; right-aligned cells and labels stay flush right.
        assert len(line) == len(header) == table.scrollable_content_region.width
        assert line.endswith(" 7")
        assert header.endswith(" Score")
        table.set_sort("score", descending=True)
        await pilot.pause()
        assert line_text(table, 0).endswith(" Score ▼")  # the arrow after its own label, never before it
        table.set_sort("name")
        await pilot.pause()
        assert line_text(table, 0).startswith("  Name ▲ ")


async def test_width_stretches_last_column_at_120_and_clips_at_80() -> None:
    wide = (
        Column("name", "Name", 40, min_width=20),
        Column("office", "Office", 30),
        Column("status", "Status", 30),
    )
    rows = [TableRow("a", ("n" * 40, "o" * 30, "s" * 30))]
    app = TableApp(SequenceSource(rows), columns=wide)
    async with app.run_test(size=(120, 10)) as pilot:
        table = app.query_one(VirtualTable)
        await pilot.pause()
        line = line_text(table, 1)
        assert len(line) == table.scrollable_content_region.width == 120
        assert line.startswith("  " + "n" * 40 + " " + "o" * 30 + " " + "s" * 30 + " ")
        assert table.virtual_size.width <= 120  # no horizontal scrolling
        await pilot.resize_terminal(80, 10)
        await pilot.pause()
        line = line_text(table, 1)
        assert len(line) == table.scrollable_content_region.width == 80
        # The name gave up cells down to its minimum, then the row is clipped on the right.
        assert line == "  " + "n" * 19 + "… " + "o" * 30 + " " + "s" * 26
        assert table.virtual_size.width == 2 + 20 + 1 + 30 + 1 + 30
        await pilot.press("right", "right")
        assert table.scroll_x > 0


async def test_empty_source_shows_the_message() -> None:
    app = TableApp(SequenceSource([]), empty_message="No pilots match this filter")
    async with app.run_test(size=(80, 10)) as pilot:
        table = app.query_one(VirtualTable)
        await pilot.pause()
        assert "No pilots match this filter" in line_text(table, 1)
        assert "Name" in line_text(table, 0)
        assert table.row_count == 0
        assert table.cursor_index == -1
        assert table.cursor_key is None
        await pilot.press("down", "G", "enter")
        assert app.activated == []
        table.set_source(None)
        await pilot.pause()
        assert "No pilots match this filter" in line_text(table, 1)


async def test_refresh_data_keeps_the_cursor_on_its_key() -> None:
    source = ListSource([make_row(index) for index in range(500)])
    app = TableApp(source)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(VirtualTable)
        await pilot.press("j", "j", "j", "j", "j")
        assert table.cursor_key == "p5"

        source.rows[:0] = [TableRow(f"new{index}", ("new", "", "")) for index in range(3)]
        table.refresh_data()
        await pilot.pause()
        assert table.row_count == 503
        assert table.cursor_key == "p5"
        assert table.cursor_index == 8
        assert "pilot 5" in line_text(table, 9)

        # The cursor row is gone: the cursor keeps its index.
        del source.rows[8]
        table.refresh_data()
        await pilot.pause()
        assert table.cursor_index == 8
        assert table.cursor_key == "p6"

        # Fewer rows than the cursor index: it clamps to the last row, the view scrolls back.
        await pilot.press("pagedown", "pagedown", "pagedown")
        assert table.scroll_y > 0
        source.rows[:] = source.rows[:4]
        table.refresh_data()
        await pilot.pause()
        assert table.row_count == 4
        assert table.cursor_index == 3
        assert table.scroll_y == 0
        assert line_text(table, 1).startswith("  new ")

        # Marking a row changes no count: reload_pages redraws without calling count().
        source.rows[0] = TableRow(source.rows[0].key, source.rows[0].cells, marked=True)
        table.reload_pages()
        await pilot.pause()
        assert line_text(table, 1).startswith("●")

        # Without keep_cursor_key the cursor keeps its index even if its row moved.
        source.rows.insert(0, TableRow("top", ("top", "", "")))
        table.refresh_data(keep_cursor_key=False)
        await pilot.pause()
        assert table.cursor_index == 3
        assert app.moved[-1].index == 3


async def test_set_source_finds_the_key_through_index_of() -> None:
    app = TableApp(LazySource())
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(VirtualTable)
        await pilot.press("j", "j")
        far = SequenceSource([make_row(index) for index in range(1000, 2000)] + [make_row(2)])
        table.set_source(far)
        await pilot.pause()
        assert table.cursor_key == "p2"
        assert table.cursor_index == 1000
        assert app.moved[-1].key == "p2"


async def test_prefetch_reads_the_next_page_in_a_worker_before_page_down_needs_it() -> None:
    source = ThreadedSource()
    app = TableApp(source, prefetch=True)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(VirtualTable)
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        for _ in range(4):  # 23 rows a screen: the fourth page down draws rows 92..114, on page 1
            await pilot.press("pagedown")
            await app.workers.wait_for_complete()
            await pilot.pause()
        assert table.cursor_key == "p92"
        assert "pilot 100" in line_text(table, 9)  # the rows drawn are the source's, in order
        assert source.threads[0] == "main"  # the first screen is drawn at once
        assert source.threads[100] == "worker"  # read ahead, off the UI thread
        assert [offset for offset, _limit in source.pages].count(100) == 1  # and not read again


async def test_a_prefetched_page_of_a_replaced_source_is_not_shown() -> None:
    first = ThreadedSource()
    app = TableApp(first, prefetch=True)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(VirtualTable)
        await pilot.pause()
        second = SequenceSource([TableRow(f"q{i}", (f"other {i}", "", "")) for i in range(250)])
        table.set_source(second)  # while the first source's next page may still be read
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("pagedown", "pagedown", "pagedown", "pagedown", "pagedown")
        assert table.cursor_key == "q115"
        assert all("other" in line_text(table, y) for y in range(1, table.visible_rows + 1))


def test_snapshot(snap_compare: Callable[..., bool]) -> None:
    """A focused table at 80x12: header with a sort arrow, marked rows, cursor on the third row."""

    async def run_before(pilot: Pilot[None]) -> None:
        pilot.app.query_one(VirtualTable).set_sort("name")

    assert snap_compare(TableApp(LazySource()), press=["j", "j"], terminal_size=(80, 12), run_before=run_before)
