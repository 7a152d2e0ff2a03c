"""Recognise an OMB inventory file from its header row, and key each of its columns.

Each header cell gets one key: the 2025 short column name when the column carries the same question with
a compatible answer set (2024 ``3_abr`` -> ``agency``, 2023 ``Department_Code`` -> ``agency``), else the
file's own header. For the 2024 long-header file the key is the 2024 short name (``17_impact_type``...),
because several of its headers are identical question texts ("If Other, please explain.") and would
collide.
"""

from __future__ import annotations

from collections.abc import Sequence

from caio_tui.io.omb.records import COLUMNS_2025, OmbFormat

_LOWER_2025: dict[str, str] = {c.lower(): c for c in COLUMNS_2025}


# ---------------------------------------------------------------------------------------------------
# Header crosswalks: file header -> key (the 2025 name when the column carries the same question with
# a compatible answer set, else the file's own column name).
# ---------------------------------------------------------------------------------------------------

_KEYS_2023: dict[str, str] = {
    "use_case_id": "id",
    "department_code": "agency",
    "department": "agency_name",
    # 2023 "Agency" is the sub-agency (e.g. "Customs and Border Protection"): the 2025 bureau.
    "agency": "agency_bureau",
    "title": "use_case_name",
    "development_stage": "development_stage",
    "source_code": "code_url",
}

# 2024 short names that carry the same question as a 2025 column. Columns whose answer sets differ
# (topic area, development method, demographic features, the rights/safety impact type) keep their
# 2024 name so that a 2025 export never receives answers from another vocabulary.
_KEYS_2024: dict[str, str] = {
    "2_use_case_name": "use_case_name",
    "3_agency": "agency_name",
    "3_abr": "agency",
    "4_bureau": "agency_bureau",
    "11_purpose_benefits": "benefits",
    "12_outputs": "system_outputs",
    "16_dev_stage": "development_stage",
    "20_date_implemented": "operational_date",
    "29_contains_pii": "has_pii",
    "33_agency_data": "data_description",
    "37_custom_code": "has_custom_code",
    "39_code_link": "code_url",
    "40_has_ato": "have_ato",
    "41_system_name": "system_name_ato",
}

