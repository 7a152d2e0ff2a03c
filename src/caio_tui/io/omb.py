"""Read and write OMB federal AI use case inventory CSV files.

Self-contained (stdlib only, no other caio_tui module): the store wires it in.

Formats read (detected from the header row):

* ``omb-2023``: ``Use_Case_ID, Department_Code, Agency, Office, Title, ...``; stage is free text.
* ``omb-2024``: the first 2024 release, short numbered headers (``2_use_case_name``, ``16_dev_stage``,
  ``40_has_ato``, ...), utf-8-sig; it has **no** use-case id column.
* ``omb-2024-long``: the 2024 v2 release, the same 62 columns with the full question text as headers,
  cp1252; no id column either.
* ``omb-2025``: the M-25-21 format, 36 short column names (``COLUMNS_2025``).

Only ``omb-2025`` is written (``write_inventory_2025``).

Reading never raises for a row problem: an unknown or malformed value becomes an ``ImportIssue`` and the
raw value is kept (in ``OmbRecord.extra`` or ``OmbRecord.evidence``). ``OmbFormatError`` is raised only
when the file as a whole cannot be read: undecodable, no header, or not a known inventory format.

``OmbRecord.extra`` holds every column whose information is not carried by another record field, keyed
by the 2025 short column name when the column maps to one (e.g. 2024 ``3_abr`` -> ``agency``, 2023
``Department_Code`` -> ``agency``), else by the file's header. For the 2024 long-header file the key is
the 2024 short name (``17_impact_type``...), because several of its headers are identical question texts
("If Other, please explain.") and would collide. Blank cells are not stored. A consumed column whose raw
value could not be represented exactly (a stray stage, ``Presumed High-Impact, but Not High-impact``, an
``N/A`` ATO answer) keeps its raw value in ``extra`` as well.

Cells a spreadsheet would read as a formula (``FORMULA_START``): the reader records in ``OmbRecord.given``
the text the inventory gave for each such cell; the writer writes a cell as given only while its text is
still exactly that, and neutralizes any other such cell with a leading ``'``, as the CSV export of pilots
does (``FormulaCells`` counts both).
"""

from __future__ import annotations

import ast
import csv
import hashlib
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "AS_GIVEN_KEY",
    "ATO_ITEMS",
    "COLUMNS_2025",
    "COVERAGE_STATUSES",
    "FORMULA_START",
    "HI_COLUMN_ITEMS",
    "FormulaCells",
    "ImportIssue",
    "OmbFormat",
    "OmbFormatError",
    "OmbReadResult",
    "OmbRecord",
    "detect_format",
    "read_inventory",
    "stage_2025",
    "write_inventory_2025",
]


class OmbFormat(StrEnum):
    Y2023 = "omb-2023"
    Y2024 = "omb-2024"
    Y2024_LONG = "omb-2024-long"
    Y2025 = "omb-2025"


class OmbFormatError(Exception):
    """The file is not a readable OMB inventory. The message is ``"FILE: reason"``."""


@dataclass(frozen=True)
class ImportIssue:
    row: int  # spreadsheet row: the header is row 1, the first data row is row 2
    column: str  # the column's header as written in the file ("" for the row as a whole)
    value: str
    reason: str


@dataclass
class OmbRecord:
    id: str
    name: str
    office: str
    owner: str = ""
    stage: str | None = None
    high_impact: bool = False
    coverage: dict[str, str] = field(default_factory=dict)
    evidence: dict[str, str] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)
    source_row: int = 0
    # 2025 column -> the text the inventory gave for it, for the cells that start like a formula: the only
    # such cells the writer writes as they are (while the record still holds exactly that text).
    given: dict[str, str] = field(default_factory=dict)


@dataclass
class OmbReadResult:
    format: OmbFormat
    records: list[OmbRecord]
    issues: list[ImportIssue]


