"""The Identity view (key `7`, the palette): what the identity provider's exports say, to review by hand.

Two lists, `t` switches between them. **Proposals**: the findings of the identity rules over each pilot's
linked applications (pilot, rule, the change proposed, the facts and the file they came from); `a` accepts
the highlighted one, `x` rejects it (not proposed again for the same facts), `A` accepts every pending
proposal of the highlighted one's rule across the portfolio, after a confirmation that gives the count.
Accepting never overwrites a person's assessment: the store records it as evidence only. **Links**: the
applications that look like a pilot's by name and owner; `enter` or `l` links the highlighted one. Nothing
is ever linked by itself.

Every read and write runs in a worker thread; user text (names, facts, files) is shown as Text, never markup.
The proposals and the suggested links are read by two workers: scoring every pilot against every
application takes a while in a large portfolio, and the proposals never wait for it. A decision on a
proposal reads the proposals again, not the links (it changes no name, application or link).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import Static

from caio_tui.domain.text import clip, printable
from caio_tui.store import Portfolio, StoreError
from caio_tui.tui.dialogs.questions import ConfirmScreen
from caio_tui.tui.screens.view import ViewScreen
from caio_tui.tui.widgets.quiet_footer import QuietFooter
from caio_tui.tui.widgets.view_bar import ViewBar
from caio_tui.tui.widgets.virtual_table import Column, SequenceSource, TableRow, VirtualTable

if TYPE_CHECKING:
    from caio_tui.domain.identity_links import LinkSuggestion
    from caio_tui.domain.identity_rules import Proposal

NARROW_BELOW = 100
PROPOSALS, LINKS = "proposals", "links"
NO_PROPOSALS = "No proposals wait. Read the IdP's exports: ctrl+p, Import identity exports…"
NO_LINKS = "No link to suggest: each pilot-like app is linked, or none was imported"


def proposal_columns(width: int) -> tuple[Column, ...]:
    narrow = width < NARROW_BELOW
    return (
        Column("pilot", "Pilot", 8),
        Column("rule", "Rule", 20 if not narrow else 14, min_width=10),
        Column("change", "Proposes", 34 if not narrow else 24, min_width=12),
        Column("facts", "Facts", 40 if not narrow else 20, min_width=12),
        Column("file", "File", 18 if not narrow else 10, min_width=8),
    )


def link_columns(width: int) -> tuple[Column, ...]:
    narrow = width < NARROW_BELOW
    return (
        Column("pilot", "Pilot", 30 if not narrow else 20, min_width=10),
        Column("app", "Application", 30 if not narrow else 20, min_width=10),
        Column("vendor", "IdP", 6),
        Column("score", "Match", 6),
        Column("why", "Why", 30, min_width=10),
    )


def proposed_change(proposal: Proposal) -> str:
    """The change in words: `blocker shared-service-account`, `access.governed_iam → gap`."""
    finding = proposal.finding
    if finding.kind == "blocker":
        return f"blocker {finding.target}"
    return f"{finding.target} → {finding.status}"


def proposal_rows(proposals: list[Proposal]) -> list[TableRow]:
    """A row per pending proposal; its key is the proposal's id."""
    return [
        TableRow(
            str(p.id),
            (
                Text(printable(p.pilot_id), style="bold"),
                Text(printable(p.rule)),
                Text(printable(proposed_change(p)), style="bold" if p.finding.kind == "blocker" else ""),
                Text(clip(printable(p.finding.facts), 400)),
                Text(printable(", ".join(p.finding.files))),
            ),
        )
        for p in proposals
    ]


def link_rows(suggestions: list[LinkSuggestion]) -> list[TableRow]:
    """A row per suggested link, best first; its key is its index in the list."""
    return [
        TableRow(
            str(n),
            (
                Text(printable(f"{s.pilot_id} {s.pilot_name}")),
                Text(printable(s.app_name)),
                Text(printable(s.vendor)),
                Text(f"{min(s.score, 1.0):.0%}"),
                Text(printable(s.reason)),
            ),
        )
        for n, s in enumerate(suggestions)
    ]


