"""Gates: declarative rules a pilot must meet to enter a stage, their evaluation, and the least change
that would make a refused move pass.

Rules are data (TOML in the package, a versioned copy in each portfolio). The rule language is closed:
a rule names fields, items, areas, tags and categories; nothing in it is evaluated as code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from caio_tui.domain.coverage import Catalog, CoverageStatus
from caio_tui.domain.pilots import PilotRecord
from caio_tui.domain.stages import PIPELINE, Stage
from caio_tui.domain.territory import BlockerCategory

# "At least" compares on this ladder; waived and not_applicable are accepted separately.
_LADDER: dict[CoverageStatus, int] = {
    CoverageStatus.NOT_ASSESSED: 0,
    CoverageStatus.GAP: 0,
    CoverageStatus.PARTIAL: 1,
    CoverageStatus.MET: 2,
}
_WAIVERS = (CoverageStatus.WAIVED, CoverageStatus.NOT_APPLICABLE)
GATED_FIELDS = ("name", "office", "owner", "description")


class _Rule(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")
    description: str = ""


class FieldRule(_Rule):
    """A pilot field is recorded (not blank)."""

    kind: Literal["field"]
    field: Literal["name", "office", "owner", "description"]


class CoverageRule(_Rule):
    """Every item of the named areas and items is at least a status."""

    kind: Literal["coverage"]
    areas: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    at_least: Literal["partial", "met"]
    accept_waived: bool = True  # waived and not_applicable satisfy the rule

    @model_validator(mode="after")
    def _names_something(self) -> CoverageRule:
        if not self.areas and not self.items:
            raise ValueError("a coverage rule needs areas or items")
        return self


class NoBlockerRule(_Rule):
    """No open blocker with one of these tags or in one of these categories."""

    kind: Literal["no_blocker"]
    tags: tuple[str, ...] = ()
    categories: tuple[BlockerCategory, ...] = ()

    @model_validator(mode="after")
    def _names_something(self) -> NoBlockerRule:
        if not self.tags and not self.categories:
            raise ValueError("a no_blocker rule needs tags or categories")
        return self


class HighImpactRule(_Rule):
    """For a high-impact use case, every item of the high-impact frameworks is in an accepted status."""

    kind: Literal["high_impact_practices"]
    accept: tuple[CoverageStatus, ...] = (CoverageStatus.MET, CoverageStatus.WAIVED)

    @field_validator("accept")
    @classmethod
    def _accepts_something(cls, accept: tuple[CoverageStatus, ...]) -> tuple[CoverageStatus, ...]:
        if not accept:
            raise ValueError("a high_impact_practices rule needs at least one accepted status")
        return accept


Rule = Annotated[FieldRule | CoverageRule | NoBlockerRule | HighImpactRule, Field(discriminator="kind")]


# No move ever crosses a gate into these: intake starts the pipeline and retiring is always allowed.
UNGATED: frozenset[Stage] = frozenset({Stage.INTAKE, Stage.RETIRED})


class Gate(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")
    to: Stage
    rules: tuple[Rule, ...] = ()

    @field_validator("to")
    @classmethod
    def _gated(cls, stage: Stage) -> Stage:
        if stage in UNGATED:
            gated = ", ".join(s.value for s in PIPELINE if s not in UNGATED)
            raise ValueError(f"no move passes a gate into {stage.value}; gates lead into {gated}")
        return stage


class RuleProblem(BaseModel):
    """Something wrong with valid-looking rules, at a place in them (indexes from 0, as in the file)."""

    model_config = ConfigDict(defer_build=True, frozen=True)
    gate: int
    rule: int | None = None  # None: the gate itself
    key: str = ""  # the key of the gate or rule at fault
    message: str


class GateRules(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")
    version: int = 1
    # The shortest written justification an override accepts ("ok" says nothing an inspector can read).
    override_min_length: int = Field(default=20, ge=1, le=1000)
    gates: tuple[Gate, ...] = Field(default=(), alias="gate")

    def override_refusal(self, justification: str) -> str | None:
        """Why an override justification is refused, in one line; None when it is long enough."""
        written = justification.strip()
        if not written:
            return "an override needs a written justification"
        if len(written) < self.override_min_length:
            return (
                f"an override justification needs at least {self.override_min_length} characters "
                f"(this one has {len(written)}): say why the gate is overridden"
            )
        return None

    def for_stage(self, stage: Stage) -> Gate:
        return next((g for g in self.gates if g.to is stage), Gate(to=stage))

    def check_references(self, catalog: Catalog, known_tags: Sequence[str]) -> list[str]:
        """Names the rules refer to that the portfolio does not know."""
        return [
            f"gate {self.gates[p.gate].to}: {p.message}"
            for p in self.problems(catalog, known_tags)
            if p.rule is not None
        ]

    def problems(self, catalog: Catalog, known_tags: Sequence[str]) -> list[RuleProblem]:
        """What makes these rules unusable in a portfolio: a stage gated twice (the second gate would be
        silently ignored), and names of areas, items and tags the portfolio does not know."""
        found: list[RuleProblem] = []
        seen: dict[Stage, int] = {}
        for g, gate in enumerate(self.gates):
            if gate.to in seen:
                message = f"a second gate into {gate.to.value} (the first is gate {seen[gate.to] + 1}); merge them"
                found.append(RuleProblem(gate=g, key="to", message=message))
            seen.setdefault(gate.to, g)
            for r, rule in enumerate(gate.rules):
                found += [
                    RuleProblem(gate=g, rule=r, key=key, message=message)
                    for key, message in _unknown_names(rule, catalog, known_tags)
                ]
        return found

    def rule_count(self) -> int:
        return sum(len(g.rules) for g in self.gates)


def _unknown_names(rule: Rule, catalog: Catalog, known_tags: Sequence[str]) -> list[tuple[str, str]]:
    if isinstance(rule, CoverageRule):
        return [("areas", f"unknown area {a!r}") for a in rule.areas if not catalog.has_area(a)] + [
            ("items", f"unknown item {i!r}") for i in rule.items if not catalog.has_item(i)
        ]
    if isinstance(rule, NoBlockerRule):
        return [("tags", f"unknown tag {t!r}") for t in rule.tags if t not in known_tags]
    return []


def _words(names: Sequence[str], joiner: str = "and") -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {joiner} {names[-1]}"


def describe_rule(rule: Rule) -> str:
    """What a rule asks, in words (its description says why; this says what)."""
    if isinstance(rule, FieldRule):
        return f"the {rule.field} is recorded"
    if isinstance(rule, CoverageRule):
        scope = []
        if rule.areas:
            noun = "area" if len(rule.areas) == 1 else "areas"
            scope.append(f"every item of the {_words(rule.areas)} {noun}")
        if rule.items:
            scope.append(_words(rule.items))
        waivers = "waived or not applicable accepted" if rule.accept_waived else "waivers not accepted"
        return f"{' and '.join(scope)} at least {rule.at_least} ({waivers})"
    if isinstance(rule, NoBlockerRule):
        kinds = []
        if rule.tags:
            kinds.append(f"no open blocker tagged {_words(rule.tags, 'or')}")
        if rule.categories:
            kinds.append(f"no open {_words([c.value for c in rule.categories], 'or')} blocker")
        return ", and ".join(kinds)
    return f"high-impact use cases: every M-25-21 practice {_words([s.value for s in rule.accept], 'or')}"


def accepted_statuses(rule: CoverageRule | HighImpactRule) -> frozenset[CoverageStatus]:
    """The statuses that satisfy a coverage or high-impact rule."""
    if isinstance(rule, HighImpactRule):
        return frozenset(rule.accept)
    floor = _LADDER[CoverageStatus(rule.at_least)]
    ladder = {s for s, rank in _LADDER.items() if rank >= floor}
    return frozenset(ladder | (set(_WAIVERS) if rule.accept_waived else set()))


def rule_items(rule: CoverageRule, catalog: Catalog) -> list[str]:
    """The items a coverage rule names, its areas expanded, each once, in catalog order."""
    item_ids: list[str] = []
    for area_id in rule.areas:
        item_ids += [i.id for i in catalog.area(area_id).items]
    item_ids += list(rule.items)
    return list(dict.fromkeys(item_ids))


def high_impact_items(catalog: Catalog) -> list[str]:
    """The items of the frameworks that apply to high-impact use cases only (the M-25-21 practices)."""
    return [i.id for f in catalog.frameworks if f.applies_to == "high_impact" for a in f.areas for i in a.items]


class Change(BaseModel):
    """One change that would make a gate pass."""

    model_config = ConfigDict(defer_build=True, frozen=True)
    kind: Literal["set_coverage", "resolve_blocker", "set_field"]
    target: str  # item id, blocker tag or field name
    to: str = ""  # the status an item must reach
    text: str


class RuleFailure(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True)
    rule: str  # e.g. "production #3"
    reason: str
    changes: tuple[Change, ...]


class GateResult(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True)
    pilot_id: str
    from_stage: Stage
    to_stage: Stage
    failures: tuple[RuleFailure, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def least_changes(self) -> tuple[Change, ...]:
        return merge_changes(c for f in self.failures for c in f.changes)


def merge_changes(changes: object) -> tuple[Change, ...]:
    """The union of every failing rule's changes, with each item raised only to the highest level asked.

    Rules are a conjunction of independent per-item, per-blocker and per-field conditions, so this union
    is the least set of changes that makes every rule pass.
    """
    merged: dict[tuple[str, str], Change] = {}
    for change in changes:  # type: ignore[attr-defined]
        key = (change.kind, change.target)
        kept = merged.get(key)
        if kept is None or _rank(change.to) > _rank(kept.to):
            merged[key] = change
    return tuple(merged.values())


def _rank(status: str) -> int:
    return {"partial": 1, "met": 2}.get(status, 0)


def _status(record: PilotRecord, item_id: str) -> CoverageStatus:
    cov = record.coverage.get(item_id)
    return cov.status if cov else CoverageStatus.NOT_ASSESSED


def _satisfies(status: CoverageStatus, at_least: str, accept_waived: bool) -> bool:
    if status in _WAIVERS:
        return accept_waived
    return _LADDER[status] >= _LADDER[CoverageStatus(at_least)]


def _coverage_failure(rule: CoverageRule, record: PilotRecord, catalog: Catalog) -> tuple[str, list[Change]]:
    short = [
        i for i in rule_items(rule, catalog) if not _satisfies(_status(record, i), rule.at_least, rule.accept_waived)
    ]
    changes = [
        Change(
            kind="set_coverage",
            target=i,
            to=rule.at_least,
            text=f"set {i} to {rule.at_least} (now {_status(record, i).value})",
        )
        for i in short
    ]
    scope = ", ".join([*rule.areas, *rule.items])
    also = "" if rule.accept_waived else " (waivers not accepted)"
    reason = f"{scope}: {len(short)} item(s) below {rule.at_least}{also}: {', '.join(short)}"
    return reason, changes


def _blocker_failure(rule: NoBlockerRule, record: PilotRecord) -> tuple[str, list[Change]]:
    hit = [b for b in record.open_blockers if b.tag in rule.tags or b.category in rule.categories]
    tags = list(dict.fromkeys(b.tag for b in hit))
    changes = [Change(kind="resolve_blocker", target=t, text=f"resolve the {t} blocker") for t in tags]
    return f"open blocker(s): {', '.join(tags)}", changes


def _high_impact_failure(rule: HighImpactRule, record: PilotRecord, catalog: Catalog) -> tuple[str, list[Change]]:
    short = [i for i in high_impact_items(catalog) if _status(record, i) not in rule.accept]
    changes = [
        Change(kind="set_coverage", target=i, to="met", text=f"set {i} to met (now {_status(record, i).value})")
        for i in short
    ]
    accepted = " or ".join(s.value for s in rule.accept)
    return f"high-impact practices not {accepted}: {', '.join(short)}", changes


def _check(rule: Rule, record: PilotRecord, catalog: Catalog) -> tuple[str, list[Change]] | None:
    """None when the rule holds, else the reason and the changes that would make it hold."""
    if isinstance(rule, FieldRule):
        if str(getattr(record.pilot, rule.field)).strip():
            return None
        return f"no {rule.field} recorded", [
            Change(kind="set_field", target=rule.field, text=f"record the {rule.field}")
        ]
    if isinstance(rule, CoverageRule):
        reason, changes = _coverage_failure(rule, record, catalog)
    elif isinstance(rule, NoBlockerRule):
        reason, changes = _blocker_failure(rule, record)
    else:
        if not record.pilot.high_impact:
            return None
        reason, changes = _high_impact_failure(rule, record, catalog)
    return (reason, changes) if changes else None


def stages_crossed(from_stage: Stage, to_stage: Stage) -> list[Stage]:
    """The gates a move passes: every stage after from_stage up to to_stage. Backward moves and retiring
    pass no gate; a retired pilot brought back passes every gate up to its new stage, so retiring is no way
    round them."""
    if to_stage is Stage.RETIRED:
        return []
    start = PIPELINE.index(Stage.INTAKE if from_stage is Stage.RETIRED else from_stage)
    end = PIPELINE.index(to_stage)
    return list(PIPELINE[start + 1 : end + 1])


def evaluate(
    record: PilotRecord, to_stage: Stage, rules: GateRules, catalog: Catalog, *, from_stage: Stage | None = None
) -> GateResult:
    """The gates a move from the pilot's stage (or from_stage) to to_stage crosses, rule by rule."""
    start = record.pilot.stage if from_stage is None else from_stage
    failures: list[RuleFailure] = []
    for stage in stages_crossed(start, to_stage):
        for index, rule in enumerate(rules.for_stage(stage).rules, start=1):
            failed = _check(rule, record, catalog)
            if failed:
                reason, changes = failed
                if rule.description:
                    reason = f"{rule.description}: {reason}"
                failures.append(RuleFailure(rule=f"{stage.value} #{index}", reason=reason, changes=tuple(changes)))
    return GateResult(pilot_id=record.pilot.id, from_stage=start, to_stage=to_stage, failures=tuple(failures))


def standing(record: PilotRecord, rules: GateRules, catalog: Catalog) -> GateResult:
    """Whether the pilot would get where it stands today: every gate from intake to its stage. A failure
    means it stands below its gate (an intake or retired pilot passes none, so never does)."""
    stage = record.pilot.stage
    return evaluate(record, stage, rules, catalog, from_stage=Stage.INTAKE if stage not in UNGATED else stage)


def distance(record: PilotRecord, to_stage: Stage, rules: GateRules, catalog: Catalog) -> int:
    """How many changes stand between a pilot and a stage (e.g. production)."""
    return len(evaluate(record, to_stage, rules, catalog).least_changes)


class GateRulesError(ValueError):
    """A rules file that cannot be used; the message names the place and the reason. `problems` holds
    every problem found, one line each (the message is the first)."""

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems: list[str] = list(problems) or [message]


def parse_rules(data: dict[str, object], source: str = "rules") -> GateRules:
    try:
        return GateRules.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise GateRulesError(f"{source}: {where}: {first['msg']}") from None
