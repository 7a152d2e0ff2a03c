"""Tests of the OMB AI use case inventory reader/writer (caio_tui.io.omb)."""

from __future__ import annotations

import csv
import io
import random
import re
import tomllib

import pytest

from caio_tui.io.omb import (
    ATO_ITEMS,
    COLUMNS_2025,
    HI_COLUMN_ITEMS,
    OmbFormat,
    OmbFormatError,
    OmbReadResult,
    OmbRecord,
    detect_format,
    read_inventory,
    stage_2025,
    write_inventory_2025,
)
from helpers import DATA, REPO

OMB = DATA / "omb"  # small crafted files, one per format
REFERENCE = OMB / "reference"  # the files OMB published, unmodified (see its README.md)
DOMAIN_DATA = REPO / "src" / "caio_tui" / "domain" / "data"

REAL_FILES = {
    "2023_consolidated_ai_inventory_raw.csv": (OmbFormat.Y2023, 710),
    "2024_consolidated_ai_inventory_raw.csv": (OmbFormat.Y2024, 1757),
    "2024_consolidated_ai_inventory_raw_v2.csv": (OmbFormat.Y2024_LONG, 2133),
}


def fixture(name: str) -> bytes:
    return (OMB / name).read_bytes()


def read_fixture(name: str) -> OmbReadResult:
    return read_inventory(fixture(name), source_name=name)


def reference(name: str) -> bytes:
    return (REFERENCE / name).read_bytes()


def csv_2025(rows: list[dict[str, str]], header: tuple[str, ...] = COLUMNS_2025) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in header])
    return buffer.getvalue().encode("utf-8-sig")


def csv_rows(header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def by_name(result: OmbReadResult) -> dict[str, OmbRecord]:
    return {r.name: r for r in result.records}


def issues_for(result: OmbReadResult, row: int) -> list[tuple[str, str]]:
    return [(i.column, i.value) for i in result.issues if i.row == row]


# --------------------------------------------------------------------------------------------------
# Detection
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("inventory_2023.csv", OmbFormat.Y2023),
        ("inventory_2024_short.csv", OmbFormat.Y2024),
        ("inventory_2024_long_cp1252.csv", OmbFormat.Y2024_LONG),
        ("inventory_2025.csv", OmbFormat.Y2025),
    ],
)
def test_fixture_format_is_detected(name: str, expected: OmbFormat) -> None:
    assert read_fixture(name).format is expected


def test_detect_format_on_headers() -> None:
    assert detect_format(list(COLUMNS_2025)) is OmbFormat.Y2025
    # Case, surrounding blanks and a leftover BOM character do not matter.
    assert detect_format(["\ufeffAgency", " ID ", "Use_Case_Name", "Development_Stage", "IS_HIGH_IMPACT"]) is (
        OmbFormat.Y2025
    )
    assert detect_format(["2_use_case_name", "3_agency", "16_dev_stage", "40_has_ato"]) is OmbFormat.Y2024
    assert detect_format(["Use Case Name", "Agency", "Agency Abbreviation", "Stage of Development"]) is (
        OmbFormat.Y2024_LONG
    )
    assert detect_format(["Use_Case_ID", "Agency", "Title", "Development_Stage"]) is OmbFormat.Y2023
    assert detect_format(["name", "stage", "owner"]) is None
    assert detect_format([]) is None
    # 2023 and 2025 share "development_stage": the other columns decide.
    assert detect_format(["use_case_id", "development_stage"]) is None


@pytest.mark.parametrize("name", sorted(REAL_FILES))
def test_real_files_detected_and_counted(name: str) -> None:
    data = reference(name)
    expected_format, expected_rows = REAL_FILES[name]
    text = data.decode("utf-8-sig") if name != "2024_consolidated_ai_inventory_raw_v2.csv" else data.decode("cp1252")
    header = next(csv.reader(io.StringIO(text, newline="")))
    assert detect_format(header) is expected_format

    result = read_inventory(data, source_name=name)
    assert result.format is expected_format
    assert len(result.records) == expected_rows
    assert len({r.id for r in result.records}) == expected_rows  # ids unique even with repeated names
    assert all(r.name for r in result.records)
    assert [r.source_row for r in result.records] == list(range(2, expected_rows + 2))
    assert all(r.stage in {None, "intake", "poc", "pilot", "production", "retired"} for r in result.records)


