"""`export`, `import`, `diff` and `schema`: a portfolio in and out of files.

Heavy modules are imported inside the commands, so `caio-tui --help` stays fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from caio_tui.cli.plumbing import (
    CliError,
    db_option,
    db_path,
    first_line,
    free_target,
    opened,
    print_json,
    progress_bar,
    safe_json_text,
)

if TYPE_CHECKING:
    from caio_tui.io.inventory import ImportResult
    from caio_tui.store import Portfolio

# Kept here (not imported from io.inventory) so building the CLI imports nothing heavy; a test checks
# that they match.
EXPORT_FORMATS = ("snapshot", "csv", "markdown", "html", "omb", "omb-2025", "omb-cots")
IMPORT_FORMATS = ("auto", "snapshot", "omb-2023", "omb-2024", "omb-2024-long", "omb-2025", "omb-cots")
DIFF_FORMATS = ("text", "markdown", "json")


@click.command("export")
@db_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(EXPORT_FORMATS),
    default="snapshot",
    show_default=True,
    help="What to write.",
)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write to this file (default, or '-': stdout).")
@click.option("--force", is_flag=True, help="Replace the output file if it exists.")
@click.pass_context
def export(ctx: click.Context, fmt: str, output: Path | None, force: bool) -> None:
    """Export the portfolio: a snapshot (JSON), a CSV of pilots, a Markdown or HTML briefing, an
    OMB 2025 inventory CSV, or the consolidated COTS file (omb-cots) as it was imported."""
    from caio_tui.io.files import FileWriteError
    from caio_tui.io.inventory import TransferError, export_to, write_export
    from caio_tui.io.omb import FormulaCells

    if output == Path("-"):
        output = None
    # The OMB file goes to a spreadsheet: say which formula-like cells kept the inventory's text.
    formulas = FormulaCells() if fmt == "omb-2025" else None
    if output is not None:
        free_target(output, force=force)
    with opened(ctx) as portfolio, progress_bar(f"export {fmt}") as progress:
        try:
            if output is None:
                sys.stdout.flush()
                write_export(portfolio, fmt, sys.stdout.buffer, progress, formulas)
                sys.stdout.buffer.flush()
                if formulas is not None:
                    click.echo(f"{fmt}: {formulas.summary}", err=True)
                return
            size = export_to(portfolio, fmt, output, force=force, progress=progress, formulas=formulas)
        except (TransferError, FileWriteError) as exc:
            raise CliError(str(exc)) from None
    note = f"; {formulas.summary}" if formulas is not None else ""
    click.echo(f"wrote {output} ({fmt}, {size:,} bytes){note}", err=True)


@click.command("import")
@db_option
@click.argument("file", type=click.Path(path_type=Path, dir_okay=True))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(IMPORT_FORMATS),
    default="auto",
    show_default=True,
    help="The file's format (auto: detected from its content).",
)
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="The report as JSON (issues, changes, links).")
@click.pass_context
def import_(ctx: click.Context, file: Path, fmt: str, dry_run: bool, as_json: bool) -> None:
    """Import FILE: a snapshot (into an empty portfolio), an OMB AI use case inventory CSV (2023, 2024,
    2024 long-header, 2025), whose pilots are added or updated in place, or OMB's consolidated COTS file
    (the agency's commercial AI uses, replaced whole). A later year's row updates the same use case: by
    id, else by agency and name (the bureau breaks ties); rows that match several pilots are held back and
    listed, to link in the app (Link years)."""
    target = db_path(ctx)
    if target.exists():
        with opened(ctx) as portfolio, progress_bar(f"import {file.name}") as progress:
            result = _import(portfolio, file, fmt, dry_run, progress)
    elif dry_run:
        result = _dry_run_into_nothing(file, fmt)
    else:
        result = _import_into_new(target, file, fmt, progress_label=f"import {file.name}")
    if as_json:
        print_json(_import_json(result))
    else:
        _print_import(result)


@click.command("diff")
@db_option
@click.argument("old", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("new", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(DIFF_FORMATS), default="text", show_default=True)
def diff(old: Path, new: Path, fmt: str) -> None:
    """What moved between OLD and NEW, each a snapshot file or a portfolio file: pilots added and removed,
    stage moves, gate overrides, coverage changes, blockers opened and resolved, rule changes."""
    from caio_tui.config import load_settings
    from caio_tui.io.diff import diff_files, render
    from caio_tui.io.snapshot import SnapshotError
    from caio_tui.store import StoreError

    try:
        found = diff_files(old, new, actor=load_settings().actor)
    except (SnapshotError, StoreError) as exc:
        raise CliError(str(exc)) from None
    shown = render(found, fmt, old_label=str(old), new_label=str(new))
    click.echo(safe_json_text(shown) if fmt == "json" else shown, nl=False)


@click.command("schema")
@click.option("--office", is_flag=True, help="The schema of office files (a send's or a bundle's head) instead.")
def schema(office: bool) -> None:
    """Print the JSON Schema of snapshot files (also in docs/snapshot.schema.json), or of office files."""
    if office:
        from caio_tui.io.offices import schema_text as office_schema

        click.echo(office_schema(), nl=False)
        return
    from caio_tui.io.snapshot import schema_text

    click.echo(schema_text(), nl=False)


def _import(
    portfolio: Portfolio, file: Path, fmt: str, dry_run: bool, progress: Callable[[int, int], None] | None
) -> ImportResult:
    from caio_tui.io.inventory import TransferError, import_file

    try:
        return import_file(portfolio, file, fmt=fmt, dry_run=dry_run, progress=progress)
    except TransferError as exc:
        raise CliError(str(exc)) from None


def _import_into_new(target: Path, file: Path, fmt: str, *, progress_label: str) -> ImportResult:
    """An import that creates its portfolio: built whole in private and published in one link, so an import
    that fails leaves nothing, and never removes a file another program created at that name meanwhile."""
    from caio_tui.config import load_settings
    from caio_tui.store import Portfolio, StoreError
    from caio_tui.store.database import new_portfolio

    try:
        with (
            new_portfolio(target) as building,
            Portfolio.open(building, actor=load_settings().actor, create=True) as portfolio,
            progress_bar(progress_label) as progress,
        ):
            return _import(portfolio, file, fmt, False, progress)
    except StoreError as exc:
        raise CliError(str(exc)) from None
    except ValueError as exc:  # as plumbing.opened: a bad value, in one line
        raise CliError(first_line(exc)) from None


def _dry_run_into_nothing(file: Path, fmt: str) -> ImportResult:
    """A dry run for a portfolio that does not exist yet: what an import would create, reported from a
    throwaway portfolio in a private folder; nothing is created at the target."""
    import tempfile

    from caio_tui.config import load_settings
    from caio_tui.store import Portfolio, StoreError

    with tempfile.TemporaryDirectory(prefix="caio-dry-run-") as folder:
        try:
            with Portfolio.open(Path(folder) / "dry-run.db", actor=load_settings().actor, create=True) as portfolio:
                return _import(portfolio, file, fmt, True, None)
        except StoreError as exc:
            raise CliError(str(exc)) from None


def _import_json(result: ImportResult) -> dict[str, object]:
    report = result.report
    return {
        "source": result.source,
        "format": result.format,
        "dry_run": result.dry_run,
        "summary": result.summary,
        "pilots": result.pilots,
        "issues": result.issues,
        "added": [{"id": c.id, "name": c.name, "changes": list(c.changes)} for c in report.added] if report else [],
        "updated": [{"id": c.id, "name": c.name, "changes": list(c.changes)} for c in report.updated] if report else [],
        "unchanged": len(report.unchanged) if report else 0,
        "linked": [{"id": pilot, "by": how} for pilot, how in result.linked.items()],
        "ambiguous": [{"row": a.row, "name": a.name, "candidates": list(a.candidates)} for a in result.ambiguous],
    }


def _print_import(result: ImportResult) -> None:
    from caio_tui.domain.text import clip, printable

    for line in result.issues:
        click.echo(line, err=True)
    report = result.report
    if report is not None:
        verb = "would add" if result.dry_run else "added"
        for change in report.added:
            click.echo(
                f"+ {printable(change.id)}  {clip(printable(change.name), 70)}  ({verb}; {', '.join(change.changes)})"
            )
        for change in report.updated:
            click.echo(f"~ {printable(change.id)}  {clip(printable(change.name), 70)}")
            for line in change.changes:
                click.echo(f"    {printable(line)}")
        for pilot, how in result.linked.items():
            click.echo(f"= {printable(pilot)}  linked to this year's row by {how}")
        for ambiguous in result.ambiguous:
            candidates = ", ".join(printable(c) for c in ambiguous.candidates)
            click.echo(
                f"? row {ambiguous.row}  {clip(printable(ambiguous.name), 70)}  matches {candidates}: "
                "held, not imported; link it in the app (Link years)"
            )
    click.echo(printable(result.summary))


COMMANDS = (export, import_, diff, schema)
