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
from caio_tui.tui.widgets.pilot_columns import COUNT, PERCENT, SHORT, Layout, blockers_cell, layout_for
from caio_tui.tui.widgets.virtual_table import Cell, TableRow

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
_SHORT_TERRITORY = {
    Territory.INFRASTRUCTURE: "infra",
    Territory.ORGANIZATIONAL: "org",
    Territory.BOTH: "both",
    Territory.CLEAR: "clear",
    Territory.UNASSESSED: "unas.",
}


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
        layout: Layout | None = None,
        palette: Palette | None = None,
        on_error: Callable[[str], None] | None = None,
        pages: Mapping[int, Sequence[PilotRow]] | None = None,
    ) -> None:
        self.portfolio = portfolio
        self.on_error = on_error
        self.query = query
        self.marked = marked
        self.layout = layout or layout_for(120)
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
        tags = self._open_tags(pilots)
        return [TableRow(p.id, self.cells(p, now, tags.get(p.id)), p.id in self.marked) for p in pilots]

    def _open_tags(self, pilots: Sequence[PilotRow]) -> dict[str, list[str]]:
        """The open tags of the page's pilots with more than one (one query a page; the row holds the first)."""
        if "blockers" not in self.layout.keys or self.layout.form("blockers") == COUNT:
            return {}
        several = [p.id for p in pilots if p.open_blockers > 1]
        return self.portfolio.open_blocker_tags(several) if several else {}

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

    def cells(self, pilot: PilotRow, now: datetime, tags: list[str] | None = None) -> tuple[Cell, ...]:
        """The pilot's cells for the layout's columns, in their order."""
        return tuple(self._cell(key, pilot, now, tags) for key in self.layout.keys)

    def _cell(self, key: str, pilot: PilotRow, now: datetime, tags: list[str] | None) -> Cell:
        match key:
            case "id":
                return pilot.id
            case "name":
                return printable(pilot.name)
            case "office":
                return printable(short_office(pilot.office) if self.layout.form("office") == SHORT else pilot.office)
            case "stage":
                return self._stage(pilot)
            case "readiness":
                return self._readiness(pilot.readiness)
            case "territory":
                return self._territory(pilot.territory)
            case "blockers":
                return self._blockers(pilot, tags)
            case _:
                return self._days(pilot, now)

    def _stage(self, pilot: PilotRow) -> Cell:
        if pilot.stage is Stage.RETIRED:
            return Text(pilot.stage.value, style=self.palette.muted)
        if pilot.below_gate:
            return Text.assemble(pilot.stage.value, (BELOW_GATE_MARK, self.palette.error))
        return pilot.stage.value

    def _readiness(self, score: float) -> Text:
        percent = round(score * 100)
        style = self.palette.success if percent >= 75 else self.palette.warning if percent >= 40 else self.palette.error
        if self.layout.form("readiness") == PERCENT:
            return Text(f"{percent:>3}%", style=style)
        return Text.assemble(f"{percent:>3}% ", (readiness_bar(score, BAR_WIDTH), style))

    def _territory(self, territory: Territory) -> Cell:
        label = _SHORT_TERRITORY[territory] if self.layout.form("territory") == SHORT else territory.value
        style = {
            Territory.INFRASTRUCTURE: self.palette.accent,
            Territory.ORGANIZATIONAL: self.palette.secondary,
            Territory.BOTH: self.palette.error,
            Territory.CLEAR: self.palette.muted,
            Territory.UNASSESSED: self.palette.warning,  # nobody has looked: never as quiet as clear
        }[territory]
        return Text(label, style=style)

    def _blockers(self, pilot: PilotRow, tags: list[str] | None) -> Cell:
        if not pilot.open_blockers:
            return ""
        if tags is None:
            tags = [pilot.top_blocker] if pilot.top_blocker else []
        elif pilot.top_blocker in tags:  # the row's top blocker first, as the detail screen lists it
            tags = [pilot.top_blocker, *(t for t in tags if t != pilot.top_blocker)]
        text = blockers_cell(pilot.open_blockers, [printable(t) for t in tags], self.layout.width("blockers"))
        count, _, rest = text.partition(" ")
        return Text.assemble((count, "bold"), " " if rest else "", rest)

    def _days(self, pilot: PilotRow, now: datetime) -> Text:
        days = pilot.days_in_stage(now)
        stale = (STALE_MARK, self.palette.error) if pilot.approval_stale else ""
        if is_stalled(pilot.stage, days, self.portfolio.stalled_days):
            return Text.assemble((f"{days}{STALLED_MARK}", self.palette.warning), stale)
        return Text.assemble(f"{days}", stale or " ")


__all__ = ["SORT_ORDER", "PilotQuery", "PilotSource"]
