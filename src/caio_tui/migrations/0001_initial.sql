-- caio-tui portfolio schema, version 1.
-- Derived columns on pilot (readiness, territory, open_blockers, top_blocker, stage_pos) are kept current
-- by the store in the same transaction as the change that moves them, so the table can sort and filter
-- in SQL at any size.

CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

CREATE TABLE framework (
  id TEXT PRIMARY KEY,
  position INTEGER NOT NULL,
  definition TEXT NOT NULL -- the framework as JSON (areas and items)
) STRICT;

CREATE TABLE item (
  id TEXT PRIMARY KEY,
  framework_id TEXT NOT NULL REFERENCES framework(id) ON DELETE CASCADE,
  area_id TEXT NOT NULL,
  position INTEGER NOT NULL
) STRICT;

CREATE TABLE blocker_tag (
  tag TEXT PRIMARY KEY,
  category TEXT NOT NULL CHECK (category IN ('identity', 'infrastructure', 'governance', 'organizational')),
  areas TEXT NOT NULL DEFAULT '[]',
  description TEXT NOT NULL DEFAULT '',
  builtin INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE pilot (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  office TEXT NOT NULL DEFAULT '',
  owner TEXT NOT NULL DEFAULT '',
  stage TEXT NOT NULL CHECK (stage IN ('intake', 'poc', 'pilot', 'readiness', 'production', 'scaled', 'retired')),
  stage_pos INTEGER NOT NULL,
  high_impact INTEGER NOT NULL DEFAULT 0,
  description TEXT NOT NULL DEFAULT '',
  extra TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL,
  stage_entered_at TEXT NOT NULL,
  readiness REAL NOT NULL DEFAULT 0,
  not_assessed INTEGER NOT NULL DEFAULT 0,
  territory TEXT NOT NULL DEFAULT 'clear',
  open_blockers INTEGER NOT NULL DEFAULT 0,
  top_blocker TEXT NOT NULL DEFAULT '',
  approval_stale INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX pilot_by_stage ON pilot (stage_pos, id);
CREATE INDEX pilot_by_readiness ON pilot (readiness, id);
CREATE INDEX pilot_by_entered ON pilot (stage_entered_at, id);
CREATE INDEX pilot_by_office ON pilot (office, id);
CREATE INDEX pilot_by_name ON pilot (name, id);
CREATE INDEX pilot_by_territory ON pilot (territory, id);
CREATE INDEX pilot_by_blockers ON pilot (open_blockers, id);

CREATE VIRTUAL TABLE pilot_fts USING fts5 (
  id, name, office, owner, content = 'pilot', content_rowid = 'rowid', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER pilot_fts_insert AFTER INSERT ON pilot BEGIN
  INSERT INTO pilot_fts (rowid, id, name, office, owner) VALUES (new.rowid, new.id, new.name, new.office, new.owner);
END;
CREATE TRIGGER pilot_fts_delete AFTER DELETE ON pilot BEGIN
  INSERT INTO pilot_fts (pilot_fts, rowid, id, name, office, owner)
  VALUES ('delete', old.rowid, old.id, old.name, old.office, old.owner);
END;
CREATE TRIGGER pilot_fts_update AFTER UPDATE OF id, name, office, owner ON pilot BEGIN
  INSERT INTO pilot_fts (pilot_fts, rowid, id, name, office, owner)
  VALUES ('delete', old.rowid, old.id, old.name, old.office, old.owner);
  INSERT INTO pilot_fts (rowid, id, name, office, owner) VALUES (new.rowid, new.id, new.name, new.office, new.owner);
END;

-- Sparse: an item with no row is not_assessed.
CREATE TABLE coverage (
  pilot_id TEXT NOT NULL REFERENCES pilot(id) ON DELETE CASCADE,
  item_id TEXT NOT NULL REFERENCES item(id),
  status TEXT NOT NULL CHECK (status IN ('not_assessed', 'gap', 'partial', 'met', 'waived', 'not_applicable')),
  evidence TEXT NOT NULL DEFAULT '',
  justification TEXT NOT NULL DEFAULT '',
  updated_at TEXT NOT NULL,
  updated_by TEXT NOT NULL,
  PRIMARY KEY (pilot_id, item_id)
) STRICT;

CREATE TABLE blocker (
  id INTEGER PRIMARY KEY,
  pilot_id TEXT NOT NULL REFERENCES pilot(id) ON DELETE CASCADE,
  tag TEXT NOT NULL REFERENCES blocker_tag(tag),
  note TEXT NOT NULL DEFAULT '',
  opened_at TEXT NOT NULL,
  opened_by TEXT NOT NULL,
  resolved_at TEXT,
  resolved_by TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX blocker_by_pilot ON blocker (pilot_id, resolved_at);
CREATE INDEX blocker_open_by_tag ON blocker (tag, pilot_id) WHERE resolved_at IS NULL;

CREATE TABLE stage_move (
  id INTEGER PRIMARY KEY,
  pilot_id TEXT NOT NULL REFERENCES pilot(id) ON DELETE CASCADE,
  from_stage TEXT,
  to_stage TEXT NOT NULL,
  moved_at TEXT NOT NULL,
  actor TEXT NOT NULL,
  override TEXT NOT NULL DEFAULT '',
  failed_rules TEXT NOT NULL DEFAULT '[]'
) STRICT;
CREATE INDEX stage_move_by_pilot ON stage_move (pilot_id, id);

CREATE TABLE gate_rules (
  version INTEGER PRIMARY KEY,
  rules TEXT NOT NULL,
  created_at TEXT NOT NULL,
  actor TEXT NOT NULL
) STRICT;

-- Append-only, hash-chained: each event carries the SHA-256 of its canonical content and of the event
-- before it. pilot_id has no foreign key so the trail outlives what it describes.
CREATE TABLE audit_event (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  pilot_id TEXT,
  before TEXT,
  after TEXT,
  source TEXT NOT NULL DEFAULT '',
  undoes INTEGER,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
) STRICT;
CREATE INDEX audit_by_pilot ON audit_event (pilot_id, id);
CREATE INDEX audit_by_actor ON audit_event (actor, id);
