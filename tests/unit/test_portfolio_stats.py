"""The dashboard numbers and the blocker table on crafted portfolios: leverage, splits by category and
territory, the production share against the one-third benchmark, stalled pilots, stale approvals; and the
store's GROUP BY figures against the reference computed from whole records."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from caio_tui.domain.coverage import CoverageStatus
from caio_tui.domain.filters import parse_filter
from caio_tui.domain.pilots import PilotFields
from caio_tui.domain.portfolio_stats import ProductionShare, stats_from_records
from caio_tui.domain.stages import PIPELINE, Stage
from caio_tui.domain.territory import BlockerCategory, Territory
from caio_tui.store import Portfolio, StoreError
from caio_tui.store.analytics import blocker_table, dashboard, leverage, tag_carriers
from caio_tui.store.transfer import read_records
from helpers import NOW


class Clock:
    def __init__(self, start: datetime = NOW) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, days: int) -> None:
        self.now += timedelta(days=days)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(db_path: Path, clock: Clock) -> Iterator[Portfolio]:
    with Portfolio.open(db_path, actor="tester", create=True, clock=clock) as opened:
        yield opened


def add(store: Portfolio, name: str, stage: Stage, *, pilot_id: str | None = None) -> str:
    fields = PilotFields(name=name, office="Office", owner="Owner")
    return store.add_pilot(fields, stage=stage, pilot_id=pilot_id)


def cover(store: Portfolio, pilot_id: str) -> None:
    for item in store.catalog().items(high_impact=False):
        store.set_coverage(pilot_id, item.id, CoverageStatus.MET, evidence="seen")


@pytest.fixture
def crafted(store: Portfolio, clock: Clock) -> Portfolio:
    """A, B, C are ready for production but for debug-only logging (C also lacks an ATO pathway); E would
    pass into readiness but for personal credentials; F and G carry organizational blockers; D is retired."""
    for pid in ("A", "B", "C"):
        add(store, pid, Stage.READINESS, pilot_id=pid)
        cover(store, pid)
        store.open_blocker(pid, "debug-only-logging")
    # A's audit items are not met either: covering the tag's area is part of the fix.
    store.set_coverage("A", "audit.activity", CoverageStatus.GAP)
    store.open_blocker("C", "no-ato-pathway")
    add(store, "D", Stage.RETIRED, pilot_id="D")
    store.open_blocker("D", "debug-only-logging")
    add(store, "E", Stage.PILOT, pilot_id="E")
    store.set_coverage("E", "governance.approver", CoverageStatus.PARTIAL)
    store.open_blocker("E", "personal-credentials")
    add(store, "F", Stage.POC, pilot_id="F")
    store.open_blocker("F", "skills-gap")
    add(store, "G", Stage.PILOT, pilot_id="G")
    store.open_blocker("G", "skills-gap")
    clock.advance(10)
    store.open_blocker("G", "informal-access")
    add(store, "H", Stage.PRODUCTION, pilot_id="H")
    add(store, "I", Stage.SCALED, pilot_id="I")
    clock.advance(5)
    return store


def test_a_tag_whose_resolution_unblocks_exactly_two_pilots(crafted: Portfolio) -> None:
    by_tag = {t.tag: t for t in leverage(crafted)}

    assert by_tag["debug-only-logging"].unlocks == ("A", "B")  # C still lacks an ATO pathway; D is retired
    assert by_tag["debug-only-logging"].leverage == 2
    assert by_tag["no-ato-pathway"].leverage == 0  # C's logging still blocks it
    assert by_tag["personal-credentials"].unlocks == ("E",)  # its next gate is readiness, not production
    assert by_tag["skills-gap"].leverage == 0  # F passes its next gate already; G lacks an approver


def test_blocker_table_lists_every_tag_by_leverage_with_open_counts_and_ages(crafted: Portfolio) -> None:
    table = blocker_table(crafted)
    rows = {t.tag: t for t in table}

    assert [t.tag for t in table[:2]] == ["debug-only-logging", "personal-credentials"]
    assert [t.leverage for t in table] == sorted((t.leverage for t in table), reverse=True)
    assert {t.tag for t in table} == {t.tag for t in crafted.tags()}  # every tag, open or not
    assert rows["debug-only-logging"].open == 3  # the retired pilot's blocker does not count
    assert rows["debug-only-logging"].oldest_open_days == 15
    assert rows["informal-access"].oldest_open_days == 5
    assert rows["skills-gap"].open == 2
    assert rows["no-governing-policy"].open == 0 and rows["no-governing-policy"].oldest_open_days is None
    assert rows["debug-only-logging"].category is BlockerCategory.INFRASTRUCTURE
    assert rows["debug-only-logging"].areas == ("audit",)


def test_dashboard_splits_and_share(crafted: Portfolio) -> None:
    stats = dashboard(crafted)

    assert stats.total == 9
    assert stats.stages[Stage.READINESS] == 3 and stats.stages[Stage.RETIRED] == 1
    assert list(stats.stages) == [*PIPELINE, Stage.RETIRED]
    assert (stats.production.in_production, stats.production.active) == (2, 8)
    assert not stats.production.meets_benchmark
    assert stats.production.short_of_benchmark == 1
    assert stats.blockers_by_category == {
        BlockerCategory.IDENTITY: 2,
        BlockerCategory.INFRASTRUCTURE: 4,
        BlockerCategory.GOVERNANCE: 0,
        BlockerCategory.ORGANIZATIONAL: 2,
    }
    assert stats.open_blockers == 8
    assert stats.blockers_by_territory == {
        Territory.CLEAR: 0,
        Territory.INFRASTRUCTURE: 5,
        Territory.ORGANIZATIONAL: 1,
        Territory.BOTH: 2,
        Territory.UNASSESSED: 0,  # no open blocker there, by definition
    }
    # H (production) and I (scaled) have nothing assessed and no blocker: unassessed, never clear.
    assert stats.territories == {
        Territory.CLEAR: 0,
        Territory.INFRASTRUCTURE: 4,
        Territory.ORGANIZATIONAL: 1,
        Territory.BOTH: 1,
        Territory.UNASSESSED: 2,
    }
    # H and I meet nothing the production gate asks; A, B and C stand in readiness, whose gate does not
    # forbid their debug-only logging; E's personal credentials only bar its way into readiness.
    assert stats.below_gate == 2
    assert [p.id for p in crafted.pilots(parse_filter("below-gate"))] == ["H", "I"]
    assert [(t.tag, t.leverage) for t in stats.top_blockers] == [("debug-only-logging", 2), ("personal-credentials", 1)]


def test_pilots_with_a_tag_leave_retired_ones_out(crafted: Portfolio) -> None:
    assert [c.pilot.id for c in tag_carriers(crafted, "debug-only-logging")] == ["A", "B", "C"]
    assert tag_carriers(crafted, "no-governing-policy") == []
    with pytest.raises(StoreError, match="unknown blocker tag"):
        tag_carriers(crafted, "no-such-tag")


def test_stalled_pilots_and_the_five_longest_in_stage(store: Portfolio, clock: Clock) -> None:
    for day in range(6):
        add(store, f"S{day}", Stage.PILOT if day % 2 else Stage.READINESS, pilot_id=f"S{day}")
        clock.advance(5)
    add(store, "Intake", Stage.INTAKE, pilot_id="Z")  # long in intake is not an extended evaluation
    clock.advance(20)
    add(store, "Recent", Stage.PILOT, pilot_id="R")
    clock.advance(180)  # R has now been 180 days in stage: stalled only past 180

    stats = dashboard(store)

    assert stats.stalled == 6
    assert [s.id for s in stats.oldest_stalled] == ["S0", "S1", "S2", "S3", "S4"]
    assert [s.days for s in stats.oldest_stalled] == [230, 225, 220, 215, 210]
    assert stats.oldest_stalled[0].stage is Stage.READINESS


def test_stale_approvals_count_pilots_not_retired(crafted: Portfolio) -> None:
    assert dashboard(crafted).stale_approvals == 0
    # No write sets the flag yet: set it as a future approval check would.
    crafted.conn.execute("UPDATE pilot SET approval_stale = 1 WHERE id IN ('A', 'D')")
    assert dashboard(crafted).stale_approvals == 1


@pytest.mark.parametrize(
    ("in_production", "active", "meets", "short"),
    [(2, 6, True, 0), (1, 6, False, 1), (3, 10, False, 1), (4, 10, True, 0), (0, 0, False, 0), (7, 28, False, 3)],
)
def test_production_share_against_one_third(in_production: int, active: int, meets: bool, short: int) -> None:
    share = ProductionShare(in_production=in_production, active=active)
    assert share.meets_benchmark is meets
    assert share.short_of_benchmark == short


def _reference(portfolio: Portfolio) -> tuple[object, object]:
    return stats_from_records(
        read_records(portfolio),
        now=portfolio.clock(),
        stalled_days=portfolio.stalled_days,
        tags=portfolio.tags(),
        rules=portfolio.rules(),
        catalog=portfolio.catalog(),
    )


def test_store_figures_match_the_reference_on_the_crafted_portfolio(crafted: Portfolio) -> None:
    stats, table = _reference(crafted)
    assert dashboard(crafted) == stats
    assert blocker_table(crafted) == table


def test_store_figures_match_the_reference_on_the_sample(sample_portfolio: Portfolio) -> None:
    stats, table = _reference(sample_portfolio)
    found = dashboard(sample_portfolio)
    assert found == stats
    assert blocker_table(sample_portfolio) == table
    assert found.total == 30 and found.stalled > 0 and found.open_blockers > 0


def test_an_empty_portfolio_has_all_zero_figures(store: Portfolio) -> None:
    stats = dashboard(store)
    assert stats.total == 0 and stats.open_blockers == 0 and stats.top_blockers == ()
    assert stats.production.share == 0 and not stats.production.meets_benchmark
    assert all(t.open == 0 and t.leverage == 0 for t in blocker_table(store))


def test_leverage_is_kept_until_the_portfolio_changes(crafted: Portfolio, db_path: Path) -> None:
    first = leverage(crafted)
    assert leverage(crafted) is first  # the Blockers view and the Dashboard share one computation
    crafted.resolve_blocker("A", "debug-only-logging")
    second = leverage(crafted)
    assert second is not first
    assert {t.tag: t for t in second}["debug-only-logging"].unlocks == ("B",)
    # A change made by another program (another connection) is seen too.
    with Portfolio.open(db_path, actor="someone-else", clock=crafted.clock) as other:
        other.resolve_blocker("B", "debug-only-logging")
    logging = {t.tag: t for t in leverage(crafted)}["debug-only-logging"]
    assert (logging.open_on, logging.unlocks) == (("C",), ())


def test_leverage_read_in_small_chunks_matches_the_reference(
    crafted: Portfolio, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large portfolio is read and folded a chunk at a time; chunks of one pilot give the same answer."""
    from caio_tui.domain.leverage import tag_leverage
    from caio_tui.store import analytics

    monkeypatch.setattr(analytics, "CHUNK", 1)
    active = [r for r in read_records(crafted) if r.pilot.stage is not Stage.RETIRED]
    expected = tag_leverage(active, crafted.tags(), crafted.rules(), crafted.catalog())
    found = leverage(crafted)
    assert [(t.tag, t.open_on, t.unlocks) for t in found] == [(t.tag, t.open_on, t.unlocks) for t in expected]
    assert {t.tag: t for t in found}["debug-only-logging"].unlocks == ("A", "B")  # from two chunks
    stats, table = _reference(crafted)
    assert blocker_table(crafted) == table
    assert dashboard(crafted) == stats


