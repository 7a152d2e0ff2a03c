"""Write an inventory back in the layout it came in: its header, column order, row order, encoding and line
ending, each imported cell exactly as given while what it says has not changed.

A pilot imported from an inventory keeps its row (``StoredRow``: the layout's key, the row's position, the
raw cells, and what the import set from them). A cell is written as given while the answer the pilot
would give for it now is the answer it gave right after the import (a pilot moved from pilot to readiness
still answers "Pilot": the cell stays as given); else the pilot's new answer, in that year's vocabulary.
A blank cell stays blank while nothing new is known. Pilots without a row in the layout (created in the
app, or from another year's file) are appended, in the order given.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from caio_tui.io.omb.formats import column_keys
from caio_tui.io.omb.formulas import FormulaCells, guarded
from caio_tui.io.omb.records import COLUMNS_2025, HI_COLUMN_ITEMS, OmbFormat, OmbRecord, SourceLayout, agency_id
from caio_tui.io.omb.writer import cell_2025

# The layout an export uses when the portfolio has no source layout: OMB's 2025 columns, UTF-8 with BOM.
LAYOUT_2025 = SourceLayout(OmbFormat.Y2025, COLUMNS_2025, "utf-8-sig", "\r\n", True)

# Pipeline stage -> the stage answer of each earlier year's form.
_STAGE_2024 = {
    "intake": "Initiated",
    "poc": "Acquisition and/or Development",
    "pilot": "Implementation and Assessment",
    "readiness": "Implementation and Assessment",
    "production": "Operation and Maintenance",
    "scaled": "Operation and Maintenance",
    "retired": "Retired",
}
_STAGE_2023 = {
    "intake": "Initiation",
    "poc": "Development and Acquisition",
    "pilot": "Implementation",
    "readiness": "Implementation",
    "production": "Operation and Maintenance",
    "scaled": "Operation and Maintenance",
    "retired": "Retired",
}
# Columns whose answer comes from a pilot field (the rest come from pilot.extra, as the file gave them).
_FIELD_KEYS = frozenset(
    {"id", "use_case_name", "contact_email", "development_stage", "is_high_impact", "have_ato", *HI_COLUMN_ITEMS}
)


@dataclass(frozen=True)
class StoredRow:
    """A pilot's row of an imported inventory, as kept in pilot.extra (``ROW_KEY``)."""

    layout: str  # SourceLayout.key
    position: int  # 0 = the first data row
    cells: list[str]
    read: OmbRecord  # the pilot's fields right after the import (what the cells said)
    # False for a row that came in a snapshot, not from an inventory this portfolio imported: its cells are
    # not "as given" for the formula rule (formulas.py).
    trusted: bool = True

    def to_json(self) -> dict[str, Any]:
        """Keys in sorted order at every level: the audit trail stores JSON with sorted keys, and an undo
        must put back exactly the text it replaced."""
        r = self.read
        read = {
            "coverage": dict(sorted(r.coverage.items())),
            "high_impact": r.high_impact,
            "id": r.given_id,
            "name": r.name,
            "office": r.office,
            "owner": r.owner,
            "stage": r.stage,
            "unknown": sorted(r.unknown),
        }
        return {"cells": self.cells, "layout": self.layout, "position": self.position, "read": read}

    @classmethod
    def from_json(cls, value: object) -> StoredRow | None:
        """None for anything that is not a row this module wrote (an older portfolio, a hand-edited extra)."""
        if not isinstance(value, dict):
            return None
        read = value.get("read")
        cells = value.get("cells")
        if not isinstance(read, dict) or not isinstance(cells, list):
            return None
        record = OmbRecord(
            id="",
            name=str(read.get("name", "")),
            office=str(read.get("office", "")),
            owner=str(read.get("owner", "")),
            stage=read.get("stage") if isinstance(read.get("stage"), str) else None,
            high_impact=bool(read.get("high_impact")),
            coverage={str(k): str(v) for k, v in dict(read.get("coverage") or {}).items()},
            unknown=frozenset(str(u) for u in read.get("unknown") or ()),
            given_id=str(read.get("id", "")),
        )
        position = int(value.get("position", 0))
        trusted = not value.get("untrusted")
        return cls(str(value.get("layout", "")), position, [str(c) for c in cells], record, trusted)


@dataclass
class LayoutRow:
    """A pilot to write: its record now, and its stored row when it has one."""

    record: OmbRecord
    stored: StoredRow | None = None


def unknown_now(record: OmbRecord, stored: StoredRow | None) -> frozenset[str]:
    """The fields the stored row left unknown that the pilot still holds as the import set them."""
    if stored is None:
        return frozenset()
    read = stored.read
    still = {
        "stage": record.stage == read.stage,
        "high_impact": record.high_impact == read.high_impact,
        "have_ato": all(record.coverage.get(i) == read.coverage.get(i) for i in ("ato.granted",)),
    }
    return frozenset(f for f in read.unknown if still.get(f, False))


