"""Reports: the CSV of pilots, the briefing (Markdown and HTML), leverage and distance to production, and
golden files for every export format (CAIO_UPDATE_GOLDEN=1 rewrites them)."""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caio_tui.domain.blockers import BUILTIN_TAGS, Blocker
from caio_tui.domain.coverage import Coverage, CoverageStatus
from caio_tui.domain.defaults import default_catalog, default_rules
from caio_tui.domain.gates import evaluate
from caio_tui.domain.leverage import GateIndex, closest_to_production, facts_of, resolve_tag, tag_leverage
from caio_tui.domain.pilots import Pilot, PilotFields, PilotRecord
from caio_tui.domain.scoring import readiness
from caio_tui.domain.stages import PIPELINE, Stage, is_stalled
from caio_tui.io.briefing import STALLED_SHOWN, build_briefing
from caio_tui.io.briefing_html import briefing_html
from caio_tui.io.briefing_markdown import briefing_markdown
from caio_tui.io.inventory import EXPORT_FORMATS, export_bytes, import_file
from caio_tui.io.reports import csv_cell, md, pilots_csv
from caio_tui.store import Portfolio
from caio_tui.store.transfer import read_records
from helpers import DATA, NOW

GOLDEN = DATA / "golden"
GOLDEN_FILES = {
    "snapshot": "snapshot.json",
    "csv": "pilots.csv",
    "markdown": "briefing.md",
    "html": "briefing.html",
    "omb": "inventory-2025.csv",  # a portfolio without an imported inventory: the 2025 layout
    "omb-2025": "inventory-2025.csv",
    "omb-cots": "cots-2025.csv",  # the sample holds no COTS file: the excerpt is imported first
}


