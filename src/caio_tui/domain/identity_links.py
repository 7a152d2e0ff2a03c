"""Link suggestions: which imported application each pilot may run as, by name and owner similarity.

Pure. A suggestion is scored and shown for a person to confirm (`caio-tui idp link`, the link review
screen); it is never applied by itself. The score is difflib's ratio of the application's name against the
pilot's name and id (the better of the two, after folding case, punctuation and the words every application
name carries), plus a little when one of the application's owners is the pilot's owner (owners are keyed
like every person, so the pilot's owner is keyed the same way by the caller when it can be).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from caio_tui.domain.identity_rules import IdentityApp

MIN_SCORE = 0.6  # below this a name is too far from the pilot's to suggest
OWNER_BONUS = 0.2
# Words that say nothing about which system it is.
_NOISE = frozenset({"app", "application", "service", "svc", "prod", "production", "dev", "test", "api", "the", "ai"})


@dataclass(frozen=True)
class LinkSuggestion:
    pilot_id: str
    pilot_name: str
    vendor: str
    app_key: str
    app_name: str
    score: float  # 0..1.2: name similarity, plus OWNER_BONUS when the owners match
    reason: str  # in words: what matched


def words(text: str) -> str:
    """A name folded for comparison: lower case, letters and digits, the noise words dropped."""
    parts = [w for w in re.split(r"[^0-9a-z]+", text.casefold()) if w and w not in _NOISE]
    return " ".join(parts)


def similarity(a: str, b: str) -> float:
    left, right = words(a), words(b)
    if not left or not right:
        return 0.0
    if left == right:
        return 1.0
    return SequenceMatcher(None, left, right).ratio()


def suggest_links(
    pilots: Sequence[tuple[str, str, str]],
    apps: Iterable[IdentityApp],
    linked: set[tuple[str, str, str]],
    *,
    owner_key: Callable[[str], str] | None = None,
    min_score: float = MIN_SCORE,
) -> list[LinkSuggestion]:
    """For each (pilot id, name, owner) and application not already linked, a suggestion when the names are
    alike; best first. `owner_key` turns a pilot's owner into the form the applications' owners take."""
    found = []
    apps = list(apps)
    for pilot_id, name, owner in pilots:
        owner_as = (owner_key(owner) if owner_key else owner).casefold() if owner else ""
        for app in apps:
            if (pilot_id, app.vendor.value, app.key) in linked:
                continue
            by_name, by_id = similarity(app.name, name), similarity(app.name, pilot_id)
            score = max(by_name, by_id)
            owned = bool(owner_as) and owner_as in {o.casefold() for o in app.owners}
            if score < min_score and not (owned and score >= min_score / 2):
                continue
            what = "name" if by_name >= by_id else "id"
            reason = f"{app.name!r} is {score:.0%} like the pilot's {what}"
            if owned:
                score += OWNER_BONUS
                reason += ", and the pilot's owner owns it"
            found.append(LinkSuggestion(pilot_id, name, app.vendor.value, app.key, app.name, round(score, 3), reason))
    return sorted(found, key=lambda s: (-s.score, s.pilot_id, s.app_name))