def write_layout(
    rows: Iterable[LayoutRow],
    layout: SourceLayout,
    *,
    formulas: FormulaCells | None = None,
    held: Iterable[tuple[str, int, list[str]]] = (),
) -> bytes:
    """The rows as an inventory in ``layout``: rows with a stored row of this layout first, in the order
    they were imported, then the others in the order given. ``held`` (layout key, position, cells) are rows
    an import held back for a person to link: written as given in their place."""
    found = formulas if formulas is not None else FormulaCells()
    keys = column_keys(layout.format, list(layout.header))
    placed: list[tuple[int, list[tuple[str, bool]]]] = [
        (position, [(c, True) for c in cells]) for key, position, cells in held if key == layout.key
    ]
    appended: list[list[tuple[str, bool]]] = []
    for row in rows:
        stored = row.stored if row.stored is not None and row.stored.layout == layout.key else None
        cells = _cells(row.record, stored, keys, layout.format)
        if stored is not None:
            placed.append((stored.position, cells))
        else:
            appended.append(cells)
    placed.sort(key=lambda p: p[0])
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator=layout.newline)
    writer.writerow(layout.header)
    for number, cells in enumerate(_with_blank_rows(placed, layout) + appended, start=2):
        writer.writerow([_guard(cell, number, keys, i, found) for i, cell in enumerate(cells)])
    text = buffer.getvalue()
    if not layout.final_newline and text.endswith(layout.newline):
        text = text[: -len(layout.newline)]
    return _encode(text, layout.encoding)


def _with_blank_rows(
    placed: list[tuple[int, list[tuple[str, bool]]]], layout: SourceLayout
) -> list[list[tuple[str, bool]]]:
    """The placed rows in order, with the file's blank rows back where it had them (each before the use
    case that followed it; trailing ones last)."""
    blanks = [(after, [(c, True) for c in cells]) for after, cells in layout.blank_rows]
    rows: list[list[tuple[str, bool]]] = []
    for position, cells in placed:
        while blanks and blanks[0][0] <= position:
            rows.append(blanks.pop(0)[1])
        rows.append(cells)
    rows.extend(cells for _, cells in blanks)
    return rows


def _guard(cell: tuple[str, bool], row: int, keys: list[str], index: int, found: FormulaCells) -> str:
    """A cell as given is written as it is (formula-like or not); a new answer is neutralized if a
    spreadsheet would run it (formulas.py)."""
    text, given = cell
    column = keys[index] if index < len(keys) else f"column_{index + 1}"
    return guarded(text, text if given else None, row, column, found)


def _encode(text: str, encoding: str) -> bytes:
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        # A new answer the source's code page cannot hold: the file becomes UTF-8 (with a BOM, so a
        # spreadsheet reads it as such) rather than losing a character.
        return text.encode("utf-8-sig")


def _cells(record: OmbRecord, stored: StoredRow | None, keys: list[str], fmt: OmbFormat) -> list[tuple[str, bool]]:
    """Each cell's text, and whether it is the cell as the file gave it."""
    if stored is None:
        return [_new(record, key, fmt) for key in keys]
    raw = stored.cells
    read = _as_read(record, stored)
    cells = []
    for i, key in enumerate(keys):
        given = raw[i] if i < len(raw) else ""
        if _unchanged(record, read, key, fmt, given):
            cells.append((given, stored.trusted))
        else:
            cells.append(_new(record, key, fmt))
    cells.extend((c, stored.trusted) for c in raw[len(keys) :])  # cells past the header's width, as the file had them
    return cells


def _new(record: OmbRecord, key: str, fmt: OmbFormat) -> tuple[str, bool]:
    """The pilot's answer, and whether it is exactly a cell the inventory gave (``record.given``)."""
    text = answer(record, key, fmt)
    return text, record.given.get(key) == text


def _unchanged(record: OmbRecord, read: OmbRecord, key: str, fmt: OmbFormat, given: str) -> bool:
    """Whether the pilot still says what the cell said: then the cell is written as given."""
    if key == "id":
        return True  # a pilot's id never changes; the agency's id is the cell as given
    if key in _FIELD_KEYS:
        return answer(record, key, fmt) == answer(read, key, fmt)
    return record.extra.get(key, "") == (given if given.strip() else "")


def _as_read(record: OmbRecord, stored: StoredRow) -> OmbRecord:
    read = stored.read
    return OmbRecord(
        id=record.id,
        name=read.name,
        office=read.office,
        owner=read.owner,
        stage=None if "stage" in read.unknown else read.stage,
        high_impact=read.high_impact,
        coverage=read.coverage,
        extra=record.extra,
        unknown=read.unknown,
        given_id=read.given_id,
    )


def answer(record: OmbRecord, key: str, fmt: OmbFormat) -> str:
    """The pilot's answer to one column, in that year's vocabulary."""
    if key == "id":
        return agency_id(record)
    if key == "development_stage" and fmt is not OmbFormat.Y2025:
        table = _STAGE_2023 if fmt is OmbFormat.Y2023 else _STAGE_2024
        return table.get(record.stage or "", "") or record.extra.get(key, "")
    if key in COLUMNS_2025:
        return cell_2025(record, key, "", "")
    return record.extra.get(key, "")
