"""Writing a snapshot: the portfolio as a document (a dict) or as the file's bytes, streamed pilot by pilot in
the exporter's layout (the small parts indented for people, one canonical pilot per line)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, BinaryIO

from caio_tui.io.snapshot.digest import Signer, canonical, digest_of, encode
from caio_tui.io.snapshot.schema import SNAPSHOT_FORMAT, SNAPSHOT_VERSION
from caio_tui.io.snapshot.times import utc_text
from caio_tui.store import Portfolio, commercial
from caio_tui.store import identity_snapshot as identity
from caio_tui.store.transfer import PilotRows, PortfolioHeader, Progress, read_header, stream_pilots


def _header(
    portfolio: Portfolio, head: PortfolioHeader, *, taken_at: datetime, taken_by: str, audit: tuple[int, str]
) -> dict[str, Any]:
    """Every key of the document but pilots and digest, in the file's order."""
    header = {
        "format": SNAPSHOT_FORMAT,
        "version": SNAPSHOT_VERSION,
        "taken_at": utc_text(taken_at),
        "taken_by": taken_by,
        "audit": {"events": audit[0], "head": audit[1]},
        **definitions(head),
    }
    commercial_ai = _commercial(portfolio)
    if commercial_ai is not None:
        header["commercial_ai"] = commercial_ai
    held = identity.snapshot_part(portfolio)
    if held is not None:
        header["identity"] = held
    return header


def definitions(head: PortfolioHeader) -> dict[str, Any]:
    """The portfolio's name and definitions (frameworks, blocker tags, gate rules) as a snapshot and an
    office's send both carry them, in the files' order."""
    return {
        "portfolio": {"name": head.name},
        "frameworks": [f.model_dump(mode="json") for f in head.catalog.frameworks],
        "tags": [t.model_dump(mode="json") for t in head.tags],
        "gate_rules": {
            "revision": head.rules.revision,
            "created_at": head.rules.created_at,
            "actor": head.rules.actor,
            "rules": head.rules.rules.model_dump(mode="json", by_alias=True),
        },
    }


def _commercial(portfolio: Portfolio) -> dict[str, Any] | None:
    """The COTS file imported, if any, as the snapshot holds it (its rows' cells as given)."""
    file = commercial.stored_file(portfolio)
    if file is None:
        return None
    return {
        "source": file.source,
        "layout": file.layout,
        "imported_at": file.imported_at,
        "imported_by": file.imported_by,
        "rows": [list(u.cells) for u in commercial.uses(portfolio)],
    }


def _json(text: str) -> Any:
    # Most pilots have no extra fields and most moves no failed rules: skip the parser for those.
    if text == "{}":
        return {}
    if text == "[]":
        return []
    return json.loads(text)


def pilot_json(whole: PilotRows) -> dict[str, Any]:
    """One pilot as the snapshot holds it (coverage in item id order, blockers and moves as recorded)."""
    p = whole.pilot
    coverage = whole.coverage
    return {
        "id": p.id,
        "name": p.name,
        "office": p.office,
        "owner": p.owner,
        "stage": p.stage,
        "high_impact": p.high_impact,
        "description": p.description,
        "extra": _json(p.extra),
        "created_at": p.created_at,
        "stage_entered_at": p.stage_entered_at,
        "coverage": [
            {
                "item": c.item_id,
                "status": c.status,
                "evidence": c.evidence,
                "justification": c.justification,
                "updated_at": c.updated_at,
                "updated_by": c.updated_by,
            }
            for c in coverage
        ],
        "blockers": [
            {
                "tag": b.tag,
                "note": b.note,
                "opened_at": b.opened_at,
                "opened_by": b.opened_by,
                "resolved_at": b.resolved_at,
                "resolved_by": b.resolved_by,
                # Only when said: snapshots written before it existed keep their digest and their text.
                **({"resolution": b.resolution} if b.resolution else {}),
            }
            for b in whole.blockers
        ],
        "stage_history": [
            {
                "from": m.from_stage,
                "to": m.to_stage,
                "moved_at": m.moved_at,
                "actor": m.actor,
                "override": m.override,
                "failed_rules": _json(m.failed_rules),
            }
            for m in whole.moves
        ],
    }


def snapshot_of(portfolio: Portfolio, *, taken_by: str | None = None) -> dict[str, Any]:
    """The portfolio as a snapshot document (a dict, digest included). For a large portfolio written to a
    file, write_snapshot streams instead of holding the whole document."""
    head = read_header(portfolio)
    data = _header(
        portfolio, head, taken_at=portfolio.clock(), taken_by=taken_by or portfolio.actor, audit=portfolio.audit_head()
    )
    with stream_pilots(portfolio) as stream:
        data["pilots"] = [pilot_json(stored.rows) for stored in stream]
    data["digest"] = digest_of(data)
    return data


def write_snapshot(
    portfolio: Portfolio, out: BinaryIO, *, taken_by: str | None = None, progress: Progress | None = None
) -> str:
    """Write the portfolio's snapshot to out pilot by pilot (flat memory at any size); returns the digest."""
    head = read_header(portfolio)
    header = _header(
        portfolio, head, taken_at=portfolio.clock(), taken_by=taken_by or portfolio.actor, audit=portfolio.audit_head()
    )
    signer = Signer(header)
    total = portfolio.count() if progress else 0
    out.write(encode("{\n" + "".join(header_lines(header)) + '  "pilots": ['))
    with stream_pilots(portfolio) as stream:
        for index, stored in enumerate(stream):
            line = canonical(pilot_json(stored.rows))
            signer.pilot(line)
            out.write(encode(("," if index else "") + "\n    " + line))
            if progress and index % 1000 == 999:
                progress(index + 1, total)
    digest = signer.digest()
    out.write(encode(("\n  " if signer.count else "") + f'],\n  "digest": {json.dumps(digest)}\n}}\n'))
    return digest


def header_lines(header: Mapping[str, Any]) -> Iterator[str]:
    """The head's keys, one indented JSON value each (a snapshot's and an office file's head alike)."""
    for key, value in header.items():
        text = json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n  ")
        yield f"  {json.dumps(key)}: {text},\n"


def to_bytes(data: Mapping[str, Any]) -> bytes:
    """A snapshot document in the file's layout: the small parts indented for people, one pilot per line
    in canonical form (so a line diff of two snapshots reads pilot by pilot, and the same bytes serve the
    file and the digest). The digest is written as the document holds it."""
    header = {k: v for k, v in data.items() if k not in ("pilots", "digest")}
    pilots = data.get("pilots") or []
    lines = ",".join(f"\n    {canonical(p)}" for p in pilots)
    text = "{\n" + "".join(header_lines(header)) + f'  "pilots": [{lines}' + ("\n  " if pilots else "")
    text += f'],\n  "digest": {json.dumps(data.get("digest", ""))}\n}}\n'
    return encode(text)


def snapshot_bytes(portfolio: Portfolio, *, taken_by: str | None = None, progress: Progress | None = None) -> bytes:
    buffer = io.BytesIO()
    write_snapshot(portfolio, buffer, taken_by=taken_by, progress=progress)
    return buffer.getvalue()
