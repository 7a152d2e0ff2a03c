"""Territory "unassessed" and the pilot below its gate: derived, stored on the pilot row, kept current on
every change (coverage, blockers, fields, stage, rules), judged for the first time at the upgrade to schema
6 with the state seal holding across it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from caio_tui.domain.coverage import CoverageStatus
from caio_tui.domain.derived import GateStanding, OpenBlocker
from caio_tui.domain.filters import parse_filter
from caio_tui.domain.gates import CoverageRule, FieldRule, Gate, GateRules, standing
from caio_tui.domain.pilots import PilotFields
from caio_tui.domain.stages import Stage
from caio_tui.domain.territory import Territory
from caio_tui.io.briefing import build_briefing
from caio_tui.io.briefing_markdown import briefing_markdown
from caio_tui.store import Portfolio
from caio_tui.store.analytics import below_gate, territory_counts
from caio_tui.store.gates import replace_rules
from caio_tui.store.seal import check_state
from caio_tui.store.transfer import read_records
from helpers.old_schema import as_version_4

S = CoverageStatus


def add(portfolio: Portfolio, name: str, stage: Stage = Stage.INTAKE) -> str:
    return portfolio.add_pilot(PilotFields(name=name, office="Benefits", owner="Ann"), stage=stage)


def met_item(portfolio: Portfolio, pilot_id: str) -> str:
    record = portfolio.record(pilot_id)
    return next(item for item, c in record.coverage.items() if c.status is S.MET)


# ---- territory --------------------------------------------------------------------------------------


def test_nothing_assessed_is_unassessed_and_anything_assessed_is_clear(portfolio: Portfolio) -> None:
    pid = add(portfolio, "Claims triage")
    assert portfolio.get(pid).territory is Territory.UNASSESSED
    portfolio.set_coverage(pid, "ato.boundary", S.GAP, evidence=None, justification=None)
    assert portfolio.get(pid).territory is Territory.CLEAR  # a gap is an assessment: looked at, nothing open
    portfolio.open_blocker(pid, "skills-gap", note="")
    assert portfolio.get(pid).territory is Territory.ORGANIZATIONAL
    other = add(portfolio, "Letters")
    portfolio.set_coverage(other, "ato.boundary", S.NOT_APPLICABLE, evidence=None, justification="no system")
    assert portfolio.get(other).territory is Territory.CLEAR  # a justified not-applicable was looked at
    assert territory_counts(portfolio)[Territory.UNASSESSED] == 0
    third = add(portfolio, "Forms")
    assert territory_counts(portfolio)[Territory.UNASSESSED] == 1
    assert [p.id for p in portfolio.pilots(parse_filter("territory:unassessed"))] == [third]
    assert [p.id for p in portfolio.pilots(parse_filter("territory:clear"))] == [other]


# ---- below its gate ---------------------------------------------------------------------------------


def test_a_sample_pilot_in_production_that_loses_a_met_item_stands_below_its_gate(
    sample_portfolio: Portfolio,
) -> None:
    pid = "DCS-023"  # in production, its gate passed today
    assert sample_portfolio.get(pid).stage is Stage.PRODUCTION and not sample_portfolio.get(pid).below_gate
    item = met_item(sample_portfolio, pid)
    sample_portfolio.set_coverage(pid, item, S.GAP, evidence=None, justification=None)
    assert sample_portfolio.get(pid).below_gate
    assert pid in [p.id for p in sample_portfolio.pilots(parse_filter("below-gate"))]
    assert below_gate(sample_portfolio) == sample_portfolio.count(parse_filter("below-gate"))
    sample_portfolio.set_coverage(pid, item, S.MET, evidence=None, justification=None)
    assert not sample_portfolio.get(pid).below_gate


def test_blockers_fields_and_moves_keep_the_flag_current(portfolio: Portfolio) -> None:
    pid = add(portfolio, "Claims triage", Stage.PILOT)
    assert not portfolio.get(pid).below_gate  # the pilot gate asks an owner and an office
    portfolio.edit_pilot(pid, owner="")
    assert portfolio.get(pid).below_gate
    portfolio.edit_pilot(pid, owner="Ann")
    portfolio.set_coverage(pid, "governance.approver", S.PARTIAL, evidence=None, justification=None)
    portfolio.set_coverage(pid, "access.governed_iam", S.PARTIAL, evidence=None, justification=None)
    portfolio.move(pid, Stage.READINESS, override=None)
    assert not portfolio.get(pid).below_gate
    portfolio.open_blocker(pid, "shared-service-account", note="svc")
    assert portfolio.get(pid).below_gate  # the readiness gate forbids it
    portfolio.move(pid, Stage.PILOT, override=None)  # backwards: no gate forbids it there
    assert not portfolio.get(pid).below_gate
    portfolio.move(pid, Stage.RETIRED, override=None)
    assert not portfolio.get(pid).below_gate  # retired stands at no gate


def test_stricter_rules_flag_every_pilot_they_fail_and_undo_clears_them(sample_portfolio: Portfolio) -> None:
    before = below_gate(sample_portfolio)
    rules = sample_portfolio.rules()
    pilot_gate = rules.for_stage(Stage.PILOT)
    stricter = GateRules(
        gate=tuple(
            g if g.to is not Stage.PILOT else Gate(to=Stage.PILOT, rules=(*pilot_gate.rules, _ato_met()))
            for g in rules.gates
        )
    )
    replace_rules(sample_portfolio, stricter, "stricter.toml")
    flagged = {p.id for p in sample_portfolio.pilots(parse_filter("below-gate"))}
    expected = {
        r.pilot.id
        for r in read_records(sample_portfolio)
        if not standing(r, stricter, sample_portfolio.catalog()).passed
    }
    assert flagged == expected and len(flagged) > before
    sample_portfolio.undo()
    assert below_gate(sample_portfolio) == before
    assert check_state(sample_portfolio.conn).holds


def _ato_met() -> CoverageRule:
    return CoverageRule(kind="coverage", areas=("ato",), at_least="met")


def test_the_stored_flag_is_what_the_gates_say_for_every_generated_pilot(tmp_path: Path) -> None:
    """The bulk load and the compiled rules agree with domain.gates.standing, rule by rule."""
    from caio_tui.io.generate import generate

    with Portfolio.open(tmp_path / "big.db", actor="tester", create=True) as portfolio:
        generate(portfolio, 300, seed=3)
        rules, catalog = portfolio.rules(), portfolio.catalog()
        records = read_records(portfolio)
        compiled = GateStanding(rules, catalog)
        flagged = 0
        for record in records:
            expected = not standing(record, rules, catalog).passed
            assert record.pilot.below_gate is expected, record.pilot.id
            p = record.pilot
            fields = {"name": p.name, "office": p.office, "owner": p.owner, "description": p.description}
            blockers = [OpenBlocker(b.tag, b.category, "") for b in record.open_blockers]
            statuses = {i: c.status for i, c in record.coverage.items()}
            assert compiled.below(p.stage, statuses, p.high_impact, blockers, fields) is expected
            flagged += expected
        assert 0 < flagged < len(records)


def test_a_field_rule_in_a_later_gate_flags_pilots_missing_the_field(portfolio: Portfolio) -> None:
    pid = add(portfolio, "Claims triage", Stage.PILOT)
    rules = GateRules(gate=(Gate(to=Stage.POC, rules=(FieldRule(kind="field", field="description"),)),))
    replace_rules(portfolio, rules, "describe.toml")
    assert portfolio.get(pid).below_gate  # every gate from intake to its stage, the poc gate included
    portfolio.edit_pilot(pid, description="Triage of claims")
    assert not portfolio.get(pid).below_gate


def test_the_briefing_lists_the_pilots_below_their_gate_with_the_failing_rules(sample_portfolio: Portfolio) -> None:
    item = met_item(sample_portfolio, "DCS-023")
    sample_portfolio.set_coverage("DCS-023", item, S.GAP, evidence=None, justification=None)
    b = build_briefing(sample_portfolio)
    assert b.below_gate == below_gate(sample_portfolio) == len(b.below_gate_shown)
    shown = {s.id: s for s in b.below_gate_shown}
    assert item in " ".join(shown["DCS-023"].failures)
    assert all(s.failures for s in b.below_gate_shown)
    text = briefing_markdown(b)
    assert "## Below their gate" in text and "DCS-023" in text.split("## Below their gate")[1]


# ---- the upgrade to schema 6 --------------------------------------------------------------------------


def test_an_old_sealed_portfolio_is_judged_at_its_first_open_and_its_seal_holds(db_path: Path) -> None:
    from caio_tui.io.samples import load_sample

    with Portfolio.open(db_path, actor="tester", create=True) as old:
        load_sample(old, "civilian-agency")
        old.set_coverage("DCS-023", met_item(old, "DCS-023"), S.GAP, evidence=None, justification=None)
        add(old, "Nothing assessed")
    as_version_4(db_path)
    with Portfolio.open(db_path, actor="tester") as upgraded:
        actions = [e.action for e in upgraded.history()][-2:]
        assert actions == ["schema.upgrade", "pilots.rederive"]
        assert check_state(upgraded.conn).holds
        assert upgraded.get("DCS-023").below_gate
        assert upgraded.pilots(parse_filter("territory:unassessed"))
        upgraded.set_coverage(
            "DCS-023", "ato.boundary", S.MET, evidence="boundary memo", justification=None
        )  # writes work
        assert check_state(upgraded.conn).holds


def test_a_row_changed_outside_before_the_upgrade_is_still_named_after_it(db_path: Path) -> None:
    from caio_tui.io.samples import load_sample

    with Portfolio.open(db_path, actor="tester", create=True) as old:
        load_sample(old, "civilian-agency")
    as_version_4(db_path)
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE pilot SET name = 'changed' WHERE id = 'DCS-001'")
    conn.commit()
    conn.close()
    with Portfolio.open(db_path, actor="tester") as upgraded:
        report = check_state(upgraded.conn)
        assert [(f.table, f.group, f.kind) for f in report.faults] == [("pilot", "DCS-001", "changed")]
