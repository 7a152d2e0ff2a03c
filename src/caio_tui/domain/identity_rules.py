"""The identity rules as data, and the models the identity review shows (pure: no I/O).

The rules (`data/identity_rules.toml`, versioned in each portfolio like the gate rules) say what each finding
proposes and with which thresholds; `identity_findings.py` holds the reasoning of each rule. A finding
becomes a `Proposal` in the store's review queue; nothing here is ever applied by itself.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any, Literal

from caio_tui.domain.identity import CredentialStrength, OwnIdentity, RecordProblem, Vendor

STATUSES = ("gap", "partial", "met")  # what a rule may propose (never waived or not applicable: a person's call)
RULE_IDS = (
    "shared-account",
    "personal-credentials",
    "own-identity",
    "credentials-rotated",
    "reach",
    "leavers",
    "audit-sign-ins",
)
# The outcomes each rule's reasoning can reach (identity_findings.py): a `proposes` map names only these.
OUTCOMES: dict[str, frozenset[str]] = {
    "shared-account": frozenset({"shared"}),
    "personal-credentials": frozenset({"personal"}),
    "own-identity": frozenset({"strong", "secret", "identity"}),
    "credentials-rotated": frozenset({"expired", "expiring", "old", "current"}),
    "reach": frozenset({"groups", "mixed", "one_by_one", "open_to_all", "assignment_required"}),
    "leavers": frozenset({"leavers"}),
    "audit-sign-ins": frozenset({"names_user", "anonymous"}),
}
_THRESHOLDS = (
    "expiring_days",
    "old_credential_days",
    "inactive_days",
    "shared_people",
    "shared_devices",
    "okta_retention_days",
)


class IdentityRulesError(ValueError):
    """Identity rules that cannot be used; the message says where and why, in one line."""


@dataclass(frozen=True)
class Thresholds:
    expiring_days: int = 30
    old_credential_days: int = 180
    inactive_days: int = 90
    shared_people: int = 2
    shared_devices: int = 5
    okta_retention_days: int = 90


@dataclass(frozen=True)
class IdentityRule:
    id: str
    description: str
    enabled: bool = True
    blocker: str | None = None
    proposes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # item -> outcome -> status

    def status_for(self, item: str, outcome: str) -> str | None:
        return self.proposes.get(item, {}).get(outcome)


@dataclass(frozen=True)
class IdentityRules:
    version: int
    thresholds: Thresholds
    rules: tuple[IdentityRule, ...]

    def rule(self, rule_id: str) -> IdentityRule | None:
        return next((r for r in self.rules if r.id == rule_id and r.enabled), None)

    def problems(self, items: set[str], tags: set[str]) -> list[str]:
        """What the portfolio does not know: items and tags the rules name."""
        found = []
        for rule in self.rules:
            found += [f"rule {rule.id}: unknown requirement item {i!r}" for i in rule.proposes if i not in items]
            if rule.blocker is not None and rule.blocker not in tags:
                found.append(f"rule {rule.id}: unknown blocker tag {rule.blocker!r}")
        return found

    def as_data(self) -> dict[str, Any]:
        """The rules as the TOML file holds them (what `idp rules show --json` prints and a version stores)."""
        thresholds = {name: getattr(self.thresholds, name) for name in _THRESHOLDS}
        rules: dict[str, Any] = {}
        for rule in self.rules:
            entry: dict[str, Any] = {"description": rule.description}
            if not rule.enabled:
                entry["enabled"] = False
            if rule.blocker:
                entry["blocker"] = rule.blocker
            entry["proposes"] = {item: dict(outcomes) for item, outcomes in rule.proposes.items()}
            rules[rule.id] = entry
        return {"version": self.version, "thresholds": thresholds, "rules": rules}


def parse_identity_rules(data: Mapping[str, Any], source: str = "identity rules") -> IdentityRules:
    """Identity rules from their TOML (or JSON) data, checked key by key."""
    unknown = sorted(set(data) - {"version", "thresholds", "rules"})
    if unknown:
        raise IdentityRulesError(f"{source}: unknown key {unknown[0]!r} (expected version, thresholds, rules)")
    version = data.get("version", 1)
    if not isinstance(version, int):
        raise IdentityRulesError(f"{source}: version must be a whole number")
    thresholds = _thresholds(data.get("thresholds", {}), source)
    given = data.get("rules", {})
    if not isinstance(given, Mapping):
        raise IdentityRulesError(f"{source}: [rules] must be a table of rules by id")
    rules = tuple(_rule(rule_id, entry, source) for rule_id, entry in given.items())
    return IdentityRules(version=version, thresholds=thresholds, rules=rules)


def _thresholds(given: Any, source: str) -> Thresholds:
    if not isinstance(given, Mapping):
        raise IdentityRulesError(f"{source}: [thresholds] must be a table")
    for name, value in given.items():
        if name not in _THRESHOLDS:
            raise IdentityRulesError(f"{source}: unknown threshold {name!r} (expected one of {', '.join(_THRESHOLDS)})")
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise IdentityRulesError(f"{source}: threshold {name} must be a whole number of 1 or more")
    return Thresholds(**dict(given))


def _rule(rule_id: str, entry: Any, source: str) -> IdentityRule:
    where = f"{source}: rule {rule_id}"
    if rule_id not in RULE_IDS:
        raise IdentityRulesError(f"{source}: unknown rule {rule_id!r} (the rules are {', '.join(RULE_IDS)})")
    if not isinstance(entry, Mapping):
        raise IdentityRulesError(f"{where} must be a table")
    unknown = sorted(set(entry) - {"description", "enabled", "blocker", "proposes"})
    if unknown:
        raise IdentityRulesError(f"{where}: unknown key {unknown[0]!r}")
    proposes = entry.get("proposes", {})
    if not isinstance(proposes, Mapping):
        raise IdentityRulesError(f"{where}: proposes must map items to {{outcome = status}}")
    for item, outcomes in proposes.items():
        if not isinstance(outcomes, Mapping):
            raise IdentityRulesError(f"{where}: proposes.{item} must map outcomes to statuses")
        for outcome, status in outcomes.items():
            if outcome not in OUTCOMES[rule_id]:
                expected = ", ".join(sorted(OUTCOMES[rule_id]))
                raise IdentityRulesError(f"{where}: unknown outcome {outcome!r} (expected one of {expected})")
            if status not in STATUSES:
                raise IdentityRulesError(f"{where}: {item}.{outcome} = {status!r}: a rule proposes gap, partial or met")
    blocker = entry.get("blocker")
    if blocker is not None and (not isinstance(blocker, str) or not blocker):
        raise IdentityRulesError(f"{where}: blocker must be a tag")
    return IdentityRule(
        id=rule_id,
        description=str(entry.get("description", "")),
        enabled=bool(entry.get("enabled", True)),
        blocker=blocker,
        proposes={str(i): {str(o): str(s) for o, s in outs.items()} for i, outs in proposes.items()},
    )


@cache
def default_identity_rules() -> IdentityRules:
    return parse_identity_rules(tomllib.loads(default_rules_text()), source="identity_rules.toml")


def default_rules_text() -> str:
    return (files("caio_tui.domain") / "data" / "identity_rules.toml").read_text(encoding="utf-8")


# ---- what the review shows ---------------------------------------------------------------------------

TargetKind = Literal["coverage", "blocker"]
ProposalState = Literal["pending", "accepted", "rejected"]


@dataclass(frozen=True)
class Finding:
    """What one rule found for one pilot: a coverage item and the status it proposes, or a blocker tag."""

    rule: str
    kind: TargetKind
    target: str  # a coverage item id, or a blocker tag
    status: str | None  # the proposed coverage status (None for a blocker)
    facts: str  # the facts in words: counts, account names, dates, applications
    files: tuple[str, ...]  # the export files the facts come from

    @property
    def evidence(self) -> str:
        """The provenance an accepted proposal records: rule, facts and files."""
        return f"IdP rule {self.rule}: {self.facts} ({', '.join(self.files)})"


@dataclass(frozen=True)
class Proposal:
    """A finding in the review queue, and what became of it."""

    id: int
    pilot_id: str
    finding: Finding
    facts_digest: str
    state: ProposalState
    proposed_at: str
    decided_at: str | None = None
    decided_by: str = ""
    # What accepting did: "applied", or why it was recorded as evidence only (a person's status stands, the
    # blocker is already open).
    outcome: str = ""

    @property
    def rule(self) -> str:
        return self.finding.rule

    @property
    def target(self) -> str:
        return self.finding.target


@dataclass(frozen=True)
class IdentityApp:
    """An application the imported files know, with its facts counted and the pilots linked to it."""

    vendor: Vendor
    key: str  # the IdP's id, or "name:" + the name folded, for an application known by name only
    app_id: str | None
    name: str
    own_identity: OwnIdentity | None = None
    strongest_credential: CredentialStrength | None = None
    assignment_required: bool | None = None
    assignments: int = 0
    credentials: int = 0
    sign_in_events: int = 0
    owners: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    pilots: tuple[str, ...] = ()


@dataclass(frozen=True)
class PilotIdentity:
    """A pilot's identity facts, as its detail screen shows them."""

    pilot_id: str
    apps: tuple[IdentityApp, ...]
    findings: tuple[Finding, ...]  # what the rules find today from the linked applications' facts
    proposals: tuple[Proposal, ...]  # pending and decided, newest first


@dataclass(frozen=True)
class ImportedFile:
    name: str
    kind: str
    digest: str
    records: int
    counts: Mapping[str, int]
    problems: tuple[RecordProblem, ...] = ()
    already: bool = False  # imported before: nothing written for it


@dataclass(frozen=True)
class IdentityImport:
    """What an import did: each file, and how the review queue changed."""

    files: tuple[ImportedFile, ...]
    proposed: int = 0  # new pending proposals
    replaced: int = 0  # pending proposals whose facts changed
    withdrawn: int = 0  # pending proposals whose finding no longer holds
    event_id: int | None = None
    # Names the new files' name-only records give that several applications share: kept apart, not guessed.
    ambiguous: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return self.event_id is not None
