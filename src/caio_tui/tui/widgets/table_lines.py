"""How a VirtualTable (virtual_table.py) draws its lines: the columns fitted to the width, each cell fitted
to its column (an ellipsis when cut, control characters as spaces, a plain str never read as markup), the
header with the sort arrow, a row with its gutter marker, and the message of an empty table. Pure: the
widget keeps the drawn lines in its cache."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from rich.cells import cell_len, set_cell_size
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from caio_tui.tui.widgets.table_source import Column, TableRow

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
class ColumnLayout:
    """Column widths resolved for one viewport width."""

    viewport_width: int
    widths: tuple[int, ...]
    offsets: tuple[int, ...]
    total: int


class LineStyles(NamedTuple):
    base: Style
    header: Style
    cursor: Style
    marked: Style
    cursor_marked: Style
    marker: Style
    empty: Style


def resolve_layout(columns: Sequence[Column], viewport_width: int, stretch_last: bool) -> ColumnLayout:
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
    return ColumnLayout(viewport_width, tuple(widths), tuple(offsets), total)


def fit_str(value: str, width: int, right: bool) -> str:
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


def fit_text(text: Text, width: int, right: bool, style: Style, console: Console) -> list[Segment]:
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


def sorted_label(label: str, arrow: str, width: int) -> str:
    """A sorted column's label with its arrow after it, on every column: an arrow before a right-aligned
    label reads as the column to its left's ("Open ▼ Oldest"). Spaced when it fits, else attached, else
    the label gives way."""
    if cell_len(label) + 2 <= width:
        return f"{label} {arrow}"
    if cell_len(label) + 1 <= width:
        return f"{label}{arrow}"
    return fit_str(label, width - 1, right=False) + arrow


def empty_line(message: str, width: int, style: Style) -> Strip:
    """The message of a table with no rows, centred."""
    shown = fit_str(message, width, right=False).rstrip()
    left = (width - cell_len(shown)) // 2
    return Strip([Segment(fit_str(" " * left + shown, width, False), style)], width)


def crop(strip: Strip, scroll_x: int, width: int, style: Style) -> Strip:
    """The part of a drawn line the table shows, scrolled `scroll_x` cells sideways."""
    if scroll_x == 0 and strip.cell_length == width:
        return strip
    return strip.crop_extend(scroll_x, scroll_x + width, style)


def header_line(columns: Sequence[Column], layout: ColumnLayout, sort: tuple[str, bool] | None, style: Style) -> Strip:
    """The header: each column's label, the sorted one with its arrow."""
    parts = [" " * GUTTER_WIDTH]
    for index, (column, width) in enumerate(zip(columns, layout.widths, strict=True)):
        if index:
            parts.append(" " * SEPARATOR_WIDTH)
        right = column.align == "right"
        label = column.label
        if sort is not None and sort[0] == column.key and width >= 3:
            label = sorted_label(label, "▼" if sort[1] else "▲", width)
        parts.append(fit_str(label, width, right))
    return Strip([Segment("".join(parts), style)], layout.total)


def row_line(
    columns: Sequence[Column],
    row: TableRow,
    is_cursor: bool,
    layout: ColumnLayout,
    styles: LineStyles,
    console: Console,
) -> Strip:
    """One row: the gutter (the marker of a marked row), then each cell fitted to its column."""
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
    for index, (column, width) in enumerate(zip(columns, layout.widths, strict=True)):
        if index:
            buffer.append(" " * SEPARATOR_WIDTH)
        cell = cells[index] if index < cell_count else ""
        right = column.align == "right"
        if isinstance(cell, str):
            buffer.append(fit_str(cell, width, right))
        else:
            if buffer:
                segments.append(Segment("".join(buffer), style))
                buffer = []
            segments.extend(fit_text(cell, width, right, style, console))
    if buffer:
        segments.append(Segment("".join(buffer), style))
    return Strip(segments, layout.total)
