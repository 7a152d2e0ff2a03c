"""Readiness, territory, stalled, stages and statuses: the values the CAIO reads off every pilot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from caio_tui.domain.blockers import BlockerTag
from caio_tui.domain.coverage import Coverage, CoverageStatus, Framework, parse_status
from caio_tui.domain.defaults import default_catalog
from caio_tui.domain.pilots import Pilot
from caio_tui.domain.scoring import readiness
from caio_tui.domain.stages import PIPELINE, Stage, is_stalled, parse_stage
from caio_tui.domain.territory import BlockerCategory, Territory, territory
from caio_tui.domain.text import readiness_bar

S = CoverageStatus
IDN, INF, GOV, ORG = (
    BlockerCategory.IDENTITY,
    BlockerCategory.INFRASTRUCTURE,
    BlockerCategory.GOVERNANCE,
    BlockerCategory.ORGANIZATIONAL,
)


def production_items() -> list[str]:
    return [i.id for i in default_catalog().items(high_impact=False)]


# ---- readiness -------------------------------------------------------------------------------------


def test_an_unassessed_pilot_scores_zero_and_counts_every_item_as_not_assessed() -> None:
    score = readiness(default_catalog(), {}, high_impact=False)
    assert score.score == 0.0
    assert score.counted == len(production_items()) == 20
    assert score.not_assessed == 20
    assert {a.area for a in score.areas} == {
        "access",
        "audit",
        "governance",
        "lifecycle",
        "scalability",
        "ato",
        "data",
        "system_identity",
    }


def test_met_counts_one_partial_half_gap_and_not_assessed_nothing_per_area() -> None:
    coverage = {
        "access.roles": S.MET,
        "access.governed_iam": S.PARTIAL,
        "access.revocation": S.GAP,
        # access.provisioning_model left out: not assessed
    }
    score = readiness(default_catalog(), coverage, high_impact=False)
    access = score.area("access")
    assert access is not None
    assert access.score == pytest.approx(1.5 / 4)
    assert (access.counted, access.total, access.not_assessed) == (4, 4, 1)
    assert score.score == pytest.approx(1.5 / 20)
    assert score.not_assessed == 20 - 3


def test_waived_and_not_applicable_leave_the_denominator() -> None:
    coverage = {
        "audit.activity": Coverage(item="audit.activity", status=S.MET),
        "audit.investigation_grade": Coverage(
            item="audit.investigation_grade", status=S.WAIVED, justification="CAIO waiver W-7"
        ),
        "data.access_agreements": Coverage(
            item="data.access_agreements", status=S.NOT_APPLICABLE, justification="no data source connected"
        ),
    }
    score = readiness(default_catalog(), coverage, high_impact=False)
    audit = score.area("audit")
    data = score.area("data")
    assert audit is not None and data is not None
    assert (audit.score, audit.counted, audit.total) == (1.0, 1, 2)
    assert (data.counted, data.total, data.not_assessed) == (0, 1, 0)
    assert score.counted == 18
    assert score.score == pytest.approx(1 / 18)
    assert score.percent == 6


def test_every_item_met_is_full_readiness() -> None:
    score = readiness(default_catalog(), dict.fromkeys(production_items(), S.MET), high_impact=False)
    assert score.score == 1.0
    assert score.percent == 100
    assert score.not_assessed == 0


def test_high_impact_practices_count_only_for_high_impact_pilots() -> None:
    coverage = dict.fromkeys(production_items(), S.MET)
    assert readiness(default_catalog(), coverage, high_impact=False).score == 1.0
    high = readiness(default_catalog(), coverage, high_impact=True)
    assert high.counted == 28
    assert high.not_assessed == 8
    assert high.score == pytest.approx(20 / 28)
    assert high.area("hi") is not None
    assert readiness(default_catalog(), coverage, high_impact=False).area("hi") is None


def test_readiness_bar_draws_eighths_and_keeps_its_width() -> None:
    assert readiness_bar(0.0) == " " * 10
    assert readiness_bar(1.0) == "█" * 10
    assert readiness_bar(0.65) == "██████▌   "
    assert readiness_bar(2.0, width=4) == "████"
    assert readiness_bar(-1.0, width=4) == "    "


# ---- territory ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("categories", "expected"),
    [
        ((), Territory.CLEAR),
        ((IDN,), Territory.INFRASTRUCTURE),
        ((INF,), Territory.INFRASTRUCTURE),
        ((GOV,), Territory.INFRASTRUCTURE),
        ((ORG,), Territory.ORGANIZATIONAL),
        ((IDN, INF), Territory.INFRASTRUCTURE),
        ((IDN, GOV), Territory.INFRASTRUCTURE),
        ((INF, GOV), Territory.INFRASTRUCTURE),
        ((IDN, INF, GOV), Territory.INFRASTRUCTURE),
        ((IDN, ORG), Territory.BOTH),
        ((INF, ORG), Territory.BOTH),
        ((GOV, ORG), Territory.BOTH),
        ((IDN, INF, ORG), Territory.BOTH),
        ((IDN, GOV, ORG), Territory.BOTH),
        ((INF, GOV, ORG), Territory.BOTH),
        ((IDN, INF, GOV, ORG), Territory.BOTH),
        ((ORG, ORG, ORG), Territory.ORGANIZATIONAL),
        ((IDN, IDN), Territory.INFRASTRUCTURE),
    ],
)
def test_territory_of_every_combination_of_open_blocker_categories(
    categories: tuple[BlockerCategory, ...], expected: Territory
) -> None:
    assert territory(categories) is expected
    assert territory(iter(categories)) is expected  # any iterable, e.g. a generator over open blockers


# ---- stages and stalled ------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", [Stage.PILOT, Stage.READINESS])
def test_a_pilot_or_readiness_stay_past_the_threshold_is_stalled(stage: Stage) -> None:
    assert not is_stalled(stage, 180)
    assert is_stalled(stage, 181)
    assert not is_stalled(stage, 30, threshold=30)
    assert is_stalled(stage, 31, threshold=30)


@pytest.mark.parametrize("stage", [Stage.INTAKE, Stage.POC, Stage.PRODUCTION, Stage.SCALED, Stage.RETIRED])
def test_only_pilot_and_readiness_stall(stage: Stage) -> None:
    assert not is_stalled(stage, 10_000)


def test_days_in_stage_counts_whole_days_and_never_goes_negative() -> None:
    entered = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    pilot = Pilot(id="P-1", name="x", created_at=entered, stage_entered_at=entered)
    assert pilot.days_in_stage(entered + timedelta(days=3, hours=23)) == 3
    assert pilot.days_in_stage(entered - timedelta(days=2)) == 0


def test_pipeline_order_and_neighbours() -> None:
    assert [s.value for s in PIPELINE] == ["intake", "poc", "pilot", "readiness", "production", "scaled"]
    assert Stage.PILOT.next() is Stage.READINESS
    assert Stage.SCALED.next() is None
    assert Stage.RETIRED.next() is None
    assert Stage.INTAKE.previous() is None
    assert Stage.PRODUCTION.previous() is Stage.READINESS
    assert Stage.RETIRED.previous() is None
    assert Stage.READINESS.omb_2025 == "Pilot"
    assert Stage.SCALED.omb_2025 == "Deployed"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pilot", Stage.PILOT),
        (" POC ", Stage.POC),
        ("Proof of concept", Stage.POC),
        ("production readiness", Stage.READINESS),
        ("Retired", Stage.RETIRED),
    ],
)
def test_parse_stage_accepts_ids_and_labels(text: str, expected: Stage) -> None:
    assert parse_stage(text) is expected


@pytest.mark.parametrize("text", ["", "prod", "stage 3", "pilots"])
def test_parse_stage_error_names_the_valid_stages(text: str) -> None:
    with pytest.raises(ValueError, match=r"unknown stage .*expected one of intake, poc, pilot, readiness"):
        parse_stage(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("met", S.MET),
        ("MET", S.MET),
        ("not-applicable", S.NOT_APPLICABLE),
        ("Not Applicable", S.NOT_APPLICABLE),
        ("not_assessed", S.NOT_ASSESSED),
        (" waived ", S.WAIVED),
    ],
)
def test_parse_status_accepts_dashes_spaces_and_case(text: str, expected: CoverageStatus) -> None:
    assert parse_status(text) is expected


@pytest.mark.parametrize("text", ["done", "", "meet"])
def test_parse_status_error_names_the_valid_statuses(text: str) -> None:
    with pytest.raises(ValueError, match=r"unknown coverage status .*expected one of not_assessed, gap, partial"):
        parse_status(text)


# ---- coverage, frameworks, tags ----------------------------------------------------------------------


@pytest.mark.parametrize("status", [S.WAIVED, S.NOT_APPLICABLE])
def test_waived_and_not_applicable_need_a_justification(status: CoverageStatus) -> None:
    with pytest.raises(ValidationError, match="needs a justification"):
        Coverage(item="ato.granted", status=status)
    with pytest.raises(ValidationError, match="needs a justification"):
        Coverage(item="ato.granted", status=status, justification="   ")
    assert Coverage(item="ato.granted", status=status, justification="CAIO waiver 12").justification


@pytest.mark.parametrize("status", [S.NOT_ASSESSED, S.GAP, S.PARTIAL, S.MET])
def test_other_statuses_need_no_justification(status: CoverageStatus) -> None:
    assert Coverage(item="ato.granted", status=status).status is status


def test_a_framework_with_a_repeated_item_id_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"item ids repeat: a\.x"):
        Framework.model_validate(
            {
                "id": "f",
                "name": "F",
                "areas": [
                    {"id": "a", "name": "A", "items": [{"id": "a.x", "text": "x"}]},
                    {"id": "b", "name": "B", "items": [{"id": "a.x", "text": "again"}]},
                ],
            }
        )


def test_the_default_catalog_matches_the_domain() -> None:
    catalog = default_catalog()
    assert [f.id for f in catalog.frameworks] == ["production", "m-25-21"]
    assert catalog.framework_of("hi.appeals").applies_to == "high_impact"
    assert catalog.area_of("ato.granted").id == "ato"
    assert [i.id for i in catalog.area("system_identity").items] == [
        "system_identity.provisioned",
        "system_identity.credentials",
    ]
    assert len(catalog.items(high_impact=True)) == 28
    assert not catalog.has_item("ato.nope")
    with pytest.raises(KeyError):
        catalog.area_of("ato.nope")


@pytest.mark.parametrize("tag", ["Shared Account", "-leading-dash", "under_score", "x" * 49, ""])
def test_blocker_tags_are_slugs(tag: str) -> None:
    with pytest.raises(ValidationError, match="lower-case letters, digits and dashes"):
        BlockerTag(tag=tag, category=ORG)


def test_builtin_tags_are_the_domain_table() -> None:
    from caio_tui.domain.blockers import BUILTIN_TAGS

    table = {t.tag: (t.category.value, t.areas) for t in BUILTIN_TAGS}
    assert table == {
        "shared-service-account": ("identity", ("access",)),
        "personal-credentials": ("identity", ("access", "system_identity")),
        "informal-access": ("identity", ("access",)),
        "no-provisioning-model": ("identity", ("access",)),
        "no-deprovisioning": ("identity", ("lifecycle",)),
        "ungoverned-system-identity": ("identity", ("system_identity",)),
        "debug-only-logging": ("infrastructure", ("audit",)),
        "no-data-access-agreement": ("infrastructure", ("data",)),
        "no-ato-pathway": ("infrastructure", ("ato",)),
        "bespoke-architecture": ("infrastructure", ("scalability",)),
        "verbal-approval-only": ("governance", ("governance",)),
        "no-governing-policy": ("governance", ("governance",)),
        "program-office-resistance": ("organizational", ()),
        "skills-gap": ("organizational", ()),
        "no-executive-sponsor": ("organizational", ()),
        "leadership-attention-moved": ("organizational", ()),
        "budget-cycle-misaligned": ("organizational", ()),
    }
    assert all(t.builtin for t in BUILTIN_TAGS)
