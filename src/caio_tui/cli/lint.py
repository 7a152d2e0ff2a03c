"""`lint`: the portfolio checked as an OMB 2025 inventory submission, before it is exported and sent.

Exit codes: 0 no findings, 1 findings (the report is on stdout either way), 2 a bad option. The report
holds user text: printable() runs on every line of the text and Markdown forms; JSON goes through the one
JSON printer.
"""

from __future__ import annotations

import click

from caio_tui.cli.plumbing import CliUsageError, db_option, opened, print_json

FORMATS = ("text", "json", "markdown")


@click.command("lint")
@click.option("--format", "fmt", default="text", show_default=True, help="text, json or markdown.")
@db_option
@click.pass_context
def lint(ctx: click.Context, fmt: str) -> None:
    """Check the portfolio as an OMB 2025 inventory submission, against OMB's 2025 data dictionary:
    required answers blank, answers outside the valid selections, reused ids, contacts that are not
    e-mail addresses, high-impact Deployed use cases missing a practice, Pilot/Deployed use cases with
    no ATO answer, no high-impact determination. Exit 0 when clean, 1 with findings."""
    if fmt not in FORMATS:
        raise CliUsageError(f"unknown lint format {fmt!r}; expected one of {', '.join(FORMATS)}")
    from caio_tui.io.lint import lint_portfolio, report_in, report_json

    with opened(ctx) as portfolio:
        report = lint_portfolio(portfolio)
    if fmt == "json":
        print_json(report_json(report))
    else:
        click.echo(report_in(report, fmt), nl=False)
    ctx.exit(1 if report.findings else 0)


COMMANDS = [lint]
