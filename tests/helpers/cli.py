"""Running the CLI in process, as the CLI tests do: `run` a command line, `ok` when it must succeed."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from caio_tui.cli import cli


def run(*args: str | Path) -> Result:
    """The command line, run in process at a 120-column terminal."""
    return CliRunner().invoke(cli, [str(a) for a in args], env={"COLUMNS": "120"})


def ok(result: Result) -> str:
    """Its standard output, failing the test (with its output and exception) when it did not exit 0."""
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout
