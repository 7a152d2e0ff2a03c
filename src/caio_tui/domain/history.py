"""Audit events: who changed what, when, with the state before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

# Actions undo reverts, last first: each change, an import or a rules load as one whole step. A bulk load
# into an empty portfolio ("generate", a snapshot import) is listed so that undo stops at it and refuses by
# name, never reaching past it to an older change. An undo itself is never undone.
UNDOABLE = frozenset(
    {
        "pilot.create",
        "pilot.edit",
        "coverage.set",
        "blocker.open",
        "blocker.resolve",
        "stage.move",
        "tag.create",
        "import",
        "cots.import",
        "rules.replace",
        "generate",
        "idp.import",
        "idp.link",
        "idp.unlink",
        "idp.accept",
        "idp.reject",
        "idp.rules",
        "office.resolve",
        "office.request",
    }
)


class AuditEvent(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True)
    id: int
    at: datetime
    actor: str
    action: str
    pilot_id: str | None
    before: Any = None
    after: Any = None
    source: str = ""
    undoes: int | None = None
    hash: str = ""

    def summary(self) -> str:
        """One line in the domain's words, e.g. 'coverage.set access.roles: gap → met'."""
        b = self.before if isinstance(self.before, dict) else {}
        a = self.after if isinstance(self.after, dict) else {}
        if self.action == "coverage.set":
            return f"{a.get('item_id')}: {b.get('status', 'not_assessed')} → {a.get('status', 'not_assessed')}"
        if self.action == "stage.move":
            text = f"{b.get('stage')} → {a.get('stage')}"
            return text + (f" (override: {a['override']})" if a.get("override") else "")
        if self.action == "blocker.resolve":
            # How it was resolved, never the opening note (that said why it blocked).
            return f"{a.get('tag')}" + (f": resolved: {a['resolution']}" if a.get("resolution") else "")
        if self.action == "blocker.open":
            row = a or b
            return f"{row.get('tag')}" + (f": {row['note']}" if row.get("note") else "")
        if self.action == "pilot.edit":
            return ", ".join(f"{k}: {b.get(k)!r} → {v!r}" for k, v in a.items())
        if self.action == "pilot.create":
            return f"{a.get('name')} ({a.get('stage')})"
        if self.action == "undo":
            return f"undid event {self.undoes}"
        if isinstance(self.after, dict) and "summary" in self.after:
            return str(self.after["summary"])
        return ""

    def summary_for(self, pilot_id: str | None) -> str:
        """The line of this event in one pilot's history: for an office merge, what it did to that pilot (the
        fields it applied, with the office as their source; its conflicts and stage request), not the
        bundle's totals (which name other pilots' conflicts); otherwise `summary()`."""
        after = self.after if isinstance(self.after, dict) else {}
        pilots = after.get("pilots") if self.action == "office_merge" else None
        done = pilots.get(pilot_id) if isinstance(pilots, dict) and pilot_id else None
        if not done:
            return self.summary()
        from caio_tui.domain.office_values import office_named

        office = office_named(str(after.get("office")))
        return f"from {office} (send {after.get('send_id')}): {', '.join(map(str, done))}"
