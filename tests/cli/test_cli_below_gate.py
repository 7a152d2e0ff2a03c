"""The CLI's view of a pilot below its gate and of territory "unassessed": `list --json`, the filter
token, a coverage change and a stricter `gates load`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from helpers.cli import ok, run


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "p.db"
    ok(run("--db", path, "init", "--sample", "civilian-agency"))
    return path


def listed(db: Path, query: str = "") -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(ok(run("--db", db, "list", "--json", "--filter", query)))
    return found


def test_list_json_says_below_gate_and_the_token_keeps_just_those(db: Path) -> None:
    every = listed(db)
    assert all(isinstance(p["below_gate"], bool) for p in every)
    below = [p["id"] for p in every if p["below_gate"]]
    assert below and [p["id"] for p in listed(db, "below-gate")] == below
    assert "unassessed" in {p["territory"] for p in every}
    assert {p["id"] for p in listed(db, "territory:unassessed")} == {
        p["id"] for p in every if p["territory"] == "unassessed"
    }


def test_losing_a_met_item_in_production_flags_the_pilot(db: Path) -> None:
    pilot = json.loads(ok(run("--db", db, "show", "DCS-023", "--json")))
    assert pilot["stage"] == "production" and pilot["below_gate"] is False
    met = next(c["item"] for c in pilot["coverage"] if c["status"] == "met")
    ok(run("--db", db, "set-coverage", "DCS-023", met, "gap"))
    assert "DCS-023" in [p["id"] for p in listed(db, "below-gate")]


def test_a_stricter_gates_load_flags_every_pilot_it_fails(db: Path, tmp_path: Path) -> None:
    before = len(listed(db, "below-gate"))
    rules = ok(run("--db", db, "gates", "show", "--toml"))
    stricter = rules.replace(
        '{ kind = "field", field = "office", description = "A program office is recorded" },',
        '{ kind = "field", field = "office", description = "A program office is recorded" },\n'
        '  { kind = "coverage", areas = ["ato"], at_least = "met", description = "ATO before any pilot" },',
    )
    assert stricter != rules
    path = tmp_path / "stricter.toml"
    path.write_text(stricter, encoding="utf-8")
    ok(run("--db", db, "gates", "load", path))
    after = listed(db, "below-gate")
    assert len(after) > before
    assert all(p["stage"] not in ("intake", "poc", "retired") for p in after)
    assert ok(run("--db", db, "verify")) and run("--db", db, "verify").exit_code == 0
