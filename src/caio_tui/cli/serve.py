"""`serve`: the app in a browser on this laptop, one app process per tab (see caio_tui/web.py for the guard)."""

from __future__ import annotations

import shlex
import sys

import click

from caio_tui.cli.plumbing import CliError, db_option, db_path, say


@click.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option(
    "--unsafe-host",
    is_flag=True,
    help="Allow an address other machines can reach (anyone who gets the printed address can then change "
    "the portfolio).",
)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, unsafe_host: bool) -> None:
    """Serve the app to a browser on this laptop.

    Each browser tab runs its own app over the same portfolio file. The printed address carries a random
    token for this run; requests without it, from another page's origin, or by another host name are
    refused. Exports in the browser arrive as downloads."""
    from caio_tui.web import GuardedServer, is_loopback, is_wildcard, new_token

    if is_wildcard(host):
        raise CliError(f"--host {host}: name the one address the browser will use (e.g. 127.0.0.1)")
    if not is_loopback(host):
        if not unsafe_host:
            raise CliError(f"--host {host}: other machines could reach it; use --unsafe-host to serve it anyway")
        say(f"caio-tui: warning: serving on {host}: anyone with the printed address can change the portfolio", err=True)
    path = db_path(ctx)
    command = shlex.join([sys.executable, "-m", "caio_tui", "--db", str(path)])
    server = GuardedServer(command, host=host, port=port, token=new_token(), title=f"caio-tui: {path.name}")
    try:
        server.serve()
    except OSError as exc:
        raise CliError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


COMMANDS = [serve]