COLUMNS_2025: tuple[str, ...] = (
    "agency",
    "agency_name",
    "id",
    "use_case_name",
    "agency_bureau",
    "contact_email",
    "is_withheld",
    "development_stage",
    "is_high_impact",
    "HI_justification",
    "topic_area",
    "classification",
    "problem_solved",
    "benefits",
    "system_outputs",
    "operational_date",
    "contracting_usage",
    "vendor_name",
    "have_ato",
    "system_name_ato",
    "data_description",
    "link_to_data",
    "has_pii",
    "pia_url",
    "demographic_features",
    "has_custom_code",
    "code_url",
    "hi_testing_conducted",
    "hi_assessment_completed",
    "hi_potential_impacts",
    "hi_independent_review",
    "hi_ongoing_monitoring",
    "hi_training_established",
    "hi_failsafe_presence",
    "hi_appeal_process",
    "hi_public_consultation",
)

# A cell starting with one of these is read by a spreadsheet as a formula (tab and CR: once it trims
# them). The same characters as the CSV export of pilots (io/reports.py), which a test holds equal.
FORMULA_START: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

# The key of pilot.extra that keeps OmbRecord.given between an import and the next export.
AS_GIVEN_KEY = "omb_as_given"

COVERAGE_STATUSES: frozenset[str] = frozenset({"met", "partial", "gap", "waived", "not_applicable"})

# The M-25-21 items (domain/data/m-25-21.toml) and the 2025 column each one is reported in.
# hi_potential_impacts is free text with no item of its own: it stays in `extra`.
HI_COLUMN_ITEMS: dict[str, str] = {
    "hi_testing_conducted": "hi.testing",
    "hi_assessment_completed": "hi.impact_assessment",
    "hi_independent_review": "hi.independent_review",
    "hi_ongoing_monitoring": "hi.monitoring",
    "hi_training_established": "hi.training",
    "hi_failsafe_presence": "hi.oversight",
    "hi_appeal_process": "hi.appeals",
    "hi_public_consultation": "hi.consultation",
}

# The ATO area items (domain/data/production.toml).
ATO_BOUNDARY = "ato.boundary"
ATO_PACKAGE = "ato.package_submitted"
ATO_GRANTED = "ato.granted"
ATO_ITEMS: tuple[str, ...] = (ATO_BOUNDARY, ATO_PACKAGE, ATO_GRANTED)

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


def _column_keys(fmt: OmbFormat, header: Sequence[str]) -> list[str]:
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


# ---------------------------------------------------------------------------------------------------
# Value normalization and mappings
# ---------------------------------------------------------------------------------------------------

_DASHES = re.compile(r"[\u2010-\u2015\u2212\u00f1]")  # ñ: a mis-decoded en dash seen in OMB's data
_CHOICE_PREFIX = re.compile(r"^(?:[a-z]\)\s*)+")  # "a) ", "b)  b)  " in long-form answers


def _clean(value: str) -> str:
    """Lower-cased, dash-normalized, whitespace-collapsed, multiple-choice letter prefix removed."""
    text = _DASHES.sub("-", value.replace("\u00a0", " ")).casefold()
    text = " ".join(text.split())
    return _CHOICE_PREFIX.sub("", text).strip()


def _words(value: str) -> str:
    """``_clean`` with hyphens treated as spaces ("High-Impact" == "high impact")."""
    return " ".join(_clean(value).replace("-", " ").split())


_STAGE_2025: dict[str, str] = {
    # Pre-deployment is "in a development or acquisition status": built or being built. That is
    # proof-of-concept territory rather than an unbuilt proposal, so it maps to poc, not intake.
    "pre deployment": "poc",
    "pilot": "pilot",
    "deployed": "production",
    "retired": "retired",
}

_STAGE_2024: dict[str, str] = {
    "initiated": "intake",
    "acquisition and/or development": "poc",
    "implementation and assessment": "pilot",
    "operation and maintenance": "production",
    "retired": "retired",
}

