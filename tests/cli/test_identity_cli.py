"""`caio-tui idp`: import, apps, link/unlink, suggest, review, accept, reject, rules; and their error paths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from caio_tui.domain.pilots import PilotFields
from caio_tui.store import Portfolio
from helpers import DATA, NOW, idp
from helpers.cli import ok, run

SYSLOG = DATA / "idp" / "okta-system-log.json"


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """A portfolio with one pilot, the Okta assistant's exports imported (built in process)."""
    db = tmp_path / "p.db"
    with Portfolio.open(db, actor="tester", create=True, clock=lambda: NOW) as portfolio:
        portfolio.add_pilot(PilotFields(name="Benefits assistant", owner="Ann"), pilot_id="P-1")
        portfolio.import_identity([idp.shared_assignments(), idp.okta_apps()])
    return db


def _fails(result: object, words: str, code: int = 1) -> None:
    assert result.exit_code == code, result.output  # type: ignore[attr-defined]
    assert words in result.stderr  # type: ignore[attr-defined]


def test_import_reads_a_file_and_the_same_file_again_changes_nothing(path: Path) -> None:
    out = ok(run("--db", path, "idp", "import", SYSLOG))
    assert "okta-system-log.json: okta-system-log, 7 records: 1 person, 4 sign-in events" in out
    assert "skipped record 6: not a LogEvent" in out
    again = json.loads(ok(run("--db", path, "idp", "import", SYSLOG, "--json")))
    assert again["files"][0]["already"] is True and again["event_id"] is None


def test_a_file_of_unknown_shape_imports_nothing(path: Path, tmp_path: Path) -> None:
    odd = tmp_path / "odd.json"
    odd.write_text('[{"colour": "blue"}]')
    _fails(run("--db", path, "idp", "import", SYSLOG, odd), "odd.json")
    assert "nothing was imported" in run("--db", path, "idp", "import", SYSLOG, odd).stderr
    assert "Grants Assistant" not in ok(run("--db", path, "idp", "apps"))
    _fails(run("--db", path, "idp", "import", tmp_path / "absent.csv"), "no such file")


def test_apps_link_review_accept_and_undo(path: Path) -> None:
    assert "okta 0oa1assist  Benefits Assistant: 3 assignments" in ok(run("--db", path, "idp", "apps"))
    assert "1.00  P-1 ← okta 0oa1assist" in ok(run("--db", path, "idp", "suggest"))
    assert "proposal(s) waiting" in ok(run("--db", path, "idp", "link", "P-1", "benefits assistant"))
    assert json.loads(ok(run("--db", path, "idp", "apps", "--json")))[0]["pilots"] == ["P-1"]
    queue = json.loads(ok(run("--db", path, "idp", "review", "--rule", "shared-account", "--json")))
    assert [p["finding"]["target"] for p in queue] == ["access.governed_iam", "shared-service-account"]
    listed = ok(run("--db", path, "idp", "review", "--pilot", "P-1")).splitlines()
    assert any(line.startswith("    ") and "svc-benefits" in line for line in listed)  # the facts, a line below
    assert "⏎" not in "".join(listed)
    assert "#1 accepted: applied" in ok(run("--db", path, "idp", "accept", str(queue[0]["id"])))
    assert "accepted 1 proposal(s) of rule shared-account" in ok(
        run("--db", path, "idp", "accept", "--rule", "shared-account")
    )
    shown = json.loads(ok(run("--db", path, "show", "P-1", "--json")))
    assert "shared-service-account" in json.dumps(shown)
    ok(run("--db", path, "undo"))
    assert len(json.loads(ok(run("--db", path, "idp", "review", "--json")))) >= 1
    ok(run("--db", path, "verify"))


