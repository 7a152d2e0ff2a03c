"""The pages of rows a VirtualTable (virtual_table.py) has read from its RowSource: a small LRU of pages
read on demand or ahead in a worker, and where a row's key sits now. A page read before the pages were
dropped (a new source, an edit) is stale: each drop starts a new generation."""

from __future__ import annotations

from textual.cache import LRUCache

from caio_tui.tui.widgets.table_source import KeyIndexedRowSource, RowSource, TableRow

Page = tuple[TableRow, ...]


class TablePages:
    """The rows read so far, by page (page ``n`` starts at row ``n * page_size``)."""

    def __init__(self, source: RowSource | None, page_size: int, cache_pages: int) -> None:
        self.source = source
        self.page_size = page_size
        self._pages: LRUCache[int, Page] = LRUCache(max(2, cache_pages))
        self.generation = 0  # bumped when cached pages are dropped: a prefetch of before is stale
        self._prefetching: set[int] = set()

    def row(self, index: int) -> TableRow | None:
        """The row at ``index`` (a row the source has), read with its page if not cached."""
        page_number, position = divmod(index, self.page_size)
        page = self._page(page_number)
        return page[position] if position < len(page) else None

    def drop(self) -> None:
        self._pages.clear()
        self.generation += 1
        self._prefetching.clear()

    def to_prefetch(self, first_row: int, last_row: int) -> list[int]:
        """The pages from `first_row` to `last_row` neither cached nor being read (now taken as being read)."""
        wanted = range(first_row // self.page_size, last_row // self.page_size + 1)
        found = [n for n in wanted if n not in self._pages and n not in self._prefetching]
        self._prefetching.update(found)
        return found

    def prefetched(self, generation: int, page_number: int, rows: Page) -> None:
        """A page read ahead in a worker has arrived: keep it unless the pages were dropped meanwhile."""
        if generation != self.generation:
            return  # the source changed (or its pages were dropped) while this page was read
        self._prefetching.discard(page_number)
        if rows and page_number not in self._pages:
            self._pages.set(page_number, rows)

    def locate(self, key: str, hint: int, row_count: int) -> int | None:
        """Where ``key`` is now: ask the source if it can tell, else look in the page of ``hint``,
        its neighbours and the first two pages."""
        source = self.source
        if source is None:
            return None
        if isinstance(source, KeyIndexedRowSource):
            index = source.index_of(key)
            return index if index is not None and 0 <= index < row_count else None
        hint_page = max(hint, 0) // self.page_size
        last_page = (row_count - 1) // self.page_size
        for page_number in dict.fromkeys((hint_page, hint_page - 1, hint_page + 1, 0, 1)):
            if not 0 <= page_number <= last_page:
                continue
            for position, row in enumerate(self._page(page_number)):
                if row.key == key:
                    return page_number * self.page_size + position
        return None

    def _page(self, page_number: int) -> Page:
        page = self._pages.get(page_number)
        if page is None:
            assert self.source is not None
            page = tuple(self.source.page(page_number * self.page_size, self.page_size))
            self._pages.set(page_number, page)
        return page
