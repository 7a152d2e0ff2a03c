"""The filter language of the table, the board and `list`: free text plus tokens.

`stage:pilot blocker:shared-service-account territory:infrastructure office:"Human Capital" stalled
high-impact below-gate claims` keeps pilots that match every token and whose id, name, office or owner contain
every free word.
"""

from __future__ import annotations

from dataclasses import dataclass

from caio_tui.domain.stages import Stage, parse_stage
from caio_tui.domain.territory import Territory

TOKENS = ("stage:", "blocker:", "territory:", "office:", "stalled", "high-impact", "stale", "below-gate")


@dataclass(frozen=True)
class PilotFilter:
    """A parsed filter. A plain dataclass, not a model: the first screen filters before pydantic loads."""

    text: tuple[str, ...] = ()
    stages: tuple[Stage, ...] = ()
    blockers: tuple[str, ...] = ()
    territories: tuple[Territory, ...] = ()
    offices: tuple[str, ...] = ()
    stalled: bool = False
    high_impact: bool = False
    approval_stale: bool = False
    below_gate: bool = False  # stands at a stage whose gates it would fail today

    @property
    def is_empty(self) -> bool:
        return self == PilotFilter()


def _territory(value: str) -> Territory:
    try:
        return Territory(value.lower())
    except ValueError:
        valid = ", ".join(t.value for t in Territory)
        raise ValueError(f"unknown territory {value!r}; expected one of {valid}") from None


def _split(query: str) -> list[str]:
    """Words separated by spaces. A quote that opens a word or a token's value (`office:"Human Capital"`)
    runs to its match, or to the end while the user is still typing; a quote inside a word (O'Brien) is
    a plain character, so names with apostrophes search as typed."""
    words: list[str] = []
    word = ""
    quote = ""
    for char in query:
        if quote:
            if char == quote:
                quote = ""
            else:
                word += char
        elif char.isspace():
            if word:
                words.append(word)
            word = ""
        elif char in "\"'" and (not word or word.endswith(":")):
            quote = char
        else:
            word += char
    if word:
        words.append(word)
    return words


def parse_filter(query: str) -> PilotFilter:
    """Parse a filter; ValueError with a one-line reason for an unknown stage or territory."""
    text: list[str] = []
    stages: list[Stage] = []
    blockers: list[str] = []
    territories: list[Territory] = []
    offices: list[str] = []
    flags = {"stalled": False, "high-impact": False, "stale": False, "below-gate": False}
    for word in _split(query):
        key, sep, value = word.partition(":")
        key = key.lower()
        if sep and value and key == "stage":
            stages.append(parse_stage(value))
        elif sep and value and key in ("blocker", "tag"):
            blockers.append(value.lower())
        elif sep and value and key == "territory":
            territories.append(_territory(value))
        elif sep and value and key == "office":
            offices.append(value)
        elif not sep and word.lower() in flags:
            flags[word.lower()] = True
        else:
            text.append(word)
    return PilotFilter(
        text=tuple(text),
        stages=tuple(stages),
        blockers=tuple(blockers),
        territories=tuple(territories),
        offices=tuple(offices),
        stalled=flags["stalled"],
        high_impact=flags["high-impact"],
        approval_stale=flags["stale"],
        below_gate=flags["below-gate"],
    )
