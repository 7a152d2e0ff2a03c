"""Gate rules and gate decisions in a portfolio: replacing the rules (versioned, audited), their history,
why an approval is stale, and re-checking a gate so a stale approval is decided afresh.

Every write is one transaction with its audit event, like the Portfolio's own writes.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from caio_tui.domain import staleness
from caio_tui.domain.gates import GateResult, GateRules, evaluate, parse_rules
from caio_tui.domain.pilots import PilotRecord
from caio_tui.domain.stages import Stage
from caio_tui.domain.staleness import DecidedState, GateState, Regression
from caio_tui.store import rows, seeding, writes
from caio_tui.store.errors import GateRefused, StoreError
from caio_tui.store.portfolio import Portfolio


class RulesVersion(BaseModel):
    """One version of a portfolio's gate rules: who made it current, and when."""

    model_config = ConfigDict(frozen=True, defer_build=True)
    version: int
    created_at: datetime
    actor: str
    gates: int
    rules: int


class Recheck(BaseModel):
    """What a re-check found: the gate result, and what had made the approval stale (if anything)."""

    model_config = ConfigDict(frozen=True, defer_build=True)
    result: GateResult
    regressions: tuple[Regression, ...]
    override: str = ""


def replace_rules(portfolio: Portfolio, rules: GateRules, source: str, *, allow_empty: bool = False) -> int:
    """Make `rules` the portfolio's gate rules as a new version; returns the version now current.

    Rules equal to the current ones change nothing (no new version, no event). Rules that name areas,
    items or tags the portfolio does not know, or gate a stage twice, are refused; so are rules with no
    rule at all (every move would pass every gate) unless allow_empty. The event keeps the rules replaced
    and the rules loaded, so undo can put the old ones back and the trail alone says what changed."""
    if not rules.rule_count() and not allow_empty:
        raise StoreError(
            f"{source}: holds no gate rules, so every move would pass every gate; the rules were not changed"
        )
    problems = rules.problems(portfolio.catalog(), [t.tag for t in portfolio.tags()])
    if problems:
        first = problems[0]
        where = f"gate {first.gate + 1}" + ("" if first.rule is None else f", rule {first.rule + 1}")
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise StoreError(f"{source}: {where}: {first.message}{more}; the rules were not changed")
    with portfolio.session.transaction():
        before = portfolio.rules_version()
        row = portfolio.session.one("SELECT rules FROM gate_rules WHERE version = ?", (before,))
        old = parse_rules(json.loads(row["rules"])) if row is not None else portfolio.rules()
        if row is not None and old == rules:
            return before
        seeding.insert_rules(portfolio, rules)
        after = before + 1
        summary = f"gate rules version {after} ({len(rules.gates)} gates, {rules.rule_count()} rules) from {source}"
        portfolio.append_event(
            "rules.replace",
            None,
            {"version": before, "rules": _as_json(old)},
            {
                "version": after,
                "gates": len(rules.gates),
                "rule_count": rules.rule_count(),
                "rules": _as_json(rules),
                "summary": summary,
            },
            source=source,
        )
    return after


def _as_json(rules: GateRules) -> Any:
    return json.loads(rules.model_dump_json(by_alias=True))


def rules_history(portfolio: Portfolio) -> list[RulesVersion]:
    """Every version of the rules, oldest first."""
    found = []
    for row in portfolio.session.read("SELECT version, rules, created_at, actor FROM gate_rules ORDER BY version"):
        rules = parse_rules(json.loads(row["rules"]))
        found.append(
            RulesVersion(
                version=row["version"],
                created_at=rows.parse_time(row["created_at"]),
                actor=row["actor"],
                gates=len(rules.gates),
                rules=rules.rule_count(),
            )
        )
    return found


def rules_at(portfolio: Portfolio, version: int) -> GateRules:
    row = portfolio.session.one("SELECT rules FROM gate_rules WHERE version = ?", (version,))
    if row is None:
        raise StoreError(f"no gate rules version {version} (the current one is {portfolio.rules_version()})")
    return parse_rules(json.loads(row["rules"]))


def stale_reasons(portfolio: Portfolio, pilot_id: str) -> list[Regression]:
    """Why the pilot's approval is stale: how its state fell below the one the last gate decision was
    made on. Empty when the approval holds (or the pilot's last move crossed no gate)."""
    decided = portfolio.decided_state(pilot_id)
    if decided is None:
        portfolio.get(pilot_id)  # an unknown pilot is an error, not "no reasons"
        return []
    return staleness.regressions(decided, GateState.of(portfolio.record(pilot_id)))


