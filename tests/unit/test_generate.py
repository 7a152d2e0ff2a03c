"""Synthetic portfolios: `caio-tui generate`, the generator and the store's bulk load."""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caio_tui.cli import cli
from caio_tui.domain.coverage import CoverageStatus
from caio_tui.domain.filters import parse_filter
from caio_tui.domain.scoring import readiness
from caio_tui.domain.stages import Stage
from caio_tui.domain.territory import CATEGORY_WEIGHT, BlockerCategory, territory
from caio_tui.io import generate as gen
from caio_tui.io.samples import read_sample
from caio_tui.store import Portfolio, StoreError
from caio_tui.store.bulk import NewBlocker, NewCoverage, NewMove, NewPilot, _Loader, bulk_add
from helpers import NOW

SIZE = 1_500


@pytest.fixture
def generated(portfolio: Portfolio) -> Portfolio:
    gen.generate(portfolio, SIZE, seed=7)
    return portfolio


def _schema(portfolio: Portfolio) -> set[tuple[str, str]]:
    found = portfolio.conn.execute("SELECT type, name FROM sqlite_schema WHERE type IN ('index', 'trigger')")
    return {(r[0], r[1]) for r in found}


def _derived(portfolio: Portfolio) -> dict[str, tuple[Any, ...]]:
    found = portfolio.conn.execute(
        "SELECT id, readiness, not_assessed, territory, open_blockers, top_blocker, stage_pos FROM pilot"
    )
    return {r[0]: tuple(r[1:]) for r in found}


def _dump(portfolio: Portfolio) -> list[Any]:
    """Everything a generated portfolio holds, minus the audit trail's own times."""
    tables = ("pilot", "coverage", "blocker", "stage_move")
    return [portfolio.conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in tables]


# ---- the shape of a generated portfolio ------------------------------------------------------------


def test_same_seed_same_portfolio_and_another_seed_another(tmp_path: Path) -> None:
    def build(name: str, seed: int) -> list[Any]:
        with Portfolio.open(tmp_path / name, actor="tester", create=True, clock=lambda: NOW) as p:
            gen.generate(p, 300, seed=seed)
            return [[tuple(r) for r in rows] for rows in _dump(p)]

    first = build("a.db", 42)
    assert build("b.db", 42) == first
    assert build("c.db", 43) != first


def test_stage_shares_follow_the_civilian_agency_sample(generated: Portfolio) -> None:
    sample = Counter(p.stage for p in read_sample("civilian-agency").pilots)
    counts = generated.stage_counts()
    for stage in Stage:
        expected = sample[stage] / sum(sample.values())
        assert abs(counts[stage] / SIZE - expected) < 0.05, stage


def test_about_one_in_ten_is_high_impact(generated: Portfolio) -> None:
    share = generated.count(parse_filter("high-impact")) / SIZE
    assert 0.07 < share < 0.13


def test_pilots_stall_and_fall_in_every_territory(generated: Portfolio) -> None:
    stalled = generated.pilots(parse_filter("stalled"))
    in_stallable = generated.count(parse_filter("stage:pilot")) + generated.count(parse_filter("stage:readiness"))
    assert 0.2 * in_stallable < len(stalled) < 0.5 * in_stallable
    assert {p.stage for p in stalled} <= {Stage.PILOT, Stage.READINESS}
    territories = Counter(p.territory for p in generated.pilots())
    assert len(territories) == 5  # intake pilots with nothing assessed yet are unassessed


def test_coverage_grows_along_the_pipeline(generated: Portfolio) -> None:
    """Later stages are further assessed and more ready, as in the sample."""
    mean = {
        stage: sum(p.readiness for p in generated.pilots(parse_filter(f"stage:{stage.value}")))
        / max(1, generated.stage_counts()[stage])
        for stage in (Stage.INTAKE, Stage.POC, Stage.PILOT, Stage.READINESS, Stage.PRODUCTION)
    }
    ordered = list(mean.values())
    assert ordered == sorted(ordered)
    assert mean[Stage.PRODUCTION] > 0.8


