"""The comparison as table rows: the marked pilots are columns, the requirement areas rows (an area opens
into its items), under summary rows (stage, readiness, territory, blockers, next gate, distance to
production); MatrixTable is the table that shows them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType

from caio_tui.domain.compare import Cell, Comparison, PilotColumn, Row, cell_text
from caio_tui.domain.coverage import CoverageStatus
from caio_tui.domain.text import printable
from caio_tui.tui.styles.rich_styles import Palette, score_style
from caio_tui.tui.widgets.virtual_table import TableRow, VirtualTable

PILOT_WIDTH = 13  # '◐ 2/4 e1 150d'
MAX_PILOT_WIDTH = 26
WIDE_LABEL, NARROW_LABEL = 30, 20
WIDE_FROM = 110  # at this width and more, the wide requirement column
DIFF_MARK = "≠ "


def status_style(status: CoverageStatus, palette: Palette) -> Style:
    return {
        CoverageStatus.NOT_ASSESSED: palette.muted,
        CoverageStatus.GAP: palette.error + Style(bold=True),
        CoverageStatus.PARTIAL: palette.warning,
        CoverageStatus.MET: palette.success + Style(bold=True),
        CoverageStatus.WAIVED: palette.accent,
        CoverageStatus.NOT_APPLICABLE: palette.accent,
    }[status]


@dataclass(frozen=True)
class MatrixLayout:
    label_width: int
    visible: int  # pilot columns that fit
    pilot_width: int


def matrix_layout(width: int, pilots: int) -> MatrixLayout:
    """The requirement column, then as many pilot columns as fit (at least PILOT_WIDTH each, wider when
    few pilots leave room, so their names show)."""
    label = WIDE_LABEL if width >= WIDE_FROM else NARROW_LABEL
    room = width - 2 - label  # the table's gutter
    visible = max(1, min(pilots, room // (PILOT_WIDTH + 1)))
    return MatrixLayout(label, visible, max(PILOT_WIDTH, min(MAX_PILOT_WIDTH, room // visible - 1)))


def _summary_cell(key: str, column: PilotColumn, value: str, palette: Palette) -> Text:
    style = Style.null()
    if key == "next_gate" and column.next_gate_passes is not None:
        style = palette.success if column.next_gate_passes else palette.error
    elif key == "distance":
        style = palette.success if column.distance == 0 else Style(bold=True)
    elif key == "readiness":
        style = score_style(column.readiness / 100, palette)
    elif key in ("top_blocker", "blockers") and not column.open_blockers:
        style = palette.muted
    return Text(printable(value), style=style)


def matrix_rows(
    found: Comparison,
    shown: list[Row],
    window: range,
    expanded: set[str],
    palette: Palette,
) -> list[TableRow]:
    """The summary rows then the requirement rows, with the cells of the pilots in `window`."""
    pilots = [found.pilots[i] for i in window]
    out = [
        TableRow("summary:name", (Text("Name", style=Style(italic=True)), *(Text(printable(p.name)) for p in pilots)))
    ]
    for s in found.summary:
        mark = DIFF_MARK if s.differs else "  "
        label = Text(mark + s.label, style=palette.warning if s.differs else Style(italic=True))
        values = [_summary_cell(s.key, found.pilots[i], s.values[i], palette) for i in window]
        out.append(TableRow(f"summary:{s.key}", (label, *values)))
    for row in shown:
        out.append(
            TableRow(f"{row.kind}:{row.id}", (_row_label(row, expanded, palette), *_cells(row, window, palette)))
        )
    return out


def _row_label(row: Row, expanded: set[str], palette: Palette) -> Text:
    mark = DIFF_MARK if row.differs else "  "
    if row.kind == "area":
        arrow = "▾ " if row.id in expanded else "▸ "
        style = palette.warning if row.differs else Style(bold=True)
        return Text(mark + arrow + printable(row.label), style=style + Style(bold=True))
    return Text(mark + "    " + printable(row.label), style=palette.warning if row.differs else Style.null())


def _cells(row: Row, window: range, palette: Palette) -> list[Text]:
    found: list[Text] = []
    for i in window:
        cell: Cell | None = row.cells[i]
        text = cell_text(cell, kind=row.kind)
        found.append(Text(text, style=palette.muted if cell is None else status_style(cell.status, palette)))
    return found


class MatrixTable(VirtualTable):
    """The comparison's table: `enter` expands or collapses the area under the cursor."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter", "activate", "Expand/collapse", id="compare.matrix.activate", tooltip="Expand or collapse the area"
        ),
    ]
