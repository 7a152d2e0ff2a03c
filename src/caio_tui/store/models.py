"""The domain models the store builds and validates (pydantic), in one namespace that store modules import
lazily (`models = LazyModule("caio_tui.store.models")`, see lazy.py): the start-up path needs none."""

from __future__ import annotations

from pydantic import ValidationError

from caio_tui.domain import staleness
from caio_tui.domain.blockers import BUILTIN_TAGS, Blocker, BlockerTag
from caio_tui.domain.coverage import Catalog, Coverage, CoverageStatus, Framework, missing_evidence
from caio_tui.domain.defaults import default_catalog, default_rules
from caio_tui.domain.derived import Derivation, OpenBlocker, approval_stale
from caio_tui.domain.gates import evaluate, parse_rules
from caio_tui.domain.history import UNDOABLE, AuditEvent
from caio_tui.domain.pilots import EDITABLE_FIELDS, Pilot, PilotFields, PilotRecord, StageMove

__all__ = [
    "BUILTIN_TAGS",
    "EDITABLE_FIELDS",
    "UNDOABLE",
    "AuditEvent",
    "Blocker",
    "BlockerTag",
    "Catalog",
    "Coverage",
    "CoverageStatus",
    "Derivation",
    "Framework",
    "OpenBlocker",
    "Pilot",
    "PilotFields",
    "PilotRecord",
    "StageMove",
    "ValidationError",
    "approval_stale",
    "default_catalog",
    "default_rules",
    "evaluate",
    "missing_evidence",
    "parse_rules",
    "staleness",
]
