"""The portfolio's own settings kept in its meta table: the agency that reports the inventory (its
abbreviation and full name), used by the OMB export and shown by the lint.

A setting a person made wins; unset, the agency comes from the imported inventory when every row that
names one names the same (a consolidated file of many agencies gives none). Each change is one
transaction with its audit event; the meta rows are under the state seal like every other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from caio_tui.store.errors import StoreError

if TYPE_CHECKING:
    from caio_tui.store.portfolio import Portfolio

AGENCY_KEYS = {"abbr": "agency", "name": "agency_name"}  # field -> meta key (also the 2025 column)
_LONGEST = 200


@dataclass(frozen=True)
class AgencyValue:
    value: str  # "" when neither set nor found
    source: str  # "setting", "inventory" (every imported row agrees) or "" (unknown)


@dataclass(frozen=True)
class Agency:
    abbr: AgencyValue
    name: AgencyValue


def agency(portfolio: Portfolio) -> Agency:
    """The agency as the export writes it: the setting, else the inventory's when its rows agree."""
    found = {}
    for field, key in AGENCY_KEYS.items():
        chosen = portfolio.meta(key)
        if chosen:
            found[field] = AgencyValue(chosen, "setting")
            continue
        given = _inventory_values(portfolio, key)
        found[field] = AgencyValue(given[0], "inventory") if len(given) == 1 else AgencyValue("", "")
    return Agency(abbr=found["abbr"], name=found["name"])


def _inventory_values(portfolio: Portfolio, key: str) -> list[str]:
    """Up to two distinct answers the imported rows give for the column (blanks and app pilots aside)."""
    found = portfolio.session.read(
        "SELECT DISTINCT trim(json_extract(extra, '$.' || ?)) AS v FROM pilot "
        "WHERE extra != '{}' AND trim(coalesce(json_extract(extra, '$.' || ?), '')) != '' LIMIT 2",
        (key, key),
    )
    return [str(r["v"]) for r in found]


def set_agency(portfolio: Portfolio, *, abbr: str | None = None, name: str | None = None) -> bool:
    """Set (or, with "", clear) the agency's abbreviation and name; None leaves one as it is. False when
    nothing changed."""
    wanted = {
        key: _clean(value)
        for field, key in AGENCY_KEYS.items()
        if (value := {"abbr": abbr, "name": name}[field]) is not None
    }
    with portfolio.session.transaction():
        before = {key: portfolio.meta(key) or "" for key in wanted}
        after = {key: value for key, value in wanted.items() if before[key] != value}
        if not after:
            return False
        for key, value in after.items():
            if value:
                portfolio.conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
            else:
                portfolio.conn.execute("DELETE FROM meta WHERE key = ?", (key,))
        words = ", ".join(f"{key} {value!r}" if value else f"{key} cleared" for key, value in after.items())
        portfolio.append_event(
            "portfolio.settings", None, {k: before[k] for k in after}, {**after, "summary": f"agency: {words}"}
        )
    return True


def _clean(value: str) -> str:
    text = " ".join(value.split())
    if len(text) > _LONGEST:
        raise StoreError(f"the agency's abbreviation or name is longer than {_LONGEST} characters")
    if any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in value if c not in "\t\n\r"):
        raise StoreError("the agency's abbreviation or name holds control characters")
    return text
