"""The audit chain covers the state (issue 13, items 7 and 8): a row changed, added or deleted with another
program is named by `verify`; a write never launders such a change; a head noted outside the file (by hand,
in a snapshot, in the HTML briefing) proves the trail was not cut or re-hashed since."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from caio_tui.store import audit, seal, seal_digest
from helpers.cli import ok, run
from helpers.old_schema import as_version_3


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "agency.db"
    ok(run("--db", path, "init", "--sample", "civilian-agency"))
    ok(run("--db", path, "tag", "DCS-004", "skills-gap", "--note", "no ML ops"))
    ok(run("--db", path, "promote", "DCS-016"))
    return path


def shell(path: Path, *statements: str) -> None:
    """What someone with the file and the sqlite3 shell could do."""
    conn = sqlite3.connect(path)
    for sql in statements:
        conn.execute(sql)
    conn.commit()
    conn.close()


def verify_json(path: Path) -> tuple[int, dict[str, Any]]:
    result = run("--db", path, "verify", "--json")
    return result.exit_code, json.loads(result.stdout)


# Each: a direct edit of one state table, and the row verify must name.
EDITS = [
    ("UPDATE pilot SET stage = 'production', stage_pos = 4 WHERE id = 'DCS-016'", "pilot", "DCS-016", "changed"),
    (
        "UPDATE coverage SET status = 'met' WHERE pilot_id = 'DCS-004' AND item_id = 'access.roles'",
        "coverage",
        "DCS-004",
        "changed",
    ),
    ("DELETE FROM blocker WHERE pilot_id = 'DCS-004'", "blocker", "DCS-004", "deleted"),
    ("UPDATE stage_move SET actor = 'mallory' WHERE pilot_id = 'DCS-016'", "stage_move", "DCS-016", "changed"),
    ("UPDATE gate_rules SET rules = '{}'", "gate_rules", "1", "changed"),
    ("INSERT INTO blocker_tag (tag, category) VALUES ('sneaky', 'identity')", "blocker_tag", "sneaky", "added"),
    ("UPDATE framework SET position = 9", "framework", None, "changed"),
    ("DELETE FROM item WHERE id = 'access.roles'", "item", "access.roles", "deleted"),
    ("UPDATE meta SET value = 'Other agency' WHERE key = 'name'", "meta", "name", "changed"),
]


@pytest.mark.parametrize(("sql", "table", "group", "kind"), EDITS, ids=[e[1] for e in EDITS])
def test_verify_names_a_row_changed_added_or_deleted_outside_caio_tui(
    db: Path, sql: str, table: str, group: str | None, kind: str
) -> None:
    code, before = verify_json(db)
    assert code == 0 and before["state"]["holds"]
    shell(db, "PRAGMA foreign_keys = OFF", sql)
    code, after = verify_json(db)
    assert code == 1
    assert after["events_checked"] == before["events_checked"]  # the events themselves are intact
    assert after["head"] == before["head"]
    found = [r for r in after["state"]["rows"] if r["table"] == table]
    assert found, after["state"]
    assert all(r["kind"] == kind for r in found)
    if group is not None:
        assert group in {r["group"] for r in found}
    text = run("--db", db, "verify")
    assert text.exit_code == 1
    assert any(line.startswith("state: ") and "outside caio-tui" in line for line in text.stderr.splitlines())


def test_a_write_that_leaves_a_changed_pilot_s_row_as_it_is_is_refused_too(db: Path) -> None:
    """New evidence for a status that stays: no derived column of the pilot changes, so its row is not
    rewritten; the write is still refused, since the row was changed outside caio-tui."""
    shell(db, "UPDATE pilot SET owner = 'typed in' WHERE id = 'DCS-005'")
    with contextlib.closing(sqlite3.connect(db)) as conn:
        (item_id,) = conn.execute(
            "SELECT item_id FROM coverage WHERE pilot_id = 'DCS-005' AND status = 'met' LIMIT 1"
        ).fetchone()
    refused = run("--db", db, "set-coverage", "DCS-005", item_id, "met", "--evidence", "new words")
    assert refused.exit_code == 1
    assert "pilot DCS-005: changed outside caio-tui" in refused.stderr and "nothing was changed" in refused.stderr


def test_a_promotion_typed_into_the_shell_is_caught_and_not_laundered_by_a_later_write(db: Path) -> None:
    shell(db, "UPDATE pilot SET stage = 'production', stage_pos = 4 WHERE id = 'DCS-016'")
    text = run("--db", db, "verify")
    assert "state: pilot DCS-016: changed outside caio-tui" in text.stderr
    events = len(json.loads(ok(run("--db", db, "history", "--json"))))
    # A write that touches the changed pilot is refused, naming it, and changes nothing.
    refused = run("--db", db, "tag", "DCS-016", "skills-gap")
    assert refused.exit_code == 1
    assert "pilot DCS-016: changed outside caio-tui" in refused.stderr
    assert "nothing was changed" in refused.stderr
    assert len(json.loads(ok(run("--db", db, "history", "--json")))) == events
    # Work on other pilots goes on, and verify still names the changed one.
    ok(run("--db", db, "tag", "DCS-001", "skills-gap"))
    code, report = verify_json(db)
    assert code == 1 and [r["group"] for r in report["state"]["rows"]] == ["DCS-016"]


def test_rows_and_their_digests_rewritten_together_still_fail(db: Path) -> None:
    """Someone who knows the seal recomputes the pilot's digest too: the digests no longer add up to the
    state the newest event recorded (inside its hash)."""
    shell(db, "UPDATE pilot SET stage = 'production', stage_pos = 4 WHERE id = 'DCS-016'")
    conn = sqlite3.connect(db)
    seal_digest.put(conn, {("pilot", "DCS-016"): seal.group_digest(conn, "pilot", "DCS-016")})
    conn.commit()
    conn.close()
    code, report = verify_json(db)
    assert code == 1
    assert report["state"]["rows"] == []
    assert any("rewritten outside caio-tui" in p for p in report["state"]["problems"])


def test_every_kind_of_write_keeps_the_seal(db: Path, tmp_path: Path) -> None:
    steps = [
        ("add", "--name", "New pilot", "--office", "OCIO"),
        ("untag", "DCS-004", "skills-gap"),
        ("set-coverage", "DCS-004", "access.roles", "met", "--evidence", "RBAC in place"),
        ("demote", "DCS-016"),
        ("promote", "DCS-016", "--override", "pilot of record for the quarter, approved by the CAIO"),
        ("undo",),
        ("gates", "load", str(export_rules(db, tmp_path))),
    ]
    for step in steps:
        ok(run("--db", db, *step))
        code, report = verify_json(db)
        assert code == 0, (step, report)
    snapshot = tmp_path / "s.json"
    ok(run("--db", db, "export", "--format", "snapshot", "-o", snapshot))
    copy = tmp_path / "copy.db"
    ok(run("--db", copy, "import", snapshot))
    code, report = verify_json(copy)
    assert code == 0 and report["state"]["holds"]
    generated = tmp_path / "generated.db"
    ok(run("--db", generated, "generate", "--pilots", "200", "--seed", "3"))
    code, report = verify_json(generated)
    assert code == 0 and report["state"]["groups"] > 200


def export_rules(db: Path, tmp_path: Path) -> Path:
    """The portfolio's rules as a file, to load back as a new version."""
    path = tmp_path / "rules.toml"
    path.write_text(ok(run("--db", db, "gates", "show", "--toml")), encoding="utf-8")
    return path


