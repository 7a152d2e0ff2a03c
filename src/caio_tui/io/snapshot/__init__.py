"""Versioned JSON snapshots of a whole portfolio: export, import into an empty portfolio, JSON Schema.

A snapshot holds the portfolio's name, frameworks, blocker tags, gate rules and every pilot with its
coverage, blockers (open and resolved) and stage history, plus a SHA-256 digest of its canonical content
(sorted keys, no whitespace, everything except ``taken_at``, ``taken_by`` and ``digest``). Two snapshots of
the same content have the same digest whoever took them and when; an edited file no longer matches.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO, Literal, NotRequired

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError, with_config
from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

from caio_tui.domain.blockers import Blocker, BlockerTag
from caio_tui.domain.coverage import Catalog, Coverage, CoverageStatus, Framework
from caio_tui.domain.diff import PortfolioState
from caio_tui.domain.gates import GateRules
from caio_tui.domain.pilots import Pilot, PilotRecord, StageMove
from caio_tui.domain.stages import Stage
from caio_tui.io.omb import AS_GIVEN_KEY
from caio_tui.store import Portfolio, StoreError
from caio_tui.store.bulk import no_cycle_collection
from caio_tui.store.transfer import (
    BlockerRow,
    CoverageRow,
    MoveRow,
    PilotRows,
    PilotValues,
    PortfolioHeader,
    Progress,
    RulesRevision,
    is_empty,
    read_header,
    replace_contents,
    stream_pilots,
)

SNAPSHOT_FORMAT = "caio-tui-snapshot"
SNAPSHOT_VERSION = 1
# The audit head is a note of where the trail stood (for `caio-tui verify --head`), not content: two
# snapshots of the same pilots, rules and tags have one digest whatever history led to them.
UNSIGNED_KEYS = frozenset({"taken_at", "taken_by", "audit", "digest"})

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


class SnapshotAudit(_Strict):
    events: int = Field(ge=0, description="The number of the newest audit event when the snapshot was taken")
    head: str = Field(pattern=r"^[0-9a-f]{64}$", description="Its hash: `caio-tui verify --head FILE` proves it")


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
        self.pilot_bytes(_encode(line))

    def pilot_bytes(self, line: bytes) -> None:
        if self.count:
            self.hash.update(b",")
        self.hash.update(line)
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


@functools.lru_cache(maxsize=1 << 16)
def _normal_time(text: str) -> str | None:
    """A snapshot time in the portfolio file's form (UTC, to the second; usually it is already), or None
    when it is not a time. Cached: a pilot's times repeat (its coverage is often set at one moment) and
    an import checks each time, then stores it."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if len(text) == 25 and text.endswith("+00:00"):
        return text
    return _time(moment)


def _stored_time(text: str) -> str:
    stored = _normal_time(text)
    if stored is None:  # the checks before the load refuse these
        raise SnapshotError(f"not a valid time ({text!r})")
    return stored