# The 2024 v2 file: the same 62 columns as the short-header release, in the same order, with the
# question text as header (apostrophes normalized to ASCII, whitespace collapsed).
_LONG_2024: tuple[tuple[str, str], ...] = (
    ("Use Case Name", "2_use_case_name"),
    ("Agency", "3_agency"),
    ("Agency Abbreviation", "3_abr"),
    ("Bureau", "4_bureau"),
    ("Use Case Topic Area", "8_topic_area"),
    ("Other (Use Case Topic Area)", "8_question_type"),
    (
        "Is the AI use case found in the below list of general commercial AI products and services?",
        "10_commercial_ai",
    ),
    ("What is the intended purpose and expected benefits of the AI?", "11_purpose_benefits"),
    ("Describe the AI system's outputs.", "12_outputs"),
    ("Stage of Development", "16_dev_stage"),
    ("Is the AI use case rights-impacting, safety-impacting, both, or neither?", "17_impact_type"),
    ("Date Initiated", "18_date_initiated"),
    ("Date when Acquisition and/or Development began", "19_date_acq_dev_began"),
    ("Date Implemented", "20_date_implemented"),
    ("Date Retired", "21_date_retired"),
    (
        "Was the AI system involved in this use case developed (or is it to be developed) under "
        "contract(s) or in-house?",
        "22_dev_method",
    ),
    (
        "Provide the Procurement Instrument Identifier(s) (PIID) of the contract(s) used.",
        "23_contract_piids",
    ),
    (
        "Is this AI use case supporting a High-Impact Service Provider (HISP) public-facing service?",
        "24_hisp_support",
    ),
    ("Which HISP is the AI use case supporting?", "25_hisp_name"),
    ("Which public-facing service is the AI use case supporting?", "26_public_service"),
    ("Does this AI use case disseminate information to the public?", "27_public_info"),
    (
        "How is the agency ensuring compliance with Information Quality Act guidelines, if applicable?",
        "28_iqa_compliance",
    ),
    (
        "Does this AI use case involve personally identifiable information (PII) that is maintained by the agency?",
        "29_contains_pii",
    ),
    (
        "Has the Senior Agency Official for Privacy (SAOP) assessed the privacy risks associated with "
        "this AI use case?",
        "30_saop_review",
    ),
    (
        "Do you have access to an enterprise data catalog or agency-wide data repository that enables "
        "you to identify whether or not the necessary datasets exist and are ready to develop your use "
        "case?",
        "31_data_catalog",
    ),
    ("If Other, please explain.", "31_question_type"),
    (
        "Describe any agency-owned data used to train, fine-tune, and/or evaluate performance of the "
        "model(s) used in this use case.",
        "33_agency_data",
    ),
    (
        "Is there available documentation for the model training and evaluation data that demonstrates "
        "the degree to which it is appropriate to be used in analysis or for making predictions?",
        "34_data_docs",
    ),
    (
        "Which, if any, demographic variables does the AI use case explicitly use as model features?",
        "35_demo_features",
    ),
    ("If Other, please explain.", "35_question_type"),
    ("Does this project include custom-developed code?", "37_custom_code"),
    ("Does the agency have access to the code associated with the AI use case?", "38_code_access"),
    (
        "If the code is open-source, provide the link for the publicly available source code.",
        "39_code_link",
    ),
    (
        "Does this AI use case have an associated Authority to Operate (ATO) for an AI system?",
        "40_has_ato",
    ),
    ("System Name", "41_system_name"),
    (
        "How long have you waited for the necessary developer tools to implement the AI use case?",
        "42_dev_tools_wait",
    ),
    (
        "For this AI use case, is the required IT infrastructure provisioned via a centralized intake "
        "form or process inside the agency?",
        "43_infra_provisioned",
    ),
    ("If Other, please explain.", "43_question_type"),
    (
        "Do you have a process in place to request access to computing resources for model training "
        "and development of the AI involved in this use case?",
        "45_compute_request",
    ),
    ("If Other, please explain.", "45_question_type"),
    (
        "Has communication regarding the provisioning of your requested resources been timely?",
        "47_timely_resources",
    ),
    ("If Other, please explain.", "47_question_type"),
    (
        "How are existing data science tools, libraries, data products, and internally-developed AI "
        "infrastructure being re-used for the current AI use case?",
        "49_existing_reuse",
    ),
    (
        "Has information regarding the AI use case, including performance metrics and intended use of "
        "the model, been made available for review and feedback within the agency?",
        "50_internal_review",
    ),
    (
        "Has your agency requested an extension to implement the minimum risk management practices for "
        "this AI use case?",
        "51_extension_request",
    ),
    ("Has an AI impact assessment been conducted for this AI use case?", "52_impact_assessment"),
    (
        "Has the AI use case been tested in operational or real-world environments to understand the "
        "performance and impact it may have on affected individuals or communities?",
        "53_real_world_testing",
    ),
    (
        "What are the key risks from using the AI for this particular use case and how were they identified?",
        "54_key_risks",
    ),
    ("Has an independent evaluation of the AI use case been conducted?", "55_independent_eval"),
    (
        "Is there a process to monitor performance of the AI system's functionality and changes to its "
        "impact on rights or safety as part of the post-deployment plan for the AI use case?",
        "56_monitor_postdeploy",
    ),
    (
        "For this particular use case, can the AI carry out a decision or action without direct human "
        "involvement that could result in a significant impact on rights or safety?",
        "57_autonomous_impact",
    ),
    ("If Other, please explain.", "57_question_type"),
    (
        "How is the agency providing reasonable and timely notice regarding the use of AI when people "
        "interact with an AI-enabled service as a result of this AI use case?",
        "59_ai_notice",
    ),
    ("If Other, please explain.", "59_question_type"),
    (
        "Is the AI used to significantly influence or inform decisions or actions that could have an "
        "adverse or negative impact on specific individuals or groups?",
        "61_adverse_impact",
    ),
    (
        "What steps has the agency taken to detect and mitigate significant disparities in the model's "
        "performance across demographic groups for this AI use case?",
        "62_disparity_mitigation",
    ),
    (
        "What steps has the agency taken to consult and incorporate feedback from groups affected by this AI use case?",
        "63_stakeholder_consult",
    ),
    ("If Other, please explain.", "63_question_type"),
    (
        "Is there an established fallback and escalation process for this AI use case in the event that "
        "an impacted individual or group would like to appeal or contest the AI system's outcome?",
        "65_appeal_process",
    ),
    ("If No, please explain.", "66_no_appeal_reason"),
    (
        "Where practicable and consistent with applicable law and governmentwide policy, is there an "
        "established mechanism for individuals to opt-out from the AI functionality in favor of a human "
        "alternative?",
        "67_opt_out",
    ),
    ("If Other, please explain.", "67_question_type"),
)


