"""`caio-tui merge FILE...`: several bundles merged in order, a line each as it is committed; the first
refused stops the merge in one line naming what was merged before it and what was not (exit 1); `--json`
an object for one file, a list for several."""

from __future__ import annotations

import json
import sqlite3
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
    assert [line.split(": merged office ")[0] for line in lines] == [str(f) for f in files]  # each names its file
    assert "1 change(s)" in lines[2]  # the newer bundle of the send carries the first change again: merged
    again = json.loads(ok(run("--db", caio, "merge", *files, "--json")))
    assert isinstance(again, list) and [o["already_merged"] for o in again] == [True, True, True]
    assert [o["file"] for o in again] == [str(f) for f in files]
    one = json.loads(ok(run("--db", caio, "merge", files[0], "--json")))
    assert isinstance(one, dict) and one["office"] == GMO and one["already_merged"]


def test_the_first_refused_bundle_stops_the_merge_naming_what_merged(bundles: tuple[Path, list[Path]]) -> None:
    caio, files = bundles
    text = files[1].read_text()
    files[1].write_text(text.replace('"Tampered"', '"Someone else"', 1))  # the row no longer its seal's
    result = run("--db", caio, "merge", *files)
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines() == [line for line in result.stdout.splitlines() if GMO in line]
    assert len(result.stdout.splitlines()) == 1
    [error] = [line for line in result.stderr.splitlines() if line.strip()]
    assert error.startswith(f"caio-tui: error: {files[1]}: refused: pilot ")
    assert "its coverage rows in the bundle are not the ones sealed; nothing of it was merged" in error
    assert error.endswith(f"(merged before it: {files[0]}; not merged: {files[1]}, {files[2]})")
    as_json = run("--db", caio, "merge", *files[1:], "--json")
    assert as_json.exit_code == 1 and json.loads(as_json.stdout) == []
    assert "merged before it: none; not merged: " in as_json.stderr
    history = ok(run("--db", caio, "history"))
    assert history.count("office_merge") == 1


def test_an_older_bundle_among_several_is_passed_over_and_the_rest_merge(bundles: tuple[Path, list[Path]]) -> None:
    """A folder of an office's bundles names the older ones too, in any order: the newer merged first, the
    older says it changes nothing, and the next office's bundle still merges."""
    caio, files = bundles
    older, ohc, newer = files
    lines = ok(run("--db", caio, "merge", newer, older, ohc)).splitlines()
    assert lines[0].startswith(f"{newer}: merged office ")
    assert lines[1].startswith(f"{older}: bundle ") and "is older than bundle" in lines[1]
    assert lines[1].endswith("which carried the office's changes since; nothing changed")
    assert lines[2].startswith(f"{ohc}: merged office '{OHC}'")
    history = ok(run("--db", caio, "history"))
    assert history.count("office_merge") == 2


@pytest.mark.parametrize("bad", ["missing.json", "folder", "gmo-send.json"])
def test_every_file_is_checked_before_the_first_merges(bundles: tuple[Path, list[Path]], bad: str) -> None:
    caio, files = bundles
    (files[0].parent / "folder").mkdir()
    result = run("--db", caio, "merge", *files, files[0].parent / bad)
    assert result.exit_code == 1, result.output
    [error] = [line for line in result.stderr.splitlines() if line.strip()]
    assert error.startswith(f"caio-tui: error: {files[0].parent / bad}: ")
    assert "(merged before it: none; not merged: " in error
    assert "office_merge" not in ok(run("--db", caio, "history"))


def test_a_bundle_stopped_by_the_portfolio_itself_names_what_merged_before_it(
    bundles: tuple[Path, list[Path]],
) -> None:
    """Not only a refused file: a row of the OHC's pilot changed outside caio-tui stops its merge (the seal),
    after the GMO's bundle merged; the line says so, and --json lists the merged one."""
    caio, files = bundles
    with sqlite3.connect(caio) as outside:
        pilot = json.loads(ok(run("--db", files[1].parent / "ohc.db", "list", "--json")))[0]["id"]
        outside.execute("UPDATE pilot SET name = name || ' (typed in)' WHERE id = ?", (pilot,))
    outside.close()
    result = run("--db", caio, "merge", *files, "--json")
    assert result.exit_code == 1, result.output
    assert [o["file"] for o in json.loads(result.stdout)] == [str(files[0])]
    [error] = [line for line in result.stderr.splitlines() if line.strip()]
    assert f"pilot {pilot}: changed outside caio-tui" in error and "nothing was changed" not in error
    assert error.endswith(f"(merged before it: {files[0]}; not merged: {files[1]}, {files[2]})")


def test_merge_needs_a_file() -> None:
    result = run("merge")
    assert result.exit_code == 2 and "Missing argument 'FILE...'" in result.output
