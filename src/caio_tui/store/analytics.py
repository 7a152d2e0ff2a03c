"""Portfolio-wide reads for the Compare, Blockers and Dashboard views: counts with GROUP BY, whole records
for a few pilots in a few queries, and the coverage heatmap a page at a time.

Every function takes an open Portfolio and reads through it (its lock serialises the UI thread and the
workers). Figures over blockers and territories leave retired pilots out (see domain/portfolio_stats.py).
Nothing here holds the whole portfolio in models: the leverage, which evaluates the gates of every pilot
with an open blocker and a gate ahead, reads and folds them a chunk at a time and keeps its result until
the portfolio changes. It still takes seconds on a large portfolio: the views run it in a worker.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from caio_tui.domain.blockers import Blocker, BlockerCategory, Territory
from caio_tui.domain.compare import Comparison, compare
from caio_tui.domain.coverage import Coverage, CoverageStatus
from caio_tui.domain.filters import PilotFilter
from caio_tui.domain.leverage import TagLeverage, tag_leverage
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
    found = portfolio._read(f"SELECT territory, count(*) AS n FROM pilot WHERE {_NOT_RETIRED} GROUP BY territory")
    counts = {t: 0 for t in Territory}
    counts.update({Territory(r["territory"]): r["n"] for r in found})
    return counts


def stale_approvals(portfolio: Portfolio) -> int:
    row = portfolio._one(f"SELECT count(*) AS n FROM pilot WHERE approval_stale = 1 AND {_NOT_RETIRED}")
    return int(row["n"]) if row else 0


def stalled_pilots(portfolio: Portfolio, limit: int = 5) -> tuple[int, tuple[StalledPilot, ...]]:
    """How many pilots are stalled, and the `limit` longest in their stage (ties by id)."""
    stallable = sorted(s.value for s in STALLABLE)
    marks = ", ".join("?" * len(stallable))
    params = [*stallable, stalled_since(portfolio.clock(), portfolio.stalled_days)]
    base = f"FROM pilot WHERE stage IN ({marks}) AND stage_entered_at <= ?"
    total = portfolio._one(f"SELECT count(*) AS n {base}", params)
    found = portfolio._read(
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


def blockers_by_category(portfolio: Portfolio) -> dict[BlockerCategory, int]:
    found = portfolio._read(f"SELECT t.category, count(*) AS n {_OPEN_BLOCKERS} GROUP BY t.category")
    counts = {c: 0 for c in BlockerCategory}
    counts.update({BlockerCategory(r["category"]): r["n"] for r in found})
    return counts


def blockers_by_territory(portfolio: Portfolio) -> dict[Territory, int]:
    """Open blockers, by the territory of the pilot that carries them."""
    found = portfolio._read(f"SELECT p.territory, count(*) AS n {_OPEN_BLOCKERS} GROUP BY p.territory")
    counts = {t: 0 for t in Territory}
    counts.update({Territory(r["territory"]): r["n"] for r in found})
    return counts


def open_by_tag(portfolio: Portfolio) -> tuple[dict[str, int], dict[str, int]]:
    """Per tag: open blockers, and the age in days of the oldest of them."""
    found = portfolio._read(f"SELECT b.tag, count(*) AS n, min(b.opened_at) AS oldest {_OPEN_BLOCKERS} GROUP BY b.tag")
    now = portfolio.clock()
    return {r["tag"]: r["n"] for r in found}, {r["tag"]: _days(now, r["oldest"]) for r in found}


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


_CANDIDATES = "SELECT id FROM pilot WHERE open_blockers > 0 AND stage IN ({})".format(", ".join("?" * len(_GATED)))


def gate_records(portfolio: Portfolio) -> list[PilotRecord]:
    """Lean records of the pilots a fix could unlock (open blockers, a gate ahead), in id order: pilot,
    coverage statuses and open blockers only (no evidence, no history). See gate_chunks."""
    return [r for chunk in gate_chunks(portfolio) for r in chunk]


def gate_chunks(portfolio: Portfolio) -> Iterator[list[PilotRecord]]:
    """gate_records a chunk of ids at a time, three queries each: the UI thread's page reads are never held
    up for the whole load, and a caller that folds the chunks keeps one chunk in memory. Coverage objects
    are shared between pilots (one per item and status): at 100k pilots building one per row costs seconds."""
    ids = [r["id"] for r in portfolio._read(f"{_CANDIDATES} ORDER BY id", _GATED)]
    shared: dict[tuple[str, str], Coverage] = {}
    for start in range(0, len(ids), CHUNK):
        yield _gate_chunk(portfolio, ids[start : start + CHUNK], shared)


CHUNK = 2_000
"""Pilots per query of gate_records: a few tens of milliseconds each on a large portfolio."""


def _gate_chunk(portfolio: Portfolio, ids: list[str], shared: dict[tuple[str, str], Coverage]) -> list[PilotRecord]:
    marks = ", ".join("?" * len(ids))
    pilots = [
        rows.pilot(r) for r in portfolio._read(f"SELECT {rows.PILOT_COLUMNS} FROM pilot WHERE id IN ({marks})", ids)
    ]
    coverage: dict[str, dict[str, Coverage]] = defaultdict(dict)
    for r in portfolio._read(f"SELECT pilot_id, item_id, status FROM coverage WHERE pilot_id IN ({marks})", ids):
        key = (r["item_id"], r["status"])
        cov = shared.get(key)
        if cov is None:
            cov = shared[key] = Coverage.model_construct(item=key[0], status=CoverageStatus(key[1]))
        coverage[r["pilot_id"]][key[0]] = cov
    blockers: dict[str, list[Blocker]] = defaultdict(list)
    for r in portfolio._read(
        "SELECT b.*, t.category FROM blocker b JOIN blocker_tag t USING (tag) "
        f"WHERE b.resolved_at IS NULL AND b.pilot_id IN ({marks}) ORDER BY b.id",
        ids,
    ):
        blockers[r["pilot_id"]].append(rows.blocker(r))
    return [
        PilotRecord.model_construct(
            pilot=p, coverage=coverage.get(p.id, {}), blockers=tuple(blockers.get(p.id, ())), stage_history=()
        )
        for p in sorted(pilots, key=lambda p: p.id)
    ]


def _fold_leverage(portfolio: Portfolio, chunks: Iterable[list[PilotRecord]]) -> list[TagLeverage]:
    """domain.leverage.tag_leverage over the chunks, merged: a pilot's leverage depends on its own record
    only, so the union of the chunks' results is the result over all of them."""
    tags, rules, catalog = portfolio.tags(), portfolio.rules(), portfolio.catalog()
    merged: dict[str, TagLeverage] = {}
    for chunk in chunks:
        for part in tag_leverage(chunk, tags, rules, catalog):
            kept = merged.get(part.tag)
            merged[part.tag] = (
                part
                if kept is None
                else kept.model_copy(
                    update={"open_on": kept.open_on + part.open_on, "unlocks": kept.unlocks + part.unlocks}
                )
            )
    return sorted(merged.values(), key=lambda t: (-t.leverage, -len(t.open_on), t.tag))