# Stray 2024 answers with an unambiguous reading; they are mapped without an issue, and the raw value
# is kept in `extra`.
_STAGE_2024_STRAY: dict[str, str] = {
    "planned": "intake",
    "ideation": "intake",
    "in production": "production",
    "in mission": "production",
}

# 2023 free text: most advanced stage first, so "Development and Acquisition" is poc and
# "In production: more than 1 year" is production. "not in production" is removed before matching.
_STAGE_2023_KEYWORDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bretir"), "retired"),
    (
        re.compile(
            r"\b(operation|maintenance|in[- ]use|in production|deployed|deployment|"
            r"production|in mission)\b"
        ),
        "production",
    ),
    (re.compile(r"\b(implementation|pilot|piloting)\b"), "pilot"),
    (re.compile(r"\b(development|acquisition|proof[- ]of[- ]concept|prototype)\b"), "poc"),
    (re.compile(r"\b(initiation|initiated|planned|planning|ideation)\b"), "intake"),
)
_NOT_IN_PRODUCTION = re.compile(r"\bnot (yet )?in production\b")

_STAGE_TO_2025: dict[str, str] = {
    "intake": "Pre-deployment",
    "poc": "Pre-deployment",
    "pilot": "Pilot",
    "readiness": "Pilot",
    "production": "Deployed",
    "scaled": "Deployed",
    "retired": "Retired",
}


def stage_2025(stage: str | None) -> str:
    """The 2025 ``development_stage`` answer for a pipeline stage id ("" when None or unknown)."""
    return _STAGE_TO_2025.get(stage or "", "")


def _stage_2023(raw: str) -> tuple[str | None, bool]:
    """The stage a 2023 free-text answer names, and whether it says so up front.

    A keyword found further into a sentence ("Technical transfer ... planned this summer") is still
    used, but the caller reports it so that someone checks the reading.
    """
    text = _NOT_IN_PRODUCTION.sub(" ", _clean(raw)).strip()
    for pattern, stage in _STAGE_2023_KEYWORDS:
        match = pattern.search(text)
        if match:
            return stage, match.start() == 0
    return None, False


def _stage_long_form_head(raw: str) -> str:
    """ "a) Pre-deployment – The use case is ..." -> "pre deployment"."""
    head = _clean(raw).split(" - ", 1)[0]
    return " ".join(head.replace("-", " ").split())


_HI_TRUE = {"high impact", "yes"}
_HI_FALSE = {"not high impact", "no"}
_HI_CANONICAL = {"High-impact", "Not High-impact"}
_HI_2024_TRUE = re.compile(r"^(both|rights impacting|safety impacting|rights and safety impacting)\b")

_YES = {"yes", "true"}
_NO = {"no", "false"}
_NA = {"n/a", "na", "not applicable", "none"}

# ---------------------------------------------------------------------------------------------------
# hi_* answers
# ---------------------------------------------------------------------------------------------------

_HI_MET: dict[str, frozenset[str]] = {
    "hi_testing_conducted": frozenset({"yes"}),
    "hi_assessment_completed": frozenset({"yes"}),
    "hi_independent_review": frozenset({"internal independent review", "oversight board review", "caio review"}),
    "hi_ongoing_monitoring": frozenset({"yes - monitoring established"}),
    "hi_training_established": frozenset({"training established"}),
    "hi_failsafe_presence": frozenset({"yes"}),
    "hi_appeal_process": frozenset({"appeal process established"}),
    "hi_public_consultation": frozenset(
        {
            "usability testing",
            "direct usability testing",
            "public feedback solicitations",
            "general solicitations of feedback and comments from the public",
            "public hearings",
            "public hearings or meetings",
            "other",
        }
    ),
}

# "Law, operational limitations, or governmentwide guidance precludes an opportunity for an individual
# to appeal" is an allowed answer, not a failure to act: the practice cannot apply, and the raw answer
# kept as evidence is the justification a not_applicable status needs.
_APPEAL_PRECLUDED = ("appeal precluded by law", "precluded", "law, operational limitations")

