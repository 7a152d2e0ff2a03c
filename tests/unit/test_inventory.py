"""The OMB AI use case inventory in and out of a portfolio: every year's file, update in place, dry runs,
issues per row, and the 2025 export that feeds the next submission."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from caio_tui.domain.coverage import CoverageStatus
from caio_tui.domain.stages import Stage
from caio_tui.io.inventory import ImportResult, TransferError, export_bytes, import_file
from caio_tui.io.omb import COLUMNS_2025, HI_COLUMN_ITEMS
from caio_tui.store import Portfolio, writes
from caio_tui.store.transfer import read_records
from helpers import DATA
from helpers.omb import write_2025

REFERENCE = DATA / "omb" / "reference"  # the files OMB published, unmodified
ISSUE_LINE = re.compile(r"^(?P<file>[^:]+):(?P<row>\d+): (?P<column>.+?): (?P<reason>.+) \((?P<value>.*)\)$")


def reference(name: str) -> Path:
    return REFERENCE / name


BASE = {"agency": "DCS", "agency_name": "Department of Civic Services"}
ROWS = [
    {
        **BASE,
        "id": "DCS-1",
        "use_case_name": "Claims Triage",
        "agency_bureau": "Office of Benefits",
        "contact_email": "triage@dcs.example",
        "development_stage": "Deployed",
        "is_high_impact": "High-impact",
        "problem_solved": 'Caseworkers triage, by hand, 40,000 "urgent" claims a year,\nand miss some.',
        "operational_date": "4/1/2026",
        "have_ato": "Yes",
        "system_name_ato": "Claims Cloud",
        "hi_testing_conducted": "Yes",
        "hi_assessment_completed": "In-progress",
        "hi_independent_review": "Oversight Board Review",
        "hi_ongoing_monitoring": "No",
        "hi_failsafe_presence": "CAIO Waived",
        "hi_public_consultation": "['Public Hearings', 'Usability Testing']",
    },
    {
        **BASE,
        "id": "",
        "use_case_name": "Benefits Chatbot",
        "agency_bureau": "Office of Benefits",
        "development_stage": "Pilot",
        "is_high_impact": "Not High-impact",
        "operational_date": "01/01/2010 00:00:00",
        "have_ato": "No",
        "hi_testing_conducted": "Yes",
    },
    {
        **BASE,
        "id": "DCS-1",
        "use_case_name": "Document Summarizer",
        "agency_bureau": "OCIO",
        "development_stage": "Pre-deployment",
        "is_high_impact": "Not High-impact",
        "demographic_features": "['k) None of the above']",
    },
    {**BASE, "id": "DCS-4", "use_case_name": "Cargo Image Search", "agency_bureau": "OCIO", "topic_area": ""},
    {
        **BASE,
        "id": "DCS-5",
        "use_case_name": "Legacy Chat",
        "agency_bureau": "OCIO",
        "development_stage": "Retired",
        "is_high_impact": "Presumed High-Impact, but Not High-impact",
        "operational_date": "2023-08-29 00:00:00",
    },
]


@pytest.fixture
def crafted(tmp_path: Path) -> Path:
    return write_2025(tmp_path / "inventory-2025.csv", ROWS)


# ---- crafted 2025 files ----------------------------------------------------------------------------


def test_a_2025_file_becomes_pilots(portfolio: Portfolio, crafted: Path) -> None:
    result = import_file(portfolio, crafted)
    assert result.kind == "inventory" and result.format == "omb-2025"
    assert result.report is not None and len(result.report.added) == 5
    records = {r.pilot.name: r for r in read_records(portfolio)}
    triage = records["Claims Triage"]
    assert triage.pilot.id == "DCS-1"
    assert triage.pilot.stage is Stage.PRODUCTION
    assert triage.pilot.office == "DCS / Office of Benefits"
    assert triage.pilot.owner == "triage@dcs.example"
    assert triage.pilot.high_impact
    assert triage.pilot.description.startswith("Caseworkers triage, by hand, 40,000")
    assert triage.pilot.extra["problem_solved"] == ROWS[0]["problem_solved"]
    assert triage.pilot.extra["operational_date"] == "4/1/2026"
    status = {item: cov.status for item, cov in triage.coverage.items()}
    assert status["ato.granted"] is CoverageStatus.MET and status["ato.boundary"] is CoverageStatus.MET
    assert status["hi.testing"] is CoverageStatus.MET
    assert status["hi.impact_assessment"] is CoverageStatus.PARTIAL
    assert status["hi.independent_review"] is CoverageStatus.MET
    assert status["hi.monitoring"] is CoverageStatus.GAP
    assert status["hi.oversight"] is CoverageStatus.WAIVED
    assert "inventory-2025.csv" in triage.coverage["hi.oversight"].justification
    assert status["hi.consultation"] is CoverageStatus.MET
    assert triage.stage_history[-1].to_stage is Stage.PRODUCTION

    chatbot = records["Benefits Chatbot"]
    assert chatbot.pilot.id.startswith("omb-") and chatbot.pilot.stage is Stage.PILOT
    assert not chatbot.pilot.high_impact
    assert not any(item.startswith("hi.") for item in chatbot.coverage), "hi_* answers of a non-high-impact row"
    assert chatbot.coverage["ato.granted"].status is CoverageStatus.GAP

    summarizer = records["Document Summarizer"]
    assert summarizer.pilot.id != "DCS-1" and summarizer.pilot.id.startswith("omb-")
    assert records["Cargo Image Search"].pilot.stage is Stage.INTAKE
    assert records["Legacy Chat"].pilot.stage is Stage.RETIRED
    assert records["Legacy Chat"].pilot.extra["is_high_impact"] == "Presumed High-Impact, but Not High-impact"
    # The derived columns of the new pilots are what the store itself computes.
    before = portfolio.pilots()
    assert any(p.readiness > 0 for p in before)
    for pilot in before:
        with portfolio.session.transaction():
            writes.refresh(portfolio, pilot.id)
    assert portfolio.pilots() == before


def test_every_issue_is_one_line_with_file_row_column_reason_and_value(portfolio: Portfolio, crafted: Path) -> None:
    result = import_file(portfolio, crafted)
    parsed = [ISSUE_LINE.match(line) for line in result.issues]
    assert all(parsed), result.issues
    found = {(int(m["row"]), m["column"]): (m["reason"], m["value"]) for m in parsed if m}
    assert all(m["file"] == str(crafted) for m in parsed if m)
    assert found[(2, "hi_ongoing_monitoring")] == ("not an allowed answer for this practice; read as a gap", "No")
    reason, value = found[(4, "id")]
    assert reason.startswith("id already used on row 2") and value == "DCS-1"
    assert found[(5, "development_stage")] == ("blank development stage; imported as intake", "blank")
    assert (5, "is_high_impact") in found
    rows = [int(m["row"]) for m in parsed if m]
    assert rows == sorted(rows)


def test_multi_line_values_stay_on_one_issue_line(portfolio: Portfolio, tmp_path: Path) -> None:
    path = write_2025(tmp_path / "odd.csv", [{**ROWS[0], "hi_ongoing_monitoring": "No,\nnot yet\x1b[2J"}])
    (line,) = [i for i in import_file(portfolio, path).issues if "hi_ongoing_monitoring" in i]
    assert "\n" not in line and "\x1b" not in line
    assert line.endswith("(No,⏎not yet\\x1b[2J)")


def test_generated_ids_are_the_same_on_every_import(tmp_path: Path, crafted: Path) -> None:
    ids = []
    for name in ("a.db", "b.db"):
        with Portfolio.open(tmp_path / name, actor="tester", create=True) as p:
            import_file(p, crafted)
            ids.append(sorted(r.id for r in p.pilots()))
    assert ids[0] == ids[1]


# ---- update in place -------------------------------------------------------------------------------


def test_importing_the_same_file_again_changes_nothing(portfolio: Portfolio, crafted: Path) -> None:
    import_file(portfolio, crafted)
    events = len(portfolio.history())
    again = import_file(portfolio, crafted)
    assert again.report is not None
    assert (len(again.report.added), len(again.report.updated), len(again.report.unchanged)) == (0, 0, 5)
    assert portfolio.count() == 5
    assert len(portfolio.history()) == events, "an import that changes nothing records nothing"


def test_a_changed_file_updates_pilots_in_place(portfolio: Portfolio, tmp_path: Path, crafted: Path) -> None:
    import_file(portfolio, crafted)
    rows = [dict(r) for r in ROWS]
    rows[0]["development_stage"] = "Pilot"  # production -> pilot: back a stage, no gate
    rows[1]["development_stage"] = "Deployed"  # pilot -> production: the gate refuses
    rows[4]["use_case_name"] = "Legacy Chat (archived)"
    rows[0]["hi_ongoing_monitoring"] = "Yes - Monitoring Established"
    second = write_2025(tmp_path / "inventory-2025-v2.csv", rows)
    result = import_file(portfolio, second)
    assert result.report is not None
    assert portfolio.count() == 5, "never a duplicate"
    changes = {c.id: c.changes for c in result.report.updated}
    chatbot_id = next(p.id for p in portfolio.pilots() if p.name == "Benefits Chatbot")
    assert set(changes) == {"DCS-1", "DCS-5", chatbot_id}
    assert "stage: production → pilot" in changes["DCS-1"]
    assert "hi.monitoring: gap → met" in changes["DCS-1"]
    assert any(c.startswith("name: 'Legacy Chat' → ") for c in changes["DCS-5"])
    assert any(c.startswith("stage: pilot → production (gate overridden") for c in changes[chatbot_id])
    assert len(result.report.unchanged) == 2
    chatbot = portfolio.record(chatbot_id)
    assert chatbot.pilot.stage is Stage.PRODUCTION
    move = chatbot.stage_history[-1]
    assert move.override == f"reported as production by the inventory {second.name}"
    assert move.failed_rules
    event = portfolio.history()[-1]
    assert event.action == "import" and event.source == second.name
    assert "0 added, 3 updated, 2 unchanged" in event.summary()
    assert portfolio.verify_chain()[1] is None


def test_the_inventory_is_read_at_its_own_granularity(portfolio: Portfolio, crafted: Path) -> None:
    import_file(portfolio, crafted)
    chatbot_id = next(p.id for p in portfolio.pilots() if p.name == "Benefits Chatbot")
    portfolio.move(chatbot_id, Stage.READINESS, override="Approved by the CAIO for readiness work")
    portfolio.set_coverage(chatbot_id, "ato.granted", CoverageStatus.PARTIAL, evidence="Package in review")
    result = import_file(portfolio, crafted)
    assert result.report is not None and result.report.updated == ()
    record = portfolio.record(chatbot_id)
    assert record.pilot.stage is Stage.READINESS, "readiness is still 'Pilot' in the inventory's words"
    assert record.coverage["ato.granted"].status is CoverageStatus.PARTIAL, "'No ATO' is true of a package in review"


def test_a_blank_cell_never_erases_what_the_portfolio_knows(
    portfolio: Portfolio, tmp_path: Path, crafted: Path
) -> None:
    import_file(portfolio, crafted)
    portfolio.edit_pilot("DCS-4", owner="Pat Lee", description="What the CAIO wrote")
    result = import_file(portfolio, crafted)
    assert result.report is not None and result.report.updated == ()
    pilot = portfolio.get("DCS-4")
    assert (pilot.owner, pilot.description) == ("Pat Lee", "What the CAIO wrote")


def test_dry_run_reports_the_same_and_writes_nothing(portfolio: Portfolio, tmp_path: Path, crafted: Path) -> None:
    import_file(portfolio, crafted)
    rows = [dict(r) for r in ROWS]
    rows[0]["development_stage"] = "Pilot"
    rows.append({**BASE, "id": "DCS-9", "use_case_name": "New One", "development_stage": "Pilot"})
    second = write_2025(tmp_path / "v2.csv", rows)
    before = (read_records(portfolio), len(portfolio.history()))
    dry = import_file(portfolio, second, dry_run=True)
    assert (read_records(portfolio), len(portfolio.history())) == before
    assert dry.dry_run and "dry run: nothing was written" in dry.summary
    real = import_file(portfolio, second)
    assert dry.report is not None and real.report is not None
    assert (dry.report.added, dry.report.updated, dry.report.unchanged) == (
        real.report.added,
        real.report.updated,
        real.report.unchanged,
    )
    assert [c.id for c in real.report.added] == ["DCS-9"]


def test_format_can_be_forced_and_bad_files_are_refused(portfolio: Portfolio, tmp_path: Path, crafted: Path) -> None:
    assert import_file(portfolio, crafted, fmt="omb-2025").format == "omb-2025"
    not_inventory = tmp_path / "people.csv"
    not_inventory.write_text("name,email\nPat,pat@example\n", encoding="utf-8")
    with pytest.raises(TransferError, match=r"people.csv: not a known OMB AI use case inventory format"):
        import_file(portfolio, not_inventory)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(TransferError, match=r"empty\.csv: empty file"):
        import_file(portfolio, empty)
    with pytest.raises(TransferError, match=r"missing\.csv: cannot read"):
        import_file(portfolio, tmp_path / "missing.csv")
    with pytest.raises(TransferError, match="unknown import format 'omb-1999'"):
        import_file(portfolio, crafted, fmt="omb-1999")
    assert portfolio.count() == 5


def test_progress_is_reported(portfolio: Portfolio, crafted: Path) -> None:
    seen: list[tuple[int, int]] = []
    import_file(portfolio, crafted, progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1] == (5, 5)


# ---- the real inventories --------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "fmt", "rows"),
    [
        ("2023_consolidated_ai_inventory_raw.csv", "omb-2023", 710),
        ("2024_consolidated_ai_inventory_raw.csv", "omb-2024", 1757),
        ("2024_consolidated_ai_inventory_raw_v2.csv", "omb-2024-long", 2133),
    ],
)
def test_real_inventories_import_and_reimport_in_place(portfolio: Portfolio, name: str, fmt: str, rows: int) -> None:
    path = reference(name)
    first = import_file(portfolio, path)
    assert first.format == fmt and first.report is not None
    assert len(first.report.added) == rows and portfolio.count() == rows
    assert all(ISSUE_LINE.match(line) for line in first.issues), [i for i in first.issues if not ISSUE_LINE.match(i)]
    counts = portfolio.stage_counts()
    assert counts[Stage.PRODUCTION] > 100 and counts[Stage.POC] > 50
    second = import_file(portfolio, path)
    assert second.report is not None
    assert (len(second.report.added), len(second.report.updated), len(second.report.unchanged)) == (0, 0, rows)
    assert portfolio.count() == rows
    assert portfolio.verify_chain()[1] is None


def test_2023_blank_stages_become_intake_and_are_reported(portfolio: Portfolio) -> None:
    path = reference("2023_consolidated_ai_inventory_raw.csv")
    result = import_file(portfolio, path)
    blank = [i for i in result.issues if "Development_Stage: blank development stage; imported as intake" in i]
    unknown = [i for i in result.issues if "unknown development stage" in i]
    assert blank
    assert any(
        i.endswith(
            ":271: Development_Stage: unknown development stage; stage left blank; imported as intake (Completed)"
        )
        for i in unknown
    )
    assert portfolio.stage_counts()[Stage.INTAKE] >= len(blank)


# ---- the 2025 export -------------------------------------------------------------------------------


def test_export_2025_has_omb_columns_and_a_bom(sample_portfolio: Portfolio) -> None:
    data = export_bytes(sample_portfolio, "omb-2025")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert tuple(rows[0]) == COLUMNS_2025 and len(rows[0]) == 36
    assert len(rows) == 31
    by_id = {r[2]: dict(zip(COLUMNS_2025, r, strict=True)) for r in rows[1:]}
    assert by_id["DCS-001"]["development_stage"] == "Pre-deployment"
    assert by_id["DCS-001"]["use_case_name"] == "FOIA Redaction Assistant"


def test_export_2025_imports_back_to_the_same_stages_and_practices(sample_portfolio: Portfolio, tmp_path: Path) -> None:
    path = tmp_path / "inventory.csv"
    path.write_bytes(export_bytes(sample_portfolio, "omb-2025"))
    with Portfolio.open(tmp_path / "copy.db", actor="tester", create=True) as copy:
        result: ImportResult = import_file(copy, path)
        assert result.issues == []
        back = {r.pilot.id: r for r in read_records(copy)}
    practices = sorted(HI_COLUMN_ITEMS.values())

    def practice(record: object, item: str) -> CoverageStatus:
        cov = record.coverage.get(item)  # type: ignore[attr-defined]
        status = cov.status if cov else CoverageStatus.NOT_ASSESSED
        # The 2025 form has no answer for "not done": a gap is written blank and reads back unassessed.
        return CoverageStatus.NOT_ASSESSED if status is CoverageStatus.GAP else status

    originals = read_records(sample_portfolio)
    assert set(back) == {r.pilot.id for r in originals}
    for original in originals:
        copied = back[original.pilot.id]
        assert copied.pilot.stage.omb_2025 == original.pilot.stage.omb_2025
        assert copied.pilot.high_impact == original.pilot.high_impact
        assert (copied.pilot.name, copied.pilot.office, copied.pilot.owner) == (
            original.pilot.name,
            original.pilot.office,
            original.pilot.owner,
        )
        if original.pilot.high_impact:
            assert [practice(copied, i) for i in practices] == [practice(original, i) for i in practices]
        granted = original.coverage.get("ato.granted")
        was_granted = granted is not None and granted.status is CoverageStatus.MET
        copied_granted = copied.coverage.get("ato.granted")
        assert (copied_granted is not None and copied_granted.status is CoverageStatus.MET) == was_granted
    assert any(r.pilot.high_impact for r in originals), "the sample has high-impact pilots to check"


# ---- entry points for a worker thread --------------------------------------------------------------


def test_worker_entry_points_use_their_own_connection(sample_portfolio: Portfolio, tmp_path: Path) -> None:
    from caio_tui.io.inventory import export_file, import_into

    target = tmp_path / "pilots.csv"
    size = export_file(sample_portfolio.path, "csv", target, actor="worker")
    assert size == target.stat().st_size
    written = list(csv.reader(io.StringIO(target.read_bytes().decode("utf-8-sig"))))
    expected = list(csv.reader(io.StringIO(export_bytes(sample_portfolio, "csv").decode("utf-8-sig"))))
    assert [row[:6] for row in written] == [row[:6] for row in expected]  # days in stage follow the real clock
    with pytest.raises(Exception, match="exists already"):
        export_file(sample_portfolio.path, "csv", target, actor="worker")
    inventory = tmp_path / "inventory.csv"
    write_2025(inventory, ROWS)
    result = import_into(sample_portfolio.path, inventory, actor="worker")
    assert result.report is not None and len(result.report.added) == 5
    assert sample_portfolio.count() == 35, "the screen's own connection sees the import"
    assert sample_portfolio.history()[-1].actor == "worker"
