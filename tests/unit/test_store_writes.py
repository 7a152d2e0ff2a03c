"""Writes: one transaction and one audit event each; undo; the hash-chained audit trail."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from caio_tui.domain.coverage import Coverage, CoverageStatus
from caio_tui.domain.pilots import PilotFields
from caio_tui.domain.stages import Stage
from caio_tui.domain.territory import BlockerCategory, Territory
from caio_tui.store import Portfolio, StoreError
from caio_tui.store import audit as audit_module
from caio_tui.store.portfolio import GateRefused
from helpers import NOW

S = CoverageStatus


def add(p: Portfolio, name: str = "Claims triage", *, stage: Stage = Stage.INTAKE, **fields: Any) -> str:
    defaults: dict[str, Any] = {"office": "Office of Benefits", "owner": "Ann Lee"}
    return p.add_pilot(PilotFields(name=name, **{**defaults, **fields}), stage=stage)


def table(p: Portfolio, name: str) -> list[dict[str, Any]]:
    return [dict(r) for r in p.conn.execute(f"SELECT * FROM {name} ORDER BY rowid")]


def snapshot(p: Portfolio) -> dict[str, list[dict[str, Any]]]:
    """Every table a user's change can touch."""
    return {t: table(p, t) for t in ("pilot", "coverage", "blocker", "stage_move", "blocker_tag", "audit_event")}


def events_after(p: Portfolio, event_id: int) -> list[sqlite3.Row]:
    return p.conn.execute("SELECT * FROM audit_event WHERE id > ? ORDER BY id", (event_id,)).fetchall()


def last_event_id(p: Portfolio) -> int:
    return int(p.conn.execute("SELECT max(id) FROM audit_event").fetchone()[0])


def other_actor(p: Portfolio, actor: str = "someone-else") -> Portfolio:
    return Portfolio.open(p.path, actor=actor, clock=lambda: NOW)


# ---- one event per write, with before and after -----------------------------------------------------------


def test_add_pilot_records_the_pilot_its_first_stage_and_one_event(portfolio: Portfolio) -> None:
    mark = last_event_id(portfolio)
    pid = add(portfolio, stage=Stage.PILOT)
    assert pid == "AI-0001"
    assert add(portfolio, "second") == "AI-0002"
    pilot = portfolio.get(pid)
    assert (pilot.stage, pilot.created_at, pilot.stage_entered_at) == (Stage.PILOT, NOW, NOW)
    (move,) = portfolio.record(pid).stage_history
    assert (move.from_stage, move.to_stage, move.actor) == (None, Stage.PILOT, "tester")
    first, _second = events_after(portfolio, mark)
    assert (first["action"], first["pilot_id"], first["actor"], first["before"]) == (
        "pilot.create",
        pid,
        "tester",
        None,
    )
    assert '"name":"Claims triage"' in first["after"]


def test_a_pilot_id_can_be_chosen_but_not_reused(portfolio: Portfolio) -> None:
    portfolio.add_pilot(PilotFields(name="x"), pilot_id="DCS-100")
    with pytest.raises(StoreError, match="a pilot with id 'DCS-100' already exists"):
        portfolio.add_pilot(PilotFields(name="y"), pilot_id="DCS-100")
    assert portfolio.count() == 1


WRITES: dict[str, Callable[[Portfolio, str], object]] = {
    "pilot.edit": lambda p, pid: p.edit_pilot(pid, owner="Bo Chen", high_impact=True),
    "coverage.set": lambda p, pid: p.set_coverage(pid, "access.roles", S.MET, evidence="role catalog v3"),
    "blocker.open": lambda p, pid: p.open_blocker(pid, "skills-gap", note="no ML ops staff"),
    "stage.move": lambda p, pid: p.move(pid, Stage.POC),
    "tag.create": lambda p, pid: p.create_tag("union-review", BlockerCategory.ORGANIZATIONAL),
}


