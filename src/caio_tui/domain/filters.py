"""The filter language of the table, the board and `list`: free text plus tokens.

`stage:pilot,readiness blocker:shared-service-account category:identity territory:infrastructure
office:"Human Capital" stalled high-impact stale below-gate ready waiting -blocker:skills-gap claims` keeps pilots
that match every token (AND) and whose id, name, office or owner contain every free word. Commas join a
token's values with OR (`blocker:a,b`: an open blocker of either tag); a leading `-` negates a token or a
flag (`-stage:pilot`, `-stalled`). A stage or territory named in two tokens is either one (a pilot stands
at one stage: AND between two would keep nothing).

A value the portfolio does not know is a one-line error with a "did you mean" (domain.filter_hints), as
is a bare word one slip away from a flag (`stalld`); a word in quotes is always searched as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, TypeVar

from caio_tui.domain.filter_hints import (
    FilterVocabulary,
    Misspelt,
    check_office,
    check_tag,
    flag_hint,
    take_near,
    unknown,
)
from caio_tui.domain.stages import Stage
from caio_tui.domain.territory import BlockerCategory, Territory

FLAGS = ("stalled", "high-impact", "stale", "below-gate", "ready", "waiting")
TOKENS = ("stage:", "blocker:", "category:", "territory:", "office:", *FLAGS)
_COMMA = "\x1f"  # a comma outside quotes: it separates a token's values (a quoted comma is part of one)

__all__ = ["FLAGS", "TOKENS", "FilterVocabulary", "Misspelt", "PilotFilter", "parse_filter", "take_near"]


@dataclass(frozen=True)
class PilotFilter:
    """A parsed filter. A plain dataclass, not a model: the first screen filters before pydantic loads.

    Every field is one AND-ed condition, or one per group: a group of blockers, categories or offices is
    OR-ed within. `excluded` holds the negated tokens, each of which a pilot must NOT match."""

    text: tuple[str, ...] = ()
    stages: tuple[Stage, ...] = ()  # any of
    blockers: tuple[tuple[str, ...], ...] = ()  # each group: an open blocker of one of its tags
    categories: tuple[tuple[BlockerCategory, ...], ...] = ()  # each group: an open blocker of one category
    territories: tuple[Territory, ...] = ()  # any of
    offices: tuple[tuple[str, ...], ...] = ()  # each group: the office contains one of its values
    stalled: bool = False
    high_impact: bool = False
    approval_stale: bool = False
    below_gate: bool = False  # stands at a stage whose gates it would fail today
    ready: bool = False  # passes the gate into its next stage today
    waiting: bool = False  # an office's conflict or stage request waits on it (after a merge)
    excluded: PilotFilter | None = None  # the `-` tokens: a pilot matching any of them is left out

    @property
    def is_empty(self) -> bool:
        return self == PilotFilter()


class _Word(NamedTuple):
    text: str  # unquoted commas as _COMMA
    quoted: bool  # the whole word was in quotes: always free text


def _split(query: str) -> list[_Word]:
    """Words separated by spaces. A quote that opens a word or a token's value (`office:"Human Capital"`,
    or a value after a comma) runs to its match, or to the end while the user is still typing; a quote
    inside a word (O'Brien) is a plain character, so names with apostrophes search as typed."""
    words: list[_Word] = []
    word, quote, quoted = "", "", False
    for char in query:
        if quote:
            if char == quote:
                quote = ""
            else:
                word += char
        elif char.isspace():
            if word:
                words.append(_Word(word, quoted))
            word, quoted = "", False
        elif char in "\"'" and (not word or word.endswith((":", _COMMA))):
            quote, quoted = char, not word
        elif char == ",":
            word += _COMMA
        else:
            word += char
    if word:
        words.append(_Word(word, quoted))
    return words


def _values(value: str) -> list[str]:
    return [v for v in value.split(_COMMA) if v.strip()]


class _Parsed:
    """The tokens of one sign (kept, or excluded with `-`) as they are read."""

    def __init__(self) -> None:
        self.stages: list[Stage] = []
        self.blockers: list[tuple[str, ...]] = []
        self.categories: list[tuple[BlockerCategory, ...]] = []
        self.territories: list[Territory] = []
        self.offices: list[tuple[str, ...]] = []
        self.flags: set[str] = set()

    def add(self, key: str, values: list[str], vocabulary: FilterVocabulary | None) -> None:
        if key == "stage":
            self.stages += [_member(Stage, "stage", v) for v in values]
        elif key in ("blocker", "tag"):
            self.blockers.append(tuple(check_tag(v.lower(), vocabulary) for v in values))
        elif key == "category":
            self.categories.append(tuple(_member(BlockerCategory, "category", v) for v in values))
        elif key == "territory":
            self.territories += [_member(Territory, "territory", v) for v in values]
        else:
            self.offices.append(tuple(check_office(v, vocabulary) for v in values))

    def filter(self, text: tuple[str, ...], excluded: PilotFilter | None) -> PilotFilter:
        return PilotFilter(
            text=text,
            stages=tuple(dict.fromkeys(self.stages)),
            blockers=tuple(self.blockers),
            categories=tuple(self.categories),
            territories=tuple(dict.fromkeys(self.territories)),
            offices=tuple(self.offices),
            stalled="stalled" in self.flags,
            high_impact="high-impact" in self.flags,
            approval_stale="stale" in self.flags,
            below_gate="below-gate" in self.flags,
            ready="ready" in self.flags,
            waiting="waiting" in self.flags,
            excluded=excluded,
        )


_KEYS = frozenset({"stage", "blocker", "tag", "category", "territory", "office"})


_E = TypeVar("_E", Stage, BlockerCategory, Territory)


def _member(kind: type[_E], name: str, value: str) -> _E:
    """A stage (by id or label), category or territory; ValueError with a "did you mean" otherwise."""
    wanted = value.strip().lower()
    for member in kind:
        if wanted == member.value or (isinstance(member, Stage) and wanted == member.label.lower()):
            return member
    raise unknown(name, value, [m.value for m in kind])


def parse_filter(query: str, vocabulary: FilterVocabulary | None = None) -> PilotFilter:
    """Parse a filter; ValueError with a one-line reason (and a "did you mean") for a value it does not
    know. Blocker tags and offices are checked against `vocabulary` when given (the portfolio's own)."""
    text: list[str] = []
    kept, excluded = _Parsed(), _Parsed()
    for word in _split(query):
        negated = word.text.startswith("-") and not word.quoted
        body = word.text[1:] if negated else word.text
        key, sep, value = body.partition(":")
        key = key.lower()
        into = excluded if negated else kept
        if word.quoted:
            text.append(word.text.replace(_COMMA, ","))
        elif sep and _values(value) and key in _KEYS:
            into.add(key, _values(value), vocabulary)
        elif not sep and body.lower() in FLAGS:
            into.flags.add(body.lower())
        else:
            if not sep:
                flag_hint(body, "-" if negated else "")
            text.append(word.text.replace(_COMMA, ","))
    none = PilotFilter()
    out = excluded.filter((), None)
    return kept.filter(tuple(text), None if out == none else out)
