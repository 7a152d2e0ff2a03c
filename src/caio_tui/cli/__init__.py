"""The headless command line: everything the TUI does, scriptable.

Exit codes: 0 success; 1 error (one line on stderr); 2 usage error; 3 the gate refused the move.
Heavy modules are imported inside the commands so `--version` and `--help` stay fast.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from caio_tui import __version__

if TYPE_CHECKING:
    from caio_tui.domain.gates import GateResult
    from caio_tui.store import Portfolio

F = TypeVar("F", bound=Callable[..., Any])
EXIT_ERROR, EXIT_USAGE, EXIT_GATE_REFUSED = 1, 2, 3


class CliError(click.ClickException):
    exit_code = EXIT_ERROR

    def show(self, file: Any = None) -> None:
        from caio_tui.domain.text import printable

        click.echo(f"caio-tui: error: {printable(self.format_message())}", err=True)


class CliUsageError(CliError):
    """A bad value on the command line (unknown stage, status, sort, ...): one line, exit 2."""

    exit_code = EXIT_USAGE


def _store_db(ctx: click.Context, _param: click.Parameter, value: Path | None) -> Path | None:
    if value is not None:
        ctx.find_root().ensure_object(dict)["db"] = value
    return value


def db_option(func: F) -> F:
    """--db PATH, accepted before the command and after it."""
    return click.option(
        "--db",
        type=click.Path(path_type=Path),  # a folder is refused by the store, in its one line
        callback=_store_db,
        expose_value=False,
        is_eager=True,
        help="Portfolio file (default: $CAIO_TUI_DB, else the user data folder).",
    )(func)


def db_path(ctx: click.Context) -> Path:
    chosen = (ctx.find_root().obj or {}).get("db")
    if chosen:
        return Path(chosen)
    if os.environ.get("CAIO_TUI_DB"):
        return Path(os.environ["CAIO_TUI_DB"])
    from caio_tui.config import default_db_path

    return default_db_path()


@contextmanager
def opened(ctx: click.Context, *, create: bool = False, name: str | None = None) -> Iterator[Portfolio]:
    """The portfolio, with store errors turned into one-line messages."""
    from caio_tui.config import load_settings
    from caio_tui.store import Portfolio, StoreError

    settings = load_settings()
    try:
        with Portfolio.open(
            db_path(ctx), actor=settings.actor, create=create, stalled_days=settings.stalled_days, name=name
        ) as portfolio:
            yield portfolio
    except StoreError as exc:
        raise CliError(str(exc)) from None
    except ValueError as exc:  # pydantic and parse errors: a bad value given on the command line
        raise CliError(_first_line(exc)) from None
    except sqlite3.DatabaseError as exc:  # a safety net for store code that reads outside Portfolio._read
        raise CliError(f"{db_path(ctx)}: cannot read the portfolio ({exc})") from None


def _first_line(exc: Exception) -> str:
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        message = str(err["msg"]).removeprefix("Value error, ")
        return f"{where}: {message}" if where else message
    return str(exc).splitlines()[0]


def _console() -> Any:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


def _say(text: str) -> None:
    """One line of output that may hold user text: control characters never reach the terminal raw."""
    from caio_tui.domain.text import printable

    click.echo(printable(text))


# DEL, C1 controls (0x9b starts an escape sequence on some terminals) and direction overrides are
# escaped inside JSON strings, the only place they can occur, so the output stays valid JSON.
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _print_json(data: Any) -> None:
    text = json.dumps(data, indent=2, ensure_ascii=False)
    click.echo(_UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text))


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="caio-tui", message="%(prog)s %(version)s")
@db_option
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Triage a portfolio of AI pilots: why each is stuck, what it still needs, and the gated way to
    production. With no command, opens the terminal app."""
    if ctx.invoked_subcommand is None:
        _run_app(ctx, create=True)


