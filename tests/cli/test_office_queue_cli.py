"""`caio-tui conflicts [--json]` and `caio-tui resolve`: what office bundles left waiting, settled
headless; and every error path in one line (exit 2 for bad input, 1 for what the portfolio refuses)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from caio_tui.store import Portfolio
from helpers import NOW
from helpers.cli import ok, run
from helpers.offices import Waiting, merged_portfolio, seed_waiting


@pytest.fixture(scope="module")
def merged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return merged_portfolio(tmp_path_factory.mktemp("merged"))


@pytest.fixture
def path(merged: Path, tmp_path: Path) -> Path:
    """A copy of a portfolio where a real merge left conflicts 1-3 (see merged_portfolio) and request 1."""
    return Path(shutil.copy2(merged, tmp_path / "p.db"))


def _fails(result: object, words: str, code: int) -> None:
    assert result.exit_code == code, result.output  # type: ignore[attr-defined]
    lines = result.stderr.splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1 and words in lines[0], lines


def test_conflicts_lists_each_side_by_side_and_the_requests(path: Path) -> None:
    out = ok(run("--db", path, "conflicts"))
    assert "#3 P-1 Claims [red]triage · owner · the Office of Benefits" in out
    assert "    base: Ann\n    CAIO: Bo\n    office: Cy" in out
    assert "#1 P-1 Claims [red]triage · coverage access.roles · the Office of Benefits" in out
    assert "    base: not_assessed\n    CAIO: gap\n    office: met: IAM catalog" in out
    assert "#1 P-2 Fraud screening: the Office of Benefits asks Intake → Proof of concept" in out


def test_conflicts_json_holds_the_three_values(path: Path) -> None:
    data = json.loads(ok(run("--db", path, "conflicts", "--json")))
    assert data["conflicts"][0]["office"] == {"status": "met", "evidence": "IAM catalog", "justification": ""}
    assert (data["conflicts"][2]["field"], data["conflicts"][2]["caio"]) == ("owner", "Bo")
    assert (data["requests"][0]["requested"], data["requests"][0]["note"]) == ("poc", "")


def test_conflicts_says_how_to_settle_a_conflict(path: Path) -> None:
    out = ok(run("--db", path, "conflicts"))
    assert "'caio-tui resolve ID --take caio|office' or 'caio-tui resolve ID --value TEXT'" in out


def test_an_edited_met_needs_evidence_and_the_offices_met_needs_its_own(path: Path) -> None:
    _fails(run("--db", path, "resolve", "1", "--value", "met"), "access.roles: met needs evidence", 2)
    assert "set an edited value (met: IAM review)" in ok(
        run("--db", path, "resolve", "1", "--value", "met: IAM review")
    )


def test_taking_the_offices_side_credits_the_office_and_the_chooser(path: Path) -> None:
    ok(run("--db", path, "resolve", "1", "--take", "office"))
    with Portfolio.open(path, actor="tester") as p:
        coverage = p.record("P-1").coverage["access.roles"]
    assert coverage.updated_by.startswith("office Office of Benefits (chosen by ")


def test_an_empty_queue_says_where_conflicts_come_from(tmp_path: Path, path: Path) -> None:
    fresh = tmp_path / "fresh.db"
    ok(run("--db", fresh, "init"))
    assert "no bundle merged yet: an office's changes arrive with 'caio-tui merge FILE'" in ok(
        run("--db", fresh, "conflicts")
    )
    for conflict in ("1", "2", "3"):
        ok(run("--db", path, "resolve", conflict, "--take", "caio"))
    ok(run("--db", path, "resolve", "--request", "1", "--decline"))
    assert "nothing waits" in ok(run("--db", path, "conflicts"))
    assert json.loads(ok(run("--db", path, "conflicts", "--json"))) == {"conflicts": [], "requests": []}


def test_resolve_takes_a_side_or_a_value_checked_as_the_fields_type(path: Path) -> None:
    assert "took the value of the Office of Benefits (Cy)" in ok(run("--db", path, "resolve", "3", "--take", "office"))
    ok(run("--db", path, "resolve", "1", "--value", "partial: roles drafted"))
    ok(run("--db", path, "resolve", "2", "--value", "agreed in the review"))
    shown = json.loads(ok(run("--db", path, "show", "P-1", "--json")))
    assert (shown["owner"], shown["description"]) == ("Cy", "agreed in the review")
    assert ok(run("--db", path, "undo")).startswith("undid a conflict decision: conflict 2, description of P-1")
    assert json.loads(ok(run("--db", path, "show", "P-1", "--json")))["description"] == "ours"
    assert "#2 P-1" in ok(run("--db", path, "conflicts"))
    ok(run("--db", path, "verify"))


def test_resolve_a_request_moves_through_the_gate_or_exits_3_with_the_failed_rules(path: Path) -> None:
    assert "moved P-2 Intake → Proof of concept" in ok(run("--db", path, "resolve", "--request", "1", "--move"))
    with Portfolio.open(path, actor="tester", clock=lambda: NOW) as p:
        (rid,) = seed_waiting(p, Waiting().request("P-2", "poc", "production"), head="d" * 64)[1]  # a 2nd bundle
    refused = run("--db", path, "resolve", "--request", str(rid), "--move")
    assert refused.exit_code == 3 and "the gate into production refused P-2" in refused.stderr
    _fails(run("--db", path, "resolve", "--request", str(rid), "--move", "--override", "short"), "at least 20", 1)
    ok(run("--db", path, "resolve", "--request", str(rid), "--move", "--override", "the office runs it under an ATO"))


@pytest.mark.parametrize(
    ("args", "words", "code"),
    [
        (("resolve", "9", "--take", "office"), "no conflict 9; nothing was changed", 1),
        (("resolve", "--request", "9", "--move"), "no stage request 9; nothing was changed", 1),
        (("resolve", "1", "--value", "done"), "access.roles: 'done' is not a coverage status", 2),
        (("resolve", "--take", "caio"), "give a conflict ID or --request ID", 2),
        (("resolve", "1"), "give --take caio|office or --value TEXT", 2),
        (("resolve", "1", "--take", "caio", "--value", "x"), "give --take caio|office or --value TEXT", 2),
        (("resolve", "1", "--move"), "use --request ID", 2),
        (("resolve", "--request", "1"), "give --move or --decline", 2),
        (("resolve", "--request", "1", "--decline", "--override", "x"), "--override goes with --move", 2),
        (("resolve", "--request", "1", "--take", "caio"), "settle a conflict, not a stage request", 2),
        (("resolve", "1", "--take", "both"), "Invalid value for '--take'", 2),
    ],
)
def test_every_bad_input_is_refused_in_one_line(path: Path, args: tuple[str, ...], words: str, code: int) -> None:
    result = run("--db", path, *args)
    if "Invalid value" in words:  # click's own usage error: its usage lines, then the one line that says why
        assert result.exit_code == 2 and words in result.stderr
        return
    _fails(result, words, code)


def test_a_settled_conflict_or_request_is_refused_by_name(path: Path) -> None:
    ok(run("--db", path, "resolve", "1", "--take", "caio"))
    _fails(
        run("--db", path, "resolve", "1", "--take", "office"),
        "conflict 1 was already resolved: took the CAIO's value (by tester, 20",
        1,
    )
    ok(run("--db", path, "resolve", "--request", "1", "--decline"))
    _fails(
        run("--db", path, "resolve", "--request", "1", "--move"), "stage request 1 was already decided: declined (by", 1
    )


def test_the_app_opens_on_a_view_that_exists_only(path: Path) -> None:
    _fails(run("--db", path, "--view", "nope"), "no view 'nope'; views: portfolio, pipeline", 2)


def test_the_offices_note_and_conflicts_a_later_bundle_closed(tmp_path: Path) -> None:
    """W6: the office's words for its move are shown; W9: a conflict a later bundle superseded, or one the
    office now agrees on, is refused in one line that says so."""
    from caio_tui.domain.pilots import PilotFields
    from caio_tui.domain.stages import Stage
    from caio_tui.io.offices import merge_file
    from helpers.office_files import bundle, office_portfolio, opened

    path = tmp_path / "caio.db"
    with opened(path, create=True) as caio:
        for pid in ("P-1", "P-2"):
            caio.add_pilot(PilotFields(name=f"Pilot {pid}", office="Office A", owner="Ann"), pilot_id=pid)
        with office_portfolio(caio, "Office A", tmp_path) as office:
            caio.edit_pilot("P-1", owner="CAIO 1")
            caio.edit_pilot("P-2", owner="CAIO 2")
            office.edit_pilot("P-1", owner="Office 1")
            office.edit_pilot("P-2", owner="Office 2")
            office.move("P-1", Stage.PRODUCTION, override="the office thinks it is ready")
            merge_file(caio, bundle(office, tmp_path, "b1.json"), source="b1.json")
            office.edit_pilot("P-1", owner="Office 1 again")
            office.edit_pilot("P-2", owner="CAIO 2")
            merge_file(caio, bundle(office, tmp_path, "b2.json"), source="b2.json")
    out = ok(run("--db", path, "conflicts"))
    assert "    its note: the office thinks it is ready" in out
    assert json.loads(ok(run("--db", path, "conflicts", "--json")))["requests"][0]["note"] == (
        "the office thinks it is ready"
    )
    _fails(run("--db", path, "resolve", "1", "--take", "office"), "conflict 1 was superseded by bundle ", 1)
    _fails(run("--db", path, "resolve", "1", "--take", "office"), "'s conflict #3", 1)
    _fails(run("--db", path, "resolve", "2", "--take", "office"), "the office now agrees with the CAIO's value", 1)


def test_show_says_what_waits_for_a_pilot(path: Path) -> None:
    assert "3 conflicts from the Office of Benefits wait: see 'caio-tui conflicts'" in ok(
        run("--db", path, "show", "P-1")
    )
    assert "a stage request from the Office of Benefits waits" in ok(run("--db", path, "show", "P-2"))
