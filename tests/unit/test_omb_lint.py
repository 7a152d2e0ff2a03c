"""The inventory lint on synthetic 2025 rows built from the 2025 data dictionary: each finding kind, and a
complete row that has none."""

from __future__ import annotations

from caio_tui.io.omb.lint import ERROR, WARNING, Finding, LintRow, lint_rows

HI_DEPLOYED_ANSWERS = {
    "hi_testing_conducted": "Yes",
    "hi_assessment_completed": "a) Yes",
    "hi_potential_impacts": "Misrouted claims; found in the impact assessment",
    "hi_independent_review": "Oversight Board Review",
    "hi_ongoing_monitoring": "Yes - Monitoring Established",
    "hi_training_established": "Training Established",
    "hi_failsafe_presence": "Yes",
    "hi_appeal_process": "Appeal Process Established",
    "hi_public_consultation": "['Usability Testing', 'Public Hearings']",
}


def complete(use_case_id: str = "GSA-1", **changes: str) -> dict[str, str]:
    """A Deployed high-impact row with every required answer given, in OMB's shorthand."""
    row = {
        "agency": "GSA",
        "agency_name": "General Services Administration",
        "id": use_case_id,
        "use_case_name": f"Use case {use_case_id}",
        "agency_bureau": "FAS",
        "contact_email": "ai-team@gsa.gov",
        "is_withheld": "No",
        "development_stage": "Deployed",
        "is_high_impact": "High-impact",
        "topic_area": "Procurement and Financial Management",
        "classification": "Generative AI",
        "problem_solved": "Slow reviews",
        "benefits": "Faster reviews",
        "system_outputs": "Drafts",
        "operational_date": "2024-10-01",
        "contracting_usage": "In-house Development",
        "have_ato": "Yes",
        "system_name_ato": "GSA Cloud",
        "data_description": "Past contracts",
        "has_pii": "No",
        "demographic_features": "None of the above",
        "has_custom_code": "Yes",
        **HI_DEPLOYED_ANSWERS,
    }
    row.update(changes)
    return row


def lint(*rows: dict[str, str]) -> list[Finding]:
    return lint_rows(LintRow(f"P-{n}", cells) for n, cells in enumerate(rows, start=1))


def kinds(found: list[Finding]) -> set[tuple[str, str, str]]:
    return {(f.kind, f.column, f.severity) for f in found}


def test_a_complete_row_has_no_finding() -> None:
    assert lint(complete()) == []
    # The long forms of the dictionary's valid selections are as good as OMB's shorthand.
    long_form = complete(
        development_stage="c) Deployed – The use case is being actively authorized or utilized to support the "
        "functions or mission of an agency.",
        is_high_impact="a) High-impact",
        hi_ongoing_monitoring="a) Yes, sufficient monitoring protocols have been established",
    )
    assert lint(long_form) == []


def test_required_blank_follows_the_stage() -> None:
    found = lint(
        complete(benefits="", operational_date=""),
        complete("GSA-2", development_stage="Pre-deployment", operational_date="", have_ato="", system_name_ato=""),
    )
    assert kinds(found) == {("required-blank", "benefits", ERROR), ("required-blank", "operational_date", ERROR)}
    assert all(f.pilot == "P-1" and f.use_case_id == "GSA-1" and f.name == "Use case GSA-1" for f in found)
    assert "Required: Yes, for pre-deployment, pilot and deployed" in found[0].why


def test_conditional_requirements() -> None:
    found = lint(
        complete(is_high_impact="Presumed High-Impact, but Not High-impact", HI_justification=""),
        complete("GSA-2", contracting_usage="Vendor Purchased", vendor_name=""),
        complete("GSA-3", system_name_ato=""),
    )
    assert kinds(found) == {
        ("required-blank", "HI_justification", ERROR),
        ("required-blank", "vendor_name", ERROR),
        ("required-blank", "system_name_ato", ERROR),
    }


def test_answers_outside_the_valid_selections() -> None:
    found = lint(complete(topic_area="Space lasers", demographic_features="['Age', 'Shoe size']", has_pii="yes"))
    assert kinds(found) == {("invalid-answer", "topic_area", ERROR), ("invalid-answer", "demographic_features", ERROR)}
    assert "'Shoe size'" in next(f.why for f in found if f.column == "demographic_features")
    variant = lint(complete(have_ato="true"))
    assert kinds(variant) == {("nonstandard-answer", "have_ato", WARNING)}
    assert "OMB reads it as 'Yes'" in variant[0].why


def test_reused_ids() -> None:
    found = lint(complete("GSA-1"), complete("GSA-1"), complete("GSA-2"))
    assert [(f.pilot, f.kind) for f in found] == [("P-1", "reused-id"), ("P-2", "reused-id")]
    assert "on 2 use cases" in found[0].why


def test_contacts_that_are_not_email_addresses() -> None:
    found = lint(complete(contact_email="Jane Doe"), complete("GSA-2", contact_email="a@gsa.gov; b@gsa.gov"))
    assert kinds(found) == {("contact-not-email", "contact_email", ERROR)}
    assert found[0].pilot == "P-1"


def test_high_impact_deployed_practices() -> None:
    gaps = {"hi_appeal_process": "", "hi_potential_impacts": "", "hi_training_established": "Training In-progress"}
    found = lint(complete(**gaps))
    assert kinds(found) == {
        ("practice-missing", "hi_appeal_process", ERROR),
        ("practice-missing", "hi_potential_impacts", ERROR),
        ("practice-in-progress", "hi_training_established", WARNING),
    }
    blank = dict.fromkeys(HI_DEPLOYED_ANSWERS, "")
    assert lint(complete(development_stage="Pilot", **blank)) == []  # required only once deployed
    assert lint(complete(is_high_impact="Not High-impact", **blank)) == []


def test_pilot_or_deployed_with_no_ato_answer() -> None:
    found = lint(complete(development_stage="Pilot", have_ato="", system_name_ato=""))
    assert kinds(found) == {("no-ato-answer", "have_ato", ERROR)}
    early = complete(development_stage="Pre-deployment", have_ato="", system_name_ato="", operational_date="")
    assert lint(early) == []


def test_undetermined_high_impact() -> None:
    found = lint(complete(is_high_impact="", **dict.fromkeys(HI_DEPLOYED_ANSWERS, "")))
    assert kinds(found) == {("high-impact-undetermined", "is_high_impact", ERROR)}
    assert kinds(lint(complete(is_high_impact="Probably not"))) == {("invalid-answer", "is_high_impact", ERROR)}


def test_dates_and_the_agency() -> None:
    assert kinds(lint(complete(operational_date="sometime in FY24"))) == {("not-a-date", "operational_date", WARNING)}
    assert lint(complete(operational_date="10/01/2024")) == []
    found = lint(complete(agency="", agency_name=""), complete("GSA-2", agency=""))
    assert [(f.pilot, f.column, f.kind) for f in found] == [
        ("", "agency", "agency-blank"),
        ("", "agency_name", "agency-blank"),
    ]
    assert "blank on 2 use case(s)" in found[0].why


def test_a_formula_guard_is_not_part_of_the_answer() -> None:
    assert lint(complete(use_case_name="'=Totals", problem_solved="'- bullets")) == []
