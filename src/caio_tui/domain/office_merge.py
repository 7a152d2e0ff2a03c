"""The three-way merge of an office's changes into the CAIO's portfolio, field by field (pure).

An office works on a copy of its pilots (the *send*); when its changes come back, each field is compared
three ways: the value sent (base), the CAIO's value now, and the office's. A field only one side changed
takes that side's value; a field both changed to the same value stays; a field both changed differently is
a `Conflict` (base, CAIO, office), applied by neither until a person picks. A pilot's stage is the CAIO's:
an office's move arrives as a `StageRequest`, which the CAIO passes through the gate.

Some fields are the CAIO's decision (ALWAYS_ASK: which office holds the pilot, whether it is high-impact,
which decides the M-25-21 practices its gates ask for): an office's change to one never applies alone, it
is a conflict even when the CAIO left the field as sent.

A field here is one of a pilot's own fields, one coverage item (status, evidence and justification
together: they are assessed together), or one blocker tag (open with its note, or not open).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeGuard

FieldKind = Literal["field", "coverage", "blocker"]
PILOT_FIELDS = ("name", "office", "owner", "high_impact", "description")
ALWAYS_ASK = frozenset({"office", "high_impact"})  # the CAIO's decision: an office's change is a conflict
NOT_ASSESSED = ("not_assessed", "", "")

Value = object  # a field's value, a coverage triple, a blocker's note (None: not open)


@dataclass(frozen=True)
class PilotSide:
    """One pilot as one side holds it."""

    fields: Mapping[str, Value]
    coverage: Mapping[str, tuple[str, str, str]]  # item -> (status, evidence, justification)
    open_blockers: Mapping[str, str]  # tag -> note
    stage: str


@dataclass(frozen=True, order=True)
class FieldKey:
    kind: FieldKind
    name: str  # the field's name, the item id, the tag

    def __str__(self) -> str:
        return self.name if self.kind == "field" else f"{self.kind} {self.name}"


@dataclass(frozen=True)
class Change:
    pilot_id: str
    key: FieldKey
    value: Value


@dataclass(frozen=True)
class Conflict:
    pilot_id: str
    key: FieldKey
    base: Value
    caio: Value
    office: Value


@dataclass(frozen=True)
class StageRequest:
    pilot_id: str
    current: str  # the CAIO's stage now
    requested: str  # the office's


@dataclass
class MergePlan:
    changes: list[Change] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    requests: list[StageRequest] = field(default_factory=list)
    added: list[str] = field(default_factory=list)  # pilots the office created
    clashes: list[str] = field(default_factory=list)  # created by the office under an id the CAIO holds
    gone: list[str] = field(default_factory=list)  # pilots the office changed that the CAIO no longer has

    @property
    def empty(self) -> bool:
        return not (self.changes or self.conflicts or self.requests or self.added)


def facets(side: PilotSide) -> dict[FieldKey, Value]:
    """Every field of one side, flat; a coverage item not listed is not assessed, a tag not listed not open."""
    flat: dict[FieldKey, Value] = {FieldKey("field", name): side.fields.get(name) for name in PILOT_FIELDS}
    flat.update({FieldKey("coverage", item): triple for item, triple in side.coverage.items()})
    flat.update({FieldKey("blocker", tag): note for tag, note in side.open_blockers.items()})
    return flat


def _absent(key: FieldKey) -> Value:
    return NOT_ASSESSED if key.kind == "coverage" else None


def value_of(side: PilotSide, key: FieldKey) -> Value:
    """One field of one side (a coverage item not listed: not assessed; a tag not listed: not open)."""
    return facets(side).get(key, _absent(key))


def merge_pilot(pilot_id: str, base: PilotSide, caio: PilotSide, office: PilotSide, plan: MergePlan) -> None:
    """Add one pilot's changes, conflicts and stage request to `plan` (in the order of their keys)."""
    for kind, absent, (b, c, o) in (
        ("blocker", None, (s.open_blockers for s in (base, caio, office))),
        ("coverage", NOT_ASSESSED, (s.coverage for s in (base, caio, office))),
        ("field", None, ({n: s.fields.get(n) for n in PILOT_FIELDS} for s in (base, caio, office))),
    ):
        if o == b:
            continue  # the office changed nothing of this kind (most of a pilot's coverage, every time)
        for name in sorted({*b, *c, *o}):
            was, theirs, ours = b.get(name, absent), c.get(name, absent), o.get(name, absent)
            if ours in (was, theirs):
                continue  # the office changed nothing here, or both made the same change
            key = FieldKey(kind, name)  # type: ignore[arg-type]
            if theirs == was and not (kind == "field" and name in ALWAYS_ASK):
                plan.changes.append(Change(pilot_id, key, ours))
            else:
                plan.conflicts.append(Conflict(pilot_id, key, was, theirs, ours))
    if office.stage not in (base.stage, caio.stage):
        plan.requests.append(StageRequest(pilot_id, caio.stage, office.stage))


def plan_merge(
    base: Mapping[str, PilotSide], caio: Mapping[str, PilotSide], office: Mapping[str, PilotSide]
) -> MergePlan:
    """What merging the office's pilots would do: `base` is what was sent (and merged since), `caio` the
    CAIO's pilots now, `office` the pilots the office's bundle carries (those it changed or created)."""
    plan = MergePlan()
    for pilot_id in sorted(office):
        if pilot_id not in base:
            if pilot_id in caio:  # two creations are never folded into one pilot
                plan.clashes.append(pilot_id)
            else:
                plan.added.append(pilot_id)
        elif pilot_id not in caio:
            plan.gone.append(pilot_id)
        else:
            merge_pilot(pilot_id, base[pilot_id], caio[pilot_id], office[pilot_id], plan)
    return plan


# ---- a side as the store keeps it (office_base.state) ---------------------------------------------------


def side_json(side: PilotSide) -> dict[str, object]:
    """A side as JSON values (office_base.state), encoded with sorted keys: the coverage triples become
    lists. Its own mappings, not copies (a base is written for every pilot a merge carries)."""
    return {"fields": side.fields, "coverage": side.coverage, "open_blockers": side.open_blockers, "stage": side.stage}


def side_of_json(data: Mapping[str, object]) -> PilotSide:
    """A side from side_json's values."""
    fields = data.get("fields")
    coverage = data.get("coverage")
    blockers = data.get("open_blockers")
    return PilotSide(
        fields=dict(fields) if _mapping(fields) else {},
        coverage={str(k): _triple(v) for k, v in coverage.items()} if _mapping(coverage) else {},
        open_blockers={str(k): str(v) for k, v in blockers.items()} if _mapping(blockers) else {},
        stage=str(data.get("stage", "")),
    )


def _mapping(value: object) -> TypeGuard[Mapping[str, object]]:
    # dict first: JSON's mappings are dicts, and the check against the Mapping ABC is slow (a base is read
    # for every pilot a merge carries)
    return isinstance(value, (dict, Mapping))


def _triple(value: object) -> tuple[str, str, str]:
    if type(value) is list and len(value) == 3:  # as side_json writes it: taken as it is
        status, evidence, justification = value
        if status and type(status) is str and type(evidence) is str and type(justification) is str:
            return status, evidence, justification
    parts = [str(v) for v in value] if isinstance(value, list | tuple) else []
    parts += [""] * (3 - len(parts))
    return parts[0] or NOT_ASSESSED[0], parts[1], parts[2]