def test_real_2024_stage_and_impact_counts() -> None:
    result = read_inventory(reference("2024_consolidated_ai_inventory_raw.csv"), source_name="2024.csv")
    stages: dict[str | None, int] = {}
    for record in result.records:
        stages[record.stage] = stages.get(record.stage, 0) + 1
    # 627 "Operation and Maintenance" + 14 "In production" + 4 "In mission"; 329 Initiated + 20 Planned.
    assert stages == {"production": 645, "poc": 351, "intake": 349, "pilot": 275, "retired": 133, None: 4}
    # 150 Both + 59 "Rights-Impacting\n" + 13 + 5 safety-impacting.
    assert sum(r.high_impact for r in result.records) == 227
    assert sum(r.coverage.get("ato.granted") == "met" for r in result.records) == 636
    assert sum(r.coverage.get("ato.granted") == "gap" for r in result.records) == 448
    # No id column in this release: every id is generated.
    assert all(re.fullmatch(r"omb-[0-9a-f]{10}", r.id) for r in result.records)


def test_real_2024_releases_give_the_same_ids() -> None:
    short = read_inventory(reference("2024_consolidated_ai_inventory_raw.csv"), source_name="a.csv")
    long = read_inventory(reference("2024_consolidated_ai_inventory_raw_v2.csv"), source_name="b.csv")
    short_ids = {r.id: r.name for r in short.records}
    long_ids = {r.id: r.name for r in long.records}
    shared = set(short_ids) & set(long_ids)
    # v2 added agencies (DOJ, DOT, ED, NCUA) but kept the first release's rows.
    assert len(shared) > 1700
    assert all(short_ids[i] == long_ids[i] for i in shared)


def test_real_2024_long_file_is_cp1252_and_keyed_by_short_names() -> None:
    data = reference("2024_consolidated_ai_inventory_raw_v2.csv")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    result = read_inventory(data, source_name="v2.csv")
    keys = set().union(*(r.extra for r in result.records))
    assert {"agency", "agency_bureau", "17_impact_type", "31_question_type", "67_question_type"} <= keys
    assert not any("please explain" in k.lower() for k in keys)
    assert any("\u2019" in v for r in result.records for v in r.extra.values())  # ’ decoded from 0x92


def test_real_2023_stage_free_text() -> None:
    result = read_inventory(reference("2023_consolidated_ai_inventory_raw.csv"), source_name="2023.csv")
    stage_issues = {i.value for i in result.issues if i.column == "Development_Stage"}
    assert "Completed" in stage_issues
    assert "Successfully tested but not in production." in stage_issues
    assert sum(r.stage == "production" for r in result.records) >= 91 + 27 + 26


# --------------------------------------------------------------------------------------------------
# Decoding and CSV quirks
# --------------------------------------------------------------------------------------------------


def test_cp1252_fixture_is_decoded() -> None:
    data = fixture("inventory_2024_long_cp1252.csv")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    result = read_inventory(data, source_name="long.csv")
    records = by_name(result)
    assert set(records) == {"Analyst\u2019s assistant", "Dam safety monitor"}
    assistant = records["Analyst\u2019s assistant"]
    assert assistant.extra["system_outputs"] == "Summaries of the analyst\u2019s queue \u2014 ranked."
    assert assistant.stage == "poc"
    assert assistant.office == "DOI / USGS"
    monitor = records["Dam safety monitor"]
    assert monitor.stage == "retired"
    assert monitor.high_impact is True
    assert monitor.coverage["ato.granted"] == "met"
    # The repeated "If Other, please explain." / "If No, please explain." headers keep their identity.
    assert monitor.extra["31_question_type"] == "Catalog explained"
    assert monitor.extra["66_no_appeal_reason"] == "No appeal: sensor data"


def test_bom_is_optional() -> None:
    data = fixture("inventory_2025.csv")
    assert data.startswith(b"\xef\xbb\xbf")
    with_bom = read_inventory(data, source_name="a.csv")
    without = read_inventory(data[3:], source_name="b.csv")
    assert with_bom.records == without.records
    assert with_bom.records[0].extra["agency"] == "DHS"  # the first header is "agency", not "\ufeffagency"


