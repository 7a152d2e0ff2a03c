"""Facts from the inventory, as data (issue 15, items 1 and 2): the mapping derives statuses with their
provenance, blockers and the day each pilot entered its stage; a person's status is never overwritten;
a re-import changes nothing; a blocker a person resolved stays resolved."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from caio_tui.domain.coverage import CoverageStatus
from caio_tui.domain.inventory_dates import parse_inventory_date
from caio_tui.domain.inventory_mapping import REPORTED_KEY, MappingError, default_mapping, parse_mapping
from caio_tui.io.inventory import import_file
from caio_tui.store import Portfolio, writes
from caio_tui.store.transfer import read_records
from caio_tui.store.undo import undo
from helpers import DATA
from helpers.omb import write_2025

BASE = {"agency": "DCS", "agency_name": "Department of Civic Services", "agency_bureau": "OBA"}
ROWS = [
    {  # deployed, high-impact, ATO granted on a named system, practices partly blank
        **BASE,
        "id": "DCS-1",
        "use_case_name": "Claims Triage",
        "contact_email": "triage@dcs.example",
        "development_stage": "Deployed",
        "is_high_impact": "High-impact",
        "operational_date": "03/2024",
        "have_ato": "Yes",
        "system_name_ato": "Benefits Cloud",
        "has_pii": "Yes",
        "pia_url": "https://dcs.example/pia/7",
        "hi_testing_conducted": "Yes",
        "hi_independent_review": "Oversight Board Review",
        "hi_failsafe_presence": "In-progress",
        "hi_ongoing_monitoring": "Yes - Monitoring Established",
    },
    {  # a pilot with no ATO, no contact, PII without a PIA, started in fiscal 2024's second quarter
        **BASE,
        "id": "DCS-2",
        "use_case_name": "Chat Helper",
        "development_stage": "Pilot",
        "is_high_impact": "Not High-impact",
        "operational_date": "Q2 FY2024",
        "have_ato": "No",
        "has_pii": "Yes",
    },
    {  # blanks everywhere: nothing known, nothing derived
        **BASE,
        "id": "DCS-3",
        "use_case_name": "Search",
        "contact_email": "search@dcs.example",
        "development_stage": "Pilot",
        "is_high_impact": "Not High-impact",
        "operational_date": "sometime soon",
    },
]


def imported(
    portfolio: Portfolio, tmp_path: Path, rows: list[dict[str, str]] = ROWS, name: str = "inv.csv"
) -> list[str]:
    result = import_file(portfolio, write_2025(tmp_path / name, rows))
    return result.issues


def record(portfolio: Portfolio, pilot_id: str):  # type: ignore[no-untyped-def]
    return read_records(portfolio, [pilot_id])[0]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2023-10-01", date(2023, 10, 1)),
        ("10/1/2023", date(2023, 10, 1)),
        ("10/01/2023 00:00:00", date(2023, 10, 1)),
        ("2024-03", date(2024, 3, 1)),
        ("03/2024", date(2024, 3, 1)),
        ("March 2024", date(2024, 3, 1)),
        ("Mar-24", date(2024, 3, 1)),
        ("24-Nov", date(2024, 11, 1)),  # a spreadsheet's yy-Mon, as the 2024 file has it
        ("FY2023", date(2022, 10, 1)),
        ("FY 24", date(2023, 10, 1)),
        ("Q2 2024", date(2024, 4, 1)),
        ("Q2FY24", date(2024, 1, 1)),
        ("Q1 FY2024", date(2023, 10, 1)),
        ("2023-08-29 (contract kick-off); 2023-09-01 (plan)", date(2023, 8, 29)),
        ("2024-03 (estimated)", date(2024, 3, 1)),
        ("2021", date(2021, 1, 1)),
        ("N/A", None),
        ("TBD", None),
        ("Ongoing", None),
        ("Pre-2021", None),
        ("10/12023", None),
        ("2023-2024", None),
        ("13/2024", None),
        ("7/15/1905", date(2023, 1, 1)),  # "2023" typed into a date cell (OMB's 2024 file): day 2023 of 1900
        ("7/12/1905", date(2020, 1, 1)),
        ("1/1/1900", None),  # no AI use case began then, and no year is that many days from 1899-12-30
        ("12/31/1949", None),
    ],
)
def test_inventory_dates_in_the_formats_agencies_use(raw: str, expected: date | None) -> None:
    assert parse_inventory_date(raw) == expected


def test_the_default_mapping_parses_and_a_bad_one_names_its_key() -> None:
    mapping = default_mapping()
    assert {r.item for r in mapping.coverage} >= {"ato.granted", "governance.approver", "data.access_agreements"}
    with pytest.raises(MappingError, match=r"m.toml: coverage\[1\].answers.yess: "):
        parse_mapping(
            '[[coverage]]\nitem = "ato.granted"\ncolumns = ["have_ato"]\nanswers = { yess = "met" }\n', "m.toml"
        )
    with pytest.raises(MappingError, match=r"m.toml: coverage\[1\].answers.yes: "):
        parse_mapping('[[coverage]]\nitem = "x"\ncolumns = ["c"]\nanswers = { yes = "good" }\n', "m.toml")
    with pytest.raises(MappingError, match=r"m.toml: blocker\[1\]: needs columns and answers"):
        parse_mapping('[[blocker]]\ntag = "no-ato-pathway"\nstages = ["pilot"]\n', "m.toml")


def test_statuses_carry_their_provenance_and_the_file_as_author(portfolio: Portfolio, tmp_path: Path) -> None:
    imported(portfolio, tmp_path)
    triage = record(portfolio, "DCS-1")
    granted = triage.coverage["ato.granted"]
    assert granted.status is CoverageStatus.MET
    assert granted.evidence == "OMB 2025 inventory: have_ato = Yes, system 'Benefits Cloud' (inv.csv row 2)"
    assert granted.updated_by == "inventory:inv.csv"
    statuses = {item: c.status.value for item, c in triage.coverage.items()}
    assert statuses == {
        "ato.granted": "met",
        "ato.boundary": "met",
        "ato.package_submitted": "met",
        "access.governed_iam": "partial",
        "audit.activity": "partial",
        "governance.approver": "met",
        "governance.oversight_owner": "partial",
        "lifecycle.model_updates": "met",
        "data.access_agreements": "partial",
        "hi.testing": "met",
        "hi.independent_review": "met",
        "hi.monitoring": "met",
        "hi.oversight": "partial",
        # Deployed and high-impact: a practice left blank is a gap, not "not assessed".
        "hi.impact_assessment": "gap",
        "hi.training": "gap",
        "hi.appeals": "gap",
        "hi.consultation": "gap",
    }
    assert "left blank on a deployed high-impact use case" in triage.coverage["hi.training"].evidence
    chat = record(portfolio, "DCS-2")
    assert {i: c.status.value for i, c in chat.coverage.items()} == {"ato.granted": "gap"}
    assert record(portfolio, "DCS-3").coverage == {}  # blank is unknown, never "no"


def test_derived_blockers_dates_and_flags(portfolio: Portfolio, tmp_path: Path) -> None:
    issues = imported(portfolio, tmp_path)
    triage, chat, search = (record(portfolio, i) for i in ("DCS-1", "DCS-2", "DCS-3"))
    assert [b.tag for b in chat.blockers] == ["no-ato-pathway"]
    assert chat.blockers[0].opened_by == "inventory:inv.csv"
    assert chat.blockers[0].note == "OMB 2025 inventory: have_ato = No (inv.csv row 3)"
    assert [b.tag for b in triage.blockers] == ["no-governing-policy"]
    assert "hi.oversight partial" in triage.blockers[0].note and "hi.training gap" in triage.blockers[0].note
    assert search.blockers == ()
    # Days in stage from the inventory's dates, on the pilot and on its first stage move.
    assert triage.pilot.stage_entered_at.date() == date(2024, 3, 1)
    assert triage.stage_history[0].moved_at.date() == date(2024, 3, 1)
    assert chat.pilot.stage_entered_at.date() == date(2024, 1, 1)
    assert portfolio.is_stalled(chat.pilot)  # a pilot since January 2024, seen in November 2026
    # An unreadable date is not used: the pilot stands at its stage since the inventory's year (item 5).
    assert search.pilot.stage_entered_at.date() == date(2025, 12, 31)
    text = "\n".join(issues)
    assert "inv.csv:4: operational_date: not a date this import can read; not used (sometime soon)" in text
    assert "inv.csv:3: contact_email: no contact for a Pilot or Deployed use case" in text
    assert "data.access_agreements: involves PII and names no privacy impact assessment" in text


def test_a_person_set_status_is_never_overwritten_and_both_are_kept(portfolio: Portfolio, tmp_path: Path) -> None:
    imported(portfolio, tmp_path)
    writes.set_coverage(
        portfolio, "DCS-1", "ato.granted", CoverageStatus.PARTIAL, evidence="ATO lapsed", justification=None
    )
    writes.set_coverage(
        portfolio, "DCS-2", "ato.granted", CoverageStatus.MET, evidence="ATO signed", justification=None
    )
    issues = imported(portfolio, tmp_path, name="inv.csv")
    del issues
    triage, chat = record(portfolio, "DCS-1"), record(portfolio, "DCS-2")
    assert (triage.coverage["ato.granted"].status, triage.coverage["ato.granted"].updated_by) == (
        CoverageStatus.PARTIAL,
        "tester",
    )
    assert chat.coverage["ato.granted"].status is CoverageStatus.MET
    assert triage.pilot.extra[REPORTED_KEY] == {
        "ato.granted": "met: OMB 2025 inventory: have_ato = Yes, system 'Benefits Cloud' (inv.csv row 2)"
    }
    assert chat.pilot.extra[REPORTED_KEY] == {"ato.granted": "gap: OMB 2025 inventory: have_ato = No (inv.csv row 3)"}


def test_a_reimport_changes_nothing_and_a_resolved_blocker_stays_resolved(portfolio: Portfolio, tmp_path: Path) -> None:
    imported(portfolio, tmp_path)
    writes.resolve_blocker(portfolio, "DCS-2", "no-ato-pathway")
    path = write_2025(tmp_path / "inv.csv", ROWS)
    again = import_file(portfolio, path)
    assert again.report is not None and again.report.summary == "0 added, 0 updated, 3 unchanged"
    chat = record(portfolio, "DCS-2")
    assert [(b.tag, b.is_open) for b in chat.blockers] == [("no-ato-pathway", False)]


def test_a_later_import_dates_and_blocks_a_pilot_it_finds_and_undo_takes_it_back(
    portfolio: Portfolio, tmp_path: Path
) -> None:
    bare = [{k: v for k, v in r.items() if k not in ("operational_date", "have_ato")} for r in ROWS]
    imported(portfolio, tmp_path, bare, name="first.csv")
    before = record(portfolio, "DCS-2")
    assert before.blockers == () and before.pilot.stage_entered_at == before.pilot.created_at
    result = import_file(portfolio, write_2025(tmp_path / "second.csv", ROWS))
    assert result.report is not None
    changes = {c.id: c.changes for c in result.report.updated}
    assert "blocker opened: no-ato-pathway" in changes["DCS-2"]
    assert "entered pilot on 2024-01-01 (per second.csv)" in changes["DCS-2"]
    assert record(portfolio, "DCS-2").pilot.stage_entered_at.date() == date(2024, 1, 1)
    undo(portfolio)
    after = record(portfolio, "DCS-2")
    assert after.blockers == () and after.pilot.stage_entered_at == before.pilot.stage_entered_at
    assert after.stage_history[0].moved_at == before.stage_history[0].moved_at
    assert portfolio.check_state().holds


def test_the_default_mapping_on_the_2024_reference_file(portfolio: Portfolio) -> None:
    result = import_file(portfolio, DATA / "omb" / "reference" / "2024_consolidated_ai_inventory_raw.csv")
    assert result.report is not None and len(result.report.added) == 1757
    counts = dict(
        portfolio.session.read(
            "SELECT item_id || ' ' || status, count(*) FROM coverage WHERE item_id IN "
            "('ato.granted', 'governance.approver', 'lifecycle.model_updates') GROUP BY 1"
        )
    )
    assert counts == {
        "ato.granted met": 636,
        "ato.granted gap": 448,
        "governance.approver met": 53,
        "governance.approver partial": 62,
        "governance.approver waived": 1,
        "lifecycle.model_updates met": 31,
        "lifecycle.model_updates partial": 76,
        "lifecycle.model_updates gap": 39,
    }
    blockers = dict(portfolio.session.read("SELECT tag, count(*) FROM blocker GROUP BY tag"))
    assert blockers == {"no-ato-pathway": 271, "no-governing-policy": 139}
    dated = portfolio.session.one("SELECT count(*) AS n FROM pilot WHERE stage_entered_at < created_at")
    assert dated is not None and dated["n"] > 1000


def test_the_detail_shows_the_persons_status_and_the_inventorys_reading(portfolio: Portfolio, tmp_path: Path) -> None:
    from caio_tui.tui.widgets.detail.content import item_panel, item_prompt, load_view

    imported(portfolio, tmp_path)
    writes.set_coverage(
        portfolio, "DCS-1", "ato.granted", CoverageStatus.PARTIAL, evidence="ATO lapsed", justification=None
    )
    imported(portfolio, tmp_path)
    view = load_view(portfolio, "DCS-1")
    panel = item_panel(view, "ato.granted").plain
    assert "partial" in panel and "set by tester" in panel and "Evidence: ATO lapsed" in panel
    assert "The inventory reads: met: OMB 2025 inventory: have_ato = Yes, system 'Benefits Cloud'" in panel
    item = portfolio.catalog().area_of("ato.granted").items[-1]
    line = item_prompt(item, view.coverage("ato.granted"), 200, view.reported("ato.granted")).plain
    assert line.endswith("· the inventory reads met")
    assert view.reported("ato.boundary") == ""


def test_the_default_mapping_on_the_synthetic_2025_file(portfolio: Portfolio) -> None:
    result = import_file(portfolio, DATA / "omb" / "inventory_2025.csv")
    assert result.report is not None and len(result.report.added) == 6
    statuses = dict(portfolio.session.read("SELECT status, count(*) FROM coverage GROUP BY status"))
    assert statuses == {"met": 9, "partial": 4, "gap": 3, "not_applicable": 2, "waived": 1}
    authors = {r[0] for r in portfolio.session.read("SELECT DISTINCT updated_by FROM coverage")}
    assert authors == {"inventory:inventory_2025.csv"}
    blockers = sorted(tuple(r) for r in portfolio.session.read("SELECT pilot_id, tag FROM blocker"))
    assert blockers == [("DHS-1", "no-governing-policy"), ("omb-120179dece", "no-ato-pathway")]
    entered = dict(portfolio.session.read("SELECT id, substr(stage_entered_at, 1, 10) FROM pilot"))
    assert entered["DHS-1"] == "2026-04-01" and entered["omb-120179dece"] == "2010-01-01"


def test_a_stage_move_from_a_later_inventory_is_dated_by_it(db_path: Path, tmp_path: Path) -> None:
    from datetime import timedelta

    from helpers import NOW

    first = [{**ROWS[1], "operational_date": ""}]
    with Portfolio.open(db_path, actor="tester", create=True, clock=lambda: NOW) as portfolio:
        import_file(portfolio, write_2025(tmp_path / "2025.csv", first))
    later = NOW + timedelta(days=400)
    deployed = [{**ROWS[1], "development_stage": "Deployed", "operational_date": "2027-03-15"}]
    with Portfolio.open(db_path, actor="tester", clock=lambda: later) as portfolio:
        import_file(portfolio, write_2025(tmp_path / "2026.csv", deployed))
        chat = record(portfolio, "DCS-2")
    assert chat.pilot.stage.value == "production"
    assert [(m.to_stage.value, m.moved_at.date()) for m in chat.stage_history] == [
        ("pilot", date(2025, 12, 31)),  # the first file's year: it gives no date
        ("production", date(2027, 3, 15)),
    ]


# ---- found in review: a person's word, unknown answers, older years ----------------------------------


def test_a_derived_blocker_never_contradicts_a_persons_status(portfolio: Portfolio, tmp_path: Path) -> None:
    imported(portfolio, tmp_path, [{**ROWS[1], "have_ato": ""}])  # DCS-2, no ATO answer yet
    writes.set_coverage(
        portfolio, "DCS-2", "ato.granted", CoverageStatus.MET, evidence="ATO signed 2026-02", justification=None
    )
    result = import_file(portfolio, write_2025(tmp_path / "later.csv", [ROWS[1]]))  # the file says No
    chat = record(portfolio, "DCS-2")
    assert chat.coverage["ato.granted"].status is CoverageStatus.MET  # the person's word stands...
    assert [b.tag for b in chat.blockers if b.resolved_at is None] == []  # ...and no blocker says otherwise
    assert chat.pilot.extra[REPORTED_KEY]["ato.granted"].startswith("gap: OMB 2025 inventory: have_ato = No")
    assert result.report is not None
    changes = " ".join(" ".join(c.changes) for c in result.report.updated)
    assert "omb_reported" not in changes  # a record for the detail screen, not an inventory column


def test_a_blank_high_impact_answer_keeps_what_the_pilot_was(portfolio: Portfolio, tmp_path: Path) -> None:
    imported(portfolio, tmp_path, [ROWS[0]])
    imported(portfolio, tmp_path, [{**ROWS[0], "is_high_impact": ""}], name="blank.csv")
    assert record(portfolio, "DCS-1").pilot.high_impact  # blank is unknown, never "no"


def test_a_date_in_another_alphabets_letters_is_unreadable_not_a_crash() -> None:
    assert parse_inventory_date("ſep 2024") is None  # "ſ" folds to "s" under Unicode case rules


def test_a_select_multiple_answer_reads_as_its_values_in_the_evidence(portfolio: Portfolio, tmp_path: Path) -> None:
    """OMB's files write a select-multiple cell as a Python list: the evidence names its values."""
    row = {**ROWS[0], "hi_public_consultation": "['In-progress']"}
    imported(portfolio, tmp_path, [row])
    consultation = record(portfolio, "DCS-1").coverage["hi.consultation"]
    assert consultation.status is CoverageStatus.PARTIAL
    assert consultation.evidence == "OMB 2025 inventory: hi_public_consultation = In-progress (inv.csv row 2)"