@pytest.mark.parametrize("action", sorted(WRITES))
def test_every_write_makes_exactly_one_event_with_before_and_after(portfolio: Portfolio, action: str) -> None:
    pid = add(portfolio)
    mark = last_event_id(portfolio)
    WRITES[action](portfolio, pid)
    (event,) = portfolio.history()[-1:]
    assert len(events_after(portfolio, mark)) == 1
    assert event.action == action
    assert event.actor == "tester"
    assert event.at == NOW
    assert event.after is not None
    if action in ("pilot.edit", "stage.move"):
        assert event.before is not None


def test_edit_records_only_what_changed(portfolio: Portfolio) -> None:
    pid = add(portfolio)
    portfolio.edit_pilot(pid, owner="Bo Chen", office="Office of Benefits")
    event = portfolio.history(pid)[-1]
    assert (event.before, event.after) == ({"owner": "Ann Lee"}, {"owner": "Bo Chen"})
    mark = last_event_id(portfolio)
    portfolio.edit_pilot(pid, owner="Bo Chen")  # no change: no event
    assert events_after(portfolio, mark) == []


def test_resolving_a_blocker_keeps_it_in_the_history(portfolio: Portfolio) -> None:
    pid = add(portfolio)
    portfolio.open_blocker(pid, "shared-service-account", note="svc-oba-assist")
    assert portfolio.get(pid).territory is Territory.INFRASTRUCTURE
    portfolio.resolve_blocker(pid, "shared-service-account")
    (blocker,) = portfolio.record(pid).blockers
    assert (blocker.resolved_at, blocker.resolved_by, blocker.note) == (NOW, "tester", "svc-oba-assist")
    assert (
        portfolio.get(pid).territory is Territory.UNASSESSED
    )  # nothing assessed: resolving its one blocker says nothing about it
    event = portfolio.history(pid)[-1]
    assert event.action == "blocker.resolve"
    assert event.before["resolved_at"] is None and event.after["resolved_at"] is not None
    with pytest.raises(StoreError, match=f"{pid} has no open shared-service-account blocker"):
        portfolio.resolve_blocker(pid, "shared-service-account")


def test_derived_columns_follow_every_change(portfolio: Portfolio) -> None:
    pid = add(portfolio)
    portfolio.open_blocker(pid, "skills-gap")
    portfolio.open_blocker(pid, "debug-only-logging")
    pilot = portfolio.get(pid)
    assert (pilot.territory, pilot.open_blockers, pilot.top_blocker) == (Territory.BOTH, 2, "debug-only-logging")
    portfolio.set_coverage(pid, "access.roles", S.MET, evidence="seen")
    assert portfolio.get(pid).readiness == pytest.approx(1 / 20, abs=1e-4)
    portfolio.edit_pilot(pid, high_impact=True)  # eight more items count now
    assert portfolio.get(pid).readiness == pytest.approx(1 / 28, abs=1e-4)


# ---- refused writes change nothing ----------------------------------------------------------------------------


