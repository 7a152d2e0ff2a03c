"""Versioned JSON snapshots of a whole portfolio: export, import into an empty portfolio, JSON Schema.

A snapshot holds the portfolio's name, frameworks, blocker tags, gate rules and every pilot with its
coverage, blockers (open and resolved) and stage history, plus a SHA-256 digest of its canonical content
(sorted keys, no whitespace, everything except ``taken_at``, ``taken_by`` and ``digest``). Two snapshots of
the same content have the same digest whoever took them and when; an edited file no longer matches.
"""

from __future__ import annotations

import gc
import hashlib
import io
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, BinaryIO, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from caio_tui.domain.blockers import Blocker, BlockerTag
from caio_tui.domain.coverage import Catalog, Coverage, CoverageStatus, Framework
from caio_tui.domain.diff import PortfolioState
from caio_tui.domain.gates import GateRules
from caio_tui.domain.pilots import Pilot, PilotRecord, StageMove
from caio_tui.domain.stages import Stage
from caio_tui.store import Portfolio
from caio_tui.store.transfer import (
    BlockerRow,
    CoverageRow,
    MoveRow,
    PilotRow,
    PilotRows,
    PortfolioHeader,
    Progress,
    RulesRevision,
    read_header,
    replace_contents,
    stream_pilots,
)

SNAPSHOT_FORMAT = "caio-tui-snapshot"
SNAPSHOT_VERSION = 1
UNSIGNED_KEYS = frozenset({"taken_at", "taken_by", "digest"})

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


class Snapshot(_Strict):
    """A caio-tui portfolio snapshot."""

    model_config = ConfigDict(title="caio-tui portfolio snapshot")
    format: Literal["caio-tui-snapshot"]
    version: Literal[1]
    taken_at: Timestamp
    taken_by: str
    portfolio: SnapshotPortfolio
    frameworks: list[Framework]
    tags: list[BlockerTag]
    gate_rules: SnapshotRules
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


# ---- digest ----------------------------------------------------------------------------------------


def canonical(value: Any) -> str:
    """JSON with sorted keys and no whitespace: the form the digest covers."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _encode(text: str) -> bytes:
    return text.encode("utf-8", errors="surrogatepass")


class _Signer:
    """The digest of the signed content, fed piece by piece: the canonical JSON is the keys in sorted
    order, so the parts before "pilots" are hashed first, then each pilot as it is written, then the rest.
    Joined, the pieces are exactly canonical(content) for content = every key but the unsigned ones."""

    def __init__(self, header: Mapping[str, Any]) -> None:
        keys = sorted({*(k for k in header if k not in UNSIGNED_KEYS), "pilots"})
        cut = keys.index("pilots")
        self.hash = hashlib.sha256()
        before = [f"{canonical(k)}:{canonical(header[k])}" for k in keys[:cut]]
        self.hash.update(_encode("{" + "".join(f"{part}," for part in before) + '"pilots":['))
        after = [f"{canonical(k)}:{canonical(header[k])}" for k in keys[cut + 1 :]]
        self.tail = "]" + "".join(f",{part}" for part in after) + "}"
        self.count = 0

    def pilot(self, line: str) -> None:
        self.hash.update(_encode(("," if self.count else "") + line))
        self.count += 1

    def digest(self) -> str:
        self.hash.update(_encode(self.tail))
        return "sha256:" + self.hash.hexdigest()


def digest_of(data: Mapping[str, Any]) -> str:
    """sha256:HEX of the canonical JSON of everything but taken_at, taken_by and digest."""
    signer = _Signer({k: v for k, v in data.items() if k != "pilots"})
    for pilot in data.get("pilots") or ():
        signer.pilot(canonical(pilot))
    return signer.digest()


# ---- export ----------------------------------------------------------------------------------------


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _stored_time(text: str) -> str:
    """A snapshot time in the portfolio file's form (UTC, to the second): usually it is already."""
    if len(text) == 25 and text.endswith("+00:00"):
        return text
    return _time(datetime.fromisoformat(text))


