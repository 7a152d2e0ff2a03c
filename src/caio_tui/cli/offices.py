"""`send`, `bundle` and `merge`: program offices keep their own pilots and merge back (`init --from`, in
start.py, opens a send as the office's portfolio).

    CAIO:    caio-tui send --office "Grants Management Office" -o gmo-send.json
    office:  caio-tui --db gmo.db init --from gmo-send.json   ... work ...   caio-tui --db gmo.db bundle -o gmo.json
    CAIO:    caio-tui merge gmo.json          (or several: caio-tui merge bundles/*.json)

Heavy modules are imported inside the commands, so `caio-tui --help` stays fast.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING

import click

from caio_tui.cli.plumbing import CliError, CliUsageError, db_option, free_target, opened, output_file, print_json, say

if TYPE_CHECKING:
    from caio_tui.store.office_apply import MergeOutcome


@click.command("send")
@db_option
@click.option("--office", required=True, help="The office's name, as the pilots' office field holds it.")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="The send file to write.")
@click.option("--force", is_flag=True, help="Replace the output file if it exists.")
@click.option("--json", "as_json", is_flag=True, help="What was sent, as JSON.")
@click.pass_context
def send(ctx: click.Context, office: str, output: Path, force: bool, as_json: bool) -> None:
    """Send an office its pilots: a file with every pilot whose office is OFFICE (fields, coverage,
    blockers, stage history), the portfolio's rules and tags, and this portfolio's audit head. The office
    opens it with `init --from`; its bundle comes back to `merge`.

    Example: caio-tui send --office "Grants Management Office" -o gmo-send.json
    """
    from caio_tui.io.offices import write_send
    from caio_tui.store.offices import office_counts

    free_target(output, force=force)
    with opened(ctx) as portfolio:
        office = _the_office(office, office_counts(portfolio))
        with output_file(output, force=force) as out:
            record, pilots = write_send(portfolio, office, out)
    if as_json:
        print_json({"send_id": record.id, "office": office, "pilots": pilots, "file": str(output)})
        return
    say(f"sent {pilots} pilot(s) of {office} to {output} (send {record.id})")


def _the_office(asked: str, counts: dict[str, int]) -> str:
    """The office named (letter case aside); unknown: the closest names, at most five."""
    found = [name for name in counts if name.casefold() == asked.strip().casefold()]
    if len(found) == 1:
        return found[0]
    if asked in counts:
        return asked
    import difflib

    folded = {name.casefold(): name for name in counts}
    close = [folded[n] for n in difflib.get_close_matches(asked.casefold(), folded, n=5, cutoff=0.4)]
    close += [n for n in sorted(counts) if asked.casefold() in n.casefold() and n not in close]
    if close:
        hint = " (did you mean " + " or ".join(repr(n) for n in close[:5]) + "?)"
    else:
        listed = "; ".join(f"{name} ({n})" for name, n in sorted(counts.items())[:5]) or "none"
        hint = f"; offices: {listed}" + (f" and {len(counts) - 5} more ('caio-tui list')" if len(counts) > 5 else "")
    raise CliUsageError(f"no pilot has the office {asked!r}{hint}; nothing was sent")


@click.command("bundle")
@db_option
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="The bundle file to write.")
@click.option("--force", is_flag=True, help="Replace the output file if it exists.")
@click.option("--json", "as_json", is_flag=True, help="What the bundle carries, as JSON.")
@click.pass_context
def bundle(ctx: click.Context, output: Path, force: bool, as_json: bool) -> None:
    """In an office's portfolio: write what the office changed since its send (the pilots changed or
    created, the office's whole audit chain and its seal) for the CAIO to `merge`.

    Example: caio-tui --db gmo.db bundle -o gmo-bundle.json
    """
    from caio_tui.io.offices import write_bundle

    free_target(output, force=force)
    with opened(ctx) as portfolio, output_file(output, force=force) as out:
        written = write_bundle(portfolio, out)
    if as_json:
        print_json(
            {
                "send_id": written.send.id,
                "office": written.send.office,
                "pilots": written.carried,
                "events": written.head[0],
                "head": written.head[1],
                "file": str(output),
            }
        )
        return
    what = f"{written.carried} changed pilot(s)" if written.carried else "no changes"
    say(
        f"wrote {output}: {what} of {written.send.office} since send {written.send.id} "
        f"(head {written.head[1][:16]}, {written.head[0]} events)"
    )


@click.command("merge")
@db_option
@click.argument("files", nargs=-1, required=True, metavar="FILE...", type=click.Path(path_type=Path))
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="What the merges did, as JSON: for one FILE an object, for several a list of them in order, each "
    "with its file (on an error, the list of those merged before it, then the error).",
)
@click.pass_context
def merge(ctx: click.Context, files: tuple[Path, ...], as_json: bool) -> None:
    """Merge offices' bundles FILE..., in the order given, each in its own transaction with its own audit
    event: its chain and seal verified first (a bundle that fails is refused in one line, nothing of it
    written); then each field the office alone changed is applied with the office as its source, each
    field both sides changed differently waits as a conflict, and each stage the office moved waits as a
    request for the gate (see `conflicts`). Merging the same bundle again changes nothing, and so does a
    bundle older than one of its send merged before (its line says so). Every FILE is checked to be a
    readable bundle before the first is merged; each merged bundle's line is printed as it is committed;
    the first refused stops the merge: the bundles before it stay merged, it and those after it are not
    (exit 1). Large bundles are verified in a second process, the next while one merges.

    \b
    Examples: caio-tui merge gmo-bundle.json
              caio-tui merge bundles/*.json
    """
    from caio_tui.io.offices import OfficeFileError, merge_files
    from caio_tui.store.errors import StoreError
    from caio_tui.store.office_queue import waiting_counts

    names = [str(f) for f in files]
    done: list[MergeOutcome] = []

    def merged(outcome: MergeOutcome) -> None:
        done.append(outcome)
        if not as_json:
            say(f"{names[len(done) - 1]}: {outcome.summary()}" if len(names) > 1 else outcome.summary())

    with opened(ctx) as portfolio:
        try:
            merge_files(portfolio, list(files), sources=names, merged=merged)
        except (OfficeFileError, StoreError, KeyboardInterrupt) as exc:
            if as_json and len(names) > 1:
                print_json([_merge_json(o, names[i]) for i, o in enumerate(done)])
            why = "interrupted" if isinstance(exc, KeyboardInterrupt) else str(exc)
            raise CliError(_stopped(why, names, len(done))) from None
        conflicts, requests = waiting_counts(portfolio)
    if as_json:
        found = [_merge_json(o, names[i]) for i, o in enumerate(done)]
        print_json(found[0] if len(names) == 1 else found)
        return
    if conflicts or requests:
        say(f"waiting: {conflicts} conflict(s), {requests} stage request(s); see them with 'caio-tui conflicts'")


def _merge_json(outcome: MergeOutcome, file: str) -> dict[str, object]:
    return {
        "file": file,
        "office": outcome.office,
        "send_id": outcome.send_id,
        "head": outcome.head,
        "already_merged": outcome.already,
        "older_than_merged": outcome.older_than or None,
        "changes": outcome.changes,
        "conflicts": outcome.conflicts,
        "requests": outcome.requests,
        "added": outcome.added,
        "gone": outcome.gone,
    }


def _stopped(error: str, files: list[str], merged: int) -> str:
    """Why the merge stopped, and for several files which were merged before it and which were not (one
    line: the stopping bundle's own words say nothing of it was merged, not that nothing was)."""
    if len(files) == 1:
        return error
    error = error.replace("nothing was merged", "nothing of it was merged")
    error = error.replace("nothing was changed", "nothing of it was merged")
    before = _named(files[:merged]) if merged else "none"
    return f"{error} (merged before it: {before}; not merged: {_named(files[merged:])})"


def _named(files: list[str], most: int = 5) -> str:
    shown = ", ".join(shlex.quote(f) for f in files[:most])
    return shown + (f" and {len(files) - most} more" if len(files) > most else "")


COMMANDS = (send, bundle, merge)
