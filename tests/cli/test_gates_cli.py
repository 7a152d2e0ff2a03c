"""`caio-tui gates ...`: show, check, load, history, stale and recheck, with their exit codes and errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from caio_tui.cli import cli
from caio_tui.domain.defaults import default_rules
from caio_tui.domain.gate_file import read_rules
from helpers.cli import ok

ENV = {"COLUMNS": "120"}


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], env=ENV)


def fails(result: Result, code: int, message: str) -> list[str]:
    """Exit `code`, every stderr line an error naming the problem, and no traceback."""
    assert result.exit_code == code, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines and all(line.startswith("caio-tui: ") for line in lines), result.stderr
    assert any(message in line for line in lines), lines
    assert "Traceback" not in result.output
    return lines


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "agency.db"
    ok(run("--db", path, "init", "--sample", "civilian-agency"))
    return path


def gates(db: Path, *args: str | Path) -> Result:
    return run("--db", db, "gates", *args)


def listed(db: Path, query: str = "") -> dict[str, dict[str, Any]]:
    data = json.loads(ok(run("--db", db, "list", "--json", "--filter", query)))
    return {p["id"]: p for p in data}


# ---- show -------------------------------------------------------------------------------------------------


def test_show_prints_every_gate_in_pipeline_order_in_words(db: Path) -> None:
    lines = ok(gates(db, "show")).splitlines()
    assert lines[0] == "Gate rules, version 1"
    heads = [line for line in lines if line.startswith("into ")]
    assert heads == [
        "into Proof of concept (poc)",
        "into Pilot (pilot)",
        "into Production readiness (readiness)",
        "into Production (production)",
        "into Scaled (scaled)",
    ]
    assert "  (no gate: every move into it passes)" in lines
    assert (
        "  #2 No shared account or personal credentials: no open blocker tagged shared-service-account or "
        "personal-credentials" in lines
    )


def test_show_json_and_toml_give_the_rules_back(db: Path, tmp_path: Path) -> None:
    data = json.loads(ok(gates(db, "show", "--json")))
    assert data["version"] == 1
    assert [g["to"] for g in data["gate"]] == ["pilot", "readiness", "production", "scaled"]
    text = ok(gates(db, "show", "--toml"))
    assert text.startswith("# Gate rules of the portfolio")
    assert read_rules(text, "shown.toml") == default_rules()
    fails(gates(db, "show", "--json", "--toml"), 2, "choose one of --json and --toml")
    fails(gates(db, "show", "--version", "7"), 1, "no gate rules version 7 (the current one is 1)")


# ---- check -------------------------------------------------------------------------------------------------


def test_check_a_passing_gate_exits_0(db: Path) -> None:
    out = ok(gates(db, "check", "DCS-008"))
    assert out.splitlines() == ["DCS-008 pilot → readiness: the gate passes"]


def test_check_a_refused_gate_names_each_failing_rule_and_the_least_changes_and_exits_3(db: Path) -> None:
    result = gates(db, "check", "DCS-004")
    assert result.exit_code == 3
    assert result.stdout.splitlines() == [
        "DCS-004 pilot → readiness: the gate refused",
        "  ✗ readiness #2: No shared account or personal credentials: open blocker(s): shared-service-account",
        "  ✗ readiness #3: Access goes through the governed IAM process, at least partly: access.governed_iam: "
        "1 item(s) below partial: access.governed_iam",
        "least that would pass:",
        "  - resolve the shared-service-account blocker",
        "  - set access.governed_iam to partial (now gap)",
    ]


def test_check_json_to_a_named_stage(db: Path) -> None:
    result = gates(db, "check", "DCS-008", "--to", "production", "--json")
    assert result.exit_code == 3
    data = json.loads(result.stdout)
    assert (data["pilot"], data["from"], data["to"], data["passed"]) == ("DCS-008", "pilot", "production", False)
    assert {f["rule"] for f in data["failures"]} >= {"production #1", "production #2"}
    targets = [c["target"] for c in data["least_changes"]]
    assert len(targets) == len(set(targets))  # each change once, however many rules ask it
    assert all(set(c) == {"kind", "target", "to", "text"} for c in data["least_changes"])
    assert data["approval_stale"] is False and data["stale_reasons"] == []
    # A check changes nothing.
    assert listed(db)["DCS-008"]["stage"] == "pilot"


def test_check_errors(db: Path) -> None:
    fails(gates(db, "check", "NOPE"), 1, "no pilot with id 'NOPE'")
    fails(gates(db, "check", "DCS-008", "--to", "orbit"), 2, "unknown stage 'orbit'")
    fails(gates(db, "check", "DCS-027"), 1, "DCS-027 is scaled: there is no stage after it")
    fails(gates(db, "check", "DCS-008", "--to", "pilot"), 1, "already in pilot; 'caio-tui gates recheck DCS-008'")


# ---- load and history ----------------------------------------------------------------------------------------


STRICTER = """
[[gate]]
to = "pilot"
rules = [
  { kind = "field", field = "owner" },
  { kind = "field", field = "description", description = "Say what it does" },
]
"""


def test_load_replaces_the_rules_as_a_new_audited_version(db: Path, tmp_path: Path) -> None:
    rules_file = tmp_path / "stricter.toml"
    rules_file.write_text(STRICTER, encoding="utf-8")
    assert (
        ok(gates(db, "load", rules_file, "--check")).strip().endswith("valid (1 gates, 2 rules); nothing was changed")
    )
    assert json.loads(ok(gates(db, "show", "--json")))["version"] == 1

    out = ok(gates(db, "load", rules_file))
    assert out.strip() == f"gate rules version 2 from {rules_file} (1 gates, 2 rules)"
    assert json.loads(ok(gates(db, "show", "--json")))["version"] == 2
    # The new rules decide: a pilot with no description is refused... and readiness has no gate any more.
    pid = ok(run("--db", db, "add", "--name", "Grants screener", "--owner", "Jo", "--stage", "poc")).strip()
    failing = gates(db, "check", pid, "--json")
    assert failing.exit_code == 3
    assert [(f["rule"], f["reason"]) for f in json.loads(failing.stdout)["failures"]] == [
        ("pilot #2", "Say what it does: no description recorded")
    ]
    assert gates(db, "check", "DCS-004").exit_code == 0

    events = json.loads(ok(run("--db", db, "history", "--json")))
    (event,) = [e for e in events if e["action"] == "rules.replace"]
    assert event["before"]["version"] == 1
    assert event["after"]["version"] == 2
    assert event["source"] == "stricter.toml"

    assert ok(gates(db, "load", rules_file)).strip().endswith("the same rules as version 2; nothing was changed")
    versions = json.loads(ok(gates(db, "history", "--json")))
    assert [(v["version"], v["gates"], v["rules"]) for v in versions] == [(1, 4, 10), (2, 1, 2)]
    assert len(ok(gates(db, "history")).splitlines()) == 2
    # The earlier version is still there to read, and to load back.
    earlier = ok(gates(db, "show", "--version", "1", "--toml"))
    back = tmp_path / "back.toml"
    back.write_text(earlier, encoding="utf-8")
    ok(gates(db, "load", back))
    assert read_rules(ok(gates(db, "show", "--toml")), "now.toml") == default_rules()
    assert ok(run("--db", db, "verify")).startswith("ok")


def test_load_refuses_a_broken_file_with_every_line_and_changes_nothing(db: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text(
        '[[gate]]\nto = "pilot"\nrules = [\n  { kind = "coverage", areas = ["acess"], at_least = "met" },\n'
        '  { kind = "python", code = "os.system(1)" },\n]\n',
        encoding="utf-8",
    )
    lines = fails(gates(db, "load", broken), 1, f"{broken}:5: gate 1 (into pilot), rule 2: unknown rule kind 'python'")
    assert lines[-1] == f"caio-tui: {broken}: refused; the rules were not changed"
    unknown = tmp_path / "unknown.toml"
    unknown.write_text(
        '[[gate]]\nto = "pilot"\nrules = [{ kind = "no_blocker", tags = ["ghost"] }]\n', encoding="utf-8"
    )
    fails(gates(db, "load", unknown), 1, f"{unknown}:3: gate 1 (into pilot), rule 1, tags: unknown tag 'ghost'")
    syntax = tmp_path / "syntax.toml"
    syntax.write_text('[[gate]\nto = "pilot"\n', encoding="utf-8")
    fails(gates(db, "load", syntax), 1, f"{syntax}:1: not valid TOML")
    assert json.loads(ok(gates(db, "show", "--json")))["version"] == 1


def test_load_errors_of_the_file_itself(db: Path, tmp_path: Path) -> None:
    fails(gates(db, "load", tmp_path / "missing.toml"), 1, "missing.toml: no such file")
    fails(gates(db, "load", tmp_path), 1, "is a folder, not a rules file")
    binary = tmp_path / "rules.bin"
    binary.write_bytes(b"\xff\xfe\x00bad")
    fails(gates(db, "load", binary), 1, "not UTF-8 text")
    fails(run("--db", tmp_path / "none.db", "gates", "show"), 1, "no portfolio there")


# ---- stale approvals and re-checks -----------------------------------------------------------------------------


def test_a_regression_shows_as_approval_stale_until_a_re_check(db: Path) -> None:
    ok(run("--db", db, "promote", "DCS-008"))
    assert ok(gates(db, "stale")).strip() == "0 pilot(s) with a stale approval"
    ok(run("--db", db, "tag", "DCS-008", "personal-credentials", "--note", "runs as the lead"))

    assert listed(db)["DCS-008"]["approval_stale"] is True
    assert list(listed(db, "stale")) == ["DCS-008"]
    assert ok(gates(db, "stale")).splitlines() == [
        "DCS-008 Help Desk Ticket Summarizer (readiness): approval stale",
        "  ! a personal-credentials blocker opened (the gate into readiness forbids it)",
        "1 pilot(s) with a stale approval",
    ]
    data = json.loads(ok(gates(db, "stale", "DCS-008", "--json")))
    assert data == [
        {
            "id": "DCS-008",
            "name": "Help Desk Ticket Summarizer",
            "stage": "readiness",
            "approval_stale": True,
            "reasons": ["a personal-credentials blocker opened (the gate into readiness forbids it)"],
        }
    ]
    check = gates(db, "check", "DCS-008", "--json")
    assert json.loads(check.stdout)["approval_stale"] is True

    refused = gates(db, "recheck", "DCS-008")
    assert refused.exit_code == 3
    assert "  ✗ readiness #2: No shared account or personal credentials: open blocker(s): personal-credentials" in (
        refused.stdout.splitlines()
    )
    assert listed(db)["DCS-008"]["approval_stale"] is True

    ok(run("--db", db, "untag", "DCS-008", "personal-credentials"))
    assert listed(db)["DCS-008"]["approval_stale"] is True  # resolved, but nobody has looked again yet
    assert "back as it was; re-check to confirm" in ok(gates(db, "stale"))
    out = ok(gates(db, "recheck", "DCS-008"))
    assert out.splitlines()[0] == "DCS-008: the gate into readiness passes; approval current"
    assert listed(db)["DCS-008"]["approval_stale"] is False
    assert ok(gates(db, "stale", "DCS-008")).strip() == "DCS-008: the approval of its stage holds"


def test_recheck_with_an_override_and_its_errors(db: Path) -> None:
    ok(run("--db", db, "promote", "DCS-008"))
    ok(run("--db", db, "set-coverage", "DCS-008", "governance.approver", "gap"))
    fails(gates(db, "recheck", "DCS-008", "--override", "  "), 1, "needs a written justification")
    out = ok(gates(db, "recheck", "DCS-008", "--override", "Approver named in the 2026-11 memo"))
    assert out.splitlines()[0] == "DCS-008: the gate into readiness re-approved by override; approval current"
    assert "  ! governance.approver fell from" in out
    assert listed(db)["DCS-008"]["approval_stale"] is False
    history = ok(run("--db", db, "history", "DCS-008")).splitlines()
    assert "gate.recheck" in history[-1]
    assert "override: Approver named in the 2026-11 memo" in history[-1]
    fails(gates(db, "recheck", "DCS-001"), 1, "DCS-001 entered intake without passing a gate")
    fails(gates(db, "recheck", "NOPE"), 1, "no pilot with id 'NOPE'")
    fails(gates(db, "stale", "NOPE"), 1, "no pilot with id 'NOPE'")


def test_gates_help_lists_its_commands() -> None:
    out = ok(run("gates", "--help"))
    for command in ("show", "check", "load", "history", "stale", "recheck"):
        assert f"  {command}" in out
