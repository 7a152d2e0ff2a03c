"""`caio-tui lint` and `caio-tui settings agency`: the report's three forms (Markdown against a golden
file), exit codes, bad input, and the agency setting the OMB export writes."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from caio_tui.cli import cli

FIXTURE = Path(__file__).parents[1] / "data" / "omb" / "inventory_2025.csv"
GOLDEN = Path(__file__).parents[1] / "data" / "golden" / "lint.md"


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], env={"COLUMNS": "160"})


def fails(result: Result, code: int, message: str) -> None:
    assert result.exit_code == code, (result.output, result.exception)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("caio-tui: error: ") and message in lines[0], result.stderr


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "agency.db"
    assert run("--db", path, "init").exit_code == 0
    assert run("--db", path, "import", FIXTURE).exit_code == 0
    return path


def test_a_clean_portfolio_exits_0(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    run("--db", path, "init")
    result = run("--db", path, "lint")
    assert result.exit_code == 0 and "No findings on 0 use case(s)" in result.stdout


def test_findings_exit_1_in_every_form(db: Path) -> None:
    text = run("--db", db, "lint")
    assert text.exit_code == 1
    assert "DHS-7 · Cargo Image Search" in text.stdout
    assert "have_ato                 invalid-answer: 'Maybe' is not one of the 2 valid selections" in text.stdout
    data = json.loads(run("--db", db, "lint", "--format", "json").stdout)
    assert data["agency"] == {"abbr": "DHS", "name": "Department of Homeland Security"}
    assert data["errors"] + data["warnings"] == len(data["findings"]) > 0
    first = data["findings"][0]
    assert set(first) == {"pilot", "use_case_id", "name", "column", "severity", "kind", "why"}
    kinds = {f["kind"] for f in data["findings"]}
    assert {"required-blank", "invalid-answer", "practice-in-progress"} <= kinds


def test_markdown_matches_the_golden_file(db: Path) -> None:
    result = run("--db", db, "lint", "--format", "markdown")
    assert result.exit_code == 1
    if os.environ.get("CAIO_UPDATE_GOLDEN"):
        GOLDEN.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == GOLDEN.read_text(encoding="utf-8")


def test_bad_input_is_one_line_and_exit_2(db: Path) -> None:
    fails(run("--db", db, "lint", "--format", "xml"), 2, "unknown lint format 'xml'")
    fails(run("--db", db, "settings", "agency", "--clear", "--abbr", "GSA"), 2, "--clear sets nothing else")
    fails(run("--db", db, "settings", "agency", "--name", "x" * 201), 2, "longer than 200 characters")
    fails(run("--db", db, "settings", "agency", "--abbr", "G\x1b[2JSA"), 2, "control characters")


def test_the_agency_setting_is_what_the_export_writes(db: Path, tmp_path: Path) -> None:
    shown = run("--db", db, "settings", "agency")
    assert (
        shown.stdout
        == "abbreviation: DHS (from the inventory)\nname: Department of Homeland Security (from the inventory)\n"
    )
    assert (
        run("--db", db, "settings", "agency", "--abbr", "CBP", "--name", "Customs and Border Protection").exit_code == 0
    )
    assert json.loads(run("--db", db, "settings", "agency", "--json").stdout)["abbr"] == {
        "value": "CBP",
        "source": "setting",
    }
    out = tmp_path / "out.csv"
    assert run("--db", db, "export", "--format", "omb-2025", "-o", out).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert {(r["agency"], r["agency_name"]) for r in rows} == {("CBP", "Customs and Border Protection")}
    history = run("--db", db, "history", "--json")
    assert "agency" in history.stdout
    assert run("--db", db, "settings", "agency", "--clear").exit_code == 0
    assert "abbreviation: DHS (from the inventory)" in run("--db", db, "settings", "agency").stdout


def test_no_agency_when_the_inventory_s_rows_disagree(tmp_path: Path) -> None:
    path = tmp_path / "two.db"
    run("--db", path, "init")
    source = FIXTURE.read_text(encoding="utf-8-sig").replace(
        "DHS,Department of Homeland Security,DHS-8", "GSA,General Services Administration,GSA-8", 1
    )
    other = tmp_path / "two.csv"
    other.write_text(source, encoding="utf-8")
    assert "GSA-8" in source
    run("--db", path, "import", other)
    assert run("--db", path, "settings", "agency").stdout == "abbreviation: not set\nname: not set\n"
