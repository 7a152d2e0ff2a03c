"""`caio-tui idp`: identity evidence from the IdP's exports (Okta, Entra ID), headless.

    idp import FILE... [--format KIND] [--keep-identities] [--json]   read exports, one transaction for all
    idp apps [--json]                       the applications the imported files know, and their links
    idp link PILOT APP [--vendor V]         link a pilot to an application (by id or name); `unlink` undoes it
    idp suggest [--json]                    links proposed by name and owner similarity (never applied)
    idp review [--pilot P] [--rule R] [--state S] [--json]   the review queue
    idp accept ID... | --rule R             accept proposals (a rule's across the portfolio)
    idp reject ID...                        reject proposals: the same facts are not proposed again
    idp rules show [--toml | --json]        the identity rules; `rules load FILE [--check]` a new version

User text (applications, accounts, files) reaches the terminal through `say` (printable) or JSON only.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from caio_tui.cli.plumbing import EXIT_USAGE, CliError, CliUsageError, db_option, opened, print_json, say
from caio_tui.domain.text import counted

if TYPE_CHECKING:
    from caio_tui.domain.identity import IdpExport
    from caio_tui.domain.identity_rules import Proposal
    from caio_tui.store import Portfolio

KINDS = (
    "okta-assignments",
    "okta-system-log",
    "okta-apps",
    "okta-app-users",
    "okta-users",
    "okta-api-tokens",
    "entra-service-principals",
    "entra-app-role-assignments",
    "entra-users",
    "entra-sign-ins",
)
_COUNTED = {  # one, many
    "apps": ("application", None),
    "credentials": ("credential", None),
    "assignments": ("assignment", None),
    "people": ("person", "people"),
    "events": ("sign-in event", None),
}
PROGRESS_STEP = 100_000  # records between progress lines on stderr


def _json(value: Any) -> Any:
    """A dataclass (with tuples, enums and mappings inside) as JSON-ready data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if hasattr(value, "value") and isinstance(getattr(value, "value", None), str):
        return value.value
    return value


@click.group("idp")
def idp() -> None:
    """Identity evidence: the IdP's exports show which pilots run outside the identity envelope."""


# ---- import ---------------------------------------------------------------------------------------------


@idp.command("import")
@db_option
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "kind", type=click.Choice(KINDS), help="What the files are (default: from content).")
@click.option("--keep-identities", is_flag=True, help="Keep people's identifiers (default: keyed hashes only).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def import_(
    ctx: click.Context, files: tuple[Path, ...], kind: str | None, keep_identities: bool, as_json: bool
) -> None:
    """Import identity exports (Okta, Entra ID). Every file is read first; a file of an unknown shape is
    refused in one line and nothing is imported. Importing the same file twice changes nothing."""
    with opened(ctx) as portfolio:
        exports = _read(portfolio, files, kind, keep_identities)
        result = portfolio.import_identity(exports, keep_identities)
    if as_json:
        print_json(_json(result))
        return
    for file in result.files:
        facts = ", ".join(counted(n, *_COUNTED[what]) for what, n in file.counts.items() if n and what in _COUNTED)
        state = "already imported, unchanged" if file.already else (facts or "no facts")
        say(f"{file.name}: {file.kind}, {counted(file.records, 'record')}: {state}")
        for problem in file.problems[:20]:
            say(f"  skipped {problem.where}: {problem.message}")
        if len(file.problems) > 20:
            say(f"  ... and {len(file.problems) - 20} more skipped records")
    for name in result.ambiguous:
        say(f"{name} share a name: its records that give only the name stay apart (link by name to use them)")
    if result.changed:
        say(f"proposals: {result.proposed} new, {result.replaced} replaced, {result.withdrawn} withdrawn")


def _read(portfolio: Portfolio, files: tuple[Path, ...], kind: str | None, keep: bool) -> list[IdpExport]:
    from caio_tui.domain.identity import ExportKind
    from caio_tui.io.idp.keys import person_keyer
    from caio_tui.io.idp.read import IdpFormatError, read_export

    # The key is stored by the import itself (in its transaction): a file refused here leaves nothing.
    keyer = person_keyer(b"" if keep else portfolio.identity_secret(), keep)
    exports = []
    for path in files:
        if not path.is_file():
            raise CliError(f"{path}: no such file; nothing was imported")

        def progress(done: int, name: str = path.name) -> None:
            if done % PROGRESS_STEP == 0 and done:
                click.echo(f"{name}: {done:,} records read", err=True)

        try:
            exports.append(read_export(path, keyer, ExportKind(kind) if kind else None, progress))
        except IdpFormatError as exc:
            raise CliError(f"{exc}; nothing was imported") from None
        except OSError as exc:
            raise CliError(f"{path}: cannot read ({exc.strerror}); nothing was imported") from None
    return exports