def test_reject_and_the_errors_of_deciding(path: Path) -> None:
    ok(run("--db", path, "idp", "link", "P-1", "0oa1assist", "--vendor", "okta"))
    first = json.loads(ok(run("--db", path, "idp", "review", "--json")))[0]["id"]
    assert "rejected 1 proposal(s)" in ok(run("--db", path, "idp", "reject", str(first)))
    _fails(run("--db", path, "idp", "reject", str(first)), "already rejected")
    _fails(run("--db", path, "idp", "accept", "999"), "no identity proposal 999")
    _fails(run("--db", path, "idp", "accept"), "give proposal numbers or --rule", code=2)
    _fails(run("--db", path, "idp", "accept", "--rule", "guess"), "unknown identity rule 'guess'", code=2)
    _fails(run("--db", path, "idp", "link", "P-1", "nothing-like-it"), "no application 'nothing-like-it'")
    _fails(run("--db", path, "idp", "link", "P-9", "0oa1assist"), "no pilot with id 'P-9'")
    _fails(run("--db", path, "idp", "link", "P-1", "0oa1assist"), "already linked")
    assert "unlinked" in ok(run("--db", path, "idp", "unlink", "P-1", "0oa1assist"))
    _fails(run("--db", path, "idp", "unlink", "P-1", "0oa1assist"), "not linked")


def test_rules_show_and_load(path: Path, tmp_path: Path) -> None:
    text = ok(run("--db", path, "idp", "rules", "show", "--toml"))
    assert "shared_devices = 5" in text
    assert "identity rules version 0" in ok(run("--db", path, "idp", "rules", "show"))
    mine = tmp_path / "rules.toml"
    mine.write_text(text.replace("shared_devices = 5", "shared_devices = 3"))
    assert "valid (7 rules)" in ok(run("--db", path, "idp", "rules", "load", mine, "--check"))
    assert "identity rules version 1" in ok(run("--db", path, "idp", "rules", "load", mine))
    assert json.loads(ok(run("--db", path, "idp", "rules", "show", "--json")))["thresholds"]["shared_devices"] == 3
    assert "unchanged" in ok(run("--db", path, "idp", "rules", "load", mine))
    mine.write_text(text.replace("no-deprovisioning", "no-such-tag"))
    _fails(run("--db", path, "idp", "rules", "load", mine), "unknown blocker tag 'no-such-tag'", code=2)
    mine.write_text("thresholds = 3")
    _fails(run("--db", path, "idp", "rules", "load", mine), "[thresholds] must be a table", code=2)


def test_a_failed_import_writes_nothing_not_even_the_key(path: Path, tmp_path: Path) -> None:
    odd = tmp_path / "odd.json"
    odd.write_text('[{"colour": "blue"}]')
    with Portfolio.open(path, actor="tester") as portfolio:
        events = len(portfolio.history())
    _fails(run("--db", path, "idp", "import", SYSLOG, odd), "nothing was imported")
    with Portfolio.open(path, actor="tester") as portfolio:
        assert len(portfolio.history()) == events and portfolio.meta("identity_secret") is None
    ok(run("--db", path, "idp", "import", SYSLOG))
    with Portfolio.open(path, actor="tester") as portfolio:
        assert [e.action for e in portfolio.history()][-2:] == ["idp.key", "idp.import"]


def test_an_import_with_another_keep_identities_setting_is_refused(path: Path) -> None:
    _fails(run("--db", path, "idp", "import", SYSLOG, "--keep-identities"), "--keep-identities")


def test_an_empty_review_says_where_proposals_come_from(path: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    ok(run("--db", empty, "init"))
    said = ok(run("--db", empty, "idp", "review"))
    assert said.splitlines() == [
        "no pending proposals",
        "no identity exports imported yet: 'caio-tui idp import FILE...', then 'caio-tui idp link PILOT APP'",
    ]
    unlinked = ok(run("--db", path, "idp", "review")).splitlines()  # exports imported, nothing linked
    assert unlinked[1].startswith("no application is linked to a pilot yet: 'caio-tui idp suggest'")
