"""What waits after office bundles merged: reading the conflicts and stage requests, resolving a conflict
(either side or an edited value), deciding a request through the gate, and undoing either."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from caio_tui.domain.coverage import CoverageStatus
from caio_tui.domain.office_values import describe, edit_text, parse_edit
from caio_tui.domain.pilots import PilotFields
from caio_tui.domain.stages import Stage
from caio_tui.io.offices import merge_file, write_bundle
from caio_tui.store import Portfolio, StoreError
from caio_tui.store.office_decisions import decide_request, edited_value, resolve_conflict
from caio_tui.store.office_queue import conflicts, merged_any, requests, waiting_count
from caio_tui.store.portfolio import GateRefused
from helpers import NOW
from helpers.offices import HEAD, OFFICE, Waiting, merged_portfolio, seed_waiting


def add(p: Portfolio, name: str = "Claims triage", *, stage: Stage = Stage.INTAKE, **fields: Any) -> str:
    return p.add_pilot(PilotFields(name=name, office=OFFICE, owner="Ann Lee", **fields), stage=stage)


def last_event(p: Portfolio) -> Any:
    return p.history(limit=1)[0]


def assert_whole(p: Portfolio) -> None:
    assert p.verify_chain()[1] is None
    assert p.check_state().problems() == []


# ---- reading ---------------------------------------------------------------------------------------------


def test_an_empty_queue_knows_whether_any_bundle_was_merged(portfolio: Portfolio) -> None:
    assert (conflicts(portfolio), requests(portfolio), waiting_count(portfolio)) == ([], [], 0)
    assert not merged_any(portfolio)
    seed_waiting(portfolio, Waiting())
    assert merged_any(portfolio)
    assert waiting_count(portfolio) == 0


def test_conflicts_and_requests_read_back_with_their_office_and_values(portfolio: Portfolio) -> None:
    pid = add(portfolio)
    triple = ("met", "ATO letter", "")
    seed_waiting(
        portfolio,
        Waiting()
        .conflict(pid, "field", "owner", "Ann Lee", "Bo Chen", "Cy Diaz")
        .conflict(pid, "coverage", "access.roles", ("not_assessed", "", ""), ("gap", "", ""), triple)
        .request(pid, "intake", "poc"),
    )
    found = conflicts(portfolio)
    assert [(c.pilot_name, str(c.key), c.office_name, c.bundle_head) for c in found] == [
        ("Claims triage", "owner", OFFICE, HEAD),
        ("Claims triage", "coverage access.roles", OFFICE, HEAD),
    ]
    assert found[1].office == triple
    (request,) = requests(portfolio)
    assert (request.pilot_id, request.current, request.requested, request.stage_now) == (pid, "intake", "poc", "intake")
    assert waiting_count(portfolio) == 3
    assert_whole(portfolio)


# ---- conflicts -------------------------------------------------------------------------------------------


def test_taking_the_offices_value_writes_it_with_one_event_naming_conflict_bundle_and_office(
    portfolio: Portfolio,
) -> None:
    pid = add(portfolio)
    (cid,), _ = seed_waiting(portfolio, Waiting().conflict(pid, "field", "owner", "Ann Lee", "Bo Chen", "Cy Diaz"))
    before = len(portfolio.history())
    resolve_conflict(portfolio, cid, "office")
    assert portfolio.get(pid).owner == "Cy Diaz"
    assert len(portfolio.history()) == before + 1
    event = last_event(portfolio)
    assert (event.action, event.pilot_id) == ("office.resolve", pid)
    assert (event.after["conflict"], event.after["bundle"], event.after["office"]) == (cid, HEAD, OFFICE)
    assert waiting_count(portfolio) == 0
    assert_whole(portfolio)


def test_taking_the_caios_value_keeps_the_pilot_as_it_is_now(portfolio: Portfolio) -> None:
    pid = add(portfolio)
    (cid,), _ = seed_waiting(portfolio, Waiting().conflict(pid, "field", "owner", "Ann Lee", "Bo Chen", "Cy Diaz"))
    portfolio.edit_pilot(pid, owner="Dee Eng")  # changed again on the CAIO's side since the merge
    resolve_conflict(portfolio, cid, "caio")
    assert portfolio.get(pid).owner == "Dee Eng"
    assert conflicts(portfolio) == []


def test_a_pilot_changed_since_the_merge_still_takes_the_offices_value(portfolio: Portfolio) -> None:
    pid = add(portfolio)
    (cid,), _ = seed_waiting(portfolio, Waiting().conflict(pid, "field", "high_impact", False, True, False))
    portfolio.edit_pilot(pid, owner="Dee Eng", high_impact=True)
    resolve_conflict(portfolio, cid, "office")
    assert portfolio.get(pid).high_impact is False
    assert portfolio.get(pid).owner == "Dee Eng"


def test_an_edited_coverage_status_sets_the_item_and_the_derived_readiness(portfolio: Portfolio) -> None:
    pid = add(portfolio)
    item = "access.roles"
    seeded = Waiting().conflict(pid, "coverage", item, ("not_assessed", "", ""), ("gap", "", ""), ("partial", "", ""))
    (cid,), _ = seed_waiting(portfolio, seeded)
    readiness = portfolio.get(pid).readiness
    resolve_conflict(portfolio, cid, "edited", parse_edit("coverage", item, "met: roles in the IAM catalog"))
    cov = portfolio.record(pid).coverage[item]
    assert (cov.status, cov.evidence) == (CoverageStatus.MET, "roles in the IAM catalog")
    assert portfolio.get(pid).readiness > readiness
    assert_whole(portfolio)


def test_a_blocker_conflict_opens_closes_or_replaces_the_note(portfolio: Portfolio) -> None:
    pid = add(portfolio)
    tag = "shared-service-account"
    portfolio.open_blocker(pid, tag, note="ours")
    ids, _ = seed_waiting(
        portfolio,
        Waiting().conflict(pid, "blocker", tag, None, "ours", "theirs").conflict(pid, "blocker", tag, None, "x", None),
    )
    resolve_conflict(portfolio, ids[0], "office")
    assert sorted((b.note, b.resolved_at is None) for b in portfolio.record(pid).blockers) == [
        ("ours", False),
        ("theirs", True),
    ]
    resolve_conflict(portfolio, ids[1], "office")
    assert all(b.resolved_at is not None for b in portfolio.record(pid).blockers)
    assert portfolio.get(pid).open_blockers == 0
    assert_whole(portfolio)


@pytest.mark.parametrize(
    ("conflict_id", "message"),
    [
        (999, "no conflict 999; nothing was changed"),
        (None, "already resolved: took the office's value (by tester, 2026-11-01 12:00)"),
    ],
)
def test_an_unknown_or_settled_conflict_is_refused_in_one_line(
    portfolio: Portfolio, conflict_id: int | None, message: str
) -> None:
    pid = add(portfolio)
    (cid,), _ = seed_waiting(portfolio, Waiting().conflict(pid, "field", "owner", "A", "B", "C"))
    resolve_conflict(portfolio, cid, "office")
    with pytest.raises(StoreError, match=re.escape(message)):
        resolve_conflict(portfolio, conflict_id or cid, "caio")


def test_undo_of_a_resolution_puts_the_value_back_and_the_conflict_waits_again(portfolio: Portfolio) -> None:
    pid = add(portfolio)
    (cid,), _ = seed_waiting(
        portfolio,
        Waiting().conflict(
            pid, "coverage", "audit.activity", ("not_assessed", "", ""), ("gap", "", ""), ("met", "logs", "")
        ),
    )
    resolve_conflict(portfolio, cid, "office")
    assert portfolio.record(pid).coverage["audit.activity"].status is CoverageStatus.MET
    undone = portfolio.undo()
    assert undone is not None and undone.action == "office.resolve"
    assert "audit.activity" not in portfolio.record(pid).coverage
    assert [c.id for c in conflicts(portfolio)] == [cid]
    assert_whole(portfolio)


def test_undo_of_a_resolution_is_refused_once_the_pilot_changed_again(portfolio: Portfolio) -> None:
    pid = add(portfolio)
    (cid,), _ = seed_waiting(portfolio, Waiting().conflict(pid, "field", "owner", "A", "B", "C"))
    resolve_conflict(portfolio, cid, "office")
    other = Portfolio.open(portfolio.path, actor="someone-else")
    with other:
        other.edit_pilot(pid, owner="D")
    with pytest.raises(StoreError, match="changed since; nothing was undone"):
        portfolio.undo()


# ---- stage requests --------------------------------------------------------------------------------------


def test_a_request_moves_the_pilot_through_the_gate_as_promote_does(portfolio: Portfolio) -> None:
    pid = add(portfolio)
    _, (rid,) = seed_waiting(portfolio, Waiting().request(pid, "intake", "pilot"))
    assert "moved" in decide_request(portfolio, rid, move=True)
    assert portfolio.get(pid).stage is Stage.PILOT
    event = last_event(portfolio)
    assert (event.action, event.after["request"], event.after["office"], event.after["bundle"]) == (
        "office.request",
        rid,
        OFFICE,
        HEAD,
    )
    assert requests(portfolio) == []
    assert portfolio.undo() is not None
    assert portfolio.get(pid).stage is Stage.INTAKE
    assert [r.id for r in requests(portfolio)] == [rid]
    assert_whole(portfolio)


def test_a_refused_gate_names_the_failed_rules_unless_overridden_long_enough(portfolio: Portfolio) -> None:
    pid = add(portfolio, stage=Stage.PILOT)
    _, (rid,) = seed_waiting(portfolio, Waiting().request(pid, "pilot", "production"))
    with pytest.raises(GateRefused) as refused:
        decide_request(portfolio, rid, move=True)
    assert refused.value.result.failures
    with pytest.raises(StoreError, match="at least 20 characters"):
        decide_request(portfolio, rid, move=True, override="too short")
    assert waiting_count(portfolio) == 1
    decide_request(portfolio, rid, move=True, override="the office runs it under the agency's ATO")
    assert portfolio.get(pid).stage is Stage.PRODUCTION
    assert last_event(portfolio).after["failed_rules"]


def test_a_declined_request_is_recorded_and_moves_nothing(portfolio: Portfolio) -> None:
    pid = add(portfolio)
    _, (rid,) = seed_waiting(portfolio, Waiting().request(pid, "intake", "poc"))
    decide_request(portfolio, rid, move=False)
    assert portfolio.get(pid).stage is Stage.INTAKE
    row = portfolio.conn.execute("SELECT decision, decided_by FROM office_request WHERE id = ?", (rid,)).fetchone()
    assert tuple(row) == ("declined", "tester")
    with pytest.raises(StoreError, match=re.escape("already decided: declined (by ")):
        decide_request(portfolio, rid, move=True)
    with pytest.raises(StoreError, match="no stage request 42"):
        decide_request(portfolio, 42, move=False)


# ---- the values as a person reads and types them ----------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "name", "text", "error"),
    [
        ("coverage", "access.roles", "done", "'done' is not a coverage status"),
        ("field", "high_impact", "maybe", "'maybe' is not yes or no"),
        ("field", "name", "  ", "a pilot needs a name"),
    ],
)
def test_an_edited_value_is_checked_against_the_fields_type(kind: Any, name: str, text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        parse_edit(kind, name, text)


def test_values_read_as_a_person_types_them_back() -> None:
    assert parse_edit("field", "high_impact", "Yes") is True
    assert parse_edit("coverage", "x", "waived: CAIO waiver 12") == ("waived", None, "CAIO waiver 12")
    assert describe("coverage", ("waived", "", "CAIO waiver 12")) == "waived: CAIO waiver 12"
    assert describe("blocker", None) == "not open"
    assert edit_text("field", False) == "no"
    assert parse_edit("coverage", "x", edit_text("coverage", ("met", "logs", ""))) == ("met", "logs", None)


# ---- after a real merge -------------------------------------------------------------------------------------


def test_what_a_real_merge_left_settles_and_stays_settled_after_the_next_bundle(tmp_path: Path) -> None:
    caio_path = merged_portfolio(tmp_path)
    with Portfolio.open(caio_path, actor="tester", clock=lambda: NOW) as caio:
        assert [str(c.key) for c in conflicts(caio)] == ["coverage access.roles", "description", "owner"]
        resolve_conflict(caio, 3, "office")
        resolve_conflict(caio, 2, "caio")
        resolve_conflict(caio, 1, "edited", parse_edit("coverage", "access.roles", "partial"))
        decide_request(caio, 1, move=True)
        assert (caio.get("P-1").owner, caio.get("P-2").stage) == ("Cy", Stage.POC)
        assert_whole(caio)
    with Portfolio.open(tmp_path / "office.db", actor="office-lead", clock=lambda: NOW) as office:
        office.edit_pilot("P-2", owner="Eve")
        with (tmp_path / "bundle2.json").open("wb") as out:
            write_bundle(office, out)
    with Portfolio.open(caio_path, actor="tester", clock=lambda: NOW) as caio:
        merge_file(caio, tmp_path / "bundle2.json", source="bundle2.json")
        assert (waiting_count(caio), caio.get("P-2").owner, caio.get("P-1").description) == (0, "Eve", "ours")
        assert_whole(caio)


def test_an_edited_value_is_checked_by_the_item_s_framework_in_one_place(portfolio: Portfolio) -> None:
    """The app's edit dialog and its write, and `resolve --value`, call one function: a `met` needs evidence
    where the item's framework asks it, and not for an item the catalog no longer holds (the dialog once
    accepted that, and the write then raised)."""
    assert edited_value(portfolio, "coverage", "access.roles", "met: IAM review") == ("met", "IAM review", None)
    with pytest.raises(ValueError, match=re.escape("access.roles: met needs evidence")):
        edited_value(portfolio, "coverage", "access.roles", "met")
    assert edited_value(portfolio, "coverage", "gone.item", "met") == ("met", None, None)
    assert edited_value(portfolio, "field", "high_impact", "yes") is True


def test_the_offices_met_without_evidence_is_not_taken(portfolio: Portfolio) -> None:
    pid = add(portfolio)
    office = ("met", "", "")
    (cid,), _ = seed_waiting(
        portfolio, Waiting().conflict(pid, "coverage", "access.roles", None, ("partial", "draft", ""), office)
    )
    head = portfolio.audit_head()
    with pytest.raises(
        StoreError, match=re.escape("the office's value of access.roles is met without evidence; keep the")
    ):
        resolve_conflict(portfolio, cid, "office")
    assert portfolio.audit_head() == head and waiting_count(portfolio) == 1
    assert "access.roles" not in portfolio.record(pid).coverage
