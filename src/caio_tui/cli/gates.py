"""`caio-tui gates ...`: the gate rules as data, and gate checks of one pilot, headless.

    gates show [--json | --toml] [--version N]   the rules, readably (or as JSON, or as a loadable file)
    gates check PILOT [--to STAGE] [--json]       pass or fail, each failing rule and why, least changes
    gates load FILE [--check]                     validate a rules file, then make it the current rules
    gates history                                 every version of the rules
    gates stale [PILOT] [--json]                  approvals whose state has regressed since, and how
    gates recheck PILOT [--override TEXT]         decide a stale approval afresh on today's state

Exit codes as everywhere: 0 ok (a check that passes), 1 error, 2 usage, 3 the gate refuses.
User text (rule descriptions, pilot names) is printed through domain.text.printable.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from caio_tui.cli.plumbing import (
    EXIT_ERROR,
    EXIT_GATE_REFUSED,
    CliError,
    CliUsageError,
    db_option,
    opened,
    print_json,
    say,
)

if TYPE_CHECKING:
    from caio_tui.domain.gates import Change, GateResult, GateRules
    from caio_tui.domain.staleness import Regression
    from caio_tui.store import Portfolio

# ---- shapes -------------------------------------------------------------------------------------------


def change_json(change: Change) -> dict[str, str]:
    return {"kind": change.kind, "target": change.target, "to": change.to, "text": change.text}


def result_json(result: GateResult) -> dict[str, Any]:
    return {
        "pilot": result.pilot_id,
        "from": result.from_stage.value,
        "to": result.to_stage.value,
        "passed": result.passed,
        "failures": [
            {"rule": f.rule, "reason": f.reason, "changes": [change_json(c) for c in f.changes]}
            for f in result.failures
        ],
        "least_changes": [change_json(c) for c in result.least_changes],
    }


def rules_json(rules: GateRules, version: int) -> dict[str, Any]:
    return {"version": version, **rules.model_dump(mode="json", by_alias=True, exclude={"version"})}


def rules_lines(rules: GateRules) -> list[str]:
    """The rules in words, gate by gate, in pipeline order."""
    from caio_tui.domain.gates import describe_rule
    from caio_tui.domain.stages import PIPELINE

    lines: list[str] = []
    for stage in PIPELINE[1:]:
        gate = rules.for_stage(stage)
        lines.append(f"into {stage.label} ({stage.value})")
        if not gate.rules:
            lines.append("  (no gate: every move into it passes)")
        for index, rule in enumerate(gate.rules, start=1):
            what = describe_rule(rule)
            lines.append(f"  #{index} {rule.description}: {what}" if rule.description else f"  #{index} {what}")
    return lines


def _print_result(result: GateResult) -> None:
    verdict = "passes" if result.passed else "refused"
    crossed = f"{result.from_stage.value} → {result.to_stage.value}"
    say(f"{result.pilot_id} {crossed}: the gate {verdict}", bold=True)
    for failure in result.failures:
        say(f"  ✗ {failure.rule}: {failure.reason}")
    if not result.passed:
        say("least that would pass:")
        for change in result.least_changes:
            say(f"  - {change.text}")


def _print_regressions(found: list[Regression]) -> None:
    for regression in found:
        say(f"  ! {regression.text}")


def _print_stale(reasons: list[Regression]) -> None:
    """The regressions of a stale approval; a flag outlives a regression undone since, until a re-check."""
    _print_regressions(reasons)
    if not reasons:
        say("  ! the state regressed since the decision and is back as it was; re-check to confirm")


def _read_file(path: Path) -> str:

    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CliError(f"{path}: is a folder, not a rules file") from None
    except UnicodeDecodeError:
        raise CliError(f"{path}: not UTF-8 text; a rules file is TOML") from None
    except OSError as exc:
        raise CliError(f"{path}: cannot read ({exc.strerror})") from None


def _parse_target(portfolio: Portfolio, pilot: str, to_stage: str | None) -> Any:
    """The stage a check aims at: --to, else the next stage."""
    from caio_tui.domain.stages import parse_stage

    current = portfolio.get(pilot).stage
    try:
        target = parse_stage(to_stage) if to_stage else current.next()
    except ValueError as exc:
        raise CliUsageError(str(exc)) from None
    if target is None:
        raise CliError(f"{pilot} is {current.value}: there is no stage after it (name one with --to)")
    if target is current:
        raise CliError(f"{pilot} is already in {current.value}; 'caio-tui gates recheck {pilot}' checks its gate again")
    return target


# ---- the commands -------------------------------------------------------------------------------------


@click.group("gates")
def gates() -> None:
    """Gate rules (data, versioned in the portfolio) and gate checks of a pilot."""


@gates.command("show")
@db_option
@click.option("--json", "as_json", is_flag=True, help="The rules as JSON.")
@click.option("--toml", "as_toml", is_flag=True, help="The rules as a TOML file to edit and load back.")
@click.option("--version", "version", type=click.IntRange(min=1), help="An earlier version of the rules.")
@click.pass_context
def show(ctx: click.Context, as_json: bool, as_toml: bool, version: int | None) -> None:
    """The current gate rules (or an earlier version), gate by gate."""
    from caio_tui.domain.gate_file import rules_toml
    from caio_tui.store.gates import rules_at

    if as_json and as_toml:
        raise CliUsageError("choose one of --json and --toml")
    with opened(ctx) as portfolio:
        current = portfolio.rules_version()
        shown = version or current
        rules = rules_at(portfolio, shown) if version else portfolio.rules()
        name = portfolio.name
    if as_json:
        print_json(rules_json(rules, shown))
    elif as_toml:
        heading = f"Gate rules of the portfolio {name!r}, version {shown}.\nLoad with: caio-tui gates load FILE"
        click.echo(rules_toml(rules, heading=heading), nl=False)
    else:
        note = "" if shown == current else f" (the current version is {current})"
        say(f"Gate rules, version {shown}{note}", bold=True)
        for line in rules_lines(rules):
            say(line)


@gates.command("check")
@db_option
@click.argument("pilot")
@click.option("--to", "to_stage", help="The stage to check a move into (default: the next one).")
@click.option("--json", "as_json", is_flag=True, help="The result as JSON.")
@click.pass_context
def check(ctx: click.Context, pilot: str, to_stage: str | None, as_json: bool) -> None:
    """Would PILOT pass the gate? Each failing rule with its reason, and the least set of changes that
    passes (exit 0 when it passes, 3 when it is refused). Changes nothing."""
    from caio_tui.store.gates import stale_reasons

    with opened(ctx) as portfolio:
        target = _parse_target(portfolio, pilot, to_stage)
        result = portfolio.check_gate(pilot, target)
        flagged = portfolio.get(pilot).approval_stale
        reasons = stale_reasons(portfolio, pilot)
    if as_json:
        print_json({**result_json(result), "approval_stale": flagged, "stale_reasons": [r.text for r in reasons]})
    else:
        _print_result(result)
        if flagged:
            say(f"approval stale: the gate {pilot} passed into its stage was decided on a state that regressed")
            _print_stale(reasons)
    if not result.passed:
        ctx.exit(EXIT_GATE_REFUSED)


@gates.command("load")
@db_option
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--check", "check_only", is_flag=True, help="Only validate the file; change nothing.")
@click.option(
    "--allow-empty", is_flag=True, help="Load a file with no rules at all (every move then passes every gate)."
)
@click.pass_context
def load(ctx: click.Context, file: Path, check_only: bool, allow_empty: bool) -> None:
    """Replace the gate rules with FILE (TOML, see `gates show --toml`), after validating it against
    the portfolio; a file with problems is refused with each problem's line and reason, and a file
    with no rules at all (an empty file removes every gate) without --allow-empty. `caio-tui undo`
    puts the rules it replaced back."""
    from caio_tui.domain.gate_file import read_rules
    from caio_tui.domain.gates import GateRulesError
    from caio_tui.store.gates import replace_rules

    text = _read_file(file)
    with opened(ctx) as portfolio:
        try:
            rules = read_rules(
                text, str(file), catalog=portfolio.catalog(), known_tags=[t.tag for t in portfolio.tags()]
            )
        except GateRulesError as exc:
            for problem in exc.problems:
                say(f"caio-tui: error: {problem}", err=True)
            say(f"caio-tui: {file}: refused; the rules were not changed", err=True)
            ctx.exit(EXIT_ERROR)
        empty = not rules.rule_count()
        if check_only:
            needs = " (it holds no rules: loading it needs --allow-empty)" if empty else ""
            say(f"{file}: valid ({len(rules.gates)} gates, {rules.rule_count()} rules){needs}; nothing was changed")
            return
        if empty and not allow_empty:
            raise CliError(
                f"{file}: holds no gate rules, so every move would pass every gate; "
                "load it with --allow-empty if that is meant; the rules were not changed"
            )
        before = portfolio.rules_version()
        after = replace_rules(portfolio, rules, source=file.name, allow_empty=allow_empty)
    if after == before:
        say(f"{file}: the same rules as version {after}; nothing was changed")
    else:
        say(f"gate rules version {after} from {file} ({len(rules.gates)} gates, {rules.rule_count()} rules)")


@gates.command("history")
@db_option
@click.option("--json", "as_json", is_flag=True, help="The versions as JSON.")
@click.pass_context
def history(ctx: click.Context, as_json: bool) -> None:
    """Every version of the gate rules: when, by whom, how many gates and rules."""
    from caio_tui.store.gates import rules_history

    with opened(ctx) as portfolio:
        versions = rules_history(portfolio)
    if as_json:
        print_json([v.model_dump(mode="json") for v in versions])
        return
    for v in versions:
        say(f"{v.version:>4}  {v.created_at:%Y-%m-%d %H:%M}  {v.actor:<16} {v.gates} gates, {v.rules} rules")


@gates.command("stale")
@db_option
@click.argument("pilot", required=False)
@click.option("--json", "as_json", is_flag=True, help="Stale pilots and their reasons as JSON.")
@click.pass_context
def stale(ctx: click.Context, pilot: str | None, as_json: bool) -> None:
    """Pilots whose approval is stale (the state regressed since the gate was passed or overridden),
    each with what regressed; with PILOT, that pilot only."""
    from caio_tui.domain.filters import PilotFilter
    from caio_tui.store.gates import stale_reasons

    with opened(ctx) as portfolio:
        pilots = [portfolio.get(pilot)] if pilot else portfolio.pilots(PilotFilter(approval_stale=True))
        found = [(p, stale_reasons(portfolio, p.id)) for p in pilots]
    if as_json:
        print_json(
            [
                {
                    "id": p.id,
                    "name": p.name,
                    "stage": p.stage.value,
                    "approval_stale": p.approval_stale,
                    "reasons": [r.text for r in reasons],
                }
                for p, reasons in found
            ]
        )
        return
    for p, reasons in found:
        if not p.approval_stale:
            say(f"{p.id}: the approval of its stage holds")
            continue
        say(f"{p.id} {p.name} ({p.stage.value}): approval stale", bold=True)
        _print_stale(reasons)
    if not pilot:
        say(f"{len(found)} pilot(s) with a stale approval")


@gates.command("recheck")
@db_option
@click.argument("pilot")
@click.option("--override", help="Re-approve even if the gate now refuses; a written justification.")
@click.pass_context
def recheck_(ctx: click.Context, pilot: str, override: str | None) -> None:
    """Check again the gate PILOT's last move passed, against its state now. If it passes (or with
    --override), the approval is decided afresh and the stale flag clears; exit 3 when it refuses."""
    from caio_tui.store.gates import recheck
    from caio_tui.store.portfolio import GateRefused

    with opened(ctx) as portfolio:
        try:
            done = recheck(portfolio, pilot, override=override)
        except GateRefused as refused:
            _print_result(refused.result)
            say("(the approval stays stale; re-approve anyway with --override JUSTIFICATION)")
            ctx.exit(EXIT_GATE_REFUSED)
    stage = done.result.to_stage.value
    if done.override:
        say(f"{pilot}: the gate into {stage} re-approved by override; approval current")
    else:
        say(f"{pilot}: the gate into {stage} passes; approval current")
    if done.regressions:
        say("it had been stale because:")
        _print_regressions(list(done.regressions))


COMMANDS = (gates,)

__all__ = ["COMMANDS", "result_json", "rules_json", "rules_lines"]