# The answer written for a status when the record has no raw answer of its own (dictionary shorthand).
_HI_WRITE: dict[str, dict[str, str]] = {
    "hi_independent_review": {"met": "Internal Independent Review"},
    "hi_ongoing_monitoring": {"met": "Yes - Monitoring Established"},
    "hi_training_established": {"met": "Training Established", "partial": "Training In-progress"},
    "hi_appeal_process": {"met": "Appeal Process Established", "partial": "Appeal Process In-progress"},
    # A consultation item "met" without a recorded answer: "Other" is the only non-specific step.
    "hi_public_consultation": {
        "met": "['Other']",
        "partial": "['In-progress']",
        "waived": "['CAIO Waived']",
        "not_applicable": "['Not Applicable']",
    },
}
_HI_WRITE_DEFAULT: dict[str, str] = {
    "met": "Yes",
    "partial": "In-progress",
    "waived": "CAIO Waived",
    "not_applicable": "Not Applicable",
}


def _hi_single(column: str, raw: str) -> str | None:
    """The coverage status of one hi_* answer, or None when it is not an allowed answer."""
    text = _clean(raw)
    if "waiv" in text or "wavied" in text:
        return "waived"
    if re.search(r"in[- ]?progr?ess", text):  # also OMB's own typo "in-progess"
        return "partial"
    if text in _NA - {"none"}:
        return "not_applicable"
    if column == "hi_appeal_process" and text.startswith(_APPEAL_PRECLUDED):
        return "not_applicable"
    if text in _HI_MET.get(column, frozenset()) or text == "yes" or text.startswith(("yes,", "yes -")):
        return "met"
    if column == "hi_public_consultation" and text.startswith(("direct usab", "general solic", "public hear")):
        return "met"
    return None


def _split_multi(raw: str) -> list[str]:
    """A select-multiple cell: a Python-list string ``"['a', 'b']"`` or a ``;``-separated list."""
    text = raw.strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            parsed = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            parsed = None
        if isinstance(parsed, list | tuple):
            return [str(p).strip() for p in parsed if str(p).strip()]
        text = text[1:-1]
        return [p.strip().strip("'\"").strip() for p in text.split(",") if p.strip().strip("'\"").strip()]
    return [p.strip() for p in text.split(";") if p.strip()]


def _hi_status(column: str, raw: str) -> str | None:
    if column != "hi_public_consultation":
        return _hi_single(column, raw)
    parts = _split_multi(raw)
    statuses = [_hi_single(column, p) for p in parts]
    for wanted in ("met", "partial", "waived"):
        if wanted in statuses:
            return wanted
    if statuses and all(s == "not_applicable" for s in statuses):
        return "not_applicable"
    return None


# ---------------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------------


def _decode(data: bytes, source_name: str) -> str:
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise OmbFormatError(f"{source_name}: empty file (no header row)")
    if b"\x00" in data:
        raise OmbFormatError(f"{source_name}: binary data, not a CSV text file")
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return body.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise OmbFormatError(f"{source_name}: cannot decode as UTF-8 or Windows-1252 (byte {exc.start})") from exc


def _generated_id(agency: str, name: str, bureau: str, occurrence: int) -> str:
    key = "\x1f".join((_key_part(agency), _key_part(name), _key_part(bureau), str(occurrence)))
    return "omb-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:10]


def _key_part(text: str) -> str:
    return " ".join(text.split()).casefold()


def _blank(value: str) -> bool:
    return not value.strip()  # str.strip() also removes NBSP, seen alone in real cells


def _join_office(*parts: str) -> str:
    return " / ".join(p.strip() for p in parts if p.strip())


