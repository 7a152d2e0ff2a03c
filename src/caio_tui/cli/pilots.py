"""The pilot commands: `list` and `show` to read, `add`, `tag`, `untag`, `set-coverage`, `promote` and
`demote` to change one pilot (a refused gate exits 3, with the least that would pass)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from caio_tui.cli.plumbing import (
    EXIT_GATE_REFUSED,
    CliError,
    CliUsageError,
    db_option,
    first_line,
    opened,
    print_json,
    report_refusal,
    rich_console,
    say,
)

if TYPE_CHECKING:
    from caio_tui.domain.gates import GateResult


@click.command("list")
@db_option
@click.option("--stage", "stages", multiple=True, help="Only this stage (repeatable).")
@click.option(
    "--blocker",
    "blockers",
    multiple=True,
    help="Only pilots with this open blocker tag (a,b: either; repeatable: each).",
)
@click.option(
    "--territory", "territories", multiple=True, help="clear, infrastructure, organizational, both or unassessed."
)
@click.option(
    "--stalled", is_flag=True, help="Only stalled pilots: in pilot or readiness over stalled_days (default 180)."
)
@click.option(
    "--filter",
    "query",
    default="",
    help="A filter as typed in the app, e.g. 'stage:pilot,readiness category:identity -stalled claims'.",
)
@click.option(
    "--sort",
    default="id",
    show_default=True,
    help="id, name, office, stage, readiness, territory, blockers, days.",
)
@click.option("--reverse", is_flag=True, help="Reverse the order.")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of pilot objects.")
@click.pass_context
def list_(
    ctx: click.Context,
    stages: tuple[str, ...],
    blockers: tuple[str, ...],
    territories: tuple[str, ...],
    stalled: bool,
    query: str,
    sort: str,
    reverse: bool,
    as_json: bool,
) -> None:
    """Pilots, as a table or JSON."""
    from caio_tui.domain.filters import parse_filter
    from caio_tui.store.queries import SortKey

    # The options are tokens of the filter, so the same checks and hints apply (`--blocker a,b`: either);
    # a stage in quotes, as its label may hold spaces.
    words = [query, *(f'stage:"{s}"' for s in stages), *(f"blocker:{b}" for b in blockers)]
    words += [f"territory:{t}" for t in territories] + (["stalled"] if stalled else [])
    try:
        sort_key = SortKey(sort)
    except ValueError:
        raise CliUsageError(f"unknown sort {sort!r}; expected one of {', '.join(SortKey)}") from None

    with opened(ctx) as portfolio:
        from caio_tui.io.views import pilots_json

        text = " ".join(w for w in words if w)
        try:
            pilot_filter = parse_filter(text, portfolio.filter_vocabulary(offices="office:" in text.lower()))
        except ValueError as exc:
            raise CliUsageError(first_line(exc)) from None
        found = pilots_json(portfolio, portfolio.pilots(pilot_filter, sort=sort_key, descending=reverse))
    if as_json:
        print_json(found)
        return
    _print_pilot_table(found)


def _print_pilot_table(found: list[dict[str, Any]]) -> None:
    """Fixed columns, with name and office sharing what the terminal has left."""
    import shutil

    from caio_tui.domain.text import clip, printable

    width = shutil.get_terminal_size((120, 24)).columns
    id_width = max([2, *(len(p["id"]) for p in found)])
    fixed = {"Stage": 10, "Ready": 5, "Territory": 14, "Blockers": 28, "Days": 5}
    if width < 100:
        fixed = {"Stage": 10, "Ready": 5, "Blockers": 22, "Days": 5}
    spare = max(20, width - id_width - sum(fixed.values()) - len(fixed) - 3)
    name_width, office_width = spare * 3 // 5, spare - spare * 3 // 5

    def line(cells: dict[str, str]) -> str:
        parts = [
            clip(cells["ID"], id_width).ljust(id_width),
            clip(cells["Name"], name_width).ljust(name_width),
            clip(cells["Office"], office_width).ljust(office_width),
        ]
        for label, size in fixed.items():
            text = clip(cells[label], size)
            parts.append(text.rjust(size) if label in ("Ready", "Days") else text.ljust(size))
        return " ".join(parts).rstrip()

    heading = {k: k for k in ("ID", "Name", "Office", *fixed)}
    click.echo(click.style(line(heading), bold=True))
    for p in found:
        blockers = f"{len(p['open_blockers'])} {p['open_blockers'][0]}" if p["open_blockers"] else ""
        cells = {
            "ID": p["id"],
            "Name": p["name"],
            "Office": p["office"],
            "Stage": p["stage"],
            "Ready": f"{round(p['readiness'] * 100)}%",
            "Territory": p["territory"],
            "Blockers": blockers,
            "Days": f"{p['days_in_stage']}" + ("!" if p["stalled"] else ""),
        }
        click.echo(line({k: printable(v) for k, v in cells.items()}))
    stalled = sum(1 for p in found if p["stalled"])
    click.echo(f"{len(found)} pilot(s)" + (f", {stalled} stalled (!)" if stalled else ""))


@click.command()
@db_option
@click.argument("pilot")
@click.option("--json", "as_json", is_flag=True, help="One pilot object with coverage, blockers, stage_history.")
@click.pass_context
def show(ctx: click.Context, pilot: str, as_json: bool) -> None:
    """One pilot with coverage, blockers and stage history."""
    from caio_tui.io.views import record_json
    from caio_tui.store import office_queue

    with opened(ctx) as portfolio:
        data = record_json(portfolio, portfolio.record(pilot))
        gate = portfolio.check_gate(pilot) if portfolio.get(pilot).stage.next() else None
        waiting = office_queue.waiting_for(portfolio, data["id"])
    if as_json:
        print_json(data)
        return
    _print_record(data, gate)
    if waiting:
        say(f"{waiting}: see 'caio-tui conflicts'")


def _print_record(data: dict[str, Any], gate: GateResult | None) -> None:
    from rich.text import Text

    from caio_tui.domain.coverage import CoverageStatus
    from caio_tui.domain.text import printable

    out_console = rich_console()

    def out(text: str, style: str = "") -> None:
        out_console.print(Text(printable(text), style=style))

    out(f"{data['id']}  {data['name']}", "bold")
    out(
        f"office: {data['office']}   owner: {data['owner']}   stage: {data['stage']} "
        f"({data['days_in_stage']} days{', stalled' if data['stalled'] else ''})",
        "",
    )
    out(
        f"readiness {round(data['readiness'] * 100)}%   territory {data['territory']}"
        + ("   high-impact" if data["high_impact"] else ""),
        "",
    )
    area = None
    for entry in data["coverage"]:
        if entry["area"] != area:
            area = entry["area"]
            out_console.print()
            out(area, "bold")
        status = CoverageStatus(entry["status"])
        detail = entry["evidence"] or entry["justification"]
        out(f"  {status.glyph} {entry['item']:<36} {status.value:<14} {detail}", "")
    out_console.print()
    out("blockers", "bold")
    for b in data["blockers"] or []:
        state = "open" if b["open"] else f"resolved {b['resolved_at'][:10]}"
        out(f"  {b['tag']} ({b['category']}, {state}) {b['note']}", "")
        if b.get("resolution"):
            out(f"    how it was resolved: {b['resolution']}", "")
    out_console.print()
    out("stage history", "bold")
    for m in data["stage_history"]:
        extra = f"  override: {m['override']}" if m["override"] else ""
        out(f"  {m['moved_at'][:10]} {m['from'] or '-'} → {m['to']} by {m['actor']}{extra}", "")
    if gate is not None:
        verdict = "passes" if gate.passed else "refuses"
        out_console.print()
        out(f"gate into {gate.to_stage.value}: {verdict}", "bold")
        for failure in gate.failures:
            out(f"  ✗ {failure.rule}: {failure.reason}", "")


@click.command()
@db_option
@click.argument("pilot")
@click.argument("tag")
@click.option("--note", default="", help="What the blocker is, in a sentence.")
@click.option(
    "--category",
    help="Create TAG first as a custom tag of this category (identity, infrastructure, governance, organizational).",
)
@click.pass_context
def tag(ctx: click.Context, pilot: str, tag: str, note: str, category: str | None) -> None:
    """Open a blocker TAG on PILOT."""
    from caio_tui.domain.territory import BlockerCategory

    try:
        kind = BlockerCategory(category.strip().lower()) if category else None
    except ValueError:
        valid = ", ".join(c.value for c in BlockerCategory)
        raise CliUsageError(f"unknown category {category!r}; expected one of {valid}") from None
    with opened(ctx) as portfolio:
        if kind:
            portfolio.create_tag(tag, kind)
        portfolio.open_blocker(pilot, tag, note=note)
        say(f"{pilot}: opened {tag}; territory now {portfolio.get(pilot).territory.value}")


@click.command()
@db_option
@click.argument("pilot")
@click.argument("tag")
@click.option("--note", default="", help="How it was resolved (kept as the resolution, beside the opening note).")
@click.pass_context
def untag(ctx: click.Context, pilot: str, tag: str, note: str) -> None:
    """Resolve PILOT's open TAG blocker (it stays in the history)."""
    with opened(ctx) as portfolio:
        portfolio.resolve_blocker(pilot, tag, resolution=note)
        say(f"{pilot}: resolved {tag}; territory now {portfolio.get(pilot).territory.value}")


