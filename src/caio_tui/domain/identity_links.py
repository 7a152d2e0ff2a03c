"""Link suggestions: which imported application each pilot may run as, by name and owner similarity.

Pure. A suggestion is scored and shown for a person to confirm (`caio-tui idp link`, the link review
screen); it is never applied by itself. The score is difflib's ratio of the application's name against the
pilot's name and id (the better of the two, after folding case, punctuation and the words every application
name carries), plus a little when one of the application's owners is the pilot's owner (owners are keyed
like every person, so the pilot's owner is keyed the same way by the caller when it can be).

It runs on every load of the Identity view, over every pilot and application (100,000 x 100 is expected),
so nothing is done twice: each name is folded once, the applications are indexed by their words, and a pilot
is scored only against the applications that share a word with its name or id (a plural found by its
singular, words run together found as one) or that its owner owns; a pair whose lengths alone keep it under
the threshold is not scored at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from operator import attrgetter

from caio_tui.domain.identity_rules import IdentityApp

MIN_SCORE = 0.6  # below this a name is too far from the pilot's to suggest
OWNER_BONUS = 0.2
# Words that say nothing about which system it is.
_NOISE = frozenset({"app", "application", "service", "svc", "prod", "production", "dev", "test", "api", "the", "ai"})
_WORD = re.compile(r"[0-9a-z]+")


@dataclass(frozen=True)
class LinkSuggestion:
    pilot_id: str
    pilot_name: str
    vendor: str
    app_key: str
    app_name: str
    score: float  # 0..1.2: name similarity, plus OWNER_BONUS when the owners match
    reason: str  # in words: what matched


def _fold(text: str) -> tuple[str, ...]:
    return tuple(w for w in _WORD.findall(text.casefold()) if w not in _NOISE)


def words(text: str) -> str:
    """A name folded for comparison: lower case, letters and digits, the noise words dropped."""
    return " ".join(_fold(text))


def _alike(left: str, right: str) -> float:
    """The similarity of two folded names."""
    if not left or not right:
        return 0.0
    if left == right:
        return 1.0
    return SequenceMatcher(None, left, right).ratio()


def similarity(a: str, b: str) -> float:
    return _alike(words(a), words(b))


def _at_most(left: str, right: str) -> float:
    """What `_alike` can reach from the lengths alone (difflib's real_quick_ratio): a bound, never less."""
    if not left or not right:
        return 0.0
    return 2.0 * min(len(left), len(right)) / (len(left) + len(right))


def _masks(text: str) -> dict[str, int]:
    """Where each character of `text` stands, as bits: what `_common` reads a name by."""
    masks: dict[str, int] = {}
    for at, char in enumerate(text):
        masks[char] = masks.get(char, 0) | (1 << at)
    return masks


def _common(left: str, right: str, masks: dict[str, int]) -> int:
    """The longest common subsequence's length (bit-parallel, Hyyrö's), `masks` being `right`'s. difflib's
    matching blocks are a common subsequence, so twice this over both lengths bounds its ratio, at a tenth
    of the cost."""
    full = (1 << len(right)) - 1
    row = full
    for char in left:
        hit = row & masks.get(char, 0)
        row = ((row + hit) | (row - hit)) & full
    return len(right) - row.bit_count()


def _reaching(
    left: str,
    right: str,
    floor: float,
    masks: dict[str, int] | None = None,
    matcher: SequenceMatcher[str] | None = None,
) -> float:
    """`_alike(left, right)`, or 0.0 when the bounds show it stays under `floor` (it then decides neither
    whether the pair is suggested nor which of the pilot's name and id matched better)."""
    if _at_most(left, right) < floor:
        return 0.0
    if left == right:
        return 1.0
    if 2.0 * _common(left, right, masks or _masks(right)) / (len(left) + len(right)) < floor:
        return 0.0
    if matcher is None:
        return SequenceMatcher(None, left, right).ratio()
    matcher.set_seq1(left)
    return matcher.ratio()


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def _keys(parts: tuple[str, ...]) -> set[str]:
    """The words a folded name is found by: each word (a plural by its singular), and all of them run
    together, so 'Benefits Bot' and 'BenefitsBot' find each other."""
    keys = {_stem(w) for w in parts}
    if len(parts) > 1:
        keys.add(_stem("".join(parts)))
    return keys


@dataclass(frozen=True)
class _Named:
    """A pilot's name folded, the applications that share a word with it, and those alike enough to suggest
    on the name alone: (application, score, reason). Names repeat across a portfolio: each is read once."""

    folded: str
    masks: dict[str, int]
    found: frozenset[int]
    alike: tuple[tuple[int, float, str], ...]


class _Apps:
    """The applications, folded once and indexed by word and by owner."""

    def __init__(self, apps: Iterable[IdentityApp], min_score: float) -> None:
        self.apps = list(apps)
        self.min_score = min_score
        self.folded: list[str] = []
        self.by_key: dict[str, set[int]] = {}
        self.by_owner: dict[str, set[int]] = {}
        for n, app in enumerate(self.apps):
            parts = _fold(app.name)
            self.folded.append(" ".join(parts))
            for key in _keys(parts):
                self.by_key.setdefault(key, set()).add(n)
            for owner in {o.casefold() for o in app.owners}:
                self.by_owner.setdefault(owner, set()).add(n)
        self._names: dict[str, _Named] = {}
        self._scores: dict[tuple[int, str, float], float] = {}

    def found_by(self, parts: tuple[str, ...]) -> frozenset[int]:
        return frozenset(n for key in _keys(parts) for n in self.by_key.get(key, ()))

    def by_name(self, n: int, named: _Named, floor: float) -> float:
        """The application's score against a pilot's name, at `floor` (see `_reaching`), each pair once."""
        seen = self._scores.get((n, named.folded, floor))
        if seen is None:
            seen = self._scores[(n, named.folded, floor)] = _reaching(self.folded[n], named.folded, floor, named.masks)
        return seen

    def named(self, name: str) -> _Named:
        seen = self._names.get(name)
        if seen is None:
            parts = _fold(name)
            folded = " ".join(parts)
            masks = _masks(folded)
            found = self.found_by(parts)
            alike = []
            matcher = SequenceMatcher(None, "", folded)  # `_alike`'s, the pilot's side read once
            for n in sorted(found):
                score = _reaching(self.folded[n], folded, self.min_score, masks, matcher)
                if score >= self.min_score:
                    alike.append((n, round(score, 3), _reason(self.apps[n], score, "name")))
            seen = self._names[name] = _Named(folded, masks, found, tuple(alike))
        return seen


PER_PILOT = 3  # suggestions kept per pilot, best first


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
    index = _Apps(apps, min_score)
    vendors = [app.vendor.value for app in index.apps]
    owners: dict[str, str] = {}
    found: list[LinkSuggestion] = []
    for pilot_id, name, owner in pilots:
        start = len(found)
        named = index.named(name)
        id_parts = _fold(pilot_id)
        by_id = index.found_by(id_parts) if id_parts else frozenset()
        if owner and owner not in owners:
            owners[owner] = (owner_key(owner) if owner_key else owner).casefold()
        owner_as = owners[owner] if owner else ""
        owned = index.by_owner.get(owner_as, set()) if owner_as else set()
        if not by_id and not owned:  # most pilots: what the name alone suggests
            for n, score, reason in named.alike:
                app = index.apps[n]
                if not linked or (pilot_id, vendors[n], app.key) not in linked:
                    found.append(LinkSuggestion(pilot_id, name, vendors[n], app.key, app.name, score, reason))
            _keep_best(found, start)
            continue
        for n in sorted(named.found | by_id | owned):
            app = index.apps[n]
            if (pilot_id, vendors[n], app.key) in linked:
                continue
            is_owned = n in owned
            floor = min_score / 2 if is_owned else min_score
            suggestion = _suggestion(
                pilot_id,
                name,
                app,
                index.by_name(n, named, floor),
                _reaching(index.folded[n], " ".join(id_parts), floor) if n in by_id else 0.0,
                is_owned,
                min_score,
            )
            if suggestion is not None:
                found.append(suggestion)
        _keep_best(found, start)
    # Best first, then by pilot and application: two stable sorts whose keys run in C.
    found.sort(key=attrgetter("pilot_id", "app_name"))
    found.sort(key=attrgetter("score"), reverse=True)
    return found


def _keep_best(found: list[LinkSuggestion], start: int) -> None:
    """One pilot's suggestions (from `start` on) cut to its PER_PILOT best: a person reviews a few likely
    applications per pilot, and a portfolio of 100,000 similar names would otherwise offer hundreds of
    thousands."""
    if len(found) - start > PER_PILOT:
        mine = sorted(found[start:], key=lambda s: (-s.score, s.app_name))
        del found[start:]
        found.extend(mine[:PER_PILOT])


def _reason(app: IdentityApp, score: float, what: str) -> str:
    return f"{app.name!r} is {score:.0%} like the pilot's {what}"


def _suggestion(
    pilot_id: str, name: str, app: IdentityApp, by_name: float, by_id: float, owned: bool, min_score: float
) -> LinkSuggestion | None:
    score = max(by_name, by_id)
    if score < min_score and not (owned and score >= min_score / 2):
        return None
    reason = _reason(app, score, "name" if by_name >= by_id else "id")
    if owned:
        score += OWNER_BONUS
        reason += ", and the pilot's owner owns it"
    return LinkSuggestion(pilot_id, name, app.vendor.value, app.key, app.name, round(score, 3), reason)
