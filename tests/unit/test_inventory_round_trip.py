"""An inventory imported and exported unchanged comes back cell for cell (every year's layout, its encoding
and line endings, rows in import order); a second import of that export changes nothing; what the file
left blank stays blank; what a person changed since is written in the year's own words."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from caio_tui.domain.stages import Stage
from caio_tui.io.inventory import export_bytes, import_file
from caio_tui.io.omb import COLUMNS_2025
from caio_tui.store import Portfolio
from helpers import DATA

OMB = DATA / "omb"
FIXTURES = [
    "inventory_2023.csv",
    "inventory_2024_short.csv",
    "inventory_2024_long_cp1252.csv",
    "inventory_2025.csv",
    "inventory_2025_formulas.csv",
]


def cells(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
    return list(csv.reader(io.StringIO(text, newline="")))


def assert_round_trip(tmp_path: Path, source: Path) -> None:
    with Portfolio.open(tmp_path / f"{source.stem}.db", actor="tester", create=True) as portfolio:
        import_file(portfolio, source)
        out = export_bytes(portfolio, "omb")
        given, written = cells(source.read_bytes()), cells(out)
        assert len(written) == len(given)
        for number, (a, b) in enumerate(zip(given, written, strict=True), start=1):
            assert b == a, f"{source.name}: row {number} differs"
        assert out == source.read_bytes()  # same encoding, BOM, line endings, final line ending
        # A second import of that export changes nothing: no pilot updated, no audit event.
        again = tmp_path / f"{source.stem}-export.csv"
        again.write_bytes(out)
        events = len(portfolio.history())
        result = import_file(portfolio, again)
        assert result.report is not None and (result.report.added, result.report.updated) == ((), ())
        assert len(portfolio.history()) == events


@pytest.mark.parametrize("name", FIXTURES)
def test_an_inventory_comes_back_cell_for_cell(tmp_path: Path, name: str) -> None:
    assert_round_trip(tmp_path, OMB / name)


def test_blank_rows_come_back_where_the_file_had_them(tmp_path: Path) -> None:
    """Spreadsheets leave rows with no answer (",,,," at the end, an empty line between use cases)."""
    lines = (OMB / "inventory_2024_short.csv").read_bytes().split(b"\r\n")
    width = lines[0].count(b",")
    blanked = [lines[0], lines[1], b"", lines[2], *lines[3:], b"," * width]
    source = tmp_path / "with-blank-rows.csv"
    source.write_bytes(b"\r\n".join(blanked))
    assert_round_trip(tmp_path, source)


@pytest.mark.slow
def test_the_published_inventories_come_back_cell_for_cell(tmp_path: Path) -> None:
    """The files OMB published (2023; 2024 short, no final line ending; 2024 v2, cp1252): one test, so that
    one worker takes all three."""
    for source in sorted((OMB / "reference").glob("*.csv")):
        assert_round_trip(tmp_path, source)


def test_blank_answers_stay_blank_in_the_2025_export(portfolio: Portfolio) -> None:
    import_file(portfolio, OMB / "inventory_2025.csv")
    given = {
        r[3]: dict(zip(COLUMNS_2025, r, strict=True)) for r in cells((OMB / "inventory_2025.csv").read_bytes())[1:]
    }
    for fmt in ("omb", "omb-2025"):
        written = {r[3]: dict(zip(COLUMNS_2025, r, strict=True)) for r in cells(export_bytes(portfolio, fmt))[1:]}
        for name, row in given.items():
            for column in ("id", "development_stage", "is_high_impact", "have_ato"):
                assert written[name][column] == row[column], (fmt, name, column)
    assert any(not r["id"] for r in given.values())  # a blank id: never a generated omb-… one
    assert any(not r["development_stage"] for r in given.values())


def test_a_change_made_in_the_app_is_written_in_the_years_words(portfolio: Portfolio) -> None:
    import_file(portfolio, OMB / "inventory_2024_short.csv")
    pilot = next(p for p in portfolio.pilots() if p.stage is Stage.INTAKE)
    portfolio.move(pilot.id, Stage.POC, override="built")
    rows = cells(export_bytes(portfolio, "omb"))
    given = cells((OMB / "inventory_2024_short.csv").read_bytes())
    assert rows[0] == given[0]  # the 2024 header, as given
    stage_column = given[0].index("16_dev_stage")
    changed = [(a, b) for a, b in zip(given[1:], rows[1:], strict=True) if a != b]
    assert [(a[stage_column], b[stage_column]) for a, b in changed] == [("Initiated", "Acquisition and/or Development")]
    # every other cell of that row is as given
    a, b = changed[0]
    assert [x for i, x in enumerate(a) if i != stage_column] == [x for i, x in enumerate(b) if i != stage_column]


def test_pilots_created_in_the_app_are_appended(portfolio: Portfolio) -> None:
    from caio_tui.domain.pilots import PilotFields

    import_file(portfolio, OMB / "inventory_2025.csv")
    new = portfolio.add_pilot(PilotFields(name="A use case typed in the app", office="DHS / CBP"))
    rows = cells(export_bytes(portfolio, "omb"))
    given = cells((OMB / "inventory_2025.csv").read_bytes())
    assert rows[: len(given)] == given
    assert len(rows) == len(given) + 1
    assert rows[-1][2] == new and rows[-1][3] == "A use case typed in the app"


def test_snapshot_keeps_what_was_blank_unknown(portfolio: Portfolio, tmp_path: Path) -> None:
    from caio_tui.io.inventory import export_to

    import_file(portfolio, OMB / "inventory_2025.csv")
    snapshot = tmp_path / "s.json"
    export_to(portfolio, "snapshot", snapshot)
    with Portfolio.open(tmp_path / "copy.db", actor="tester", create=True) as copy:
        import_file(copy, snapshot)
        before = {r[3]: r for r in cells(export_bytes(portfolio, "omb-2025"))[1:]}
        after = {r[3]: r for r in cells(export_bytes(copy, "omb-2025"))[1:]}
    assert after == before
