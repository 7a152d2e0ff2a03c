"""`send`, `init --from`, `bundle` and `merge` from the command line: the workflow of a CAIO and an office,
and each error path in one line with its exit code (2 for a bad file or value, 1 otherwise)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result

from helpers.cli import ok, run

GMO = "Grants Management Office"


def fails(result: Result, code: int, message: str) -> None:
    assert result.exit_code == code, (result.output, result.exception)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("caio-tui: error: ") and message in lines[0], result.stderr
    assert "Traceback" not in result.output


@pytest.fixture
def caio(tmp_path: Path) -> Path:
    path = tmp_path / "caio.db"
    ok(run("--db", path, "init", "--sample", "civilian-agency"))
    return path


@pytest.fixture
def office(caio: Path, tmp_path: Path) -> Path:
    """The Grants Management Office's portfolio, opened from a send."""
    sent = json.loads(ok(run("--db", caio, "send", "--office", GMO, "-o", tmp_path / "send.json", "--json")))
    assert sent["office"] == GMO and sent["pilots"] == 4
    path = tmp_path / "gmo.db"
    assert f"with 4 pilot(s) of {GMO} from send {sent['send_id']}" in ok(
        run("--db", path, "init", "--from", tmp_path / "send.json")
    )
    return path


def test_an_office_s_changes_come_back_through_a_bundle(caio: Path, office: Path, tmp_path: Path) -> None:
    ok(run("--db", office, "set-coverage", "DCS-005", "access.roles", "met", "--evidence", "role matrix"))
    ok(run("--db", office, "promote", "DCS-013", "--override", "the office is sure"))
    ok(run("--db", caio, "set-coverage", "DCS-007", "access.roles", "partial"))
    ok(run("--db", office, "set-coverage", "DCS-007", "access.roles", "met", "--evidence", "role list"))
    carried = json.loads(ok(run("--db", office, "bundle", "-o", tmp_path / "b.json", "--json")))
    assert carried["pilots"] == 3
    merged = ok(run("--db", caio, "merge", tmp_path / "b.json"))
    assert "1 change(s), 1 conflict(s), 1 stage request(s), 0 added" in merged
    assert merged.splitlines()[-1] == "waiting: 1 conflict(s), 1 stage request(s); see them with 'caio-tui conflicts'"
    again = json.loads(ok(run("--db", caio, "merge", tmp_path / "b.json", "--json")))
    assert again["already_merged"] and again["changes"] == 0
    history = ok(run("--db", caio, "history", "DCS-005"))
    assert "office_merge" in history and f"from the {GMO} (send " in history and "coverage access.roles" in history


def test_a_bundle_with_nothing_changed_says_so(office: Path, tmp_path: Path) -> None:
    assert "no changes" in ok(run("--db", office, "bundle", "-o", tmp_path / "b.json"))


def test_send_of_an_unknown_office_lists_the_offices(caio: Path, tmp_path: Path) -> None:
    fails(run("--db", caio, "send", "--office", "Nowhere", "-o", tmp_path / "s.json"), 2, f"offices: {GMO} (4)")
    assert not (tmp_path / "s.json").exists()


def test_send_and_bundle_do_not_replace_a_file_without_force(caio: Path, office: Path, tmp_path: Path) -> None:
    (tmp_path / "s.json").write_text("keep")
    fails(run("--db", caio, "send", "--office", GMO, "-o", tmp_path / "s.json"), 1, "exists already")
    assert (tmp_path / "s.json").read_text() == "keep"
    fails(run("--db", office, "bundle", "-o", tmp_path / "s.json"), 1, "exists already")
    assert (tmp_path / "s.json").read_text() == "keep"
    ok(run("--db", office, "bundle", "-o", tmp_path / "s.json", "--force"))
    assert '"kind": "bundle"' in (tmp_path / "s.json").read_text()


