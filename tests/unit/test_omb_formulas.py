"""The OMB 2025 export and cells a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab, CR first).

Two duties meet: the submission carries the agency's answers exactly (OMB publishes "- " bulleted prose as
given), and the tool carries no new formula into it. A cell whose text is verbatim what an imported
inventory gave is written as given; any other such cell (typed in the app, edited since the import, arrived
in a snapshot) is neutralized as the CSV export of pilots does, and the export's summary counts both.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import Result

from caio_tui.domain.pilots import PilotFields
from caio_tui.io.inventory import export_bytes, export_to, import_file
from caio_tui.io.omb import OmbRecord, read_inventory, write_inventory_2025
from caio_tui.io.reports import csv_cell
from caio_tui.store import Portfolio
from helpers import DATA
from helpers.cli import run

INVENTORY = DATA / "omb" / "inventory_2025_formulas.csv"
HOSTILE = "=cmd|' /C calc'!A0"  # a pilot named so in the app: the CAIO's spreadsheet would run it


def rows_by_id(data: bytes) -> dict[str, dict[str, str]]:
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    return {row["id"]: row for row in rows}


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def test_text_typed_in_the_app_is_neutralized(portfolio: Portfolio) -> None:
    pilot = portfolio.add_pilot(PilotFields(name=HOSTILE, owner="@pat", office="- Operations"))
    row = rows_by_id(export_bytes(portfolio, "omb-2025"))[pilot]
    assert row["use_case_name"] == "'" + HOSTILE
    assert row["contact_email"] == "'@pat"
    assert row["agency_bureau"] == "'- Operations"  # the bureau the export derives from the office


def test_imported_answers_round_trip_byte_for_byte_beside_typed_text(portfolio: Portfolio) -> None:
    import_file(portfolio, INVENTORY)
    # Bulleted prose, a "+", an "@", a tab-indented bullet, even "=SUM(...)": the agency's answers, as given.
    assert export_bytes(portfolio, "omb-2025") == INVENTORY.read_bytes()

    typed = portfolio.add_pilot(PilotFields(name=HOSTILE))
    rows = rows_by_id(export_bytes(portfolio, "omb-2025"))
    assert rows[typed]["use_case_name"] == "'" + HOSTILE
    given = rows_by_id(INVENTORY.read_bytes())
    assert (rows["FX-1"], rows["FX-2"]) == (given["FX-1"], given["FX-2"])


def test_a_field_imported_then_edited_is_neutralized(portfolio: Portfolio) -> None:
    import_file(portfolio, INVENTORY)
    portfolio.edit_pilot("FX-1", name='=HYPERLINK("http://evil.example","Claims")', owner="- someone else")
    portfolio.edit_pilot("FX-2", name="- Benefits chatbot")
    rows = rows_by_id(export_bytes(portfolio, "omb-2025"))
    assert rows["FX-1"]["use_case_name"] == '\'=HYPERLINK("http://evil.example","Claims")'
    assert rows["FX-1"]["contact_email"] == "'- someone else"
    assert rows["FX-2"]["use_case_name"] == "'- Benefits chatbot"
    assert rows["FX-1"]["problem_solved"].startswith("- Backlog")  # the answers nobody edited stay as given

    # Edited to another bullet than the inventory's: not what it gave. Back to its text: as given again.
    portfolio.edit_pilot("FX-1", name="- Claims triage (renamed)")
    assert rows_by_id(export_bytes(portfolio, "omb-2025"))["FX-1"]["use_case_name"] == "'- Claims triage (renamed)"
    portfolio.edit_pilot("FX-1", name="- Claims triage (bulleted name)")
    assert rows_by_id(export_bytes(portfolio, "omb-2025"))["FX-1"]["use_case_name"] == "- Claims triage (bulleted name)"


@pytest.mark.parametrize("layout", ["as exported", "reformatted"])
def test_values_from_a_snapshot_are_neutralized(tmp_path: Path, layout: str) -> None:
    """Even a snapshot that carries the record of what an inventory gave (here a hostile name that an
    inventory did give): the receiving portfolio never imported that inventory."""
    hostile = tmp_path / "hostile.csv"
    text = INVENTORY.read_bytes().decode("utf-8-sig").replace("- Claims triage (bulleted name)", HOSTILE)
    hostile.write_bytes(text.encode("utf-8-sig"))
    snapshot = tmp_path / "snapshot.json"
    with Portfolio.open(tmp_path / "a.db", actor="a", create=True) as source:
        import_file(source, hostile)
        assert rows_by_id(export_bytes(source, "omb-2025"))["FX-1"]["use_case_name"] == HOSTILE  # as given
        export_to(source, "snapshot", snapshot)
    if layout == "reformatted":  # another program's formatting: the whole-document reader, not the stream
        snapshot.write_text(json.dumps(json.loads(snapshot.read_text()), indent=1))
    with Portfolio.open(tmp_path / "b.db", actor="b", create=True) as target:
        import_file(target, snapshot)
        rows = rows_by_id(export_bytes(target, "omb-2025"))
    assert rows["FX-1"]["use_case_name"] == "'" + HOSTILE
    assert rows["FX-1"]["problem_solved"] == "'- Backlog of 40,000 claims a year\n- Sorted by hand"
    assert rows["FX-2"]["data_description"] == "'=SUM(1,2) is how the inventory wrote it"


def test_the_summary_counts_kept_and_neutralized_cells(tmp_path: Path) -> None:
    db, out = tmp_path / "p.db", tmp_path / "inventory.csv"
    ok(run("--db", db, "import", INVENTORY))
    ok(run("--db", db, "add", "--name", HOSTILE))  # FX-1 and FX-2: rows 2 and 3 as imported; AI-0001 appended
    result = ok(run("--db", db, "export", "--format", "omb-2025", "-o", out))
    size = out.stat().st_size
    assert result.stderr.strip() == (
        f"wrote {out} (omb-2025, {size:,} bytes); cells that start like a formula: 8 kept as the inventory gave "
        'them (row 2 "use_case_name", row 2 "problem_solved", row 2 "benefits" and 5 more), 1 neutralized'
    )
    # Written to standard output, the same count goes to standard error.
    to_stdout = ok(run("--db", db, "export", "--format", "omb-2025"))
    assert to_stdout.stdout_bytes == out.read_bytes()
    assert "8 kept as the inventory gave them" in to_stdout.stderr and "1 neutralized" in to_stdout.stderr


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_neutralized_as_the_csv_export_of_pilots_does(start: str) -> None:
    value = start + "1+1"
    record = OmbRecord(id="A", name=value, office="", extra={"benefits": value, "vendor_name": "x" + value})
    row = rows_by_id(write_inventory_2025([record]))["A"]
    assert row["use_case_name"] == row["benefits"] == csv_cell(value) == "'" + value
    assert row["vendor_name"] == "x" + value


def test_the_two_exports_neutralize_the_same_first_characters() -> None:
    values = [chr(code) + "1" for code in range(1, 0x250)]
    records = [OmbRecord(id=f"A{i}", name="n", office="", extra={"benefits": v}) for i, v in enumerate(values)]
    rows = rows_by_id(write_inventory_2025(records))
    assert [rows[f"A{i}"]["benefits"] for i in range(len(values))] == [csv_cell(v) for v in values]


def test_a_formula_uncovered_by_trimming_the_cell_is_not_as_given() -> None:
    """A name given as tab + "=..." is stored trimmed: "=..." is then text the inventory did not give."""
    data = INVENTORY.read_bytes().decode("utf-8-sig").replace("- Claims triage (bulleted name)", "\t" + HOSTILE)
    records = read_inventory(data.encode("utf-8-sig"), source_name="tab.csv").records
    assert records[0].name == HOSTILE
    assert rows_by_id(write_inventory_2025(records))["FX-1"]["use_case_name"] == "'" + HOSTILE
