"""What a VirtualTable (virtual_table.py) shows and where it reads it: its columns, its rows (a stable key,
display cells, a "marked" flag) and the RowSource protocol a source of rows meets, with SequenceSource for
rows held in memory. The table knows nothing of the domain beyond these."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from rich.text import Text

Cell = str | Text
"""A cell: a plain ``str`` is always shown literally (never parsed as markup); use
:class:`rich.text.Text` for styled content."""


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