class _Row:
    """One data row being turned into a record: its cells by key, and the issues it raised."""

    def __init__(self, number: int, cells: dict[str, str], headers: Mapping[str, str]) -> None:
        self.number = number
        self.cells = cells
        self.headers = headers
        self.consumed: set[str] = set()
        self.issues: list[ImportIssue] = []
        self.coverage: dict[str, str] = {}
        self.evidence: dict[str, str] = {}
        self.keep: dict[str, str] = {}  # consumed columns whose raw value must stay in extra

    def get(self, key: str) -> str:
        return self.cells.get(key, "")

    def take(self, key: str) -> str:
        self.consumed.add(key)
        return self.cells.get(key, "").strip()

    def issue(self, key: str, value: str, reason: str) -> None:
        self.issues.append(ImportIssue(self.number, self.headers.get(key, key), value, reason))

    def keep_raw(self, key: str) -> None:
        if key in self.cells and not _blank(self.cells[key]):
            self.keep[key] = self.cells[key]

    def extra(self) -> dict[str, str]:
        out = {k: v for k, v in self.cells.items() if k not in self.consumed and not _blank(v)}
        out.update(self.keep)
        return out


def read_inventory(data: bytes, *, source_name: str, fmt: OmbFormat | None = None) -> OmbReadResult:
    """Read an OMB inventory CSV (any known year). Row problems become issues, never exceptions."""
    text = _decode(data, source_name)
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise OmbFormatError(f"{source_name}: not a readable CSV file ({exc})") from exc
    header_index = next((i for i, r in enumerate(rows) if any(not _blank(c) for c in r)), None)
    if header_index is None:
        raise OmbFormatError(f"{source_name}: empty file (no header row)")
    header = rows[header_index]
    detected = detect_format(header)
    if fmt is None:
        if detected is None:
            shown = ", ".join(h.strip() for h in header[:4])
            raise OmbFormatError(
                f"{source_name}: not a known OMB AI use case inventory format (header starts: {shown[:120]})"
            )
        fmt = detected
    keys = _column_keys(fmt, header)
    if "use_case_name" not in keys:
        raise OmbFormatError(f"{source_name}: header has no use case name column for format {fmt.value}")
    headers = {k: h.strip() for k, h in zip(keys, header, strict=True)}

    records: list[OmbRecord] = []
    issues: list[ImportIssue] = []
    seen_ids: dict[str, int] = {}
    occurrences: dict[tuple[str, str, str], int] = {}
    for index in range(header_index + 1, len(rows)):
        cells_list = rows[index]
        number = index + 1
        if all(_blank(c) for c in cells_list):
            continue
        cells = {k: (cells_list[i] if i < len(cells_list) else "") for i, k in enumerate(keys)}
        row = _Row(number, cells, headers)
        overflow = [c for c in cells_list[len(keys) :] if not _blank(c)]
        if overflow:
            for j, value in enumerate(cells_list[len(keys) :], start=len(keys) + 1):
                if not _blank(value):
                    cells[f"column_{j}"] = value
            row.issue("", " | ".join(overflow), f"row has {len(cells_list)} cells, header has {len(keys)}")
        record = _read_row(fmt, row, seen_ids, occurrences)
        records.append(record)
        issues.extend(row.issues)
    return OmbReadResult(format=fmt, records=records, issues=issues)