def test_quoted_cells_with_commas_quotes_and_newlines() -> None:
    result = read_fixture("inventory_2025.csv")
    triage = by_name(result)["Border Triage Assistant"]
    assert (
        triage.extra["problem_solved"]
        == 'Officers triage, by hand, 40,000 "secondary" referrals a year.\nThis is slow.'
    )
    assert triage.extra["hi_potential_impacts"] == 'Misrouting, with "false positives";\nreviewed by CRCL.'
    # Row numbers are spreadsheet rows, not physical lines: multi-line cells do not shift them.
    assert [r.source_row for r in result.records] == [2, 3, 4, 5, 6, 7]
    assert ("hi_testing_conducted", "No") in issues_for(result, 3)


def test_cp1252_fallback_on_a_2025_file() -> None:
    data = csv_2025([{"id": "X-1", "use_case_name": "Caf\u00e9 \u2013 finder", "development_stage": "Pilot"}])
    cp = data.decode("utf-8-sig").encode("cp1252")
    record = read_inventory(cp, source_name="cp.csv").records[0]
    assert record.name == "Caf\u00e9 \u2013 finder"


def test_blank_rows_are_skipped_but_keep_row_numbers() -> None:
    data = csv_rows(
        list(COLUMNS_2025),
        [
            ["", "", "A-1", "First"] + [""] * 32,
            [""] * 36,
            ["", "", "A-2", "Second", "", "", "", "Nonsense"] + [""] * 28,
        ],
    )
    result = read_inventory(data, source_name="gaps.csv")
    assert [(r.id, r.source_row) for r in result.records] == [("A-1", 2), ("A-2", 4)]
    stage_issues = [(i.row, i.value) for i in result.issues if i.column == "development_stage"]
    assert stage_issues == [(4, "Nonsense")]
    assert [i.row for i in result.issues if i.column == "is_high_impact"] == [2, 4]


def test_short_and_long_rows() -> None:
    header = ["id", "use_case_name", "development_stage", "is_high_impact"]
    data = csv_rows(header, [["A-1", "Short"], ["A-2", "Long", "Pilot", "High-impact", "surplus", ""]])
    result = read_inventory(data, source_name="ragged.csv")
    short, long = result.records
    assert (short.name, short.stage) == ("Short", None)
    assert (long.stage, long.high_impact) == ("pilot", True)
    assert long.extra["column_5"] == "surplus"
    assert [(i.row, i.value) for i in result.issues if i.column == ""] == [(3, "surplus")]


def test_subset_of_2025_columns_and_unknown_columns() -> None:
    header = ("id", "use_case_name", "development_stage", "is_high_impact", "Agency Notes")
    data = csv_2025(
        [{"id": "A", "use_case_name": "n", "is_high_impact": "Not High-impact", "Agency Notes": "x"}], header
    )
    record = read_inventory(data, source_name="subset.csv").records[0]
    assert record.extra == {"Agency Notes": "x"}
    assert record.office == ""


# --------------------------------------------------------------------------------------------------
# Stage mapping
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stage"),
    [
        ("Pre-deployment", "poc"),
        ("pre-deployment", "poc"),
        ("a) Pre-deployment \u2013 The use case is in a development or acquisition status.", "poc"),
        ("Pilot", "pilot"),
        ("b)  b)  Pilot \u2013 The use case has been deployed in a limited test or pilot capacity.", "pilot"),
        ("Deployed", "production"),
        ("Retired", "retired"),
        ("", None),
    ],
)
def test_stage_2025(raw: str, stage: str | None) -> None:
    data = csv_2025([{"id": "A", "use_case_name": "n", "development_stage": raw, "is_high_impact": "Not High-impact"}])
    result = read_inventory(data, source_name="s.csv")
    assert result.records[0].stage == stage
    assert result.issues == []


def test_unknown_2025_stage_is_an_issue_and_kept() -> None:
    result = read_fixture("inventory_2025.csv")
    grant = by_name(result)["Grant Drafting Aid"]
    assert grant.stage is None
    assert grant.extra["development_stage"] == "Sunsetting"
    assert ("development_stage", "Sunsetting") in issues_for(result, grant.source_row)


