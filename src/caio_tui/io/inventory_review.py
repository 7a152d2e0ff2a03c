"""The rows an inventory import held back because several pilots match them (years link, never by a guess),
and the CAIO's answer: this row is that pilot (linked: the pilot is updated from the row), or none of them
(imported as a new pilot). Either answer is one import event, which also settles the held row."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime

from caio_tui.io.inventory import TransferError
from caio_tui.io.inventory_layout import held_in, parse_layout, with_row
from caio_tui.io.inventory_pilot import incoming_pilot, row_reader
from caio_tui.io.omb import OmbFormat, OmbFormatError, read_inventory
from caio_tui.io.omb.records import LINK_KEY, ROW_KEY
from caio_tui.store import Portfolio
from caio_tui.store.inventory_rows import saved_layouts
from caio_tui.store.transfer import read_records
from caio_tui.store.upsert import UpsertReport, upsert_pilots

_YEAR = {OmbFormat.Y2023: 2023, OmbFormat.Y2024: 2024, OmbFormat.Y2024_LONG: 2024, OmbFormat.Y2025: 2025}


@dataclass(frozen=True)
class Candidate:
    id: str
    name: str
    office: str
    stage: str


@dataclass(frozen=True)
class HeldRow:
    """A held row as the review lists it: where it came from, its name, and the pilots it may be."""

    key: str
    source: str
    row: int  # the spreadsheet row in its file
    name: str
    candidates: tuple[Candidate, ...]


def held_for_review(portfolio: Portfolio) -> list[HeldRow]:
    """Every held row with its candidates that still exist, in the order of their files."""
    held = held_in(portfolio)
    wanted = sorted({c for h in held.values() for c in h.get("candidates", [])})
    pilots = {r.pilot.id: r.pilot for r in read_records(portfolio, wanted)} if wanted else {}
    return [
        HeldRow(
            key=key,
            source=str(h.get("source", "")),
            row=int(h.get("row", 0)),
            name=str(h.get("name", "")),
            candidates=tuple(
                Candidate(p.id, p.name, p.office, p.stage.value)
                for p in (pilots.get(c) for c in h.get("candidates", []))
                if p is not None
            ),
        )
        for key, h in held.items()
    ]


def link_held(portfolio: Portfolio, key: str, pilot_id: str | None) -> UpsertReport:
    """Settle a held row: update ``pilot_id`` from it (linked), or add it as a new pilot (None)."""
    held = held_in(portfolio).get(key)
    if held is None:
        raise TransferError(f"held row {key}: already settled")
    layout_text = saved_layouts(portfolio).get(held["layout"])
    if layout_text is None:
        raise TransferError(f"held row {key}: its inventory's layout is no longer kept")
    _, layout = parse_layout(layout_text)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(layout.header)
    writer.writerow(held["cells"])
    data = buffer.getvalue().encode("utf-8")
    try:
        read = read_inventory(data, source_name=held["source"], fmt=layout.format)
        (rec,) = read.records
    except (OmbFormatError, ValueError) as exc:
        raise TransferError(f"held row {key}: cannot be read again ({exc})") from None
    rec.source_row, rec.cells = int(held["row"]), list(held["cells"])
    current = None
    generated = ""
    if pilot_id is not None:
        found = read_records(portfolio, [pilot_id])
        if not found:
            raise TransferError(f"{pilot_id}: no such pilot")
        current = found[0]
        kept = current.pilot.extra.get(ROW_KEY)
        if isinstance(kept, dict) and kept.get("layout") == held["layout"]:  # one row of a file per pilot
            raise TransferError(
                f"{pilot_id} already keeps row {int(kept.get('position', 0)) + 2} of this inventory; "
                "link another pilot, or keep this row as a new use case"
            )
        generated = "" if rec.given_id else rec.id  # the id a row with none is read under
        rec.id = pilot_id
    elif read_records(portfolio, [rec.id]):  # an id the row shares with a pilot (a generated one): a new id
        rec.id = f"{rec.id}-{held['position']}"
    source = f"{held['source']} (row {held['row']}, " + (f"linked to {pilot_id} by " if pilot_id else "kept new by ")
    source += f"{portfolio.actor})"
    as_of = min(datetime(_YEAR[layout.format], 12, 31, tzinfo=UTC), portfolio.clock())
    reader = row_reader(portfolio, layout.format, held["source"])
    pilot, _facts = incoming_pilot(
        rec, current, portfolio.catalog(), layout.format, source, reader, read.headers, as_of=as_of
    )
    pilot = with_row(pilot, rec, current, layout, int(held["position"]))
    if generated:  # the same file imported again finds this pilot for the row, instead of holding it again
        pilot.extra[LINK_KEY] = generated
    return upsert_pilots(portfolio, [pilot], source=source, layout=(layout.key, layout_text), resolved=[key])
