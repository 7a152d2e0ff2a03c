-- caio-tui portfolio schema, version 5: the inventory mapping, versioned like the gate rules.
-- Each `caio-tui mapping load` adds a version (the TOML text as loaded); the newest is current. A portfolio
-- with no version uses the mapping shipped with caio-tui (domain/data/omb_mapping.toml).
CREATE TABLE inventory_mapping (
  version INTEGER PRIMARY KEY,
  mapping TEXT NOT NULL,
  created_at TEXT NOT NULL,
  actor TEXT NOT NULL
) STRICT;
