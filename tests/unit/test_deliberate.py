"""The store rules behind "changing nothing by accident": a resolution survives a snapshot and an undo, the
overrides are counted and listed, and the rules data carries the override minimum."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from caio_tui.domain.defaults import default_rules
from caio_tui.domain.gate_file import rules_toml
from caio_tui.domain.stages import Stage
from caio_tui.io.snapshot import import_snapshot, parse, snapshot_of, to_bytes
from caio_tui.store import Portfolio


def test_a_resolution_survives_a_snapshot_and_undo_clears_it(sample_portfolio: Portfolio, tmp_path: Path) -> None:
    sample_portfolio.resolve_blocker("DCS-004", "shared-service-account", resolution="  ICAM sign-in since Oct ")
    (blocker,) = sample_portfolio.record("DCS-004").blockers
    assert blocker.resolution == "ICAM sign-in since Oct"
    data = snapshot_of(sample_portfolio)
    later = datetime(2027, 3, 1, tzinfo=UTC)
    with Portfolio.open(tmp_path / "copy.db", actor="importer", create=True, clock=lambda: later) as target:
        import_snapshot(target, parse(to_bytes(data), "snap.json"), source="snap.json")
        assert target.record("DCS-004").blockers[0].resolution == "ICAM sign-in since Oct"
    sample_portfolio.undo()
    (blocker,) = sample_portfolio.record("DCS-004").blockers
    assert (blocker.is_open, blocker.resolution) == (True, "")


def test_gate_overrides_are_counted_and_listed_newest_first(sample_portfolio: Portfolio) -> None:
    before, _ = sample_portfolio.gate_overrides()
    sample_portfolio.move("DCS-004", Stage.READINESS, override="Deputy Secretary memo 2026-14")
    count, shown = sample_portfolio.gate_overrides(limit=1)
    assert count == before + 1
    assert (shown[0].pilot_id, shown[0].to_stage, shown[0].actor, shown[0].justification) == (
        "DCS-004",
        "readiness",
        "tester",
        "Deputy Secretary memo 2026-14",
    )


def test_the_override_minimum_is_rules_data_and_survives_a_rules_file() -> None:
    rules = default_rules()
    assert rules.override_min_length == 20
    assert rules.override_refusal("ok") is not None
    assert rules.override_refusal("Deputy Secretary memo 2026-14") is None
    assert "override_min_length = 20" in rules_toml(rules)
