"""An inventory's layout and rows kept in the portfolio, for an export that gives the file back as it came.

``with_row`` keeps each imported row on its pilot (pilot.extra ``ROW_KEY``); ``layout_json`` and
``source_layout`` keep and find the file's layout (a portfolio setting per layout); ``held_json`` and
``held_in`` keep the rows an import held back for a person to link (io/inventory_review.py);
``layout_row`` turns a stored pilot into what io/omb/layout.py writes.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from caio_tui.domain.pilots import PilotRecord
from caio_tui.io.omb import AS_GIVEN_KEY, ATO_ITEMS, HI_COLUMN_ITEMS, OmbFormat, OmbRecord, SourceLayout
from caio_tui.io.omb.layout import LayoutRow, StoredRow, unknown_now
from caio_tui.io.omb.records import OMB_ID_KEY, ROW_KEY
from caio_tui.store import Portfolio
from caio_tui.store.inventory_rows import held_rows, layouts_in_use, saved_layouts
from caio_tui.store.transfer import PilotRows
from caio_tui.store.upsert import IncomingPilot

_NOT_COLUMNS = frozenset({AS_GIVEN_KEY, ROW_KEY, OMB_ID_KEY})
_FORMAT_ORDER = (OmbFormat.Y2023, OmbFormat.Y2024, OmbFormat.Y2024_LONG, OmbFormat.Y2025)
_OMB_ITEMS = frozenset(ATO_ITEMS)
_OMB_ITEMS_HI = frozenset(ATO_ITEMS) | frozenset(HI_COLUMN_ITEMS.values())


def source_layout(portfolio: Portfolio) -> SourceLayout | None:
    """The layout of the inventory imported last that still has pilots (an undone import's has none)."""
    kept = saved_layouts(portfolio)
    if not kept:
        return None
    used = layouts_in_use(portfolio)
    best: tuple[str, SourceLayout] | None = None
    for key, text in kept.items():
        if key not in used:
            continue
        imported_at, layout = parse_layout(text)
        # The newest import; of two at the same second, the later year's.
        when = f"{imported_at}|{_FORMAT_ORDER.index(layout.format)}"
        if best is None or when > best[0]:
            best = (when, layout)
    return best[1] if best else None


def parse_layout(text: str) -> tuple[str, SourceLayout]:
    """A kept layout: when it was imported last, and the layout."""
    value = json.loads(text)
    layout = SourceLayout(
        OmbFormat(value["format"]),
        tuple(value["header"]),
        value["encoding"],
        value["newline"],
        bool(value["final_newline"]),
        tuple((int(after), tuple(cells)) for after, cells in value.get("blank_rows", [])),
    )
    return str(value["imported_at"]), layout


def layout_json(layout: SourceLayout, imported_at: str) -> str:
    return json.dumps(
        {
            "format": layout.format.value,
            "header": list(layout.header),
            "encoding": layout.encoding,
            "newline": layout.newline,
            "final_newline": layout.final_newline,
            "blank_rows": [[after, list(cells)] for after, cells in layout.blank_rows],
            "imported_at": imported_at,
        },
        ensure_ascii=False,
    )


def layout_row(whole: PilotRows) -> LayoutRow:
    """A pilot as an inventory row: its record now, and its row of the inventory it came from."""
    extra = json.loads(whole.pilot.extra) if whole.pilot.extra != "{}" else {}
    record = omb_record(whole, extra)
    stored = StoredRow.from_json(extra.get(ROW_KEY))
    record.unknown = unknown_now(record, stored)
    if "stage" in record.unknown:
        record.stage = None
    record.given_id = str(extra.get(OMB_ID_KEY) or (stored.read.given_id if stored else "") or "")
    return LayoutRow(record, stored)


def omb_record(whole: PilotRows, extra: dict[str, Any] | None = None) -> OmbRecord:
    """A pilot as a 2025 inventory row: the ATO area and, for a high-impact use case, the M-25-21 practices.
    ``extra``: the pilot's extra already parsed (an export parses it once)."""
    p = whole.pilot
    wanted = _OMB_ITEMS_HI if p.high_impact else _OMB_ITEMS
    assessed = [c for c in whole.coverage if c.item_id in wanted]
    if extra is None:
        extra = json.loads(p.extra) if p.extra != "{}" else {}
    given = extra.get(AS_GIVEN_KEY)
    return OmbRecord(
        id=p.id,
        name=p.name,
        office=p.office,
        owner=p.owner,
        stage=p.stage,
        high_impact=p.high_impact,
        coverage={c.item_id: c.status for c in assessed},
        evidence={c.item_id: c.evidence for c in assessed if c.evidence},
        extra={k: v for k, v in extra.items() if isinstance(v, str) and k not in _NOT_COLUMNS},
        given={k: v for k, v in given.items() if isinstance(v, str)} if isinstance(given, dict) else {},
    )


def with_row(
    pilot: IncomingPilot, rec: OmbRecord, current: PilotRecord | None, layout: SourceLayout, position: int
) -> IncomingPilot:
    """The pilot with its row of the inventory kept in extra (``ROW_KEY``): the cells as given and what they
    said; for a blank cell, the value the pilot holds after the import (the export keeps the cell blank
    while the pilot still holds it). A row the pilot already keeps, cell for cell, is kept as it is: a
    second import of the same file changes nothing."""
    old = StoredRow.from_json(current.pilot.extra.get(ROW_KEY)) if current else None
    if old is not None and (old.layout, old.position, old.cells) == (layout.key, position, rec.cells):
        return replace(pilot, extra={**pilot.extra, ROW_KEY: current.pilot.extra[ROW_KEY]})  # type: ignore[union-attr]
    read = OmbRecord(
        id=pilot.id,
        name=rec.name,
        office=rec.office,
        owner=rec.owner,
        stage=pilot.stage.value if "stage" in rec.unknown else rec.stage,
        high_impact=pilot.high_impact if "high_impact" in rec.unknown else rec.high_impact,
        coverage={k: v for k, v in rec.coverage.items() if k in _OMB_ITEMS_HI},
        unknown=rec.unknown,
        given_id=rec.given_id,
    )
    row = StoredRow(layout.key, position, rec.cells, read)
    return replace(pilot, extra={**pilot.extra, ROW_KEY: row.to_json()})


def held_json(rec: OmbRecord, layout: SourceLayout, position: int, candidates: tuple[str, ...], source: str) -> str:
    """A row held back for a person to link: where it stands in its file, its cells and its candidates."""
    value = {
        "candidates": list(candidates),
        "cells": rec.cells,
        "layout": layout.key,
        "name": rec.name,
        "position": position,
        "row": rec.source_row,
        "source": source,
    }
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def held_key(layout: SourceLayout, position: int) -> str:
    return f"{layout.key}:{position:07d}"


def held_in(portfolio: Portfolio) -> dict[str, dict[str, Any]]:
    """The rows held for a person to link, by key."""
    return {key: json.loads(value) for key, value in held_rows(portfolio).items()}