@pytest.mark.parametrize(
    ("raw", "stage", "issue"),
    [
        ("Initiated", "intake", False),
        ("Acquisition and/or Development", "poc", False),
        ("Implementation and Assessment", "pilot", False),
        ("Operation and Maintenance", "production", False),
        ("Retired", "retired", False),
        ("Planned", "intake", False),
        ("In production", "production", False),
        ("In mission", "production", False),
        ("Research or  Administrative Action Complete", None, True),
        ("", None, False),
    ],
)
def test_stage_2024(raw: str, stage: str | None, issue: bool) -> None:
    header = ["2_use_case_name", "3_abr", "4_bureau", "16_dev_stage", "17_impact_type"]
    result = read_inventory(csv_rows(header, [["n", "DOI", "USGS", raw, "Neither"]]), source_name="s.csv")
    assert result.records[0].stage == stage
    assert [i.column for i in result.issues] == (["16_dev_stage"] if issue else [])


@pytest.mark.parametrize(
    ("raw", "stage", "issue"),
    [
        ("Initiation", "intake", False),
        ("Planned (not in production)", "intake", False),
        ("Development and Acquisition", "poc", False),
        ("Development (not in production)", "poc", False),
        ("Proof-of-concept completed", "poc", False),
        ("Implementation", "pilot", False),
        ("Operation and Maintenance", "production", False),
        ("Operation and Management", "production", False),
        ("In-use", "production", False),
        ("in production: less than six months", "production", False),
        ("Deployed", "production", False),
        ("RETIRED", "retired", False),
        ("This is a pilot initiative", "pilot", True),  # read, but flagged for a check
        ("Completed", None, True),
        ("Successfully tested but not in production.", None, True),
        ("", None, False),
    ],
)
def test_stage_2023(raw: str, stage: str | None, issue: bool) -> None:
    header = ["Use_Case_ID", "Department_Code", "Agency", "Office", "Title", "Development_Stage"]
    result = read_inventory(csv_rows(header, [["X-1", "DOE", "SC", "", "n", raw]]), source_name="s.csv")
    assert result.records[0].stage == stage
    assert [i.column for i in result.issues] == (["Development_Stage"] if issue else [])


def test_2023_fixture_office_and_extra() -> None:
    records = by_name(read_fixture("inventory_2023.csv"))
    assert records["Grid forecasting"].office == "Office of Science"
    assert records["Grid forecasting"].id == "DOE-0001-2023"
    beamline = records["Beamline tuning"]
    assert beamline.office == "Office of Science / Argonne"
    assert beamline.stage == "intake"
    assert beamline.extra["agency"] == "DOE"
    assert beamline.extra["agency_name"] == "Department of Energy"
    assert beamline.extra["Office"] == "Argonne"
    assert records["Materials screening"].stage is None


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        ("intake", "Pre-deployment"),
        ("poc", "Pre-deployment"),
        ("pilot", "Pilot"),
        ("readiness", "Pilot"),
        ("production", "Deployed"),
        ("scaled", "Deployed"),
        ("retired", "Retired"),
        (None, ""),
        ("bogus", ""),
    ],
)
def test_stage_2025_helper(stage: str | None, expected: str) -> None:
    assert stage_2025(stage) == expected


# --------------------------------------------------------------------------------------------------
# High impact, ATO, hi_* practices
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "high", "issue"),
    [
        ("High-impact", True, False),
        ("high impact", True, False),
        ("Not High-impact", False, False),
        ("Presumed High-Impact, but Not High-impact", False, False),
        ("b) Presumed high-impact, but determined not high impact", False, False),
        ("", False, True),
        ("Probably not", False, True),
    ],
)
def test_high_impact_2025(raw: str, high: bool, issue: bool) -> None:
    data = csv_2025([{"id": "A", "use_case_name": "n", "is_high_impact": raw}])
    result = read_inventory(data, source_name="h.csv")
    assert result.records[0].high_impact is high
    assert [i.column for i in result.issues] == (["is_high_impact"] if issue else [])


@pytest.mark.parametrize(
    ("raw", "high", "issue"),
    [
        ("Both", True, False),
        ("Rights-Impacting\n", True, False),
        ("Safety-impacting", True, False),
        ("Safety-Impacting", True, False),
        ("Neither", False, False),
        ("No, use case is too new to fully assess impacts; will be reassessed.", False, True),
        ("Case-by-case assessment", False, True),
        ("", False, True),
    ],
)
def test_high_impact_2024(raw: str, high: bool, issue: bool) -> None:
    header = ["2_use_case_name", "16_dev_stage", "17_impact_type"]
    result = read_inventory(csv_rows(header, [["n", "Initiated", raw]]), source_name="h.csv")
    record = result.records[0]
    assert record.high_impact is high
    assert [i.column for i in result.issues] == (["17_impact_type"] if issue else [])
    if raw:
        assert record.extra["17_impact_type"] == raw


