"""The comparison matrix on crafted portfolios where the answer is known: which rows differ, what the
differences-only filter and expansion show, each cell's evidence and age, and distance to production."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from caio_tui.domain.compare import area_status, cell_text
from caio_tui.domain.coverage import CoverageStatus
from caio_tui.domain.filters import parse_filter
from caio_tui.domain.gates import distance
from caio_tui.domain.pilots import PilotFields
from caio_tui.domain.scoring import readiness
from caio_tui.domain.stages import Stage
from caio_tui.store import Portfolio, StoreError
from caio_tui.store.analytics import comparison, heatmap_order, heatmap_page, heatmap_rows
from caio_tui.store.queries import SortKey
from helpers import NOW

MET, GAP, PARTIAL = CoverageStatus.MET, CoverageStatus.GAP, CoverageStatus.PARTIAL


class Clock:
    """A clock a test moves forward, so ages and days in stage differ."""

    def __init__(self) -> None:
        self.now = NOW

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


def add(store: Portfolio, name: str, stage: Stage = Stage.READINESS, *, high_impact: bool = False) -> str:
    return store.add_pilot(PilotFields(name=name, office="Office", owner="Owner", high_impact=high_impact), stage=stage)


def cover(store: Portfolio, pilot_id: str, status: CoverageStatus = MET, *, evidence: str | None = None) -> None:
    """Every item of every framework that applies to the pilot set to status."""
    high_impact = store.get(pilot_id).high_impact
    for item in store.catalog().items(high_impact):
        store.set_coverage(pilot_id, item.id, status, evidence=evidence or f"{item.id} checked")


def test_two_pilots_differing_in_exactly_one_item(store: Portfolio) -> None:
    a, b = add(store, "Alpha"), add(store, "Beta")
    cover(store, a)
    cover(store, b)
    store.set_coverage(b, "audit.activity", PARTIAL)

    found = comparison(store, [a, b])

    assert [r.id for r in found.areas if r.differs] == ["audit"]
    assert [r.id for rows in found.items.values() for r in rows if r.differs] == ["audit.activity"]
    assert found.differing_areas == 1
    assert found.differing_items == 1
    # Differences only: just the audit area, collapsed; expanded, its one differing item.
    assert [r.id for r in found.rows(differences_only=True)] == ["audit"]
    assert [r.id for r in found.rows({"audit"}, differences_only=True)] == ["audit", "audit.activity"]
    assert [r.id for r in found.rows("all", differences_only=True)] == ["audit", "audit.activity"]
    audit = next(r for r in found.areas if r.id == "audit")
    assert [c.status if c else None for c in audit.cells] == [MET, PARTIAL]


def test_expansion_shows_an_area_s_items_in_catalog_order(store: Portfolio) -> None:
    a, b = add(store, "Alpha"), add(store, "Beta")
    found = comparison(store, [a, b])
    areas = [area.id for area in store.catalog().areas(high_impact=False)]

    assert [r.id for r in found.rows()] == areas
    expanded = [r.id for r in found.rows({"access"})]
    access_items = [i.id for i in store.catalog().area("access").items]
    assert expanded == ["access", *access_items, *areas[1:]]
    every = found.rows("all")
    assert len(every) == len(areas) + len(store.catalog().items(high_impact=False))
    # Nothing differs between two untouched pilots.
    assert found.rows("all", differences_only=True) == []


def test_high_impact_practices_show_only_when_a_compared_pilot_is_high_impact(store: Portfolio) -> None:
    plain, other, high = add(store, "Plain"), add(store, "Other"), add(store, "High", high_impact=True)

    assert "hi" not in [r.id for r in comparison(store, [plain, other]).areas]
    found = comparison(store, [plain, high])
    practices = next(r for r in found.areas if r.id == "hi")
    assert practices.cells[0] is None  # does not apply to the plain pilot
    assert practices.cells[1] is not None and practices.cells[1].status is CoverageStatus.NOT_ASSESSED
    assert practices.differs
    assert cell_text(practices.cells[0], kind="area") == "·"


def test_cells_count_evidence_and_age_of_the_last_change(store: Portfolio, clock: Clock) -> None:
    a, b = add(store, "Alpha"), add(store, "Beta")
    store.set_coverage(a, "data.access_agreements", MET, evidence="DAA-2026-14")
    store.set_coverage(a, "ato.boundary", GAP)
    clock.advance(12)
    store.set_coverage(a, "ato.package_submitted", PARTIAL, evidence="draft SSP")
    clock.advance(3)

    found = comparison(store, [a, b])
    data = next(r for r in found.areas if r.id == "data")
    ato = next(r for r in found.areas if r.id == "ato")
    boundary = next(r for r in found.items["ato"] if r.id == "ato.boundary")

    assert data.cells[0] is not None and (data.cells[0].evidence, data.cells[0].age_days) == (1, 15)
    # An area's age is that of its most recent change; its evidence, the items that carry some.
    assert ato.cells[0] is not None and (ato.cells[0].evidence, ato.cells[0].age_days) == (1, 3)
    assert ato.cells[0].status is PARTIAL and (ato.cells[0].met, ato.cells[0].total) == (0, 3)
    assert boundary.cells[0] is not None and (boundary.cells[0].evidence, boundary.cells[0].age_days) == (0, 15)
    assert ato.cells[1] is not None and ato.cells[1].age_days is None  # never assessed
    assert cell_text(ato.cells[0], kind="area") == "◐ 0/3 1ev 3d"
    assert cell_text(ato.cells[1], kind="area") == "? 0/3"
    assert cell_text(boundary.cells[0]) == "✗ 15d"


def test_summary_rows_and_distance_to_production(store: Portfolio) -> None:
    ready = add(store, "Ready")
    cover(store, ready)
    near = add(store, "Near")
    cover(store, near)
    store.set_coverage(near, "audit.activity", GAP)
    store.open_blocker(near, "debug-only-logging")
    live = add(store, "Live", Stage.PRODUCTION)

    found = comparison(store, [ready, near, live])
    by_id = {p.id: p for p in found.pilots}

    # Near needs exactly two changes: audit.activity met, and the blocker resolved.
    assert by_id[near].distance == 2
    assert by_id[ready].distance == 0
    assert by_id[live].distance == 0  # already in production
    assert by_id[ready].next_stage is Stage.PRODUCTION and by_id[ready].next_gate_passes is True
    assert by_id[near].next_gate_passes is False
    assert by_id[near].open_blockers == ("debug-only-logging",)
    assert by_id[ready].readiness == 100
    summary = {s.key: s for s in found.summary}
    assert summary["next_gate"].values == ("✓ production", "✗ production", "✗ scaled")
    assert summary["distance"].values == ("0 changes", "2 changes", "0 changes")
    assert summary["territory"].values == ("clear", "infrastructure", "unassessed")  # Live: nothing assessed
    assert summary["territory"].differs and summary["distance"].differs
    assert not summary["days"].differs
    # The distance is the gates' own count of least changes.
    record = store.record(near)
    assert distance(record, Stage.PRODUCTION, store.rules(), store.catalog()) == 2


def test_columns_follow_the_order_given_and_drop_repeats(store: Portfolio) -> None:
    a, b = add(store, "Alpha"), add(store, "Beta")
    found = comparison(store, [b, a, b])
    assert [p.id for p in found.pilots] == [b, a]
    assert all(len(r.cells) == 2 for r in found.rows("all"))


def test_an_unknown_pilot_is_named(store: Portfolio) -> None:
    a = add(store, "Alpha")
    with pytest.raises(StoreError, match="NOPE"):
        comparison(store, [a, "NOPE"])


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (["met", "met"], "met"),
        (["met", "waived"], "met"),
        (["waived", "not_applicable"], "waived"),
        (["not_applicable", "not_applicable"], "not_applicable"),
        (["not_assessed", "not_assessed"], "not_assessed"),
        (["gap", "not_assessed"], "gap"),
        (["gap", "met"], "partial"),
        (["partial", "partial"], "partial"),
    ],
)
def test_area_status_summarises_items(statuses: list[str], expected: str) -> None:
    assert area_status([CoverageStatus(s) for s in statuses]) is CoverageStatus(expected)


# ---- the heatmap: the whole portfolio, a page at a time -----------------------------------------------


def test_heatmap_page_scores_each_area_as_readiness_does(sample_portfolio: Portfolio) -> None:
    page = heatmap_page(sample_portfolio, sort="id", limit=10)

    assert [r.pilot.id for r in page] == [f"DCS-{n:03d}" for n in range(1, 11)]
    for row in page:
        record = sample_portfolio.record(row.pilot.id)
        expected = readiness(sample_portfolio.catalog(), record.coverage, record.pilot.high_impact)
        assert row.readiness == pytest.approx(expected.score)
        for area in expected.areas:
            assert row.areas[area.area] == (pytest.approx(area.score) if area.counted else None)
        if not row.pilot.high_impact:
            assert row.areas["hi"] is None


@pytest.mark.parametrize("descending", [False, True])
def test_heatmap_sorted_by_one_area_puts_pilots_it_does_not_apply_to_last(
    sample_portfolio: Portfolio, descending: bool
) -> None:
    total = sample_portfolio.count()
    rows = [
        *heatmap_page(sample_portfolio, sort="hi", descending=descending, limit=7),
        *heatmap_page(sample_portfolio, sort="hi", descending=descending, offset=7, limit=100),
    ]
    assert len(rows) == total == 30
    scores = [r.areas["hi"] for r in rows]
    known = [s for s in scores if s is not None]
    assert known and scores[: len(known)] == known  # every None after every score
    assert known == sorted(known, reverse=descending)
    assert len({r.pilot.id for r in rows}) == 30


def test_heatmap_sorted_by_access_and_filtered_with_table_tokens(sample_portfolio: Portfolio) -> None:
    query = parse_filter("stage:pilot")
    rows = heatmap_page(sample_portfolio, query, sort="access", descending=True)

    assert len(rows) == sample_portfolio.count(query)
    assert {r.pilot.stage for r in rows} == {Stage.PILOT}
    scores = [r.areas["access"] for r in rows]
    assert scores == sorted(scores, key=lambda s: -1 if s is None else s, reverse=True)


def test_heatmap_sorted_by_readiness_follows_the_table(sample_portfolio: Portfolio) -> None:
    rows = heatmap_page(sample_portfolio, sort="readiness", descending=True, limit=5)
    assert [r.pilot.id for r in rows] == [
        p.id for p in sample_portfolio.page(sort=SortKey.READINESS, descending=True, limit=5)
    ]


def test_heatmap_refuses_an_unknown_area(sample_portfolio: Portfolio) -> None:
    with pytest.raises(StoreError, match="unknown requirement area"):
        heatmap_page(sample_portfolio, sort="nowhere")


def test_heatmap_order_pages_like_the_sorted_page(sample_portfolio: Portfolio) -> None:
    order = heatmap_order(sample_portfolio, parse_filter("territory:infrastructure"), "ato", descending=True)
    page = heatmap_page(sample_portfolio, parse_filter("territory:infrastructure"), sort="ato", descending=True)

    assert order == [r.pilot.id for r in page]
    assert len(order) == sample_portfolio.count(parse_filter("territory:infrastructure"))
    rows = heatmap_rows(sample_portfolio, [order[2], "NOPE", order[0]])
    assert [r.pilot.id for r in rows] == [order[2], order[0]]
