-- caio-tui portfolio schema, version 7: the agency's commercial AI uses, from OMB's consolidated COTS file
-- (agency x twenty standard uses: Y/N, products, licence band; io/omb/cots.py). One file at a time: an
-- import replaces the rows whole, as one undoable step. Each row keeps its cells as the file gave them
-- (`cells`, a JSON array), so the export gives the file back; the five fields are read from them for the
-- views, with the agency's abbreviation from the agency map (blank when the map does not know the name).
-- Both tables are covered by the state seal (store/seal.py): the file's layout as one group, the rows
-- grouped by agency.

CREATE TABLE IF NOT EXISTS commercial_file (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  source TEXT NOT NULL,
  layout TEXT NOT NULL,
  imported_at TEXT NOT NULL,
  imported_by TEXT NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS commercial_use (
  row_no INTEGER PRIMARY KEY,
  agency TEXT NOT NULL,
  agency_abbr TEXT NOT NULL DEFAULT '',
  use_case TEXT NOT NULL,
  in_use TEXT NOT NULL,
  products TEXT NOT NULL,
  licenses TEXT NOT NULL,
  cells TEXT NOT NULL
) STRICT;

CREATE INDEX IF NOT EXISTS commercial_use_by_agency ON commercial_use (agency, row_no);
