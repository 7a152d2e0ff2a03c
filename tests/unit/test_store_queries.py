"""Reading the portfolio: counts by stage, pages, sorts, every filter token, free text, positions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from caio_tui.domain.coverage import CoverageStatus
from caio_tui.domain.filters import parse_filter
from caio_tui.domain.natural_id import natural_id_key
from caio_tui.domain.pilots import PilotFields
from caio_tui.domain.stages import Stage
from caio_tui.domain.territory import Territory
from caio_tui.store import Portfolio
from caio_tui.store.queries import SortKey
from helpers import NOW


def ids(pilots: list[Any]) -> list[str]:
    return [p.id for p in pilots]


def matching(p: Portfolio, query: str) -> list[str]:
    f = parse_filter(query)
    found = ids(p.pilots(f))
    assert p.count(f) == len(found)
    return found


@pytest.fixture
def people(portfolio: Portfolio) -> Portfolio:
    """Names that exercise the free-text search: quotes, accents, hyphens, prefixes."""
    for name, office, owner in [
        ("Claims Triage Assistant", "Office of Benefits", "Seán O'Brien"),
        ('The "Smart" Inbox', "Office of Human Capital", "Ann Lee"),
        ("Café Inspection Scheduler", "Human Capital Operations", "Bo Chen"),
        ("Fraud-Ring Link Analysis", "Office of Inspector General", "Dee Park"),
        ("100% Coverage Checker", "Office_of_Budget", "Eve Ng"),
    ]:
        portfolio.add_pilot(PilotFields(name=name, office=office, owner=owner))
    return portfolio


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("claims", ["AI-0001"]),
        ("cla", ["AI-0001"]),  # a prefix while typing
        ("CLAIMS triage", ["AI-0001"]),
        ("claims inbox", []),  # every word must match
        ("o'brien", ["AI-0001"]),
        ("O'Bri", ["AI-0001"]),
        ("sean", ["AI-0001"]),  # accents are folded
        ("cafe", ["AI-0003"]),
        ("café", ["AI-0003"]),
        ('"smart"', ["AI-0002"]),
        ('smart"', ["AI-0002"]),
        ('"smart inbox"', ["AI-0002"]),  # a quoted phrase; the quotes in the name are not words
        ('"inbox smart"', []),
        ('"human capital"', ["AI-0002", "AI-0003"]),
        ("fraud-ring", ["AI-0004"]),
        ("ring", ["AI-0004"]),
        ("AI-0005", ["AI-0005"]),
        ("ai-000", ["AI-0001", "AI-0002", "AI-0003", "AI-0004", "AI-0005"]),
        ("100%", ["AI-0005"]),
        ("NOT", []),  # FTS5 keywords are words, not syntax
        ("claims OR inbox", []),
        ("NEAR(claims", []),
        ("chen", ["AI-0003"]),
    ],
)
def test_free_text_matches_id_name_office_and_owner(people: Portfolio, query: str, expected: list[str]) -> None:
    assert matching(people, query) == expected


def test_free_text_follows_edits(people: Portfolio) -> None:
    people.edit_pilot("AI-0002", name="Correspondence Sorter")
    assert matching(people, "inbox") == []
    assert matching(people, "correspond") == ["AI-0002"]


def test_office_token_is_a_substring_with_wildcards_taken_literally(people: Portfolio) -> None:
    assert matching(people, 'office:"human capital"') == ["AI-0002", "AI-0003"]
    assert matching(people, "office:_of_") == ["AI-0005"]
    assert matching(people, "office:%") == []


# ---- the civilian-agency sample: every token against what it holds ------------------------------------


def test_stage_counts_cover_every_stage(sample_portfolio: Portfolio) -> None:
    counts = sample_portfolio.stage_counts()
    assert list(counts) == list(Stage)
    assert sum(counts.values()) == 30 == sample_portfolio.count()
    assert all(counts[s] > 0 for s in Stage)
    for stage in Stage:
        assert counts[stage] == len([p for p in sample_portfolio.pilots() if p.stage is stage])
    filtered = sample_portfolio.stage_counts(parse_filter("territory:organizational"))
    assert sum(filtered.values()) == sample_portfolio.count(parse_filter("territory:organizational"))


def test_stage_token(sample_portfolio: Portfolio) -> None:
    found = sample_portfolio.pilots(parse_filter("stage:pilot stage:readiness"))
    assert found and {p.stage for p in found} == {Stage.PILOT, Stage.READINESS}


def test_blocker_token_keeps_pilots_with_that_open_blocker(sample_portfolio: Portfolio) -> None:
    found = matching(sample_portfolio, "blocker:shared-service-account")
    assert "DCS-004" in found
    tags = sample_portfolio.open_blocker_tags(found)
    assert all("shared-service-account" in tags[pid] for pid in found)
    sample_portfolio.resolve_blocker("DCS-004", "shared-service-account")
    assert "DCS-004" not in matching(sample_portfolio, "blocker:shared-service-account")


def test_territory_token(sample_portfolio: Portfolio) -> None:
    for t in Territory:
        found = sample_portfolio.pilots(parse_filter(f"territory:{t.value}"))
        assert found, t
        assert {p.territory for p in found} == {t}


def test_high_impact_token(sample_portfolio: Portfolio) -> None:
    found = sample_portfolio.pilots(parse_filter("high-impact"))
    assert found and all(p.high_impact for p in found)
    assert len(found) == len([p for p in sample_portfolio.pilots() if p.high_impact])


def test_stalled_token_agrees_with_the_stalled_flag(sample_portfolio: Portfolio) -> None:
    stalled = matching(sample_portfolio, "stalled")
    flagged = [p.id for p in sample_portfolio.pilots() if sample_portfolio.is_stalled(p)]
    assert stalled == flagged
    assert len(stalled) >= 4


@pytest.mark.parametrize(("age", "stalled"), [(timedelta(days=180, hours=23), False), (timedelta(days=181), True)])
def test_stalled_at_the_threshold_is_the_same_in_the_filter_and_the_flag(
    portfolio: Portfolio, age: timedelta, stalled: bool
) -> None:
    from caio_tui.domain.pilots import PilotRecord

    pid = portfolio.add_pilot(PilotFields(name="x", office="o", owner="p"), stage=Stage.PILOT)
    record = portfolio.record(pid)
    entered = NOW - age
    pilot = record.pilot.model_copy(update={"id": "OLD-1", "stage_entered_at": entered, "created_at": entered})
    portfolio.import_records([PilotRecord(pilot=pilot)], source="test")
    old = portfolio.get("OLD-1")
    assert portfolio.is_stalled(old) is stalled
    assert ("OLD-1" in matching(portfolio, "stalled")) is stalled


def test_tokens_combine_with_and(sample_portfolio: Portfolio) -> None:
    both = matching(sample_portfolio, "stage:pilot territory:both")
    assert both == [p.id for p in sample_portfolio.pilots() if p.stage is Stage.PILOT and p.territory is Territory.BOTH]


# ---- sorting, paging, positions --------------------------------------------------------------------------


@pytest.mark.parametrize("key", list(SortKey))
@pytest.mark.parametrize("descending", [False, True])
def test_every_sort_is_total_and_pages_add_up(sample_portfolio: Portfolio, key: SortKey, descending: bool) -> None:
    everything = ids(sample_portfolio.pilots(sort=key, descending=descending))
    assert sorted(everything) == sorted(ids(sample_portfolio.pilots()))
    paged = []
    for offset in range(0, 30, 7):
        paged += ids(sample_portfolio.page(sort=key, descending=descending, offset=offset, limit=7))
    assert paged == everything
    for index, pid in enumerate(everything):
        assert sample_portfolio.position(pid, sort=key, descending=descending) == index


def test_sorts_order_by_what_they_name(sample_portfolio: Portfolio) -> None:
    by_readiness = sample_portfolio.pilots(sort=SortKey.READINESS, descending=True)
    assert [p.readiness for p in by_readiness] == sorted((p.readiness for p in by_readiness), reverse=True)
    by_stage = sample_portfolio.pilots(sort=SortKey.STAGE)
    assert [p.stage.position for p in by_stage] == sorted(p.stage.position for p in by_stage)
    by_days = sample_portfolio.pilots(sort=SortKey.DAYS, descending=True)
    days = [sample_portfolio.days_in_stage(p) for p in by_days]
    assert days == sorted(days, reverse=True)
    by_name = sample_portfolio.pilots(sort=SortKey.NAME)
    assert [p.name for p in by_name] == sorted(p.name for p in by_name)


NATURAL = ["AI", "AI-1", "AI-2", "AI-007", "AI-7", "AI-10", "AI-99", "AI-100", "AI-9x", "B-3"]


def test_ids_sort_naturally_in_pages_keyset_reads_and_positions(portfolio: Portfolio) -> None:
    for pilot_id in reversed(NATURAL):
        portfolio.add_pilot(PilotFields(name=f"Pilot {pilot_id}"), pilot_id=pilot_id)
    assert ids(portfolio.pilots()) == NATURAL  # AI-2 before AI-10; only a trailing number counts
    assert ids(portfolio.pilots(sort=SortKey.ID, descending=True)) == NATURAL[::-1]
    assert [natural_id_key(i) for i in NATURAL] == sorted(natural_id_key(i) for i in NATURAL)
    first = portfolio.table_page(limit=4)
    after = portfolio.page_after(after=first[-1], limit=4)
    assert ids(first) + ids(after) == NATURAL[:8]
    assert ids(portfolio.page_before(before=after[0], limit=2)) == NATURAL[2:4]
    assert [portfolio.position(i) for i in NATURAL] == list(range(len(NATURAL)))


def test_position_within_a_filter(sample_portfolio: Portfolio) -> None:
    f = parse_filter("stage:pilot")
    found = ids(sample_portfolio.pilots(f, sort=SortKey.NAME))
    assert [sample_portfolio.position(pid, f, sort=SortKey.NAME) for pid in found] == list(range(len(found)))
    assert sample_portfolio.position("DCS-001", f) is None  # an intake pilot is not in the list
    assert sample_portfolio.position("NOPE") is None


def test_open_blocker_tags_put_structural_blockers_first(sample_portfolio: Portfolio) -> None:
    pid = "DCS-003"
    sample_portfolio.open_blocker(pid, "skills-gap")
    sample_portfolio.open_blocker(pid, "verbal-approval-only")
    sample_portfolio.open_blocker(pid, "informal-access")
    tags = sample_portfolio.open_blocker_tags([pid, "DCS-001"])
    assert tags == {pid: ["informal-access", "verbal-approval-only", "skills-gap"], "DCS-001": []}
    assert sample_portfolio.get(pid).top_blocker == "informal-access"
    assert sample_portfolio.open_blocker_tags([]) == {}


def test_record_has_coverage_blockers_and_history(sample_portfolio: Portfolio) -> None:
    record = sample_portfolio.record("DCS-004")
    assert record.pilot.name == "Benefits Policy Assistant"
    assert record.coverage["access.governed_iam"].status is CoverageStatus.GAP
    assert [b.tag for b in record.open_blockers] == ["shared-service-account"]
    assert [m.to_stage for m in record.stage_history] == [Stage.INTAKE, Stage.POC, Stage.PILOT]
    assert sample_portfolio.days_in_stage(record.pilot) == 150