@click.command("set-coverage")
@db_option
@click.argument("pilot")
@click.argument("item")
@click.argument("status")
@click.option("--evidence", help="A note or reference that supports the status.")
@click.option("--justification", help="Why (required for waived and not_applicable).")
@click.pass_context
def set_coverage(
    ctx: click.Context, pilot: str, item: str, status: str, evidence: str | None, justification: str | None
) -> None:
    """Set one requirement ITEM of PILOT to STATUS (not_assessed, gap, partial, met, waived, not_applicable)."""
    from caio_tui.domain.coverage import parse_status

    try:
        parsed = parse_status(status)
    except ValueError as exc:
        raise CliUsageError(str(exc)) from None
    with opened(ctx) as portfolio:
        portfolio.set_coverage(pilot, item, parsed, evidence=evidence, justification=justification)
        say(f"{pilot}: {item} is {parsed.value}; readiness now {round(portfolio.get(pilot).readiness * 100)}%")


@click.command()
@db_option
@click.argument("pilot")
@click.option("--to", "to_stage", help="Target stage (default: the next one).")
@click.option("--override", help="Move even if the gate refuses; a written justification is required.")
@click.pass_context
def promote(ctx: click.Context, pilot: str, to_stage: str | None, override: str | None) -> None:
    """Move PILOT forward through the gate (exit 3 when the gate refuses)."""
    from caio_tui.domain.stages import parse_stage
    from caio_tui.store.portfolio import GateRefused

    with opened(ctx) as portfolio:
        current = portfolio.get(pilot).stage
        try:
            target = parse_stage(to_stage) if to_stage else current.next()
        except ValueError as exc:
            raise CliUsageError(str(exc)) from None
        if target is None:
            raise CliError(f"{pilot} is {current.value}: there is no stage after it")
        try:
            result = portfolio.move(pilot, target, override=override)
        except GateRefused as refused:
            report_refusal(refused.result)
            ctx.exit(EXIT_GATE_REFUSED)
        note = " (gate overridden)" if not result.passed else ""
        say(f"{pilot}: {current.value} → {target.value}{note}")


