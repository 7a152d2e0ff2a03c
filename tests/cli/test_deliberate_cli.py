"""Changing nothing by accident, from the command line: met needs evidence, an override says why at
length, a resolution says how it was resolved."""

from __future__ import annotations

from pathlib import Path

import pytest

from caio_tui.store import Portfolio
from helpers.cli import ok, run


@pytest.fixture
def db(sample_portfolio: Portfolio) -> Path:
    return sample_portfolio.path


def test_set_coverage_to_met_without_evidence_is_refused_in_one_line(db: Path) -> None:
    result = run("--db", db, "set-coverage", "DCS-001", "access.roles", "met")
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "access.roles: met needs evidence" in result.stderr
    ok(run("--db", db, "set-coverage", "DCS-001", "access.roles", "met", "--evidence", "role catalog RC-9"))


def test_an_override_shorter_than_the_rules_minimum_is_refused_in_one_line(db: Path) -> None:
    result = run("--db", db, "promote", "DCS-004", "--override", "ok")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "caio-tui: error: an override justification needs at least 20 characters (this one has 2): "
        "say why the gate is overridden"
    ]
    ok(run("--db", db, "promote", "DCS-004", "--override", "Deputy Secretary memo 2026-14"))


def test_untag_records_how_it_was_resolved_and_show_says_it(db: Path) -> None:
    ok(run("--db", db, "untag", "DCS-004", "shared-service-account", "--note", "per-user sign-in via ICAM"))
    out = ok(run("--db", db, "show", "DCS-004"))
    assert "how it was resolved: per-user sign-in via ICAM" in out
    history = ok(run("--db", db, "history", "DCS-004"))
    assert "resolved: per-user sign-in via ICAM" in history
    assert "All 40 caseworkers use the assistant" not in history.split("blocker.resolve")[-1].splitlines()[0]