# ---- golden files ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_export_matches_its_golden_file(sample_portfolio: Portfolio, fmt: str) -> None:
    """Each export of the civilian-agency sample on a fixed clock, byte for byte. After an intended change,
    rewrite them with CAIO_UPDATE_GOLDEN=1 and read the diff before committing."""
    if fmt == "omb-cots":
        import_file(sample_portfolio, DATA / "omb" / "cots_2025_excerpt.csv")
    produced = export_bytes(sample_portfolio, fmt)
    path = GOLDEN / GOLDEN_FILES[fmt]
    if os.environ.get("CAIO_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(produced)
    assert path.exists(), f"{path} is missing: run the tests once with CAIO_UPDATE_GOLDEN=1"
    assert produced == path.read_bytes(), f"{fmt} export differs from {path.name} (CAIO_UPDATE_GOLDEN=1 rewrites)"


def test_golden_files_cover_every_format() -> None:
    assert set(GOLDEN_FILES) == set(EXPORT_FORMATS)


# ---- CSV -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("x")'])
def test_formula_cells_are_neutralized(value: str) -> None:
    assert csv_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Plain", "1-2", "a=b", "", "'quoted", " =spaced"])
def test_other_cells_are_kept(value: str) -> None:
    assert csv_cell(value) == value


def read_csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte-order mark, for spreadsheets"
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_has_a_row_per_pilot_with_readiness_per_area(sample_portfolio: Portfolio) -> None:
    rows = {r["id"]: r for r in read_csv(pilots_csv(sample_portfolio))}
    assert len(rows) == 30
    catalog = sample_portfolio.catalog()
    tags = sample_portfolio.open_blocker_tags(list(rows))
    for record in read_records(sample_portfolio):
        row = rows[record.pilot.id]
        score = readiness(catalog, record.coverage, record.pilot.high_impact)
        assert row["readiness_percent"] == str(score.percent)
        for area in catalog.areas(high_impact=True):
            found = score.area(area.id)
            expected = "" if found is None else str(round(found.score * 100)) if found.counted else "waived"
            assert row[f"{area.id}_percent"] == expected, (record.pilot.id, area.id)
        assert row["stage"] == record.pilot.stage.value
        assert row["omb_2025_stage"] == record.pilot.stage.omb_2025
        assert row["territory"] == record.pilot.territory.value
        assert row["open_blockers"] == "; ".join(tags[record.pilot.id])
        assert row["stalled"] == ("yes" if sample_portfolio.is_stalled(record.pilot) else "no")


def test_csv_neutralizes_user_text(sample_portfolio: Portfolio) -> None:
    sample_portfolio.edit_pilot(
        "DCS-003", name='=HYPERLINK("http://evil.example","x")', office="+1 Office", owner="@owner", description="-2"
    )
    row = next(r for r in read_csv(pilots_csv(sample_portfolio)) if r["id"] == "DCS-003")
    assert row["name"] == '\'=HYPERLINK("http://evil.example","x")'
    assert (row["office"], row["owner"], row["description"]) == ("'+1 Office", "'@owner", "'-2")


# ---- gates, leverage, distance ---------------------------------------------------------------------


def test_gate_index_asks_for_exactly_the_least_changes(sample_portfolio: Portfolio) -> None:
    """The fast pre-check and domain.gates.evaluate agree for every sample pilot and every target."""
    index = GateIndex(sample_portfolio.rules(), sample_portfolio.catalog())
    checked = 0
    for record in read_records(sample_portfolio):
        for target in PIPELINE:
            result = evaluate(record, target, sample_portfolio.rules(), sample_portfolio.catalog())
            assert index.unmet(facts_of(record), target) == {(c.kind, c.target) for c in result.least_changes}
            checked += 1
    assert checked == 180


_CATALOG = default_catalog()
_TAGS = {t.tag: t for t in BUILTIN_TAGS}


@st.composite
def records(draw: st.DrawFn) -> PilotRecord:
    stage = draw(st.sampled_from(list(Stage)))
    statuses = draw(
        st.dictionaries(st.sampled_from([i.id for i in _CATALOG.items()]), st.sampled_from(list(CoverageStatus)))
    )
    tags = draw(st.lists(st.sampled_from(sorted(_TAGS)), max_size=4))
    pilot = Pilot(
        id="P-1",
        name="x",
        office=draw(st.sampled_from(["", "OCIO"])),
        owner=draw(st.sampled_from(["", " ", "Pat"])),
        description=draw(st.sampled_from(["", "does things"])),
        stage=stage,
        high_impact=draw(st.booleans()),
        created_at=NOW,
        stage_entered_at=NOW,
    )
    coverage = {i: Coverage(item=i, status=s, justification="because") for i, s in statuses.items()}
    blockers = tuple(
        Blocker(id=n, pilot_id="P-1", tag=t, category=_TAGS[t].category, opened_at=NOW, opened_by="x")
        for n, t in enumerate(tags)
    )
    return PilotRecord(pilot=pilot, coverage=coverage, blockers=blockers)


@settings(max_examples=300)
@given(record=records(), target=st.sampled_from(PIPELINE))
def test_gate_index_agrees_with_evaluate_on_any_record(record: PilotRecord, target: Stage) -> None:
    rules = default_rules()
    expected = {(c.kind, c.target) for c in evaluate(record, target, rules, _CATALOG).least_changes}
    assert GateIndex(rules, _CATALOG).unmet(facts_of(record), target) == expected


def test_resolve_tag_closes_its_blockers_and_covers_its_areas(sample_portfolio: Portfolio) -> None:
    record = sample_portfolio.record("DCS-004")
    tag = sample_portfolio.tag("shared-service-account")
    fixed = resolve_tag(record, tag, sample_portfolio.catalog())
    assert not any(b.tag == tag.tag for b in fixed.open_blockers)
    assert [b.tag for b in fixed.open_blockers] == [b.tag for b in record.open_blockers if b.tag != tag.tag]
    for item in sample_portfolio.catalog().area("access").items:
        assert fixed.coverage[item.id].status is CoverageStatus.MET
    assert fixed.coverage.keys() - record.coverage.keys() <= {
        i.id for i in sample_portfolio.catalog().area("access").items
    }


def brute_force_leverage(portfolio: Portfolio) -> dict[str, tuple[int, int]]:
    """The definition, evaluated on every pilot: tag -> (open on, would unlock)."""
    rules, catalog = portfolio.rules(), portfolio.catalog()
    found: dict[str, tuple[int, int]] = {}
    for record in read_records(portfolio):
        target = record.pilot.stage.next()
        for tag_name in dict.fromkeys(b.tag for b in record.open_blockers):
            opened, unlocked = found.get(tag_name, (0, 0))
            unlocks = (
                target is not None
                and not evaluate(record, target, rules, catalog).passed
                and evaluate(resolve_tag(record, portfolio.tag(tag_name), catalog), target, rules, catalog).passed
            )
            found[tag_name] = (opened + 1, unlocked + int(unlocks))
    return found


def test_leverage_follows_its_definition(sample_portfolio: Portfolio) -> None:
    found = tag_leverage(
        read_records(sample_portfolio), sample_portfolio.tags(), sample_portfolio.rules(), sample_portfolio.catalog()
    )
    assert {t.tag: (len(t.open_on), t.leverage) for t in found} == brute_force_leverage(sample_portfolio)
    keys = [(-t.leverage, -len(t.open_on), t.tag) for t in found]
    assert keys == sorted(keys)


def ready_but_for(portfolio: Portfolio, name: str, missing_area: str, *tags: str) -> str:
    """A pilot in readiness with every production item met except those of one area, and some blockers."""
    pilot_id = portfolio.add_pilot(PilotFields(name=name, office="OCIO", owner="Pat"), stage=Stage.READINESS)
    for item in portfolio.catalog().items(high_impact=False):
        if not item.id.startswith(missing_area + "."):
            portfolio.set_coverage(pilot_id, item.id, CoverageStatus.MET, evidence="seen")
    for tag in tags:
        portfolio.open_blocker(pilot_id, tag)
    return pilot_id


def test_leverage_counts_only_pilots_one_fix_unlocks(portfolio: Portfolio) -> None:
    a = ready_but_for(portfolio, "A", "ato", "no-ato-pathway")
    b = ready_but_for(portfolio, "B", "ato", "no-ato-pathway")
    ready_but_for(portfolio, "C", "ato", "no-ato-pathway", "debug-only-logging")  # needs two fixes
    ready_but_for(portfolio, "D", "ato", "skills-gap")  # the ATO gap, but no tag whose fix covers it
    found = {
        t.tag: t
        for t in tag_leverage(read_records(portfolio), portfolio.tags(), portfolio.rules(), portfolio.catalog())
    }
    assert found["no-ato-pathway"].unlocks == (a, b)
    assert len(found["no-ato-pathway"].open_on) == 3
    assert found["debug-only-logging"].leverage == 0
    assert found["skills-gap"].leverage == 0  # organizational: no gate rule stands on it here
    assert next(iter(found)) == "no-ato-pathway"


def test_closest_to_production_follows_the_gates(sample_portfolio: Portfolio) -> None:
    rules, catalog = sample_portfolio.rules(), sample_portfolio.catalog()
    records_ = read_records(sample_portfolio)
    found = closest_to_production(records_, rules, catalog, limit=None)
    expected = sorted(
        (
            len(evaluate(r, Stage.PRODUCTION, rules, catalog).least_changes),
            -r.pilot.stage.position,
            -r.pilot.readiness,
            r.pilot.id,
        )
        for r in records_
        if r.pilot.stage in (Stage.INTAKE, Stage.POC, Stage.PILOT, Stage.READINESS)
    )
    assert [(d.changes, d.record.pilot.id) for d in found] == [(e[0], e[3]) for e in expected]
    top = closest_to_production(records_, rules, catalog, limit=3)
    assert [d.record.pilot.id for d in top] == [d.record.pilot.id for d in found[:3]]


# ---- the briefing ----------------------------------------------------------------------------------


def test_briefing_content(sample_portfolio: Portfolio) -> None:
    b = build_briefing(sample_portfolio)
    counts = sample_portfolio.stage_counts()
    assert dict(b.funnel) == {s: counts[s] for s in Stage}
    records_ = read_records(sample_portfolio)
    active = [r for r in records_ if r.pilot.stage is not Stage.RETIRED]
    assert sum(n for _, n in b.territory) == len(active)
    assert b.in_production == counts[Stage.PRODUCTION] + counts[Stage.SCALED]
    stalled = [r.pilot.id for r in records_ if is_stalled(r.pilot.stage, r.pilot.days_in_stage(NOW))]
    assert sorted(s.id for s in b.stalled) == sorted(stalled)
    assert [s.days for s in b.stalled] == sorted((s.days for s in b.stalled), reverse=True)
    moves = sorted(((m.moved_at, r.pilot.id) for r in records_ for m in r.stage_history if m.from_stage), reverse=True)[
        :10
    ]
    assert [(m.move.moved_at, m.pilot_id) for m in b.recent] == moves
    assert {t.tag: (len(t.open_on), t.leverage) for t in b.leverage} == dict(
        sorted(brute_force_leverage(sample_portfolio).items(), key=lambda kv: (-kv[1][1], -kv[1][0], kv[0]))[:10]
    )
    assert [d.record.pilot.id for d in b.closest] == [
        d.record.pilot.id
        for d in closest_to_production(records_, sample_portfolio.rules(), sample_portfolio.catalog(), limit=10)
    ]


def test_markdown_briefing_sections(sample_portfolio: Portfolio) -> None:
    text = briefing_markdown(build_briefing(sample_portfolio))
    for heading in (
        "Funnel",
        "Territory",
        "Top blockers by leverage",
        "Closest to production",
        "Stalled pilots",
        "Recent moves",
    ):
        assert f"\n## {heading}\n" in text
    assert "| DCS-022 Records Schedule Classifier | Production readiness |" in text
    assert "The ATO granted (ato.granted): gap → met" in text


def test_markdown_escapes_user_text() -> None:
    assert md("a|b") == "a\\|b"
    assert md("<script>alert(1)</script>") == "\\<script\\>alert(1)\\</script\\>"
    assert md("[click](http://x)") == "\\[click\\](http://x)"
    assert md("# not a heading") == "\\# not a heading"
    assert md("1. not a list") == "1\\. not a list"
    assert md("*bold* _em_ `code`") == "\\*bold\\* \\_em\\_ \\`code\\`"
    assert md("R&D &amp; more") == "R&D &amp;amp; more"
    assert md("two\nlines\x1b[31m") == "two⏎lines\\\\x1b\\[31m"  # shows as two⏎lines\x1b[31m


HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)> & "quotes"'


