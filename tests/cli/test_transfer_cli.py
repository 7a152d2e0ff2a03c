"""`caio-tui export`, `import`, `diff` and `schema`: outputs, exit codes, one-line errors, atomic files."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import Result

from caio_tui.cli import transfer as commands
from caio_tui.io import inventory
from caio_tui.io.files import FileWriteError, atomic_output, write_atomic
from caio_tui.io.omb import COLUMNS_2025
from caio_tui.io.snapshot import schema_text
from helpers import REPO
from helpers.cli import run

DOCS = REPO / "docs"


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def fails(result: Result, code: int, message: str) -> str:
    assert result.exit_code == code, (result.output, result.exception)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("caio-tui: error: ") and message in lines[0], lines[0]
    assert "Traceback" not in result.output
    return lines[0]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "agency.db"
    ok(run("--db", path, "init", "--sample", "civilian-agency"))
    return path


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# ---- export ----------------------------------------------------------------------------------------


# omb-cots needs an imported COTS file (tests/cli/test_commercial_cli.py)
@pytest.mark.parametrize("fmt", [f for f in commands.EXPORT_FORMATS if f != "omb-cots"])
def test_export_to_stdout_and_to_a_file_agree(db: Path, tmp_path: Path, fmt: str) -> None:
    to_stdout = ok(run("--db", db, "export", "--format", fmt)).stdout_bytes
    target = tmp_path / f"out.{fmt}"
    result = ok(run("--db", db, "export", "--format", fmt, "-o", target))
    assert f"wrote {target} ({fmt}," in result.stderr
    written = target.read_bytes()
    if fmt in ("snapshot", "markdown", "html"):  # these name the time they were taken
        assert len(written) == len(to_stdout)
    else:
        assert written == to_stdout
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert leftovers(tmp_path) == []


def test_export_default_is_a_snapshot(db: Path) -> None:
    data = json.loads(ok(run("--db", db, "export")).stdout)
    assert data["format"] == "caio-tui-snapshot" and len(data["pilots"]) == 30


def test_export_formats_are_the_same_lists() -> None:
    assert commands.EXPORT_FORMATS == inventory.EXPORT_FORMATS
    assert commands.IMPORT_FORMATS == inventory.IMPORT_FORMATS


def test_export_refuses_to_replace_a_file_without_force(db: Path, tmp_path: Path) -> None:
    target = tmp_path / "briefing.html"
    target.write_text("keep me", encoding="utf-8")
    fails(run("--db", db, "export", "--format", "html", "-o", target), 1, "briefing.html: exists already")
    assert target.read_text(encoding="utf-8") == "keep me"
    ok(run("--db", db, "export", "--format", "html", "-o", target, "--force"))
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert leftovers(tmp_path) == []


def test_export_errors_are_one_line(db: Path, tmp_path: Path) -> None:
    fails(
        run("--db", db, "export", "-o", tmp_path / "no" / "such" / "x.json"), 1, "does not exist; nothing was written"
    )
    fails(run("--db", db, "export", "-o", tmp_path), 1, "is a folder")
    fails(run("--db", tmp_path / "none.db", "export"), 1, "no portfolio there")
    result = run("--db", db, "export", "--format", "pdf")
    assert result.exit_code == 2 and "'pdf' is not one of" in result.stderr


def test_csv_export_shows_formulas_as_text(db: Path) -> None:
    ok(run("--db", db, "add", "--name", "=cmd|' /C calc'!A0", "--office", "@SUM(1)"))
    text = ok(run("--db", db, "export", "--format", "csv")).stdout_bytes.decode("utf-8-sig")
    assert "'=cmd|' /C calc'!A0" in text and "'@SUM(1)" in text


# ---- import ----------------------------------------------------------------------------------------


def test_snapshot_round_trip_through_the_cli(db: Path, tmp_path: Path) -> None:
    snap = tmp_path / "q3.json"
    ok(run("--db", db, "export", "-o", snap))
    copy = tmp_path / "copy.db"
    result = ok(run("--db", copy, "import", snap))
    assert result.stdout.strip() == f"30 pilots imported from the snapshot {snap}"
    again = tmp_path / "again.json"
    ok(run("--db", copy, "export", "-o", again))
    first, second = json.loads(snap.read_text()), json.loads(again.read_text())
    assert {k for k in first if first[k] != second[k]} <= {"taken_at", "taken_by", "audit"}
    assert first["digest"] == second["digest"]
    history = json.loads(ok(run("--db", copy, "history", "--json")).stdout)
    assert history[-1]["action"] == "import" and history[-1]["source"] == "q3.json"
    assert ok(run("--db", copy, "diff", snap, copy)).stdout.rstrip().endswith("no differences")


def test_a_broken_snapshot_writes_nothing(db: Path, tmp_path: Path) -> None:
    snap = tmp_path / "q3.json"
    ok(run("--db", db, "export", "-o", snap))
    data = json.loads(snap.read_text())
    data["pilots"][1]["stage"] = "production"
    snap.write_text(json.dumps(data), encoding="utf-8")
    copy = tmp_path / "copy.db"
    fails(run("--db", copy, "import", snap), 1, f"{snap}: the digest does not match the content")
    assert not copy.exists(), "a portfolio created for a failed import is removed"
    snap.write_text('{"format": "caio-tui-snapshot",\n "version": 1,\n oops}', encoding="utf-8")
    fails(run("--db", copy, "import", snap), 1, f"{snap}:3:2: not valid JSON")
    assert not copy.exists()


def test_snapshot_import_into_a_used_portfolio_is_refused(db: Path, tmp_path: Path) -> None:
    snap = tmp_path / "q3.json"
    ok(run("--db", db, "export", "-o", snap))
    fails(run("--db", db, "import", snap), 1, "holds 30 pilot(s); a snapshot imports only into an empty portfolio")
    fails(run("--db", db, "import", snap, "--dry-run"), 1, "nothing would be imported")
    assert db.exists()


def test_snapshot_dry_run_checks_the_file_and_writes_nothing(db: Path, tmp_path: Path) -> None:
    snap = tmp_path / "q3.json"
    ok(run("--db", db, "export", "-o", snap))
    copy = tmp_path / "copy.db"
    ok(run("--db", copy, "init"))
    history = ok(run("--db", copy, "history", "--json")).stdout
    result = ok(run("--db", copy, "import", snap, "--dry-run"))
    assert result.stdout.strip() == f"30 pilots would be imported from the snapshot {snap}"
    assert ok(run("--db", copy, "history", "--json")).stdout == history
    assert ok(run("--db", copy, "list")).stdout.count("DCS-") == 0


def inventory_file(tmp_path: Path) -> Path:
    rows = [
        COLUMNS_2025,
        ["DCS", "Civic", "DCS-1", "Claims Triage", "OBA", "", "", "Deployed", "High-impact"] + [""] * 27,
        ["DCS", "Civic", "", "Chatbot", "OBA", "", "", "", "Not High-impact"] + [""] * 27,
        ["DCS", "Civic", "DCS-3", "Search", "OCIO", "", "", "Pilot", "Sort of"] + [""] * 27,
    ]
    path = tmp_path / "inventory.csv"
    path.write_bytes(("\r\n".join(",".join(r) for r in rows) + "\r\n").encode("utf-8-sig"))
    return path


def test_inventory_import_reports_issues_and_changes(db: Path, tmp_path: Path) -> None:
    path = inventory_file(tmp_path)
    dry = ok(run("--db", db, "import", path, "--dry-run"))
    assert "3 added, 0 updated, 0 unchanged (dry run: nothing was written)" in dry.stdout
    assert "+ DCS-1  Claims Triage  (would add; stage production)" in dry.stdout
    assert f"{path}:3: development_stage: blank development stage; imported as intake (blank)" in dry.stderr
    assert f"{path}:4: is_high_impact: unknown high-impact answer; read as not high-impact (Sort of)" in dry.stderr
    assert json.loads(ok(run("--db", db, "list", "--json")).stdout).__len__() == 30
    real = ok(run("--db", db, "import", path))
    assert "3 added, 0 updated, 0 unchanged; 3 issue(s)" in real.stdout  # and one: no contact (2 rows)
    assert len(json.loads(ok(run("--db", db, "list", "--json")).stdout)) == 33
    text = path.read_text(encoding="utf-8-sig").replace("Claims Triage,OBA,,,Deployed", "Claims Triage,OBA,,,Pilot")
    path.write_text(text, encoding="utf-8-sig")
    again = ok(run("--db", db, "import", path))
    assert "~ DCS-1  Claims Triage\n    stage: production → pilot\n" in again.stdout
    assert "0 added, 1 updated, 2 unchanged" in again.stdout


def test_import_errors_are_one_line(db: Path, tmp_path: Path) -> None:
    fails(run("--db", db, "import", tmp_path / "nope.csv"), 1, "nope.csv: cannot read")
    fails(run("--db", db, "import", tmp_path), 1, "is a folder")
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")
    fails(run("--db", db, "import", other), 1, "not a known OMB AI use case inventory format")
    fails(run("--db", db, "import", inventory_file(tmp_path), "--format", "snapshot"), 1, ":1:1: not valid JSON")
    result = run("--db", db, "import", other, "--format", "omb-1999")
    assert result.exit_code == 2


def test_import_into_a_missing_portfolio_creates_it(tmp_path: Path) -> None:
    target = tmp_path / "new.db"
    ok(run("--db", target, "import", inventory_file(tmp_path)))
    assert len(json.loads(ok(run("--db", target, "list", "--json")).stdout)) == 3
    # A dry run on a portfolio that does not exist yet reports what the import would create, and creates nothing.
    dry = ok(run("--db", tmp_path / "other.db", "import", inventory_file(tmp_path), "--dry-run"))
    assert "3 added, 0 updated, 0 unchanged (dry run: nothing was written)" in dry.stdout
    assert not (tmp_path / "other.db").exists() and not list(tmp_path.glob("other.db*"))


# ---- diff and schema -------------------------------------------------------------------------------


def test_diff_between_a_snapshot_and_a_portfolio(db: Path, tmp_path: Path) -> None:
    snap = tmp_path / "q3.json"
    ok(run("--db", db, "export", "-o", snap))
    ok(run("--db", db, "set-coverage", "DCS-004", "access.roles", "met"))
    ok(run("--db", db, "promote", "DCS-001", "--to", "poc"))
    text = ok(run("diff", snap, db)).stdout
    assert "stage moves (1)\n  DCS-001  FOIA Redaction Assistant: intake → poc" in text
    assert "DCS-004  access.roles: partial → met (better)" in text
    markdown = ok(run("diff", snap, db, "--format", "markdown")).stdout
    assert (
        markdown.startswith("# What moved")
        and "| DCS-001 | FOIA Redaction Assistant | Intake | Proof of concept |" in markdown
    )
    data = json.loads(ok(run("diff", snap, db, "--format", "json")).stdout)
    assert data["summary"]["stage_moves"] == 1 and data["summary"]["coverage_changes"] == 1


def test_diff_errors_are_one_line(db: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    fails(run("diff", bad, db), 1, "bad.json:1:2: not valid JSON")
    fails(run("diff", tmp_path / "missing.json", db), 1, "missing.json: cannot read")
    not_db = tmp_path / "x.db"
    not_db.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    fails(run("diff", not_db, db), 1, "x.db")


def test_schema_command_prints_the_committed_schema() -> None:
    printed = ok(run("schema")).stdout
    assert printed == schema_text() == (DOCS / "snapshot.schema.json").read_text(encoding="utf-8")


# ---- atomic files ----------------------------------------------------------------------------------


def test_atomic_write_never_leaves_half_a_file(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_output(target, force=True) as out:
        out.write(b"new, half")
        raise RuntimeError("disk trouble")
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path) == []
    write_atomic(target, b"new", force=True)
    assert target.read_bytes() == b"new" and stat.S_IMODE(target.stat().st_mode) == 0o600
    with pytest.raises(FileWriteError, match="exists already"):
        write_atomic(target, b"other")
    assert target.read_bytes() == b"new"


def test_atomic_write_does_not_replace_a_file_that_appears_meanwhile(tmp_path: Path) -> None:
    target = tmp_path / "race.json"
    with pytest.raises(FileWriteError, match="exists already"), atomic_output(target) as out:
        out.write(b"mine")
        target.write_bytes(b"theirs")  # another program wrote the name while we were writing
    assert target.read_bytes() == b"theirs"
    assert leftovers(tmp_path) == []


def test_atomic_write_reports_an_unwritable_folder(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        with pytest.raises(FileWriteError, match="cannot write in"):
            write_atomic(folder / "x.json", b"{}")
    finally:
        folder.chmod(0o700)


def test_progress_bar_is_off_without_a_terminal() -> None:
    with commands.progress_bar("export") as progress:
        assert progress is None