def _read_row(
    fmt: OmbFormat,
    row: _Row,
    seen_ids: dict[str, int],
    occurrences: dict[tuple[str, str, str], int],
) -> OmbRecord:
    name = row.take("use_case_name")
    if not name:
        row.issue("use_case_name", "", "blank use case name")
    agency = row.get("agency").strip() or row.get("agency_name").strip()
    bureau = row.get("agency_bureau").strip()
    if fmt is OmbFormat.Y2023:
        office = _join_office(bureau, row.get("Office"))
        key_bureau = office
    else:
        office = _join_office(agency, bureau)
        key_bureau = bureau

    # Id: the file's own when present and not already used, else a generated one that depends only on
    # the row's agency, name, bureau and how many rows with that same key came before it.
    occurrence_key = (_key_part(agency), _key_part(name), _key_part(key_bureau))
    occurrence = occurrences.get(occurrence_key, 0)
    occurrences[occurrence_key] = occurrence + 1
    raw_id = row.take("id") if "id" in row.cells else ""
    record_id = raw_id
    if raw_id and raw_id in seen_ids:
        record_id = ""
        row.keep_raw("id")
        generated_note = f"id already used on row {seen_ids[raw_id]}; a generated id is used"
    else:
        generated_note = ""
    if not record_id:
        record_id = _generated_id(agency, name, key_bureau, occurrence)
        salt = 0
        while record_id in seen_ids:  # vanishingly unlikely; keeps ids unique regardless
            salt += 1
            record_id = _generated_id(agency, name, key_bureau, occurrence * 1000 + salt)
        if generated_note:
            row.issue("id", raw_id, f"{generated_note} ({record_id})")
    seen_ids[record_id] = row.number

    owner = row.take("contact_email") if "contact_email" in row.cells else ""
    stage = _read_stage(fmt, row)
    high_impact = _read_high_impact(fmt, row)
    _read_ato(row)
    if fmt is OmbFormat.Y2025 and high_impact:
        _read_hi(row)

    return OmbRecord(
        id=record_id,
        name=name,
        office=office,
        owner=owner,
        stage=stage,
        high_impact=high_impact,
        coverage=row.coverage,
        evidence=row.evidence,
        extra=row.extra(),
        source_row=row.number,
        given=_given(row),
    )


# Columns whose cell the reader trims before keeping it in a record field (name, id, owner).
_TRIMMED = frozenset({"id", "use_case_name", "contact_email"})


def _given(row: _Row) -> dict[str, str]:
    """The row's cells that start like a formula, as the record keeps them. A trimmed cell is given only
    with its trailing blanks removed: "\t=cmd" trimmed to "=cmd" is a formula the inventory did not give."""
    given: dict[str, str] = {}
    for column in COLUMNS_2025:
        raw = row.cells.get(column, "")
        if raw.startswith(FORMULA_START):
            given[column] = raw.rstrip() if column in _TRIMMED else raw
    return given


def _read_stage(fmt: OmbFormat, row: _Row) -> str | None:
    if "development_stage" not in row.cells:
        return None
    raw = row.take("development_stage")
    if not raw:
        return None
    stage: str | None
    if fmt is OmbFormat.Y2025:
        stage = _STAGE_2025.get(_stage_long_form_head(raw))
    elif fmt is OmbFormat.Y2023:
        stage, up_front = _stage_2023(raw)
        if stage is not None and _clean(raw) not in _STAGE_2023_CANONICAL:
            row.keep_raw("development_stage")
            if not up_front:
                row.issue("development_stage", raw, f"free-text stage read as {stage!r}; check it")
    else:
        text = _clean(raw)
        stage = _STAGE_2024.get(text)
        if stage is None:
            stage = _STAGE_2024_STRAY.get(text)
            if stage is not None:
                row.keep_raw("development_stage")
    if stage is None:
        row.keep_raw("development_stage")
        row.issue("development_stage", raw, "unknown development stage; stage left blank")
    return stage


# 2023 answers that are the SDLC stage names themselves: mapped without keeping the raw text.
_STAGE_2023_CANONICAL = frozenset(
    {"initiation", "development and acquisition", "implementation", "operation and maintenance", "retired"}
)


def _read_high_impact(fmt: OmbFormat, row: _Row) -> bool:
    if fmt is OmbFormat.Y2023:
        return False
    if fmt is OmbFormat.Y2025:
        if "is_high_impact" not in row.cells:
            return False
        raw = row.take("is_high_impact")
        if not raw:
            row.issue("is_high_impact", raw, "blank high-impact answer; read as not high-impact")
            return False
        words = _words(raw)
        if raw not in _HI_CANONICAL:
            row.keep_raw("is_high_impact")
        if words in _HI_TRUE:
            return True
        if words in _HI_FALSE or words.startswith("presumed high impact"):
            return False
        row.issue("is_high_impact", raw, "unknown high-impact answer; read as not high-impact")
        return False
    # 2024: the M-24-10 rights-/safety-impacting question. Its raw answer stays in extra (as
    # 17_impact_type) because the 2025 column asks a different question.
    raw = row.get("17_impact_type").strip()
    if not raw:
        row.issue("17_impact_type", raw, "blank rights/safety-impacting answer; read as not high-impact")
        return False
    words = _words(raw)
    if _HI_2024_TRUE.match(words):
        return True
    if words != "neither":
        reason = "not an allowed rights/safety-impacting answer; read as not high-impact"
        row.issue("17_impact_type", raw, reason)
    return False