def test_init_from_refuses_a_file_that_is_not_a_send(office: Path, tmp_path: Path) -> None:
    ok(run("--db", office, "bundle", "-o", tmp_path / "b.json"))
    fails(run("--db", tmp_path / "x.db", "init", "--from", tmp_path / "b.json"), 1, "a bundle, not a send")
    (tmp_path / "junk.json").write_text("{}\n")
    fails(run("--db", tmp_path / "x.db", "init", "--from", tmp_path / "junk.json"), 1, "junk.json")
    fails(run("--db", tmp_path / "x.db", "init", "--from", tmp_path / "b.json", "--sample", "x"), 2, "give one")
    assert not (tmp_path / "x.db").exists()


def test_bundle_in_a_portfolio_that_was_not_sent_is_refused(caio: Path, tmp_path: Path) -> None:
    fails(run("--db", caio, "bundle", "-o", tmp_path / "b.json"), 1, "not an office's portfolio")
    assert not (tmp_path / "b.json").exists()


def test_merge_refuses_a_tampered_bundle_a_send_and_a_missing_file(caio: Path, office: Path, tmp_path: Path) -> None:
    ok(run("--db", office, "set-coverage", "DCS-005", "access.roles", "met", "--evidence", "role list"))
    ok(run("--db", office, "bundle", "-o", tmp_path / "b.json"))
    text = (tmp_path / "b.json").read_text()
    (tmp_path / "b.json").write_text(text.replace('"met"', '"gap"', 1))
    fails(
        run("--db", caio, "merge", tmp_path / "b.json"),
        1,
        "not the ones sealed; nothing was merged; ask the office for a new bundle",
    )
    fails(run("--db", caio, "merge", tmp_path / "send.json"), 1, "a send, not a bundle")
    fails(run("--db", caio, "merge", tmp_path / "none.json"), 1, "cannot read")
    assert "office_merge" not in ok(run("--db", caio, "history"))


def test_send_finds_the_office_whatever_its_letter_case_and_suggests_close_names(caio: Path, tmp_path: Path) -> None:
    assert f"of {GMO}" in ok(run("--db", caio, "send", "--office", GMO.lower(), "-o", tmp_path / "a.json"))
    fails(run("--db", caio, "send", "--office", "Grants", "-o", tmp_path / "b.json"), 2, f"did you mean {GMO!r}?")


def test_init_from_onto_an_existing_file_says_what_to_do(office: Path, tmp_path: Path) -> None:
    fails(run("--db", office, "init", "--from", tmp_path / "send.json"), 1, "another --db path, or delete the file")


def test_sends_and_merges_are_refused_in_an_office_s_portfolio(office: Path, tmp_path: Path) -> None:
    ok(run("--db", office, "set-coverage", "DCS-005", "access.roles", "met", "--evidence", "role list"))
    ok(run("--db", office, "bundle", "-o", tmp_path / "b.json"))
    fails(run("--db", office, "merge", tmp_path / "b.json"), 1, "merge its bundle in the CAIO's portfolio")
    fails(
        run("--db", office, "send", "--office", GMO, "-o", tmp_path / "s.json"),
        1,
        f"this is the portfolio of the {GMO} ",
    )


def test_a_bundle_re_saved_by_another_program_is_named_so(caio: Path, office: Path, tmp_path: Path) -> None:
    ok(run("--db", office, "bundle", "-o", tmp_path / "b.json"))
    lines = (tmp_path / "b.json").read_text().splitlines()
    raw = json.loads("\n".join(lines[:-2]).rstrip().removesuffix(",") + "}")  # the digest line aside
    (tmp_path / "b4.json").write_text(json.dumps(raw, indent=4))
    fails(run("--db", caio, "merge", tmp_path / "b4.json"), 1, "not laid out as caio-tui writes office files")


def test_schema_office_describes_both_kinds_of_office_file() -> None:
    schema = json.loads(ok(run("schema", "--office")))
    assert [kind["title"].split(" (")[0] for kind in schema["oneOf"]] == [
        "caio-tui office send",
        "caio-tui office bundle",
    ]
