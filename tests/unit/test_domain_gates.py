"""The default gates: does a move pass, which rules fail and why, and the least that would make it pass."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from caio_tui.domain.blockers import BUILTIN_TAGS, Blocker
from caio_tui.domain.coverage import Coverage, CoverageStatus
from caio_tui.domain.defaults import default_catalog, default_rules
from caio_tui.domain.gates import GateResult, GateRulesError, distance, evaluate, parse_rules, stages_crossed
from caio_tui.domain.pilots import Pilot, PilotRecord
from caio_tui.domain.stages import Stage
from caio_tui.domain.territory import BlockerCategory

S = CoverageStatus
WHEN = datetime(2026, 6, 1, tzinfo=UTC)
CATEGORY = {t.tag: t.category for t in BUILTIN_TAGS}
PRODUCTION_AREAS = ("access", "audit", "governance", "lifecycle", "ato", "data", "system_identity")


def cov(item: str, status: CoverageStatus) -> Coverage:
    justification = "CAIO waiver" if status.needs_justification else ""
    return Coverage(item=item, status=status, justification=justification)


def make(
    stage: Stage,
    coverage: dict[str, CoverageStatus] | None = None,
    *,
    blockers: tuple[str, ...] = (),
    resolved: tuple[str, ...] = (),
    high_impact: bool = False,
    office: str = "Office of Benefits",
    owner: str = "R. Castellanos",
) -> PilotRecord:
    pilot = Pilot(
        id="P-1",
        name="Benefits Policy Assistant",
        office=office,
        owner=owner,
        stage=stage,
        high_impact=high_impact,
        created_at=WHEN,
        stage_entered_at=WHEN,
    )
    opened = [
        Blocker(id=n, pilot_id="P-1", tag=t, category=CATEGORY[t], opened_at=WHEN, opened_by="a")
        for n, t in enumerate(blockers)
    ]
    closed = [
        Blocker(
            id=100 + n,
            pilot_id="P-1",
            tag=t,
            category=CATEGORY[t],
            opened_at=WHEN,
            opened_by="a",
            resolved_at=WHEN,
            resolved_by="a",
        )
        for n, t in enumerate(resolved)
    ]
    return PilotRecord(
        pilot=pilot,
        coverage={item: cov(item, status) for item, status in (coverage or {}).items()},
        blockers=(*opened, *closed),
    )


def check(record: PilotRecord, to: Stage) -> GateResult:
    return evaluate(record, to, default_rules(), default_catalog())


def production_ready(high_impact: bool = False) -> dict[str, CoverageStatus]:
    """Every production item met (and every M-25-21 practice too for a high-impact pilot)."""
    return {i.id: S.MET for i in default_catalog().items(high_impact)}


# ---- into pilot ---------------------------------------------------------------------------------------


def test_pilot_gate_passes_with_an_owner_and_an_office() -> None:
    result = check(make(Stage.POC), Stage.PILOT)
    assert result.passed
    assert result.failures == ()
    assert result.least_changes == ()


def test_pilot_gate_names_the_missing_owner_and_office() -> None:
    result = check(make(Stage.POC, office="", owner="  "), Stage.PILOT)
    assert not result.passed
    assert [f.rule for f in result.failures] == ["pilot #1", "pilot #2"]
    assert result.failures[0].reason == "An owner is recorded: no owner recorded"
    assert result.failures[1].reason == "A program office is recorded: no office recorded"
    assert [(c.kind, c.target) for c in result.least_changes] == [("set_field", "owner"), ("set_field", "office")]


# ---- into readiness -------------------------------------------------------------------------------------


@pytest.mark.parametrize("approver", [S.PARTIAL, S.MET, S.WAIVED, S.NOT_APPLICABLE])
def test_readiness_gate_passes_with_an_approver_and_no_shared_or_personal_credentials(approver: S) -> None:
    coverage = {"governance.approver": approver, "access.governed_iam": S.PARTIAL}
    record = make(Stage.PILOT, coverage, blockers=("informal-access", "skills-gap"))
    assert check(record, Stage.READINESS).passed


@pytest.mark.parametrize("approver", [None, S.NOT_ASSESSED, S.GAP])
def test_readiness_gate_refuses_without_a_governance_approver(approver: S | None) -> None:
    iam = {"access.governed_iam": S.PARTIAL}
    record = make(Stage.PILOT, {"governance.approver": approver, **iam} if approver else iam)
    result = check(record, Stage.READINESS)
    assert not result.passed
    (failure,) = result.failures
    assert failure.rule == "readiness #1"
    assert "A governance approver is recorded" in failure.reason
    assert "governance.approver" in failure.reason
    (change,) = result.least_changes
    assert (change.kind, change.target, change.to) == ("set_coverage", "governance.approver", "partial")
    assert change.text == f"set governance.approver to partial (now {(approver or S.NOT_ASSESSED).value})"


@pytest.mark.parametrize("tag", ["shared-service-account", "personal-credentials"])
def test_readiness_gate_refuses_an_open_shared_account_or_personal_credentials(tag: str) -> None:
    record = make(Stage.PILOT, {"governance.approver": S.MET, "access.governed_iam": S.PARTIAL}, blockers=(tag,))
    result = check(record, Stage.READINESS)
    (failure,) = result.failures
    assert failure.rule == "readiness #2"
    assert failure.reason == f"No shared account or personal credentials: open blocker(s): {tag}"
    assert [(c.kind, c.target) for c in result.least_changes] == [("resolve_blocker", tag)]
    assert result.least_changes[0].text == f"resolve the {tag} blocker"


def test_a_resolved_blocker_does_not_hold_the_gate() -> None:
    coverage = {"governance.approver": S.MET, "access.governed_iam": S.PARTIAL}
    record = make(Stage.PILOT, coverage, resolved=("shared-service-account",))
    assert check(record, Stage.READINESS).passed


@pytest.mark.parametrize("iam", [S.GAP, S.NOT_ASSESSED])
def test_a_resolved_shared_account_blocker_does_not_pass_while_governed_iam_is_a_gap(iam: S) -> None:
    # The blocker is closed, but the access it was about is not: the gate checks the coverage too.
    coverage = {"governance.approver": S.MET, "access.governed_iam": iam}
    record = make(Stage.PILOT, coverage, resolved=("shared-service-account",))
    result = check(record, Stage.READINESS)
    (failure,) = result.failures
    assert failure.rule == "readiness #3"
    assert "access.governed_iam" in failure.reason
    assert [(c.target, c.to) for c in result.least_changes] == [("access.governed_iam", "partial")]


# ---- into production ------------------------------------------------------------------------------------


def test_production_gate_passes_when_every_item_is_met_waived_or_not_applicable() -> None:
    coverage = production_ready()
    coverage["ato.granted"] = S.WAIVED
    coverage["data.access_agreements"] = S.NOT_APPLICABLE
    coverage["scalability.architecture"] = S.PARTIAL
    coverage["scalability.repeatable_deployment"] = S.PARTIAL
    record = make(Stage.READINESS, coverage, blockers=("program-office-resistance",))
    assert check(record, Stage.PRODUCTION).passed


def test_production_gate_one_item_short_and_one_blocker_open_gives_exactly_two_changes() -> None:
    coverage = production_ready()
    coverage["audit.investigation_grade"] = S.PARTIAL
    record = make(Stage.READINESS, coverage, blockers=("debug-only-logging",))
    result = check(record, Stage.PRODUCTION)
    assert not result.passed
    assert [f.rule for f in result.failures] == ["production #1", "production #3"]
    assert "audit.investigation_grade" in result.failures[0].reason
    assert "1 item(s) below met" in result.failures[0].reason
    assert result.failures[1].reason.endswith("open blocker(s): debug-only-logging")
    assert [(c.kind, c.target, c.to) for c in result.least_changes] == [
        ("set_coverage", "audit.investigation_grade", "met"),
        ("resolve_blocker", "debug-only-logging", ""),
    ]
    assert distance(record, Stage.PRODUCTION, default_rules(), default_catalog()) == 2


@pytest.mark.parametrize("area", PRODUCTION_AREAS)
def test_production_gate_needs_every_area_met(area: str) -> None:
    coverage = production_ready()
    first = default_catalog().area(area).items[0].id
    coverage[first] = S.PARTIAL
    result = check(make(Stage.READINESS, coverage), Stage.PRODUCTION)
    assert [c.target for c in result.least_changes] == [first]


@pytest.mark.parametrize("status", [S.GAP, S.NOT_ASSESSED])
def test_production_gate_needs_scalability_at_least_partial(status: S) -> None:
    coverage = production_ready()
    coverage["scalability.architecture"] = status
    result = check(make(Stage.READINESS, coverage), Stage.PRODUCTION)
    (failure,) = result.failures
    assert failure.rule == "production #2"
    assert [(c.target, c.to) for c in result.least_changes] == [("scalability.architecture", "partial")]


@pytest.mark.parametrize(
    ("tag", "holds"),
    [
        ("informal-access", True),
        ("no-ato-pathway", True),
        ("verbal-approval-only", True),
        ("skills-gap", False),
        ("budget-cycle-misaligned", False),
    ],
)
def test_production_gate_refuses_identity_infrastructure_and_governance_blockers_only(tag: str, holds: bool) -> None:
    result = check(make(Stage.READINESS, production_ready(), blockers=(tag,)), Stage.PRODUCTION)
    assert result.passed is not holds


def test_high_impact_practices_apply_to_high_impact_pilots_only() -> None:
    # A pilot that is not high-impact needs no M-25-21 practice at all.
    assert check(make(Stage.READINESS, production_ready()), Stage.PRODUCTION).passed

    coverage = production_ready(high_impact=True)
    coverage["hi.testing"] = S.WAIVED
    coverage["hi.appeals"] = S.PARTIAL
    coverage["hi.consultation"] = S.NOT_APPLICABLE  # not accepted: M-25-21 practices are met or waived
    del coverage["hi.monitoring"]
    record = make(Stage.READINESS, coverage, high_impact=True)
    result = check(record, Stage.PRODUCTION)
    (failure,) = result.failures
    assert failure.rule == "production #4"
    assert failure.reason.startswith("M-25-21 practices met or waived (high-impact only): high-impact practices not")
    assert [(c.target, c.to) for c in result.least_changes] == [
        ("hi.monitoring", "met"),
        ("hi.appeals", "met"),
        ("hi.consultation", "met"),
    ]


def test_a_fully_practised_high_impact_pilot_passes() -> None:
    assert check(make(Stage.READINESS, production_ready(high_impact=True), high_impact=True), Stage.PRODUCTION).passed


# ---- into scaled -------------------------------------------------------------------------------------------


def test_scaled_gate_needs_every_scalability_item_met_without_waivers() -> None:
    coverage = production_ready()
    assert check(make(Stage.PRODUCTION, coverage), Stage.SCALED).passed

    coverage["scalability.repeatable_deployment"] = S.WAIVED
    result = check(make(Stage.PRODUCTION, coverage), Stage.SCALED)
    (failure,) = result.failures
    assert failure.rule == "scaled #1"
    assert "(waivers not accepted)" in failure.reason
    assert [(c.target, c.to) for c in result.least_changes] == [("scalability.repeatable_deployment", "met")]


# ---- moves across several gates, backwards and out ------------------------------------------------------


def test_a_skipped_stage_promotion_crosses_every_gate_in_between() -> None:
    record = make(Stage.INTAKE, {}, office="", blockers=("shared-service-account",))
    result = check(record, Stage.PRODUCTION)
    rules = [f.rule for f in result.failures]
    assert rules[0] == "pilot #2"  # the office; the owner is recorded
    assert "readiness #1" in rules and "readiness #2" in rules
    assert {"production #1", "production #2", "production #3"} <= set(rules)
    changes = {(c.kind, c.target): c.to for c in result.least_changes}
    # Asked to be partial by readiness and met by production: the least change asks met, once.
    assert changes[("set_coverage", "governance.approver")] == "met"
    assert changes[("resolve_blocker", "shared-service-account")] == ""
    assert changes[("set_field", "office")] == ""
    assert len(result.least_changes) == len(changes)
    # 18 items of the areas that must be met, 2 of scalability, the office, the blocker.
    assert len(result.least_changes) == 18 + 2 + 1 + 1


def test_a_move_passes_the_gates_of_every_stage_crossed() -> None:
    assert stages_crossed(Stage.POC, Stage.PRODUCTION) == [Stage.PILOT, Stage.READINESS, Stage.PRODUCTION]
    assert stages_crossed(Stage.PILOT, Stage.READINESS) == [Stage.READINESS]
    assert stages_crossed(Stage.PRODUCTION, Stage.PILOT) == []
    assert stages_crossed(Stage.PILOT, Stage.RETIRED) == []


def test_backward_moves_and_retiring_pass_no_gate() -> None:
    record = make(Stage.PRODUCTION, {}, office="", owner="", blockers=("shared-service-account",))
    assert check(record, Stage.POC).passed
    assert check(record, Stage.RETIRED).passed


def test_bringing_a_retired_pilot_back_passes_every_gate_up_to_its_new_stage() -> None:
    """Retiring must not become a way round the gates: a retired pilot returns through them."""
    record = make(Stage.RETIRED, {}, blockers=("shared-service-account",))
    result = check(record, Stage.PRODUCTION)
    assert not result.passed
    assert {"readiness #1", "readiness #2", "production #1"} <= {f.rule for f in result.failures}
    assert check(make(Stage.RETIRED, {}), Stage.POC).passed


# ---- rules are data ------------------------------------------------------------------------------------------


def test_a_broken_rules_file_names_the_place_and_the_reason() -> None:
    with pytest.raises(GateRulesError, match=r"^mine.toml: gate\.0\.rules\.0"):
        parse_rules({"gate": [{"to": "pilot", "rules": [{"kind": "eval", "code": "1"}]}]}, source="mine.toml")
    with pytest.raises(GateRulesError, match="needs areas or items"):
        parse_rules({"gate": [{"to": "pilot", "rules": [{"kind": "coverage", "at_least": "met"}]}]})


def test_rules_referring_to_unknown_names_are_reported() -> None:
    rules = parse_rules(
        {
            "gate": [
                {
                    "to": "production",
                    "rules": [
                        {"kind": "coverage", "areas": ["nope"], "at_least": "met"},
                        {"kind": "no_blocker", "tags": ["ghost"]},
                    ],
                }
            ]
        }
    )
    assert rules.check_references(default_catalog(), [t.tag for t in BUILTIN_TAGS]) == [
        "gate production: unknown area 'nope'",
        "gate production: unknown tag 'ghost'",
    ]
    assert default_rules().check_references(default_catalog(), [t.tag for t in BUILTIN_TAGS]) == []


def test_default_rules_cover_the_four_gates_of_the_domain() -> None:
    rules = default_rules()
    assert sorted(g.to.value for g in rules.gates) == ["pilot", "production", "readiness", "scaled"]
    assert rules.for_stage(Stage.POC).rules == ()
    assert BlockerCategory.ORGANIZATIONAL not in rules.for_stage(Stage.PRODUCTION).rules[2].categories  # type: ignore[union-attr]
