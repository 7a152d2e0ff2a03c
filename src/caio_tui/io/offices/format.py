"""The office file's shape: its format name and version, its two kinds (a *send*, the CAIO's pilots of one
office; a *bundle*, what the office changed since), the head of each as a pydantic model, the sections that
follow the head in each kind, and the one error every step raises.

The layout is the snapshot's (io/snapshot/export.py): the head's keys indented for people, then each
section one item a line in canonical JSON, then the digest of every byte before it:

    {
      "format": "caio-tui-office",
      "version": 1,
      "kind": "bundle",
      ...
      "events": [
        {...one audit event...},
        ...
      ],
      "digest": "sha256:..."
    }

A send's section is `pilots`, each a snapshot pilot (io/snapshot: SnapshotPilot, pilot_json). A bundle's
are `events` (the office's whole chain, from GENESIS), `seal` (every state_seal row: table, group, digest)
and `pilots`: each carried pilot as the rows the seal covers (every column, named by the head's
`columns`), so the merge can digest them again and check them against the seal and the chain's head.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from caio_tui.domain.blockers import BlockerTag
from caio_tui.domain.coverage import Framework
from caio_tui.io.snapshot.schema import SnapshotAudit, SnapshotPortfolio, SnapshotRules, Timestamp

OFFICE_FORMAT = "caio-tui-office"
OFFICE_VERSION = 1
SECTIONS = {"send": ("pilots",), "bundle": ("events", "seal", "pilots")}
_SEND_ID = r"^[0-9a-f]{16}$"


class OfficeFileError(Exception):
    """An office file that cannot be used; the message names the file, where in it, and why (one line)."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SendHead(_Strict):
    """A send: an office's pilots with what the office needs to work on them."""

    model_config = ConfigDict(title="caio-tui office send (the head; then one pilot a line)")
    format: Literal["caio-tui-office"]
    version: Literal[1]
    kind: Literal["send"]
    send_id: str = Field(pattern=_SEND_ID, description="Names the send in the office's bundles")
    office: str = Field(min_length=1)
    sent_at: Timestamp
    sent_by: str
    chain_head: str = Field(pattern=r"^[0-9a-f]{64}$", description="The CAIO's newest audit event when sent")
    id_prefix: str = Field(pattern=r"^[A-Z0-9]{1,8}-$", description="The office's new pilots get ids <prefix>0001...")
    portfolio: SnapshotPortfolio
    frameworks: list[Framework]
    tags: list[BlockerTag]
    gate_rules: SnapshotRules


class BundleHead(_Strict):
    """A bundle: what an office changed since its send, with the chain and seal that vouch for it."""

    model_config = ConfigDict(title="caio-tui office bundle (the head; then events, seal rows, pilots)")
    format: Literal["caio-tui-office"]
    version: Literal[1]
    kind: Literal["bundle"]
    send_id: str = Field(pattern=_SEND_ID)
    office: str = Field(min_length=1)
    written_at: Timestamp
    written_by: str
    audit: SnapshotAudit = Field(description="The office's newest audit event: its number and hash")
    columns: dict[str, list[str]] = Field(description="The columns of each sealed table, as the pilots' rows hold them")


def json_schema() -> dict[str, Any]:
    """The heads of both kinds (the sections' items are described in the module's docstring)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "caio-tui office file",
        "oneOf": [SendHead.model_json_schema(), BundleHead.model_json_schema()],
    }


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