def test_identity_gaps_hold_back_pilots_and_nothing_blocks_a_scaled_one(generated: Portfolio) -> None:
    by_category: Counter[BlockerCategory] = Counter()
    categories = {t.tag: t.category for t in generated.tags()}
    for found in generated.open_blocker_tags([p.id for p in generated.pilots(parse_filter("stage:pilot"))]).values():
        by_category.update(categories[t] for t in found)
    assert by_category.most_common(1)[0][0] is BlockerCategory.IDENTITY
    assert all(p.open_blockers == 0 for p in generated.pilots(parse_filter("stage:scaled")))


def test_every_pilot_has_its_road_through_the_stages(generated: Portfolio) -> None:
    for pilot in generated.page(limit=200):
        record = generated.record(pilot.id)
        moves = record.stage_history
        assert moves[0].from_stage is None
        assert moves[-1].to_stage is pilot.stage
        assert moves[-1].moved_at == pilot.stage_entered_at
        assert [m.moved_at for m in moves] == sorted(m.moved_at for m in moves)
        assert all(b.opened_at <= NOW for b in record.blockers)


# ---- the bulk load keeps the store's invariants ----------------------------------------------------


def test_derived_columns_are_what_the_domain_computes_for_every_pilot(generated: Portfolio) -> None:
    """The bulk path computes readiness, territory and the top blocker itself; they must equal what the
    store's per-change refresh computes with the domain functions."""
    catalog = generated.catalog()
    derived = _derived(generated)
    assert len(derived) == SIZE
    for pilot_id, (score, not_assessed, terr, open_count, top, stage_pos) in derived.items():
        record = generated.record(pilot_id)
        expected = readiness(catalog, record.coverage, record.pilot.high_impact)
        open_blockers = record.open_blockers
        # The rule spelled independently of the store's derivation: by category weight, oldest, tag.
        best = min(open_blockers, key=lambda b: (CATEGORY_WEIGHT[b.category], b.opened_at, b.tag), default=None)
        assert (score, not_assessed) == (round(expected.score, 4), expected.not_assessed), pilot_id
        assessed = any(c.status is not CoverageStatus.NOT_ASSESSED for c in record.coverage.values())
        assert terr == territory((b.category for b in open_blockers), assessed=assessed).value, pilot_id
        assert open_count == len(open_blockers), pilot_id
        assert top == (best.tag if best else ""), pilot_id
        assert stage_pos == record.pilot.stage.position, pilot_id


@pytest.fixture(scope="module")
def loader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Loader]:
    with Portfolio.open(tmp_path_factory.mktemp("bulk") / "p.db", actor="tester", create=True) as p:
        yield _Loader(p, "tester")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), high_impact=st.booleans())
def test_bulk_readiness_equals_the_domain_readiness(loader: _Loader, data: st.DataObject, high_impact: bool) -> None:
    from caio_tui.domain.defaults import default_catalog

    catalog = default_catalog()
    items = sorted(i.id for i in catalog.items(high_impact))
    chosen = data.draw(st.lists(st.sampled_from(items), unique=True))
    statuses = data.draw(st.lists(st.sampled_from(list(CoverageStatus)), min_size=len(chosen), max_size=len(chosen)))
    coverage = tuple(
        NewCoverage(i, s, "", "because" if s.needs_justification else "") for i, s in zip(chosen, statuses, strict=True)
    )
    pilot = NewPilot("X-1", "x", "", "", Stage.PILOT, high_impact, "", NOW, NOW, coverage)
    expected = readiness(catalog, dict(zip(chosen, statuses, strict=True)), high_impact)
    assert loader.derived(pilot)[:2] == (round(expected.score, 4), expected.not_assessed)