class IdentityScreen(ViewScreen, inherit_bindings=False):
    """Proposals from the IdP's exports and suggested links; every decision is a person's."""

    DEFAULT_CSS = """
    IdentityScreen #identity-title {
        height: auto;
        padding: 0 1;
    }
    IdentityScreen #identity-table {
        height: 1fr;
    }
    IdentityScreen #identity-facts {
        height: auto;
        max-height: 6;
        padding: 0 1;
        border-top: solid $primary-muted;
    }
    IdentityScreen #identity-hint {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "switch", "Proposals/links", id="identity.switch", tooltip="Switch between proposals and links"),
        Binding("a", "accept", "Accept", id="identity.accept", tooltip="Accept the highlighted proposal"),
        Binding("x", "reject", "Reject", id="identity.reject", tooltip="Reject the highlighted proposal"),
        Binding(
            "A", "accept_rule", "Accept rule", id="identity.accept_rule", tooltip="Accept its rule's proposals (asks)"
        ),
        Binding("l", "link", "Link", id="identity.link", tooltip="Link the highlighted application to the pilot"),
    ]

    def __init__(self, portfolio: Portfolio) -> None:
        super().__init__(id="identity-view")
        self.portfolio = portfolio
        self.showing = PROPOSALS
        self.pending: list[Proposal] | None = None
        self.suggestions: list[LinkSuggestion] = []
        self.suggestions_read = False

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#identity-table", VirtualTable)

    def compose(self) -> ComposeResult:
        yield ViewBar("identity")
        yield Static(Content.assemble(("Identity review", "bold"), " · reading…"), id="identity-title")
        yield VirtualTable(self._columns(), None, empty_message=NO_PROPOSALS, id="identity-table")
        yield Static("", id="identity-facts", markup=False)
        yield Static("", id="identity-hint", markup=False)
        yield QuietFooter()

    def on_mount(self) -> None:
        self.table.focus()
        self.load()

    def on_resize(self) -> None:
        columns = self._columns()
        if columns != self.table.columns:
            self.table.set_columns(columns)
            self._show()

    def _columns(self) -> tuple[Column, ...]:
        width = self.app.size.width - 1
        return proposal_columns(width) if self.showing == PROPOSALS else link_columns(width)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("accept", "reject", "accept_rule"):
            return self.showing == PROPOSALS and bool(self.pending)
        if action == "link":
            return self.showing == LINKS and bool(self.suggestions)
        return True

    # ---- reading -----------------------------------------------------------------------------------------

    def load(self, *, links: bool = True) -> None:
        """Read the proposals again, and (unless `links` is False) the suggested links."""
        self._stale = False
        self._load_proposals()
        if links:
            self._load_links()

    @work(exclusive=True, group="identity.proposals")
    async def _load_proposals(self) -> None:
        try:
            self.pending = await asyncio.to_thread(self.portfolio.proposals)
        except StoreError as exc:
            self.notify(str(exc), title="Cannot read the identity review", severity="error", markup=False)
            return
        self._show()
        self.refresh_bindings()

    @work(exclusive=True, group="identity.links")
    async def _load_links(self) -> None:
        try:
            self.suggestions = await asyncio.to_thread(self.portfolio.link_suggestions)
        except StoreError as exc:
            self.notify(str(exc), title="Cannot suggest links", severity="error", markup=False)
            return
        self.suggestions_read = True
        self._show()
        self.refresh_bindings()

    def _show(self, *, keep_cursor: bool = True) -> None:
        if self.pending is None or not self.is_mounted:
            return
        table = self.table
        if self.showing == PROPOSALS:
            table.empty_message = NO_PROPOSALS
            table.set_source(
                SequenceSource(proposal_rows(self.pending)),
                keep_cursor_key=keep_cursor,
                cursor=None if keep_cursor else 0,
            )
            hint = "a: accept · x: reject · A: accept the rule everywhere · enter: open the pilot · t: links"
        else:
            table.empty_message = NO_LINKS
            table.set_source(
                SequenceSource(link_rows(self.suggestions)),
                keep_cursor_key=keep_cursor,
                cursor=None if keep_cursor else 0,
            )
            hint = "enter or l: link the application to the pilot · t: proposals"
        pilots = len({p.pilot_id for p in self.pending})
        proposals = f"{len(self.pending)} pending for {pilots} pilot(s)"
        suggested = str(len(self.suggestions)) if self.suggestions_read else "…"  # read in a worker of its own
        # The tab shown first, the other one short: one line at 80 columns.
        if self.showing == PROPOSALS:
            counts = f"Proposals: {proposals} · links: {suggested} suggested"
        else:
            counts = f"Suggested links: {suggested} · proposals: {proposals}"
        self.query_one("#identity-title", Static).update(Content.assemble(("Identity review", "bold"), f" · {counts}"))
        self.query_one("#identity-hint", Static).update(hint)
        self._show_facts(table.cursor_key)

    @on(VirtualTable.CursorMoved, "#identity-table")
    def _moved(self, event: VirtualTable.CursorMoved) -> None:
        self._show_facts(event.key)

    def _show_facts(self, key: str | None) -> None:
        """The highlighted row in full: the facts a column can only begin."""
        text = Text()
        if self.showing == PROPOSALS:
            proposal = next((p for p in self.pending or [] if str(p.id) == key), None)
            if proposal is not None:
                text.append(printable(f"{proposal.pilot_id} · {proposal.rule} · {proposed_change(proposal)}"), "bold")
                text.append("\n" + printable(proposal.finding.facts))
                text.append("\nfrom " + printable(", ".join(proposal.finding.files)), "italic")
        elif key is not None and key.isdigit() and int(key) < len(self.suggestions):
            s = self.suggestions[int(key)]
            text.append(printable(f"{s.pilot_id} {s.pilot_name} ↔ {s.app_name} ({s.vendor})"), "bold")
            text.append("\n" + printable(s.reason))
        facts = self.query_one("#identity-facts", Static)
        facts.update(text)
        facts.display = bool(text.plain)

    def action_switch(self) -> None:
        self.showing = LINKS if self.showing == PROPOSALS else PROPOSALS
        self.table.set_columns(self._columns())
        self._show(keep_cursor=False)  # the other list's keys mean other rows
        self.refresh_bindings()

    # ---- deciding ------------------------------------------------------------------------------------------

    def _highlighted(self) -> Proposal | None:
        key = self.table.cursor_key
        return next((p for p in self.pending or [] if str(p.id) == key), None)

    def action_accept(self) -> None:
        proposal = self._highlighted()
        if proposal is not None:
            self._write(
                lambda: self.portfolio.accept_proposals([proposal.id]), f"Accepted: {_said(proposal)}", links=False
            )

    def action_reject(self) -> None:
        proposal = self._highlighted()
        if proposal is not None:
            self._write(
                lambda: self.portfolio.reject_proposals([proposal.id]), f"Rejected: {_said(proposal)}", links=False
            )

    def action_accept_rule(self) -> None:
        proposal = self._highlighted()
        if proposal is None:
            return
        rule = proposal.rule
        count = sum(1 for p in self.pending or [] if p.rule == rule)
        pilots = len({p.pilot_id for p in self.pending or [] if p.rule == rule})

        def answered(yes: bool | None) -> None:
            if yes:
                self._write(
                    lambda: self.portfolio.accept_rule(rule), f"Accepted the {count} proposal(s) of {rule}", links=False
                )

        self.app.push_screen(
            ConfirmScreen(
                printable(f"Accept all {count} pending proposal(s) of rule {rule}?"),
                printable(
                    f"For {pilots} pilot(s). A status a person set stays as it is (the proposal becomes its "
                    "evidence); u undoes the whole decision."
                ),
            ),
            answered,
        )

    def action_link(self) -> None:
        key = self.table.cursor_key
        if self.showing != LINKS or key is None or not key.isdigit() or int(key) >= len(self.suggestions):
            return
        s = self.suggestions[int(key)]
        self._write(
            lambda: self.portfolio.link_app(s.pilot_id, s.vendor, s.app_key), f"Linked {s.pilot_id} to {s.app_name}"
        )

    @on(VirtualTable.RowActivated, "#identity-table")
    def _activated(self, event: VirtualTable.RowActivated) -> None:
        if self.showing == LINKS:
            self.action_link()
            return
        proposal = self._highlighted()
        if proposal is not None:
            from caio_tui.tui.screens.detail import PilotDetailScreen

            self.app.push_screen(PilotDetailScreen(self.portfolio, proposal.pilot_id))

    @work(group="identity.write")
    async def _write(self, change: Callable[[], Any], done: str, *, links: bool = True) -> None:
        """Make the change, then read again what it changed (a decision on proposals: not the links)."""
        try:
            await asyncio.to_thread(change)
        except StoreError as exc:
            self.notify(str(exc), title="Nothing was changed", severity="error", markup=False)
            return
        self.notify(printable(done), markup=False)
        from caio_tui.tui.host import CaioHost

        if isinstance(self.app, CaioHost):
            self.app.portfolio_changed(source=self, details=True)
        self.load(links=links)


def _said(proposal: Proposal) -> str:
    return f"{proposal.pilot_id} {proposed_change(proposal)}"


__all__ = ["IdentityScreen", "link_rows", "proposal_rows", "proposed_change"]
