"""`caio-tui compare`, `blockers` and `summary`: output a user reads, the JSON shapes, and every error path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from caio_tui.cli import cli
from helpers.cli import ok

ENV = {"COLUMNS": "160"}


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], env=ENV)


def fails(result: Result, code: int, message: str) -> None:
    assert result.exit_code == code, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("caio-tui: error: ") and message in lines[0], lines[0]


def as_json(result: Result) -> Any:
    return json.loads(ok(result))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "agency.db"
    ok(run("--db", path, "init", "--sample", "civilian-agency"))
    return path


@pytest.fixture
def twins(tmp_path: Path) -> Path:
    """Two pilots that differ in one item only; one with a name made of markup."""
    path = tmp_path / "twins.db"
    ok(run("--db", path, "init"))
    ok(run("--db", path, "add", "--name", "[red]Alpha[/red]", "--office", "O", "--owner", "W"))
    ok(run("--db", path, "add", "--name", "Beta\x1b[2J", "--office", "O", "--owner", "W"))
    ok(run("--db", path, "set-coverage", "AI-0002", "data.access_agreements", "met", "--evidence", "DAA-7"))
    return path


# ---- compare ----------------------------------------------------------------------------------------


def test_compare_json_marks_the_one_differing_item(twins: Path) -> None:
    data = as_json(run("--db", twins, "compare", "AI-0001", "AI-0002", "--json"))

    assert [p["id"] for p in data["pilots"]] == ["AI-0001", "AI-0002"]
    assert data["differing_areas"] == 1 and data["differing_items"] == 1
    data_area = next(a for a in data["areas"] if a["id"] == "data")
    assert data_area["differs"] is True
    assert [c["status"] for c in data_area["cells"]] == ["not_assessed", "met"]
    assert [i["id"] for i in data_area["items"] if i["differs"]] == ["data.access_agreements"]
    assert all(not a["differs"] for a in data["areas"] if a["id"] != "data")
    assert {"stage", "readiness", "territory", "open_blockers", "next_gate_passes", "distance"} <= set(
        data["pilots"][0]
    )


def test_compare_table_shows_differences_only_and_items(twins: Path) -> None:
    everything = ok(run("--db", twins, "compare", "AI-0001", "AI-0002"))
    assert "Access control & provisioning" in everything and "Data access" in everything
    assert "access.roles" not in everything  # areas collapsed by default

    differing = ok(run("--db", twins, "compare", "AI-0001", "AI-0002", "-d", "-i"))
    assert "≠ Data access" in differing
    assert "data.access_agreements" in differing
    assert "Access control" not in differing
    assert "To production" in differing  # the summary rows stay on top


def test_compare_shows_user_text_literally(twins: Path) -> None:
    out = ok(run("--db", twins, "compare", "AI-0001", "AI-0002"))
    assert "[red]Alpha[/red]" in out
    assert "\x1b" not in out and "\\x1b[2J" in out


def test_compare_markdown_escapes_names(twins: Path) -> None:
    out = ok(run("--db", twins, "compare", "AI-0001", "AI-0002", "--markdown", "--differences"))
    lines = out.splitlines()
    assert lines[0].startswith("| Requirement | AI-0001 \\[red\\]Alpha\\[/red\\]")
    assert any(line.startswith("| ≠ **Data access** | ? 0/1 | ✓ 1/1") for line in lines)
    assert not any("Access control" in line for line in lines)


def test_compare_sample_pilots_distance(db: Path) -> None:
    data = as_json(run("--db", db, "compare", "DCS-004", "DCS-010", "DCS-020", "--json"))
    by_id = {p["id"]: p for p in data["pilots"]}
    shown = {p["id"]: p for p in as_json(run("--db", db, "list", "--json"))}
    assert by_id["DCS-020"]["stage"] == "production" and by_id["DCS-020"]["distance"] == 0
    assert by_id["DCS-004"]["distance"] > by_id["DCS-010"]["distance"] > 0
    for pid, pilot in by_id.items():
        assert pilot["readiness"] == round(shown[pid]["readiness"] * 100)
        assert pilot["open_blockers"] == shown[pid]["open_blockers"]


def test_compare_errors(db: Path, tmp_path: Path) -> None:
    fails(run("--db", db, "compare", "DCS-004", "NOPE"), 1, "no pilot with id 'NOPE'")
    fails(run("--db", db, "compare", "DCS-004"), 2, "at least two different pilots")
    fails(run("--db", db, "compare", "DCS-004", "DCS-004"), 2, "at least two different pilots")
    fails(run("--db", db, "compare", "DCS-004", "DCS-005", "--json", "--markdown"), 2, "one of --json and --markdown")
    fails(run("--db", tmp_path / "missing.db", "compare", "A", "B"), 1, "missing.db")
    assert run("--db", db, "compare").exit_code == 2  # no pilot at all: click's usage error


# ---- blockers ---------------------------------------------------------------------------------------


def test_blockers_json_sorted_by_leverage_with_splits(db: Path) -> None:
    data = as_json(run("--db", db, "blockers", "--json"))
    tags = data["tags"]

    assert [t["leverage"] for t in tags] == sorted((t["leverage"] for t in tags), reverse=True)
    assert {"tag", "category", "areas", "open", "oldest_open_days", "leverage", "unlocks"} <= set(tags[0])
    assert tags[0]["leverage"] >= 1 and len(tags[0]["unlocks"]) == tags[0]["leverage"]
    assert sum(t["open"] for t in tags) == data["open_blockers"] == sum(data["by_category"].values())
    assert sum(data["by_territory"].values()) == data["open_blockers"]
    assert set(data["by_category"]) == {"identity", "infrastructure", "governance", "organizational"}
    # Open counts agree with the table's filter (no sample pilot with an open blocker is retired).
    for t in tags:
        if t["open"]:
            assert len(as_json(run("--db", db, "list", "--json", "--blocker", t["tag"]))) == t["open"]


def test_blockers_table(db: Path) -> None:
    out = ok(run("--db", db, "blockers"))
    lines = out.splitlines()
    assert lines[0].split() == ["Tag", "Category", "Areas", "Open", "Oldest", "Leverage"]
    assert "by category" in out and "by territory" in out
    data = as_json(run("--db", db, "blockers", "--json"))
    assert lines[2].split()[0] == data["tags"][0]["tag"]


def test_blockers_on_a_missing_file(tmp_path: Path) -> None:
    fails(run("--db", tmp_path / "none.db", "blockers"), 1, "none.db")


# ---- summary ----------------------------------------------------------------------------------------


def test_summary_json_numbers(db: Path) -> None:
    data = as_json(run("--db", db, "summary", "--json"))
    pilots = as_json(run("--db", db, "list", "--json"))

    assert data["total"] == len(pilots) == 30
    for stage, count in data["stages"].items():
        assert count == sum(1 for p in pilots if p["stage"] == stage)
    active = [p for p in pilots if p["stage"] != "retired"]
    production = data["production"]
    assert production["active"] == len(active)
    assert production["in_production_or_scaled"] == sum(1 for p in active if p["stage"] in ("production", "scaled"))
    assert production["benchmark"] == round(1 / 3, 4)
    assert production["meets_benchmark"] is (production["share"] >= 1 / 3)
    assert data["stalled"] == sum(1 for p in active if p["stalled"])
    days = sorted((p["days_in_stage"] for p in active if p["stalled"]), reverse=True)[:5]
    assert [s["days"] for s in data["oldest_stalled"]] == days
    assert data["territories"] == {t: sum(1 for p in active if p["territory"] == t) for t in data["territories"]}
    assert data["stale_approvals"] == 0
    assert all(t["leverage"] >= 1 for t in data["top_blockers"])
    by_leverage = [t["tag"] for t in as_json(run("--db", db, "blockers", "--json"))["tags"] if t["leverage"]]
    assert [t["tag"] for t in data["top_blockers"]] == by_leverage[:5]


def test_summary_text(db: Path) -> None:
    out = ok(run("--db", db, "summary"))
    assert out.splitlines()[0] == "Department of Civic Services (sample): 30 pilot(s)"
    assert "one-third benchmark" in out
    assert "Stalled (extended evaluations):" in out
    assert "Top blockers by leverage:" in out


def test_summary_on_an_empty_portfolio(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    ok(run("--db", path, "init"))
    data = as_json(run("--db", path, "summary", "--json"))
    assert data["total"] == 0 and data["top_blockers"] == [] and data["production"]["share"] == 0
    assert "no active pilots" in ok(run("--db", path, "summary"))


def test_summary_on_a_file_that_is_not_a_portfolio(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"not a database" * 100)
    result = run("--db", path, "summary")
    assert result.exit_code == 1 and "Traceback" not in result.output
