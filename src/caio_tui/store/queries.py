"""Filters and sorts of the pilot table, as SQL. Every sort has the id as tiebreak so pages are stable.

The same filter is written a little differently for different questions, so that SQLite picks a fast plan
for each (measured on 100k and 1M pilots; docs/performance.md):

- `Plan.COUNT` (counts, stage counts): the filter as plainly as possible, so the planner uses any index of
  the filtered column (stage, territory, the partial indexes of high-impact and stale pilots).
- `Plan.PAGE` (a page in a sort order): the stage, stalled and high-impact clauses are written `+column`,
  which keeps the planner on the sort order's index (reading rows in order and stopping after the page)
  instead of fetching every row of a stage from the (stage, stage_entered_at) index and sorting them all.
  Sorted by days (`Plan.PAGE_BY_DAYS`), the (stage, stage_entered_at) index IS the sort order, so the
  stage clauses stay plain.
- `Text.WALK`: a common word (many matches) walks the sort index and checks each row against the set of
  matches, stopping after the page; a rare word reads its few matches and sorts them (`Text.MATCHES`).
- `Text.PROBE`: whether ONE pilot matches, asked of the full-text index for that row alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from enum import Enum, StrEnum
from typing import TYPE_CHECKING, Any

from caio_tui.domain.filters import PilotFilter
from caio_tui.domain.natural_id import NATURAL_ID_SQL, natural_id_key
from caio_tui.domain.stages import STALLABLE, Stage
from caio_tui.store.rows import timestamp

if TYPE_CHECKING:
    from caio_tui.domain.pilot_row import PilotRow
    from caio_tui.domain.pilots import Pilot


class SortKey(StrEnum):
    ID = "id"
    NAME = "name"
    OFFICE = "office"
    STAGE = "stage"
    READINESS = "readiness"
    TERRITORY = "territory"
    BLOCKERS = "blockers"
    DAYS = "days"


# Column per sort key; days in stage sorts on when the stage was entered (earlier = more days), the id on
# its natural sort key (AI-2 before AI-10; indexed, migration 0009). Every column is NOT NULL in the schema,
# so row-value comparisons on (column, id) follow the sort exactly.
_ORDER: dict[SortKey, tuple[str, bool]] = {
    SortKey.ID: (NATURAL_ID_SQL, False),
    SortKey.NAME: ("name", False),
    SortKey.OFFICE: ("office", False),
    SortKey.STAGE: ("stage_pos", False),
    SortKey.READINESS: ("readiness", False),
    SortKey.TERRITORY: ("territory", False),
    SortKey.BLOCKERS: ("open_blockers", False),
    SortKey.DAYS: ("stage_entered_at", True),
}


class Plan(Enum):
    COUNT = "count"  # as plainly as possible: any index of a filtered column may serve
    PAGE = "page"  # stage, stalled and high-impact kept off their indexes: the sort order's index serves
    PAGE_BY_DAYS = "page by days"  # the same, but the (stage, stage_entered_at) index IS the sort order


class Text(Enum):
    MATCHES = "matches"  # read the matches, then the rows
    WALK = "walk"  # walk the sort order, checking each row against the matches
    PROBE = "probe"  # does this one row match


def sort_column(sort: SortKey) -> str:
    return _ORDER[sort][0]


def ascending(sort: SortKey, descending: bool) -> bool:
    """Whether the list runs up its sort column (days in stage runs down stage_entered_at)."""
    return descending == _ORDER[sort][1]


def order_by(sort: SortKey, descending: bool, *, reverse: bool = False) -> str:
    """The ORDER BY of a sorted list; `reverse` reads it from its end (keyset paging backwards)."""
    column = sort_column(sort)
    direction = "ASC" if ascending(sort, descending) != reverse else "DESC"
    return f"{column} {direction}, id {direction}"


def order_by_column(sort: SortKey) -> str:
    """The sort column's own order, up its (column, id) index, whatever the list's direction."""
    column = sort_column(sort)
    return f"{column}, id"


def before(
    sort: SortKey, descending: bool, value: Any, pilot_id: str, *, reverse: bool = False
) -> tuple[str, list[Any]]:
    """The rows before the row (value, pilot_id) in the sorted list (after it, with `reverse`), as one
    row-value comparison that SQLite answers from a range of the sort column's (column, id) index."""
    column = sort_column(sort)
    sign = "<" if ascending(sort, descending) != reverse else ">"
    if sort is SortKey.ID:
        # SQLite ranges over an expression index only by a comparison of the expression alone: the bound
        # first makes the row-value comparison a range of the index, not a walk from its start.
        return f"{column} {sign}= ? AND ({column}, id) {sign} (?, ?)", [value, value, pilot_id]
    return f"({column}, id) {sign} (?, ?)", [value, pilot_id]


def fts_query(words: tuple[str, ...]) -> str:
    """Every word as a quoted prefix term: user text never becomes FTS5 syntax."""
    return " ".join('"' + w.replace('"', '""') + '"*' for w in words)


def text_only(f: PilotFilter) -> bool:
    """A filter of free text alone (no token): its count is the full-text index's own count."""
    return bool(f.text) and f == PilotFilter(text=f.text)


def common_threshold(pilots: int) -> int:
    """From how many matches a word is common enough that walking the sort order beats sorting the
    matches: measured, the cross-over grows like the square root of the portfolio's size (about 1,300
    matches at 100k pilots, 4,000 at 1M)."""
    return max(200, int(4 * math.sqrt(max(pilots, 0))))