# ---- applications and links --------------------------------------------------------------------------


@idp.command("apps")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def apps(ctx: click.Context, as_json: bool) -> None:
    """The applications the imported exports know, their facts counted, and the pilots linked to each."""
    with opened(ctx) as portfolio:
        found = portfolio.identity_apps()
    if as_json:
        print_json(_json(found))
        return
    if not found:
        say("no identity exports imported; import them with 'caio-tui idp import FILE...'")
    for app in found:
        linked = f" → {', '.join(app.pilots)}" if app.pilots else ""
        say(
            f"{app.vendor.value} {app.key}  {app.name}: {counted(app.assignments, 'assignment')}, "
            f"{counted(app.credentials, 'credential')}, {counted(app.sign_in_events, 'sign-in')}{linked}"
        )


@idp.command("link")
@db_option
@click.argument("pilot")
@click.argument("app")
@click.option("--vendor", type=click.Choice(["okta", "entra"]), help="When the name is the same at both.")
@click.pass_context
def link(ctx: click.Context, pilot: str, app: str, vendor: str | None) -> None:
    """Link PILOT to the application APP (its id or its name): its facts then propose findings for it."""
    with opened(ctx) as portfolio:
        portfolio.link_app(pilot, vendor, app)
        pending = len(portfolio.proposals(pilot_id=pilot))
    say(f"{pilot} linked to {app}; {pending} proposal(s) waiting for review ('caio-tui idp review --pilot {pilot}')")


@idp.command("unlink")
@db_option
@click.argument("pilot")
@click.argument("app")
@click.option("--vendor", type=click.Choice(["okta", "entra"]))
@click.pass_context
def unlink(ctx: click.Context, pilot: str, app: str, vendor: str | None) -> None:
    """Remove the link of PILOT to APP; its pending proposals are withdrawn (decided ones stay)."""
    with opened(ctx) as portfolio:
        portfolio.unlink_app(pilot, vendor, app)
    say(f"{pilot} unlinked from {app}")


@idp.command("suggest")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def suggest(ctx: click.Context, as_json: bool) -> None:
    """Links the names and owners suggest, best first. None is made: link the right ones yourself."""
    with opened(ctx) as portfolio:
        found = portfolio.link_suggestions()
    if as_json:
        print_json(_json(found))
        return
    if not found:
        say("no link to suggest")
    for s in found:
        say(f"{s.score:.2f}  {s.pilot_id} ← {s.vendor} {s.app_key} ({s.app_name}): {s.reason}")


# ---- the review queue ------------------------------------------------------------------------------------


def _rule(rule: str | None) -> None:
    from caio_tui.domain.identity_rules import RULE_IDS

    if rule is not None and rule not in RULE_IDS:
        raise CliUsageError(f"unknown identity rule {rule!r} (the rules are {', '.join(RULE_IDS)})")


def _lines(p: Proposal) -> tuple[str, str]:
    """The proposal, then its facts and files (two lines: each is printed as data)."""
    f = p.finding
    what = f"{f.target} → {f.status}" if f.kind == "coverage" else f"open blocker {f.target}"
    decided = "" if p.state == "pending" else f" [{p.state} by {p.decided_by}{': ' + p.outcome if p.outcome else ''}]"
    return f"#{p.id} {p.pilot_id} {f.rule}: {what}{decided}", f"    {f.facts} ({', '.join(f.files)})"


