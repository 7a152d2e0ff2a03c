"""The pilot list: the filtered, sorted pilots a view pages through, and how each page, count and
position is planned (keyset pages, counts from the full-text index, which half of an index to walk)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from caio_tui.domain.filters import PilotFilter
from caio_tui.domain.pilot_row import PilotRow
from caio_tui.domain.stages import Stage
from caio_tui.store import rows
from caio_tui.store.queries import (
    SortKey,
    Text,
    ascending,
    before,
    common_threshold,
    conditions,
    fts_query,
    order_by,
    order_by_column,
    page_plan,
    sort_column,
    sort_value,
    text_only,
    where,
)
from caio_tui.store.session import Session

if TYPE_CHECKING:
    from caio_tui.domain.pilots import Pilot

# What the whole list holds, for a position counted from the list's end: the table, or the word's matches.
_TOTAL = {
    Text.MATCHES: "SELECT count(*) FROM pilot",
    Text.WALK: "SELECT count(*) FROM pilot_fts WHERE pilot_fts MATCH ?",
}
_REMEMBERED_WORDS = 32  # match counts kept to choose the plan of the pages that follow a count


class PilotList:
    """Counts, pages and positions of the pilots under a filter, read through the session. It remembers
    only what chooses a plan (recent match counts, the middle of each sort index), never a page."""

    def __init__(self, session: Session, clock: Callable[[], datetime], stalled_days: int) -> None:
        self.session = session
        self.clock = clock
        self.stalled_days = stalled_days
        self._lock = threading.Lock()  # guards the remembered match counts (the UI thread and workers)
        self._match_counts: dict[str, int] = {}  # recent full-text counts, only to choose a page's plan
        self._middles: dict[SortKey, tuple[int, tuple[Any, str] | None]] = {}  # see _past_middle

    def stage_counts(self, pilot_filter: PilotFilter | None = None) -> dict[Stage, int]:
        f = pilot_filter or PilotFilter()
        clause, params = where(f, self.clock(), self.stalled_days)
        # Filtered, `+stage` keeps the planner off the (stage, stage_entered_at) index, whose row-by-row
        # look-ups cost up to ten times a table scan; unfiltered, that index alone answers the count, and
        # for the high-impact pilots their partial index (stage, high_impact) does.
        group = "+stage" if clause and f != PilotFilter(high_impact=True) else "stage"
        found = self.session.read(f"SELECT stage, count(*) AS n FROM pilot{clause} GROUP BY {group}", params)
        counts = {stage: 0 for stage in Stage}
        counts.update({Stage(r["stage"]): r["n"] for r in found})
        return counts

    def count(self, pilot_filter: PilotFilter | None = None) -> int:
        f = pilot_filter or PilotFilter()
        if text_only(f):
            # The full-text index counts its own matches: no pilot row is read (345 -> 15 ms at 1M).
            match = fts_query(f.text)
            row = self.session.one("SELECT count(*) AS n FROM pilot_fts WHERE pilot_fts MATCH ?", (match,))
            found = int(row["n"]) if row else 0
            self._remember_matches(match, found)
            return found
        clause, params = where(f, self.clock(), self.stalled_days)
        row = self.session.one(f"SELECT count(*) AS n FROM pilot{clause}", params)
        return int(row["n"]) if row else 0

    def longest_id(self) -> int:
        """The longest id's length, from the end of its index (migration 0009)."""
        row = self.session.one("SELECT max(length(id)) AS n FROM pilot")
        return int(row["n"] or 0) if row else 0

    def page(
        self, pilot_filter: PilotFilter | None, sort: SortKey, descending: bool, offset: int, limit: int, columns: str
    ) -> list[sqlite3.Row]:
        """The rows of one page by offset, with the given columns (rows.PILOT_COLUMNS or ROW_COLUMNS)."""
        f = pilot_filter or PilotFilter()
        clause, params = where(f, self.clock(), self.stalled_days, plan=page_plan(sort), text=self._text_plan(f, limit))
        sql = f"SELECT {columns} FROM pilot{clause} ORDER BY {order_by(sort, descending)} LIMIT ? OFFSET ?"
        return self.session.read(sql, [*params, limit, offset])

    def keyset_page(
        self,
        pilot_filter: PilotFilter | None,
        sort: SortKey,
        descending: bool,
        anchor: Pilot | PilotRow | None,
        limit: int,
        *,
        backwards: bool,
    ) -> list[PilotRow]:
        """The `limit` pilots after `anchor` (before it, read from it up, when backwards)."""
        f = pilot_filter or PilotFilter()
        clauses, params = conditions(
            f, self.clock(), self.stalled_days, plan=page_plan(sort), text=self._text_plan(f, limit)
        )
        if anchor is not None:
            # Forwards: the rows after the anchor; backwards: the rows before it, read from the anchor up.
            edge, edge_params = before(sort, descending, sort_value(anchor, sort), anchor.id, reverse=not backwards)
            clauses.append(edge)
            params += edge_params
        clause = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        order = order_by(sort, descending, reverse=backwards)
        sql = f"SELECT {rows.ROW_COLUMNS} FROM pilot{clause} ORDER BY {order} LIMIT ?"
        return [rows.pilot_row(r) for r in self.session.read(sql, [*params, limit])]

    def position(self, pilot_id: str, pilot_filter: PilotFilter | None, sort: SortKey, descending: bool) -> int | None:
        """Where a pilot stands in the filtered, sorted list (so a view can keep its cursor on it): how
        many listed pilots come before it, counted on a range of the sort column's index; nothing is
        numbered (a window function numbering every row took 570 ms at 1M pilots)."""
        f = pilot_filter or PilotFilter()
        now = self.clock()
        # Its own sort value, if it is in the list at all (the text asked of the full-text index for it alone).
        found, params = conditions(f, now, self.stalled_days, text=Text.PROBE)
        own = self.session.one(
            f"SELECT {sort_column(sort)} AS value FROM pilot WHERE {' AND '.join(['id = ?', *found])}",
            [pilot_id, *params],
        )
        if own is None:
            return None
        value = own["value"]
        text = self._text_plan(f, 1)
        clauses, params = conditions(f, now, self.stalled_days, text=text)
        total = _TOTAL.get(text) if f.is_empty or text is Text.WALK else None
        if total is not None and self._past_middle(sort, descending, value, pilot_id):
            # Far down the list: all of it (which the full-text index or the table's b-tree counts at once)
            # less the rows after the pilot, so the index range walked is never more than half of it.
            edge, edge_params = before(sort, descending, value, pilot_id, reverse=True)
            sql = f"SELECT ({total}) - count(*) - 1 AS n FROM pilot WHERE {' AND '.join([*clauses, edge])}"
            total_params = [fts_query(f.text)] if f.text else []
            row = self.session.one(sql, [*total_params, *params, *edge_params])
        else:
            edge, edge_params = before(sort, descending, value, pilot_id)
            sql = f"SELECT count(*) AS n FROM pilot WHERE {' AND '.join([*clauses, edge])}"
            row = self.session.one(sql, [*params, *edge_params])
        return int(row["n"]) if row else 0

    def _past_middle(self, sort: SortKey, descending: bool, value: Any, pilot_id: str) -> bool:
        """Whether a pilot is in the second half of the whole portfolio in this sort order, by the pilot in
        the middle of the sort column's index (remembered: a middle gone stale only makes a count slower)."""
        estimate = self._pilots_estimate()
        known = self._middles.get(sort)
        if known is None or abs(known[0] - estimate) > estimate // 20:
            row = self.session.one(
                f"SELECT {sort_column(sort)} AS value, id FROM pilot ORDER BY {order_by_column(sort)} LIMIT 1 OFFSET ?",
                (estimate // 2,),
            )
            known = (estimate, None if row is None else (row["value"], row["id"]))
            self._middles[sort] = known
        middle = known[1]
        if middle is None:
            return False
        past = (value, pilot_id) > middle
        return past if ascending(sort, descending) else not past

    def _text_plan(self, f: PilotFilter, limit: int) -> Text:
        """How a page (or a count of rows before a pilot) reads a free-text filter: a common word walks the
        sort index, checking each row against the matches, and stops after the page (188 -> 39 ms for a
        word in a quarter of 1M pilots); a rare word reads its matches and sorts them (2 ms, where the walk
        would read the whole index). Words with other tokens keep the planner's choice."""
        if limit < 0 or not text_only(f):
            return Text.MATCHES
        match = fts_query(f.text)
        threshold = common_threshold(self._pilots_estimate())
        known = self._match_counts.get(match)
        if known is None:  # not counted lately: count up to the threshold, which is all the choice needs
            row = self.session.one(
                "SELECT count(*) AS n FROM (SELECT 1 FROM pilot_fts WHERE pilot_fts MATCH ? LIMIT ?)",
                (match, threshold),
            )
            known = int(row["n"]) if row else 0
        return Text.WALK if known >= threshold else Text.MATCHES

    def _pilots_estimate(self) -> int:
        """About how many pilots there are, read from the end of the table alone (rowids are never reused
        while the last row stays; a deletion only makes this an overestimate)."""
        row = self.session.one("SELECT max(rowid) AS n FROM pilot")
        return int(row["n"] or 0) if row else 0

    def _remember_matches(self, match: str, found: int) -> None:
        with self._lock:
            self._match_counts.pop(match, None)
            self._match_counts[match] = found
            while len(self._match_counts) > _REMEMBERED_WORDS:
                del self._match_counts[next(iter(self._match_counts))]