def _run_app(ctx: click.Context, *, create: bool) -> None:
    from caio_tui.config import load_settings
    from caio_tui.store import Portfolio, StoreError

    settings = load_settings()
    path = db_path(ctx)
    try:  # open once here so a bad file gives one line before the screen is taken over
        Portfolio.open(path, actor=settings.actor, create=create, stalled_days=settings.stalled_days).close()
    except StoreError as exc:
        raise CliError(str(exc)) from None
    from caio_tui.tui.app import CaioApp

    CaioApp(path, settings).run()


@cli.command()
@db_option
@click.option("--sample", default="civilian-agency", show_default=True, help="Sample portfolio to load.")
@click.pass_context
def demo(ctx: click.Context, sample: str) -> None:
    """Copy a sample portfolio to a fresh file and open the app on it.

    The file is demo.db in the user data folder (replaced each time) unless --db names another;
    an existing --db file is never overwritten."""
    from platformdirs import user_data_dir

    from caio_tui.io.samples import load_sample, read_sample
    from caio_tui.store import StoreError

    try:
        title = read_sample(sample).name  # before any file is touched
    except StoreError as exc:
        raise CliError(str(exc)) from None
    root = ctx.find_root().obj or {}
    if not root.get("db"):
        target = Path(user_data_dir("caio-tui")) / "demo.db"
        for leftover in (target, target.with_name("demo.db-wal"), target.with_name("demo.db-shm")):
            leftover.unlink(missing_ok=True)
        ctx.find_root().ensure_object(dict)["db"] = target
    elif db_path(ctx).exists():
        raise CliError(f"{db_path(ctx)}: exists already; demo needs a fresh file (or leave out --db)")
    with opened(ctx, create=True, name=title) as portfolio:
        try:
            load_sample(portfolio, sample)
        except Exception as exc:
            raise CliError(str(exc)) from None
    _run_app(ctx, create=False)


@cli.command()
@db_option
@click.option("--sample", help="Load this sample portfolio into the new file (see 'caio-tui samples').")
@click.option("--name", help="The portfolio's name (default: the file name).")
@click.pass_context
def init(ctx: click.Context, sample: str | None, name: str | None) -> None:
    """Create the portfolio file (mode 0600), optionally loaded with a sample."""
    from caio_tui.config import load_settings
    from caio_tui.io.samples import load_sample, read_sample
    from caio_tui.store import Portfolio, StoreError
    from caio_tui.store.database import new_portfolio

    path = db_path(ctx)
    if path.exists() or path.is_symlink():
        link = " (a symbolic link to a missing file)" if not path.exists() else ""
        raise CliError(f"{path}: exists already{link}; nothing was changed")
    try:
        title = name or (read_sample(sample).name if sample else None)
    except StoreError as exc:
        raise CliError(str(exc)) from None
    try:
        # Built whole in private, then published in one link: a failure leaves nothing, and never removes a
        # file another program created at the same name meanwhile (it is refused, and kept).
        with (
            new_portfolio(path) as building,
            Portfolio.open(building, actor=load_settings().actor, create=True, name=title) as portfolio,
        ):
            added = load_sample(portfolio, sample) if sample else 0
    except StoreError as exc:
        raise CliError(str(exc)) from None
    _say(f"created {path}" + (f" with {added} pilots from the {sample} sample" if sample else ""))


@cli.command()
def samples() -> None:
    """List the sample portfolios."""
    from caio_tui.io.samples import read_sample, sample_names

    for name in sample_names():
        sample = read_sample(name)
        click.echo(f"{name:<18} {len(sample.pilots):>3} pilots  {sample.description}")


