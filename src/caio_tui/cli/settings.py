"""`settings`: the portfolio's own settings, kept in the portfolio file (not the user's config file).

    settings agency                       show the agency and where each value comes from
    settings agency --abbr GSA --name "General Services Administration"
    settings agency --clear               back to the inventory's own agency

The agency is what the OMB 2025 export writes in its agency and agency_name columns.
"""

from __future__ import annotations

import click

from caio_tui.cli.plumbing import CliUsageError, db_option, opened, print_json, say


@click.group("settings")
def settings() -> None:
    """The portfolio's own settings (kept in the portfolio file)."""


@settings.command("agency")
@click.option("--abbr", help="The agency's abbreviation, e.g. GSA ('' clears it).")
@click.option("--name", help="The agency's full name, e.g. General Services Administration ('' clears it).")
@click.option("--clear", is_flag=True, help="Clear both: the export uses the inventory's own agency again.")
@click.option("--json", "as_json", is_flag=True, help="Print the agency as JSON.")
@db_option
@click.pass_context
def agency(ctx: click.Context, abbr: str | None, name: str | None, clear: bool, as_json: bool) -> None:
    """Show or set the agency that reports the inventory (used by the OMB 2025 export). Unset, it is the
    imported inventory's own when every row names the same agency."""
    from caio_tui.store import StoreError
    from caio_tui.store.settings import agency as read_agency
    from caio_tui.store.settings import set_agency

    if clear and (abbr is not None or name is not None):
        raise CliUsageError("--clear sets nothing else; give --abbr/--name or --clear")
    if clear:
        abbr = name = ""
    with opened(ctx) as portfolio:
        if abbr is not None or name is not None:
            try:
                changed = set_agency(portfolio, abbr=abbr, name=name)
            except StoreError as exc:
                raise CliUsageError(str(exc)) from None
            if not changed:
                say("agency: unchanged")
        chosen = read_agency(portfolio)
    if as_json:
        print_json(
            {
                "abbr": {"value": chosen.abbr.value, "source": chosen.abbr.source},
                "name": {"value": chosen.name.value, "source": chosen.name.source},
            }
        )
        return
    for label, value in (("abbreviation", chosen.abbr), ("name", chosen.name)):
        source = f" (from the {value.source})" if value.value else ""
        say(f"{label}: {value.value or 'not set'}{source}")


COMMANDS = [settings]
