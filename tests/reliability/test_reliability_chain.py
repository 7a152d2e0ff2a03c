"""The tamper-evident audit trail as a user meets it: `verify` names the first event that does not match,
`history --verify` marks each event, and undo adds to the trail without rewriting it.

(test_store_writes.py proves the chain walk itself on changed, re-hashed, deleted, reordered and inserted
events; here the same tampering is seen through the commands, and across processes.)"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from hypothesis import given, settings
from hypothesis import strategies as st

from caio_tui.store import audit
from helpers.cli import ok, run

CAIO_TUI = Path(sys.executable).parent / "caio-tui"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A sample portfolio with five events: create, import, and three changes of DCS-004."""
    path = tmp_path / "agency.db"
    ok(run("--db", path, "init", "--sample", "civilian-agency"))
    ok(run("--db", path, "tag", "DCS-004", "skills-gap", "--note", "no ML ops"))
    ok(run("--db", path, "set-coverage", "DCS-004", "access.roles", "met"))
    ok(run("--db", path, "untag", "DCS-004", "skills-gap"))
    return path


def tamper(path: Path, *statements: str, params: tuple[Any, ...] = ()) -> None:
    """What someone with the file and a SQLite shell could do."""
    conn = sqlite3.connect(path)
    for sql in statements:
        conn.execute(sql, params if "?" in sql else ())
    conn.commit()
    conn.close()


def rows(path: Path) -> list[dict[str, Any]]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM audit_event ORDER BY id")]
    finally:
        conn.close()


def verify_json(path: Path) -> dict[str, Any]:
    result = run("--db", path, "verify", "--json")
    data = json.loads(result.stdout)
    assert result.exit_code == (0 if data["ok"] else 1)
    assert isinstance(data, dict)
    return data


def marks(path: Path, *args: str) -> tuple[dict[int, str], Result]:
    """history --verify: event id -> the mark in front of its line."""
    result = run("--db", path, "history", "--verify", *args)
    found = {}
    for line in result.stdout.splitlines():
        glyph, _, rest = line.partition(" ")
        if rest.split() and rest.split()[0].isdigit():
            found[int(rest.split()[0])] = glyph
    return found, result


def delete_event(path: Path, event_id: int) -> None:
    tamper(path, f"DELETE FROM audit_event WHERE id = {event_id}")


def insert_forged_event(path: Path, after_id: int) -> None:
    """A well-formed event chained to `after_id`, slipped in after it; the later events renumbered to make
    room (a careful forger would do this: ids stay contiguous)."""
    events = rows(path)
    model = events[after_id - 1]
    fake = {
        **model,
        "id": after_id + 1,
        "action": "stage.move",
        "pilot_id": "DCS-004",
        "after": '{"stage":"production"}',
        "prev_hash": model["hash"],
    }
    fake["hash"] = audit.event_hash(fake)
    columns = ", ".join(fake)
    tamper(
        path,
        f"UPDATE audit_event SET id = id + 1000 WHERE id > {after_id}",
        f"UPDATE audit_event SET id = id - 999 WHERE id > {after_id + 1000}",
        f"INSERT INTO audit_event ({columns}) VALUES ({', '.join('?' * len(fake))})",
        params=tuple(fake.values()),
    )


# ---- verify names the first event that does not match ------------------------------------------------------


def test_an_intact_trail_verifies_and_every_event_is_marked_verified(db: Path) -> None:
    data = verify_json(db)
    assert (data["ok"], data["events_checked"], data["first_bad_event"]) == (True, 5, None)
    found, result = marks(db)
    assert result.exit_code == 0
    assert found == {1: "✓", 2: "✓", 3: "✓", 4: "✓", 5: "✓"}
    head = rows(db)[-1]["hash"]
    assert result.stdout.splitlines()[-1] == f"✓ 5 audit events verified; head {head}"


def test_a_changed_event_is_named_and_marked_and_later_ones_are_not_vouched_for(db: Path) -> None:
    tamper(db, "UPDATE audit_event SET after = replace(after, 'met', 'waived') WHERE id = 4")
    data = verify_json(db)
    assert (data["ok"], data["events_checked"], data["first_bad_event"]) == (False, 3, 4)
    assert "content was changed" in data["reason"]
    found, result = marks(db)
    assert result.exit_code == 1
    assert found == {1: "✓", 2: "✓", 3: "✓", 4: "✗", 5: "?"}
    assert result.stderr.strip() == "audit trail broken at event 4: its content was changed after it was recorded"


def test_a_deleted_event_is_named_by_the_event_after_the_gap(db: Path) -> None:
    delete_event(db, 3)
    data = verify_json(db)
    assert (data["ok"], data["events_checked"], data["first_bad_event"]) == (False, 2, 4)
    assert data["reason"] == "event 3 is missing (deleted or renumbered)"
    result = run("--db", db, "verify")
    assert result.exit_code == 1
    assert result.stderr.strip() == "audit trail broken at event 4: event 3 is missing (deleted or renumbered)"
    found, _ = marks(db)
    assert found == {1: "✓", 2: "✓", 4: "✗", 5: "?"}


