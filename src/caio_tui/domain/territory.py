"""Blocker categories and the territory they put a pilot in: plain enums and rules, without pydantic, so
the first screen can show territories and filter by them before any model is loaded."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class BlockerCategory(StrEnum):
    IDENTITY = "identity"
    INFRASTRUCTURE = "infrastructure"
    GOVERNANCE = "governance"
    ORGANIZATIONAL = "organizational"

    @property
    def structural(self) -> bool:
        """Identity, infrastructure and governance gaps are the envelope the pilot was built outside of."""
        return self is not BlockerCategory.ORGANIZATIONAL


class Territory(StrEnum):
    CLEAR = "clear"
    INFRASTRUCTURE = "infrastructure"
    ORGANIZATIONAL = "organizational"
    BOTH = "both"
    UNASSESSED = "unassessed"


def territory(open_categories: Iterable[BlockerCategory], *, assessed: bool = True) -> Territory:
    """Which kind of gap holds a pilot back, from the categories of its open blockers. With none open, a
    pilot with something assessed is clear, and one with nothing assessed is unassessed: nobody has
    looked yet, which must never read as healthy."""
    categories = set(open_categories)
    structural = any(c.structural for c in categories)
    organizational = BlockerCategory.ORGANIZATIONAL in categories
    if structural and organizational:
        return Territory.BOTH
    if structural:
        return Territory.INFRASTRUCTURE
    if organizational:
        return Territory.ORGANIZATIONAL
    return Territory.CLEAR if assessed else Territory.UNASSESSED


# When a pilot has several open blockers, the one shown first: structural before organizational,
# because change management cannot fix it.
CATEGORY_WEIGHT: dict[BlockerCategory, int] = {
    BlockerCategory.IDENTITY: 0,
    BlockerCategory.GOVERNANCE: 1,
    BlockerCategory.INFRASTRUCTURE: 2,
    BlockerCategory.ORGANIZATIONAL: 3,
}