def _parsed(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _header(head: PortfolioHeader, *, taken_at: datetime, taken_by: str) -> dict[str, Any]:
    """Every key of the document but pilots and digest, in the file's order."""
    return {
        "format": SNAPSHOT_FORMAT,
        "version": SNAPSHOT_VERSION,
        "taken_at": _time(taken_at),
        "taken_by": taken_by,
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
    data = _header(head, taken_at=portfolio.clock(), taken_by=taken_by or portfolio.actor)
    with stream_pilots(portfolio) as stream:
        data["pilots"] = [pilot_json(stored.rows) for stored in stream]
    data["digest"] = digest_of(data)
    return data


def write_snapshot(
    portfolio: Portfolio, out: BinaryIO, *, taken_by: str | None = None, progress: Progress | None = None
) -> str:
    """Write the portfolio's snapshot to out pilot by pilot (flat memory at any size); returns the digest."""
    head = read_header(portfolio)
    header = _header(head, taken_at=portfolio.clock(), taken_by=taken_by or portfolio.actor)
    signer = _Signer(header)
    total = portfolio.count() if progress else 0
    out.write(_encode("{\n" + "".join(_header_lines(header)) + '  "pilots": ['))
    with stream_pilots(portfolio) as stream:
        for index, stored in enumerate(stream):
            line = canonical(pilot_json(stored.rows))
            signer.pilot(line)
            out.write(_encode(("," if index else "") + "\n    " + line))
            if progress and index % 1000 == 999:
                progress(index + 1, total)
    digest = signer.digest()
    out.write(_encode(("\n  " if signer.count else "") + f'],\n  "digest": {json.dumps(digest)}\n}}\n'))
    return digest


def _header_lines(header: Mapping[str, Any]) -> Iterator[str]:
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
    text = "{\n" + "".join(_header_lines(header)) + f'  "pilots": [{lines}' + ("\n  " if pilots else "")
    text += f'],\n  "digest": {json.dumps(data.get("digest", ""))}\n}}\n'
    return _encode(text)


def snapshot_bytes(portfolio: Portfolio, *, taken_by: str | None = None, progress: Progress | None = None) -> bytes:
    buffer = io.BytesIO()
    write_snapshot(portfolio, buffer, taken_by=taken_by, progress=progress)
    return buffer.getvalue()


# ---- reading ---------------------------------------------------------------------------------------


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Parsing a large snapshot allocates millions of objects that live until the import ends; Python's
    cycle collector would walk them all again and again (a 100,000-pilot import took minutes instead of
    seconds). They hold no cycles, so the collector is paused while they are built and used: callers wrap
    the whole parse-and-import in it (nesting is fine)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def looks_like_snapshot(data: bytes) -> bool:
    """A JSON object (a snapshot, or a broken one): the import sends it here rather than to the CSV reader."""
    return data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


def parse(data: bytes, source: str) -> Snapshot:
    """A validated snapshot; SnapshotError names the file, the line or pilot, and the reason."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SnapshotError(f"{source}: not UTF-8 text (byte {exc.start}); not a caio-tui snapshot") from None
    try:
        with no_cycle_collection():
            raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SnapshotError(f"{source}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})") from None
    if not isinstance(raw, dict) or raw.get("format") != SNAPSHOT_FORMAT:
        found = raw.get("format") if isinstance(raw, dict) else type(raw).__name__
        raise SnapshotError(f"{source}: not a caio-tui snapshot (format {found!r}, expected {SNAPSHOT_FORMAT!r})")
    version = raw.get("version")
    if version != SNAPSHOT_VERSION:
        if isinstance(version, int) and not isinstance(version, bool) and version > SNAPSHOT_VERSION:
            raise SnapshotError(
                f"{source}: snapshot version {version} is newer than this caio-tui reads "
                f"(up to {SNAPSHOT_VERSION}); upgrade caio-tui"
            )
        raise SnapshotError(f"{source}: unsupported snapshot version {version!r} (expected {SNAPSHOT_VERSION})")
    try:
        with no_cycle_collection():
            snapshot = Snapshot.model_validate(raw)
    except ValidationError as exc:
        raise SnapshotError(f"{source}: {_where(exc, raw)}") from None
    expected = digest_of(raw)
    if snapshot.digest != expected:
        raise SnapshotError(
            f"{source}: the digest does not match the content: the file was changed after it was exported "
            f"(it says {snapshot.digest[:19]}…, the content gives {expected[:19]}…)"
        )
    problems = consistency_problems(snapshot)
    if problems:
        raise SnapshotError(
            f"{source}: {problems[0]}" + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")
        )
    return snapshot


def _where(exc: ValidationError, raw: dict[str, Any]) -> str:
    """The first validation error, as 'pilot 3 (DCS-003): stage: reason'."""
    error = exc.errors()[0]
    loc = list(error["loc"])
    message = str(error["msg"])
    if len(loc) >= 2 and loc[0] == "pilots" and isinstance(loc[1], int):
        index = loc[1]
        pilots = raw.get("pilots")
        found = pilots[index] if isinstance(pilots, list) and index < len(pilots) else None
        pilot_id = found.get("id") if isinstance(found, dict) else None
        label = f"pilot {index + 1}" + (f" ({pilot_id})" if isinstance(pilot_id, str) else "")
        rest = ".".join(str(p) for p in loc[2:])
        return f"{label}: {rest}: {message}" if rest else f"{label}: {message}"
    where = ".".join(str(p) for p in loc)
    return f"{where}: {message}" if where else message


def consistency_problems(snapshot: Snapshot) -> list[str]:
    """References the schema cannot check: items, tags and ids that must exist or be unique."""
    problems: list[str] = []
    item_ids = [i.id for f in snapshot.frameworks for a in f.areas for i in a.items]
    repeated_items = sorted({i for i in item_ids if item_ids.count(i) > 1})
    if repeated_items:
        problems.append(f"frameworks: item ids repeat across frameworks: {', '.join(repeated_items)}")
    framework_ids = [f.id for f in snapshot.frameworks]
    if len(set(framework_ids)) != len(framework_ids):
        problems.append("frameworks: framework ids repeat")
    tag_names = [t.tag for t in snapshot.tags]
    if len(set(tag_names)) != len(tag_names):
        problems.append("tags: a tag is listed twice")
    catalog = Catalog(frameworks=tuple(snapshot.frameworks))
    problems += [f"gate_rules: {p}" for p in snapshot.gate_rules.rules.check_references(catalog, tag_names)]
    items, tags = set(item_ids), set(tag_names)
    problems += _bad_time("taken_at", snapshot.taken_at) + _bad_time(
        "gate_rules.created_at", snapshot.gate_rules.created_at
    )
    seen: dict[str, int] = {}
    for index, p in enumerate(snapshot.pilots, start=1):
        found = _pilot_problems(p, items, tags)
        if p.id in seen:
            found.insert(0, f"id repeats pilot {seen[p.id]}")
        seen[p.id] = index
        problems += [f"pilot {index} ({p.id}): {problem}" for problem in found]
    return problems


def _bad_time(where: str, text: str | None) -> list[str]:
    if text is None:
        return []
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return [f"{where}: not a valid time ({text!r})"]
    return []


def _pilot_problems(p: SnapshotPilot, items: set[str], tags: set[str]) -> list[str]:
    """Checked here rather than in model validators: a Python validator per item costs a second per
    10,000 pilots."""
    problems = _bad_time("created_at", p.created_at) + _bad_time("stage_entered_at", p.stage_entered_at)
    covered: set[str] = set()
    for c in p.coverage:
        if c.item not in items:
            problems.append(f"coverage item {c.item!r} is not in the snapshot's frameworks")
        if c.item in covered:
            problems.append(f"coverage item {c.item!r} is listed twice")
        covered.add(c.item)
        if c.status.needs_justification and not c.justification.strip():
            problems.append(f"coverage {c.item}: status {c.status.value} needs a justification")
        problems += _bad_time(f"coverage {c.item}: updated_at", c.updated_at)
    for b in p.blockers:
        if b.tag not in tags:
            problems.append(f"blocker tag {b.tag!r} is not in the snapshot's tags")
        problems += _bad_time(f"blocker {b.tag}: opened_at", b.opened_at)
        problems += _bad_time(f"blocker {b.tag}: resolved_at", b.resolved_at)
    for m in p.stage_history:
        problems += _bad_time("stage_history: moved_at", m.moved_at)
    return problems


def read_file(path: Path) -> Snapshot:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SnapshotError(f"{path}: cannot read ({exc.strerror})") from None
    return parse(data, str(path))


# ---- into domain models ----------------------------------------------------------------------------


def records_of(snapshot: Snapshot) -> list[PilotRecord]:
    """The snapshot's pilots as domain records (already validated, so built without validating again)."""
    categories = {t.tag: t.category for t in snapshot.tags}
    records = []
    for p in snapshot.pilots:
        pilot = Pilot.model_construct(
            id=p.id,
            name=p.name,
            office=p.office,
            owner=p.owner,
            stage=p.stage,
            high_impact=p.high_impact,
            description=p.description,
            extra=dict(p.extra),
            created_at=_parsed(p.created_at),
            stage_entered_at=_parsed(p.stage_entered_at),
        )
        coverage = {
            c.item: Coverage.model_construct(
                item=c.item,
                status=c.status,
                evidence=c.evidence,
                justification=c.justification,
                updated_at=_parsed(c.updated_at),
                updated_by=c.updated_by,
            )
            for c in p.coverage
        }
        blockers = tuple(
            Blocker.model_construct(
                id=index,
                pilot_id=p.id,
                tag=b.tag,
                category=categories[b.tag],
                note=b.note,
                opened_at=_parsed(b.opened_at),
                opened_by=b.opened_by,
                resolved_at=_parsed(b.resolved_at) if b.resolved_at else None,
                resolved_by=b.resolved_by,
            )
            for index, b in enumerate(p.blockers, start=1)
        )
        moves = tuple(
            StageMove.model_construct(
                pilot_id=p.id,
                from_stage=m.from_stage,
                to_stage=m.to,
                moved_at=_parsed(m.moved_at),
                actor=m.actor,
                override=m.override,
                failed_rules=tuple(m.failed_rules),
            )
            for m in p.stage_history
        )
        records.append(
            PilotRecord.model_construct(pilot=pilot, coverage=coverage, blockers=blockers, stage_history=moves)
        )
    return records


def state_of(snapshot: Snapshot) -> PortfolioState:
    return PortfolioState(
        name=snapshot.portfolio.name,
        taken_at=_parsed(snapshot.taken_at),
        catalog=Catalog(frameworks=tuple(snapshot.frameworks)),
        tags=tuple(snapshot.tags),
        rules=snapshot.gate_rules.rules,
        rules_revision=snapshot.gate_rules.revision,
        records=tuple(records_of(snapshot)),
    )


# ---- import ----------------------------------------------------------------------------------------


def rows_of(snapshot: Snapshot) -> list[PilotRows]:
    """The snapshot's pilots as rows to insert, times in the file's text form."""
    return [
        PilotRows(
            pilot=PilotRow(
                p.id,
                p.name,
                p.office,
                p.owner,
                p.stage.value,
                p.high_impact,
                p.description,
                json.dumps(p.extra, ensure_ascii=False),
                _stored_time(p.created_at),
                _stored_time(p.stage_entered_at),
            ),
            coverage=[
                CoverageRow(
                    c.item, c.status.value, c.evidence, c.justification, _stored_time(c.updated_at), c.updated_by
                )
                for c in p.coverage
            ],
            blockers=[
                BlockerRow(
                    b.tag,
                    b.note,
                    _stored_time(b.opened_at),
                    b.opened_by,
                    _stored_time(b.resolved_at) if b.resolved_at else None,
                    b.resolved_by,
                )
                for b in p.blockers
            ],
            moves=[
                MoveRow(
                    m.from_stage.value if m.from_stage else None,
                    m.to.value,
                    _stored_time(m.moved_at),
                    m.actor,
                    m.override,
                    json.dumps(m.failed_rules, ensure_ascii=False),
                )
                for m in p.stage_history
            ],
        )
        for p in snapshot.pilots
    ]


def import_snapshot(portfolio: Portfolio, snapshot: Snapshot, *, source: str, progress: Progress | None = None) -> int:
    """Load a snapshot into an empty portfolio (StoreError otherwise); returns the number of pilots."""
    rules = snapshot.gate_rules
    with no_cycle_collection():
        pilots = rows_of(snapshot)
    return replace_contents(
        portfolio,
        name=snapshot.portfolio.name,
        catalog=Catalog(frameworks=tuple(snapshot.frameworks)),
        tags=snapshot.tags,
        rules=RulesRevision(rules.revision, _stored_time(rules.created_at), rules.actor, rules.rules),
        pilots=pilots,
        source=source,
        summary=(
            f"imported {len(snapshot.pilots)} pilots from the snapshot {source} of {snapshot.portfolio.name!r} "
            f"taken {snapshot.taken_at} by {snapshot.taken_by}"
        ),
        progress=progress,
    )
