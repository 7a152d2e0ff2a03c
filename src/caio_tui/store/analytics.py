"""Portfolio-wide reads for the Compare, Blockers and Dashboard views: counts with GROUP BY, whole records
for a few pilots in a few queries, and the coverage heatmap a page at a time.

Every function takes an open Portfolio and reads through it (its lock serialises the UI thread and the
workers). Figures over blockers and territories leave retired pilots out (see domain/portfolio_stats.py).
Nothing here holds the whole portfolio, in models or in rows: the leverage, which evaluates the gates of
every pilot with an open blocker and a gate ahead, streams them CHUNK at a time (keyset paging by id),
keeps only per-tag tallies, builds a pilot's models only when a fix could open its gate, and keeps its
result until the portfolio changes. It still takes seconds on a large portfolio (about a minute at a
million pilots): the views run it in a worker, after the cheaper figures are on screen.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from functools import partial
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict

from caio_tui.domain.compare import Comparison, compare
from caio_tui.domain.coverage import Coverage, CoverageStatus
from caio_tui.domain.filters import PilotFilter
from caio_tui.domain.gates import GATED_FIELDS
from caio_tui.domain.leverage import GateFacts, LeverageCounter, TagLeverage, tag_leverage
from caio_tui.domain.pilots import Pilot, PilotRecord
from caio_tui.domain.portfolio_stats import (
    PortfolioStats,
    StalledPilot,
    TagSummary,
    funnel,
    oldest_stalled,
    production_share,
    tag_summaries,
    top_blockers,
)
from caio_tui.domain.scoring import readiness
from caio_tui.domain.stages import PIPELINE, STALLABLE, Stage
from caio_tui.domain.territory import BlockerCategory, Territory
from caio_tui.store import rows
from caio_tui.store.errors import StoreError
from caio_tui.store.portfolio import Portfolio
from caio_tui.store.queries import SortKey, order_by, stalled_since, where
from caio_tui.store.transfer import read_records

_NOT_RETIRED = "stage != 'retired'"
# Stages with a gate ahead of them: the only pilots a fix can unlock.
_GATED = tuple(s.value for s in PIPELINE[:-1])


def _days(now: datetime, moment: str) -> int:
    return max(0, (now - rows.parse_time(moment)).days)


# ---- counts -----------------------------------------------------------------------------------------


def territory_counts(portfolio: Portfolio) -> dict[Territory, int]:
    """Pilots not retired, per territory (every territory present, zero when none)."""
    found = portfolio.session.read(
        f"SELECT territory, count(*) AS n FROM pilot WHERE {_NOT_RETIRED} GROUP BY territory"
    )
    counts = {t: 0 for t in Territory}
    counts.update({Territory(r["territory"]): r["n"] for r in found})
    return counts


def stale_approvals(portfolio: Portfolio) -> int:
    row = portfolio.session.one(f"SELECT count(*) AS n FROM pilot WHERE approval_stale = 1 AND {_NOT_RETIRED}")
    return int(row["n"]) if row else 0


def below_gate(portfolio: Portfolio) -> int:
    """Pilots standing at a stage whose gates they would fail today (retired ones stand at none)."""
    row = portfolio.session.one("SELECT count(*) AS n FROM pilot WHERE below_gate = 1")
    return int(row["n"]) if row else 0


def stalled_pilots(portfolio: Portfolio, limit: int = 5) -> tuple[int, tuple[StalledPilot, ...]]:
    """How many pilots are stalled, and the `limit` longest in their stage (ties by id)."""
    stallable = sorted(s.value for s in STALLABLE)
    marks = ", ".join("?" * len(stallable))
    params = [*stallable, stalled_since(portfolio.clock(), portfolio.stalled_days)]
    base = f"FROM pilot WHERE stage IN ({marks}) AND stage_entered_at <= ?"
    total = portfolio.session.one(f"SELECT count(*) AS n {base}", params)
    found = portfolio.session.read(
        f"SELECT id, name, stage, stage_entered_at {base} ORDER BY stage_entered_at, id LIMIT ?", [*params, limit]
    )
    now = portfolio.clock()
    oldest = [
        StalledPilot(id=r["id"], name=r["name"], stage=Stage(r["stage"]), days=_days(now, r["stage_entered_at"]))
        for r in found
    ]
    return (int(total["n"]) if total else 0), oldest_stalled(oldest, limit)


_OPEN_BLOCKERS = (
    "FROM blocker b JOIN blocker_tag t USING (tag) JOIN pilot p ON p.id = b.pilot_id "
    "WHERE b.resolved_at IS NULL AND p.stage != 'retired'"
)


class OpenBlockers(NamedTuple):
    """The open blockers on pilots not retired, counted four ways."""

    by_tag: dict[str, int]
    oldest_days: dict[str, int]  # per tag: the age of the oldest open blocker
    by_category: dict[BlockerCategory, int]  # every category present, zero when none
    by_territory: dict[Territory, int]  # by the territory of the pilot that carries them; every territory


def open_blockers(portfolio: Portfolio) -> OpenBlockers:
    """Every count of open blockers in one pass over them (a group per tag and territory): on a large
    portfolio each pass is seconds, so the views ask once instead of once per split."""
    found = portfolio.session.read(
        "SELECT b.tag, t.category, p.territory, count(*) AS n, min(b.opened_at) AS oldest "
        f"{_OPEN_BLOCKERS} GROUP BY b.tag, p.territory"
    )
    now = portfolio.clock()
    figures = OpenBlockers({}, {}, {c: 0 for c in BlockerCategory}, {t: 0 for t in Territory})
    oldest: dict[str, str] = {}
    for r in found:
        tag, n = r["tag"], r["n"]
        figures.by_tag[tag] = figures.by_tag.get(tag, 0) + n
        oldest[tag] = min(oldest.get(tag, r["oldest"]), r["oldest"])
        figures.by_category[BlockerCategory(r["category"])] += n
        figures.by_territory[Territory(r["territory"])] += n
    figures.oldest_days.update({tag: _days(now, moment) for tag, moment in oldest.items()})
    return figures


def blockers_by_category(portfolio: Portfolio) -> dict[BlockerCategory, int]:
    return open_blockers(portfolio).by_category


# ---- records and leverage ---------------------------------------------------------------------------


def records(portfolio: Portfolio, pilot_ids: Sequence[str]) -> list[PilotRecord]:
    """Whole records of the given pilots, in the order given; StoreError names an unknown id."""
    found = {r.pilot.id: r for r in read_records(portfolio, list(pilot_ids))}
    missing = [i for i in pilot_ids if i not in found]
    if missing:
        raise StoreError(f"no pilot with id {missing[0]!r}")
    return [found[i] for i in pilot_ids]


def comparison(portfolio: Portfolio, pilot_ids: Sequence[str]) -> Comparison:
    """The comparison matrix of the given pilots (duplicates dropped, order kept)."""
    wanted = list(dict.fromkeys(pilot_ids))
    return compare(records(portfolio, wanted), portfolio.catalog(), portfolio.rules(), portfolio.clock())


CHUNK = 500
"""Pilots per chunk of the leverage (three queries of a few milliseconds each): at 100k pilots a chunk of
2,000 held 14 MB at its peak, 500 hold 7 MB, and the whole takes no longer."""

# `+` keeps the planner on the primary key, so each chunk walks on from the last id (keyset paging)
# instead of sorting every candidate again (the stage and blocker-count indexes would make it do so).
_CANDIDATES = (
    f"SELECT {rows.PILOT_COLUMNS} FROM pilot WHERE +open_blockers > 0 AND +stage IN ({', '.join('?' * len(_GATED))}) "
    "AND id > ? ORDER BY id LIMIT ?"
)
_STAGES = {s.value: s for s in Stage}
_STATUSES = {s.value: s for s in CoverageStatus}
_CATEGORIES = {c.value: c for c in BlockerCategory}

Candidate = tuple[str, GateFacts, Callable[[], PilotRecord]]


def gate_candidates(portfolio: Portfolio) -> Iterator[Candidate]:
    """The pilots a fix could unlock (open blockers, a gate ahead), in id order, as (id, gate facts, a
    function that builds the pilot's lean record: pilot, coverage statuses and open blockers, no evidence
    or history). Read CHUNK pilots at a time and built from plain rows: only one chunk is ever held, and a
    record (pydantic models) is built only for a pilot whose gate a fix could open."""
    after = ""
    shared: dict[tuple[str, str], Coverage] = {}
    while True:
        found = portfolio.session.read(_CANDIDATES, [*_GATED, after, CHUNK])
        yield from _chunk(portfolio, found, shared)
        if len(found) < CHUNK:
            return
        after = found[-1]["id"]


def _chunk(
    portfolio: Portfolio, pilots: list[sqlite3.Row], shared: dict[tuple[str, str], Coverage]
) -> Iterator[Candidate]:
    if not pilots:
        return
    ids = [r["id"] for r in pilots]
    marks = ", ".join("?" * len(ids))
    statuses: dict[str, dict[str, str]] = defaultdict(dict)
    for r in portfolio.session.read(f"SELECT pilot_id, item_id, status FROM coverage WHERE pilot_id IN ({marks})", ids):
        statuses[r["pilot_id"]][r["item_id"]] = r["status"]
    blockers: dict[str, list[sqlite3.Row]] = defaultdict(list)
    for r in portfolio.session.read(
        "SELECT b.*, t.category FROM blocker b JOIN blocker_tag t USING (tag) "
        f"WHERE b.resolved_at IS NULL AND b.pilot_id IN ({marks}) ORDER BY b.id",
        ids,
    ):
        blockers[r["pilot_id"]].append(r)
    for row in pilots:
        pilot_id = row["id"]
        own_statuses = statuses.get(pilot_id, {})
        own_blockers = blockers.get(pilot_id, [])
        facts = GateFacts(
            stage=_STAGES[row["stage"]],
            high_impact=bool(row["high_impact"]),
            fields={name: row[name] for name in GATED_FIELDS},
            statuses={item: _STATUSES[status] for item, status in own_statuses.items()},
            open_blockers=[(b["tag"], _CATEGORIES[b["category"]]) for b in own_blockers],
        )
        yield pilot_id, facts, partial(_lean_record, row, own_statuses, own_blockers, shared)


def _lean_record(
    row: sqlite3.Row, statuses: dict[str, str], blockers: list[sqlite3.Row], shared: dict[tuple[str, str], Coverage]
) -> PilotRecord:
    """The pilot's record for a gate evaluation. Coverage objects are shared between pilots (one per item
    and status): at 100k pilots building one per row costs seconds."""
    coverage: dict[str, Coverage] = {}
    for item, status in statuses.items():
        cov = shared.get((item, status))
        if cov is None:
            cov = shared[(item, status)] = Coverage.model_construct(item=item, status=_STATUSES[status])
        coverage[item] = cov
    return PilotRecord.model_construct(
        pilot=rows.pilot(row), coverage=coverage, blockers=tuple(rows.blocker(b) for b in blockers), stage_history=()
    )


def compute_leverage(portfolio: Portfolio, *, carriers: bool = True) -> list[TagLeverage]:
    """domain.leverage's LeverageCounter over the candidates, streamed (see gate_candidates): memory holds
    one chunk and the per-tag tallies, never every candidate at once; without `carriers`, the pilots
    that carry each tag are counted, not listed (TagLeverage.open_on empty)."""
    counter = LeverageCounter(portfolio.tags(), portfolio.rules(), portfolio.catalog(), keep_carriers=carriers)
    for pilot_id, facts, record in gate_candidates(portfolio):
        counter.add(pilot_id, facts, record)
    return counter.result()


def change_stamp(portfolio: Portfolio) -> tuple[int, str]:
    """The id and hash of the last audit event: every write appends one, so the stamp changes with every
    change of the portfolio (and differs between two files)."""
    row = portfolio.session.one("SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1")
    return (0, "") if row is None else (int(row["id"]), str(row["hash"]))


_LEVERAGE: dict[str, tuple[tuple[int, str], bool, list[TagLeverage]]] = {}
_LEVERAGE_LOCK = threading.Lock()


def leverage(portfolio: Portfolio, *, carriers: bool = True) -> list[TagLeverage]:
    """Every tag with open blockers on pilots that have a gate ahead, highest leverage first. Without
    `carriers`, open_on is left empty (TagLeverage.carriers counts them): the views show counts only, and
    a million pilots' ids would take tens of megabytes.

    The result is kept until the portfolio changes (see change_stamp): the Blockers view and the Dashboard
    both need it, and on a large portfolio it takes seconds. The lock is held while computing, so a second
    view asking meanwhile waits for the first result instead of computing it again. A kept result with the
    carriers also answers a question without them."""
    key = str(portfolio.path.resolve())
    with _LEVERAGE_LOCK:
        stamp = change_stamp(portfolio)
        kept = _LEVERAGE.get(key)
        if kept is not None and kept[0] == stamp and (kept[1] or not carriers):
            return kept[2]
        result = compute_leverage(portfolio, carriers=carriers)
        _LEVERAGE[key] = (stamp, carriers, result)
        return result


def blocker_table(
    portfolio: Portfolio, lever: Sequence[TagLeverage] | None = None, figures: OpenBlockers | None = None
) -> list[TagSummary]:
    """Every tag with its open count, oldest open age and leverage; highest leverage first. Pass the
    leverage or the open counts when they were just read."""
    found = open_blockers(portfolio) if figures is None else figures
    lever = leverage(portfolio, carriers=False) if lever is None else lever
    return tag_summaries(portfolio.tags(), found.by_tag, found.oldest_days, lever)


def tag_unlocks(portfolio: Portfolio, tag: str, pilot_ids: Sequence[str]) -> set[str]:
    """Which of these pilots a fix of the tag would unlock now (as the leverage decides it), read afresh
    for a few pilots: after a change (an override, a resolved blocker) the kept leverage may be stale."""
    records = [portfolio.record(pilot_id) for pilot_id in pilot_ids]
    found = tag_leverage(records, [portfolio.tag(tag)], portfolio.rules(), portfolio.catalog())
    return {pilot_id for t in found for pilot_id in t.unlocks}


class TagCarrier(BaseModel):
    """A pilot with an open blocker of one tag, and that blocker's note and age."""

    model_config = ConfigDict(frozen=True)
    pilot: Pilot
    note: str
    open_days: int