def _norm_header(text: str) -> str:
    text = text.replace("\ufeff", "").replace("\u2019", "'").replace("\u2018", "'")
    return " ".join(text.split()).casefold()


_LONG_2024_NORM: tuple[tuple[str, str], ...] = tuple((_norm_header(t), s) for t, s in _LONG_2024)

# ---------------------------------------------------------------------------------------------------
# Format detection
# ---------------------------------------------------------------------------------------------------

_SIGNATURE_2025 = frozenset({"use_case_name", "development_stage", "is_high_impact"})
_SIGNATURE_2024 = frozenset({"2_use_case_name", "16_dev_stage"})
_SIGNATURE_2024_LONG = frozenset({"use case name", "stage of development", "agency abbreviation"})
_SIGNATURE_2023 = frozenset({"use_case_id", "title", "development_stage"})


def detect_format(header: list[str]) -> OmbFormat | None:
    """The inventory format a header row belongs to, or None when it is none of the known ones."""
    names = {_norm_header(h) for h in header}
    if names >= _SIGNATURE_2025:
        return OmbFormat.Y2025
    if names >= _SIGNATURE_2024:
        return OmbFormat.Y2024
    if names >= _SIGNATURE_2024_LONG:
        return OmbFormat.Y2024_LONG
    if names >= _SIGNATURE_2023:
        return OmbFormat.Y2023
    return None


def column_keys(fmt: OmbFormat, header: Sequence[str]) -> list[str]:
    """One key per header cell (see the module docstring); duplicates get a ``#n`` suffix."""
    keys: list[str] = []
    for i, raw in enumerate(header):
        norm = _norm_header(raw)
        key = raw.strip()
        if fmt is OmbFormat.Y2025:
            key = _LOWER_2025.get(norm, key)
        elif fmt is OmbFormat.Y2023:
            key = _KEYS_2023.get(norm, key)
        else:
            short = norm if fmt is OmbFormat.Y2024 else _long_to_short(i, norm, keys)
            if short is not None:
                key = _KEYS_2024.get(short, short)
        keys.append(key)
    seen: dict[str, int] = {}
    unique: list[str] = []
    for key in keys:
        n = seen.get(key, 0) + 1
        seen[key] = n
        unique.append(key if n == 1 else f"{key}#{n}")
    return unique


def _long_to_short(index: int, norm: str, previous_keys: list[str]) -> str | None:
    """The 2024 short name of a long-header column; ``previous_keys`` are the keys assigned so far."""
    if index < len(_LONG_2024_NORM) and _LONG_2024_NORM[index][0] == norm:
        return _LONG_2024_NORM[index][1]
    candidates = [j for j, (text, _) in enumerate(_LONG_2024_NORM) if text == norm]
    if len(candidates) == 1:
        return _LONG_2024_NORM[candidates[0]][1]
    if candidates and previous_keys:
        # "If Other, please explain." follows the question it explains.
        before = previous_keys[-1]
        for j in candidates:
            prev_short = _LONG_2024_NORM[j - 1][1]
            if before in (prev_short, _KEYS_2024.get(prev_short)):
                return _LONG_2024_NORM[j][1]
    return None