@click.command()
@db_option
@click.argument("pilot")
@click.option("--to", "to_stage", help="Target stage (default: the previous one).")
@click.pass_context
def demote(ctx: click.Context, pilot: str, to_stage: str | None) -> None:
    """Move PILOT back a stage (no gate to pass)."""
    from caio_tui.domain.stages import PIPELINE, Stage, parse_stage

    with opened(ctx) as portfolio:
        current = portfolio.get(pilot).stage
        try:
            target = parse_stage(to_stage) if to_stage else current.previous()
        except ValueError as exc:
            raise CliUsageError(str(exc)) from None
        if current is Stage.RETIRED:
            raise CliError(f"{pilot} is retired; bring it back with 'caio-tui promote {pilot} --to STAGE'")
        if target is None:
            raise CliError(f"{pilot} is {current.value}: there is no stage before it")
        if target in PIPELINE and current in PIPELINE and PIPELINE.index(target) > PIPELINE.index(current):
            raise CliError(f"{target.value} is ahead of {current.value}; use promote")
        portfolio.move(pilot, target)
        say(f"{pilot}: {current.value} → {target.value}")


@click.command()
@db_option
@click.option("--name", required=True, help="The use case's name.")
@click.option("--office", default="", help="The program office.")
@click.option("--owner", default="", help="Who owns it.")
@click.option("--stage", default="intake", show_default=True, help="The stage it is in now.")
@click.option("--high-impact", is_flag=True, help="A high-impact use case (M-25-21 practices apply).")
@click.option("--description", default="", help="What it does, in plain words.")
@click.pass_context
def add(
    ctx: click.Context, name: str, office: str, owner: str, stage: str, high_impact: bool, description: str
) -> None:
    """Create a pilot and print its id."""
    from caio_tui.domain.pilots import PilotFields
    from caio_tui.domain.stages import parse_stage

    try:
        parsed = parse_stage(stage)
        fields = PilotFields(name=name, office=office, owner=owner, high_impact=high_impact, description=description)
    except ValueError as exc:
        raise CliUsageError(first_line(exc)) from None
    with opened(ctx) as portfolio:
        click.echo(portfolio.add_pilot(fields, stage=parsed))


COMMANDS = (list_, show, add, tag, untag, set_coverage, promote, demote)
