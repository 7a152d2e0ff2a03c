"""The portfolio table's rows: a VirtualTable RowSource over the store, under the current filter and sort.

The store filters, sorts and pages in SQL, so the table holds at most a few pages of pilots whatever the
size of the portfolio. The row count is computed once per query (in a worker by the Portfolio screen) and
handed to the source, so the widget never counts on the UI thread. A page next to one already read is read
by keyset (the rows after the last one shown), and the last page from the end of the list, so paging deep
into a million pilots costs what the first page does; only a jump into the middle reads by OFFSET.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from rich.text import Text

from caio_tui.domain.filters import PilotFilter
from caio_tui.domain.pilot_row import PilotRow
from caio_tui.domain.stages import Stage, is_stalled
from caio_tui.domain.territory import Territory
from caio_tui.domain.text import printable, readiness_bar
from caio_tui.store import Portfolio, StoreError
from caio_tui.store.queries import SortKey
from caio_tui.tui.styles.rich_styles import Palette
from caio_tui.tui.styles.text import short_office
from caio_tui.tui.widgets.virtual_table import Cell, Column, TableRow

BAR_WIDTH = 5
STALLED_MARK = "!"
STALE_MARK = "≠"  # the state fell below what the last gate decision was made on
BELOW_GATE_MARK = "↓"  # after the stage: it stands where its gates would not let it in today
KEPT_PAGES = 8  # pages of pilots a source keeps as anchors for keyset reads (the table caches its rows)

# Column order is the order `s` walks through; each column's key is the SortKey it sorts by.
SORT_ORDER: tuple[SortKey, ...] = (
    SortKey.ID,
    SortKey.NAME,
    SortKey.OFFICE,
    SortKey.STAGE,
    SortKey.READINESS,
    SortKey.TERRITORY,
    SortKey.BLOCKERS,
    SortKey.DAYS,
)
COLUMN_LABELS: dict[SortKey, str] = {
    SortKey.ID: "ID",
    SortKey.NAME: "Name",
    SortKey.OFFICE: "Office",
    SortKey.STAGE: "Stage",
    SortKey.READINESS: "Ready",
    SortKey.TERRITORY: "Territory",
    SortKey.BLOCKERS: "Blockers",
    SortKey.DAYS: "Days",
}

SORT_NAMES: dict[SortKey, str] = {
    SortKey.ID: "id",
    SortKey.NAME: "name",
    SortKey.OFFICE: "office",
    SortKey.STAGE: "stage",
    SortKey.READINESS: "readiness",
    SortKey.TERRITORY: "territory",
    SortKey.BLOCKERS: "open blockers",
    SortKey.DAYS: "days in stage",
}
SHORT_LABELS: dict[SortKey, str] = {SortKey.TERRITORY: "Terr."}

_SHORT_TERRITORY = {
    Territory.INFRASTRUCTURE: "infra",
    Territory.ORGANIZATIONAL: "org",
    Territory.BOTH: "both",
    Territory.CLEAR: "clear",
    Territory.UNASSESSED: "unas.",
}

# Widths of the short columns; the name and the office share what is left of the terminal's width. Days:
# four digits (an imported inventory dates pilots back years) and a mark.
_WIDE = {"id": 8, "stage": 11, "readiness": 10, "territory": 14, "blockers": 22, "days": 6}
_NARROW = {"id": 7, "stage": 11, "readiness": 9, "territory": 5, "blockers": 12, "days": 5}
NAME_MIN, NAME_MAX = 14, 40
OFFICE_MIN, OFFICE_MAX = 6, 20
WIDE_REST = 36  # below this much room for name and office, the narrow layout
GUTTER_AND_SEPARATORS = 2 + 7  # the table's marker gutter and the blanks between 8 columns


@dataclass(frozen=True)
class Layout:
    columns: tuple[Column, ...]
    compact: bool  # abbreviated territories and a shorter readiness bar


def layout_for(width: int) -> Layout:
    """Columns that fill `width` cells: fixed widths for the short columns, the rest shared by the name
    (about two thirds, at most NAME_MAX) and the office; a narrow terminal gets the compact layout."""
    compact = width - GUTTER_AND_SEPARATORS - sum(_WIDE.values()) < WIDE_REST
    widths = dict(_NARROW if compact else _WIDE)
    rest = width - GUTTER_AND_SEPARATORS - sum(widths.values())
    office = max(OFFICE_MIN, min(OFFICE_MAX, rest * 35 // 100))
    name = max(NAME_MIN, rest - office)
    if name > NAME_MAX:
        office += name - NAME_MAX
        name = NAME_MAX
    widths |= {"name": name, "office": office}
    columns = tuple(
        Column(
            key.value,
            SHORT_LABELS.get(key, COLUMN_LABELS[key]) if compact else COLUMN_LABELS[key],
            widths[key.value],
            align="right" if key in (SortKey.READINESS, SortKey.DAYS) else "left",
        )
        for key in SORT_ORDER
    )
    return Layout(columns, compact)


@dataclass(frozen=True)
class PilotQuery:
    """What the table shows: which pilots (filter) in which order."""

    filter: PilotFilter = field(default_factory=PilotFilter)
    sort: SortKey = SortKey.ID
    descending: bool = False


class PilotSource:
    """RowSource of pilots for the VirtualTable. Rows are keyed by pilot id; cells are plain strings or
    rich Text built from user data with no markup parsing."""

    def __init__(
        self,
        portfolio: Portfolio,
        query: PilotQuery,
        *,
        marked: Collection[str] = (),
        count: int | None = None,
        now: datetime | None = None,
        compact: bool = False,
        palette: Palette | None = None,
        on_error: Callable[[str], None] | None = None,
        pages: Mapping[int, Sequence[PilotRow]] | None = None,
    ) -> None:
        self.portfolio = portfolio
        self.on_error = on_error
        self.query = query
        self.marked = marked
        self.compact = compact
        self.palette = palette or Palette()
        self._count = count
        self._now = now
        # Pilots already read (by offset): the pages a new filter or sort shows first, read in a worker so
        # drawing them does not read the store on the UI thread, then every page read since (the anchors
        # of keyset reads), the most recent KEPT_PAGES of them.
        self._read: dict[int, Sequence[PilotRow]] = dict(pages or {})
        self._read_lock = threading.Lock()  # pages are read on the UI thread and by prefetch workers

    def count(self) -> int:
        if self._count is None:
            self._count = self.portfolio.count(self.query.filter)
        return self._count

    def page(self, offset: int, limit: int) -> Sequence[TableRow]:
        try:
            pilots = self._pilots(offset, limit)
        except StoreError as exc:
            # The table asks while drawing: a file that became unreadable shows blank rows and a notice.
            if self.on_error is not None:
                self.on_error(str(exc))
            return []
        now = self._now or self.portfolio.clock()
        return [TableRow(p.id, self.cells(p, now), p.id in self.marked) for p in pilots]

    def _pilots(self, offset: int, limit: int) -> Sequence[PilotRow]:
        f, sort, descending = self.query.filter, self.query.sort, self.query.descending
        with self._read_lock:
            ready, above, below = (self._read.get(o) for o in (offset, offset - limit, offset + limit))
        count = self.count()
        if ready is not None and (len(ready) >= limit or offset + len(ready) >= count):
            return ready[:limit]
        portfolio = self.portfolio
        if above is not None and len(above) == limit:
            pilots = portfolio.page_after(f, sort=sort, descending=descending, after=above[-1], limit=limit)
        elif below:
            pilots = portfolio.page_before(f, sort=sort, descending=descending, before=below[0], limit=limit)
        elif 0 < offset < count <= offset + limit:  # the last page, read from the end of the list
            pilots = portfolio.page_before(f, sort=sort, descending=descending, limit=count - offset)
        else:
            pilots = portfolio.table_page(f, sort=sort, descending=descending, offset=offset, limit=limit)
        with self._read_lock:
            self._read.pop(offset, None)
            self._read[offset] = pilots
            while len(self._read) > KEPT_PAGES:
                del self._read[next(iter(self._read))]
        return pilots

    # ---- cells ---------------------------------------------------------------------------------------

    def cells(self, pilot: PilotRow, now: datetime) -> tuple[Cell, ...]:
        return (
            pilot.id,
            printable(pilot.name),
            printable(short_office(pilot.office) if self.compact else pilot.office),
            self._stage(pilot),
            self._readiness(pilot.readiness),
            self._territory(pilot.territory),
            self._blockers(pilot),
            self._days(pilot, now),
        )

    def _stage(self, pilot: PilotRow) -> Cell:
        if pilot.stage is Stage.RETIRED:
            return Text(pilot.stage.value, style=self.palette.muted)
        if pilot.below_gate:
            return Text.assemble(pilot.stage.value, (BELOW_GATE_MARK, self.palette.error))
        return pilot.stage.value

    def _readiness(self, score: float) -> Text:
        percent = round(score * 100)
        style = self.palette.success if percent >= 75 else self.palette.warning if percent >= 40 else self.palette.error
        bar = readiness_bar(score, BAR_WIDTH - 1 if self.compact else BAR_WIDTH)
        return Text.assemble(f"{percent:>3}% ", (bar, style))

    def _territory(self, territory: Territory) -> Cell:
        label = _SHORT_TERRITORY[territory] if self.compact else territory.value
        style = {
            Territory.INFRASTRUCTURE: self.palette.accent,
            Territory.ORGANIZATIONAL: self.palette.secondary,
            Territory.BOTH: self.palette.error,
            Territory.CLEAR: self.palette.muted,
            Territory.UNASSESSED: self.palette.warning,  # nobody has looked: never as quiet as clear
        }[territory]
        return Text(label, style=style)

    def _blockers(self, pilot: PilotRow) -> Cell:
        if not pilot.open_blockers:
            return ""
        return Text.assemble((str(pilot.open_blockers), "bold"), " ", printable(pilot.top_blocker))

    def _days(self, pilot: PilotRow, now: datetime) -> Text:
        days = pilot.days_in_stage(now)
        stale = (STALE_MARK, self.palette.error) if pilot.approval_stale else ""
        if is_stalled(pilot.stage, days, self.portfolio.stalled_days):
            return Text.assemble((f"{days}{STALLED_MARK}", self.palette.warning), stale)
        return Text.assemble(f"{days}", stale or " ")


__all__ = ["SORT_ORDER", "Layout", "PilotQuery", "PilotSource", "layout_for"]
