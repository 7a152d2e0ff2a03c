"""Starting out: the terminal app itself (`caio-tui` with no command), `demo`, `init` and `samples`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from caio_tui.cli.plumbing import CliError, CliUsageError, db_option, db_path, opened, say

if TYPE_CHECKING:
    from caio_tui.store import Portfolio
    from caio_tui.store.offices import SendRecord


def run_app(ctx: click.Context, *, create: bool, start_view: str | None = None) -> None:
    """The terminal app over the --db portfolio (on `start_view`, else the first view); a file it cannot
    open, or a view there is not, gives one line first."""
    from caio_tui.config import load_settings
    from caio_tui.store import Portfolio, StoreError
    from caio_tui.tui.navigation import VIEWS

    if start_view is not None and start_view not in {v.id for v in VIEWS}:
        raise CliUsageError(f"no view {start_view!r}; views: {', '.join(v.id for v in VIEWS)}")

    settings = load_settings()
    path = db_path(ctx)
    try:  # open once here so a bad file gives one line before the screen is taken over
        Portfolio.open(path, actor=settings.actor, create=create, stalled_days=settings.stalled_days).close()
    except StoreError as exc:
        raise CliError(str(exc)) from None
    from caio_tui.tui.app import CaioApp

    if settings.keymap:  # before the screen is taken: a bad keymap is one line, like any bad setting
        from caio_tui.tui.keymap import check_keymap

        check_keymap(settings.keymap, CaioApp)
    app = CaioApp(path, settings)
    if start_view:
        app.start_view = start_view  # read when it mounts
    app.run()


@click.command()
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
            _load_sample_identity(portfolio, sample)
        except Exception as exc:
            raise CliError(str(exc)) from None
    run_app(ctx, create=False)


def _load_sample_identity(portfolio: Portfolio, sample: str) -> None:
    """The sample's identity exports, imported and linked, so proposals wait for review (key 7). The pilots
    are the demo: exports that cannot be read are one line on stderr, and the app opens all the same."""
    import tempfile

    from caio_tui.io.idp.sample_exports import load_sample_identity

    with tempfile.TemporaryDirectory(prefix="caio-idp-") as folder:
        try:
            load_sample_identity(portfolio, sample, Path(folder))
        except ValueError as exc:  # IdpFormatError, the rules' errors
            say(f"the sample's identity exports were not imported: {exc}", err=True)


@click.command()
@db_option
@click.option("--sample", help="Load this sample portfolio into the new file (see 'caio-tui samples').")
@click.option("--name", help="The portfolio's name (default: the file name).")
@click.option(
    "--from",
    "send_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="An office: open this send from the CAIO as the office's own portfolio.",
)
@click.pass_context
def init(ctx: click.Context, sample: str | None, name: str | None, send_file: Path | None) -> None:
    """Create the portfolio file (mode 0600), optionally loaded with a sample, or (an office) from a send
    of the CAIO's: caio-tui --db gmo.db init --from gmo-send.json"""
    from caio_tui.config import load_settings
    from caio_tui.io.samples import load_sample, read_sample
    from caio_tui.store import Portfolio, StoreError
    from caio_tui.store.database import new_portfolio

    path = db_path(ctx)
    if path.exists() or path.is_symlink():
        link = " (a symbolic link to a missing file)" if not path.exists() else ""
        then = " (give another --db path, or delete the file)" if send_file else ""
        raise CliError(f"{path}: exists already{link}; nothing was changed{then}")
    if sample and send_file:
        raise CliUsageError("--sample and --from: give one; nothing was changed")
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
            if send_file is not None:
                record, added = _open_send(portfolio, send_file)
            else:
                added = load_sample(portfolio, sample) if sample else 0
    except StoreError as exc:
        raise CliError(str(exc)) from None
    if send_file is not None:
        say(f"created {path} with {added} pilot(s) of {record.office} from send {record.id}")
        return
    say(f"created {path}" + (f" with {added} pilots from the {sample} sample" if sample else ""))


def _open_send(portfolio: Portfolio, send_file: Path) -> tuple[SendRecord, int]:
    from caio_tui.io.offices import OfficeFileError, open_send_file

    try:
        return open_send_file(portfolio, send_file, source=str(send_file))
    except OfficeFileError as exc:  # a file that cannot be used is an error (1), as import's, not a usage error
        raise CliError(str(exc)) from None


@click.command()
def samples() -> None:
    """List the sample portfolios."""
    from caio_tui.io.samples import read_sample, sample_names

    for name in sample_names():
        sample = read_sample(name)
        click.echo(f"{name:<18} {len(sample.pilots):>3} pilots  {sample.description}")


COMMANDS = (demo, init, samples)
