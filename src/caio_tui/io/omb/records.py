"""The shapes an OMB inventory is read into and written from, and the column and item names they use.

``OmbRecord`` is one use case as read from (or to be written to) an inventory; ``OmbReadResult`` is a whole
file with its ``ImportIssue``s. ``COLUMNS_2025`` is the M-25-21 column order the writer emits, and
``HI_COLUMN_ITEMS`` / ``ATO_ITEMS`` name the checklist items the answers map onto.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum


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
    # Every cell of the row as the file gave it, by key: what the inventory mapping reads its facts from.
    keyed: dict[str, str] = field(default_factory=dict)
    # The row's cells exactly as the file gave them (the source layout's order), for the exact round trip.
    cells: list[str] = field(default_factory=list)
    # Record fields whose cell was blank or unreadable: "unknown", never "no" (stage, high_impact, have_ato).
    unknown: frozenset[str] = frozenset()
    # The id as the agency gave it ("" when the file has no id or left it blank): `id` may be generated.
    given_id: str = ""


@dataclass(frozen=True)
class SourceLayout:
    """How an inventory file was written, so an export can give it back as it came: its format, its header
    row as written, its text encoding ("utf-8", "utf-8-sig" or "cp1252") and its line ending."""

    format: OmbFormat
    header: tuple[str, ...]
    encoding: str = "utf-8-sig"
    newline: str = "\r\n"
    final_newline: bool = True  # whether the last row ends with a line ending
    # Rows with no answer at all, as the file had them: (how many use cases came before it, its cells).
    blank_rows: tuple[tuple[int, tuple[str, ...]], ...] = ()

    @property
    def key(self) -> str:
        """A digest of the layout: the same file read twice (or its exact export) has the same key. Line endings
        are not part of it (a file saved again by another program still holds the same rows); the newest
        import's are the ones written."""
        text = "\x1f".join((self.format.value, self.encoding, *self.header))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass
class OmbReadResult:
    format: OmbFormat
    records: list[OmbRecord]
    issues: list[ImportIssue]
    headers: dict[str, str] = field(default_factory=dict)  # key -> the file's header for it
    layout: SourceLayout | None = None


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


# Ids the reader makes up for a row with none start with this; the export never writes them.
GENERATED_ID_PREFIX = "omb-"


def agency_id(record: OmbRecord) -> str:
    """The id to write for a record: the agency's own, never one the reader generated."""
    if record.given_id:
        return record.given_id
    return "" if record.id.startswith(GENERATED_ID_PREFIX) else record.id


# The key of pilot.extra that keeps the pilot's row of the inventory imported last (its layout key, position,
# raw cells and what the import set from them): what an export in the source layout writes back.
# On a pilot a person linked a held row with no id to: the id the row is read under (generated from agency,
# name and bureau), so the same file imported again finds the pilot instead of holding the row again.
LINK_KEY = "omb_link"
ROW_KEY = "omb_row"
# The key of pilot.extra that keeps the id the agency gave a use case whose pilot has another id (a pilot
# linked to a later year's row by name): the next import of that year matches it by this id.
OMB_ID_KEY = "omb_id"

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
