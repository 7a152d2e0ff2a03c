"""The pilot's identity facts on its detail screen: the IdP applications it is linked to (own identity,
strongest credential, who may sign in, credentials, sign-in events), what the identity rules find in them
today (shared accounts, personal credentials, credential ages, leavers, the span of the sign-in records),
and how many proposals wait in the Identity view. Hidden for a pilot with no linked application.

Read in a worker (a few queries over the facts tables); names come from files: shown as data, never markup.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from textual import work
from textual.content import Content
from textual.widgets import Static

from caio_tui.domain.text import printable
from caio_tui.store import Portfolio, StoreError
from caio_tui.tui.styles.content import MUTED

if TYPE_CHECKING:
    from caio_tui.domain.identity_rules import IdentityApp, PilotIdentity

_OWN = {"service_app": "service app", "application": "application identity", "managed_identity": "managed identity"}


def app_line(app: IdentityApp) -> Content:
    """One linked application in a line: `Benefits Assistant (okta) · own identity: service app, secret · …`."""
    parts = [f"{app.vendor}"]
    if app.own_identity is not None:
        strength = f", {app.strongest_credential}" if app.strongest_credential else ""
        parts.append(f"own identity: {_OWN.get(app.own_identity, app.own_identity)}{strength}")
    if app.assignment_required is False:
        parts.append("open to every user of the tenant")
    parts.append(f"{app.assignments:,} assigned")
    if app.credentials:
        parts.append(f"{app.credentials} credential(s)")
    parts.append(f"{app.sign_in_events:,} sign-in event(s)")
    return Content.assemble("  ", (printable(app.name), "bold"), " (", printable(" · ".join(parts)), ")")


def identity_content(found: PilotIdentity) -> Content:
    lines = [Content.styled("Identity (from the IdP's exports)", "bold")]
    lines += [app_line(app) for app in found.apps]
    for finding in found.findings:
        lines.append(Content.assemble("  • ", (printable(finding.rule), "bold"), " ", printable(finding.facts)))
    pending = sum(1 for p in found.proposals if p.state == "pending")
    if pending:
        lines.append(Content.styled(f"  {pending} proposal(s) wait for review: key 7", MUTED))
    return Content("\n").join(lines)


class IdentityFacts(Static):
    """The identity section; `load` reads the pilot's facts again."""

    DEFAULT_CSS = """
    IdentityFacts {
        height: auto;
        margin-bottom: 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.display = False
        self.facts: PilotIdentity | None = None

    @work(exclusive=True, group="detail.identity")
    async def load(self, portfolio: Portfolio, pilot_id: str) -> None:
        try:
            found = await asyncio.to_thread(portfolio.pilot_identity, pilot_id)
        except StoreError:
            found = None  # the pilot is gone: the screen says so
        self.facts = found
        self.display = bool(found and found.apps)
        self.update(identity_content(found) if found and found.apps else "")


__all__ = ["IdentityFacts", "app_line", "identity_content"]
