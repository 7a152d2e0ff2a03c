"""The headless CLI: every command of the contract, its exit codes and its one-line errors."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from caio_tui import __version__
from caio_tui.cli import cli
from caio_tui.store import Portfolio
from helpers.cli import ok

ENV = {"COLUMNS": "120"}


def run(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], env={**ENV, **(env or {})})


def fails(result: Result, code: int, message: str) -> str:
    """The command failed with `code`, one line on stderr naming the problem, and no traceback."""
    assert result.exit_code == code, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("caio-tui: error: "), lines[0]
    assert message in lines[0]
    assert "Traceback" not in result.output
    return lines[0]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "agency.db"
    ok(run("--db", path, "init", "--sample", "civilian-agency"))
    return path


def pilots(db: Path, *args: str) -> list[dict[str, Any]]:
    data = json.loads(ok(run("--db", db, "list", "--json", *args)))
    assert isinstance(data, list)
    return data


def show(db: Path, pilot: str) -> dict[str, Any]:
    data = json.loads(ok(run("--db", db, "show", pilot, "--json")))
    assert isinstance(data, dict)
    return data


# ---- version, help, the app ---------------------------------------------------------------------------


def test_version_and_help() -> None:
    assert ok(run("--version")).strip() == f"caio-tui {__version__}"
    text = ok(run("--help"))
    for command in (
        "demo",
        "init",
        "samples",
        "list",
        "show",
        "tag",
        "untag",
        "set-coverage",
        "promote",
        "demote",
        "add",
        "history",
        "verify",
        "undo",
    ):
        assert f"  {command} " in text or f"  {command}\n" in text, command


class FakeApp:
    """Stands in for the Textual app: records what it would have opened."""

    opened: list[Path] = []

    def __init__(self, path: Path, settings: object) -> None:
        self.path = path

    def run(self) -> None:
        FakeApp.opened.append(self.path)


@pytest.fixture
def fake_app(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    import caio_tui.tui.app

    FakeApp.opened = []
    monkeypatch.setattr(caio_tui.tui.app, "CaioApp", FakeApp)
    return FakeApp.opened


def test_no_command_opens_the_app_on_the_portfolio(db: Path, fake_app: list[Path]) -> None:
    ok(run("--db", db))
    assert fake_app == [db]


def test_no_command_creates_the_default_portfolio(tmp_path: Path, fake_app: list[Path]) -> None:
    ok(run())
    (path,) = fake_app
    assert path.name == "portfolio.db"
    assert path.exists()


def test_a_bad_file_is_one_line_before_the_app_takes_the_screen(tmp_path: Path, fake_app: list[Path]) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    fails(run("--db", bad), 1, "not a caio-tui portfolio")
    assert fake_app == []


def test_demo_loads_a_sample_into_a_fresh_file_and_opens_it(fake_app: list[Path]) -> None:
    ok(run("demo"))
    ok(run("demo", "--sample", "small-agency"))  # replaced each time
    first, second = fake_app
    assert first == second and first.name == "demo.db"
    assert len(pilots(second)) == 8
    with Portfolio.open(second, actor="reader") as demo:
        assert demo.name == "Commission on Community Resilience (sample)"  # the header shows the sample's name


def test_demo_never_overwrites_a_named_file(db: Path, tmp_path: Path, fake_app: list[Path]) -> None:
    before = db.read_bytes()
    fails(run("demo", "--db", db), 1, "exists already")
    assert db.read_bytes() == before
    fresh = tmp_path / "fresh.db"
    ok(run("demo", "--db", fresh, "--sample", "small-agency"))
    assert fake_app == [fresh]
    fails(run("demo", "--sample", "nope"), 1, "no sample named 'nope'")
    assert fake_app == [fresh]


# ---- init and samples -----------------------------------------------------------------------------------


def test_init_creates_an_empty_portfolio(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    assert ok(run("init", "--db", path)).strip() == f"created {path}"
    assert path.stat().st_mode & 0o777 == 0o600
    assert pilots(path) == []


def test_init_with_a_sample_names_the_portfolio_after_it(db: Path) -> None:
    assert len(pilots(db)) == 30
    name = sqlite3.connect(db).execute("SELECT value FROM meta WHERE key = 'name'").fetchone()[0]
    assert name == "Department of Civic Services (sample)"


def test_init_refuses_an_existing_file_and_an_unknown_sample(db: Path, tmp_path: Path) -> None:
    before = db.read_bytes()
    fails(run("--db", db, "init"), 1, "exists already; nothing was changed")
    assert db.read_bytes() == before
    fails(run("--db", tmp_path / "x.db", "init", "--sample", "nope"), 1, "no sample named 'nope'")
    assert not (tmp_path / "x.db").exists()


# ---- --db, CAIO_TUI_DB ----------------------------------------------------------------------------------


def test_db_before_or_after_the_command_and_from_the_environment(db: Path, tmp_path: Path) -> None:
    before = ok(run("--db", db, "list", "--json"))
    assert ok(run("list", "--db", db, "--json")) == before
    assert ok(run("list", "--json", env={"CAIO_TUI_DB": str(db)})) == before
    other = tmp_path / "other.db"
    ok(run("init", "--db", other))
    assert ok(run("--db", other, "list", "--json", env={"CAIO_TUI_DB": str(db)})).strip() == "[]"


def test_the_default_file_is_in_the_user_data_folder(tmp_path: Path) -> None:
    ok(run("init"))
    from caio_tui.config import default_db_path

    assert default_db_path().exists()
    assert json.loads(ok(run("list", "--json"))) == []


# ---- list ------------------------------------------------------------------------------------------------


def test_list_json_shape(db: Path) -> None:
    found = pilots(db)
    assert len(found) == 30
    types = {
        "id": str,
        "name": str,
        "office": str,
        "owner": str,
        "stage": str,
        "high_impact": bool,
        "readiness": float,
        "territory": str,
        "days_in_stage": int,
        "stalled": bool,
        "open_blockers": list,
    }
    for pilot in found:
        for key, kind in types.items():
            assert isinstance(pilot[key], kind), (pilot["id"], key)
        assert 0.0 <= pilot["readiness"] <= 1.0
        assert all(isinstance(t, str) for t in pilot["open_blockers"])
    dcs4 = next(p for p in found if p["id"] == "DCS-004")
    assert (dcs4["stage"], dcs4["territory"], dcs4["open_blockers"]) == (
        "pilot",
        "infrastructure",
        ["shared-service-account"],
    )


def test_list_filters(db: Path) -> None:
    stalled = pilots(db, "--stalled")
    assert len(stalled) >= 4 and all(p["stalled"] for p in stalled)
    assert {p["stage"] for p in pilots(db, "--stage", "pilot", "--stage", "readiness")} == {"pilot", "readiness"}
    shared = pilots(db, "--blocker", "shared-service-account")
    assert "DCS-004" in [p["id"] for p in shared]
    assert all("shared-service-account" in p["open_blockers"] for p in shared)
    assert {p["territory"] for p in pilots(db, "--territory", "both")} == {"both"}
    assert [p["id"] for p in pilots(db, "--filter", "benefits policy")] == ["DCS-004"]
    readiness = [p["readiness"] for p in pilots(db, "--sort", "readiness", "--reverse")]
    assert readiness == sorted(readiness, reverse=True)


def test_list_table(db: Path) -> None:
    lines = ok(run("--db", db, "list", "--stalled")).splitlines()
    assert lines[0].split()[:3] == ["ID", "Name", "Office"]
    count = len(pilots(db, "--stalled"))
    assert len(lines) == count + 2
    assert lines[-1] == f"{count} pilot(s), {count} stalled (!)"
    assert all(line.rstrip().endswith("!") for line in lines[1:-1])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--stage", "prod"], "unknown stage 'prod'"),
        (["--territory", "mixed"], "unknown territory 'mixed'"),
        (["--sort", "size"], "unknown sort 'size'"),
        (["--filter", "stage:nope"], "unknown stage 'nope'"),
    ],
)
def test_list_bad_values_are_usage_errors_in_one_line(db: Path, args: list[str], message: str) -> None:
    fails(run("--db", db, "list", *args), 2, message)


# ---- show -------------------------------------------------------------------------------------------------


def test_show_json_shape(db: Path) -> None:
    data = show(db, "DCS-004")
    listed = next(p for p in pilots(db) if p["id"] == "DCS-004")
    assert {k: data[k] for k in listed} == listed
    assert len(data["coverage"]) == 20  # not high-impact: the production framework only
    for entry in data["coverage"]:
        assert {"item", "area", "status", "evidence", "updated_at", "updated_by"} <= set(entry)
        assert entry["updated_at"] is None or isinstance(entry["updated_at"], str)
    roles = next(e for e in data["coverage"] if e["item"] == "access.roles")
    assert (roles["area"], roles["status"], roles["updated_by"]) == ("access", "partial", "sample")
    assert roles["evidence"].startswith("Two roles sketched")
    (blocker,) = data["blockers"]
    assert (blocker["tag"], blocker["open"], blocker["resolved_at"]) == ("shared-service-account", True, None)
    assert [m["to"] for m in data["stage_history"]] == ["intake", "poc", "pilot"]
    assert data["stage_history"][0]["from"] is None
    assert len(show(db, "DCS-010")["coverage"]) == 28  # high-impact: the M-25-21 practices too


def test_show_keeps_resolved_blockers(db: Path) -> None:
    blockers = show(db, "DCS-007")["blockers"]
    assert {(b["tag"], b["open"]) for b in blockers} == {("debug-only-logging", True), ("informal-access", False)}


def test_show_text_has_coverage_blockers_history_and_the_next_gate(db: Path) -> None:
    text = ok(run("--db", db, "show", "DCS-004"))
    assert text.splitlines()[0] == "DCS-004  Benefits Policy Assistant"
    assert "shared-service-account (identity, open)" in text
    assert "intake → poc" in text
    assert "gate into readiness: refuses" in text
    assert "readiness #2" in text


# ---- user text is data ------------------------------------------------------------------------------------


def test_markup_and_escape_characters_in_user_text_are_shown_literally(db: Path) -> None:
    name = "[red]x[/red] \x1b[31mgotcha\u202e"
    pid = ok(run("--db", db, "add", "--name", name, "--office", "[bold]OCIO", "--owner", "<script>")).strip()
    ok(run("--db", db, "tag", pid, "skills-gap", "--note", "note \x1b]0;title\x07 [link=x]"))
    listed = ok(run("--db", db, "list", "--filter", pid))
    shown = ok(run("--db", db, "show", pid))
    for output in (listed, shown):
        assert "\x1b" not in output and "\x07" not in output and "\u202e" not in output
        assert "[red]x[/red] \\x1b[31mgot" in output  # the table clips the name to its column
        assert "[bold]OCIO" in output
    assert "[red]x[/red] \\x1b[31mgotcha\\u202e" in shown
    assert "<script>" in shown
    assert "note \\x1b]0;title\\x07 [link=x]" in shown
    history = ok(run("--db", db, "history", pid))
    assert "\x1b" not in history and "\\x1b[31mgotcha" in history
    undone = ok(run("--db", db, "undo"))
    assert "\x1b" not in undone and undone.startswith(f"undid blocker.open {pid}")
    assert show(db, pid)["name"] == name  # stored as typed


# ---- writes ------------------------------------------------------------------------------------------------


def test_add_prints_the_new_id(db: Path) -> None:
    pid = ok(run("--db", db, "add", "--name", "Chat", "--office", "OCIO", "--stage", "pilot", "--high-impact"))
    assert pid.strip() == "AI-0001"
    data = show(db, "AI-0001")
    assert (data["name"], data["office"], data["stage"], data["high_impact"]) == ("Chat", "OCIO", "pilot", True)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "  "], "name: a pilot needs a name"),
        (["--name", "x", "--stage", "someday"], "unknown stage 'someday'"),
    ],
)
def test_add_bad_values(db: Path, args: list[str], message: str) -> None:
    fails(run("--db", db, "add", *args), 2, message)
    assert len(pilots(db)) == 30


def test_add_without_a_name_is_a_usage_error(db: Path) -> None:
    result = run("--db", db, "add")
    assert result.exit_code == 2
    assert "Missing option '--name'" in result.stderr


def test_tag_and_untag_move_the_territory(db: Path) -> None:
    out = ok(run("--db", db, "tag", "DCS-003", "skills-gap", "--note", "no data scientist"))
    assert out.strip() == "DCS-003: opened skills-gap; territory now organizational"
    assert ok(run("--db", db, "untag", "DCS-003", "skills-gap")).strip() == (
        "DCS-003: resolved skills-gap; territory now unassessed"  # nothing of it is assessed yet
    )
    assert show(db, "DCS-003")["blockers"][0]["open"] is False


def test_tag_with_a_new_custom_tag(db: Path) -> None:
    ok(run("--db", db, "tag", "DCS-003", "union-review", "--category", "Organizational"))
    assert show(db, "DCS-003")["open_blockers"] == ["union-review"]
    fails(run("--db", db, "tag", "DCS-001", "x-tag", "--category", "weather"), 2, "unknown category 'weather'")


def test_set_coverage(db: Path) -> None:
    out = ok(run("--db", db, "set-coverage", "DCS-004", "access.roles", "met", "--evidence", "role catalog v3"))
    assert out.startswith("DCS-004: access.roles is met; readiness now ")
    roles = next(e for e in show(db, "DCS-004")["coverage"] if e["item"] == "access.roles")
    assert (roles["status"], roles["evidence"], roles["updated_by"]) == ("met", "role catalog v3", "tester")
    ok(run("--db", db, "set-coverage", "DCS-004", "ato.granted", "not-applicable", "--justification", "no ATO"))


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["tag", "DCS-999", "skills-gap"], 1, "no pilot with id 'DCS-999'"),
        (["tag", "DCS-004", "no-such-tag"], 1, "unknown blocker tag 'no-such-tag'"),
        (["untag", "DCS-004", "skills-gap"], 1, "DCS-004 has no open skills-gap blocker"),
        (["set-coverage", "DCS-004", "access.nope", "met"], 1, "unknown requirement item 'access.nope'"),
        (["set-coverage", "DCS-004", "access.roles", "done"], 2, "unknown coverage status 'done'"),
        (["set-coverage", "DCS-004", "access.roles", "waived"], 1, "access.roles: status waived needs a justification"),
        (["set-coverage", "DCS-999", "access.roles", "met"], 1, "no pilot with id 'DCS-999'"),
        (["show", "DCS-999"], 1, "no pilot with id 'DCS-999'"),
        (["history", "DCS-999"], 1, "no pilot with id 'DCS-999'"),
        (["promote", "DCS-004", "--to", "live"], 2, "unknown stage 'live'"),
        (["promote", "DCS-004", "--override", "  "], 1, "an override needs a written justification"),
        (["promote", "DCS-027"], 1, "DCS-027 is scaled: there is no stage after it"),
        (["demote", "DCS-001"], 1, "DCS-001 is intake: there is no stage before it"),
        (["demote", "DCS-001", "--to", "pilot"], 1, "pilot is ahead of intake; use promote"),
        (["demote", "DCS-029"], 1, "DCS-029 is retired; bring it back with 'caio-tui promote DCS-029 --to STAGE'"),
        (["demote", "DCS-004", "--to", "later"], 2, "unknown stage 'later'"),
    ],
)
def test_errors_are_one_line_with_the_right_exit_code(db: Path, args: list[str], code: int, message: str) -> None:
    before = show(db, "DCS-004")
    fails(run("--db", db, *args), code, message)
    assert show(db, "DCS-004") == before


# ---- promote and demote --------------------------------------------------------------------------------------


def test_promote_through_a_passing_gate(db: Path) -> None:
    assert ok(run("--db", db, "promote", "DCS-003")).strip() == "DCS-003: intake → poc"
    assert show(db, "DCS-003")["stage"] == "poc"


def test_a_refused_gate_exits_3_with_its_failing_rules_and_least_changes(db: Path) -> None:
    result = run("--db", db, "promote", "DCS-004")
    assert result.exit_code == 3
    assert isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "caio-tui: the gate into readiness refused DCS-004:",
        "  ✗ readiness #2: No shared account or personal credentials: open blocker(s): shared-service-account",
        "  ✗ readiness #3: Access goes through the governed IAM process, at least partly: access.governed_iam: "
        "1 item(s) below partial: access.governed_iam",
        "least that would pass:",
        "  - resolve the shared-service-account blocker",
        "  - set access.governed_iam to partial (now gap)",
        "(or move anyway with --override JUSTIFICATION)",
    ]
    assert show(db, "DCS-004")["stage"] == "pilot"


def test_a_skipped_stage_promotion_reports_every_gate_crossed(db: Path) -> None:
    pid = ok(run("--db", db, "add", "--name", "Unowned idea")).strip()
    result = run("--db", db, "promote", pid, "--to", "production")
    assert result.exit_code == 3
    failed = [line.split(":")[0].strip() for line in result.stderr.splitlines() if line.startswith("  ✗")]
    assert failed == [
        "✗ pilot #1",
        "✗ pilot #2",
        "✗ readiness #1",
        "✗ readiness #3",
        "✗ production #1",
        "✗ production #2",
    ]
    assert "  - record the owner" in result.stderr.splitlines()
    assert "  - set governance.approver to met (now not_assessed)" in result.stderr.splitlines()


def test_an_override_moves_and_is_shown_with_the_pilot(db: Path) -> None:
    out = ok(run("--db", db, "promote", "DCS-004", "--override", "Deputy Secretary memo 2026-14"))
    assert out.strip() == "DCS-004: pilot → readiness (gate overridden)"
    last = show(db, "DCS-004")["stage_history"][-1]
    assert (last["to"], last["override"], last["actor"]) == ("readiness", "Deputy Secretary memo 2026-14", "tester")
    assert last["failed_rules"][0].startswith("readiness #2")
    assert "override: Deputy Secretary memo 2026-14" in ok(run("--db", db, "show", "DCS-004"))
    assert "(override: Deputy Secretary memo 2026-14)" in ok(run("--db", db, "history", "DCS-004"))


def test_demote_moves_back_without_a_gate(db: Path) -> None:
    assert ok(run("--db", db, "demote", "DCS-004")).strip() == "DCS-004: pilot → poc"
    assert ok(run("--db", db, "demote", "DCS-020", "--to", "pilot")).strip() == "DCS-020: production → pilot"
    assert show(db, "DCS-020")["days_in_stage"] == 0


# ---- history, verify, undo ----------------------------------------------------------------------------------


def test_history_of_the_portfolio_and_of_a_pilot(db: Path) -> None:
    lines = ok(run("--db", db, "history")).splitlines()
    assert [line.split()[4] for line in lines] == ["portfolio.create", "import"]
    ok(run("--db", db, "tag", "DCS-004", "skills-gap", "--note", "no ML ops"))
    (line,) = ok(run("--db", db, "history", "DCS-004")).splitlines()
    assert "tester" in line and "blocker.open" in line and "skills-gap: no ML ops" in line
    events = json.loads(ok(run("--db", db, "history", "--json", "--limit", "1")))
    assert [(e["action"], e["pilot_id"], e["actor"]) for e in events] == [("blocker.open", "DCS-004", "tester")]
    assert events[0]["after"]["tag"] == "skills-gap"


def test_verify_passes_then_finds_tampering(db: Path) -> None:
    head = sqlite3.connect(db).execute("SELECT hash FROM audit_event WHERE id = 2").fetchone()[0]
    assert ok(run("--db", db, "verify")).splitlines() == [
        "ok: integrity holds; 2 audit events verified; 163 groups of rows match the seal",
        f"head {head} (event 2)",
    ]
    conn = sqlite3.connect(db)
    conn.execute("UPDATE audit_event SET actor = 'mallory' WHERE id = 2")
    conn.commit()
    conn.close()
    result = run("--db", db, "verify")
    assert result.exit_code == 1
    assert "audit trail broken at event 2: its content was changed" in result.stderr
    data = json.loads(run("--db", db, "verify", "--json").stdout)
    assert (data["ok"], data["events_checked"], data["first_bad_event"]) == (False, 1, 2)


def test_undo_reverts_the_last_change_once(db: Path) -> None:
    ok(run("--db", db, "set-coverage", "DCS-004", "access.roles", "met"))
    assert ok(run("--db", db, "undo")).strip() == "undid coverage.set DCS-004 access.roles: partial → met"
    roles = next(e for e in show(db, "DCS-004")["coverage"] if e["item"] == "access.roles")
    assert roles["status"] == "partial"
    # Then the sample load, whole (one step, like any import).
    assert ok(run("--db", db, "undo")).strip() == "undid import imported 30 pilots from sample:civilian-agency"
    assert json.loads(ok(run("--db", db, "list", "--json"))) == []
    assert ok(run("--db", db, "undo")).strip() == "nothing to undo"


# ---- files that cannot be used ---------------------------------------------------------------------------------


def test_unusable_files(tmp_path: Path, db: Path) -> None:
    fails(run("--db", tmp_path / "missing.db", "list"), 1, "no portfolio there (create one with 'caio-tui init')")
    assert not (tmp_path / "missing.db").exists()
    text = tmp_path / "inventory.csv"
    text.write_text("a,b\n1,2\n")
    fails(run("--db", text, "list"), 1, "not a caio-tui portfolio (not a SQLite database)")
    fails(run("--db", tmp_path, "list"), 1, "is a folder, not a portfolio file")
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 42")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    fails(run("--db", db, "list"), 1, "written by a newer caio-tui (schema 42")
    assert db.read_bytes() == before


# ---- the installed command, for real ---------------------------------------------------------------------------


def test_the_caio_tui_command_runs_as_a_process(tmp_path: Path) -> None:
    command = Path(sys.executable).parent / "caio-tui"
    path = tmp_path / "p.db"

    def call(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(command), *map(str, args)], capture_output=True, text=True, cwd=tmp_path, timeout=60, check=False
        )

    created = call("--db", path, "init", "--sample", "small-agency")
    assert created.returncode == 0, created.stderr
    listed = call("list", "--db", path, "--json")
    assert listed.returncode == 0
    assert len(json.loads(listed.stdout)) == 8
    refused = call("--db", path, "promote", "CCR-03", "--to", "readiness")
    assert refused.returncode == 3
    assert "shared-service-account" in refused.stderr
    missing = call("--db", tmp_path / "nope.db", "show", "X")
    assert missing.returncode == 1
    assert missing.stderr.count("\n") == 1 and "Traceback" not in missing.stderr
