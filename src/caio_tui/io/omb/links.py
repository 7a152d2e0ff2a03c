"""Years link: which pilot each row of a later inventory is the same use case as.

A row updates the pilot whose id it carries (the pilot's own id, or the agency's id a link recorded);
else the one pilot of the same agency whose normalized name (case, spaces, punctuation) is the row's; of
several such pilots, the one of the same bureau. Anything else is no guess: a row with no candidate is a
new use case, and a row with several candidates that the bureau does not settle is **ambiguous**: the
import holds it back and lists it with its candidates, for the CAIO to link (or keep as new) in the app.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from caio_tui.io.omb.records import OmbRecord

_PUNCTUATION = re.compile(r"[\W_]+")


def normalized(text: str) -> str:
    """A name as compared across years: case folded, punctuation and runs of spaces as one space."""
    return _PUNCTUATION.sub(" ", text.casefold()).strip()


class PilotKey(NamedTuple):
    """What linking needs of a pilot already in the portfolio."""

    id: str
    name: str
    agency: str
    bureau: str
    omb_id: str  # the agency's id recorded on a linked pilot ("" if none)
    layout: str = ""  # the key of the layout of the inventory row it keeps ("" if none)
    link: str = ""  # the generated id of a row with no id a person linked to it ("" if none)


How = Literal["id", "name", "name and bureau"]


@dataclass(frozen=True)
class Ambiguous:
    """A row whose agency and name match several pilots that its bureau does not tell apart."""

    row: int  # spreadsheet row
    name: str
    candidates: tuple[str, ...]  # pilot ids


@dataclass
class Links:
    """Per record (by spreadsheet row): the pilot it updates and how it was found; the ambiguous rows."""

    pilot: dict[int, str] = field(default_factory=dict)
    how: dict[int, How] = field(default_factory=dict)
    ambiguous: list[Ambiguous] = field(default_factory=list)

    def by_name(self) -> int:
        return sum(1 for h in self.how.values() if h != "id")


def link_records(records: Sequence[OmbRecord], pilots: Sequence[PilotKey], layout: str = "") -> Links:
    """Match each record to at most one pilot, and no pilot to two records (ids first, then names).

    A generated id (a row without one) matches only a pilot from a file of the same layout (the same
    file again): across years it would pick one of same-named rows by their order, a guess."""
    links = Links()
    by_id: dict[str, str] = {}
    by_generated: dict[str, str] = {p.link: p.id for p in pilots if p.link}  # a person's link first
    for p in pilots:
        by_id.setdefault(p.id, p.id)
        if p.omb_id:
            by_id.setdefault(p.omb_id, p.id)
        if not layout or p.layout in ("", layout):
            by_generated.setdefault(p.id, p.id)
    claimed: set[str] = set()
    for rec in records:
        found = by_id.get(rec.given_id) if rec.given_id else by_generated.get(rec.id)
        if found is not None and found not in claimed:
            links.pilot[rec.source_row] = found
            links.how[rec.source_row] = "id"
            claimed.add(found)
    by_name: dict[tuple[str, str], list[PilotKey]] = defaultdict(list)
    for p in pilots:
        if p.agency.strip() and p.name.strip():
            by_name[(normalized(p.agency), normalized(p.name))].append(p)
    for rec in records:
        if rec.source_row in links.pilot:
            continue
        agency = rec.extra.get("agency", "")
        if not agency.strip() or not rec.name.strip():
            continue
        candidates = [p for p in by_name.get((normalized(agency), normalized(rec.name)), []) if p.id not in claimed]
        how: How = "name"
        if len(candidates) > 1:
            bureau = normalized(rec.extra.get("agency_bureau", ""))
            candidates = [p for p in candidates if normalized(p.bureau) == bureau] or candidates
            how = "name and bureau"
        if len(candidates) == 1:
            links.pilot[rec.source_row] = candidates[0].id
            links.how[rec.source_row] = how
            claimed.add(candidates[0].id)
        elif candidates:
            links.ambiguous.append(Ambiguous(rec.source_row, rec.name, tuple(sorted(p.id for p in candidates))))
    return links
