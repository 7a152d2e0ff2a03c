"""The portfolio's inventory mapping: read the current version (or the shipped default) and load a new
one, in one transaction with its audit event."""

from __future__ import annotations

from dataclasses import dataclass

from caio_tui.domain.inventory_mapping import InventoryMapping, default_mapping_text, parse_mapping
from caio_tui.store.portfolio import Portfolio


@dataclass(frozen=True)
class MappingVersion:
    version: int  # 0: the default shipped with caio-tui (never loaded into this portfolio)
    text: str
    mapping: InventoryMapping
    created_at: str = ""
    actor: str = ""


def current_mapping(portfolio: Portfolio) -> MappingVersion:
    row = portfolio.session.one("SELECT * FROM inventory_mapping ORDER BY version DESC LIMIT 1")
    if row is None:
        text = default_mapping_text()
        return MappingVersion(0, text, parse_mapping(text, "omb_mapping.toml"))
    version = int(row["version"])
    mapping = parse_mapping(row["mapping"], f"inventory mapping version {version}")
    return MappingVersion(version, row["mapping"], mapping, row["created_at"], row["actor"])


def load_mapping(portfolio: Portfolio, text: str, *, source: str) -> int:
    """Make `text` (already checked) the current mapping; returns its version (the current one, unchanged,
    when the text is the same)."""
    with portfolio.session.transaction():
        current = current_mapping(portfolio)
        if current.text == text:
            return current.version
        version = current.version + 1
        portfolio.conn.execute(
            "INSERT INTO inventory_mapping (version, mapping, created_at, actor) VALUES (?, ?, ?, ?)",
            (version, text, portfolio.timestamp(), portfolio.actor),
        )
        portfolio.append_event(
            "mapping.load",
            None,
            {"version": current.version},
            {"version": version, "summary": f"inventory mapping version {version} from {source}"},
            source=source,
        )
    return version