def test_ato_answers() -> None:
    records = by_name(read_fixture("inventory_2024_short.csv"))
    wildlife = records["Wildlife disease triage"]
    assert wildlife.coverage == {"ato.boundary": "met", "ato.package_submitted": "met", "ato.granted": "met"}
    assert wildlife.evidence["ato.granted"] == "Science Support System (SSS)"
    flood = records["Flood mapping"]
    assert flood.coverage == {"ato.granted": "gap"}
    assert "ato.granted" not in flood.evidence  # "N/A" is not a system name
    result = read_fixture("inventory_2024_short.csv")
    first, planned = [r for r in result.records if r.name == "Earthquake detection"]
    assert first.coverage == {}  # blank: nothing
    assert planned.coverage == {}  # "N/A": issue, nothing
    assert planned.extra["have_ato"] == "N/A"
    assert ("40_has_ato", "N/A") in issues_for(result, planned.source_row)


def test_hi_practices_2025() -> None:
    result = read_fixture("inventory_2025.csv")
    triage = by_name(result)["Border Triage Assistant"]
    assert {k: v for k, v in triage.coverage.items() if k.startswith("hi.")} == {
        "hi.testing": "met",
        "hi.impact_assessment": "partial",
        "hi.independent_review": "met",
        "hi.monitoring": "met",
        "hi.training": "partial",
        "hi.oversight": "not_applicable",
        "hi.appeals": "not_applicable",  # "Appeal Precluded by Law": the answer is its justification
        "hi.consultation": "met",
    }
    assert triage.evidence["hi.independent_review"] == "Oversight Board Review"
    assert triage.evidence["hi.consultation"] == "['Public Hearings', 'Usability Testing']"
    assert triage.evidence["ato.granted"] == "CBP Cloud (C2)"


def test_no_in_a_hi_column_is_an_issue_and_kept() -> None:
    result = read_fixture("inventory_2025.csv")
    chatbot = result.records[1]
    assert chatbot.name == "Benefits Chatbot"
    assert chatbot.coverage["hi.testing"] == "gap"
    assert chatbot.evidence["hi.testing"] == "No"
    assert chatbot.extra["hi_testing_conducted"] == "No"
    assert chatbot.coverage["hi.impact_assessment"] == "waived"
    issue = next(i for i in result.issues if i.column == "hi_testing_conducted")
    assert (issue.row, issue.value) == (3, "No")


def test_hi_columns_of_a_not_high_impact_row_stay_in_extra() -> None:
    summarizer = by_name(read_fixture("inventory_2025.csv"))["Document Summarizer"]
    assert summarizer.high_impact is False
    assert not any(k.startswith("hi.") for k in summarizer.coverage)
    assert summarizer.extra["hi_testing_conducted"] == "Yes"


@pytest.mark.parametrize(
    ("column", "raw", "status"),
    [
        ("hi_testing_conducted", "a) Yes", "met"),
        (
            "hi_testing_conducted",
            "Agency CAIO has waived this minimum practice and reported such waiver to OMB",
            "waived",
        ),
        ("hi_independent_review", "Yes \u2013 by the CAIO", "met"),
        ("hi_independent_review", "Internal Independent Review", "met"),
        ("hi_independent_review", "In-progress", "partial"),
        ("hi_ongoing_monitoring", "Development of monitoring protocols is in-progess", "partial"),
        ("hi_training_established", "Training Established", "met"),
        ("hi_failsafe_presence", "N/A", "not_applicable"),
        ("hi_appeal_process", "Appeal Process Established", "met"),
        ("hi_appeal_process", "Appeal Process In-progress", "partial"),
        ("hi_public_consultation", "['In-progress']", "partial"),
        ("hi_public_consultation", "['CAIO Waived']", "waived"),
        ("hi_public_consultation", "Other; Public Hearings", "met"),
        ("hi_public_consultation", "['k) None of the above']", "gap"),
        ("hi_appeal_process", "No", "gap"),
    ],
)
def test_hi_answer_sets(column: str, raw: str, status: str) -> None:
    data = csv_2025([{"id": "A", "use_case_name": "n", "is_high_impact": "High-impact", column: raw}])
    result = read_inventory(data, source_name="hi.csv")
    record = result.records[0]
    assert record.coverage[HI_COLUMN_ITEMS[column]] == status
    assert record.evidence[HI_COLUMN_ITEMS[column]] == raw
    assert [i.column for i in result.issues] == ([column] if status == "gap" else [])


