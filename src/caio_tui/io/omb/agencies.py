"""Agency names to abbreviations: the consolidated COTS file names an agency in full ("Department of
Treasury"), the inventories and the portfolio by abbreviation ("TREAS").

The map is data (``data/agencies.csv``: abbreviation, name, where the pair comes from), built from the
agency name and abbreviation columns of the published 2023, 2024 and 2025 inventories, plus the few
spellings of the 2025 COTS file those do not cover. Names are compared loosely (case, punctuation, "the",
"of", "for", "U.S."/"United States"), so "National Endowment of the Arts" finds NEA. A name the map does
not know is not guessed: ``abbreviation`` returns None and the caller reports it and keeps the name.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from importlib.resources import files

_NOISE = frozenset({"the", "of", "for", "u", "s", "us", "united", "states"})
_WORD = re.compile(r"[a-z0-9]+")


def name_key(name: str) -> str:
    """A name as compared: lower case, words only, without the words agencies spell in or out."""
    words = _WORD.findall(name.casefold().replace("&", " and "))
    return " ".join(w for w in words if w not in _NOISE)


@functools.cache
def _pairs() -> tuple[tuple[str, str], ...]:
    """(abbreviation, name), the 2025 inventory's spelling of each agency first."""
    text = (files("caio_tui.io.omb") / "data" / "agencies.csv").read_text(encoding="utf-8")
    rows = sorted(csv.DictReader(io.StringIO(text)), key=lambda r: not r["source"].startswith("2025"))
    return tuple((row["abbreviation"], row["name"]) for row in rows)


@functools.cache
def _by_key() -> dict[str, str]:
    return {name_key(name): abbreviation for abbreviation, name in _pairs()}


def abbreviation(name: str) -> str | None:
    """The agency's abbreviation, or None when the map does not know the name. An abbreviation given as
    the name ("DHS") is recognised as itself."""
    text = name.strip()
    if not text:
        return None
    found = _by_key().get(name_key(text))
    if found is not None:
        return found
    return text.upper() if text.upper() in known_abbreviations() else None


@functools.cache
def known_abbreviations() -> frozenset[str]:
    return frozenset(a for a, _ in _pairs())


def full_name(abbreviation_: str) -> str | None:
    """The full name of an abbreviation, as the 2025 inventory spells it where it does (for display)."""
    wanted = abbreviation_.strip().upper()
    return next((name for a, name in _pairs() if a == wanted), None)