@cli.command("list")
@db_option
@click.option("--stage", "stages", multiple=True, help="Only this stage (repeatable).")
@click.option("--blocker", "blockers", multiple=True, help="Only pilots with this open blocker tag.")
@click.option("--territory", "territories", multiple=True, help="clear, infrastructure, organizational or both.")
@click.option("--stalled", is_flag=True, help="Only stalled pilots (extended evaluations).")
@click.option("--filter", "query", default="", help="A filter as typed in the app, e.g. 'stage:pilot claims'.")
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

    words = [query, *(f"stage:{s}" for s in stages), *(f"blocker:{b}" for b in blockers)]
    words += [f"territory:{t}" for t in territories] + (["stalled"] if stalled else [])
    try:
        pilot_filter = parse_filter(" ".join(w for w in words if w))
    except ValueError as exc:
        raise CliUsageError(_first_line(exc)) from None
    try:
        sort_key = SortKey(sort)
    except ValueError:
        raise CliUsageError(f"unknown sort {sort!r}; expected one of {', '.join(SortKey)}") from None

    with opened(ctx) as portfolio:
        from caio_tui.io.views import pilots_json

        found = pilots_json(portfolio, portfolio.pilots(pilot_filter, sort=sort_key, descending=reverse))
    if as_json:
        _print_json(found)
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


@cli.command()
@db_option
@click.argument("pilot")
@click.option("--json", "as_json", is_flag=True, help="One pilot object with coverage, blockers, stage_history.")
@click.pass_context
def show(ctx: click.Context, pilot: str, as_json: bool) -> None:
    """One pilot with coverage, blockers and stage history."""
    from caio_tui.io.views import record_json

    with opened(ctx) as portfolio:
        data = record_json(portfolio, portfolio.record(pilot))
        gate = portfolio.check_gate(pilot) if portfolio.get(pilot).stage.next() else None
    if as_json:
        _print_json(data)
        return
    _print_record(data, gate)


def _print_record(data: dict[str, Any], gate: GateResult | None) -> None:
    from rich.text import Text

    from caio_tui.domain.coverage import CoverageStatus
    from caio_tui.domain.text import printable

    console = _console()

    def out(text: str, style: str = "") -> None:
        console.print(Text(printable(text), style=style))

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
            console.print()
            out(area, "bold")
        status = CoverageStatus(entry["status"])
        detail = entry["evidence"] or entry["justification"]
        out(f"  {status.glyph} {entry['item']:<36} {status.value:<14} {detail}", "")
    console.print()
    out("blockers", "bold")
    for b in data["blockers"] or []:
        state = "open" if b["open"] else f"resolved {b['resolved_at'][:10]}"
        out(f"  {b['tag']} ({b['category']}, {state}) {b['note']}", "")
    console.print()
    out("stage history", "bold")
    for m in data["stage_history"]:
        extra = f"  override: {m['override']}" if m["override"] else ""
        out(f"  {m['moved_at'][:10]} {m['from'] or '-'} → {m['to']} by {m['actor']}{extra}", "")
    if gate is not None:
        verdict = "passes" if gate.passed else "refuses"
        console.print()
        out(f"gate into {gate.to_stage.value}: {verdict}", "bold")
        for failure in gate.failures:
            out(f"  ✗ {failure.rule}: {failure.reason}", "")


@cli.command()
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
        _say(f"{pilot}: opened {tag}; territory now {portfolio.get(pilot).territory.value}")


@cli.command()
@db_option
@click.argument("pilot")
@click.argument("tag")
@click.pass_context
def untag(ctx: click.Context, pilot: str, tag: str) -> None:
    """Resolve PILOT's open TAG blocker (it stays in the history)."""
    with opened(ctx) as portfolio:
        portfolio.resolve_blocker(pilot, tag)
        _say(f"{pilot}: resolved {tag}; territory now {portfolio.get(pilot).territory.value}")


@cli.command("set-coverage")
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
        _say(f"{pilot}: {item} is {parsed.value}; readiness now {round(portfolio.get(pilot).readiness * 100)}%")


def _report_refusal(result: GateResult) -> None:
    click.echo(f"caio-tui: the gate into {result.to_stage.value} refused {result.pilot_id}:", err=True)
    for failure in result.failures:
        click.echo(f"  ✗ {failure.rule}: {failure.reason}", err=True)
    click.echo("least that would pass:", err=True)
    for change in result.least_changes:
        click.echo(f"  - {change.text}", err=True)
    click.echo("(or move anyway with --override JUSTIFICATION)", err=True)