def _last_gated_move(portfolio: Portfolio, pilot_id: str) -> tuple[int, DecidedState]:
    row = portfolio.session.one(
        "SELECT id, decided_state FROM stage_move WHERE pilot_id = ? ORDER BY id DESC LIMIT 1", (pilot_id,)
    )
    if row is None or not row["decided_state"]:
        stage = portfolio.get(pilot_id).stage.value
        raise StoreError(f"{pilot_id} entered {stage} without passing a gate; there is no approval to re-check")
    decided = portfolio.decided_state(pilot_id)
    assert decided is not None
    return int(row["id"]), decided


class RecheckPreview(BaseModel):
    """What re-checking a pilot's approval would decide now, before anything is written."""

    model_config = ConfigDict(frozen=True, defer_build=True)
    from_stage: Stage
    to_stage: Stage
    result: GateResult
    regressions: tuple[Regression, ...]


def _preview(portfolio: Portfolio, pilot_id: str) -> tuple[int, RecheckPreview, PilotRecord]:
    move_id, decided = _last_gated_move(portfolio, pilot_id)
    record = portfolio.record(pilot_id)
    found = staleness.regressions(decided, GateState.of(record))
    # Evaluate as the move did: from the stage it left, into the stage it entered.
    before_move = record.model_copy(update={"pilot": record.pilot.model_copy(update={"stage": decided.from_stage})})
    result = evaluate(before_move, decided.to_stage, portfolio.rules(), portfolio.catalog())
    preview = RecheckPreview(
        from_stage=decided.from_stage, to_stage=decided.to_stage, result=result, regressions=tuple(found)
    )
    return move_id, preview, before_move


def preview_recheck(portfolio: Portfolio, pilot_id: str) -> RecheckPreview:
    """The gate the pilot's last move passed, checked against its state now and the current rules, and
    what has regressed since: what `recheck` would decide. Writes nothing."""
    return _preview(portfolio, pilot_id)[1]


def recheck(portfolio: Portfolio, pilot_id: str, *, override: str | None = None) -> Recheck:
    """Check again the gate(s) the pilot's last move passed, against its state now and the current rules.

    When they pass (or a written override justification is given), the approval is decided afresh on
    today's state and the stale flag clears; otherwise GateRefused, and nothing changes. One audit event
    "gate.recheck" records the result, what had regressed, and any override."""
    justification = (override or "").strip()
    if override is not None and not justification:
        raise StoreError("an override needs a written justification")
    with portfolio.session.transaction():
        move_id, preview, before_move = _preview(portfolio, pilot_id)
        result, found = preview.result, list(preview.regressions)
        rules, catalog = portfolio.rules(), portfolio.catalog()
        if not result.passed and not justification:
            raise GateRefused(result)
        refused = None if result.passed else rules.override_refusal(justification)
        if refused:
            raise StoreError(refused)
        if result.passed:
            justification = ""
        fresh = staleness.decide(before_move, result, rules, catalog, override=justification)
        assert fresh is not None  # the move crossed a gate, so its re-check does too
        now = portfolio.timestamp()
        portfolio.conn.execute(
            "INSERT INTO gate_recheck (move_id, checked_at, actor, override, decided_state) VALUES (?, ?, ?, ?, ?)",
            (move_id, now, portfolio.actor, justification, fresh.model_dump_json()),
        )
        stale_before = portfolio.get(pilot_id).approval_stale
        portfolio.conn.execute("UPDATE pilot SET approval_stale = 0 WHERE id = ?", (pilot_id,))
        writes.refresh(portfolio, pilot_id)
        failed = [f"{f.rule}: {f.reason}" for f in result.failures]
        summary = f"re-checked the gate into {preview.to_stage.value}: {fresh.result}"
        portfolio.append_event(
            "gate.recheck",
            pilot_id,
            {"approval_stale": stale_before, "regressions": [r.text for r in found]},
            {
                "approval_stale": False,
                "stage": preview.to_stage.value,
                "gate": fresh.result,
                "override": justification,
                "failed_rules": failed,
                "summary": summary + (f" (override: {justification})" if justification else ""),
            },
        )
    return Recheck(result=result, regressions=tuple(found), override=justification)


__all__ = [
    "Recheck",
    "RecheckPreview",
    "RulesVersion",
    "preview_recheck",
    "recheck",
    "replace_rules",
    "rules_at",
    "rules_history",
    "stale_reasons",
]