def tag_carriers(portfolio: Portfolio, tag: str) -> list[TagCarrier]:
    """The pilots (not retired) with an open blocker of this tag, the longest open first (ties by id);
    StoreError for an unknown tag."""
    portfolio.tag(tag)
    columns = ", ".join("p." + c.strip() for c in rows.PILOT_COLUMNS.split(","))
    found = portfolio.session.read(
        f"SELECT {columns}, b.note AS blocker_note, b.opened_at AS blocker_opened FROM blocker b "
        f"JOIN pilot p ON p.id = b.pilot_id WHERE b.tag = ? AND b.resolved_at IS NULL AND p.{_NOT_RETIRED} "
        "ORDER BY b.opened_at, p.id",
        (tag,),
    )
    now = portfolio.clock()
    return [
        TagCarrier(pilot=rows.pilot(r), note=r["blocker_note"], open_days=_days(now, r["blocker_opened"]))
        for r in found
    ]


# ---- the dashboard ----------------------------------------------------------------------------------


def dashboard(portfolio: Portfolio, table: Sequence[TagSummary] | None = None) -> PortfolioStats:
    """Every number of the dashboard. Pass the blocker table when it was just computed (it holds the
    leverage, the one costly part)."""
    stages = funnel(portfolio.stage_counts())
    figures = open_blockers(portfolio)
    stalled, oldest = stalled_pilots(portfolio)
    summaries = blocker_table(portfolio) if table is None else table
    return PortfolioStats(
        total=sum(stages.values()),
        stages=stages,
        production=production_share(stages),
        territories=territory_counts(portfolio),
        stalled=stalled,
        oldest_stalled=oldest,
        open_blockers=sum(figures.by_category.values()),
        blockers_by_category=figures.by_category,
        blockers_by_territory=figures.by_territory,
        top_blockers=top_blockers(summaries),
        stale_approvals=stale_approvals(portfolio),
        below_gate=below_gate(portfolio),
    )