@idp.command("review")
@db_option
@click.option("--pilot", help="One pilot's proposals.")
@click.option("--rule", help="One rule's proposals.")
@click.option(
    "--state", type=click.Choice(["pending", "accepted", "rejected", "all"]), default="pending", show_default=True
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def review(ctx: click.Context, pilot: str | None, rule: str | None, state: str, as_json: bool) -> None:
    """The proposals the identity rules made from the linked applications' facts."""
    _rule(rule)
    with opened(ctx) as portfolio:
        if pilot:
            portfolio.get(pilot)
        found = portfolio.proposals(None if state == "all" else state, pilot, rule)
        apps = [] if found or as_json else portfolio.identity_apps()
    if as_json:
        print_json(_json(found))
        return
    if not found:
        say(f"no {'' if state == 'all' else state + ' '}proposals")
        if not apps:  # the first question of a new user: where do proposals come from
            say("no identity exports imported yet: 'caio-tui idp import FILE...', then 'caio-tui idp link PILOT APP'")
        elif not any(app.pilots for app in apps):
            say("no application is linked to a pilot yet: 'caio-tui idp suggest', then 'caio-tui idp link PILOT APP'")
    for p in found:
        for line in _lines(p):
            say(line)


@idp.command("accept")
@db_option
@click.argument("ids", nargs=-1, type=int)
@click.option("--rule", help="Accept every pending proposal of this rule, across the portfolio.")
@click.pass_context
def accept(ctx: click.Context, ids: tuple[int, ...], rule: str | None) -> None:
    """Accept proposals: each becomes a coverage status or a blocker with its facts as evidence, in one
    change; a status a person set stands (the proposal is kept as evidence beside it)."""
    if bool(ids) == bool(rule):
        raise CliUsageError("give proposal numbers or --rule RULE (one of the two)")
    _rule(rule)
    with opened(ctx) as portfolio:
        if rule:
            say(f"accepted {portfolio.accept_rule(rule)} proposal(s) of rule {rule}")
            return
        for p in portfolio.accept_proposals(list(ids)):
            say(f"#{p.id} accepted: {p.outcome}")


@idp.command("reject")
@db_option
@click.argument("ids", nargs=-1, type=int, required=True)
@click.pass_context
def reject(ctx: click.Context, ids: tuple[int, ...]) -> None:
    """Reject proposals: the same facts will not be proposed again."""
    with opened(ctx) as portfolio:
        decided = portfolio.reject_proposals(list(ids))
    say(f"rejected {len(decided)} proposal(s)")


# ---- the rules -------------------------------------------------------------------------------------------


@idp.group("rules")
def rules() -> None:
    """The identity rules: what each finding proposes, and its thresholds."""


@rules.command("show")
@db_option
@click.option("--toml", "as_toml", is_flag=True, help="The rules as a TOML file, to edit and load back.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def rules_show(ctx: click.Context, as_toml: bool, as_json: bool) -> None:
    """The portfolio's current identity rules (version 0: the defaults shipped with caio-tui)."""
    import tomli_w

    from caio_tui.domain.identity_rules import default_rules_text

    with opened(ctx) as portfolio:
        current = portfolio.identity_rules()
        number = portfolio.identity_rules_version()
    if as_toml:
        sys.stdout.write(default_rules_text() if number == 0 else tomli_w.dumps(current.as_data()))
        return
    if as_json:
        print_json({"version": number, **current.as_data()})
        return
    say(f"identity rules version {number}" + (" (the defaults shipped with caio-tui)" if number == 0 else ""))
    say("  thresholds: " + ", ".join(f"{k} = {v}" for k, v in current.as_data()["thresholds"].items()))
    for rule in current.rules:
        targets = [f"{i} ({', '.join(f'{o}: {s}' for o, s in outs.items())})" for i, outs in rule.proposes.items()]
        targets += [f"blocker {rule.blocker}"] if rule.blocker else []
        off = "" if rule.enabled else " [disabled]"
        say(f"  {rule.id}{off}: {rule.description}; proposes {'; '.join(targets)}")


@rules.command("load")
@db_option
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--check", "check_only", is_flag=True, help="Only validate the file; change nothing.")
@click.pass_context
def rules_load(ctx: click.Context, file: Path, check_only: bool) -> None:
    """Make FILE (TOML, see `idp rules show --toml`) the identity rules; the queue is derived again. A file
    with a problem is refused in one line (exit 2) and nothing is changed."""
    from caio_tui.domain.identity_rules import IdentityRulesError
    from caio_tui.store import StoreError
    from caio_tui.store.identity import check_rules, rules_from_text

    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliError(f"{file}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"{file}: cannot read as UTF-8 text ({exc})") from None
    with opened(ctx) as portfolio:
        try:
            found = rules_from_text(text, file.name)
            check_rules(portfolio, found, file.name)
        except (IdentityRulesError, StoreError) as exc:
            say(f"caio-tui: error: {exc}", err=True)
            ctx.exit(EXIT_USAGE)
        if check_only:
            say(f"{file}: valid ({len(found.rules)} rules); nothing was changed")
            return
        version = portfolio.load_identity_rules(found, file.name)
    say("the identity rules are unchanged" if version is None else f"identity rules version {version} from {file}")


COMMANDS = (idp,)