def _read_ato(row: _Row) -> None:
    if "have_ato" not in row.cells:
        return
    raw = row.take("have_ato")
    text = _clean(raw)
    system = row.get("system_name_ato").strip()
    if system and _clean(system) not in _NA:
        row.evidence[ATO_GRANTED] = system  # also stays in extra: the writer writes that copy
    if not text:
        return
    if text in _YES:
        for item in ATO_ITEMS:
            row.coverage[item] = "met"
        row.evidence.setdefault(ATO_BOUNDARY, f"OMB inventory: {row.headers.get('have_ato', 'have_ato')} = {raw}")
        row.evidence.setdefault(ATO_PACKAGE, f"OMB inventory: {row.headers.get('have_ato', 'have_ato')} = {raw}")
    elif text in _NO:
        row.coverage[ATO_GRANTED] = "gap"
    else:
        row.keep_raw("have_ato")
        row.issue("have_ato", raw, "not a Yes/No ATO answer; ATO coverage left unassessed")


def _read_hi(row: _Row) -> None:
    for column, item in HI_COLUMN_ITEMS.items():
        if column not in row.cells:
            continue
        raw = row.take(column)
        if not raw or raw in ("[]", "['']"):
            continue
        row.evidence[item] = raw
        status = _hi_status(column, raw)
        if status is None:
            row.coverage[item] = "gap"
            row.keep_raw(column)
            row.issue(column, raw, "not an allowed answer for this practice; read as a gap")
            continue
        row.coverage[item] = status
        if raw != _hi_default_answer(column, status):
            row.keep_raw(column)  # e.g. "Oversight Board Review": the writer gives it back verbatim


# ---------------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------------


@dataclass
class FormulaCells:
    """What write_inventory_2025 did with the cells a spreadsheet would read as a formula."""

    kept: int = 0  # written as the imported inventory gave them
    neutralized: int = 0  # any other: written with a leading apostrophe
    first_kept: list[tuple[int, str]] = field(default_factory=list)  # (spreadsheet row, column), the first few

    SHOWN = 3

    def keep(self, row: int, column: str) -> None:
        self.kept += 1
        if len(self.first_kept) < self.SHOWN:
            self.first_kept.append((row, column))

    @property
    def summary(self) -> str:
        """One clause for the export's summary line."""
        kept = f"{self.kept} kept as the inventory gave them"
        if self.first_kept:
            named = ", ".join(f'row {row} "{column}"' for row, column in self.first_kept)
            more = f" and {self.kept - len(self.first_kept)} more" if self.kept > len(self.first_kept) else ""
            kept += f" ({named}{more})"
        return f"cells that start like a formula: {kept}, {self.neutralized} neutralized"


def write_inventory_2025(
    records: Iterable[OmbRecord],
    agency: str = "",
    agency_name: str = "",
    *,
    formulas: FormulaCells | None = None,
) -> bytes:
    """The records as an OMB 2025 inventory CSV: 36 columns in OMB's order, UTF-8 with BOM.

    Columns derived from record fields: id, use_case_name, contact_email, development_stage,
    is_high_impact, have_ato and the hi_* practices (an original answer kept in ``extra`` is written
    back while it still agrees with the field). Every other column, system_name_ato included, is
    written from ``extra`` verbatim. ``agency`` / ``agency_name`` fill rows whose ``extra`` has none; a row's
    bureau is ``extra["agency_bureau"]`` when present, else derived from ``office``.

    The file goes to a spreadsheet before it goes to OMB. A cell that starts like a formula is written as
    it is only when its text is exactly what the imported inventory gave (``record.given``): the agency's
    answers, "- " bullets included, reach OMB as given. Any other such cell (a name typed in the app, a
    field edited since the import, a value from a snapshot) gets a leading apostrophe. ``formulas``, when
    given, counts both.
    """
    found = formulas if formulas is not None else FormulaCells()
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS_2025)
    for row, record in enumerate(records, start=2):  # the spreadsheet's row: the header is row 1
        writer.writerow([_guarded(record, column, row, agency, agency_name, found) for column in COLUMNS_2025])
    return buffer.getvalue().encode("utf-8-sig")


