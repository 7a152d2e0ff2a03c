"""Versioned JSON snapshots of a whole portfolio: export, import into an empty portfolio, JSON Schema.

A snapshot holds the portfolio's name, frameworks, blocker tags, gate rules and every pilot with its
coverage, blockers (open and resolved) and stage history, plus a SHA-256 digest of its canonical content
(sorted keys, no whitespace, everything except ``taken_at``, ``taken_by`` and ``digest``). Two snapshots of
the same content have the same digest whoever took them and when; an edited file no longer matches.

This package re-exports what the rest of caio-tui uses; each module has one job:
schema (the document's models and JSON Schema), digest (canonical JSON and the signer), times (a snapshot's
time text), export (writing), checks (what the schema cannot check, and where a check failed), document
(the whole-document parse), reader (the streaming reader of the exporter's line layout), rows (pilots as
insert rows), load (import into an empty portfolio), state (a snapshot as domain models, for diff).
"""

from caio_tui.io.snapshot.checks import consistency_problems, head_problems
from caio_tui.io.snapshot.digest import UNSIGNED_KEYS, canonical, digest_of
from caio_tui.io.snapshot.document import looks_like_snapshot, parse, read_file
from caio_tui.io.snapshot.export import pilot_json, snapshot_bytes, snapshot_of, to_bytes, write_snapshot
from caio_tui.io.snapshot.load import import_snapshot, import_snapshot_file
from caio_tui.io.snapshot.reader import PILOT_LINE, SnapshotFile
from caio_tui.io.snapshot.rows import rows_of
from caio_tui.io.snapshot.schema import (
    SNAPSHOT_FORMAT,
    SNAPSHOT_VERSION,
    Snapshot,
    SnapshotAudit,
    SnapshotBlocker,
    SnapshotCoverage,
    SnapshotError,
    SnapshotHead,
    SnapshotMove,
    SnapshotPilot,
    SnapshotPortfolio,
    SnapshotRules,
    Timestamp,
    json_schema,
    schema_text,
)
from caio_tui.io.snapshot.state import records_of, state_of

__all__ = [
    "PILOT_LINE",
    "SNAPSHOT_FORMAT",
    "SNAPSHOT_VERSION",
    "UNSIGNED_KEYS",
    "Snapshot",
    "SnapshotAudit",
    "SnapshotBlocker",
    "SnapshotCoverage",
    "SnapshotError",
    "SnapshotFile",
    "SnapshotHead",
    "SnapshotMove",
    "SnapshotPilot",
    "SnapshotPortfolio",
    "SnapshotRules",
    "Timestamp",
    "canonical",
    "consistency_problems",
    "digest_of",
    "head_problems",
    "import_snapshot",
    "import_snapshot_file",
    "json_schema",
    "looks_like_snapshot",
    "parse",
    "pilot_json",
    "read_file",
    "records_of",
    "rows_of",
    "schema_text",
    "snapshot_bytes",
    "snapshot_of",
    "state_of",
    "to_bytes",
    "write_snapshot",
]
