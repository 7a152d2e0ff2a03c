"""`caio-tui cots`, `import` of a COTS file and `export --format omb-cots`: outputs and every error path."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from caio_tui.cli import cli
from helpers import REPO

EXCERPT = REPO / "tests" / "data" / "omb" / "cots_2025_excerpt.csv"


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_import_list_and_export_round_trip(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    imported = run("--db", db, "import", EXCERPT)
    assert imported.exit_code == 0, imported.output
    assert "omb-cots: 80 commercial AI use rows of 4 agencies imported" in imported.stdout
    assert "agency name not in the agency map" in imported.stderr
    listed = json.loads(run("--db", db, "cots", "--agency", "CSOSA", "--json").stdout)
    assert len(listed["uses"]) == 20 and listed["uses"][0]["agency_abbreviation"] == "CSOSA"
    blank = json.loads(run("--db", db, "cots", "--agency", "OPM", "--json").stdout)
    assert None in {u["in_use"] for u in blank["uses"]}  # blank stays unknown, never "N"
    table = run("--db", db, "cots", "--agency", "all")
    assert table.exit_code == 0 and "standard uses" in table.stdout
    out = tmp_path / "back.csv"
    assert run("--db", db, "export", "--format", "omb-cots", "-o", out).exit_code == 0
    assert out.read_bytes() == EXCERPT.read_bytes()


def test_errors_are_one_line(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    assert run("--db", db, "init").exit_code == 0
    none = run("--db", db, "cots")
    assert none.exit_code == 1 and "no consolidated COTS file imported" in none.stderr
    no_export = run("--db", db, "export", "--format", "omb-cots")
    assert no_export.exit_code == 1 and "no consolidated COTS file imported" in no_export.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("agency,use_case_name\nDHS,x\n")
    refused = run("--db", db, "import", "--format", "omb-cots", bad)
    assert refused.exit_code == 1 and "not a consolidated COTS file" in refused.stderr
    assert run("--db", db, "import", EXCERPT).exit_code == 0
    unknown = run("--db", db, "cots", "--agency", "XYZ")
    assert unknown.exit_code == 1 and "is not in the COTS file" in unknown.stderr
    dry = run("--db", db, "import", "--dry-run", EXCERPT)
    assert "dry run: nothing was written" in dry.stdout
