"""The agency's commercial AI uses (OMB's consolidated COTS file): stored whole, read, undone whole.

One file at a time: an import replaces every row and the file's layout in one transaction with one
`cots.import` audit event, whose `before` keeps the rows and layout it replaced so that undo puts them
back exactly, and whose `after` keeps a digest of what it wrote so that undo refuses once anything
changed them since (another import, a snapshot load). The store knows nothing of the file's format:
the caller (io/commercial.py) gives plain rows and the layout as a JSON-ready dict.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from caio_tui.store.errors import StoreError

if TYPE_CHECKING:
    from caio_tui.domain.history import AuditEvent
    from caio_tui.store.portfolio import Portfolio

ACTION = "cots.import"
COLUMNS = ("agency", "agency_abbr", "use_case", "in_use", "products", "licenses", "cells")


@dataclass(frozen=True)
class CommercialUse:
    """One stored row: the five fields, the agency's abbreviation ('' when unknown), the file's cells."""

    row_no: int
    agency: str
    agency_abbr: str
    use_case: str
    in_use: str
    products: str
    licenses: str
    cells: tuple[str, ...]

    def values(self) -> list[Any]:
        return [
            self.agency,
            self.agency_abbr,
            self.use_case,
            self.in_use,
            self.products,
            self.licenses,
            list(self.cells),
        ]


@dataclass(frozen=True)
class CommercialFile:
    source: str
    layout: dict[str, Any]
    imported_at: str
    imported_by: str


def stored_file(portfolio: Portfolio) -> CommercialFile | None:
    row = portfolio.session.one("SELECT source, layout, imported_at, imported_by FROM commercial_file")
    if row is None:
        return None
    return CommercialFile(row["source"], json.loads(row["layout"]), row["imported_at"], row["imported_by"])


def uses(portfolio: Portfolio, agency_abbr: str | None = None) -> list[CommercialUse]:
    """The stored rows in the file's order; only one agency's (by abbreviation) when given."""
    where, params = ("WHERE agency_abbr = ?", [agency_abbr]) if agency_abbr else ("", [])
    found = portfolio.session.read(f"SELECT * FROM commercial_use {where} ORDER BY row_no", params)
    return [
        CommercialUse(
            row_no=int(r["row_no"]),
            agency=r["agency"],
            agency_abbr=r["agency_abbr"],
            use_case=r["use_case"],
            in_use=r["in_use"],
            products=r["products"],
            licenses=r["licenses"],
            cells=tuple(json.loads(r["cells"])),
        )
        for r in found
    ]


def agencies(portfolio: Portfolio) -> list[tuple[str, str, int]]:
    """(abbreviation, name as given, rows) of each agency in the stored file, in the file's order."""
    found = portfolio.session.read(
        "SELECT agency_abbr, agency, count(*) AS n, min(row_no) AS first FROM commercial_use "
        "GROUP BY agency_abbr, agency ORDER BY first"
    )
    return [(r["agency_abbr"], r["agency"], int(r["n"])) for r in found]


def office_heads(portfolio: Portfolio) -> list[tuple[str, int]]:
    """The first part of the pilots' offices ("DHS" of "DHS / CBP") with how many pilots each, most first
    (twenty at most): what names the agency of a portfolio with no agency setting."""
    found = portfolio.session.read(
        "SELECT substr(office, 1, instr(office || ' /', ' /') - 1) AS head, count(*) AS n FROM pilot "
        "GROUP BY head ORDER BY n DESC LIMIT 20"
    )
    return [(str(r["head"]).strip(), int(r["n"])) for r in found]


def _content(portfolio: Portfolio) -> dict[str, Any] | None:
    """Everything stored, as the event's `before` keeps it (None: no file imported)."""
    file = stored_file(portfolio)
    if file is None:
        return None
    rows = [u.values() for u in uses(portfolio)]
    return {"source": file.source, "layout": file.layout, "at": file.imported_at, "by": file.imported_by, "rows": rows}


def _digest(content: dict[str, Any] | None) -> str:
    if content is None:
        return ""
    text = json.dumps([content["layout"], content["rows"]], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()


def _write(portfolio: Portfolio, content: dict[str, Any] | None) -> None:
    conn = portfolio.conn
    conn.execute("DELETE FROM commercial_use")
    conn.execute("DELETE FROM commercial_file")
    if content is None:
        return
    conn.execute(
        "INSERT INTO commercial_file (id, source, layout, imported_at, imported_by) VALUES (1, ?, ?, ?, ?)",
        (content["source"], json.dumps(content["layout"], ensure_ascii=False), content["at"], content["by"]),
    )
    conn.executemany(
        f"INSERT INTO commercial_use (row_no, {', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            (number, *values[:6], json.dumps(values[6], ensure_ascii=False))
            for number, values in enumerate(content["rows"], start=1)
        ),
    )


def load_rows(
    portfolio: Portfolio, *, source: str, layout: dict[str, Any], rows: Sequence[CommercialUse], at: str, by: str
) -> None:
    """Write a file's rows inside the caller's transaction, with no event of their own (a snapshot load,
    whose one event covers them), with the time and actor of their first import."""
    _write(portfolio, {**_new_content(portfolio, source, layout, rows), "at": at, "by": by})


def _new_content(
    portfolio: Portfolio, source: str, layout: dict[str, Any], rows: Sequence[CommercialUse]
) -> dict[str, Any]:
    return {
        "source": source,
        "layout": layout,
        "at": portfolio.timestamp(),
        "by": portfolio.actor,
        "rows": [r.values() for r in rows],
    }


def replace_uses(
    portfolio: Portfolio,
    *,
    source: str,
    layout: dict[str, Any],
    rows: Sequence[CommercialUse],
    summary: str,
    dry_run: bool = False,
) -> int | None:
    """Replace the stored file with this one: one transaction, one `cots.import` event (its id), or
    nothing written on a dry run. An import of the same rows and layout as stored writes nothing either."""
    new = _new_content(portfolio, source, layout, rows)
    old = _content(portfolio)
    if dry_run or (old is not None and _digest(old) == _digest(new)):
        return None
    with portfolio.session.transaction():
        old = _content(portfolio)  # under the write lock: what is there now
        _write(portfolio, new)
        after = {"summary": summary, "rows": len(rows), "digest": _digest(new)}
        return portfolio.append_event(ACTION, None, old, after, source=source)


def undo_import(portfolio: Portfolio, event: AuditEvent) -> tuple[Any, Any]:
    """Put back what a COTS import replaced (store/undo.py's step for `cots.import`), refused once the
    rows changed since."""
    after = event.after if isinstance(event.after, dict) else {}
    if _digest(_content(portfolio)) != after.get("digest"):
        raise StoreError(
            f"cannot undo event {event.id}, the commercial AI import from {event.source}: the commercial AI "
            "uses changed since; nothing was undone"
        )
    before = event.before if isinstance(event.before, dict) else None
    _write(portfolio, before)
    restored = "none" if before is None else f"{len(before['rows'])} rows from {before['source']}"
    return after, {"summary": f"commercial AI uses restored ({restored})", "digest": _digest(before)}
