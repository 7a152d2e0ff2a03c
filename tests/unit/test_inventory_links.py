"""Years link: a later inventory updates the same use case (by id, else by agency and normalized name, the
bureau breaking ties), never by a guess; blanks of the later year never erase the earlier year's answers;
each year's stage is dated to its year."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from caio_tui.domain.coverage import CoverageStatus
from caio_tui.domain.stages import Stage
from caio_tui.io.inventory import export_bytes, import_file
from caio_tui.io.inventory_review import held_for_review, link_held
from caio_tui.store import Portfolio
from helpers.omb import write_2024, write_2025

Y24 = {"3_agency": "Department of Civic Services", "3_abr": "DCS"}
Y25 = {"agency": "DCS", "agency_name": "Department of Civic Services"}


def test_a_later_year_updates_the_same_use_case_by_name_and_blanks_erase_nothing(
    portfolio: Portfolio, tmp_path: Path
) -> None:
    first = write_2024(
        tmp_path / "2024.csv",
        [
            {
                **Y24,
                "2_use_case_name": "Claims Triage",
                "4_bureau": "OBA",
                "11_purpose_benefits": "Faster claims.",
                "16_dev_stage": "Implementation and Assessment",
                "40_has_ato": "Yes",
                "41_system_name": "Claims Cloud",
            }
        ],
    )
    import_file(portfolio, first)
    (pilot,) = portfolio.pilots()
    second = write_2025(
        tmp_path / "2025.csv",
        [
            {
                **Y25,
                "id": "DCS-7",
                "use_case_name": "claims  triage.",
                "agency_bureau": "OBA",
                "development_stage": "Deployed",
            }
        ],
    )
    result = import_file(portfolio, second)
    assert result.report is not None and result.report.added == ()
    assert result.linked == {pilot.id: "name"}
    (after,) = portfolio.pilots()
    assert after.id == pilot.id and after.stage is Stage.PRODUCTION
    # The blank 2025 cells erase nothing the 2024 file said.
    assert after.extra["benefits"] == "Faster claims." and after.extra["system_name_ato"] == "Claims Cloud"
    assert portfolio.record(pilot.id).coverage["ato.granted"].status is CoverageStatus.MET
    # The agency's 2025 id is kept: the next 2025 import matches by it (even renamed).
    assert after.extra["omb_id"] == "DCS-7"
    renamed = write_2025(
        tmp_path / "2025b.csv",
        [{**Y25, "id": "DCS-7", "use_case_name": "Claims Triage Assistant", "development_stage": "Deployed"}],
    )
    again = import_file(portfolio, renamed)
    assert again.report is not None and again.report.added == () and [c.id for c in again.report.updated] == [pilot.id]
    assert again.linked == {}
    # Each year's stage is dated to its year (not to the day of the import).
    moves = portfolio.record(pilot.id).stage_history
    assert [(m.to_stage, m.moved_at.year) for m in moves] == [(Stage.PILOT, 2024), (Stage.PRODUCTION, 2025)]


def test_the_bureau_breaks_a_tie_and_an_ambiguous_row_is_listed_not_guessed(
    portfolio: Portfolio, tmp_path: Path
) -> None:
    write_2024(
        tmp_path / "2024.csv",
        [
            {**Y24, "2_use_case_name": "Chatbot", "4_bureau": "OBA", "16_dev_stage": "Initiated"},
            {**Y24, "2_use_case_name": "Chatbot", "4_bureau": "OGM", "16_dev_stage": "Initiated"},
            {**Y24, "2_use_case_name": "Search", "4_bureau": "OGM", "16_dev_stage": "Initiated"},
            {**Y24, "2_use_case_name": "Search", "4_bureau": "OGM", "16_dev_stage": "Retired"},
        ],
    )
    import_file(portfolio, tmp_path / "2024.csv")
    by_bureau = {(p.name, p.office): p.id for p in portfolio.pilots()}
    rows = [
        {**Y25, "id": "DCS-1", "use_case_name": "Chatbot", "agency_bureau": "OGM", "development_stage": "Pilot"},
        {**Y25, "id": "DCS-2", "use_case_name": "Search", "agency_bureau": "OGM", "development_stage": "Pilot"},
    ]
    result = import_file(portfolio, write_2025(tmp_path / "2025.csv", rows))
    assert result.linked == {by_bureau[("Chatbot", "DCS / OGM")]: "name and bureau"}
    (ambiguous,) = result.ambiguous
    assert (ambiguous.row, ambiguous.name) == (3, "Search")
    assert len(ambiguous.candidates) == 2
    assert result.report is not None and result.report.added == ()  # held back, not a guess, not a duplicate
    assert "1 held" in result.summary
    # The held row keeps its place: the export in the file's layout gives the file back as it came (then the
    # pilots the 2025 file did not name, appended).
    assert export_bytes(portfolio, "omb").startswith((tmp_path / "2025.csv").read_bytes())

    # The CAIO links it in the app: one import event updates the chosen pilot and settles the row.
    (held,) = held_for_review(portfolio)
    assert (held.row, held.name, len(held.candidates)) == (3, "Search", 2)
    chosen = held.candidates[1]
    events = len(portfolio.history())
    report = link_held(portfolio, held.key, chosen.id)
    assert [c.id for c in report.updated] == [chosen.id] and report.added == ()
    assert len(portfolio.history()) == events + 1 and portfolio.history()[-1].action == "import"
    assert held_for_review(portfolio) == []
    assert portfolio.get(chosen.id).stage is Stage.PILOT and portfolio.get(chosen.id).extra["omb_id"] == "DCS-2"
    assert export_bytes(portfolio, "omb").startswith((tmp_path / "2025.csv").read_bytes())
    # A second import of the same file now finds the row by its id: nothing held, nothing changed.
    again = import_file(portfolio, tmp_path / "2025.csv")
    assert again.ambiguous == [] and again.report is not None and again.report.updated == ()


def test_a_held_row_kept_as_a_new_pilot(portfolio: Portfolio, tmp_path: Path) -> None:
    write_2024(
        tmp_path / "2024.csv",
        [
            {**Y24, "2_use_case_name": "Search", "4_bureau": "OGM", "16_dev_stage": "Initiated"},
            {**Y24, "2_use_case_name": "Search", "4_bureau": "OGM", "16_dev_stage": "Retired"},
        ],
    )
    import_file(portfolio, tmp_path / "2024.csv")
    rows = [{**Y25, "use_case_name": "Search", "agency_bureau": "OGM", "development_stage": "Pilot"}]
    import_file(portfolio, write_2025(tmp_path / "2025.csv", rows))
    (held,) = held_for_review(portfolio)
    report = link_held(portfolio, held.key, None)
    assert len(report.added) == 1 and len(portfolio.pilots()) == 3
    assert export_bytes(portfolio, "omb").startswith((tmp_path / "2025.csv").read_bytes())


def test_a_pilot_keeps_one_row_of_a_file_so_a_second_link_to_it_is_refused(
    portfolio: Portfolio, tmp_path: Path
) -> None:
    from caio_tui.io.inventory import TransferError

    two = [{**Y24, "2_use_case_name": "Search", "4_bureau": "OGM", "16_dev_stage": "Initiated"}] * 2
    import_file(portfolio, write_2024(tmp_path / "2024.csv", two))
    rows = [
        {**Y25, "use_case_name": "Search", "agency_bureau": "OGM", "development_stage": s}
        for s in ("Pilot", "Deployed")
    ]
    import_file(portfolio, write_2025(tmp_path / "2025.csv", rows))
    first, second = held_for_review(portfolio)
    target = first.candidates[0].id
    link_held(portfolio, first.key, target)
    with pytest.raises(TransferError, match=f"{target} already keeps row 2 of this inventory"):
        link_held(portfolio, second.key, target)
    assert [h.key for h in held_for_review(portfolio)] == [second.key]  # still held, nothing lost
    exported = export_bytes(portfolio, "omb")
    assert exported.startswith((tmp_path / "2025.csv").read_bytes())  # both rows, each in its place


def test_a_linked_row_with_no_id_is_found_again_by_the_next_import_of_its_file(
    portfolio: Portfolio, tmp_path: Path
) -> None:
    two = [{**Y24, "2_use_case_name": "Chatbot", "4_bureau": "OBA", "16_dev_stage": "Initiated"}] * 2
    import_file(portfolio, write_2024(tmp_path / "2024.csv", two))
    row = [{**Y25, "use_case_name": "Chatbot", "agency_bureau": "OBA", "development_stage": "Pilot"}]  # no id
    source = write_2025(tmp_path / "2025.csv", row)
    import_file(portfolio, source)
    (held,) = held_for_review(portfolio)
    link_held(portfolio, held.key, held.candidates[0].id)
    events = len(portfolio.history())
    again = import_file(portfolio, source)
    assert again.ambiguous == [] and held_for_review(portfolio) == []  # found, not held again
    assert again.report is not None and (again.report.added, again.report.updated) == ((), ())
    assert len(portfolio.history()) == events
    exported = export_bytes(portfolio, "omb")
    assert exported.startswith(source.read_bytes()) and exported.count(b"Chatbot,OBA,,,Pilot") == 1


def test_undo_puts_held_rows_back_as_they_were(portfolio: Portfolio, tmp_path: Path) -> None:
    from caio_tui.store.undo import next_undo, undo

    def undo_last() -> None:
        event = next_undo(portfolio)
        assert event is not None
        undo(portfolio, event.id)

    two = [{**Y24, "2_use_case_name": "Search", "4_bureau": "OGM", "16_dev_stage": "Initiated"}] * 2
    import_file(portfolio, write_2024(tmp_path / "2024.csv", two))
    rows = [{**Y25, "id": "DCS-9", "use_case_name": "Search", "agency_bureau": "OGM", "development_stage": "Pilot"}]
    source = write_2025(tmp_path / "2025.csv", rows)
    import_file(portfolio, source)
    (held,) = held_for_review(portfolio)
    link_held(portfolio, held.key, held.candidates[0].id)
    assert held_for_review(portfolio) == []
    undo_last()  # the link: the row is held again, the pilot as it was
    assert [h.key for h in held_for_review(portfolio)] == [held.key]
    assert portfolio.get(held.candidates[0].id).stage.value == "intake"
    assert held_for_review(portfolio)[0].name == "Search"  # the row itself, nothing lost
    undo_last()  # the import that held it: nothing held any more
    assert held_for_review(portfolio) == []


def test_the_cli_lists_links_and_ambiguous_rows_as_text_and_json(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from caio_tui.cli import cli

    db = tmp_path / "p.db"
    write_2024(
        tmp_path / "2024.csv",
        [
            {**Y24, "2_use_case_name": "Search", "4_bureau": "OGM", "16_dev_stage": "Initiated"},
            {**Y24, "2_use_case_name": "Search", "4_bureau": "OGM", "16_dev_stage": "Retired"},
            {**Y24, "2_use_case_name": "Triage", "4_bureau": "OBA", "16_dev_stage": "Initiated"},
        ],
    )
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", str(db), "import", str(tmp_path / "2024.csv")]).exit_code == 0
    rows = [
        {**Y25, "id": "DCS-1", "use_case_name": "Search", "agency_bureau": "OGM", "development_stage": "Pilot"},
        {**Y25, "id": "DCS-2", "use_case_name": "Triage", "agency_bureau": "OBA", "development_stage": "Pilot"},
    ]
    path = write_2025(tmp_path / "2025.csv", rows)
    dry = runner.invoke(cli, ["--db", str(db), "import", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "? row 2  Search  matches " in dry.output and "held" in dry.output
    assert "linked to this year's row by name" in dry.output
    as_json = runner.invoke(cli, ["--db", str(db), "import", str(path), "--json"])
    report = json.loads(as_json.stdout)
    assert [a["row"] for a in report["ambiguous"]] == [2] and len(report["ambiguous"][0]["candidates"]) == 2
    assert [link["by"] for link in report["linked"]] == ["name"]
    assert report["added"] == [] and [u["id"] for u in report["updated"]] != []
