"""`generate`: a synthetic portfolio of any size, for trying the app at scale and for the benchmarks.

The generator and the store are imported when the command runs, so `caio-tui --help` stays fast. Its
progress bar is its own (shown at once, in two phases), not the plumbing's.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import click

from caio_tui.cli.plumbing import CliError, db_option, db_path

MAX_PILOTS = 10_000_000
DEFAULT_SEED = 1  # the same as io.generate.DEFAULT_SEED (a test checks), kept here so --help imports nothing


@contextlib.contextmanager
def _progress(total: int) -> Iterator[Callable[[str, int], None] | None]:
    """A Rich bar on stderr when stderr is a terminal; None for scripts and pipes."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = bar.add_task("adding pilots", total=total)

    def update(phase: str, done: int) -> None:
        label = "adding pilots" if phase == "adding" else "building the indexes"
        bar.update(task, completed=done, description=label)

    with bar:
        yield update


def _target(path: Path) -> contextlib.AbstractContextManager[Path]:
    """Where to fill: an existing portfolio in place; a new one built whole in private and published in one
    link at the end (so a failed or killed run leaves nothing, and never removes a file another program
    created at that name meanwhile)."""
    from caio_tui.store.database import new_portfolio

    if path.exists() or path.is_symlink():
        return contextlib.nullcontext(path)
    return new_portfolio(path)


@click.command("generate")
@db_option
@click.option(
    "--pilots",
    "count",
    type=click.IntRange(1, MAX_PILOTS),
    required=True,
    help="How many pilots to generate.",
)
@click.option(
    "--seed",
    type=int,
    default=DEFAULT_SEED,
    show_default=True,
    help="The same seed gives the same portfolio.",
)
@click.option(
    "--idp",
    "idp_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also write the Okta and Entra ID exports an identity team would hand over for these pilots "
    "(the first 2,000 past intake) into DIR/okta and DIR/entra, to try `idp import`.",
)
@click.pass_context
def generate(ctx: click.Context, count: int, seed: int, idp_dir: Path | None) -> None:
    """Fill a new or empty portfolio with synthetic pilots shaped like the civilian-agency sample
    (stages, coverage, blockers, about 10% high-impact): to try the app on a department-sized
    portfolio. A portfolio that already has pilots is never touched."""
    from caio_tui.config import load_settings
    from caio_tui.io.generate import generate as fill
    from caio_tui.store import Portfolio, StoreError

    path = db_path(ctx)
    name = f"Synthetic portfolio ({count:,} pilots, seed {seed})"
    started = time.perf_counter()
    try:
        with (
            _target(path) as filled,
            Portfolio.open(filled, actor=load_settings().actor, create=True, name=name) as portfolio,
        ):
            found = portfolio.count()
            if found:
                raise CliError(
                    f"{path}: the portfolio has {found:,} pilot(s); generate fills only a new or empty "
                    "portfolio (name another file with --db)"
                )
            with _progress(count) as progress:
                added = fill(portfolio, count, seed=seed, progress=progress)
    except StoreError as exc:
        raise CliError(str(exc)) from None
    elapsed = time.perf_counter() - started
    click.echo(f"generated {added:,} pilots into {path} (seed {seed}) in {elapsed:.1f} s")
    if idp_dir is not None:
        _write_idp(path, idp_dir, count, seed)


def _write_idp(path: Path, directory: Path, count: int, seed: int) -> None:
    """The same pilots again from the seed (the generator is deterministic), told as IdP exports."""
    from caio_tui.config import load_settings
    from caio_tui.io.generate import Generator
    from caio_tui.io.idp.generate import write_idp_exports
    from caio_tui.store import Portfolio

    with Portfolio.open(path, actor=load_settings().actor) as portfolio:
        now, catalog = portfolio.clock(), portfolio.catalog()
    written = write_idp_exports(Generator(seed, now, catalog).pilots(count), directory, seed=seed, now=now)
    click.echo(f"wrote {len(written):,} identity export file(s) into {directory}")


COMMANDS = (generate,)
