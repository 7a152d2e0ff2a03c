"""Stale approvals: a pass or an override holds for the state it was decided on; when that state regresses
the pilot is flagged `approval stale` until someone re-checks the gate."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from caio_tui.domain.blockers import BUILTIN_TAGS, Blocker
from caio_tui.domain.coverage import Coverage, CoverageStatus
from caio_tui.domain.defaults import default_catalog, default_rules
from caio_tui.domain.filters import parse_filter
from caio_tui.domain.gates import evaluate
from caio_tui.domain.pilots import Pilot, PilotFields, PilotRecord
from caio_tui.domain.stages import Stage
from caio_tui.domain.staleness import DecidedState, GateState, decide, regressions
from caio_tui.io.views import pilots_json, record_json
from caio_tui.store import Portfolio, StoreError
from caio_tui.store.database import latest_version
from caio_tui.store.gates import recheck, stale_reasons
from caio_tui.store.portfolio import GateRefused
from helpers.old_schema import as_version_3

S = CoverageStatus
WHEN = datetime(2026, 6, 1, tzinfo=UTC)
CATEGORY = {t.tag: t.category for t in BUILTIN_TAGS}


def make(
    stage: Stage,
    coverage: dict[str, CoverageStatus] | None = None,
    *,
    blockers: tuple[str, ...] = (),
    high_impact: bool = False,
    owner: str = "R. Castellanos",
) -> PilotRecord:
    pilot = Pilot(
        id="P-1",
        name="Benefits Policy Assistant",
        office="Office of Benefits",
        owner=owner,
        stage=stage,
        high_impact=high_impact,
        created_at=WHEN,
        stage_entered_at=WHEN,
    )
    return PilotRecord(
        pilot=pilot,
        coverage={
            i: Coverage(item=i, status=s, justification="CAIO waiver" if s.needs_justification else "")
            for i, s in (coverage or {}).items()
        },
        blockers=tuple(
            Blocker(id=n, pilot_id="P-1", tag=t, category=CATEGORY[t], opened_at=WHEN, opened_by="a")
            for n, t in enumerate(blockers)
        ),
    )


def decided_on(record: PilotRecord, to: Stage, override: str = "") -> DecidedState:
    result = evaluate(record, to, default_rules(), default_catalog())
    decided = decide(record, result, default_rules(), default_catalog(), override=override)
    assert decided is not None
    return decided


def later(record: PilotRecord, **changes: object) -> GateState:
    """The state of `record` after changes: coverage (dict of updates), blockers (tuple), owner, high_impact."""
    coverage = {**{i: c.status for i, c in record.coverage.items()}, **changes.get("coverage", {})}  # type: ignore[dict-item]
    pilot = record.pilot.model_copy(update={k: v for k, v in changes.items() if k in ("owner", "high_impact")})
    blockers = changes.get("blockers", tuple(b.tag for b in record.open_blockers))
    return GateState.of(
        make(
            pilot.stage,
            coverage,  # type: ignore[arg-type]
            blockers=blockers,  # type: ignore[arg-type]
            high_impact=pilot.high_impact,
            owner=pilot.owner,
        )
    )


def ready_for_production(high_impact: bool = False) -> dict[str, CoverageStatus]:
    return {i.id: S.MET for i in default_catalog().items(high_impact)}


# ---- the decided state -----------------------------------------------------------------------------------


def test_a_pass_records_what_the_gate_required_and_the_state_then() -> None:
    record = make(Stage.PILOT, {"governance.approver": S.PARTIAL, "access.governed_iam": S.PARTIAL})
    decided = decided_on(record, Stage.READINESS)
    assert (decided.from_stage, decided.to_stage, decided.passed, decided.result) == (
        Stage.PILOT,
        Stage.READINESS,
        True,
        "passed",
    )
    approver, iam = sorted(decided.items, key=lambda i: i.item != "governance.approver")
    assert iam.item == "access.governed_iam"
    assert approver.item == "governance.approver"
    assert approver.decided is S.PARTIAL
    assert set(approver.accept) == {S.PARTIAL, S.MET, S.WAIVED, S.NOT_APPLICABLE}
    assert decided.blocker_tags == ("shared-service-account", "personal-credentials")
    assert regressions(decided, GateState.of(record)) == []


def test_moves_that_cross_no_gate_decide_nothing() -> None:
    record = make(Stage.PRODUCTION)
    for target in (Stage.POC, Stage.RETIRED):
        result = evaluate(record, target, default_rules(), default_catalog())
        assert decide(record, result, default_rules(), default_catalog()) is None


def test_an_item_asked_by_two_gates_must_meet_the_stricter() -> None:
    decided = decided_on(make(Stage.PILOT, ready_for_production()), Stage.PRODUCTION)
    approver = next(r for r in decided.items if r.item == "governance.approver")
    assert set(approver.accept) == {S.MET, S.WAIVED, S.NOT_APPLICABLE}


# ---- regressions -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("now", [S.GAP, S.NOT_ASSESSED])
def test_an_item_falling_below_what_the_gate_required_is_a_regression(now: CoverageStatus) -> None:
    record = make(Stage.PILOT, {"governance.approver": S.MET})
    decided = decided_on(record, Stage.READINESS)
    (found,) = regressions(decided, later(record, coverage={"governance.approver": now}))
    assert (found.kind, found.target) == ("coverage", "governance.approver")
    assert found.text == (
        f"governance.approver fell from met to {now.value} "
        "(the gate into readiness accepts partial or met or waived or not_applicable)"
    )


def test_a_change_that_still_meets_the_gate_is_no_regression() -> None:
    record = make(Stage.PILOT, {"governance.approver": S.MET})
    decided = decided_on(record, Stage.READINESS)
    for still in (S.PARTIAL, S.WAIVED, S.NOT_APPLICABLE):
        assert regressions(decided, later(record, coverage={"governance.approver": still})) == []
    # Items no gate asked about may fall as they like.
    assert regressions(decided, later(record, coverage={"audit.user_activity": S.GAP})) == []


def test_a_gated_blocker_opening_is_a_regression_and_an_organizational_one_is_not() -> None:
    record = make(Stage.READINESS, ready_for_production())
    decided = decided_on(record, Stage.PRODUCTION)
    (found,) = regressions(decided, later(record, blockers=("no-ato-pathway", "skills-gap")))
    assert (found.kind, found.target) == ("blocker", "no-ato-pathway")
    assert found.text == "a no-ato-pathway blocker opened (the gate into production forbids it)"


def test_an_override_accepts_what_was_short_but_not_what_gets_worse() -> None:
    record = make(Stage.PILOT, {"governance.approver": S.PARTIAL}, blockers=("shared-service-account",))
    readiness = decided_on(record, Stage.READINESS, override="Deputy Secretary memo")
    assert (readiness.passed, readiness.result, readiness.override) == (False, "overridden", "Deputy Secretary memo")
    assert readiness.open_then == ("shared-service-account",)
    # The blocker the override accepted stays open: the decision knew.
    assert regressions(readiness, GateState.of(record)) == []
    # Another forbidden blocker opening is new.
    (found,) = regressions(readiness, later(record, blockers=("shared-service-account", "personal-credentials")))
    assert found.target == "personal-credentials"

    short = make(Stage.READINESS, {**ready_for_production(), "ato.granted": S.PARTIAL})
    production = decided_on(short, Stage.PRODUCTION, override="Emergency deployment")
    assert regressions(production, GateState.of(short)) == []
    (worse,) = regressions(production, later(short, coverage={"ato.granted": S.GAP}))
    assert worse.text.startswith("ato.granted fell from partial to gap")


def test_withdrawing_a_waiver_the_gate_did_not_accept_is_a_regression() -> None:
    record = make(Stage.PRODUCTION, {**ready_for_production(), "scalability.architecture": S.WAIVED})
    decided = decided_on(record, Stage.SCALED, override="Second office asked for it")
    (found,) = regressions(decided, later(record, coverage={"scalability.architecture": S.GAP}))
    assert found.target == "scalability.architecture"


def test_a_required_field_blanked_is_a_regression() -> None:
    record = make(Stage.POC)
    decided = decided_on(record, Stage.PILOT)
    (found,) = regressions(decided, later(record, owner=""))
    assert (found.kind, found.target) == ("field", "owner")
    assert found.text == "the owner was removed (the gate into pilot requires one)"


def test_becoming_high_impact_after_production_makes_the_missing_practices_regressions() -> None:
    record = make(Stage.READINESS, ready_for_production())
    decided = decided_on(record, Stage.PRODUCTION)
    assert regressions(decided, GateState.of(record)) == []
    found = regressions(decided, later(record, high_impact=True))
    practices = [
        i.id for f in default_catalog().frameworks if f.applies_to == "high_impact" for a in f.areas for i in a.items
    ]
    assert [r.target for r in found] == practices
    assert {r.kind for r in found} == {"high_impact"}
    # Practised pilots do not regress by becoming high-impact.
    practised = {p: S.MET for p in practices}
    assert regressions(decided, later(record, high_impact=True, coverage=practised)) == []


# ---- in the store ---------------------------------------------------------------------------------------------


def pilot_in_readiness(portfolio: Portfolio) -> str:
    pid = portfolio.add_pilot(PilotFields(name="Claims triage", office="Benefits", owner="Ann"), stage=Stage.PILOT)
    portfolio.set_coverage(pid, "governance.approver", S.MET, evidence="seen")
    portfolio.set_coverage(pid, "access.governed_iam", S.PARTIAL)
    portfolio.move(pid, Stage.READINESS)
    return pid


def stale_ids(portfolio: Portfolio) -> list[str]:
    return [p.id for p in portfolio.pilots(parse_filter("stale"))]


def test_a_regression_flags_the_pilot_in_the_store_list_json_and_the_stale_filter(portfolio: Portfolio) -> None:
    pid = pilot_in_readiness(portfolio)
    other = pilot_in_readiness(portfolio)
    assert not portfolio.get(pid).approval_stale
    assert stale_ids(portfolio) == []

    portfolio.open_blocker(pid, "personal-credentials", note="runs as the lead's account")
    assert portfolio.get(pid).approval_stale
    assert not portfolio.get(other).approval_stale
    assert stale_ids(portfolio) == [pid]
    assert portfolio.count(parse_filter("stale stage:readiness")) == 1
    listed = {p["id"]: p["approval_stale"] for p in pilots_json(portfolio, portfolio.pilots())}
    assert listed == {pid: True, other: False}
    assert [r.target for r in stale_reasons(portfolio, pid)] == ["personal-credentials"]


def test_a_stale_flag_stays_until_a_re_check_even_if_the_regression_is_undone(portfolio: Portfolio) -> None:
    pid = pilot_in_readiness(portfolio)
    portfolio.set_coverage(pid, "governance.approver", S.GAP)
    assert portfolio.get(pid).approval_stale
    portfolio.set_coverage(pid, "governance.approver", S.MET, evidence="seen")
    assert portfolio.get(pid).approval_stale  # someone has to look again
    assert stale_reasons(portfolio, pid) == []
    done = recheck(portfolio, pid)
    assert done.result.passed and done.regressions == ()
    assert not portfolio.get(pid).approval_stale


def test_a_re_check_that_fails_changes_nothing_unless_overridden(portfolio: Portfolio) -> None:
    pid = pilot_in_readiness(portfolio)
    portfolio.open_blocker(pid, "shared-service-account")
    events = len(portfolio.history(pid))
    with pytest.raises(GateRefused) as refused:
        recheck(portfolio, pid)
    assert [f.rule for f in refused.value.result.failures] == ["readiness #2"]
    assert portfolio.get(pid).approval_stale
    assert len(portfolio.history(pid)) == events
    with pytest.raises(StoreError, match="needs a written justification"):
        recheck(portfolio, pid, override="  ")

    done = recheck(portfolio, pid, override="Account split scheduled for May")
    assert done.override == "Account split scheduled for May"
    assert [r.target for r in done.regressions] == ["shared-service-account"]
    assert not portfolio.get(pid).approval_stale
    event = portfolio.history(pid)[-1]
    assert event.action == "gate.recheck"
    assert event.before == {
        "approval_stale": True,
        "regressions": ["a shared-service-account blocker opened (the gate into readiness forbids it)"],
    }
    assert event.after["gate"] == "overridden"
    assert event.after["override"] == "Account split scheduled for May"
    assert event.summary() == (
        "re-checked the gate into readiness: overridden (override: Account split scheduled for May)"
    )
    assert portfolio.verify_chain()[1] is None
    # The new decision holds to today's state: a further regression flags it again.
    portfolio.open_blocker(pid, "personal-credentials")
    assert portfolio.get(pid).approval_stale


def test_there_is_nothing_to_re_check_after_a_move_that_passed_no_gate(portfolio: Portfolio) -> None:
    pid = portfolio.add_pilot(PilotFields(name="Chatbot"))
    with pytest.raises(StoreError, match="entered intake without passing a gate"):
        recheck(portfolio, pid)
    with pytest.raises(StoreError, match="no pilot"):
        stale_reasons(portfolio, "NOPE")


def test_a_new_move_decides_afresh_and_undoing_it_returns_to_the_earlier_decision(portfolio: Portfolio) -> None:
    pid = pilot_in_readiness(portfolio)
    portfolio.set_coverage(pid, "governance.approver", S.GAP)
    assert portfolio.get(pid).approval_stale
    portfolio.move(pid, Stage.PILOT)  # back: no gate, no approval to go stale
    assert not portfolio.get(pid).approval_stale
    portfolio.undo()
    assert portfolio.get(pid).stage is Stage.READINESS
    assert portfolio.get(pid).approval_stale  # the readiness decision is back, and still regressed


def test_stage_history_keeps_the_gate_result_of_every_move(portfolio: Portfolio) -> None:
    pid = portfolio.add_pilot(PilotFields(name="Claims triage", office="Benefits", owner="Ann"), stage=Stage.POC)
    portfolio.move(pid, Stage.PILOT)
    portfolio.move(pid, Stage.READINESS, override="Pilot extended by the CIO")
    portfolio.move(pid, Stage.RETIRED)
    history = record_json(portfolio, portfolio.record(pid))["stage_history"]
    assert [(m["to"], m["gate"], m["override"]) for m in history] == [
        ("poc", "", ""),
        ("pilot", "passed", ""),
        ("readiness", "overridden", "Pilot extended by the CIO"),
        ("retired", "", ""),
    ]
    assert portfolio.history(pid)[-2].after["gate"] == "overridden"


def as_version_1(path: Path) -> None:
    """Take a file back to schema 1, as an older caio-tui left it: no decided states, no re-checks."""
    as_version_3(path)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP INDEX pilot_stale")
    conn.execute("DROP INDEX pilot_by_stage_entered")
    conn.execute("DROP TABLE gate_recheck")
    conn.execute("ALTER TABLE stage_move DROP COLUMN decided_state")
    conn.execute("PRAGMA user_version = 1")
    conn.close()


def test_a_version_1_portfolio_upgrades_with_its_approvals_current(db_path: Path) -> None:
    """Moves made before decisions were kept have no decided state: nothing is stale after the upgrade,
    and the next gated move keeps its decision."""
    with Portfolio.open(db_path, actor="tester", create=True) as old:
        pid = old.add_pilot(PilotFields(name="Claims triage", office="Benefits", owner="Ann"), stage=Stage.POC)
        old.move(pid, Stage.PILOT)
    as_version_1(db_path)
    with Portfolio.open(db_path, actor="tester") as upgraded:
        assert upgraded.decided_state(pid) is None
        assert [m.gate for m in upgraded.record(pid).stage_history] == ["", ""]
        upgraded.edit_pilot(pid, owner="")
        assert not upgraded.get(pid).approval_stale
        with pytest.raises(StoreError, match="no approval to re-check"):
            recheck(upgraded, pid)
        upgraded.edit_pilot(pid, owner="Ann")
        upgraded.move(pid, Stage.POC)
        upgraded.move(pid, Stage.PILOT)
        upgraded.edit_pilot(pid, owner="")
        assert upgraded.get(pid).approval_stale
    assert sqlite3.connect(db_path).execute("PRAGMA user_version").fetchone()[0] == latest_version()