@cli.command()
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
            _report_refusal(refused.result)
            ctx.exit(EXIT_GATE_REFUSED)
        note = " (gate overridden)" if not result.passed else ""
        _say(f"{pilot}: {current.value} → {target.value}{note}")


@cli.command()
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
        _say(f"{pilot}: {current.value} → {target.value}")


@cli.command()
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
        raise CliUsageError(_first_line(exc)) from None
    with opened(ctx) as portfolio:
        click.echo(portfolio.add_pilot(fields, stage=parsed))


@cli.command()
@db_option
@click.argument("pilot", required=False)
@click.option("--limit", type=click.IntRange(min=1), help="Only the last N events.")
@click.option("--json", "as_json", is_flag=True, help="Events as a JSON array.")
@click.option(
    "--verify", "check", is_flag=True, help="Mark each event as verified by the hash chain (exit 1 if broken)."
)
@click.pass_context
def history(ctx: click.Context, pilot: str | None, limit: int | None, as_json: bool, check: bool) -> None:
    """The audit trail, of one pilot or the whole portfolio."""
    from caio_tui.cli import reliability
    from caio_tui.domain.text import printable

    with opened(ctx) as portfolio:
        if pilot:
            portfolio.get(pilot)
        events = portfolio.history(pilot, limit)
        chain = reliability.chain_of(portfolio) if check else None
    if as_json:
        _print_json([e.model_dump(mode="json") | reliability.json_mark(chain, e.id) for e in events])
    else:
        for e in events:
            line = f"{e.id:>6} {e.at:%Y-%m-%d %H:%M} {e.actor:<12} {e.action:<16} {e.pilot_id or '':<12} {e.summary()}"
            click.echo(reliability.text_mark(chain, e.id) + printable(line))
    if not reliability.echo_verdict(chain, to_stderr_only=as_json):
        ctx.exit(EXIT_ERROR)


@cli.command()
@db_option
@click.option("--json", "as_json", is_flag=True, help="The result as JSON.")
@click.option(
    "--head",
    "noted",
    metavar="HASH|FILE",
    help="Also prove that a head noted earlier (a hash, or a snapshot or HTML briefing) is still in the trail.",
)
@click.pass_context
def verify(ctx: click.Context, as_json: bool, noted: str | None) -> None:
    """Check the file's integrity, the audit trail's hash chain and every row against the state seal
    (exit 1 when anything fails). Note the head it prints somewhere outside the file."""
    from caio_tui.cli import reliability
    from caio_tui.io.anchors import AnchorError, noted_head

    try:
        anchor = noted_head(noted) if noted else None  # read before the portfolio is open
    except AnchorError as exc:
        raise CliUsageError(str(exc)) from None
    with opened(ctx) as portfolio:
        result = reliability.verify(portfolio, anchor)
    if as_json:
        _print_json(result.as_json())
    else:
        result.echo()
    if not result.ok:
        ctx.exit(EXIT_ERROR)


@cli.command()
@db_option
@click.pass_context
def undo(ctx: click.Context) -> None:
    """Revert your last change, recorded as an audit event of its own."""
    with opened(ctx) as portfolio:
        target = portfolio.undo()
    if target is None:
        click.echo("nothing to undo")
    else:
        _say(" ".join(part for part in ("undid", target.action, target.pilot_id, target.summary()) if part))


def main() -> None:
    try:
        cli.main(prog_name="caio-tui")
    except KeyboardInterrupt:
        click.echo("caio-tui: interrupted", err=True)
        sys.exit(130)


# ---- commands of other capabilities, one module each (keep this block one line per module) ----------
__import__("caio_tui.cli.transfer", fromlist=["register"]).register(cli)
__import__("caio_tui.cli.generate", fromlist=["register"]).register(cli)
__import__("caio_tui.cli.views", fromlist=["register"]).register(cli)
__import__("caio_tui.cli.gates", fromlist=["register"]).register(cli)
