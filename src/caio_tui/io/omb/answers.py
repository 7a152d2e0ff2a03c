"""What an inventory answer means for a pilot, both ways: stages, high-impact, ATO and M-25-21 practices.

Tables and pure functions only: the reader (``reader.py``) turns answers into fields and issues with
them, the writer (``writer.py``) turns fields back into answers.
"""

from __future__ import annotations

import ast
import re

_DASHES = re.compile(r"[\u2010-\u2015\u2212\u00f1]")  # ñ: a mis-decoded en dash seen in OMB's data
_CHOICE_PREFIX = re.compile(r"^(?:[a-z]\)\s*)+")  # "a) ", "b)  b)  " in long-form answers


def clean_answer(value: str) -> str:
    """Lower-cased, dash-normalized, whitespace-collapsed, multiple-choice letter prefix removed."""
    text = _DASHES.sub("-", value.replace("\u00a0", " ")).casefold()
    text = " ".join(text.split())
    return _CHOICE_PREFIX.sub("", text).strip()


def answer_words(value: str) -> str:
    """``clean_answer`` with hyphens treated as spaces ("High-Impact" == "high impact")."""
    return " ".join(clean_answer(value).replace("-", " ").split())


STAGE_2025: dict[str, str] = {
    # Pre-deployment is "in a development or acquisition status": built or being built. That is
    # proof-of-concept territory rather than an unbuilt proposal, so it maps to poc, not intake.
    "pre deployment": "poc",
    "pilot": "pilot",
    "deployed": "production",
    "retired": "retired",
}

STAGE_2024: dict[str, str] = {
    "initiated": "intake",
    "acquisition and/or development": "poc",
    "implementation and assessment": "pilot",
    "operation and maintenance": "production",
    "retired": "retired",
}

# Stray 2024 answers with an unambiguous reading; they are mapped without an issue, and the raw value
# is kept in `extra`.
STAGE_2024_STRAY: dict[str, str] = {
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

# 2023 answers that are the SDLC stage names themselves: mapped without keeping the raw text.
STAGE_2023_CANONICAL = frozenset(
    {"initiation", "development and acquisition", "implementation", "operation and maintenance", "retired"}
)

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


def stage_2023(raw: str) -> tuple[str | None, bool]:
    """The stage a 2023 free-text answer names, and whether it says so up front.

    A keyword found further into a sentence ("Technical transfer ... planned this summer") is still
    used, but the caller reports it so that someone checks the reading.
    """
    text = _NOT_IN_PRODUCTION.sub(" ", clean_answer(raw)).strip()
    for pattern, stage in _STAGE_2023_KEYWORDS:
        match = pattern.search(text)
        if match:
            return stage, match.start() == 0
    return None, False


def stage_long_form_head(raw: str) -> str:
    """ "a) Pre-deployment – The use case is ..." -> "pre deployment"."""
    head = clean_answer(raw).split(" - ", 1)[0]
    return " ".join(head.replace("-", " ").split())


HI_TRUE = {"high impact", "yes"}
HI_FALSE = {"not high impact", "no"}
HI_CANONICAL = {"High-impact", "Not High-impact"}
HI_2024_TRUE = re.compile(r"^(both|rights impacting|safety impacting|rights and safety impacting)\b")

YES = {"yes", "true"}
NO = {"no", "false"}
NA = {"n/a", "na", "not applicable", "none"}

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
    text = clean_answer(raw)
    if "waiv" in text or "wavied" in text:
        return "waived"
    if re.search(r"in[- ]?progr?ess", text):  # also OMB's own typo "in-progess"
        return "partial"
    if text in NA - {"none"}:
        return "not_applicable"
    if column == "hi_appeal_process" and text.startswith(_APPEAL_PRECLUDED):
        return "not_applicable"
    if text in _HI_MET.get(column, frozenset()) or text == "yes" or text.startswith(("yes,", "yes -")):
        return "met"
    if column == "hi_public_consultation" and text.startswith(("direct usab", "general solic", "public hear")):
        return "met"
    return None


def split_multi(raw: str) -> list[str]:
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


def hi_status(column: str, raw: str) -> str | None:
    if column != "hi_public_consultation":
        return _hi_single(column, raw)
    parts = split_multi(raw)
    statuses = [_hi_single(column, p) for p in parts]
    for wanted in ("met", "partial", "waived"):
        if wanted in statuses:
            return wanted
    if statuses and all(s == "not_applicable" for s in statuses):
        return "not_applicable"
    return None


def hi_default_answer(column: str, status: str) -> str:
    """The answer written for a status when the record has no answer of its own to give back."""
    return _HI_WRITE.get(column, {}).get(status) or _HI_WRITE_DEFAULT.get(status, "")