def test_an_event_inserted_out_of_order_is_named(db: Path) -> None:
    insert_forged_event(db, after_id=2)
    assert len(rows(db)) == 6
    data = verify_json(db)
    # The forgery chains to event 2, so it passes; the event it displaced does not follow it, and the
    # renumbered events no longer match their hashes (the id is part of what is hashed).
    assert (data["ok"], data["first_bad_event"]) == (False, 4)
    assert "inserted or reordered" in data["reason"]
    found, result = marks(db)
    assert result.exit_code == 1
    assert found == {1: "✓", 2: "✓", 3: "✓", 4: "✗", 5: "✗", 6: "✗"}


def test_events_of_one_pilot_are_marked_by_the_whole_chain(db: Path) -> None:
    """A pilot's own events can be intact and still not vouched for: the break is before them."""
    tamper(db, "UPDATE audit_event SET actor = 'mallory' WHERE id = 2")  # the sample import
    found, result = marks(db, "DCS-004")
    assert result.exit_code == 1
    assert found == {3: "?", 4: "?", 5: "?"}
    events = json.loads(run("--db", db, "history", "--verify", "--json").stdout)
    assert [e["chain"] for e in events] == ["verified", "broken", "unverified", "unverified", "unverified"]


def test_a_cut_tail_changes_the_head_a_user_noted(db: Path) -> None:
    """A hash chain cannot show that its newest events were removed: the head printed by
    `history --verify` can (docs/reliability.md tells users to note it, e.g. with each export)."""
    noted = ok(run("--db", db, "history", "--verify")).splitlines()[-1]
    delete_event(db, 5)
    after = ok(run("--db", db, "history", "--verify")).splitlines()[-1]
    assert after != noted
    assert after.startswith("✓ 4 audit events verified; head ")


def test_history_without_verify_is_unchanged(db: Path) -> None:
    tamper(db, "UPDATE audit_event SET actor = 'mallory' WHERE id = 2")
    result = run("--db", db, "history")
    assert result.exit_code == 0
    assert not any(line.startswith(("✓", "✗", "?")) for line in result.stdout.splitlines())
    assert "chain" not in json.loads(run("--db", db, "history", "--json").stdout)[0]


# ---- undo adds to the trail ----------------------------------------------------------------------------------


def test_undo_keeps_the_original_event_byte_for_byte_and_the_chain_verifies(db: Path) -> None:
    before = rows(db)
    assert ok(run("--db", db, "undo")).startswith("undid blocker.resolve DCS-004")
    after = rows(db)
    assert after[: len(before)] == before  # nothing recorded is rewritten, hashes included
    (undo,) = after[len(before) :]
    assert (undo["action"], undo["undoes"], undo["prev_hash"]) == ("undo", 5, before[-1]["hash"])
    assert json.loads(undo["before"]) == json.loads(before[-1]["after"])
    assert verify_json(db)["events_checked"] == 6


def cli_process(db: Path, actor: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CAIO_TUI_ACTOR": actor, "COLUMNS": "120"}
    return subprocess.run(
        [str(CAIO_TUI), "--db", str(db), *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


def test_undo_in_another_process_reverts_that_actors_change_only(db: Path) -> None:
    """Each command is its own process: what one process wrote, a later one undoes, by actor."""
    assert (
        cli_process(
            db, "ann", "set-coverage", "DCS-004", "access.revocation", "waived", "--justification", "x"
        ).returncode
        == 0
    )
    assert cli_process(db, "bo", "tag", "DCS-004", "union-review", "--category", "organizational").returncode == 0
    undone = cli_process(db, "ann", "undo")
    assert undone.returncode == 0, undone.stderr
    assert undone.stdout.startswith("undid coverage.set DCS-004 access.revocation")
    record = json.loads(ok(run("--db", db, "show", "DCS-004", "--json")))
    revocation = next(e for e in record["coverage"] if e["item"] == "access.revocation")
    assert revocation["status"] != "waived"
    assert "union-review" in [b["tag"] for b in record["blockers"] if b["open"]]  # bo's change stays
    assert ok(run("--db", db, "verify")).startswith("ok: integrity holds; 9 audit events verified;")  # 5 + 4


# ---- the hash itself ---------------------------------------------------------------------------------------------

column_value = st.none() | st.integers(-(2**63), 2**63 - 1) | st.text(st.characters(codec="utf-8"), max_size=40)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({name: column_value for name in audit._FIELDS}))
def test_the_fast_event_hash_is_the_canonical_json_hash(event: dict[str, Any]) -> None:
    """event_hash writes the canonical JSON of stored columns directly (for speed on long trails): it must be
    byte for byte what the JSON encoder gives, or every trail recorded before would stop verifying."""
    canonical = audit.canonical_json({name: event[name] for name in audit._FIELDS})
    assert audit.event_hash(event) == hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    assert audit.event_hash({**event, "undoes": True}) != audit.event_hash({**event, "undoes": 1})
