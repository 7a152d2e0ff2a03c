"""What the tests share beside the fixtures of conftest.py: the fixed clock and where the repository is.

`helpers.tui` drives the app (an app that keeps its notifications, keys pressed until it is still, a
view settled before a snapshot); `helpers.old_schema` rewrites a portfolio as an older release left it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent
DATA = TESTS / "data"  # files the tests read: golden outputs, hostile files, OMB inventories
