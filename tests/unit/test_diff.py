"""What moved between two states of a portfolio: the comparison and its text, Markdown and JSON forms."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from caio_tui.domain.coverage import CoverageStatus
from caio_tui.domain.diff import PortfolioState, compare
from caio_tui.domain.gates import CoverageRule, Gate, GateRules
from caio_tui.domain.pilots import PilotFields
from caio_tui.domain.stages import Stage
from caio_tui.io.diff import counts, diff_files, load_side, render, render_json, render_markdown, render_text
from caio_tui.io.snapshot import Snapshot, snapshot_of, state_of
from caio_tui.store import Portfolio


def state(portfolio: Portfolio) -> PortfolioState:
    return state_of(Snapshot.model_validate(snapshot_of(portfolio)))


@pytest.fixture
def before(sample_portfolio: Portfolio) -> PortfolioState:
    return state(sample_portfolio)


def test_a_portfolio_compared_with_itself_has_no_difference(
    sample_portfolio: Portfolio, before: PortfolioState
) -> None:
    diff = compare(before, state(sample_portfolio))
    assert diff.identical
    assert render_text(diff).rstrip().endswith("no differences")
    assert "No differences." in render_markdown(diff)
    assert json.loads(render_json(diff))["identical"] is True


def test_every_kind_of_change_is_reported(sample_portfolio: Portfolio, before: PortfolioState) -> None:
    p = sample_portfolio
    p.set_coverage("DCS-004", "access.roles", CoverageStatus.MET, evidence="Roles in the catalog")
    p.set_coverage("DCS-004", "access.revocation", CoverageStatus.NOT_APPLICABLE, justification="Shared link only")
    p.set_coverage("DCS-007", "audit.activity", CoverageStatus.GAP)
    p.open_blocker("DCS-003", "skills-gap", note="Nobody can tune it")
    p.resolve_blocker("DCS-004", "shared-service-account")
    p.move("DCS-001", Stage.POC)
    p.move("DCS-002", Stage.POC)
    p.move("DCS-002", Stage.READINESS, override="The Deputy Secretary asked for a trial")
    p.edit_pilot("DCS-005", owner="New Owner")
    new_id = p.add_pilot(PilotFields(name="Fresh idea", office="OCIO"))

    diff = compare(before, state(p))
    assert not diff.identical
    assert [a.id for a in diff.added] == [new_id] and diff.removed == ()
    moves = {d.id: (d.old_stage, d.new_stage) for d in diff.stage_moves}
    assert moves == {"DCS-001": (Stage.INTAKE, Stage.POC), "DCS-002": (Stage.INTAKE, Stage.READINESS)}
    assert [(o.pilot_id, o.move.to_stage, o.move.override) for o in diff.overrides] == [
        ("DCS-002", Stage.READINESS, "The Deputy Secretary asked for a trial")
    ]
    assert diff.overrides[0].move.failed_rules, "the rules the override passed over are kept"
    dcs002 = next(d for d in diff.changed if d.id == "DCS-002")
    assert [(m.from_stage, m.to_stage) for m in dcs002.moves] == [
        (Stage.INTAKE, Stage.POC),
        (Stage.POC, Stage.READINESS),
    ]

    coverage = {(d.id, c.item): (c.old, c.new, c.direction, c.area) for d in diff.changed for c in d.coverage}
    assert coverage == {
        ("DCS-004", "access.roles"): (CoverageStatus.PARTIAL, CoverageStatus.MET, "better", "access"),
        ("DCS-004", "access.revocation"): (CoverageStatus.GAP, CoverageStatus.NOT_APPLICABLE, "better", "access"),
        ("DCS-007", "audit.activity"): (CoverageStatus.PARTIAL, CoverageStatus.GAP, "worse", "audit"),
    }
    areas = {a.area: (a.better, a.worse) for a in diff.areas}
    assert areas == {"access": (2, 0), "audit": (0, 1)}
    assert [(d.id, b.tag) for d, b in diff.opened] == [("DCS-003", "skills-gap")]
    assert [(d.id, b.tag, b.by) for d, b in diff.resolved] == [("DCS-004", "shared-service-account", "tester")]
    fields = [(d.id, f.field, f.old, f.new) for d in diff.changed for f in d.fields]
    assert fields == [("DCS-005", "owner", before_owner(before, "DCS-005"), "New Owner")]
    funnel = {c.stage: (c.old, c.new) for c in diff.funnel}
    assert funnel[Stage.INTAKE] == (3, 2)  # two left intake, one new one arrived
    assert funnel[Stage.READINESS] == (5, 6)
    assert diff.rule_changes == ()


def before_owner(state: PortfolioState, pilot_id: str) -> str:
    return next(r.pilot.owner for r in state.records if r.pilot.id == pilot_id)


def test_added_and_removed_are_mirror_images(sample_portfolio: Portfolio, before: PortfolioState) -> None:
    new_id = sample_portfolio.add_pilot(PilotFields(name="Fresh idea"), stage=Stage.POC)
    after = state(sample_portfolio)
    assert [p.id for p in compare(before, after).added] == [new_id]
    backwards = compare(after, before)
    assert [(p.id, p.stage) for p in backwards.removed] == [(new_id, Stage.POC)]
    assert "- " + new_id in render_text(backwards)


def test_a_blocker_opened_and_resolved_between_snapshots_shows_both(
    sample_portfolio: Portfolio, before: PortfolioState
) -> None:
    sample_portfolio.open_blocker("DCS-010", "budget-cycle-misaligned")
    sample_portfolio.resolve_blocker("DCS-010", "budget-cycle-misaligned")
    diff = compare(before, state(sample_portfolio))
    assert [b.tag for _, b in diff.opened] == ["budget-cycle-misaligned"]
    assert [b.tag for _, b in diff.resolved] == ["budget-cycle-misaligned"]


def test_rule_changes_are_listed_per_gate(before: PortfolioState) -> None:
    gates = list(before.rules.gates)
    readiness = next(g for g in gates if g.to is Stage.READINESS)
    stricter = CoverageRule(kind="coverage", areas=("audit",), at_least="partial", description="Audit started")
    gates[gates.index(readiness)] = Gate(
        to=Stage.READINESS, rules=(*readiness.rules[:1], *readiness.rules[2:], stricter)
    )
    after = before.model_copy(update={"rules": GateRules(version=1, gate=tuple(gates)), "rules_revision": 2})
    diff = compare(before, after)
    changes = [(r.stage, r.change, r.rule) for r in diff.rule_changes]
    assert changes == [
        (
            Stage.READINESS,
            "removed",
            "No shared account or personal credentials (no open shared-service-account, personal-credentials)",
        ),
        (Stage.READINESS, "added", "Audit started (audit at least partial)"),
    ]
    text = render_text(diff)
    assert "gate rules: revision 1 → 2" in text
    assert "readiness: + Audit started (audit at least partial)" in text
    assert "- Production readiness: added Audit started (audit at least partial)" in render_markdown(diff)


def test_framework_and_tag_changes(before: PortfolioState) -> None:
    frameworks = before.catalog.frameworks[:1]
    after = before.model_copy(
        update={"catalog": before.catalog.model_copy(update={"frameworks": frameworks}), "tags": before.tags[1:]}
    )
    diff = compare(before, after)
    assert "hi.testing" in diff.items_removed and diff.items_added == ()
    assert diff.tags_removed == (before.tags[0].tag,)


def test_json_form_carries_everything(sample_portfolio: Portfolio, before: PortfolioState) -> None:
    sample_portfolio.move("DCS-001", Stage.POC)
    sample_portfolio.set_coverage("DCS-001", "access.roles", CoverageStatus.PARTIAL)
    data = json.loads(render(compare(before, state(sample_portfolio)), "json"))
    assert data["identical"] is False
    assert data["summary"] == {
        "added": 0,
        "removed": 0,
        "stage_moves": 1,
        "coverage_changes": 1,
        "blockers_opened": 0,
        "blockers_resolved": 0,
        "gate_overrides": 0,
        "rule_changes": 0,
    }
    (changed,) = data["changed"]
    assert changed["id"] == "DCS-001" and changed["old_stage"] == "intake" and changed["new_stage"] == "poc"
    assert changed["coverage"] == [{"area": "access", "item": "access.roles", "old": "not_assessed", "new": "partial"}]


def test_user_text_is_shown_as_typed(sample_portfolio: Portfolio, before: PortfolioState) -> None:
    sample_portfolio.edit_pilot("DCS-003", name="[red]x | <script>alert(1)</script>\x1b[2J")
    sample_portfolio.move("DCS-003", Stage.POC)
    diff = compare(before, state(sample_portfolio))
    text = render_text(diff)
    assert "\x1b" not in text and "\\x1b[2J" in text
    assert "[red]x | <script>" in text
    markdown = render_markdown(diff)
    assert "<script>" not in markdown and "\\<script\\>" in markdown
    assert "x \\| " in markdown  # a pipe in a name does not split the table row
    assert "\x1b" not in markdown


# ---- reading a side never changes its file ---------------------------------------------------------------


def test_a_portfolio_of_an_older_schema_is_read_without_upgrading_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from caio_tui.io.samples import load_sample
    from caio_tui.store import database

    old_path = tmp_path / "last-year.db"
    with Portfolio.open(old_path, actor="tester", create=True) as old:
        load_sample(old, "small-agency")
        retired = old.pilots()[0].id
        old.move(retired, Stage.RETIRED)
        ids = {p.id for p in old.pilots()}
    before = old_path.read_bytes()
    # This caio-tui knows one migration more than the file has: opening the file in place would upgrade it.
    shipped = database.migration_files()
    later = (shipped[-1][0] + 1, "later", "CREATE TABLE later_table (x INTEGER);")
    monkeypatch.setattr(database, "migration_files", lambda: [*shipped, later])

    state_then = load_side(old_path, actor="tester")
    assert old_path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last-year.db"]  # no backup, no -wal left beside it
    assert {r.pilot.id for r in state_then.records} == ids
    assert next(r for r in state_then.records if r.pilot.id == retired).pilot.stage is Stage.RETIRED
    assert diff_files(old_path, old_path, actor="tester").identical


def test_a_side_reads_its_last_commits_from_the_write_ahead_log(
    sample_portfolio: Portfolio, monkeypatch: pytest.MonkeyPatch
) -> None:
    from caio_tui.store import database

    sample_portfolio.move("DCS-001", Stage.POC)  # committed to the -wal file; the fixture keeps it open
    shipped = database.migration_files()
    monkeypatch.setattr(database, "migration_files", lambda: [*shipped, (shipped[-1][0] + 1, "later", "SELECT 1;")])
    copied = load_side(sample_portfolio.path, actor="tester")  # read from a copy: the file looks older
    assert next(r for r in copied.records if r.pilot.id == "DCS-001").pilot.stage is Stage.POC


def test_counts_name_every_kind_of_change(sample_portfolio: Portfolio, before: PortfolioState) -> None:
    sample_portfolio.move("DCS-001", Stage.POC)
    found = counts(compare(before, state(sample_portfolio)))
    assert found == {
        "added": 0,
        "removed": 0,
        "stage_moves": 1,
        "coverage_changes": 0,
        "blockers_opened": 0,
        "blockers_resolved": 0,
        "gate_overrides": 0,
        "rule_changes": 0,
    }