def _parsed(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _header(head: PortfolioHeader, *, taken_at: datetime, taken_by: str, audit: tuple[int, str]) -> dict[str, Any]:
    """Every key of the document but pilots and digest, in the file's order."""
    return {
        "format": SNAPSHOT_FORMAT,
        "version": SNAPSHOT_VERSION,
        "taken_at": _time(taken_at),
        "taken_by": taken_by,
        "audit": {"events": audit[0], "head": audit[1]},
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
    data = _header(head, taken_at=portfolio.clock(), taken_by=taken_by or portfolio.actor, audit=portfolio.audit_head())
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
        head, taken_at=portfolio.clock(), taken_by=taken_by or portfolio.actor, audit=portfolio.audit_head()
    )
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


def looks_like_snapshot(data: bytes) -> bool:
    """A JSON object (a snapshot, or a broken one): the import sends it here rather than to the CSV reader."""
    return data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


def parse(data: bytes, source: str) -> Snapshot:
    """A validated snapshot, whole in memory (for diff); SnapshotError names the file, the line or pilot,
    and the reason. An import streams the file instead: import_snapshot_file."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SnapshotError(f"{source}: not UTF-8 text (byte {exc.start}); not a caio-tui snapshot") from None
    try:
        with no_cycle_collection():
            raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SnapshotError(f"{source}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})") from None
    _check_format(raw, source)
    try:
        with no_cycle_collection():
            snapshot = Snapshot.model_validate(raw)
    except ValidationError as exc:
        raise SnapshotError(f"{source}: {_where(exc, raw)}") from None
    expected = digest_of(raw)
    if snapshot.digest != expected:
        raise SnapshotError(_digest_mismatch(source, snapshot.digest, expected))
    problems = consistency_problems(snapshot, raw["pilots"])
    if problems:
        raise SnapshotError(
            f"{source}: {problems[0]}" + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")
        )
    return snapshot


def _check_format(raw: Any, source: str) -> None:
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


def _digest_mismatch(source: str, stated: str, expected: str) -> str:
    return (
        f"{source}: the digest does not match the content: the file was changed after it was exported "
        f"(it says {stated[:19]}…, the content gives {expected[:19]}…)"
    )


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
        return _pilot_error(index + 1, pilot_id, loc[2:], message)
    where = ".".join(str(p) for p in loc)
    return f"{where}: {message}" if where else message


def _pilot_error(number: int, pilot_id: Any, loc: Sequence[Any], message: str) -> str:
    label = f"pilot {number}" + (f" ({pilot_id})" if isinstance(pilot_id, str) else "")
    rest = ".".join(str(p) for p in loc)
    return f"{label}: {rest}: {message}" if rest else f"{label}: {message}"


class _References:
    """What the pilots of a snapshot may refer to: the item ids of its frameworks and its tags."""

    def __init__(self, head: SnapshotHead) -> None:
        self.items = {i.id for f in head.frameworks for a in f.areas for i in a.items}
        self.tags = {t.tag for t in head.tags}


def head_problems(head: SnapshotHead) -> list[str]:
    """References the schema cannot check in the parts before the pilots."""
    problems: list[str] = []
    item_ids = [i.id for f in head.frameworks for a in f.areas for i in a.items]
    repeated_items = sorted({i for i in item_ids if item_ids.count(i) > 1})
    if repeated_items:
        problems.append(f"frameworks: item ids repeat across frameworks: {', '.join(repeated_items)}")
    framework_ids = [f.id for f in head.frameworks]
    if len(set(framework_ids)) != len(framework_ids):
        problems.append("frameworks: framework ids repeat")
    tag_names = [t.tag for t in head.tags]
    if len(set(tag_names)) != len(tag_names):
        problems.append("tags: a tag is listed twice")
    catalog = Catalog(frameworks=tuple(head.frameworks))
    problems += [f"gate_rules: {p}" for p in head.gate_rules.rules.check_references(catalog, tag_names)]
    problems += _bad_time("taken_at", head.taken_at) + _bad_time("gate_rules.created_at", head.gate_rules.created_at)
    return problems


def consistency_problems(snapshot: Snapshot, raw_pilots: Sequence[Mapping[str, Any]] | None = None) -> list[str]:
    """References the schema cannot check: items, tags and ids that must exist or be unique. raw_pilots
    are the pilots as parsed (before validation), when at hand: checked as they are, without a dump."""
    problems = head_problems(snapshot)
    references = _References(snapshot)
    pilots = raw_pilots if raw_pilots is not None else [p.model_dump(by_alias=True) for p in snapshot.pilots]
    seen: dict[str, int] = {}
    for index, p in enumerate(pilots, start=1):
        problems += [f"pilot {index} ({p['id']}): {problem}" for problem in _pilot_problems(p, references, seen, index)]
    return problems


def _bad_time(where: str, text: str | None) -> list[str]:
    if text is None or _normal_time(text) is not None:
        return []
    return [f"{where}: not a valid time ({text!r})"]


_NEEDS_JUSTIFICATION = frozenset(s.value for s in CoverageStatus if s.needs_justification)


def _pilot_problems(p: Mapping[str, Any], refs: _References, seen: dict[str, int], index: int) -> list[str]:
    """One validated pilot (as a dict: keys with defaults may be absent) against the snapshot's items and
    tags and the pilots before it (seen: id -> pilot number, updated here). Checked here rather than in
    model validators: a Python validator per item costs a second per 10,000 pilots. A quick pass first
    (every pilot of a good file goes through it); the messages only for a pilot that fails it."""
    pilot_id = p["id"]
    if pilot_id not in seen and _looks_consistent(p, refs):
        seen[pilot_id] = index
        return []
    problems = _bad_time("created_at", p["created_at"]) + _bad_time("stage_entered_at", p["stage_entered_at"])
    if pilot_id in seen:
        problems.insert(0, f"id repeats pilot {seen[pilot_id]}")
    else:
        seen[pilot_id] = index
    covered: set[str] = set()
    for c in p.get("coverage", ()):
        item = c["item"]
        if item not in refs.items:
            problems.append(f"coverage item {item!r} is not in the snapshot's frameworks")
        if item in covered:
            problems.append(f"coverage item {item!r} is listed twice")
        covered.add(item)
        status = c["status"]
        if status in _NEEDS_JUSTIFICATION and not c.get("justification", "").strip():
            problems.append(f"coverage {item}: status {CoverageStatus(status).value} needs a justification")
        problems += _bad_time(f"coverage {item}: updated_at", c["updated_at"])
    for b in p.get("blockers", ()):
        tag = b["tag"]
        if tag not in refs.tags:
            problems.append(f"blocker tag {tag!r} is not in the snapshot's tags")
        problems += _bad_time(f"blocker {tag}: opened_at", b["opened_at"])
        problems += _bad_time(f"blocker {tag}: resolved_at", b.get("resolved_at"))
    for m in p.get("stage_history", ()):
        problems += _bad_time("stage_history: moved_at", m["moved_at"])
    return problems


def _looks_consistent(p: Mapping[str, Any], refs: _References) -> bool:
    """_pilot_problems' checks but the repeated id, as one yes or no."""
    normal = _normal_time
    if normal(p["created_at"]) is None or normal(p["stage_entered_at"]) is None:
        return False
    coverage = p.get("coverage", ())
    items = refs.items
    covered = {c["item"] for c in coverage}
    if len(covered) != len(coverage) or not covered <= items:
        return False
    for c in coverage:
        if normal(c["updated_at"]) is None:
            return False
        if c["status"] in _NEEDS_JUSTIFICATION and not c.get("justification", "").strip():
            return False
    for b in p.get("blockers", ()):
        if b["tag"] not in refs.tags or normal(b["opened_at"]) is None:
            return False
        if b.get("resolved_at") is not None and normal(b["resolved_at"]) is None:
            return False
    return all(normal(m["moved_at"]) is not None for m in p.get("stage_history", ()))


def read_file(path: Path, source: str | None = None) -> Snapshot:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SnapshotError(f"{source or path}: cannot read ({exc.strerror})") from None
    return parse(data, source or str(path))


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


# ---- reading a file pilot by pilot -----------------------------------------------------------------
# The exporter writes one pilot per line between the lines '  "pilots": [' and '  ],' (see to_bytes). The
# streaming reader relies on that layout and on nothing else: anything it does not recognise (another
# program's formatting, broken JSON) makes it give way to the whole-document parse, whose messages name
# the line and column. A pilot line is parsed and validated in one step by pydantic's JSON parser into
# plain dicts (TypedDicts of the same shape as SnapshotPilot: a model instance per coverage item costs
# more than the rest of the import; a test holds the two shapes equal).


_LINE_CONFIG = ConfigDict(extra="forbid")

# Stages and statuses as Literals of their text, not enums: the rows hold the text, and an enum's .value
# is a descriptor call, two million of them per 100,000 pilots. Same values, same messages.
if TYPE_CHECKING:
    _StageText = str
    _StatusText = str
else:
    _StageText = Literal[tuple(s.value for s in Stage)]
    _StatusText = Literal[tuple(s.value for s in CoverageStatus)]


@with_config(_LINE_CONFIG)
class _CoverageDict(TypedDict):
    item: Annotated[str, Field(min_length=1)]
    status: _StatusText
    evidence: NotRequired[str]
    justification: NotRequired[str]
    updated_at: Timestamp
    updated_by: str


@with_config(_LINE_CONFIG)
class _BlockerDict(TypedDict):
    tag: Annotated[str, Field(min_length=1)]
    note: NotRequired[str]
    opened_at: Timestamp
    opened_by: str
    resolved_at: NotRequired[Timestamp | None]
    resolved_by: NotRequired[str]


# "from" is a keyword: the functional form, with its config set as with_config would.
_MoveDict = TypedDict(
    "_MoveDict",
    {
        "from": _StageText | None,
        "to": _StageText,
        "moved_at": Timestamp,
        "actor": str,
        "override": NotRequired[str],
        "failed_rules": NotRequired[list[str]],
    },
)
_MoveDict.__pydantic_config__ = _LINE_CONFIG  # type: ignore[attr-defined]


@with_config(_LINE_CONFIG)
class _PilotDict(TypedDict):
    id: Annotated[str, Field(min_length=1)]
    name: Annotated[str, Field(min_length=1)]
    office: NotRequired[str]
    owner: NotRequired[str]
    stage: _StageText
    high_impact: NotRequired[bool]
    description: NotRequired[str]
    extra: NotRequired[dict[str, Any]]
    created_at: Timestamp
    stage_entered_at: Timestamp
    coverage: NotRequired[list[_CoverageDict]]
    blockers: NotRequired[list[_BlockerDict]]
    stage_history: NotRequired[list[_MoveDict]]


PILOT_LINE = TypeAdapter(_PilotDict)

_PILOTS_OPEN = b'  "pilots": ['
_PILOTS_EMPTY = b'  "pilots": [],'
_PILOTS_CLOSE = b"  ],"
_PILOT_INDENT = b"    {"
_TAIL_LIMIT = 1 << 20  # what may follow the pilots (the digest line) in the exporter's layout


class _NotLineLayout(Exception):
    """The file is not (or not only) in the exporter's layout: read it as a whole document instead."""


class _LineReader:
    """A snapshot file in the exporter's layout, read line by line: the head, then pilot lines, then the
    digest. Tracks the line number (for messages) and the bytes read (for progress)."""

    def __init__(self, stream: BinaryIO, source: str) -> None:
        self.stream = stream
        self.source = source
        self.line = 0
        self.read = 0
        self.empty = False

    def _next(self) -> bytes:
        try:
            data = self.stream.readline()
        except OSError as exc:
            raise SnapshotError(f"{self.source}:{self.line + 1}: cannot read ({exc.strerror})") from None
        self.line += 1
        self.read += len(data)
        return data

    def head(self) -> dict[str, Any]:
        """The document's keys before "pilots", parsed."""
        lines: list[bytes] = []
        while True:
            data = self._next()
            if not data:
                raise _NotLineLayout
            stripped = data.rstrip(b"\r\n")
            if stripped in (_PILOTS_OPEN, _PILOTS_EMPTY):
                self.empty = stripped == _PILOTS_EMPTY
                break
            lines.append(data)
        text = b"".join(lines).rstrip()
        if self.line == 1 or not text.endswith(b","):
            raise _NotLineLayout
        try:
            raw = json.loads(text[:-1].decode("utf-8-sig") + "}")
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise _NotLineLayout from None
        if not isinstance(raw, dict) or "pilots" in raw or "digest" in raw:
            raise _NotLineLayout
        return raw

    def pilots(self) -> Iterator[bytes]:
        """Each pilot's JSON text, as the line holds it (without indentation and separator)."""
        if self.empty:
            return
        comma = True  # every pilot line but the last ends with a comma
        while True:
            data = self._next()
            stripped = data.rstrip(b"\r\n")
            if stripped == _PILOTS_CLOSE:
                if comma:
                    raise _NotLineLayout  # a comma before ']' (or '[' and '],' on lines of their own)
                return
            if not comma or not stripped.startswith(_PILOT_INDENT):
                raise _NotLineLayout
            comma = stripped.endswith(b",")
            yield stripped[4:-1] if comma else stripped[4:]

    def tail(self) -> dict[str, Any]:
        """What follows the pilots: the digest."""
        rest = self.stream.read(_TAIL_LIMIT + 1)
        if len(rest) > _TAIL_LIMIT:
            raise _NotLineLayout
        try:
            raw = json.loads("{" + rest.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise _NotLineLayout from None
        if not isinstance(raw, dict) or set(raw) != {"digest"} or not isinstance(raw["digest"], str):
            raise _NotLineLayout
        return raw


class SnapshotFile:
    """A snapshot file read in one pass, pilot by pilot, each pilot validated and checked as it comes; the
    digest is known once the last pilot is read. Memory stays flat at any size.

    Use: head (validated, checked) on construction; then iterate rows() once: PilotRows per pilot; at its
    end the digest is verified (SnapshotError if it does not match, so a caller loading the rows inside a
    transaction rolls it back). _NotLineLayout from any step: the file is not in the exporter's layout (or
    its JSON is broken) and needs the whole-document parse. The stream must be seekable (a file)."""

    def __init__(self, stream: BinaryIO, source: str, size: int = 0) -> None:
        self.reader = _LineReader(stream, source)
        self.source = source
        self.size = size
        raw = self.reader.head()
        if not raw.keys() >= SnapshotHead.model_fields.keys():
            # The exporter writes every head key before the pilots: a missing one means another layout or a
            # cut file, which the whole-document parse names exactly (line and column, or the missing key).
            raise _NotLineLayout
        _check_format(raw, source)
        try:
            self.head = SnapshotHead.model_validate(raw)
        except ValidationError as exc:
            raise SnapshotError(f"{source}: {_where(exc, raw)}") from None
        problems = head_problems(self.head)
        if problems:
            raise SnapshotError(f"{source}: {problems[0]}")
        self.signer = _Signer(raw)
        self.pilots = 0

    def rows(self) -> Iterator[PilotRows]:
        refs = _References(self.head)
        seen: dict[str, int] = {}
        hash_line = self.signer.pilot_bytes
        for text in self.reader.pilots():
            self.pilots += 1
            pilot = self._validated(text)
            problems = _pilot_problems(pilot, refs, seen, self.pilots)
            if problems:
                raise SnapshotError(
                    f"{self.source}:{self.reader.line}: pilot {self.pilots} ({pilot['id']}): {problems[0]}"
                    + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")
                )
            # The line itself goes into the digest: in the exporter's canonical form it is exactly what
            # was signed. A line in another form makes the digest differ: then a second pass hashes the
            # canonical form of each line, as digest_of does, and decides.
            hash_line(text)
            yield _rows(pilot)
        stated = self.reader.tail()["digest"]
        if stated != self.signer.digest():
            expected = self._canonical_digest()
            if stated != expected:
                raise SnapshotError(_digest_mismatch(self.source, stated, expected))

    def _canonical_digest(self) -> str:
        """The digest of the file's content in canonical form, from a second pass over the file."""
        stream = self.reader.stream
        stream.seek(0)
        again = _LineReader(stream, self.source)
        signer = _Signer(again.head())
        for text in again.pilots():
            signer.pilot(canonical(json.loads(text)))
        return signer.digest()

    def _validated(self, text: bytes) -> Any:
        try:
            return PILOT_LINE.validate_json(text)
        except ValidationError as exc:
            error = exc.errors()[0]
            if error["type"] == "json_invalid":
                raise _NotLineLayout from None
            try:
                pilot_id = json.loads(text).get("id")
            except (ValueError, AttributeError):
                pilot_id = None
            message = _pilot_error(self.pilots, pilot_id, error["loc"], str(error["msg"]))
            raise SnapshotError(f"{self.source}:{self.reader.line}: {message}") from None

    def progress(self, progress: Progress | None) -> Progress | None:
        """A progress callback in bytes of the file read (the number of pilots is known only at the end)."""
        if progress is None or not self.size:
            return None
        return lambda _done, _total: progress(self.reader.read, self.size)

    def summary(self, loaded: int, source: str) -> str:
        return _summary(loaded, source, self.head)


def _summary(loaded: int, source: str, head: SnapshotHead) -> str:
    return (
        f"imported {loaded} pilots from the snapshot {source} of {head.portfolio.name!r} taken {head.taken_at} "
        f"by {head.taken_by}"
    )


def _rows(p: Mapping[str, Any]) -> PilotRows:
    """A validated pilot (a dict from PILOT_LINE) as rows to insert, times in the file's text form."""
    extra = _imported_extra(p.get("extra") or {})
    return PilotRows(
        pilot=PilotValues(
            p["id"],
            p["name"],
            p.get("office", ""),
            p.get("owner", ""),
            p["stage"],
            p.get("high_impact", False),
            p.get("description", ""),
            json.dumps(extra, ensure_ascii=False) if extra else "{}",
            _stored_time(p["created_at"]),
            _stored_time(p["stage_entered_at"]),
        ),
        coverage=[
            CoverageRow(
                c["item"],
                c["status"],
                c.get("evidence", ""),
                c.get("justification", ""),
                _stored_time(c["updated_at"]),
                c["updated_by"],
            )
            for c in p.get("coverage", ())
        ],
        blockers=[
            BlockerRow(
                b["tag"],
                b.get("note", ""),
                _stored_time(b["opened_at"]),
                b["opened_by"],
                _stored_time(b["resolved_at"]) if b.get("resolved_at") else None,
                b.get("resolved_by", ""),
            )
            for b in p.get("blockers", ())
        ],
        moves=[
            MoveRow(
                m["from"],
                m["to"],
                _stored_time(m["moved_at"]),
                m["actor"],
                m.get("override", ""),
                json.dumps(m["failed_rules"], ensure_ascii=False) if m.get("failed_rules") else "[]",
            )
            for m in p.get("stage_history", ())
        ],
    )


# ---- import ----------------------------------------------------------------------------------------


def import_snapshot_file(
    portfolio: Portfolio,
    path: Path,
    *,
    source: str,
    event_source: str,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> int:
    """Import the snapshot file at path into an empty portfolio, streaming it: each pilot is read,
    validated and loaded in batches, in one transaction, so memory stays flat at any size. All or nothing:
    a broken file (bad JSON, wrong format or version, an invalid pilot, a digest that does not match)
    raises SnapshotError naming the file (source), the line and the reason, and writes nothing. A file not
    in the exporter's layout is parsed as a whole instead. dry_run checks the file and writes nothing.
    Returns the number of pilots."""
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise SnapshotError(f"{source}: cannot read ({exc.strerror})") from None
    try:
        with no_cycle_collection(), stream:
            snapshot = SnapshotFile(stream, source, _size(stream))
            if dry_run:
                _refuse_non_empty(portfolio)
                return sum(1 for _ in snapshot.rows())
            return _load(portfolio, snapshot, event_source, progress)
    except _NotLineLayout:
        pass
    with no_cycle_collection():
        whole = read_file(path, source)
        if dry_run:
            _refuse_non_empty(portfolio)
            return len(whole.pilots)
        return import_snapshot(portfolio, whole, source=event_source, progress=progress)


def _size(stream: BinaryIO) -> int:
    try:
        return os.fstat(stream.fileno()).st_size
    except (OSError, io.UnsupportedOperation):
        return 0


def _refuse_non_empty(portfolio: Portfolio) -> None:
    if not is_empty(portfolio):
        raise StoreError(
            f"{portfolio.path}: holds {portfolio.count()} pilot(s); a snapshot imports only into an empty "
            "portfolio; nothing would be imported"
        )


def _load(portfolio: Portfolio, snapshot: SnapshotFile, event_source: str, progress: Progress | None) -> int:
    head = snapshot.head
    rules = head.gate_rules
    return replace_contents(
        portfolio,
        name=head.portfolio.name,
        catalog=Catalog(frameworks=tuple(head.frameworks)),
        tags=head.tags,
        rules=RulesRevision(rules.revision, _stored_time(rules.created_at), rules.actor, rules.rules),
        pilots=snapshot.rows(),
        source=event_source,
        summary=lambda loaded: snapshot.summary(loaded, event_source),
        progress=snapshot.progress(progress),
    )


def rows_of(snapshot: Snapshot) -> Iterator[PilotRows]:
    """The snapshot's pilots as rows to insert, times in the file's text form."""
    for p in snapshot.pilots:
        yield PilotRows(
            pilot=PilotValues(
                p.id,
                p.name,
                p.office,
                p.owner,
                p.stage.value,
                p.high_impact,
                p.description,
                json.dumps(_imported_extra(p.extra), ensure_ascii=False),
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


def _imported_extra(extra: dict[str, Any]) -> dict[str, Any]:
    """A pilot's extra fields as a snapshot brings them in, without the record of which cells an OMB
    inventory gave as they are: a value that arrives in a snapshot is not one this portfolio imported from an
    inventory, so its OMB export neutralizes it if it starts like a formula (io/omb.py)."""
    if AS_GIVEN_KEY not in extra:
        return extra  # nearly every pilot: no copy
    return {k: v for k, v in extra.items() if k != AS_GIVEN_KEY}


def import_snapshot(portfolio: Portfolio, snapshot: Snapshot, *, source: str, progress: Progress | None = None) -> int:
    """Load a parsed snapshot into an empty portfolio (StoreError otherwise); returns the number of pilots."""
    rules = snapshot.gate_rules
    with no_cycle_collection():
        return replace_contents(
            portfolio,
            name=snapshot.portfolio.name,
            catalog=Catalog(frameworks=tuple(snapshot.frameworks)),
            tags=snapshot.tags,
            rules=RulesRevision(rules.revision, _stored_time(rules.created_at), rules.actor, rules.rules),
            pilots=rows_of(snapshot),
            source=source,
            summary=lambda loaded: _summary(loaded, source, snapshot),
            total=len(snapshot.pilots),
            progress=progress,
        )