def test_a_portfolio_from_before_the_seal_is_sealed_on_first_open(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    ok(run("--db", path, "init", "--sample", "civilian-agency"))
    as_version_3(path)
    history = json.loads(ok(run("--db", path, "history", "--json")))
    # Sealed first, then every pilot judged against its gates (new in schema 6), as a sealed write.
    assert [e["action"] for e in history[-2:]] == ["state.seal", "pilots.rederive"]
    code, report = verify_json(path)
    assert code == 0 and report["state"]["holds"]
    shell(path, "UPDATE pilot SET name = 'x' WHERE id = 'DCS-001'")
    assert verify_json(path)[0] == 1


# ---- anchors ---------------------------------------------------------------------------------------


def test_verify_prints_the_full_head_and_the_event_count(db: Path) -> None:
    out = ok(run("--db", db, "verify"))
    code, report = verify_json(db)
    assert code == 0
    assert len(report["head"]) == 64 and report["events"] == 4
    assert f"head {report['head']} (event 4)" in out.splitlines()


def test_a_noted_head_proves_the_trail_was_not_cut_or_rehashed(db: Path) -> None:
    _, report = verify_json(db)
    noted = report["head"]
    ok(run("--db", db, "tag", "DCS-001", "skills-gap"))
    out = ok(run("--db", db, "verify", "--head", noted))
    assert "is event 4; 1 event(s) since" in out
    ok(run("--db", db, "verify", "--head", noted[:16]))
    # Cut the tail back past the noted head: the rest of the chain still verifies, the note does not.
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM audit_event WHERE id >= 4")
    conn.commit()
    conn.close()
    cut = run("--db", db, "verify", "--head", noted)
    assert cut.exit_code == 1
    assert "is not in the audit trail: the trail was rewritten or cut after it was noted" in cut.stderr


def test_a_rehashed_trail_verifies_alone_but_not_against_a_noted_head(db: Path) -> None:
    _, report = verify_json(db)
    noted = report["head"]
    # Rewrite event 3's actor and re-hash every event from it on: a chain that verifies by itself.
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    conn.execute("UPDATE audit_event SET actor = 'someone else' WHERE id = 3")
    prev = conn.execute("SELECT hash FROM audit_event WHERE id = 2").fetchone()[0]
    for row in conn.execute("SELECT * FROM audit_event WHERE id >= 3 ORDER BY id").fetchall():
        event = dict(row) | {"prev_hash": prev}
        prev = audit.event_hash(event)
        conn.execute(
            "UPDATE audit_event SET prev_hash = ?, hash = ? WHERE id = ?", (event["prev_hash"], prev, row["id"])
        )
    conn.commit()
    conn.close()
    code, alone = verify_json(db)
    assert code == 0 and alone["head"] != noted  # the chain alone cannot tell
    anchored = run("--db", db, "verify", "--head", noted)
    assert anchored.exit_code == 1


def test_snapshots_and_briefings_carry_the_head_verify_proves(db: Path, tmp_path: Path) -> None:
    _, report = verify_json(db)
    snapshot, briefing, notes = tmp_path / "s.json", tmp_path / "b.html", tmp_path / "b.md"
    ok(run("--db", db, "export", "--format", "snapshot", "-o", snapshot))
    ok(run("--db", db, "export", "--format", "html", "-o", briefing))
    ok(run("--db", db, "export", "--format", "markdown", "-o", notes))
    assert json.loads(snapshot.read_text())["audit"] == {"events": 4, "head": report["head"]}
    assert report["head"] in briefing.read_text() and report["head"] in notes.read_text()
    for carrier in (snapshot, briefing):
        assert "is event 4; 0 event(s) since" in ok(run("--db", db, "verify", "--head", carrier))
    # A snapshot carries the head of the portfolio it was taken from: another portfolio does not hold it.
    other = tmp_path / "other.db"
    ok(run("--db", other, "init", "--sample", "civilian-agency"))
    assert run("--db", other, "verify", "--head", snapshot).exit_code == 1


@pytest.mark.parametrize("given", ["xyz", "not-a-file.json"])
def test_a_head_that_is_neither_a_hash_nor_a_file_is_one_line(db: Path, given: str) -> None:
    result = run("--db", db, "verify", "--head", given)
    assert result.exit_code == 2
    assert "neither an audit head" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_file_without_a_head_is_one_line(db: Path, tmp_path: Path) -> None:
    plain = tmp_path / "notes.txt"
    plain.write_text("hello")
    result = run("--db", db, "verify", "--head", plain)
    assert result.exit_code == 2 and "carries no audit head" in result.stderr


def test_the_group_digests_read_by_index_equal_those_read_row_by_row(db: Path) -> None:
    """The fast path (SQLite concatenating a pilot's rows in its index's order) and the plain one agree, and
    the fast path is the one taken while the indexes exist."""
    conn = sqlite3.connect(db)
    for spec in seal.TABLES:
        if spec.index is None or spec.table not in seal_digest.SLOT:
            continue
        fast = dict(seal.table_digests(conn, spec))
        slow = {g: seal.group_digest(conn, spec.table, g) for g in fast}
        assert fast == slow
        text = seal_digest.PlainText.of(conn, spec.table).text
        sql = (
            f"SELECT {spec.group}, group_concat({text}, char(31)), count(*), sum(0) FROM {spec.table} "
            f"GROUP BY {spec.group} ORDER BY {spec.group}"
        )
        assert seal._walks(conn, sql, spec), spec.table
    conn.close()


def test_a_write_refused_over_deleted_rows_says_they_were_deleted(db: Path) -> None:
    shell(db, "DELETE FROM blocker WHERE pilot_id = 'DCS-004'")
    refused = run("--db", db, "tag", "DCS-004", "skills-gap")
    assert refused.exit_code == 1
    assert "blockers of pilot DCS-004: deleted outside caio-tui" in refused.stderr
