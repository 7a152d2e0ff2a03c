"""The snapshot document's shape: its format and version, the pydantic models that validate it, and the
JSON Schema printed from them (`caio-tui schema`, docs/snapshot.schema.json)."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from caio_tui.domain.blockers import BlockerTag
from caio_tui.domain.coverage import CoverageStatus, Framework
from caio_tui.domain.gates import GateRules
from caio_tui.domain.stages import Stage

SNAPSHOT_FORMAT = "caio-tui-snapshot"
SNAPSHOT_VERSION = 1
# Head keys written only when there is something to hold (a snapshot without them is as it always was).
OPTIONAL_HEAD_KEYS = frozenset({"commercial_ai", "identity"})


# A time with its UTC offset, e.g. 2026-11-01T12:00:00+00:00. Kept as text through validation (the pattern
# is checked in pydantic's core, each value is parsed once in consistency_problems): turning 200,000
# times into datetimes and back costs seconds per 10,000 pilots.
Timestamp = Annotated[
    str,
    StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"),
    Field(json_schema_extra={"format": "date-time"}),
]


class SnapshotError(Exception):
    """A snapshot that cannot be used; the message names the file, where in it, and why."""


# ---- the document's shape (also the source of the JSON Schema) -------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class SnapshotCoverage(_Strict):
    item: str = Field(min_length=1, description="Requirement item id, e.g. access.roles")
    status: CoverageStatus
    evidence: str = ""
    justification: str = Field(default="", description="Required for waived and not_applicable")
    updated_at: Timestamp
    updated_by: str


class SnapshotBlocker(_Strict):
    tag: str = Field(min_length=1)
    note: str = ""
    opened_at: Timestamp
    opened_by: str
    resolved_at: Timestamp | None = Field(default=None, description="null while the blocker is open")
    resolved_by: str = ""
    resolution: str = Field(default="", description="how it was resolved, as written when resolving")


class SnapshotMove(_Strict):
    from_stage: Stage | None = Field(alias="from", description="null for the pilot's first stage")
    to: Stage
    moved_at: Timestamp
    actor: str
    override: str = Field(default="", description="The written justification when the gate was overridden")
    failed_rules: list[str] = Field(default_factory=list)


class SnapshotPilot(_Strict):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    office: str = ""
    owner: str = ""
    stage: Stage
    high_impact: bool = False
    description: str = ""
    extra: dict[str, Any] = Field(default_factory=dict, description="Fields kept from an import, e.g. OMB columns")
    created_at: Timestamp
    stage_entered_at: Timestamp
    coverage: list[SnapshotCoverage] = Field(
        default_factory=list, description="Assessed items; others are not_assessed"
    )
    blockers: list[SnapshotBlocker] = Field(default_factory=list)
    stage_history: list[SnapshotMove] = Field(default_factory=list)


class SnapshotPortfolio(_Strict):
    name: str = Field(min_length=1)


class SnapshotRules(_Strict):
    revision: int = Field(ge=0, description="The portfolio's gate rules revision (1 for the defaults)")
    created_at: Timestamp
    actor: str
    rules: GateRules


class SnapshotAudit(_Strict):
    events: int = Field(ge=0, description="The number of the newest audit event when the snapshot was taken")
    head: str = Field(pattern=r"^[0-9a-f]{64}$", description="Its hash: `caio-tui verify --head FILE` proves it")


class SnapshotCommercial(_Strict):
    """The consolidated COTS file imported (the agency's commercial AI uses), cell by cell as it was given."""

    source: str
    layout: dict[str, Any] = Field(description="How the file was written: header, encoding, line ending, quoting")
    imported_at: Timestamp
    imported_by: str
    rows: list[list[str]] = Field(description="Every row's cells as the file gave them, in the file's order")


class SnapshotIdentityLink(_Strict):
    pilot_id: str = Field(min_length=1)
    vendor: Literal["okta", "entra"]
    app_key: str = Field(min_length=1, description="The IdP's application id, or 'name:' and its folded name")
    app_name: str
    linked_at: Timestamp
    linked_by: str


class SnapshotIdentityDecision(_Strict):
    """A decided identity proposal: kept so that the same facts are not proposed again after the exports
    are imported into the loaded portfolio."""

    pilot_id: str = Field(min_length=1)
    rule: str = Field(min_length=1)
    kind: Literal["coverage", "blocker"]
    target: str = Field(min_length=1, description="A coverage item id, or a blocker tag")
    status: str | None = None
    facts: str
    facts_digest: str = Field(pattern=r"^[0-9a-f]{64}$")
    files: list[str]
    state: Literal["accepted", "rejected"]
    proposed_at: Timestamp
    decided_at: Timestamp
    decided_by: str
    outcome: str = ""


class SnapshotIdentity(_Strict):
    """Identity evidence: links, decided proposals and the identity rules if changed. The exports' facts are
    not carried (a snapshot goes to leadership; import the exports again), nor the key people are hashed
    with."""

    rules: dict[str, Any] | None = Field(default=None, description="The identity rules, when not the defaults")
    links: list[SnapshotIdentityLink] = Field(default_factory=list)
    decisions: list[SnapshotIdentityDecision] = Field(default_factory=list)


class SnapshotHead(_Strict):
    """Every part of a snapshot but its pilots and digest (what a streaming reader reads first)."""

    format: Literal["caio-tui-snapshot"]
    version: Literal[1]
    taken_at: Timestamp
    taken_by: str
    audit: SnapshotAudit | None = Field(default=None, description="The audit trail's head when taken (not signed)")
    portfolio: SnapshotPortfolio
    frameworks: list[Framework]
    tags: list[BlockerTag]
    gate_rules: SnapshotRules
    commercial_ai: SnapshotCommercial | None = Field(
        default=None, description="The consolidated COTS file imported, if any (absent when none)"
    )
    identity: SnapshotIdentity | None = Field(
        default=None, description="Identity links, decided proposals and rules (absent when none)"
    )


class Snapshot(SnapshotHead):
    """A caio-tui portfolio snapshot."""

    model_config = ConfigDict(title="caio-tui portfolio snapshot")
    pilots: list[SnapshotPilot]
    digest: str = Field(
        pattern=r"^sha256:[0-9a-f]{64}$",
        description="SHA-256 of the canonical JSON (sorted keys, no whitespace) of every key but "
        "taken_at, taken_by and digest",
    )


def json_schema() -> dict[str, Any]:
    schema = Snapshot.model_json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
