"""The checks a snapshot passes beyond its schema: format and version, references to items and tags, unique
ids, valid times; and the messages that name where in the file a check failed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from caio_tui.domain.coverage import Catalog, CoverageStatus
from caio_tui.io.snapshot.schema import SNAPSHOT_FORMAT, SNAPSHOT_VERSION, Snapshot, SnapshotError, SnapshotHead
from caio_tui.io.snapshot.times import normal_time


def check_format(raw: Any, source: str) -> None:
    if not isinstance(raw, dict) or raw.get("format") != SNAPSHOT_FORMAT:
        raise SnapshotError(f"{source}: not a caio-tui snapshot ({_what_it_is(raw)})")
    version = raw.get("version")
    if version != SNAPSHOT_VERSION:
        if isinstance(version, int) and not isinstance(version, bool) and version > SNAPSHOT_VERSION:
            raise SnapshotError(
                f"{source}: snapshot version {version} is newer than this caio-tui reads "
                f"(up to {SNAPSHOT_VERSION}); upgrade caio-tui"
            )
        raise SnapshotError(f"{source}: unsupported snapshot version {version!r} (expected {SNAPSHOT_VERSION})")


def _what_it_is(raw: Any) -> str:
    """What a JSON file that is not a snapshot holds, in words (never Python's `None` or `list`)."""
    expected = f'a snapshot is a JSON object with "format": "{SNAPSHOT_FORMAT}"'
    if not isinstance(raw, dict):
        kinds = {list: "an array", str: "a string", bool: "true or false", int: "a number", float: "a number"}
        return f"the file holds {kinds.get(type(raw), 'null')}; {expected}"
    if "format" not in raw:
        return f'a JSON object with no "format"; {expected}'
    return f"format {raw['format']!r}, expected {SNAPSHOT_FORMAT!r}"


def digest_mismatch(source: str, stated: str, expected: str) -> str:
    return (
        f"{source}: the digest does not match the content: the file was changed after it was exported "
        f"(it says {stated[:19]}…, the content gives {expected[:19]}…)"
    )


def first_error(exc: ValidationError, raw: dict[str, Any]) -> str:
    """The first validation error, as 'pilot 3 (DCS-003): stage: reason'."""
    error = exc.errors()[0]
    loc = list(error["loc"])
    message = str(error["msg"])
    if len(loc) >= 2 and loc[0] == "pilots" and isinstance(loc[1], int):
        index = loc[1]
        pilots = raw.get("pilots")
        found = pilots[index] if isinstance(pilots, list) and index < len(pilots) else None
        pilot_id = found.get("id") if isinstance(found, dict) else None
        return pilot_error(index + 1, pilot_id, loc[2:], message)
    where = ".".join(str(p) for p in loc)
    return f"{where}: {message}" if where else message


def pilot_error(number: int, pilot_id: Any, loc: Sequence[Any], message: str) -> str:
    label = f"pilot {number}" + (f" ({pilot_id})" if isinstance(pilot_id, str) else "")
    rest = ".".join(str(p) for p in loc)
    return f"{label}: {rest}: {message}" if rest else f"{label}: {message}"


class References:
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
    references = References(snapshot)
    pilots = raw_pilots if raw_pilots is not None else [p.model_dump(by_alias=True) for p in snapshot.pilots]
    seen: dict[str, int] = {}
    for index, p in enumerate(pilots, start=1):
        problems += [f"pilot {index} ({p['id']}): {problem}" for problem in pilot_problems(p, references, seen, index)]
    return problems


def _bad_time(where: str, text: str | None) -> list[str]:
    if text is None or normal_time(text) is not None:
        return []
    return [f"{where}: not a valid time ({text!r})"]


NEEDS_JUSTIFICATION = frozenset(s.value for s in CoverageStatus if s.needs_justification)


def pilot_problems(p: Mapping[str, Any], refs: References, seen: dict[str, int], index: int) -> list[str]:
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
        if status in NEEDS_JUSTIFICATION and not c.get("justification", "").strip():
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


def _looks_consistent(p: Mapping[str, Any], refs: References) -> bool:
    """pilot_problems' checks but the repeated id, as one yes or no."""
    normal = normal_time
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
        if c["status"] in NEEDS_JUSTIFICATION and not c.get("justification", "").strip():
            return False
    for b in p.get("blockers", ()):
        if b["tag"] not in refs.tags or normal(b["opened_at"]) is None:
            return False
        if b.get("resolved_at") is not None and normal(b["resolved_at"]) is None:
            return False
    return all(normal(m["moved_at"]) is not None for m in p.get("stage_history", ()))
