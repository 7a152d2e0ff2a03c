"""What the store keeps of imported inventories beside the pilots: each file layout an import read (so an
export can give the file back as it came), the rows an import held back for a person to link, and the keys
a later year's rows are linked to pilots by. Layouts and held rows are portfolio settings (the meta table,
under the state seal)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from caio_tui.store.portfolio import Portfolio

_LAYOUT_PREFIX = "omb_layout:"


def save_layout(portfolio: Portfolio, key: str, layout_json: str) -> None:
    """Keep an inventory file's layout (a portfolio setting, sealed with the others), the newest import's."""
    portfolio.conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (_LAYOUT_PREFIX + key, layout_json),
    )


HELD_PREFIX = "omb_held:"


def keep_held(portfolio: Portfolio, held: Mapping[str, str], resolved: Sequence[str]) -> dict[str, str | None]:
    """Write the held rows that are new or changed and remove the resolved ones; for each key it changed,
    the value it had (None: none), which undo puts back (put_back_held)."""
    changed: dict[str, str | None] = {}
    for key in resolved:
        before = portfolio.meta(HELD_PREFIX + key)
        if portfolio.conn.execute("DELETE FROM meta WHERE key = ?", (HELD_PREFIX + key,)).rowcount:
            changed[key] = before
    for key, value in held.items():
        before = portfolio.meta(HELD_PREFIX + key)
        if before != value:
            portfolio.conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (HELD_PREFIX + key, value),
            )
            changed[key] = before
    return changed


def put_back_held(portfolio: Portfolio, values: Mapping[str, str | None]) -> None:
    """Held rows as they were before an import or a link changed them (undo): None removes one."""
    for key, value in values.items():
        if value is None:
            portfolio.conn.execute("DELETE FROM meta WHERE key = ?", (HELD_PREFIX + key,))
        else:
            portfolio.conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (HELD_PREFIX + key, value),
            )


def held_rows(portfolio: Portfolio) -> dict[str, str]:
    """Every inventory row held for a person to link, by key (JSON text)."""
    found = portfolio.session.read(
        "SELECT key, value FROM meta WHERE key >= ? AND key < ? ORDER BY key", (HELD_PREFIX, HELD_PREFIX[:-1] + ";")
    )
    return {r[0][len(HELD_PREFIX) :]: r[1] for r in found}


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
