"""`caio-tui merge FILE...`: several bundles merged in order, a line each as it is committed; the first
refused stops the merge in one line naming what was merged before it and what was not (exit 2); `--json`
an object for one file, a list for several."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers.cli import ok, run

GMO = "Grants Management Office"
OHC = "Office of Human Capital"


@pytest.fixture
def bundles(tmp_path: Path) -> tuple[Path, list[Path]]:
    """The CAIO's portfolio and three bundles: two of the GMO's send (in chain order) and the OHC's."""
    caio = tmp_path / "caio.db"
    ok(run("--db", caio, "init", "--sample", "civilian-agency"))
    for office, name in ((GMO, "gmo"), (OHC, "ohc")):
        ok(run("--db", caio, "send", "--office", office, "-o", tmp_path / f"{name}-send.json"))
        ok(run("--db", tmp_path / f"{name}.db", "init", "--from", tmp_path / f"{name}-send.json"))
    files: list[Path] = []
    pilots = {name: json.loads(ok(run("--db", tmp_path / f"{name}.db", "list", "--json"))) for name in ("gmo", "ohc")}
    _covered(tmp_path / "gmo.db", pilots["gmo"][0]["id"], "Grants lead")
    ok(run("--db", tmp_path / "gmo.db", "bundle", "-o", tmp_path / "gmo-1.json"))
    _covered(tmp_path / "ohc.db", pilots["ohc"][0]["id"], "Tampered")
    ok(run("--db", tmp_path / "ohc.db", "bundle", "-o", tmp_path / "ohc.json"))
    _covered(tmp_path / "gmo.db", pilots["gmo"][1]["id"], "Grants deputy")
    ok(run("--db", tmp_path / "gmo.db", "bundle", "-o", tmp_path / "gmo-2.json"))
    files += [tmp_path / "gmo-1.json", tmp_path / "ohc.json", tmp_path / "gmo-2.json"]
    return caio, files


def _covered(office: Path, pilot_id: str, evidence: str) -> None:
    ok(run("--db", office, "set-coverage", pilot_id, "access.roles", "met", "--evidence", evidence))


def test_several_bundles_merge_in_order_a_line_each(bundles: tuple[Path, list[Path]]) -> None:
    caio, files = bundles
    lines = ok(run("--db", caio, "merge", *files)).splitlines()
    assert [line.split("'")[1] for line in lines] == [GMO, OHC, GMO]
    assert all(line.startswith("merged office ") for line in lines)
    assert "1 change(s)" in lines[2]  # the newer bundle of the send carries the first change again: merged
    again = json.loads(ok(run("--db", caio, "merge", *files, "--json")))
    assert isinstance(again, list) and [o["already_merged"] for o in again] == [True, True, True]
    one = json.loads(ok(run("--db", caio, "merge", files[0], "--json")))
    assert isinstance(one, dict) and one["office"] == GMO and one["already_merged"]


def test_the_first_refused_bundle_stops_the_merge_naming_what_merged(bundles: tuple[Path, list[Path]]) -> None:
    caio, files = bundles
    text = files[1].read_text()
    files[1].write_text(text.replace('"Tampered"', '"Someone else"', 1))  # the row no longer its seal's
    result = run("--db", caio, "merge", *files)
    assert result.exit_code == 2, result.output
    assert result.stdout.splitlines() == [line for line in result.stdout.splitlines() if GMO in line]
    assert len(result.stdout.splitlines()) == 1
    [error] = [line for line in result.stderr.splitlines() if line.strip()]
    assert error.startswith(f"caio-tui: error: {files[1]}: refused: pilot ")
    assert "its coverage rows in the bundle are not the ones sealed; nothing was merged" in error
    assert error.endswith(f"(merged before it: {files[0]}; not merged: {files[1]}, {files[2]})")
    as_json = run("--db", caio, "merge", *files[1:], "--json")
    assert as_json.exit_code == 2 and json.loads(as_json.stdout) == []
    assert "merged before it: none; not merged: " in as_json.stderr
    history = ok(run("--db", caio, "history"))
    assert history.count("office_merge") == 1


def test_merge_needs_a_file() -> None:
    result = run("merge")
    assert result.exit_code == 2 and "Missing argument 'FILE...'" in result.output
