""" "Did you mean" for the filter language: a value it does not know, or a bare word one slip away from a
flag, is a one-line error naming the nearest known value (difflib), so a typo never quietly keeps nothing.

Blocker tags and offices are the portfolio's own (`FilterVocabulary`, read by the store); stages,
categories and territories are the domain's. A bare word is only taken for a misspelt flag when it is very
close to one and is not the start of one (`read` on the way to `ready` still searches as text).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from caio_tui.domain.territory import BlockerCategory

_FLAGS = ("stalled", "high-impact", "stale", "below-gate", "ready", "waiting")  # domain.filters.FLAGS (imports this)
_FLAG_CUTOFF = 0.85  # stalld 0.92, hi-impact 0.9, belowgate 0.95; state (vs stale) 0.8 stays free text
_VALUE_CUTOFF = 0.6  # difflib's own default: a value of a token is never free text, so any near one helps


class Misspelt(ValueError):
    """A value one slip away from a known one: the error names it, and says which `typed` value of the
    filter `near` would replace (so the app can offer to take it). `head` is the reason up to the question,
    `tail` what follows it."""

    def __init__(self, head: str, typed: str, near: str, tail: str = "") -> None:
        super().__init__(head + tail)
        self.head = head
        self.tail = tail
        self.typed = typed
        self.near = near


def take_near(query: str, misspelt: Misspelt) -> str | None:
    """`query` with the misspelt value replaced by the one it was near (quoted when it holds a space or a
    comma), or None when the value cannot be found as a whole word or token value of the query."""
    near = misspelt.near
    if any(c in near for c in " ,") and '"' not in near:
        near = f'"{near}"'
    # A whole value: after a start, a space, a `-`, a token's `:` or a `,`; before an end, a space or a `,`.
    pattern = re.compile(rf"(?<![^\s:,\-]){re.escape(misspelt.typed)}(?![^\s,])", re.IGNORECASE)
    match = pattern.search(query)
    if match is None:
        return None
    return query[: match.start()] + near + query[match.end() :]


@dataclass(frozen=True)
class FilterVocabulary:
    """What a portfolio knows that a filter may name: its blocker tags and its offices."""

    tags: tuple[str, ...] = ()
    offices: tuple[str, ...] = ()


def _nearest(value: str, known: Sequence[str], cutoff: float = _VALUE_CUTOFF) -> str | None:
    """The known value nearest to `value`: the only one it starts, else the closest by difflib."""
    starting = [k for k in known if k.lower().startswith(value.lower())]
    if len(starting) == 1:
        return starting[0]
    found = difflib.get_close_matches(value.lower(), [k.lower() for k in known], n=1, cutoff=cutoff)
    if not found:
        return None
    return next(k for k in known if k.lower() == found[0])


def unknown(kind: str, value: str, known: Sequence[str]) -> ValueError:
    """The error for a value of a closed list: the nearest one if any, else the whole (short) list."""
    near = _nearest(value, known)
    if near is not None:
        return Misspelt(
            f"unknown {kind} {value!r}; did you mean {near!r}?", value, near, f" (one of {', '.join(known)})"
        )
    return ValueError(f"unknown {kind} {value!r}; expected one of {', '.join(known)}")


def check_tag(tag: str, vocabulary: FilterVocabulary | None) -> str:
    """A blocker tag the portfolio knows (any tag without a vocabulary); ValueError with a hint otherwise."""
    if vocabulary is None or tag in vocabulary.tags:
        return tag
    if tag in {c.value for c in BlockerCategory}:
        raise ValueError(f"unknown blocker tag {tag!r}; did you mean category:{tag} (its blockers of any tag)?")
    near = _nearest(tag, vocabulary.tags)
    if near is not None:
        raise Misspelt(f"unknown blocker tag {tag!r}; did you mean {near!r}?", tag, near)
    raise ValueError(f"unknown blocker tag {tag!r}; the portfolio's tags are {', '.join(vocabulary.tags)}")


def check_office(office: str, vocabulary: FilterVocabulary | None) -> str:
    """An office text that some office of the portfolio contains; ValueError with a hint otherwise."""
    if vocabulary is None or any(office.lower() in known.lower() for known in vocabulary.offices):
        return office
    near = _nearest_office(office, vocabulary.offices)
    if near is not None:
        raise Misspelt(f"no office contains {office!r}; did you mean {near!r}?", office, near)
    raise ValueError(f"no office contains {office!r}")


def _nearest_office(office: str, offices: Sequence[str]) -> str | None:
    """The office nearest to a text meant to be part of its name: compared with each stretch of the name
    as long as the text that starts a word (`huamn` is near `Human Capital` by its `Human`)."""
    wanted = office.lower()
    best, best_ratio = None, _VALUE_CUTOFF
    for name in offices:
        lowered = name.lower()
        starts = [0, *(i + 1 for i, c in enumerate(lowered) if c == " ")]
        for part in (lowered, *(lowered[i : i + len(wanted)] for i in starts)):
            ratio = difflib.SequenceMatcher(None, wanted, part).ratio()
            if ratio > best_ratio:
                best, best_ratio = name, ratio
    return best


def flag_hint(word: str, sign: str = "") -> None:
    """ValueError when a bare word is a misspelt flag (`stalld`); a word near no flag is free text.
    `sign`: the `-` of a negated word, said again in the hint."""
    lowered = word.lower()
    if len(lowered) < 4 or any(flag.startswith(lowered) for flag in _FLAGS):
        return
    near = _nearest(lowered, _FLAGS, _FLAG_CUTOFF)
    if near is not None:
        raise Misspelt(
            f"unknown word {word!r}; did you mean {sign}{near}?",
            word,
            near,
            f' (in quotes, "{word}" searches the text)',
        )