def test_html_is_self_contained_and_escapes_user_text(sample_portfolio: Portfolio) -> None:
    sample_portfolio.edit_pilot("DCS-022", name=HOSTILE)  # closest to production: shown in the briefing
    sample_portfolio.edit_pilot("DCS-013", office="https://tracker.example/x")  # stalled: shown too
    page = briefing_html(build_briefing(sample_portfolio))
    assert page.startswith("<!DOCTYPE html>")
    lowered = page.lower()
    assert "<script" not in lowered and "<img" not in lowered and "<link" not in lowered
    assert not re.search(r"<[^>]*\b(src|href)\s*=", lowered), "no tag loads or links anything"
    assert "url(" not in lowered and "@import" not in lowered
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "https://tracker.example/x" in page  # user text is shown as text; it is never a link or fetched
    assert "<a " not in lowered
    without_user_text = page.replace("https://tracker.example/x", "")
    assert "http://" not in without_user_text and "https://" not in without_user_text
    assert "@media print" in page and "<svg" in page and "<style>" in page


def test_every_user_text_in_the_html_is_escaped_by_the_template(sample_portfolio: Portfolio) -> None:
    """Escaping is the template's default, not a call site's habit: hostile text in every field the page
    shows from the user (names, offices, tags, actors, the override's justification, the portfolio's name)
    comes out as text."""
    b = build_briefing(sample_portfolio)
    assert b.leverage and b.stalled and b.recent and b.closest
    move = b.recent[0]
    hostile = replace(
        b,
        name=HOSTILE,
        taken_by=HOSTILE,
        audit_head=(b.audit_head[0], HOSTILE),
        leverage=[b.leverage[0].model_copy(update={"tag": HOSTILE, "areas": (HOSTILE,), "unlocks": (HOSTILE,)})],
        stalled=[
            replace(b.stalled[0], id=HOSTILE, name=HOSTILE, office=HOSTILE, territory=HOSTILE, top_blocker=HOSTILE)
        ],
        recent=[
            replace(
                move,
                pilot_id=HOSTILE,
                name=HOSTILE,
                move=move.move.model_copy(update={"actor": HOSTILE, "override": HOSTILE}),
            )
        ],
    )
    page = briefing_html(hostile)
    assert "<script" not in page.lower() and "<img" not in page.lower()
    escaped = (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot;"
    )
    # The title and h1, the actor, the audit head twice; the tag's two chart tooltips (its label is clipped),
    # its cell, areas and unlocks; the stalled row's five texts; the recent row's four.
    assert page.count(escaped) == 19


