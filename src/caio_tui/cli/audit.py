"""The audit trail, headless: `history` (with `--verify`, a mark on each event and a verdict on the
chain), `verify` (integrity, chain, rows against the state seal, a noted head) and `undo`.

The marks come from the store's walk of the whole hash chain (store/audit.py), so an event listed alone
(`history PILOT --verify`, `--limit`) is still vouched for by every event before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from caio_tui.cli.plumbing import EXIT_ERROR, CliUsageError, db_option, opened, print_json, say

if TYPE_CHECKING:
    from caio_tui.io.anchors import NotedHead
    from caio_tui.store import Portfolio
    from caio_tui.store.audit import ChainReport
    from caio_tui.store.seal import StateReport

GLYPHS = {"verified": "✓", "broken": "✗", "unverified": "?"}


def chain_of(portfolio: Portfolio) -> ChainReport:
    """Every event's mark; the walk reads the whole trail in one pass (about 1.6 s per 100,000 events)."""
    from caio_tui.store import audit

    with portfolio.session.lock:  # one walk at a time on a connection a TUI worker may share
        return audit.check_chain(portfolio.conn)


def text_mark(chain: ChainReport | None, event_id: int) -> str:
    """The column before each history line: ✓ verified, ✗ broken, ? after a break; nothing without --verify."""
    if chain is None:
        return ""
    mark = chain.marks.get(event_id)
    return f"{GLYPHS[mark.value] if mark else '?'} "


def json_mark(chain: ChainReport | None, event_id: int) -> dict[str, Any]:
    if chain is None:
        return {}
    mark = chain.marks.get(event_id)
    return {"chain": mark.value if mark else "unverified"}


def echo_verdict(chain: ChainReport | None, *, to_stderr_only: bool = False) -> bool:
    """The chain's verdict after the events: the head to note down on success (stdout, unless the output
    is JSON), the first event that does not match on failure (stderr). True when the chain holds."""
    if chain is None:
        return True
    if chain.broken is not None:
        click.echo(f"audit trail broken at event {chain.broken.event_id}: {chain.broken.reason}", err=True)
        return False
    if not to_stderr_only:
        click.echo(f"✓ {chain.checked} audit events verified; head {chain.head}")
    return True


@dataclass(frozen=True)
class Verification:
    """What `caio-tui verify` found: the file's integrity, the chain, the rows against the state seal, and
    optionally a head noted earlier."""

    integrity: list[str]
    chain: ChainReport
    state: StateReport
    events: int
    head: str
    anchor: NotedHead | None
    anchor_event: int | None  # where the noted head is in the trail; None when it is not

    @property
    def anchor_holds(self) -> bool:
        if self.anchor is None:
            return True
        if self.anchor_event is None:
            return False
        return self.anchor.events is None or self.anchor.events == self.anchor_event

    @property
    def ok(self) -> bool:
        return not self.integrity and self.chain.broken is None and self.state.holds and self.anchor_holds

    def anchor_line(self) -> str | None:
        if self.anchor is None:
            return None
        short = self.anchor.head[:16]
        if not self.anchor_holds:
            return (
                f"{self.anchor.source} ({short}…) is not in the audit trail: "
                "the trail was rewritten or cut after it was noted"
            )
        since = self.events - (self.anchor_event or 0)
        return f"{self.anchor.source} ({short}…) is event {self.anchor_event}; {since} event(s) since"

    def echo(self) -> None:
        from caio_tui.domain.text import printable

        for problem in self.integrity:
            click.echo(f"integrity: {problem}", err=True)
        if self.chain.broken:
            click.echo(
                f"audit trail broken at event {self.chain.broken.event_id}: {self.chain.broken.reason}", err=True
            )
        for problem in self.state.problems():
            click.echo(f"state: {printable(problem)}", err=True)
        anchor = self.anchor_line()
        if anchor is not None:
            click.echo(("✓ " if self.anchor_holds else "anchor: ") + anchor, err=not self.anchor_holds)
        if self.ok:
            click.echo(
                f"ok: integrity holds; {self.chain.checked} audit events verified; "
                f"{self.state.groups} groups of rows match the seal"
            )
        click.echo(f"head {self.head} (event {self.events})")

    def as_json(self) -> dict[str, Any]:
        broken = self.chain.broken
        return {
            "ok": self.ok,
            "events": self.events,
            "head": self.head,
            "events_checked": self.chain.checked,
            "integrity_problems": self.integrity,
            "first_bad_event": broken.event_id if broken else None,
            "reason": broken.reason if broken else None,
            "state": {
                "holds": self.state.holds,
                "groups": self.state.groups,
                "problems": self.state.problems(),
                "rows": [{"table": f.table, "group": f.group, "kind": f.kind} for f in self.state.faults],
            },
            "anchor": None
            if self.anchor is None
            else {"head": self.anchor.head, "noted_at_event": self.anchor.events, "found_at_event": self.anchor_event},
        }