def stalled_since(now: datetime, threshold_days: int) -> str:
    """The latest stage entry of a stalled pilot. Stalled means more than threshold whole days in stage
    (domain.stages.is_stalled), so the entry is at least threshold + 1 days ago; in the file's time form."""
    return (now - timedelta(days=threshold_days + 1)).astimezone(UTC).isoformat(timespec="seconds")


def conditions(
    f: PilotFilter,
    now: datetime,
    stalled_days: int,
    *,
    plan: Plan = Plan.COUNT,
    text: Text = Text.MATCHES,
) -> tuple[list[str], list[Any]]:
    """The filter as SQL conditions on `pilot` (to be joined with AND) and their parameters; each excluded
    token (`-stage:pilot`) is its condition under NOT."""
    clauses, params = _kept(f, now, stalled_days, plan, text)
    if f.excluded is not None:
        # Written `+column`: a NOT never narrows a range of an index, so none should be walked for it.
        out, out_params = _kept(f.excluded, now, stalled_days, Plan.PAGE, Text.MATCHES)
        clauses += [f"NOT ({clause})" for clause in out]
        params += out_params
    return clauses, params


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" * len(values))


def _kept(f: PilotFilter, now: datetime, stalled_days: int, plan: Plan, text: Text) -> tuple[list[str], list[Any]]:
    """The conditions of the filter's own tokens (not its excluded ones)."""
    clauses: list[str] = []
    params: list[Any] = []
    # `+` makes a column unusable for an index: see the module's docstring.
    hint = "+" if plan is Plan.PAGE else ""
    impact = "" if plan is Plan.COUNT else "+"
    if f.text:
        clauses.append(_TEXT[text])
        params.append(fts_query(f.text))
    if f.stages:
        clauses.append(f"{hint}stage IN ({_marks(f.stages)})")
        params += [s.value for s in f.stages]
    for tags in f.blockers:
        clauses.append(f"id IN (SELECT pilot_id FROM blocker WHERE tag IN ({_marks(tags)}) AND resolved_at IS NULL)")
        params += tags
    for categories in f.categories:
        # The open blockers of the category's tags, read by tag from blocker_open_by_tag.
        clauses.append(
            "id IN (SELECT pilot_id FROM blocker WHERE resolved_at IS NULL AND tag IN "
            f"(SELECT tag FROM blocker_tag WHERE category IN ({_marks(categories)})))"
        )
        params += [c.value for c in categories]
    if f.territories:
        clauses.append(f"territory IN ({_marks(f.territories)})")
        params += [t.value for t in f.territories]
    for offices in f.offices:
        clauses.append("(" + " OR ".join(["office LIKE ? ESCAPE '\\'"] * len(offices)) + ")")
        params += [f"%{_like(office)}%" for office in offices]
    if f.stalled:
        stallable = sorted(s.value for s in STALLABLE)
        clauses.append(f"{hint}stage IN ({_marks(stallable)}) AND {hint}stage_entered_at <= ?")
        params += [*stallable, stalled_since(now, stalled_days)]
    if f.high_impact:
        clauses.append(f"{impact}high_impact = 1")
    if f.approval_stale:
        clauses.append("approval_stale = 1")
    if f.below_gate:
        clauses.append("below_gate = 1")
    if f.ready:
        clauses.append("ready = 1")
    if f.waiting:  # both read from their partial indexes of what waits (migration 0013)
        clauses.append(
            "id IN (SELECT pilot_id FROM office_conflict WHERE resolved_at IS NULL "
            "UNION SELECT pilot_id FROM office_request WHERE decided_at IS NULL)"
        )
    return clauses, params


def _like(text: str) -> str:
    """User text as a LIKE pattern that matches only itself."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_TEXT = {
    Text.MATCHES: "rowid IN (SELECT rowid FROM pilot_fts WHERE pilot_fts MATCH ?)",
    Text.WALK: "+rowid IN (SELECT rowid FROM pilot_fts WHERE pilot_fts MATCH ?)",
    Text.PROBE: "EXISTS (SELECT 1 FROM pilot_fts WHERE pilot_fts MATCH ? AND pilot_fts.rowid = pilot.rowid)",
}


def where(
    f: PilotFilter,
    now: datetime,
    stalled_days: int,
    *,
    plan: Plan = Plan.COUNT,
    text: Text = Text.MATCHES,
) -> tuple[str, list[Any]]:
    """The filter as a WHERE clause (empty without a filter) on `pilot`, and its parameters."""
    clauses, params = conditions(f, now, stalled_days, plan=plan, text=text)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def page_plan(sort: SortKey) -> Plan:
    """Sorted by days, the (stage, stage_entered_at) index serves the stage filters and the sort at once."""
    return Plan.PAGE_BY_DAYS if sort is SortKey.DAYS else Plan.PAGE


STAGE_POSITION: dict[str, int] = {s.value: s.position for s in Stage}


def sort_value(pilot: Pilot | PilotRow, sort: SortKey) -> Any:
    """A pilot's value in the column its list is sorted by, as the file holds it (keyset paging's key)."""
    match sort:
        case SortKey.ID:
            return natural_id_key(pilot.id)
        case SortKey.NAME:
            return pilot.name
        case SortKey.OFFICE:
            return pilot.office
        case SortKey.STAGE:
            return STAGE_POSITION[pilot.stage.value]
        case SortKey.READINESS:
            return pilot.readiness
        case SortKey.TERRITORY:
            return pilot.territory.value
        case SortKey.BLOCKERS:
            return pilot.open_blockers
        case SortKey.DAYS:
            return timestamp(pilot.stage_entered_at)