REFUSED: list[tuple[str, Callable[[Portfolio, str], object], str]] = [
    (
        "unknown pilot",
        lambda p, pid: p.set_coverage("AI-9999", "access.roles", S.MET, evidence="seen"),
        "no pilot with id 'AI-9999'",
    ),
    (
        "unknown item",
        lambda p, pid: p.set_coverage(pid, "access.nope", S.MET, evidence="seen"),
        "unknown requirement item",
    ),
    ("unknown tag", lambda p, pid: p.open_blocker(pid, "no-such-tag"), "unknown blocker tag 'no-such-tag'"),
    (
        "waiver without justification",
        lambda p, pid: p.set_coverage(pid, "ato.granted", S.WAIVED),
        "ato.granted: status waived needs a justification",
    ),
    (
        "blank justification",
        lambda p, pid: p.set_coverage(pid, "ato.granted", S.NOT_APPLICABLE, justification="  "),
        "ato.granted: status not_applicable needs a justification",
    ),
    (
        "practice on a pilot that is not high-impact",
        lambda p, pid: p.set_coverage(pid, "hi.appeals", S.MET, evidence="seen"),
        "applies to high-impact use cases only",
    ),
    ("blocker opened twice", lambda p, pid: p.open_blocker(pid, "skills-gap"), "already has an open skills-gap"),
    ("blank name", lambda p, pid: p.edit_pilot(pid, name="   "), "^name: a pilot needs a name$"),
    ("not editable", lambda p, pid: p.edit_pilot(pid, stage="production"), "cannot edit stage"),
    (
        "bad tag slug",
        lambda p, pid: p.create_tag("Bad Tag", BlockerCategory.IDENTITY),
        "^tag 'Bad Tag' must be lower-case",
    ),
    ("tag exists", lambda p, pid: p.create_tag("skills-gap", BlockerCategory.IDENTITY), "exists already"),
    ("tag of unknown area", lambda p, pid: p.create_tag("x", BlockerCategory.IDENTITY, areas=["nope"]), "area"),
    ("move to the same stage", lambda p, pid: p.move(pid, Stage.INTAKE), "already in intake"),
    ("blank override", lambda p, pid: p.move(pid, Stage.PRODUCTION, override=" "), "needs a written justification"),
]


@pytest.mark.parametrize(("case", "write", "message"), REFUSED, ids=[c[0] for c in REFUSED])
def test_a_refused_write_is_one_store_error_and_changes_nothing(
    portfolio: Portfolio, case: str, write: Callable[[Portfolio, str], object], message: str
) -> None:
    pid = add(portfolio)
    portfolio.open_blocker(pid, "skills-gap")
    before = snapshot(portfolio)
    with pytest.raises(StoreError, match=message) as caught:
        write(portfolio, pid)
    assert "\n" not in str(caught.value)
    assert snapshot(portfolio) == before


