"""Offices: a send, the office's portfolio opened from it, its bundle, and the merge into the CAIO's
portfolio: one-sided changes apply with the office as their source, two-sided ones wait as conflicts, stage
moves arrive as requests, a bundle that does not hold together is refused in one line with nothing written,
the same bundle twice changes nothing, and two offices merge in either order to the same pilots."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from caio_tui.domain.coverage import CoverageStatus
from caio_tui.domain.stages import Stage
from caio_tui.io.offices import OfficeFileError, merge_file, write_bundle
from caio_tui.io.snapshot import snapshot_of
from caio_tui.store import Portfolio, StoreError
from caio_tui.tui.widgets.detail.content import audit_content, load_view
from helpers.office_files import bundle, copy_of, office_portfolio, opened, send

GMO = "Grants Management Office"
OHC = "Office of Human Capital"


def test_a_send_of_an_office_without_pilots_is_refused_naming_the_offices(
    sample_portfolio: Portfolio, tmp_path: Path
) -> None:
    with pytest.raises(StoreError, match=f"no pilot has the office 'Nowhere'; offices: .*{GMO}"):
        send(sample_portfolio, "Nowhere", tmp_path)
    assert sample_portfolio.session.one("SELECT count(*) AS n FROM office_send")["n"] == 0


def test_the_office_opens_its_send_with_its_pilots_rules_and_its_own_chain(
    sample_portfolio: Portfolio, tmp_path: Path
) -> None:
    with office_portfolio(sample_portfolio, GMO, tmp_path) as office:
        assert {p.office for p in office.pilots()} == {GMO}
        assert office.rules() == sample_portfolio.rules()
        assert [e.action for e in office.history()][-1] == "office.init"
        assert office.verify_chain()[1] is None and office.check_state().holds


def test_one_sided_changes_apply_with_the_office_as_their_source(sample_portfolio: Portfolio, tmp_path: Path) -> None:
    caio = sample_portfolio
    with office_portfolio(caio, GMO, tmp_path) as office:
        first, second = [p.id for p in office.pilots()][:2]
        office.edit_pilot(first, owner="Dana Office")
        office.set_coverage(second, "access.roles", CoverageStatus.MET, evidence="role matrix v2")
        office.open_blocker(second, "skills-gap", note="no ML engineer")
        file = bundle(office, tmp_path)
    caio.edit_pilot(second, description="changed by the CAIO only")
    outcome = merge_file(caio, file, source=file.name)
    assert (outcome.changes, outcome.conflicts, outcome.requests, outcome.added) == (3, 0, 0, 0)
    assert caio.get(first).owner == "Dana Office"
    assert caio.get(second).description == "changed by the CAIO only"  # a CAIO-only change is not undone
    coverage = caio.session.one(
        "SELECT status, evidence, updated_by FROM coverage WHERE pilot_id = ? AND item_id = 'access.roles'", (second,)
    )
    assert tuple(coverage) == ("met", "role matrix v2", f"office {GMO}")
    blocker = caio.session.one("SELECT opened_by FROM blocker WHERE pilot_id = ? AND tag = 'skills-gap'", (second,))
    assert blocker["opened_by"] == f"office {GMO}"
    merge_event = caio.history(first)[-1]
    assert merge_event.action == "office_merge" and merge_event.after["pilots"][first] == ["owner"]
    assert caio.check_state().holds and caio.verify_chain()[1] is None
    # The pilot's detail screen says what the merge did to this pilot, not the bundle's totals.
    trail = audit_content(load_view(caio, second), 200).plain
    assert f"from the {GMO} (send {merge_event.after['send_id']}): blocker skills-gap, coverage access.roles" in trail
    assert "3 change(s)" not in trail


def test_both_sides_changing_a_field_differently_is_a_conflict_applied_by_neither(
    sample_portfolio: Portfolio, tmp_path: Path
) -> None:
    caio = sample_portfolio
    with office_portfolio(caio, GMO, tmp_path) as office:
        pilot = office.pilots()[0].id
        base_owner = office.get(pilot).owner
        office.edit_pilot(pilot, owner="Office pick")
        file = bundle(office, tmp_path)
    caio.edit_pilot(pilot, owner="CAIO pick")
    outcome = merge_file(caio, file, source=file.name)
    assert outcome.conflicts == 1 and outcome.changes == 0
    assert caio.get(pilot).owner == "CAIO pick"
    row = caio.session.one("SELECT * FROM office_conflict")
    assert (row["pilot_id"], row["kind"], row["name"]) == (pilot, "field", "owner")
    assert [json.loads(row[k]) for k in ("base", "caio", "office")] == [base_owner, "CAIO pick", "Office pick"]


def test_a_stage_move_of_the_office_arrives_as_a_request(sample_portfolio: Portfolio, tmp_path: Path) -> None:
    caio = sample_portfolio
    with office_portfolio(caio, GMO, tmp_path) as office:
        pilot = next(p for p in office.pilots() if p.stage is Stage.POC)
        office.move(pilot.id, Stage.PILOT, override="the office's test")
        file = bundle(office, tmp_path)
    outcome = merge_file(caio, file, source=file.name)
    assert outcome.requests == 1
    assert caio.get(pilot.id).stage is Stage.POC
    row = caio.session.one("SELECT pilot_id, office, current, requested FROM office_request")
    assert tuple(row) == (pilot.id, GMO, "poc", "pilot")


def test_a_pilot_the_office_created_is_added(sample_portfolio: Portfolio, tmp_path: Path) -> None:
    from caio_tui.domain.pilots import PilotFields

    caio = sample_portfolio
    with office_portfolio(caio, GMO, tmp_path) as office:
        new = office.add_pilot(PilotFields(name="Grant triage", office=GMO, owner="Lee"), pilot_id="GMO-NEW-1")
        file = bundle(office, tmp_path)
    outcome = merge_file(caio, file, source=file.name)
    assert outcome.added == 1 and caio.get(new).name == "Grant triage"


def test_merging_the_same_bundle_twice_changes_nothing(sample_portfolio: Portfolio, tmp_path: Path) -> None:
    caio = sample_portfolio
    with office_portfolio(caio, GMO, tmp_path) as office:
        office.edit_pilot(office.pilots()[0].id, owner="Once")
        file = bundle(office, tmp_path)
    merge_file(caio, file, source=file.name)
    head = caio.audit_head()
    again = merge_file(caio, file, source=file.name)
    assert again.already and caio.audit_head() == head


def test_a_bundle_with_nothing_changed_carries_no_pilot(sample_portfolio: Portfolio, tmp_path: Path) -> None:
    with office_portfolio(sample_portfolio, GMO, tmp_path) as office, (tmp_path / "b.json").open("wb") as stream:
        assert write_bundle(office, stream).carried == 0
    assert merge_file(sample_portfolio, tmp_path / "b.json", source="b.json").changes == 0


def _signed(text: str) -> str:
    """The bundle's text signed again after an edit, as someone who knows the layout would."""
    body = "".join(text.splitlines(keepends=True)[:-2])
    digest = "sha256:" + hashlib.sha256(body.encode()).hexdigest()
    return body + f'  "digest": "{digest}"\n}}\n'


