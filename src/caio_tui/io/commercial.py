"""The consolidated COTS file in and out of a portfolio: its rows become the agency's commercial AI uses
(store/commercial.py), and the export gives the file back in its own layout.

Also which agency the portfolio is (``portfolio_agency``): the views and the briefing show that agency's
answers of a consolidated file that holds every agency's.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from caio_tui.domain.text import clip, printable
from caio_tui.io.omb.agencies import abbreviation, known_abbreviations
from caio_tui.io.omb.cots import CotsIssue, CotsLayout, CotsRow, read_cots, write_cots
from caio_tui.io.omb.records import OmbFormatError
from caio_tui.store import Portfolio
from caio_tui.store import commercial as store
from caio_tui.store.settings import agency

COTS_FORMAT = "omb-cots"


class CotsError(Exception):
    """A COTS file that cannot be imported or a portfolio with none to export; one line."""


@dataclass(frozen=True)
class CotsImport:
    source: str
    dry_run: bool
    rows: int
    agencies: int
    in_use: int
    unknown_agencies: list[str] = field(default_factory=list)
    issues: list[str] = field(default_factory=list)
    changed: bool = True
    exact: bool = True

    @property
    def summary(self) -> str:
        verb = "would be imported" if self.dry_run else ("imported" if self.changed else "already imported")
        text = (
            f"{self.source}: {COTS_FORMAT}: {self.rows} commercial AI use rows of {self.agencies} agencies "
            f"{verb} ({self.in_use} answered Y)"
        )
        if self.unknown_agencies:
            text += f"; {len(self.unknown_agencies)} agency name(s) not in the agency map, kept as given"
        if self.dry_run:
            text += " (dry run: nothing was written)"
        return text + (f"; {len(self.issues)} issue(s)" if self.issues else "")


def stored_row(row: CotsRow) -> store.CommercialUse:
    return store.CommercialUse(
        row_no=0,
        agency=row.agency,
        agency_abbr=abbreviation(row.agency) or "",
        use_case=row.use_case,
        in_use=row.in_use,
        products=row.products,
        licenses=row.licenses,
        cells=row.cells,
    )


def layout_json(layout: CotsLayout) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(layout).items()}


def layout_of(data: dict[str, Any]) -> CotsLayout:
    default = CotsLayout()
    return CotsLayout(
        header=tuple(str(c) for c in data.get("header", default.header)),
        encoding=str(data.get("encoding", default.encoding)),
        bom=bool(data.get("bom", default.bom)),
        newline=str(data.get("newline", default.newline)),
        final_newline=bool(data.get("final_newline", default.final_newline)),
        quote_all=bool(data.get("quote_all", default.quote_all)),
    )


def import_cots(
    portfolio: Portfolio, data: bytes, *, source: str, event_source: str, dry_run: bool = False
) -> CotsImport:
    """Read a COTS file and make it the portfolio's commercial AI uses (one undoable step)."""
    try:
        found = read_cots(data, source_name=source)
    except OmbFormatError as exc:
        raise CotsError(str(exc)) from None
    rows = [stored_row(r) for r in found.rows]
    named = [r for r in found.rows if not r.blank]
    result = CotsImport(
        source=source,
        dry_run=dry_run,
        rows=len(named),
        agencies=len({r.agency.strip() for r in named}),
        in_use=sum(1 for r in named if r.in_use.strip() == "Y"),
        unknown_agencies=found.unknown_agencies,
        issues=[issue_line(source, i) for i in found.issues],
        exact=found.exact,
    )
    event = store.replace_uses(
        portfolio,
        source=event_source,
        layout=layout_json(found.layout),
        rows=rows,
        summary=f"commercial AI uses from {event_source}: {result.rows} rows of {result.agencies} agencies",
        dry_run=dry_run,
    )
    return dataclasses.replace(result, changed=event is not None or dry_run)


def issue_line(source: str, issue: CotsIssue) -> str:
    value = clip(printable(issue.value.strip()), 80) if issue.value.strip() else "blank"
    return f"{source}:{issue.row}: {printable(issue.column)}: {issue.reason} ({value})"


def cots_bytes(portfolio: Portfolio) -> bytes:
    """The stored file in its own layout; CotsError when no COTS file was imported."""
    file = store.stored_file(portfolio)
    if file is None:
        raise CotsError(f"{portfolio.path}: no consolidated COTS file imported; import one with 'caio-tui import FILE'")
    rows = [CotsRow(cells=u.cells) for u in store.uses(portfolio)]
    return write_cots(layout_of(file.layout), rows)


def portfolio_agency(portfolio: Portfolio) -> str | None:
    """The portfolio's agency by abbreviation: the agency setting (or the inventory's own, store.settings)
    when one is known, else the agency most of its pilots' offices start with ("DHS / CBP"), when the
    agency map knows it; None when neither says."""
    chosen = agency(portfolio)
    for value in (chosen.abbr.value.strip(), chosen.name.value.strip()):
        if value:
            return abbreviation(value) or value.upper()
    known = known_abbreviations()
    counts: Counter[str] = Counter()
    for head, pilots in store.office_heads(portfolio):
        if head.upper() in known:
            counts[head.upper()] += pilots
    return counts.most_common(1)[0][0] if counts else None


def agency_uses(portfolio: Portfolio, agency: str | None) -> list[store.CommercialUse]:
    """The rows of one agency (abbreviation or full name; 'all' or None: every row)."""
    if agency is None or agency.strip().lower() == "all":
        return [u for u in store.uses(portfolio) if any(c.strip() for c in u.cells)]
    wanted = abbreviation(agency) or agency.strip()
    found = store.uses(portfolio, wanted.upper())
    if not found:  # an agency the map does not know: by its name as given
        found = [u for u in store.uses(portfolio) if u.agency.strip().casefold() == agency.strip().casefold()]
    return found


def use_json(use: store.CommercialUse) -> dict[str, Any]:
    return {
        "row": use.row_no + 1,  # the file's row number (the header is row 1)
        "agency": use.agency,
        "agency_abbreviation": use.agency_abbr or None,
        "use_case": use.use_case,
        "in_use": use.in_use.strip() or None,
        "products": use.products,
        "licenses": use.licenses.strip() or None,
    }


def in_use_label(answer: str) -> str:
    """The answer in words: a blank answer is unknown, never "no"."""
    text = answer.strip()
    return {"Y": "Yes", "N": "No", "": "unknown"}.get(text, text)


def products_list(uses: Sequence[store.CommercialUse]) -> list[tuple[str, int]]:
    """Products named on Y rows, with how many standard uses name each, most first."""
    counts: Counter[str] = Counter()
    for use in uses:
        if use.in_use.strip() == "Y":
            for name in {p.strip() for p in use.products.replace("\n", ",").split(",") if p.strip()}:
                counts[name] += 1
    return counts.most_common()