def _guarded(record: OmbRecord, column: str, row: int, agency: str, agency_name: str, found: FormulaCells) -> str:
    """The cell as written: as the inventory gave it, or neutralized if a spreadsheet would run it."""
    text = _cell_2025(record, column, agency, agency_name)
    if not text.startswith(FORMULA_START):
        return text
    if record.given.get(column) == text:
        found.keep(row, column)
        return text
    found.neutralized += 1
    return "'" + text


def _cell_2025(record: OmbRecord, column: str, agency: str, agency_name: str) -> str:
    extra = record.extra
    if column == "agency":
        return extra.get("agency", "") or agency
    if column == "agency_name":
        return extra.get("agency_name", "") or agency_name
    if column == "id":
        return record.id
    if column == "use_case_name":
        return record.name
    if column == "agency_bureau":
        return extra["agency_bureau"] if "agency_bureau" in extra else _bureau_from_office(record, agency)
    if column == "contact_email":
        return record.owner
    if column == "development_stage":
        return stage_2025(record.stage) or extra.get("development_stage", "")
    if column == "is_high_impact":
        if record.high_impact:
            return "High-impact"
        raw = extra.get("is_high_impact", "")
        words = _words(raw)
        # Keep "Presumed High-Impact, but Not High-impact": it says more than "Not High-impact".
        return raw if raw and words.startswith("presumed high impact") else "Not High-impact"
    if column == "have_ato":
        return _have_ato(record)
    if column == "system_name_ato":
        return extra.get("system_name_ato", "")
    if column in HI_COLUMN_ITEMS:
        return _hi_answer(record, column)
    return extra.get(column, "")


def _bureau_from_office(record: OmbRecord, agency: str) -> str:
    own_agency = record.extra.get("agency", "") or agency
    office = record.office.strip()
    if own_agency and office.startswith(own_agency + " / "):
        return office[len(own_agency) + 3 :]
    if own_agency and office == own_agency:
        return ""
    return office


def _have_ato(record: OmbRecord) -> str:
    status = record.coverage.get(ATO_GRANTED)
    if status == "met":
        return "Yes"
    if status is not None and status != "not_assessed":
        return "No"
    raw = record.extra.get("have_ato", "")
    if raw:
        return raw
    # Not assessed: OMB requires the answer for pilot and deployed use cases only, and without a
    # recorded ATO the answer is No; elsewhere the cell is left blank rather than asserting anything.
    return "No" if stage_2025(record.stage) in ("Pilot", "Deployed") else ""


def _hi_default_answer(column: str, status: str) -> str:
    return _HI_WRITE.get(column, {}).get(status) or _HI_WRITE_DEFAULT.get(status, "")


def _hi_answer(record: OmbRecord, column: str) -> str:
    item = HI_COLUMN_ITEMS[column]
    raw = record.extra.get(column, "")
    status = record.coverage.get(item)
    if status is None or status == "not_assessed":
        return raw  # not high-impact, or not assessed: whatever the inventory said, verbatim
    # The inventory's own answer when it still says what the coverage says ("Oversight Board
    # Review", or a reported "No" for a gap); never the evidence text, which may be a free note.
    if raw and (_hi_status(column, raw) == status or (status == "gap" and _hi_status(column, raw) is None)):
        return raw
    return _hi_default_answer(column, status)