def verify(portfolio: Portfolio, anchor: NotedHead | None) -> Verification:
    integrity = portfolio.integrity_problems()
    chain = chain_of(portfolio)
    state = portfolio.check_state()
    events, head = portfolio.audit_head()
    return Verification(
        integrity=integrity,
        chain=chain,
        state=state,
        events=events,
        head=head,
        anchor=anchor,
        anchor_event=None if anchor is None else portfolio.event_with_hash(anchor.head),
    )


# ---- the commands -------------------------------------------------------------------------------------


@click.command()
@db_option
@click.argument("pilot", required=False)
@click.option("--limit", type=click.IntRange(min=1), help="Only the last N events.")
@click.option("--json", "as_json", is_flag=True, help="Events as a JSON array.")
@click.option(
    "--verify", "check", is_flag=True, help="Mark each event as verified by the hash chain (exit 1 if broken)."
)
@click.pass_context
def history(ctx: click.Context, pilot: str | None, limit: int | None, as_json: bool, check: bool) -> None:
    """The audit trail, of one pilot or the whole portfolio."""
    from caio_tui.domain.text import printable

    with opened(ctx) as portfolio:
        if pilot:
            portfolio.get(pilot)
        events = portfolio.history(pilot, limit)
        chain = chain_of(portfolio) if check else None
    if as_json:
        print_json([e.model_dump(mode="json") | json_mark(chain, e.id) for e in events])
    else:
        for e in events:
            said = e.summary_for(pilot)
            line = f"{e.id:>6} {e.at:%Y-%m-%d %H:%M} {e.actor:<12} {e.action:<16} {e.pilot_id or '':<12} {said}"
            click.echo(text_mark(chain, e.id) + printable(line))
    if not echo_verdict(chain, to_stderr_only=as_json):
        ctx.exit(EXIT_ERROR)


@click.command("verify")
@db_option
@click.option("--json", "as_json", is_flag=True, help="The result as JSON.")
@click.option(
    "--head",
    "noted",
    metavar="HASH|FILE",
    help="Also prove that a head noted earlier (a hash, or a snapshot or HTML briefing) is still in the trail.",
)
@click.pass_context
def verify_(ctx: click.Context, as_json: bool, noted: str | None) -> None:
    """Check the file's integrity, the audit trail's hash chain and every row against the state seal
    (exit 1 when anything fails). Note the head it prints somewhere outside the file."""
    from caio_tui.io.anchors import AnchorError, noted_head

    try:
        anchor = noted_head(noted) if noted else None  # read before the portfolio is open
    except AnchorError as exc:
        raise CliUsageError(str(exc)) from None
    with opened(ctx) as portfolio:
        result = verify(portfolio, anchor)
    if as_json:
        print_json(result.as_json())
    else:
        result.echo()
    if not result.ok:
        ctx.exit(EXIT_ERROR)


@click.command()
@db_option
@click.pass_context
def undo(ctx: click.Context) -> None:
    """Revert your last change, recorded as an audit event of its own."""
    with opened(ctx) as portfolio:
        target = portfolio.undo()
    if target is None:
        click.echo("nothing to undo")
    else:
        if target.action in UNDONE_WORDS:  # the summary says which conflict or request, and of which pilot
            say(f"undid {UNDONE_WORDS[target.action]}: {target.summary()}")
        else:
            say(" ".join(part for part in ("undid", target.action, target.pilot_id, target.summary()) if part))


# The office decisions' events in words, not their internal names.
UNDONE_WORDS = {"office.resolve": "a conflict decision", "office.request": "a stage request decision"}


COMMANDS = (history, verify_, undo)