# ---- the coverage heatmap ---------------------------------------------------------------------------


class HeatmapRow(BaseModel):
    """One pilot of the heatmap: its readiness and each area's, None where an area does not apply or
    every item of it is waived or not applicable."""

    model_config = ConfigDict(frozen=True)
    pilot: Pilot
    readiness: float
    areas: dict[str, float | None]
    unassessed: frozenset[str] = frozenset()  # areas of which no item is assessed yet: unknown, not a gap


HEATMAP_SORTS = ("readiness", "id", "name", "stage")
"""Sorts of the heatmap besides a requirement area's id."""


def _area_sql(portfolio: Portfolio, area_id: str) -> tuple[str, list[Any]]:
    """The SQL of one area's readiness of the pilot `p` (the same arithmetic as domain.scoring)."""
    catalog = portfolio.catalog()
    if not catalog.has_area(area_id):
        raise StoreError(f"unknown requirement area {area_id!r}")
    total = len(catalog.area(area_id).items)
    high_impact_only = not any(a.id == area_id for a in catalog.areas(high_impact=False))
    score = (
        "(SELECT coalesce(sum(CASE c.status WHEN 'met' THEN 1.0 WHEN 'partial' THEN 0.5 ELSE 0 END), 0) "
        "/ nullif(? - coalesce(sum(c.status IN ('waived', 'not_applicable')), 0), 0) "
        "FROM coverage c JOIN item i ON i.id = c.item_id WHERE c.pilot_id = p.id AND i.area_id = ?)"
    )
    if high_impact_only:
        return f"CASE WHEN p.high_impact THEN {score} END", [total, area_id]
    return score, [total, area_id]


