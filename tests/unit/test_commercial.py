"""The consolidated COTS file: header detection, the agency map, exact round trip, undo, snapshot, seal."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from caio_tui.io.commercial import agency_uses, cots_bytes
from caio_tui.io.inventory import TransferError, export_to, import_file
from caio_tui.io.omb.agencies import abbreviation
from caio_tui.io.omb.cots import COTS_HEADER, cots_columns, looks_like_cots, read_cots
from caio_tui.store import Portfolio, seal
from caio_tui.store.undo import undo
from helpers import REPO

EXCERPT = REPO / "tests" / "data" / "omb" / "cots_2025_excerpt.csv"


@pytest.fixture
def portfolio(tmp_path: Path) -> Portfolio:
    return Portfolio.open(tmp_path / "p.db", actor="caio", create=True)


def test_the_published_header_and_loose_spellings_are_recognised() -> None:
    assert cots_columns(COTS_HEADER) == {"agency": 0, "use_case": 1, "in_use": 2, "products": 3, "licenses": 4}
    loose = ["  agency ", "AI use-case", "AGENCY USE (Y/N)", "Estimated # of licenses / users"]
    assert cots_columns(loose) == {"agency": 0, "use_case": 1, "in_use": 2, "licenses": 3}
    assert cots_columns(["agency", "use_case_name", "development_stage"]) is None
    assert looks_like_cots(EXCERPT.read_bytes())
    assert not looks_like_cots((REPO / "tests/data/omb/inventory_2025.csv").read_bytes())


def test_agency_names_map_to_abbreviations_and_unknown_ones_are_not_guessed() -> None:
    assert abbreviation("Department of Treasury") == "TREAS"
    assert abbreviation("Department of the Treasury") == "TREAS"
    assert abbreviation("National Endowment of the Arts") == "NEA"
    assert abbreviation("United States Office of Special Counsel") == "OSC"
    assert abbreviation("dhs") == "DHS"
    assert abbreviation("Department of Veteran Affairs-OIG") is None


def test_read_reports_blank_answers_as_unknown_and_unknown_agencies() -> None:
    found = read_cots(EXCERPT.read_bytes(), source_name="cots.csv")
    assert found.exact and found.layout.newline == "\r\n" and found.layout.bom
    assert found.unknown_agencies == ["Department of Veteran Affairs-OIG"]
    reasons = {i.reason for i in found.issues}
    assert "blank answer: unknown (not N); kept blank" in reasons


def test_import_then_export_gives_back_the_file_byte_for_byte(portfolio: Portfolio, tmp_path: Path) -> None:
    result = import_file(portfolio, EXCERPT)
    assert result.kind == "cots" and result.cots is not None and result.cots.rows == 80
    assert cots_bytes(portfolio) == EXCERPT.read_bytes()
    again = import_file(portfolio, EXCERPT)
    assert again.cots is not None and not again.cots.changed  # a second import is a no-op
    csosa = agency_uses(portfolio, "CSOSA")
    assert len(csosa) == 20 and all(u.agency_abbr == "CSOSA" for u in csosa)
    assert len(agency_uses(portfolio, "Department of Veteran Affairs-OIG")) == 20


def test_the_same_layout_with_lf_and_no_bom_round_trips(portfolio: Portfolio) -> None:
    data = EXCERPT.read_bytes()[3:].replace(b"\r\n", b"\n")
    found = read_cots(data, source_name="lf.csv")
    assert found.exact and found.layout.newline == "\n" and not found.layout.bom


def test_undo_takes_the_whole_import_back(portfolio: Portfolio) -> None:
    import_file(portfolio, EXCERPT)
    event = undo(portfolio)
    assert event is not None and event.action == "cots.import"
    assert agency_uses(portfolio, "all") == []
    assert seal.check_state(portfolio.conn).holds


def test_a_snapshot_carries_the_file_and_gives_it_back(portfolio: Portfolio, tmp_path: Path) -> None:
    import_file(portfolio, EXCERPT)
    export_to(portfolio, "snapshot", tmp_path / "s.json")
    with Portfolio.open(tmp_path / "q.db", actor="caio", create=True) as other:
        import_file(other, tmp_path / "s.json")
        assert cots_bytes(other) == EXCERPT.read_bytes()
        assert seal.check_state(other.conn).holds


def test_export_without_a_file_says_so(portfolio: Portfolio, tmp_path: Path) -> None:
    with pytest.raises(TransferError, match="no consolidated COTS file imported"):
        export_to(portfolio, "omb-cots", tmp_path / "out.csv")


def test_verify_names_a_row_changed_outside_caio_tui(portfolio: Portfolio, tmp_path: Path) -> None:
    import_file(portfolio, EXCERPT)
    portfolio.close()
    raw = sqlite3.connect(tmp_path / "p.db")
    raw.execute("UPDATE commercial_use SET in_use = 'X' WHERE row_no = 2")
    raw.commit()
    raw.close()
    with Portfolio.open(tmp_path / "p.db", actor="caio") as reopened:
        faults = seal.check_state(reopened.conn).faults
    assert [f.describe() for f in faults] == [
        "commercial AI uses of agency Court Services and Offender Supervision Agency: changed outside caio-tui"
    ]
