"""The export formats of io.inventory with what the user sees, apart from the export dialog so the
command palette can list them without importing io/."""

from __future__ import annotations

# Export formats of io.inventory, with what the user sees.
EXPORTS: tuple[tuple[str, str], ...] = (
    ("snapshot", "snapshot (JSON)"),
    ("csv", "CSV of pilots"),
    ("markdown", "Markdown briefing"),
    ("html", "HTML briefing"),
    ("omb", "OMB inventory in its source layout (CSV)"),
    ("omb-2025", "OMB 2025 AI use case inventory (CSV)"),
)