def test_the_text_filter_finds_generated_pilots(generated: Portfolio) -> None:
    """The full-text index is filled: a word of a name finds every pilot that has it, and only those."""
    word = generated.page(limit=1)[0].name.split()[0].lower()

    def has_word(text: str) -> bool:  # the tokens FTS5's unicode61 sees: runs of letters and digits
        return any(token.startswith(word) for token in re.findall(r"[^\W_]+", text.lower()))

    expected = {p.id for p in generated.pilots() if has_word(f"{p.id} {p.name} {p.office} {p.owner}")}
    found = {p.id for p in generated.pilots(parse_filter(word))}
    assert found == expected
    assert generated.count(parse_filter(word)) == len(expected) > 0


def test_the_indexes_and_triggers_come_back_and_later_changes_work(portfolio: Portfolio) -> None:
    before = _schema(portfolio)
    gen.generate(portfolio, 200, seed=3)
    assert _schema(portfolio) == before
    from caio_tui.domain.pilots import PilotFields

    new_id = portfolio.add_pilot(PilotFields(name="Zebrafish Lab Notebook Search"))
    assert new_id == "AI-0201"
    assert [p.id for p in portfolio.pilots(parse_filter("zebrafish"))] == [new_id]
    assert portfolio.integrity_problems() == []


def test_one_generate_event_with_the_seed_and_the_count(generated: Portfolio) -> None:
    events = generated.history()
    assert [e.action for e in events] == ["portfolio.create", "generate"]
    assert events[-1].after["seed"] == 7
    assert events[-1].after["pilots"] == SIZE
    assert events[-1].pilot_id is None
    checked, broken = generated.verify_chain()
    assert (checked, broken) == (2, None)
    assert generated.integrity_problems() == []


def test_the_portfolio_stays_in_wal_mode_with_foreign_keys_on(generated: Portfolio) -> None:
    assert generated.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert generated.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    with pytest.raises(sqlite3.IntegrityError):
        generated.conn.execute("INSERT INTO blocker (pilot_id, tag, opened_at, opened_by) VALUES ('nope', 'x', '', '')")


def test_progress_hears_every_chunk_then_the_indexing(portfolio: Portfolio) -> None:
    heard: list[tuple[str, int]] = []
    gen.generate(portfolio, 4_500, seed=1, progress=lambda phase, done: heard.append((phase, done)))
    adding = [done for phase, done in heard if phase == "adding"]
    assert adding == sorted(adding) and adding[-1] == 4_500 and len(adding) > 1
    assert heard[-1] == ("indexing", 4_500)


def test_a_portfolio_with_pilots_is_refused_untouched(sample_portfolio: Portfolio) -> None:
    before = (sample_portfolio.count(), len(sample_portfolio.history()), _schema(sample_portfolio))
    with pytest.raises(StoreError, match="30 pilot"):
        gen.generate(sample_portfolio, 10)
    assert (sample_portfolio.count(), len(sample_portfolio.history()), _schema(sample_portfolio)) == before


def _pilot(pilot_id: str, **changes: Any) -> NewPilot:
    base = NewPilot(pilot_id, "Name", "Office", "Owner", Stage.POC, False, "", NOW - timedelta(days=9), NOW)
    return base._replace(**changes)


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (_pilot("P-2", blockers=(NewBlocker("no-such-tag", "", NOW),)), "unknown blocker tag"),
        (_pilot("P-2", coverage=(NewCoverage("access.nothing", CoverageStatus.MET),)), "unknown requirement item"),
        (_pilot("P-2", coverage=(NewCoverage("hi.testing", CoverageStatus.MET),)), "high-impact"),
        (_pilot("P-2", coverage=(NewCoverage("access.roles", CoverageStatus.WAIVED),)), "justification"),
        (_pilot("P-1"), "UNIQUE"),
    ],
)
def test_an_invalid_pilot_adds_nothing(portfolio: Portfolio, bad: NewPilot, reason: str) -> None:
    before = _schema(portfolio)
    good = _pilot("P-1", moves=(NewMove(None, Stage.POC, NOW),))
    with pytest.raises(StoreError, match=reason):
        bulk_add(portfolio, [good, bad], action="generate", details={}, source="test", by="tester")
    assert portfolio.count() == 0
    assert _schema(portfolio) == before
    assert [e.action for e in portfolio.history()] == ["portfolio.create"]