def change_stamp(portfolio: Portfolio) -> tuple[int, str]:
    """The id and hash of the last audit event: every write appends one, so the stamp changes with every
    change of the portfolio (and differs between two files)."""
    row = portfolio._one("SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1")
    return (0, "") if row is None else (int(row["id"]), str(row["hash"]))


_LEVERAGE: dict[str, tuple[tuple[int, str], list[TagLeverage]]] = {}
_LEVERAGE_LOCK = threading.Lock()


def leverage(portfolio: Portfolio) -> list[TagLeverage]:
    """Every tag with open blockers on pilots that have a gate ahead, highest leverage first.

    The result is kept until the portfolio changes (see change_stamp): the Blockers view and the Dashboard
    both need it, and on a large portfolio it takes seconds. The lock is held while computing, so a second
    view asking meanwhile waits for the first result instead of computing it again."""
    key = str(portfolio.path.resolve())
    with _LEVERAGE_LOCK:
        stamp = change_stamp(portfolio)
        kept = _LEVERAGE.get(key)
        if kept is not None and kept[0] == stamp:
            return kept[1]
        result = _fold_leverage(portfolio, gate_chunks(portfolio))
        _LEVERAGE[key] = (stamp, result)
        return result


def blocker_table(portfolio: Portfolio, lever: Sequence[TagLeverage] | None = None) -> list[TagSummary]:
    """Every tag with its open count, oldest open age and leverage; highest leverage first."""
    counts, oldest = open_by_tag(portfolio)
    return tag_summaries(portfolio.tags(), counts, oldest, leverage(portfolio) if lever is None else lever)


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
    found = portfolio._read(
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


def pilots_with_tag(portfolio: Portfolio, tag: str) -> list[Pilot]:
    """The pilots (not retired) with an open blocker of this tag, the longest open first."""
    return [c.pilot for c in tag_carriers(portfolio, tag)]


# ---- the dashboard ----------------------------------------------------------------------------------


def dashboard(portfolio: Portfolio, table: Sequence[TagSummary] | None = None) -> PortfolioStats:
    """Every number of the dashboard. Pass the blocker table when it was just computed (it holds the
    leverage, the one costly part)."""
    stages = funnel(portfolio.stage_counts())
    by_category = blockers_by_category(portfolio)
    stalled, oldest = stalled_pilots(portfolio)
    summaries = blocker_table(portfolio) if table is None else table
    return PortfolioStats(
        total=sum(stages.values()),
        stages=stages,
        production=production_share(stages),
        territories=territory_counts(portfolio),
        stalled=stalled,
        oldest_stalled=oldest,
        open_blockers=sum(by_category.values()),
        blockers_by_category=by_category,
        blockers_by_territory=blockers_by_territory(portfolio),
        top_blockers=top_blockers(summaries),
        stale_approvals=stale_approvals(portfolio),
    )


# ---- the coverage heatmap ---------------------------------------------------------------------------


class HeatmapRow(BaseModel):
    """One pilot of the heatmap: its readiness and each area's, None where an area does not apply or
    every item of it is waived or not applicable."""

    model_config = ConfigDict(frozen=True)
    pilot: Pilot
    readiness: float
    areas: dict[str, float | None]


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
    return [r["id"] for r in portfolio._read(sql, [*score_params, *params, limit, offset])]


def heatmap_rows(portfolio: Portfolio, pilot_ids: Sequence[str]) -> list[HeatmapRow]:
    """The heatmap rows of the given pilots, in the order given (unknown ids are left out)."""
    if not pilot_ids:
        return []
    marks = ", ".join("?" * len(pilot_ids))
    found = {
        p.id: p
        for p in map(
            rows.pilot,
            portfolio._read(f"SELECT {rows.PILOT_COLUMNS} FROM pilot WHERE id IN ({marks})", list(pilot_ids)),
        )
    }
    return _with_scores(portfolio, [found[i] for i in pilot_ids if i in found])


def _with_scores(portfolio: Portfolio, pilots: Sequence[Pilot]) -> list[HeatmapRow]:
    if not pilots:
        return []
    marks = ", ".join("?" * len(pilots))
    statuses: dict[str, dict[str, CoverageStatus]] = defaultdict(dict)
    for r in portfolio._read(
        f"SELECT pilot_id, item_id, status FROM coverage WHERE pilot_id IN ({marks})", [p.id for p in pilots]
    ):
        statuses[r["pilot_id"]][r["item_id"]] = CoverageStatus(r["status"])
    catalog = portfolio.catalog()
    found = []
    for p in pilots:
        score = readiness(catalog, statuses.get(p.id, {}), p.high_impact)
        areas: dict[str, float | None] = {a.id: None for a in catalog.areas(high_impact=True)}
        areas.update({a.area: (a.score if a.counted else None) for a in score.areas})
        found.append(HeatmapRow(pilot=p, readiness=score.score, areas=areas))
    return found


def heatmap_count(portfolio: Portfolio, pilot_filter: PilotFilter | None = None) -> int:
    return portfolio.count(pilot_filter)
