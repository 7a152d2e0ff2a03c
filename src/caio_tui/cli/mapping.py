"""`caio-tui mapping`: the inventory mapping (which OMB inventory answers derive which statuses, blockers,
dates and flags), versioned in the portfolio like the gate rules.

    mapping show [--toml | --json]   the current mapping: its version, or the whole file to edit and load back
    mapping load FILE [--check]      validate a mapping file, then make it the current mapping
"""

from __future__ import annotations

from pathlib import Path

import click

from caio_tui.cli.plumbing import EXIT_USAGE, CliError, db_option, opened, print_json, say


@click.group("mapping")
def mapping() -> None:
    """The inventory mapping: what an OMB inventory's answers say about each pilot."""


@mapping.command("show")
@db_option
@click.option("--toml", "as_toml", is_flag=True, help="The whole mapping file, to edit and load back.")
@click.option("--json", "as_json", is_flag=True, help="The mapping as JSON.")
@click.pass_context
def show(ctx: click.Context, as_toml: bool, as_json: bool) -> None:
    """The portfolio's current inventory mapping (version 0: the default shipped with caio-tui)."""
    from caio_tui.store.inventory_mapping import current_mapping

    with opened(ctx) as portfolio:
        current = current_mapping(portfolio)
    if as_toml:
        click.echo(current.text, nl=not current.text.endswith("\n"))
        return
    m = current.mapping
    if as_json:
        print_json({"version": current.version, **m.model_dump(mode="json")})
        return
    origin = "the default shipped with caio-tui" if current.version == 0 else f"loaded {current.created_at}"
    say(f"inventory mapping version {current.version} ({origin}): {m.mapping.name}")
    for rule in m.coverage:
        answers = ", ".join(f"{k} → {v.value}" for k, v in rule.answers.items())
        say(f"  {rule.item} from {' / '.join(rule.columns)}: {answers}")
    for blocker in m.blocker:
        say(f"  blocker {blocker.tag} on {', '.join(s.value for s in blocker.stages)}")
    for date in m.date:
        say(f"  entered {', '.join(s.value for s in date.stages)} on {' / '.join(date.columns)}")


@mapping.command("load")
@db_option
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--check", "check_only", is_flag=True, help="Only validate the file; change nothing.")
@click.pass_context
def load(ctx: click.Context, file: Path, check_only: bool) -> None:
    """Make FILE (TOML, see `mapping show --toml`) the inventory mapping the next import applies. A file with
    a problem is refused with one line naming the key (exit 2), and nothing is changed."""
    from caio_tui.domain.inventory_mapping import MappingError, check_mapping, parse_mapping
    from caio_tui.store.inventory_mapping import load_mapping

    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliError(f"{file}: no such file") from None
    except UnicodeDecodeError:
        raise CliError(f"{file}: not UTF-8 text; a mapping file is TOML") from None
    except OSError as exc:
        raise CliError(f"{file}: cannot read ({exc.strerror})") from None
    with opened(ctx) as portfolio:
        try:
            found = parse_mapping(text, str(file))
            items = [i.id for i in portfolio.catalog().items()]
            check_mapping(found, str(file), items=items, tags=[t.tag for t in portfolio.tags()])
        except MappingError as exc:
            say(f"caio-tui: error: {exc}; the mapping was not changed", err=True)
            ctx.exit(EXIT_USAGE)
        if check_only:
            say(f"{file}: valid ({len(found.coverage)} coverage rules); nothing was changed")
            return
        version = load_mapping(portfolio, text, source=file.name)
    say(f"inventory mapping version {version} from {file}")


COMMANDS = (mapping,)
