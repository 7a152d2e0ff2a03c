"""The Compare view's comparison (tui/screens/compare.py): the marked pilots as columns, the requirement
areas as rows under summary rows. Its read in a worker, its title, and its keys: `enter` or `+` expands an
area into its items, `d` keeps only the rows where the pilots differ, `←`/`→` scroll the pilots sideways
when more are marked than fit, `X` clears the marks and `h` shows the heatmap. The table's rows and
layout: tui/widgets/comparison/matrix.py."""

from __future__ import annotations

import asyncio

from textual import on, work
from textual.content import Content

from caio_tui.domain.compare import Comparison, Row
from caio_tui.store import Portfolio, StoreError
from caio_tui.store.analytics import comparison
from caio_tui.tui.screens.compare_base import CompareBase
from caio_tui.tui.widgets.comparison.matrix import matrix_layout, matrix_rows
from caio_tui.tui.widgets.virtual_table import Column, SequenceSource, VirtualTable

MATRIX_LEGEND = (
    "≠ differ ✓ met ◐ partial ✗ gap ? not assessed W waived – n/a · 2/4 items met · 3ev evidence · 9d since changed"
)


class ComparisonMode(CompareBase):
    """The comparison of the marked pilots: its state, read, drawing and keys."""

    def __init__(self, portfolio: Portfolio) -> None:
        super().__init__(portfolio)
        self.comparison: Comparison | None = None
        self.compared: list[str] = []  # the pilot ids the comparison was read for
        self.expanded: set[str] = set()
        self.differences_only = False
        self.first_pilot = 0
        self._matrix_keys: list[str] = []

    @work(exclusive=True, group="compare.load")
    async def _load_comparison(self, ids: list[str], serial: int) -> None:
        try:
            found, missing = await asyncio.to_thread(_read_comparison, self.portfolio, ids)
        except StoreError as exc:
            self._failed(exc, serial)
            return
        if serial != self._serial:
            return
        for gone in missing:  # a marked pilot that no longer exists (undone, or removed elsewhere)
            if gone in self.caio.marked:
                self.caio.toggle_mark(gone)
        if self._loaded():
            return  # the filter typed meanwhile loads now: its result is the one to show
        if found is None:
            self.load()  # nothing left to compare: the heatmap
            return
        self.comparison = found
        self.compared = [p.id for p in found.pilots] if found else []
        self.first_pilot = min(self.first_pilot, max(0, len(self.compared) - 1))
        self._show_mode()
        self._show_matrix(keep_cursor=True)

    def window(self) -> range:
        if self.comparison is None:
            return range(0)
        layout = matrix_layout(self.size.width - 1, len(self.comparison.pilots))
        first = max(0, min(self.first_pilot, len(self.comparison.pilots) - layout.visible))
        self.first_pilot = first
        return range(first, first + layout.visible)

    def shown_rows(self) -> list[Row]:
        if self.comparison is None:
            return []
        return self.comparison.rows(self.expanded, differences_only=self.differences_only)

    def _show_matrix(self, *, keep_cursor: bool = True) -> None:
        found = self.comparison
        if found is None:
            return
        window = self.window()
        layout = matrix_layout(self.size.width - 1, len(found.pilots))
        columns = [Column("label", "Requirement", layout.label_width)]
        columns += [Column(found.pilots[i].id, found.pilots[i].id, layout.pilot_width) for i in window]
        table = self.matrix
        if tuple(columns) != table.columns:
            table.set_columns(columns)
        rows = matrix_rows(found, self.shown_rows(), window, self.expanded, self.palette)
        self._matrix_keys = [r.key for r in rows]
        table.set_source(SequenceSource(rows), keep_cursor_key=keep_cursor)
        self._show_title()

    def _loading_title(self) -> Content:
        # The first frame already says what is compared: the marks are known before the records are read.
        marked = len(self._marks_seen)
        return Content.assemble(("Compare", "bold"), f" · {marked} pilot(s) · ", ("loading…", "$text-muted"))

    def _matrix_title(self, found: Comparison) -> Content:
        window = self.window()
        parts: list[Content | tuple[str, str] | str] = [("Compare", "bold"), f" · {len(found.pilots)} pilot(s)"]
        if len(window) < len(found.pilots):
            parts += [f" · showing {window.start + 1}–{window.stop} ", ("←/→", "bold")]
        parts += [" · ", (f"{found.differing_areas}", "bold $text-warning"), " area(s), "]
        parts += [(f"{found.differing_items}", "bold $text-warning"), " item(s) differ"]
        if self.differences_only:
            parts += [" · ", ("differences only", "bold $text-accent")]
        return Content.assemble(*parts)

    # ---- the comparison's keys -----------------------------------------------------------------------

    def _can_scroll(self, step: int) -> bool:
        if self.comparison is None:
            return False
        window = self.window()
        if step < 0:
            return window.start > 0
        return window.stop < len(self.comparison.pilots)

    def _cursor_area(self) -> str | None:
        """The area of the cursor row (the row's own for an item)."""
        key = self.matrix.cursor_key or ""
        kind, _, ident = key.partition(":")
        if kind == "area":
            return ident
        if kind == "item" and self.comparison is not None:
            return next((a for a, rows in self.comparison.items.items() if any(r.id == ident for r in rows)), None)
        return None

    @on(VirtualTable.RowActivated, "#matrix")
    def _activated(self, event: VirtualTable.RowActivated) -> None:
        kind, _, area = event.key.partition(":")
        if kind == "area":
            self._set_expanded(area, area not in self.expanded)

    def action_expand(self) -> None:
        area = self._cursor_area()
        if area is not None:
            self._set_expanded(area, True)

    def action_collapse(self) -> None:
        area = self._cursor_area()
        if area is not None and area in self.expanded:
            self._set_expanded(area, False)
            if f"area:{area}" in self._matrix_keys:
                self.matrix.move_cursor(self._matrix_keys.index(f"area:{area}"))

    def _set_expanded(self, area: str, expanded: bool) -> None:
        if expanded:
            self.expanded.add(area)
        else:
            self.expanded.discard(area)
        self._show_matrix()

    def action_expand_all(self) -> None:
        if self.comparison is None:
            return
        every = {a.id for a in self.comparison.areas}
        self.expanded = set() if self.expanded >= every else every
        self._show_matrix()

    def action_differences(self) -> None:
        self.differences_only = not self.differences_only
        if self.differences_only and self.comparison is not None and not self.comparison.differing_areas:
            self.notify("The pilots do not differ on any requirement", markup=False)
        self._show_matrix()

    def action_scroll_pilots(self, step: int) -> None:
        if not self._can_scroll(step):
            return
        self.first_pilot += step
        self._show_matrix()
        self.refresh_bindings()

    def action_clear_marks(self) -> None:
        self.show_heatmap = False
        self.caio.clear_marks()  # tells every view, this one included
        self.notify("Marks cleared: the heatmap shows the whole portfolio", markup=False)

    def action_heatmap(self) -> None:
        self.show_heatmap = True
        self.load()


def _read_comparison(portfolio: Portfolio, ids: list[str]) -> tuple[Comparison | None, list[str]]:
    """Runs in a worker: the comparison of the marked pilots that still exist, and those that do not."""
    missing: list[str] = []
    present: list[str] = []
    for pilot_id in ids:
        try:
            portfolio.get(pilot_id)
        except StoreError:
            missing.append(pilot_id)
        else:
            present.append(pilot_id)
    return (comparison(portfolio, present) if present else None), missing
