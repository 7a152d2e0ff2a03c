"""`cots`: the agency's commercial AI uses (OMB's consolidated COTS file), headless.

User text reaches the terminal only as rich Text (never markup) after domain.text.printable.
"""

from __future__ import annotations

import click

from caio_tui.cli.plumbing import CliError, db_option, opened, print_json, rich_console

WIDE = 160  # columns when the output is not a terminal


@click.command("cots")
@db_option
@click.option(
    "--agency",
    help="The agency, by abbreviation or full name, or 'all' (default: the portfolio's agency, else all).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def cots(ctx: click.Context, agency: str | None, as_json: bool) -> None:
    """List the commercial AI uses from the imported consolidated COTS file: each standard use, the
    agency's Y/N answer, the products named and the licence band (a blank answer is unknown)."""
    from caio_tui.io.commercial import agency_uses, portfolio_agency, use_json
    from caio_tui.store import commercial

    with opened(ctx) as portfolio:
        file = commercial.stored_file(portfolio)
        if file is None:
            raise CliError(
                f"{portfolio.path}: no consolidated COTS file imported; import one with 'caio-tui import FILE'"
            )
        chosen = agency if agency is not None else (portfolio_agency(portfolio) or "all")
        found = agency_uses(portfolio, chosen)
        if not found and chosen.strip().lower() != "all":
            known = ", ".join(a or n for a, n, _ in commercial.agencies(portfolio)[:8])
            raise CliError(f"agency {chosen!r} is not in the COTS file {file.source} (it has: {known}, ...)")
    if as_json:
        print_json(
            {
                "source": file.source,
                "imported_at": file.imported_at,
                "agency": None if chosen.strip().lower() == "all" else chosen,
                "uses": [use_json(u) for u in found],
            }
        )
        return
    _table(found, chosen, file.source)


def _table(found: list, chosen: str, source: str) -> None:  # type: ignore[type-arg]
    from rich.table import Table
    from rich.text import Text

    from caio_tui.domain.text import printable
    from caio_tui.io.commercial import in_use_label

    every = chosen.strip().lower() == "all"
    table = Table(title=Text(printable(f"Commercial AI uses: {'all agencies' if every else chosen} ({source})")))
    if every:
        table.add_column("Agency")
    for name in ("Standard use", "In use", "Products", "Licences"):
        table.add_column(name)
    for use in found:
        cells = [
            printable(use.use_case.strip()),
            in_use_label(use.in_use),
            printable(use.products.strip()),
            printable(use.licenses.strip()),
        ]
        if every:
            cells.insert(0, printable(use.agency_abbr or use.agency.strip()))
        table.add_row(*(Text(c) for c in cells))
    rich_console(width_when_piped=WIDE).print(table)
    answered = sum(1 for u in found if u.in_use.strip() == "Y")
    click.echo(f"{len(found)} standard uses, {answered} answered Y")


COMMANDS = (cots,)