def test_control_characters_in_user_text_show_escaped_in_the_html(sample_portfolio: Portfolio) -> None:
    page = briefing_html(replace(build_briefing(sample_portfolio), name="two\nlines\x1b[31m\u202e"))
    assert "<title>Portfolio briefing: two⏎lines\\x1b[31m\\u202e</title>" in page
    assert "\x1b" not in page and "\u202e" not in page


def test_the_templates_never_turn_escaping_off() -> None:
    """The only markup on the page is the templates' own: no value is marked safe, escaping is never
    switched off, and the Python side builds no markup from text."""
    import caio_tui.io.briefing_html as module

    templates = Path(module.__file__).parent / "templates"
    sources = {p.name: p.read_text(encoding="utf-8") for p in templates.glob("*.j2")}
    assert {"briefing.html.j2", "briefing_charts.svg.j2"} <= set(sources)
    for name, source in sources.items():
        assert "|safe" not in source.replace(" ", ""), name
        assert "autoescape" not in source, name
    assert Path(module.__file__).read_text(encoding="utf-8").count("Markup(") == 2  # the finalize and the line break


def test_the_briefing_modules_do_not_import_jinja2_until_a_page_is_rendered() -> None:
    import subprocess
    import sys

    code = (
        "import sys, caio_tui.io.inventory, caio_tui.cli\n"
        "print('jinja2' in sys.modules)\n"
        "from caio_tui.io.briefing_html import _template; _template()\n"
        "print('jinja2' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True"]


