"""The headless command line: everything the TUI does, scriptable. This module builds the `caio-tui` group
and adds the commands of each module below; `main` is the console script.

    plumbing    what every command shares: --db, the opened portfolio, errors and exit codes, safe output
    start       the app itself (no command), demo, init, samples
    pilots      list, show, add, tag, untag, set-coverage, promote, demote
    audit       history (--verify), verify, undo
    transfer    export, import, diff, schema
    generate    generate (a synthetic portfolio)
    views       compare, blockers, summary
    gates       gates show | check | load | history | stale | recheck
    lint        lint (the portfolio as an OMB 2025 inventory submission)
    settings    settings agency (the portfolio's own settings)
    commercial  cots (the commercial AI uses of the consolidated COTS file)
    mapping     mapping show | load (the inventory mapping)
    identity    idp import | apps | link | unlink | suggest | review | accept | reject | rules (IdP evidence)
    serve       serve (the app in a browser on this laptop, behind a token)
    offices     send, bundle, merge (program offices' bundles; init --from is in start)
    office_queue  conflicts, resolve (what office bundles left waiting)

Each command module imports only the plumbing of the CLI, never this package nor another command module
(an import-linter contract holds it). Exit codes: 0 success; 1 error (one line on stderr); 2 usage error;
3 the gate refused the move. Heavy modules are imported inside the commands, so `--version` and `--help`
stay fast.
"""

from __future__ import annotations

import sys

import click

from caio_tui import __version__
from caio_tui.cli import (
    audit,
    commercial,
    gates,
    generate,
    identity,
    lint,
    mapping,
    office_queue,
    offices,
    pilots,
    serve,
    settings,
    start,
    transfer,
    views,
)
from caio_tui.cli.plumbing import db_option


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="caio-tui", message="%(prog)s %(version)s")
@db_option
@click.option("--view", "start_view", metavar="VIEW", help="The view the app opens on (e.g. conflicts).")
@click.pass_context
def cli(ctx: click.Context, start_view: str | None) -> None:
    """Triage a portfolio of AI pilots: why each is stuck, what it still needs, and the gated way to
    production. With no command, opens the terminal app."""
    if ctx.invoked_subcommand is None:
        start.run_app(ctx, create=True, start_view=start_view)


for _module in (
    start,
    pilots,
    audit,
    transfer,
    generate,
    views,
    gates,
    lint,
    settings,
    commercial,
    mapping,
    identity,
    serve,
    offices,
    office_queue,
):
    for _command in _module.COMMANDS:
        cli.add_command(_command)


def main() -> None:
    try:
        cli.main(prog_name="caio-tui")
    except KeyboardInterrupt:
        click.echo("caio-tui: interrupted", err=True)
        sys.exit(130)


__all__ = ["cli", "main"]
