"""What every command shares: the --db option and the portfolio it opens, errors as one line with their exit
code, dataclasses as JSON data, user text and JSON made safe for a terminal, the Rich console and the progress bar.

The command modules import this module and nothing else of the CLI. It imports only click at import time
(everything heavier inside the functions), so `caio-tui --version` and `caio-tui --help` stay fast.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

import click

if TYPE_CHECKING:
    from rich.console import Console

    from caio_tui.domain.gates import GateResult
    from caio_tui.store import Portfolio

F = TypeVar("F", bound=Callable[..., Any])
EXIT_ERROR, EXIT_USAGE, EXIT_GATE_REFUSED = 1, 2, 3
PROGRESS_DELAY_S = 1.0  # a bar only for work that takes longer than this


# ---- errors -------------------------------------------------------------------------------------------


class CliError(click.ClickException):
    exit_code = EXIT_ERROR

    def show(self, file: Any = None) -> None:
        from caio_tui.domain.text import printable

        click.echo(f"caio-tui: error: {printable(self.format_message())}", err=True)


class CliUsageError(CliError):
    """A bad value on the command line (unknown stage, status, sort, ...): one line, exit 2."""

    exit_code = EXIT_USAGE


def first_line(exc: Exception) -> str:
    """A bad value's message in one line: a pydantic error as 'field: message'."""
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        message = str(err["msg"]).removeprefix("Value error, ")
        return f"{where}: {message}" if where else message
    return str(exc).splitlines()[0]


# ---- the portfolio ------------------------------------------------------------------------------------


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
        raise CliError(first_line(exc)) from None
    except sqlite3.DatabaseError as exc:  # a safety net for store code that reads outside Portfolio._read
        raise CliError(f"{db_path(ctx)}: cannot read the portfolio ({exc})") from None


# ---- output -------------------------------------------------------------------------------------------


def free_target(output: Path, *, force: bool) -> None:
    """Refuse, in one line, an output file that exists (unless --force) or cannot be written: before the
    command's work, not after it."""
    from caio_tui.io.files import FileWriteError, check_target

    try:
        check_target(output, force=force)
    except FileWriteError as exc:
        raise CliError(str(exc)) from None


@contextmanager
def output_file(output: Path, *, force: bool) -> Iterator[BinaryIO]:
    """The output file, written whole or not at all (io.files.atomic_output); its failure in one line."""
    from caio_tui.io.files import FileWriteError, atomic_output

    try:
        with atomic_output(output, force=force) as out:
            yield out
    except FileWriteError as exc:
        raise CliError(str(exc)) from None


def say(text: str, *, err: bool = False, bold: bool = False) -> None:
    """One line of output that may hold user text: control characters never reach the terminal raw."""
    from caio_tui.domain.text import printable

    line = printable(text)
    click.echo(click.style(line, bold=True) if bold else line, err=err)


# json.dumps escapes C0 controls; DEL, C1 controls (0x9b starts an escape sequence on some terminals) and
# the direction overrides and isolates are escaped here, inside JSON strings (the only place they can occur
# in JSON text), so the output stays valid JSON and reads back as the same strings.
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def safe_json_text(text: str) -> str:
    """JSON text with the characters that act on a terminal written as \\uXXXX escapes."""
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def json_ready(value: Any) -> Any:
    """A dataclass (with tuples, enums and mappings inside) as data print_json takes."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: json_ready(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if hasattr(value, "value") and isinstance(getattr(value, "value", None), str):
        return value.value  # an enum
    return value


def print_json(data: Any) -> None:
    """The one JSON printer of every `--json`: indented, UTF-8, nothing that acts on a terminal."""
    click.echo(safe_json_text(json.dumps(data, indent=2, ensure_ascii=False)))


def report_refusal(result: GateResult) -> None:
    """A gate's refusal, on stderr: the failed rules, the least that would pass, how to override."""
    click.echo(f"caio-tui: the gate into {result.to_stage.value} refused {result.pilot_id}:", err=True)
    for failure in result.failures:
        click.echo(f"  ✗ {failure.rule}: {failure.reason}", err=True)
    click.echo("least that would pass:", err=True)
    for change in result.least_changes:
        click.echo(f"  - {change.text}", err=True)
    click.echo("(or move anyway with --override JUSTIFICATION)", err=True)


def rich_console(*, width_when_piped: int | None = None) -> Console:
    """A Rich console for tables and styled lines (no highlighting, no soft wrap); off a terminal (a file,
    a pipe) `width_when_piped` columns, when given, instead of Rich's default."""
    from rich.console import Console

    shown = Console(highlight=False, soft_wrap=False)
    if width_when_piped is not None and not shown.is_terminal:
        shown.width = width_when_piped
    return shown


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress callback that shows a Rich bar on stderr once the work has run for a second; None when
    stderr is not a terminal (scripts and pipes get no bar)."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    started = time.monotonic()
    state: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if "bar" not in state:
            if time.monotonic() - started < PROGRESS_DELAY_S:
                return
            bar = Progress(console=Console(stderr=True), transient=True)
            bar.start()
            state["bar"], state["task"] = bar, bar.add_task(label, total=total)
        state["bar"].update(state["task"], completed=done, total=total)

    try:
        yield update
    finally:
        if "bar" in state:
            state["bar"].stop()