def _head_edited(text: str) -> str:
    at = text.index('"head": "') + len('"head": "')
    return _signed(text[:at] + ("1" if text[at] != "1" else "2") + text[at + 1 :])


TAMPERING = {
    "a pilot's value": (lambda t: _signed(t.replace('"Tampered"', '"Someone else"')), "not the ones sealed"),
    "an event": (lambda t: _signed(t.replace('"action":"pilot.edit"', '"action":"pilot.edlt"')), "changed after"),
    "the head": (_head_edited, "not the newest event"),
    "the file, unsigned": (lambda t: t.replace('"written_by": "office-lead"', '"written_by": "x"'), "digest does not"),
}


@pytest.mark.parametrize("what", TAMPERING)
def test_a_bundle_that_does_not_hold_together_is_refused_in_one_line_with_nothing_written(
    sample_portfolio: Portfolio, tmp_path: Path, what: str
) -> None:
    caio = sample_portfolio
    with office_portfolio(caio, GMO, tmp_path) as office:
        pilot = office.pilots()[0].id
        office.edit_pilot(pilot, owner="Tampered")
        file = bundle(office, tmp_path)
    edit, reason = TAMPERING[what]
    file.write_text(edit(file.read_text()))
    head = caio.audit_head()
    with pytest.raises(OfficeFileError, match=reason) as refused:
        merge_file(caio, file, source=file.name)
    assert "\n" not in str(refused.value)
    assert caio.audit_head() == head and caio.get(pilot).owner != "Tampered"


def test_a_bundle_of_a_send_this_portfolio_never_made_is_refused(sample_portfolio: Portfolio, tmp_path: Path) -> None:
    caio = sample_portfolio
    with office_portfolio(caio, GMO, tmp_path) as office:
        office.edit_pilot(office.pilots()[0].id, owner="Elsewhere")
        file = bundle(office, tmp_path)
    with opened(tmp_path / "fresh.db", create=True) as fresh:
        with pytest.raises(OfficeFileError, match=r"refused: a bundle of send .* never sent; nothing was merged"):
            merge_file(fresh, file, source=file.name)
        assert fresh.session.one("SELECT count(*) AS n FROM office_bundle")["n"] == 0


def test_two_offices_merge_in_either_order_to_the_same_pilots(sample_portfolio: Portfolio, tmp_path: Path) -> None:
    caio = sample_portfolio
    files = []
    for office_name, owner in ((GMO, "Grants lead"), (OHC, "HC lead")):
        folder = tmp_path / office_name[:6]
        folder.mkdir()
        with office_portfolio(caio, office_name, folder) as office:
            for pilot in list(office.pilots())[:2]:
                office.edit_pilot(pilot.id, owner=owner)
            files.append(bundle(office, folder))
    copies = [tmp_path / "ab.db", tmp_path / "ba.db"]
    for copy in copies:
        copy_of(caio, copy)
    pilots = []
    for copy, order in zip(copies, (files, files[::-1]), strict=True):
        with opened(copy) as merged:
            for file in order:
                merge_file(merged, file, source=file.name)
            pilots.append(snapshot_of(merged)["pilots"])
    assert pilots[0] == pilots[1]