# ---- the command -------------------------------------------------------------------------------------


def _run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_generate_fills_a_new_file(tmp_path: Path) -> None:
    path = tmp_path / "big.db"
    result = _run("generate", "--pilots", "120", "--db", str(path))
    assert result.exit_code == 0, result.output
    assert "generated 120 pilots" in result.output and "seed 1" in result.output
    listed = json.loads(_run("list", "--json", "--db", str(path)).output)
    assert len(listed) == 120
    assert listed[0]["id"] == "AI-0001"


def test_generate_with_a_seed_is_repeatable(tmp_path: Path) -> None:
    outputs = []
    for name in ("one.db", "two.db"):
        assert _run("generate", "--pilots", "60", "--seed", "9", "--db", str(tmp_path / name)).exit_code == 0
        found = json.loads(_run("list", "--json", "--db", str(tmp_path / name)).output)
        outputs.append([{k: v for k, v in p.items() if k != "days_in_stage"} for p in found])
    assert outputs[0] == outputs[1]


def test_generate_fills_an_empty_existing_portfolio(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    assert _run("init", "--db", str(path)).exit_code == 0
    assert _run("generate", "--pilots", "25", "--db", str(path)).exit_code == 0
    assert len(json.loads(_run("list", "--json", "--db", str(path)).output)) == 25


def test_generate_refuses_a_portfolio_with_pilots(tmp_path: Path) -> None:
    path = tmp_path / "sample.db"
    assert _run("init", "--sample", "civilian-agency", "--db", str(path)).exit_code == 0
    before = path.read_bytes()
    result = CliRunner().invoke(cli, ["generate", "--pilots", "10", "--db", str(path)])
    assert result.exit_code == 1
    assert "has 30 pilot(s)" in result.output and "new or empty" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert path.read_bytes() == before


def test_generate_refuses_a_file_that_is_not_a_portfolio(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("my notes")
    result = CliRunner().invoke(cli, ["generate", "--pilots", "10", "--db", str(path)])
    assert result.exit_code == 1
    assert "not a caio-tui portfolio" in result.output
    assert path.read_text() == "my notes"


@pytest.mark.parametrize("count", ["0", "-5", "many"])
def test_generate_needs_a_positive_count(tmp_path: Path, count: str) -> None:
    result = CliRunner().invoke(cli, ["generate", "--pilots", count, "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 2
    assert not (tmp_path / "x.db").exists()


def test_a_failed_generate_leaves_no_new_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> int:
        raise StoreError("the disk is full; nothing was changed")

    monkeypatch.setattr(gen, "generate", broken)
    path = tmp_path / "new.db"
    result = CliRunner().invoke(cli, ["generate", "--pilots", "10", "--db", str(path)])
    assert result.exit_code == 1
    assert "disk is full" in result.output
    assert list(tmp_path.iterdir()) == []


def test_the_command_default_seed_is_the_generator_default() -> None:
    from caio_tui.cli import generate as command

    assert command.DEFAULT_SEED == gen.DEFAULT_SEED


def test_a_progress_bar_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    from caio_tui.cli import generate as command

    monkeypatch.setattr(sys, "stderr", io.StringIO())
    with command._progress(10) as update:
        assert update is None
    terminal = io.StringIO()
    terminal.isatty = lambda: True  # type: ignore[method-assign]
    monkeypatch.setattr(sys, "stderr", terminal)
    with command._progress(10) as update:
        assert update is not None
        update("adding", 5)
        update("indexing", 10)
    assert "building the indexes" in terminal.getvalue()