def test_many_stalled_pilots_are_summarized(portfolio: Portfolio) -> None:
    from datetime import timedelta

    late = NOW + timedelta(days=400)
    for n in range(STALLED_SHOWN + 4):
        portfolio.add_pilot(PilotFields(name=f"Old {n}", office="O", owner="P"), stage=Stage.PILOT)
    with Portfolio.open(portfolio.path, actor="tester", clock=lambda: late) as later:
        b = build_briefing(later)
        assert len(b.stalled) == STALLED_SHOWN + 4
        assert "And 4 more stalled pilots." in briefing_markdown(b)
        assert "And 4 more stalled pilots." in briefing_html(b)


def test_empty_portfolio_briefing(portfolio: Portfolio) -> None:
    b = build_briefing(portfolio)
    text = briefing_markdown(b)
    assert "No open blockers." in text and "No stalled pilot." in text and "No moves yet." in text
    assert "0 pilots; 0 of 0 active" in text
    assert "No open blockers." in briefing_html(b)


def test_briefing_of_a_large_portfolio_agrees_with_the_full_records(tmp_path: Path) -> None:
    """The briefing reads each pilot's facts (not its full record) and builds records only for the pilots
    a section needs: on a generated portfolio (waivers, every blocker kind, many moves) its leverage,
    closest pilots and recent moves are what the domain computes from every full record."""
    from caio_tui.domain.leverage import Distance, closest_to_production
    from caio_tui.io.generate import generate

    with Portfolio.open(tmp_path / "big.db", actor="tester", create=True, clock=lambda: NOW) as portfolio:
        generate(portfolio, 400, seed=7)
        records = read_records(portfolio)
        rules, catalog, tags = portfolio.rules(), portfolio.catalog(), portfolio.tags()
        briefing = build_briefing(portfolio)
    expected = tag_leverage(records, tags, rules, catalog)[:10]
    assert [(t.tag, t.open_on, t.unlocks) for t in briefing.leverage] == [
        (t.tag, t.open_on, t.unlocks) for t in expected
    ]
    assert any(t.leverage for t in briefing.leverage), "the portfolio should have a fix that unlocks pilots"
    closest = closest_to_production(records, rules, catalog, 10)

    def shown(d: Distance) -> tuple[dict[str, Any], int]:  # blocker ids are numbered per read path
        return d.record.model_dump(exclude={"blockers": {"__all__": {"id"}}}), d.changes

    assert [shown(d) for d in briefing.closest] == [shown(d) for d in closest]
    moves = sorted(
        ((m.moved_at, r.pilot.id, m) for r in records for m in r.stage_history if m.from_stage is not None),
        key=lambda e: e[:2],
        reverse=True,
    )
    assert [(m.pilot_id, m.move) for m in briefing.recent] == [(pilot_id, m) for _, pilot_id, m in moves[:10]]