def heatmap_page(
    portfolio: Portfolio,
    pilot_filter: PilotFilter | None = None,
    *,
    sort: str = "readiness",
    descending: bool = False,
    offset: int = 0,
    limit: int = 100,
) -> list[HeatmapRow]:
    """A page of the heatmap: the pilots under the filter in the sort's order (readiness, id, name, stage,
    or one area's readiness, pilots to which it does not apply last), each with its per-area scores,
    computed from the coverage rows of that page only. Sorting by an area scores every pilot under the
    filter: a view pages through heatmap_order's ids instead."""
    chosen = pilot_filter or PilotFilter()
    if sort in HEATMAP_SORTS:
        pilots = portfolio.page(chosen, sort=SortKey(sort), descending=descending, offset=offset, limit=limit)
        return _with_scores(portfolio, pilots)
    return heatmap_rows(portfolio, _area_order(portfolio, chosen, sort, descending, offset, limit))


def heatmap_order(
    portfolio: Portfolio, pilot_filter: PilotFilter | None, area_id: str, *, descending: bool = False
) -> list[str]:
    """The ids of every pilot under the filter, by one area's readiness (pilots to which it does not
    apply last, ties by id). A scan of the filtered pilots' coverage: run it in a worker."""
    return _area_order(portfolio, pilot_filter or PilotFilter(), area_id, descending, 0, -1)