def test_leverage_is_the_same_whatever_the_chunk(sample_portfolio: Portfolio, monkeypatch: pytest.MonkeyPatch) -> None:
    """The leverage streams the candidates a chunk at a time (keyset paging by id): chunks of one, chunks
    that end exactly on the last candidate, one short of it or one past it all give what one chunk of
    everything gives, and what the definition gives over whole records."""
    from caio_tui.domain.leverage import tag_leverage
    from caio_tui.store import analytics

    gated = [
        r
        for r in read_records(sample_portfolio)
        if r.pilot.stage not in (Stage.SCALED, Stage.RETIRED) and r.open_blockers
    ]
    expected = tag_leverage(gated, sample_portfolio.tags(), sample_portfolio.rules(), sample_portfolio.catalog())
    assert sum(t.leverage for t in expected) > 0  # the sample has pilots a single fix unlocks
    counted = [t.model_copy(update={"open_on": ()}) for t in expected]
    assert [t.carriers for t in counted] == [len(t.open_on) for t in expected]
    candidates = len(gated)
    for chunk in (1, 2, 3, candidates - 1, candidates, candidates + 1, 100_000):
        monkeypatch.setattr(analytics, "CHUNK", chunk)
        assert analytics.compute_leverage(sample_portfolio) == expected, chunk
        # The views' variant counts the carriers instead of listing them; everything else is the same.
        assert analytics.compute_leverage(sample_portfolio, carriers=False) == counted, chunk


def test_the_views_leverage_without_carriers_gives_the_same_table(sample_portfolio: Portfolio) -> None:
    full = leverage(sample_portfolio)
    assert blocker_table(sample_portfolio) == blocker_table(sample_portfolio, full)
    assert leverage(sample_portfolio, carriers=False) is full  # a kept result with the carriers answers too


def test_open_blockers_counted_in_one_pass_match_each_split(sample_portfolio: Portfolio) -> None:
    from caio_tui.store import analytics

    figures = analytics.open_blockers(sample_portfolio)
    open_rows = sample_portfolio.conn.execute(
        "SELECT b.tag, t.category, p.territory, b.opened_at FROM blocker b JOIN blocker_tag t USING (tag) "
        "JOIN pilot p ON p.id = b.pilot_id WHERE b.resolved_at IS NULL AND p.stage != 'retired'"
    ).fetchall()
    assert sum(figures.by_tag.values()) == len(open_rows) > 0
    assert sum(figures.by_category.values()) == sum(figures.by_territory.values()) == len(open_rows)
    for tag in figures.by_tag:
        assert figures.by_tag[tag] == sum(1 for r in open_rows if r[0] == tag)
