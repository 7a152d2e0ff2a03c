"""What waits after office bundles merged, headless: `conflicts [--json]` lists the conflicts (base / CAIO /
office) and the stage requests; `resolve ID --take caio|office`, `resolve ID --value TEXT` settles a
conflict, `resolve --request ID --move [--override TEXT] | --decline` decides a stage request (through the
gate exactly as `promote`: exit 3 with the failed rules when it refuses)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from caio_tui.cli.plumbing import (
    EXIT_GATE_REFUSED,
    CliUsageError,
    db_option,
    opened,
    print_json,
    report_refusal,
    say,
)

if TYPE_CHECKING:
    from caio_tui.store.office_queue import WaitingConflict, WaitingRequest

NO_BUNDLE = "no bundle merged yet: an office's changes arrive with 'caio-tui merge FILE'"
NOTHING_WAITS = "nothing waits: every conflict is resolved and every stage request decided"


@click.command()
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def conflicts(ctx: click.Context, as_json: bool) -> None:
    """What office bundles left waiting: conflicts (a field both sides changed) and stage requests."""
    from caio_tui.store import office_queue

    with opened(ctx) as portfolio:
        found, asked = office_queue.conflicts(portfolio), office_queue.requests(portfolio)
        merged = office_queue.merged_any(portfolio)
    if as_json:
        print_json({"conflicts": [_conflict_json(c) for c in found], "requests": [_request_json(r) for r in asked]})
        return
    if not found and not asked:
        say(NOTHING_WAITS if merged else NO_BUNDLE)
        return
    if found:
        say("conflicts (settle each: 'caio-tui resolve ID --take caio|office' or 'caio-tui resolve ID --value TEXT'):")
    for c in found:
        for line in _conflict_lines(c):
            say(line)
    if asked:
        say("stage requests (pass them through the gate: 'caio-tui resolve --request ID --move' or '--decline'):")
    for r in asked:
        for line in _request_lines(r):
            say(line)


def _request_lines(r: WaitingRequest) -> list[str]:
    from caio_tui.domain.office_values import office_named, stage_title

    move = f"{stage_title(r.current)} → {stage_title(r.requested)}"
    lines = [f"#{r.id} {r.pilot_id} {r.pilot_name}: {office_named(r.office_name)} asks {move}"]
    return lines + ([f"    its note: {r.note}"] if r.note else [])


def _conflict_lines(c: WaitingConflict) -> list[str]:
    from caio_tui.domain.office_values import describe, office_named

    return [
        f"#{c.id} {c.pilot_id} {c.pilot_name} · {c.key} · {office_named(c.office_name)}",
        f"    base: {describe(c.kind, c.base)}",
        f"    CAIO: {describe(c.kind, c.caio)}",
        f"    office: {describe(c.kind, c.office)}",
    ]


def _conflict_json(c: WaitingConflict) -> dict[str, Any]:
    return {
        "id": c.id,
        "pilot": c.pilot_id,
        "pilot_name": c.pilot_name,
        "kind": c.kind,
        "field": c.name,
        "base": _side_json(c, c.base),
        "caio": _side_json(c, c.caio),
        "office": _side_json(c, c.office),
        "office_name": c.office_name,
        "bundle": c.bundle_head,
    }


def _side_json(c: WaitingConflict, value: Any) -> Any:
    """One side, labelled: a coverage triple as its three names, a blocker as open and its note."""
    if c.kind == "coverage":
        status, evidence, justification = value
        return {"status": status, "evidence": evidence, "justification": justification}
    if c.kind == "blocker":
        return {"open": value is not None, "note": value}
    return value


def _request_json(r: WaitingRequest) -> dict[str, Any]:
    return {
        "id": r.id,
        "pilot": r.pilot_id,
        "pilot_name": r.pilot_name,
        "office_name": r.office_name,
        "current": r.current,
        "requested": r.requested,
        "stage_now": r.stage_now,
        "note": r.note,
        "bundle": r.bundle_head,
    }


@click.command()
@db_option
@click.argument("conflict_id", metavar="ID", type=int, required=False)
@click.option("--take", type=click.Choice(["caio", "office"]), help="Keep the CAIO's value or take the office's.")
@click.option("--value", help="Set this value instead (checked as the field's type).")
@click.option("--request", "request_id", type=int, help="Decide this stage request instead of a conflict.")
@click.option("--move", is_flag=True, help="Pass the request's pilot through the gate into the stage it asks.")
@click.option("--override", help="Move even if the gate refuses; a written justification is required.")
@click.option("--decline", is_flag=True, help="Decline the request: the pilot stays where it is.")
@click.pass_context
def resolve(
    ctx: click.Context,
    conflict_id: int | None,
    take: str | None,
    value: str | None,
    request_id: int | None,
    move: bool,
    override: str | None,
    decline: bool,
) -> None:
    """Settle conflict ID (--take caio|office, or --value TEXT), or decide a stage request (--request ID
    --move [--override TEXT] or --decline). Exit 3 when the gate refuses the move."""
    if (conflict_id is None) == (request_id is None):
        raise CliUsageError("give a conflict ID or --request ID (one of the two)")
    if conflict_id is not None:
        if move or decline or override is not None:
            raise CliUsageError("--move, --decline and --override decide a stage request: use --request ID")
        if (take is None) == (value is None):
            raise CliUsageError("give --take caio|office or --value TEXT (one of the two)")
        _resolve_conflict(ctx, conflict_id, take, value)
        return
    if take is not None or value is not None:
        raise CliUsageError("--take and --value settle a conflict, not a stage request")
    if move == decline:
        raise CliUsageError("give --move or --decline (one of the two)")
    if override is not None and not move:
        raise CliUsageError("--override goes with --move")
    assert request_id is not None
    _decide_request(ctx, request_id, move, override)


def _resolve_conflict(ctx: click.Context, conflict_id: int, take: str | None, value: str | None) -> None:
    from caio_tui.store import office_decisions, office_queue

    with opened(ctx) as portfolio:
        row = office_queue.conflict_row(portfolio, conflict_id)
        edited = None
        if value is not None and row is not None and row["resolved_at"] is None:
            try:
                edited = office_decisions.edited_value(portfolio, row["kind"], row["name"], value)
            except ValueError as exc:
                raise CliUsageError(str(exc)) from None
        chosen: Any = take or "edited"
        say(office_decisions.resolve_conflict(portfolio, conflict_id, chosen, edited))


def _decide_request(ctx: click.Context, request_id: int, move: bool, override: str | None) -> None:
    from caio_tui.store import office_decisions
    from caio_tui.store.errors import GateRefused

    with opened(ctx) as portfolio:
        try:
            say(office_decisions.decide_request(portfolio, request_id, move=move, override=override))
        except GateRefused as refused:
            report_refusal(refused.result)
            ctx.exit(EXIT_GATE_REFUSED)


COMMANDS = (conflicts, resolve)