def _area_order(
    portfolio: Portfolio, pilot_filter: PilotFilter, area_id: str, descending: bool, offset: int, limit: int
) -> list[str]:
    score, score_params = _area_sql(portfolio, area_id)
    clause, params = where(pilot_filter, portfolio.clock(), portfolio.stalled_days)
    direction = "DESC" if descending else "ASC"
    sql = (
        f"SELECT id FROM (SELECT p.id, {score} AS area_score FROM (SELECT id, high_impact FROM pilot{clause}) p) "
        f"ORDER BY area_score IS NULL, area_score {direction}, {order_by(SortKey.ID, descending)} LIMIT ? OFFSET ?"
    )
    return [r["id"] for r in portfolio.session.read(sql, [*score_params, *params, limit, offset])]


def heatmap_rows(portfolio: Portfolio, pilot_ids: Sequence[str]) -> list[HeatmapRow]:
    """The heatmap rows of the given pilots, in the order given (unknown ids are left out)."""
    if not pilot_ids:
        return []
    marks = ", ".join("?" * len(pilot_ids))
    found = {
        p.id: p
        for p in map(
            rows.pilot,
            portfolio.session.read(f"SELECT {rows.PILOT_COLUMNS} FROM pilot WHERE id IN ({marks})", list(pilot_ids)),
        )
    }
    return _with_scores(portfolio, [found[i] for i in pilot_ids if i in found])


def _with_scores(portfolio: Portfolio, pilots: Sequence[Pilot]) -> list[HeatmapRow]:
    if not pilots:
        return []
    marks = ", ".join("?" * len(pilots))
    statuses: dict[str, dict[str, CoverageStatus]] = defaultdict(dict)
    for r in portfolio.session.read(
        f"SELECT pilot_id, item_id, status FROM coverage WHERE pilot_id IN ({marks})", [p.id for p in pilots]
    ):
        statuses[r["pilot_id"]][r["item_id"]] = CoverageStatus(r["status"])
    catalog = portfolio.catalog()
    found = []
    for p in pilots:
        score = readiness(catalog, statuses.get(p.id, {}), p.high_impact)
        areas: dict[str, float | None] = {a.id: None for a in catalog.areas(high_impact=True)}
        areas.update({a.area: (a.score if a.counted else None) for a in score.areas})
        unassessed = frozenset(a.area for a in score.areas if a.counted and a.not_assessed == a.counted)
        found.append(HeatmapRow(pilot=p, readiness=score.score, areas=areas, unassessed=unassessed))
    return found