def test_a_write_failing_midway_leaves_nothing_half_written(
    portfolio: Portfolio, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = add(portfolio)
    before = snapshot(portfolio)

    def broken(*_: object, **__: object) -> int:
        raise RuntimeError("disk pulled out")

    monkeypatch.setattr(audit_module, "append", broken)
    attempts: list[Callable[[], object]] = [
        lambda: add(portfolio, "half"),
        lambda: portfolio.set_coverage(pid, "access.roles", S.MET, evidence="seen"),
        lambda: portfolio.open_blocker(pid, "skills-gap"),
        lambda: portfolio.move(pid, Stage.POC),
        lambda: portfolio.edit_pilot(pid, name="renamed"),
    ]
    for attempt in attempts:
        with pytest.raises(RuntimeError):
            attempt()
        assert snapshot(portfolio) == before
    monkeypatch.undo()
    assert add(portfolio, "after") == "AI-0002"  # the connection is usable again


def test_a_failed_import_adds_no_pilot(portfolio: Portfolio) -> None:
    from caio_tui.io.samples import read_sample, to_records

    records = to_records(read_sample("small-agency"), NOW, {t.tag: t.category for t in portfolio.tags()})
    broken = records[-1].model_copy(update={"coverage": {"ato.nope": Coverage(item="ato.nope", status=S.MET)}})
    before = snapshot(portfolio)
    with pytest.raises(StoreError):
        portfolio.import_records([*records[:-1], broken], source="test")
    assert snapshot(portfolio) == before


# ---- moves and gates -----------------------------------------------------------------------------------------


def test_a_refused_move_raises_with_the_result_and_changes_nothing(portfolio: Portfolio) -> None:
    pid = add(portfolio, stage=Stage.PILOT)
    portfolio.open_blocker(pid, "shared-service-account")
    before = snapshot(portfolio)
    with pytest.raises(GateRefused) as caught:
        portfolio.move(pid, Stage.READINESS)
    assert [f.rule for f in caught.value.result.failures] == ["readiness #1", "readiness #2", "readiness #3"]
    assert str(caught.value) == f"the gate into readiness refused {pid}"
    assert snapshot(portfolio) == before


def test_an_override_moves_and_keeps_who_why_and_what_failed(portfolio: Portfolio) -> None:
    pid = add(portfolio, stage=Stage.PILOT)
    portfolio.open_blocker(pid, "shared-service-account")
    result = portfolio.move(pid, Stage.READINESS, override="  Deputy Secretary memo 2026-14  ")
    assert not result.passed
    assert portfolio.get(pid).stage is Stage.READINESS
    move = portfolio.record(pid).stage_history[-1]
    assert (move.override, move.actor) == ("Deputy Secretary memo 2026-14", "tester")
    assert [r.split(":")[0] for r in move.failed_rules] == ["readiness #1", "readiness #2", "readiness #3"]
    event = portfolio.history(pid)[-1]
    assert event.after["override"] == "Deputy Secretary memo 2026-14"
    assert len(event.after["failed_rules"]) == 3


def test_an_override_on_a_passing_gate_is_not_recorded_as_one(portfolio: Portfolio) -> None:
    pid = add(portfolio, stage=Stage.POC)
    result = portfolio.move(pid, Stage.PILOT, override="just in case")
    assert result.passed
    assert portfolio.record(pid).stage_history[-1].override == ""


def test_moving_back_and_retiring_pass_no_gate(portfolio: Portfolio) -> None:
    pid = add(portfolio, stage=Stage.PRODUCTION, office="", owner="")
    assert portfolio.move(pid, Stage.POC).passed
    assert portfolio.get(pid).stage is Stage.POC
    assert portfolio.check_gate(pid).to_stage is Stage.PILOT
    assert portfolio.move(pid, Stage.RETIRED).passed
    with pytest.raises(StoreError, match=f"{pid} is retired: there is no stage after it"):
        portfolio.check_gate(pid)
    with pytest.raises(GateRefused):  # coming back passes the gates again
        portfolio.move(pid, Stage.PILOT)


# ---- undo ----------------------------------------------------------------------------------------------------


def test_undo_reverts_each_kind_of_change_as_an_event_of_its_own(portfolio: Portfolio) -> None:
    pid = add(portfolio)
    states = [snapshot(portfolio)]
    portfolio.edit_pilot(pid, owner="Bo Chen")
    states.append(snapshot(portfolio))
    portfolio.set_coverage(pid, "access.roles", S.GAP)
    states.append(snapshot(portfolio))
    portfolio.set_coverage(pid, "access.roles", S.MET, evidence="catalog")
    states.append(snapshot(portfolio))
    portfolio.create_tag("union-review", BlockerCategory.ORGANIZATIONAL)
    states.append(snapshot(portfolio))
    portfolio.open_blocker(pid, "union-review")
    states.append(snapshot(portfolio))
    portfolio.resolve_blocker(pid, "union-review")
    states.append(snapshot(portfolio))
    portfolio.move(pid, Stage.POC)

    expected_actions = [
        "stage.move",
        "blocker.resolve",
        "blocker.open",
        "tag.create",
        "coverage.set",
        "coverage.set",
        "pilot.edit",
        "pilot.create",
    ]
    for action in expected_actions:
        mark = last_event_id(portfolio)
        undone = portfolio.undo()
        assert undone is not None and undone.action == action
        (event,) = events_after(portfolio, mark)
        assert (event["action"], event["undoes"], event["actor"]) == ("undo", undone.id, "tester")
        if states:
            state = states.pop()
            current = snapshot(portfolio)
            assert {k: v for k, v in current.items() if k != "audit_event"} == {
                k: v for k, v in state.items() if k != "audit_event"
            }
    assert portfolio.count() == 0
    assert portfolio.undo() is None
    assert portfolio.verify_chain()[1] is None


def test_undo_never_undoes_an_undo(portfolio: Portfolio) -> None:
    pid = add(portfolio)
    portfolio.set_coverage(pid, "access.roles", S.MET, evidence="seen")
    first = portfolio.undo()
    second = portfolio.undo()
    assert first is not None and first.action == "coverage.set"
    assert second is not None and second.action == "pilot.create"  # the change before, not a redo
    assert portfolio.undo() is None
    assert portfolio.count() == 0


def test_undo_reverts_only_the_actors_own_changes(portfolio: Portfolio) -> None:
    mine = add(portfolio, "mine")
    with other_actor(portfolio) as other:
        theirs = add(other, "theirs")
    undone = portfolio.undo()
    assert undone is not None and undone.pilot_id == mine
    assert [p.id for p in portfolio.pilots()] == [theirs]
    assert portfolio.undo() is None
    with other_actor(portfolio) as other:
        undone = other.undo()
        assert undone is not None and undone.pilot_id == theirs


CHANGED_SINCE: list[tuple[str, Callable[[Portfolio, str], object], Callable[[Portfolio, str], object], str]] = [
    (
        "edit",
        lambda p, pid: p.edit_pilot(pid, owner="Bo"),
        lambda p, pid: p.edit_pilot(pid, owner="Cy"),
        "was edited again since",
    ),
    (
        "coverage",
        lambda p, pid: p.set_coverage(pid, "access.roles", S.PARTIAL),
        lambda p, pid: p.set_coverage(pid, "access.roles", S.MET, evidence="seen"),
        "changed again since",
    ),
    (
        "blocker open",
        lambda p, pid: p.open_blocker(pid, "skills-gap"),
        lambda p, pid: p.resolve_blocker(pid, "skills-gap"),
        "blocker changed since",
    ),
    (
        "move",
        lambda p, pid: p.move(pid, Stage.POC),
        lambda p, pid: p.move(pid, Stage.PILOT),
        "moved again since",
    ),
    (
        "create",
        lambda p, pid: p.edit_pilot(pid, owner="Bo"),  # the undoer's own change, undone first below
        lambda p, pid: p.set_coverage(pid, "access.roles", S.MET, evidence="seen"),
        "has changed since it was created",
    ),
]


@pytest.mark.parametrize(("case", "mine", "theirs", "message"), CHANGED_SINCE, ids=[c[0] for c in CHANGED_SINCE])
def test_undo_refuses_when_someone_changed_the_thing_since(
    portfolio: Portfolio,
    case: str,
    mine: Callable[[Portfolio, str], object],
    theirs: Callable[[Portfolio, str], object],
    message: str,
) -> None:
    pid = add(portfolio)
    mine(portfolio, pid)
    with other_actor(portfolio) as other:
        theirs(other, pid)
    if case == "create":
        assert portfolio.undo() is not None  # undoes the edit; the create is next
    before = snapshot(portfolio)
    with pytest.raises(StoreError, match=message):
        portfolio.undo()
    assert snapshot(portfolio) == before


def test_undo_refuses_to_remove_a_tag_in_use(portfolio: Portfolio) -> None:
    pid = add(portfolio)
    portfolio.create_tag("union-review", BlockerCategory.ORGANIZATIONAL)
    with other_actor(portfolio) as other:
        other.open_blocker(pid, "union-review")
    with pytest.raises(StoreError, match="the tag 'union-review' is in use"):
        portfolio.undo()


def test_a_created_pilot_whose_later_changes_were_undone_can_be_undone(portfolio: Portfolio) -> None:
    pid = add(portfolio)
    portfolio.set_coverage(pid, "access.roles", S.MET, evidence="seen")
    portfolio.undo()
    undone = portfolio.undo()
    assert undone is not None and undone.action == "pilot.create"
    assert portfolio.count() == 0


# ---- the hash chain -----------------------------------------------------------------------------------------


@pytest.fixture
def busy(portfolio: Portfolio) -> Portfolio:
    pid = add(portfolio)
    portfolio.set_coverage(pid, "access.roles", S.MET, evidence="seen")
    portfolio.open_blocker(pid, "skills-gap")
    portfolio.move(pid, Stage.POC)
    assert portfolio.verify_chain() == (5, None)
    return portfolio


def tamper(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    for sql in statements:
        conn.execute(sql)
    conn.commit()
    conn.close()


def test_an_edited_event_breaks_the_chain(busy: Portfolio) -> None:
    tamper(busy.path, "UPDATE audit_event SET actor = 'mallory' WHERE id = 3")
    checked, broken = busy.verify_chain()
    assert checked == 2
    assert broken is not None and broken.event_id == 3
    assert "content was changed" in broken.reason


def test_an_edited_event_with_a_recomputed_hash_breaks_at_the_next(busy: Portfolio) -> None:
    row = dict(busy.conn.execute("SELECT * FROM audit_event WHERE id = 3").fetchone())
    row["actor"] = "mallory"
    forged = audit_module.event_hash(row)
    tamper(busy.path, f"UPDATE audit_event SET actor = 'mallory', hash = '{forged}' WHERE id = 3")
    checked, broken = busy.verify_chain()
    assert (checked, broken.event_id if broken else None) == (3, 4)
    assert broken is not None and "inserted or reordered" in broken.reason


def test_a_deleted_event_breaks_the_chain(busy: Portfolio) -> None:
    tamper(busy.path, "DELETE FROM audit_event WHERE id = 2")
    checked, broken = busy.verify_chain()
    assert checked == 1
    assert broken is not None and broken.event_id == 3
    assert "event 2 is missing" in broken.reason


def test_reordered_events_break_the_chain(busy: Portfolio) -> None:
    tamper(
        busy.path,
        "UPDATE audit_event SET id = 100 WHERE id = 3",
        "UPDATE audit_event SET id = 3 WHERE id = 4",
        "UPDATE audit_event SET id = 4 WHERE id = 100",
    )
    checked, broken = busy.verify_chain()
    assert checked == 2
    assert broken is not None and broken.event_id == 3
    assert "inserted or reordered" in broken.reason


def test_an_event_inserted_in_the_middle_breaks_the_chain(busy: Portfolio) -> None:
    rows = [dict(r) for r in busy.conn.execute("SELECT * FROM audit_event ORDER BY id")]
    fake = {**rows[1], "id": 3, "action": "stage.move", "after": '{"stage":"production"}', "prev_hash": rows[1]["hash"]}
    fake["hash"] = audit_module.event_hash(fake)  # a well-formed event, chained to event 2
    statements = ["UPDATE audit_event SET id = id + 100 WHERE id >= 3"]
    statements += ["UPDATE audit_event SET id = id - 99 WHERE id >= 103"]
    columns = ", ".join(fake)
    values = ", ".join("NULL" if v is None else f"'{v}'" if isinstance(v, str) else str(v) for v in fake.values())
    statements.append(f"INSERT INTO audit_event ({columns}) VALUES ({values})")
    tamper(busy.path, *statements)
    _checked, broken = busy.verify_chain()
    assert broken is not None and broken.event_id == 4
    assert "inserted or reordered" in broken.reason


def test_a_run_of_writes_checkpoints_every_few_and_leaves_the_automatic_checkpoint_as_it_was(
    portfolio: Portfolio,
) -> None:
    """session.checkpoint_every (a merge of many large bundles): no checkpoint inside each commit, one
    after every `writes` writes and one at the end. The file itself (read as SQLite reads it without its
    WAL: immutable) holds a write only once a checkpoint copied it there."""

    def in_the_file() -> set[str]:
        uri = f"file:{portfolio.session.path}?immutable=1"
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as file:
            return {r[0] for r in file.execute("SELECT name FROM pilot")}

    with portfolio.session.checkpoint_every(2) as written:
        assert portfolio.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
        for name in ("first", "second", "third"):
            add(portfolio, name)
            written()
            assert name in {p.name for p in portfolio.pilots()}  # committed: every reader sees it
            assert (name in in_the_file()) is (name == "second")  # copied after every second write only
    assert {"first", "second", "third"} <= in_the_file()  # and at the end, the WAL emptied
    assert Path(f"{portfolio.session.path}-wal").stat().st_size == 0
    assert portfolio.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