def test_item_ids_match_the_framework_files() -> None:
    hi_file = DOMAIN_DATA / "m-25-21.toml"
    production_file = DOMAIN_DATA / "production.toml"
    if not hi_file.exists() or not production_file.exists():
        pytest.skip("framework data files not available")
    hi = tomllib.loads(hi_file.read_text(encoding="utf-8"))
    columns = {item["omb_column"]: item["id"] for area in hi["areas"] for item in area["items"]}
    assert columns == HI_COLUMN_ITEMS
    production = tomllib.loads(production_file.read_text(encoding="utf-8"))
    ato = next(area for area in production["areas"] if area["id"] == "ato")
    assert {item["id"] for item in ato["items"]} >= set(ATO_ITEMS)


def test_columns_2025_match_the_reference_readme() -> None:
    text = (REFERENCE / "README.md").read_text(encoding="utf-8")
    line = next(ln for ln in text.splitlines() if ln.startswith("`agency, agency_name, id,"))
    assert tuple(c.strip() for c in line.strip("`").split(",")) == COLUMNS_2025
    assert len(COLUMNS_2025) == 36


# --------------------------------------------------------------------------------------------------
# Ids
# --------------------------------------------------------------------------------------------------


def test_blank_and_repeated_ids_are_generated_unique_and_stable() -> None:
    data = fixture("inventory_2025.csv")
    first = read_inventory(data, source_name="a.csv")
    again = read_inventory(data, source_name="b.csv")
    ids = [r.id for r in first.records]
    assert ids == [r.id for r in again.records]
    assert len(set(ids)) == len(ids)
    assert ids[0] == "DHS-1"
    assert ids[4:] == ["DHS-7", "DHS-8"]
    # Row 3 and row 5: blank id, same agency, name and bureau; row 4 repeats DHS-1.
    for generated in (ids[1], ids[2], ids[3]):
        assert re.fullmatch(r"omb-[0-9a-f]{10}", generated)
    assert ids[1] != ids[3]
    repeated = next(i for i in first.issues if i.column == "id")
    assert (repeated.row, repeated.value) == (4, "DHS-1")
    assert ids[2] in repeated.reason
    assert first.records[2].extra["id"] == "DHS-1"


def test_generated_ids_do_not_depend_on_unrelated_rows() -> None:
    rows = [
        {"use_case_name": "Chatbot", "agency": "DHS", "agency_bureau": "USCIS"},
        {"use_case_name": "Chatbot", "agency": "DHS", "agency_bureau": "USCIS"},
        {"use_case_name": "Chatbot", "agency": "DHS", "agency_bureau": "CBP"},
    ]
    base = [r.id for r in read_inventory(csv_2025(rows), source_name="a.csv").records]
    unrelated = {"id": "", "use_case_name": "Something else", "agency": "DHS"}
    shifted = read_inventory(csv_2025([unrelated, *rows]), source_name="b.csv").records
    assert [r.id for r in shifted[1:]] == base
    assert len(set(base)) == 3
    # Whitespace and case of the key do not change the id.
    respaced = [{**rows[0], "use_case_name": " chatbot ", "agency_bureau": "USCIS"}]
    assert read_inventory(csv_2025(respaced), source_name="c.csv").records[0].id == base[0]


# --------------------------------------------------------------------------------------------------
# Writing and the round trip
# --------------------------------------------------------------------------------------------------


