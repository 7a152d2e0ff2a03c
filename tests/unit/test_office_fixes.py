"""Offices, the review's findings: a bundle carries every pilot its chain names (a revert is not lost, a
dropped pilot is refused), bundles of one send merge in chain order, an office's new pilots get ids of their
own and enter at intake, the CAIO's fields always ask, stale conflicts close, undo stops at a merge, and
sends and merges stay in the CAIO's portfolio."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from caio_tui.domain.pilots import PilotFields
from caio_tui.domain.stages import Stage
from caio_tui.domain.territory import BlockerCategory
from caio_tui.io.offices import OfficeFileError, merge_file
from caio_tui.store import Portfolio, StoreError
from caio_tui.store.office_apply import MergeOutcome
from helpers.office_files import bundle, copy_of, office_portfolio, send, signed

GMO = "Grants Management Office"


def merged(caio: Portfolio, file: Path) -> MergeOutcome:
    return merge_file(caio, file, source=file.name)


def test_an_office_reverting_a_merged_change_is_carried_and_merged(sample_portfolio: Portfolio, tmp_path: Path) -> None:
    caio = sample_portfolio
    with office_portfolio(caio, GMO, tmp_path) as office:
        pilot = office.pilots()[0].id
        sent_owner = office.get(pilot).owner
        office.edit_pilot(pilot, owner="Yvonne")
        merged(caio, bundle(office, tmp_path, "b1.json"))
        office.edit_pilot(pilot, owner=sent_owner)
        merged(caio, bundle(office, tmp_path, "b2.json"))
    assert caio.get(pilot).owner == sent_owner


def test_a_bundle_without_a_pilot_its_chain_changed_is_refused(sample_portfolio: Portfolio, tmp_path: Path) -> None:
    caio = sample_portfolio
    with office_portfolio(caio, GMO, tmp_path) as office:
        first, second = [p.id for p in office.pilots()][:2]
        office.edit_pilot(first, owner="One")
        office.edit_pilot(second, owner="Two")
        file = bundle(office, tmp_path)
    file.write_text(signed(_without(file.read_text(), second)))
    head = caio.audit_head()
    with pytest.raises(OfficeFileError, match=f"does not carry pilot {second}, which the office's chain changed"):
        merged(caio, file)
    assert caio.audit_head() == head and caio.get(first).owner != "One"


def _without(text: str, pilot_id: str) -> str:
    """The bundle's text without one carried pilot's line (the line before loses its comma if it was last)."""
    lines = text.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith(f'    {{"id":"{pilot_id}"'))
    if not lines[at].endswith(",\n"):
        lines[at - 1] = lines[at - 1].removesuffix(",\n") + "\n"
    return "".join(lines[:at] + lines[at + 1 :])


def test_bundles_of_one_send_merge_only_in_chain_order(sample_portfolio: Portfolio, tmp_path: Path) -> None:
    caio = sample_portfolio
    with office_portfolio(caio, GMO, tmp_path) as office:
        pilot = office.pilots()[0].id
        office.edit_pilot(pilot, owner="Old")
        older = bundle(office, tmp_path, "b1.json")
        office.edit_pilot(pilot, owner="New")
        newer = bundle(office, tmp_path, "b2.json")
    first = merged(caio, newer)
    head = caio.audit_head()
    outcome = merged(caio, older)  # older than the one merged: it would roll the newer values back
    assert outcome.older_than == first.head and (outcome.changes, outcome.conflicts) == (0, 0)
    assert caio.get(pilot).owner == "New" and caio.audit_head() == head


def test_a_known_head_is_verified_before_already_merged(sample_portfolio: Portfolio, tmp_path: Path) -> None:
    caio = sample_portfolio
    with office_portfolio(caio, GMO, tmp_path) as office:
        office.edit_pilot(office.pilots()[0].id, owner="Once")
        file = bundle(office, tmp_path)
    merged(caio, file)
    text = file.read_text()
    (tmp_path / "cut.json").write_text(text[: len(text) // 2])
    with pytest.raises(OfficeFileError):
        merged(caio, tmp_path / "cut.json")
    # Another copy of the bundle (the office bundled twice: another writer or time in its head), verified
    # whole: the same state as the one merged, so already merged, and said so.
    (tmp_path / "resaved.json").write_text(signed(text.replace('"written_by": "office-lead"', '"written_by": "x"')))
    head = caio.audit_head()
    copy = merged(caio, tmp_path / "resaved.json")
    assert copy.already and copy.another_copy and "already merged (from another copy of it)" in copy.summary()
    assert caio.audit_head() == head
    again = merge_file(caio, file, source="again")
    assert again.already and not again.another_copy


@pytest.mark.parametrize("cut", ["in a line", "at a line's end"])
def test_a_bundle_cut_short_says_so(sample_portfolio: Portfolio, tmp_path: Path, cut: str) -> None:
    with office_portfolio(sample_portfolio, GMO, tmp_path) as office:
        office.edit_pilot(office.pilots()[0].id, owner="Once")
        file = bundle(office, tmp_path)
    text = file.read_text()
    pilots = text.index('  "pilots": [')
    end = text.index("\n", pilots + 20) + 1  # the end of the first pilot's line
    (tmp_path / "cut.json").write_text(text[: end - 20] if cut == "in a line" else text[:end])
    with pytest.raises(OfficeFileError, match=r"cut.json:\d+: the file ends in its section 'pilots': it was cut short"):
        merged(sample_portfolio, tmp_path / "cut.json")
    assert sample_portfolio.session.one("SELECT count(*) AS n FROM office_bundle")["n"] == 0


def test_pilots_an_office_creates_get_ids_of_their_own_and_enter_at_intake(
    sample_portfolio: Portfolio, tmp_path: Path
) -> None:
    caio = sample_portfolio
    with office_portfolio(caio, GMO, tmp_path) as office:
        new = office.add_pilot(
            PilotFields(name="Office's pilot", office="Elsewhere", owner="Lee"), stage=Stage.PRODUCTION
        )
        file = bundle(office, tmp_path)
    mine = caio.add_pilot(PilotFields(name="CAIO's pilot", office=GMO, owner="Cy"))
    assert new == "GMO-0001" and mine != new
    outcome = merge_file(caio, file, source=file.name)
    assert outcome.added == 1 and caio.get(mine).name == "CAIO's pilot"
    added = caio.get(new)
    assert (added.name, added.office, added.stage) == ("Office's pilot", GMO, Stage.INTAKE)
    request = caio.session.one("SELECT current, requested FROM office_request WHERE pilot_id = ?", (new,))
    assert tuple(request) == ("intake", "production")
    conflict = caio.session.one("SELECT name, caio, office FROM office_conflict WHERE pilot_id = ?", (new,))
    assert tuple(conflict) == ("office", json.dumps(GMO), json.dumps("Elsewhere"))
    actors = caio.session.one("SELECT group_concat(actor) AS a FROM stage_move WHERE pilot_id = ?", (new,))["a"]
    assert actors == f"office {GMO}"
    (tmp_path / "again").mkdir()
    with office_portfolio(caio, GMO, tmp_path / "again") as two:
        assert two.add_pilot(PilotFields(name="x", office=GMO, owner="y")) == "GMO2-0001"


def test_an_office_s_change_of_office_or_high_impact_waits_for_the_caio(
    sample_portfolio: Portfolio, tmp_path: Path
) -> None:
    caio = sample_portfolio
    with office_portfolio(caio, GMO, tmp_path) as office:
        pilot = office.pilots()[0]
        office.edit_pilot(pilot.id, office="Office of the CIO", high_impact=not pilot.high_impact)
        outcome = merge_file(caio, bundle(office, tmp_path), source="b")
    assert (outcome.changes, outcome.conflicts) == (0, 2)
    assert caio.get(pilot.id).office == GMO and caio.get(pilot.id).high_impact == pilot.high_impact


def test_a_newer_bundle_supersedes_or_agrees_with_waiting_conflicts(
    sample_portfolio: Portfolio, tmp_path: Path
) -> None:
    caio = sample_portfolio
    with office_portfolio(caio, GMO, tmp_path) as office:
        first, second = [p.id for p in office.pilots()][:2]
        caio.edit_pilot(first, owner="CAIO 1")
        caio.edit_pilot(second, owner="CAIO 2")
        office.edit_pilot(first, owner="Office 1")
        office.edit_pilot(second, owner="Office 2")
        merged(caio, bundle(office, tmp_path, "b1.json"))
        office.edit_pilot(first, owner="Office 1 again")
        office.edit_pilot(second, owner="CAIO 2")
        merged(caio, bundle(office, tmp_path, "b2.json"))
    rows = caio.session.read("SELECT pilot_id, office, resolution FROM office_conflict ORDER BY id")
    assert [tuple(r) for r in rows] == [
        (first, json.dumps("Office 1"), "superseded"),
        (second, json.dumps("Office 2"), "agreed"),
        (first, json.dumps("Office 1 again"), None),
    ]
    assert caio.check_state().holds


def test_the_office_s_words_for_its_move_come_with_its_request(sample_portfolio: Portfolio, tmp_path: Path) -> None:
    caio = sample_portfolio
    with office_portfolio(caio, GMO, tmp_path) as office:
        pilot = next(p for p in office.pilots() if p.stage is Stage.POC)
        office.move(pilot.id, Stage.PRODUCTION, override="the office thinks it is ready")
        merged(caio, bundle(office, tmp_path))
    assert caio.session.one("SELECT note FROM office_request")["note"] == "the office thinks it is ready"


def test_undo_stops_at_a_merge(sample_portfolio: Portfolio, tmp_path: Path) -> None:
    caio = sample_portfolio
    with office_portfolio(caio, GMO, tmp_path) as office:
        office.edit_pilot(office.pilots()[0].id, owner="Merged")
        merged(caio, bundle(office, tmp_path))
    head, pilots = caio.audit_head(), len(caio.pilots())
    with pytest.raises(StoreError, match=r"undo stops at the merge of bundle \w{16} \(a merge is not undone"):
        caio.undo()
    assert caio.audit_head() == head and len(caio.pilots()) == pilots


def test_sends_and_merges_stay_in_the_caio_s_portfolio(sample_portfolio: Portfolio, tmp_path: Path) -> None:
    caio = sample_portfolio
    with office_portfolio(caio, GMO, tmp_path) as office:
        office.edit_pilot(office.pilots()[0].id, owner="Mine")
        file = bundle(office, tmp_path)
        with pytest.raises(OfficeFileError, match=f"this is the portfolio of the {GMO} .*merge its bundle in the CAIO"):
            merge_file(office, file, source=file.name)
        with pytest.raises(StoreError, match=f"this is the portfolio of the {GMO} "):
            send(office, GMO, tmp_path)
        office.create_tag("my-own-tag", BlockerCategory.ORGANIZATIONAL, areas=[], description="")
        with pytest.raises(StoreError, match="the tag 'my-own-tag' was created in this office's portfolio"):
            bundle(office, tmp_path, "refused.json")


def test_a_bundle_whose_chain_forks_from_the_one_merged_is_refused(sample_portfolio: Portfolio, tmp_path: Path) -> None:
    from helpers.office_files import opened

    caio = sample_portfolio
    with office_portfolio(caio, GMO, tmp_path) as office:
        pilot = office.pilots()[0].id
        copy_of(office, tmp_path / "backup.db")
        office.edit_pilot(pilot, owner="Kept")
        merged(caio, bundle(office, tmp_path, "kept.json"))
    with opened(tmp_path / "backup.db", "office-lead") as restored:
        restored.edit_pilot(pilot, owner="From the backup")
        fork = bundle(restored, tmp_path, "fork.json")
    with pytest.raises(OfficeFileError, match=r"refused: its chain forks from the chain merged before"):
        merged(caio, fork)
    assert caio.get(pilot).owner == "Kept"
