"""The sample portfolios: they load, validate, and tell the stories of the domain."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from caio_tui.cli import cli
from caio_tui.domain.coverage import CoverageStatus
from caio_tui.domain.defaults import default_catalog
from caio_tui.domain.filters import parse_filter
from caio_tui.domain.stages import Stage
from caio_tui.domain.territory import Territory
from caio_tui.io.samples import SampleCoverage, load_sample, read_sample, sample_names
from caio_tui.store import Portfolio, StoreError
from helpers import NOW

S = CoverageStatus


@pytest.fixture
def small(tmp_path: Path) -> Iterator[Portfolio]:
    with Portfolio.open(tmp_path / "small.db", actor="tester", create=True, clock=lambda: NOW) as p:
        assert load_sample(p, "small-agency") == len(read_sample("small-agency").pilots)
        yield p


def test_both_samples_are_shipped() -> None:
    assert sample_names() == ["civilian-agency", "small-agency"]


@pytest.mark.parametrize("name", ["civilian-agency", "small-agency"])
def test_a_sample_refers_only_to_known_items_and_tags(name: str) -> None:
    from caio_tui.domain.blockers import BUILTIN_TAGS

    sample = read_sample(name)
    catalog = default_catalog()
    tags = {t.tag for t in BUILTIN_TAGS} | {t.tag for t in sample.tags}
    for pilot in sample.pilots:
        for item, value in pilot.coverage.items():
            assert catalog.has_item(item), f"{pilot.id}: {item}"
            if item.startswith("hi."):
                assert pilot.high_impact, f"{pilot.id}: M-25-21 practice on a pilot that is not high-impact"
            if isinstance(value, SampleCoverage) and value.status.needs_justification:
                assert value.justification.strip(), f"{pilot.id}: {item} {value.status.value} without a justification"
        for blocker in pilot.blockers:
            assert blocker.tag in tags
    ids = [p.id for p in sample.pilots]
    assert len(ids) == len(set(ids))


def test_the_civilian_agency_sample_loads_thirty_pilots_across_every_stage(sample_portfolio: Portfolio) -> None:
    assert sample_portfolio.count() == 30
    assert [p.id for p in sample_portfolio.pilots()] == [f"DCS-{n:03d}" for n in range(1, 31)]
    assert all(n > 0 for n in sample_portfolio.stage_counts().values())
    assert sample_portfolio.integrity_problems() == []
    assert sample_portfolio.verify_chain()[1] is None
    (event,) = [e for e in sample_portfolio.history() if e.action == "import"]
    assert event.source == "sample:civilian-agency"
    assert len(event.after["pilots"]) == 30


def test_the_assistant_on_a_shared_service_account_cannot_enter_readiness(sample_portfolio: Portfolio) -> None:
    record = sample_portfolio.record("DCS-004")
    assert record.pilot.stage is Stage.PILOT
    assert [b.tag for b in record.open_blockers] == ["shared-service-account"]
    assert record.pilot.territory is Territory.INFRASTRUCTURE
    result = sample_portfolio.check_gate("DCS-004")
    assert result.to_stage is Stage.READINESS
    assert not result.passed
    # The blocker, and the access it is about: resolving it alone leaves governed IAM a gap.
    assert [(c.kind, c.target) for c in result.least_changes] == [
        ("resolve_blocker", "shared-service-account"),
        ("set_coverage", "access.governed_iam"),
    ]
    sample_portfolio.resolve_blocker("DCS-004", "shared-service-account", resolution="moved to per-user sign-in")
    after = sample_portfolio.check_gate("DCS-004")
    assert not after.passed
    assert [c.target for c in after.least_changes] == ["access.governed_iam"]


def test_the_classifier_whose_logs_serve_debugging_only(sample_portfolio: Portfolio) -> None:
    record = sample_portfolio.record("DCS-007")
    assert "debug-only-logging" in [b.tag for b in record.open_blockers]
    assert record.coverage["audit.investigation_grade"].status is S.GAP
    result = sample_portfolio.check_gate("DCS-007")
    assert result.to_stage is Stage.PRODUCTION and not result.passed
    assert "audit.investigation_grade" in {c.target for c in result.least_changes}


def test_the_pilot_in_production_that_cannot_scale(sample_portfolio: Portfolio) -> None:
    record = sample_portfolio.record("DCS-020")
    assert record.pilot.stage is Stage.PRODUCTION
    assert record.stage_history[-1].override  # it went live on an override, kept in the history
    result = sample_portfolio.check_gate("DCS-020")
    assert result.to_stage is Stage.SCALED and not result.passed
    assert {c.target for c in result.least_changes} == {
        "scalability.architecture",
        "scalability.repeatable_deployment",
    }


def test_the_high_impact_benefits_model_has_practices_in_progress(sample_portfolio: Portfolio) -> None:
    record = sample_portfolio.record("DCS-010")
    assert record.pilot.high_impact
    practices = {k: v.status for k, v in record.coverage.items() if k.startswith("hi.")}
    assert S.MET in practices.values() and S.GAP in practices.values()
    result = sample_portfolio.check_gate("DCS-010")
    assert not result.passed
    assert "production #4" in [f.rule for f in result.failures]


def test_at_least_four_extended_evaluations(sample_portfolio: Portfolio) -> None:
    stalled = sample_portfolio.pilots(parse_filter("stalled"))
    assert len(stalled) >= 4
    assert {p.stage for p in stalled} <= {Stage.PILOT, Stage.READINESS}
    assert all(sample_portfolio.days_in_stage(p) > 180 for p in stalled)


def test_both_territories_are_represented(sample_portfolio: Portfolio) -> None:
    territories = {p.territory for p in sample_portfolio.pilots()}
    assert territories == set(Territory)


def test_the_small_agency_sample(small: Portfolio) -> None:
    assert 6 <= small.count() <= 10
    assert small.integrity_problems() == []
    assert {p.territory for p in small.pilots()} >= {Territory.INFRASTRUCTURE, Territory.ORGANIZATIONAL}


def test_a_sample_loaded_twice_adds_nothing_the_second_time(small: Portfolio) -> None:
    count = small.count()
    with pytest.raises(StoreError, match="already exists"):
        load_sample(small, "small-agency")
    assert small.count() == count


def test_an_unknown_sample_names_the_samples() -> None:
    with pytest.raises(StoreError, match="no sample named 'big'; samples: civilian-agency, small-agency"):
        read_sample("big")


def test_samples_never_age(tmp_path: Path) -> None:
    """Days in a sample are relative to the day it is loaded."""
    later = NOW.replace(year=NOW.year + 3)
    with Portfolio.open(tmp_path / "later.db", actor="tester", create=True, clock=lambda: later) as p:
        load_sample(p, "civilian-agency")
        assert p.days_in_stage(p.get("DCS-004")) == 150


def test_samples_command_lists_them() -> None:
    result = CliRunner().invoke(cli, ["samples"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith("civilian-agency") and " 30 pilots" in lines[0]
    assert lines[1].startswith("small-agency") and f"{len(read_sample('small-agency').pilots)} pilots" in lines[1]


def test_a_sample_must_tell_time_in_order() -> None:
    from pydantic import ValidationError

    from caio_tui.io.samples import SampleFile

    pilot = {"id": "X-1", "name": "x", "stage": "pilot", "days_in_stage": 10}
    base = {"format": "caio-tui-sample", "version": 1, "name": "t"}
    with pytest.raises(ValidationError, match="history must run oldest first"):
        SampleFile.model_validate({**base, "pilots": [{**pilot, "history": [{"stage": "intake", "days_ago": 5}]}]})
    blocker = {"tag": "skills-gap", "days_ago": 3, "resolved_days_ago": 9}
    with pytest.raises(ValidationError, match=r"resolved .* before it was opened"):
        SampleFile.model_validate({**base, "pilots": [{**pilot, "blockers": [blocker]}]})
    with pytest.raises(ValidationError, match="format"):
        SampleFile.model_validate({**base, "format": "csv", "pilots": []})
