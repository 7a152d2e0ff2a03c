"""What the store keeps of imported inventories beside the pilots: each file layout an import read (so an
export can give the file back as it came), the rows an import held back for a person to link, and the keys
a later year's rows are linked to pilots by. Layouts and held rows are portfolio settings (the meta table,
under the state seal)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

# The insert rows are built in store/insert_rows.py; named here too for the io modules that read them.
from caio_tui.store.insert_rows import BlockerRow as BlockerRow
from caio_tui.store.insert_rows import CoverageRow as CoverageRow
from caio_tui.store.insert_rows import MoveRow as MoveRow
from caio_tui.store.insert_rows import PilotRows as PilotRows
from caio_tui.store.insert_rows import PilotValues as PilotValues
from caio_tui.store.portfolio import Portfolio

_LAYOUT_PREFIX = "omb_layout:"


def save_layout(portfolio: Portfolio, key: str, layout_json: str) -> None:
    """Keep an inventory file's layout (a portfolio setting, sealed with the others), the newest import's."""
    portfolio.conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (_LAYOUT_PREFIX + key, layout_json),
    )


_HELD_PREFIX = "omb_held:"


def keep_held(portfolio: Portfolio, held: Mapping[str, str], resolved: Sequence[str]) -> list[str]:
    """Write the held rows that are new or changed and remove the resolved ones; the keys it changed."""
    changed = []
    for key in resolved:
        if portfolio.conn.execute("DELETE FROM meta WHERE key = ?", (_HELD_PREFIX + key,)).rowcount:
            changed.append(key)
    for key, value in held.items():
        if portfolio.meta(_HELD_PREFIX + key) != value:
            portfolio.conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (_HELD_PREFIX + key, value),
            )
            changed.append(key)
    return changed


def held_rows(portfolio: Portfolio) -> dict[str, str]:
    """Every inventory row held for a person to link, by key (JSON text)."""
    found = portfolio.session.read(
        "SELECT key, value FROM meta WHERE key >= ? AND key < ? ORDER BY key", (_HELD_PREFIX, _HELD_PREFIX[:-1] + ";")
    )
    return {r[0][len(_HELD_PREFIX) :]: r[1] for r in found}


def saved_layouts(portfolio: Portfolio) -> dict[str, str]:
    """Every inventory layout kept, by key (JSON text)."""
    found = portfolio.session.read(
        "SELECT key, value FROM meta WHERE key >= ? AND key < ?", (_LAYOUT_PREFIX, _LAYOUT_PREFIX[:-1] + ";")
    )
    return {r[0][len(_LAYOUT_PREFIX) :]: r[1] for r in found}


def layouts_in_use(portfolio: Portfolio) -> set[str]:
    """The keys of the layouts whose rows pilots still keep (pilot.extra's omb_row)."""
    found = portfolio.session.read(
        "SELECT DISTINCT json_extract(extra, '$.omb_row.layout') FROM pilot "
        "WHERE json_extract(extra, '$.omb_row.layout') IS NOT NULL"
    )
    return {str(r[0]) for r in found}


class LinkKey(NamedTuple):
    """What linking a later inventory needs of a pilot: its id, name, agency, bureau, the agency's id and the
    layout of the inventory row it keeps."""

    id: str
    name: str
    agency: str
    bureau: str
    omb_id: str
    layout: str
    link: str


def link_keys(portfolio: Portfolio) -> list[LinkKey]:
    """Every pilot's LinkKey, in one query (the inventory columns read from pilot.extra by SQLite)."""
    found = portfolio.session.read(
        "SELECT id, name, coalesce(json_extract(extra, '$.agency'), ''), "
        "coalesce(json_extract(extra, '$.agency_bureau'), ''), coalesce(json_extract(extra, '$.omb_id'), ''), "
        "coalesce(json_extract(extra, '$.omb_row.layout'), ''), coalesce(json_extract(extra, '$.omb_link'), '') "
        "FROM pilot"
    )
    return [LinkKey(*(str(v) for v in r)) for r in found]