def parse_written(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    header = next(reader)
    assert tuple(header) == COLUMNS_2025
    rows = list(reader)
    assert all(len(row) == 36 for row in rows)
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_write_derives_columns_from_fields() -> None:
    records = [
        OmbRecord(
            id=f"P-{stage}",
            name=f"Pilot {stage}",
            office="Office of the CIO",
            owner="owner@agency.gov",
            stage=stage,
            high_impact=True,
            coverage={
                "ato.granted": "met",
                "hi.testing": "met",
                "hi.impact_assessment": "partial",
                "hi.monitoring": "met",
                "hi.training": "partial",
                "hi.oversight": "not_applicable",
                "hi.appeals": "waived",
                "hi.consultation": "met",
                "hi.independent_review": "gap",
            },
            evidence={"hi.testing": "free note, never written to the CSV"},
        )
        for stage in ("intake", "poc", "pilot", "readiness", "production", "scaled", "retired")
    ]
    rows = parse_written(write_inventory_2025(records, agency="GSA", agency_name="General Services Administration"))
    assert [r["development_stage"] for r in rows] == [
        "Pre-deployment",
        "Pre-deployment",
        "Pilot",
        "Pilot",
        "Deployed",
        "Deployed",
        "Retired",
    ]
    row = rows[0]
    assert (row["agency"], row["agency_name"], row["agency_bureau"]) == (
        "GSA",
        "General Services Administration",
        "Office of the CIO",
    )
    assert (row["id"], row["use_case_name"], row["contact_email"]) == ("P-intake", "Pilot intake", "owner@agency.gov")
    assert row["is_high_impact"] == "High-impact"
    assert row["have_ato"] == "Yes"
    assert row["hi_testing_conducted"] == "Yes"
    assert row["hi_assessment_completed"] == "In-progress"
    assert row["hi_ongoing_monitoring"] == "Yes - Monitoring Established"
    assert row["hi_training_established"] == "Training In-progress"
    assert row["hi_failsafe_presence"] == "Not Applicable"
    assert row["hi_appeal_process"] == "CAIO Waived"
    assert row["hi_public_consultation"] == "['Other']"
    assert row["hi_independent_review"] == ""  # gap with no recorded answer: blank


def test_write_have_ato_rules() -> None:
    def have_ato(stage: str | None, coverage: dict[str, str], extra: dict[str, str] | None = None) -> str:
        record = OmbRecord(id="A", name="n", office="", stage=stage, coverage=coverage, extra=extra or {})
        return parse_written(write_inventory_2025([record]))[0]["have_ato"]

    assert have_ato("poc", {"ato.granted": "met"}) == "Yes"
    assert have_ato("production", {"ato.granted": "gap"}) == "No"
    assert have_ato("pilot", {"ato.granted": "partial"}) == "No"
    assert have_ato("production", {}) == ""  # unknown stays unknown: a missing answer is for the lint to name
    assert have_ato("intake", {}) == ""  # not asked before pilot
    assert have_ato("intake", {"ato.granted": "not_assessed"}) == ""
    assert have_ato("production", {}, {"have_ato": "N/A"}) == "N/A"  # unread answer given back verbatim


def test_write_bureau_from_office() -> None:
    records = [
        OmbRecord(id="1", name="a", office="DHS / CBP"),
        OmbRecord(id="2", name="b", office="DHS"),
        OmbRecord(id="3", name="c", office="DHS / CBP", extra={"agency_bureau": "Customs and Border Protection"}),
    ]
    rows = parse_written(write_inventory_2025(records, agency="DHS"))
    assert [r["agency_bureau"] for r in rows] == ["CBP", "", "Customs and Border Protection"]


def test_round_trip_of_the_2025_fixture() -> None:
    original = read_fixture("inventory_2025.csv")
    written = write_inventory_2025(original.records)
    again = read_inventory(written, source_name="written.csv")
    assert again.format is OmbFormat.Y2025
    assert len(again.records) == len(original.records)
    for before, after in zip(original.records, again.records, strict=True):
        assert after.id == before.id
        assert after.name == before.name
        assert after.office == before.office
        assert after.owner == before.owner
        assert stage_2025(after.stage) == stage_2025(before.stage)
        assert after.high_impact == before.high_impact
        assert after.coverage == before.coverage
        assert after.evidence == before.evidence
        # An unreadable high-impact answer is unknown, never "no": written back as it was given.
        assert {k: v for k, v in after.extra.items() if k != "id"} == {
            k: v for k, v in before.extra.items() if k != "id"
        }
    # The same problems are reported again: the ids and the high-impact answers are written as given.
    assert {(i.row, i.column, i.value) for i in again.issues} == {(i.row, i.column, i.value) for i in original.issues}
    # A written file is stable: writing what was read from it gives the same bytes.
    assert write_inventory_2025(again.records) == written


def test_round_trip_keeps_original_answers() -> None:
    rows = parse_written(write_inventory_2025(read_fixture("inventory_2025.csv").records))
    triage = rows[0]
    assert triage["hi_independent_review"] == "Oversight Board Review"
    assert triage["hi_appeal_process"] == "Appeal Precluded by Law"
    assert triage["hi_public_consultation"] == "['Public Hearings', 'Usability Testing']"
    assert triage["system_name_ato"] == "CBP Cloud (C2)"
    assert triage["problem_solved"].endswith("\nThis is slow.")
    assert rows[1]["hi_testing_conducted"] == "No"
    assert rows[3]["is_high_impact"] == "Presumed High-Impact, but Not High-impact"
    assert rows[4]["have_ato"] == "Maybe"
    assert rows[5]["development_stage"] == "Sunsetting"


def test_changed_coverage_wins_over_the_original_answer() -> None:
    record = read_fixture("inventory_2025.csv").records[1]
    record.coverage["hi.testing"] = "met"  # the "No" is resolved in the tool
    record.coverage["ato.granted"] = "met"
    row = parse_written(write_inventory_2025([record]))[0]
    assert row["hi_testing_conducted"] == "Yes"
    assert row["have_ato"] == "Yes"


@pytest.mark.parametrize("name", ["inventory_2023.csv", "inventory_2024_short.csv", "inventory_2024_long_cp1252.csv"])
def test_round_trip_from_older_formats(name: str) -> None:
    original = read_fixture(name)
    again = read_inventory(write_inventory_2025(original.records), source_name="w.csv")
    for before, after in zip(original.records, again.records, strict=True):
        assert after.id == before.id
        assert stage_2025(after.stage) == stage_2025(before.stage)
        assert after.high_impact == before.high_impact
        assert after.office == before.office or name == "inventory_2023.csv"
        assert {k: v for k, v in after.coverage.items() if k.startswith("hi.")} == {
            k: v for k, v in before.coverage.items() if k.startswith("hi.")
        }


def test_round_trip_of_a_real_2024_file() -> None:
    original = read_inventory(reference("2024_consolidated_ai_inventory_raw.csv"), source_name="2024.csv")
    again = read_inventory(write_inventory_2025(original.records), source_name="w.csv")
    assert len(again.records) == len(original.records)
    for before, after in zip(original.records, again.records, strict=True):
        assert (after.id, after.name, after.office) == (before.id, before.name, before.office)
        assert stage_2025(after.stage) == stage_2025(before.stage)
        assert after.high_impact == before.high_impact


# --------------------------------------------------------------------------------------------------
# Fatal errors
# --------------------------------------------------------------------------------------------------


def test_unknown_format() -> None:
    data = csv_rows(["name", "stage", "owner"], [["a", "pilot", "me"]])
    with pytest.raises(OmbFormatError, match=r"^portfolio\.csv: not a known OMB"):
        read_inventory(data, source_name="portfolio.csv")


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\r\n\r\n", b",,,\r\n,,\r\n"])
def test_empty_file(data: bytes) -> None:
    with pytest.raises(OmbFormatError, match=r"^empty\.csv: empty file"):
        read_inventory(data, source_name="empty.csv")


def test_header_only_file_has_no_records() -> None:
    result = read_inventory(csv_2025([]), source_name="header.csv")
    assert (result.format, result.records, result.issues) == (OmbFormat.Y2025, [], [])


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"PK\x03\x04\x14\x00\x06\x00",
        bytes([0x81, 0x8D, 0x8F, 0x90, 0x9D]) * 10,
        random.Random(0).randbytes(4096),
        random.Random(1).randbytes(64).replace(b"\x00", b"!"),
    ],
)
def test_binary_garbage(data: bytes) -> None:
    with pytest.raises(OmbFormatError, match=r"^junk\.bin: "):
        read_inventory(data, source_name="junk.bin")


def test_forced_format_needs_a_name_column() -> None:
    data = fixture("inventory_2023.csv")
    assert read_inventory(data, source_name="a.csv", fmt=OmbFormat.Y2023).format is OmbFormat.Y2023
    with pytest.raises(OmbFormatError, match=r"^a\.csv: .*omb-2025"):
        read_inventory(data, source_name="a.csv", fmt=OmbFormat.Y2025)
