-- caio-tui portfolio schema, version 13: program offices keep their own pilots and merge back.
-- The CAIO sends an office its pilots (office_send, with the value of each pilot as sent: office_base); the
-- office opens the send as a portfolio of its own (the same two tables hold, on its side, the send it started
-- from); its bundle of changes comes back and merges three ways per field against office_base, which then
-- holds the merged values, so the next bundle of that send merges against them. A field both sides changed
-- differently waits in office_conflict; a stage the office moved waits in office_request until the CAIO
-- passes it through the gate (or declines it). office_bundle records every bundle merged, by the head of the
-- office's chain it carried: the same bundle merged twice changes nothing. Every table is sealed.

CREATE TABLE office_send (
  id TEXT PRIMARY KEY,            -- random, printed by `send`; names the send in bundles
  office TEXT NOT NULL,           -- the office's name, as in pilot.office
  sent_at TEXT NOT NULL,
  actor TEXT NOT NULL,
  chain_head TEXT NOT NULL,       -- the hash of the CAIO's newest audit event when sent
  id_prefix TEXT NOT NULL         -- the office mints the ids of pilots it creates with it (e.g. 'GMO-'):
                                  -- unique among this portfolio's sends and pilot ids, so they never clash
) STRICT;

CREATE TABLE office_base (
  send_id TEXT NOT NULL REFERENCES office_send(id),
  pilot_id TEXT NOT NULL,
  state TEXT NOT NULL,            -- the pilot's mergeable fields as JSON (domain/office_merge.py PilotSide)
  PRIMARY KEY (pilot_id, send_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE office_bundle (
  head TEXT PRIMARY KEY,          -- the hash of the office's newest audit event the bundle carried
  send_id TEXT NOT NULL REFERENCES office_send(id),
  merged_at TEXT NOT NULL,
  actor TEXT NOT NULL,
  file_digest TEXT NOT NULL,      -- SHA-256 of the bundle file
  events INTEGER NOT NULL,        -- the length of the office's chain it carried: the next bundle of the
                                  -- send must extend this chain (its event `events` hashes to `head`)
  changes INTEGER NOT NULL,
  conflicts INTEGER NOT NULL,
  requests INTEGER NOT NULL,
  added INTEGER NOT NULL
) STRICT;

CREATE TABLE office_conflict (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  pilot_id TEXT NOT NULL,
  bundle_head TEXT NOT NULL REFERENCES office_bundle(head),
  kind TEXT NOT NULL CHECK (kind IN ('field', 'coverage', 'blocker')),
  name TEXT NOT NULL,             -- the field's name, the coverage item's id, the blocker's tag
  base TEXT NOT NULL,             -- the three values as JSON
  caio TEXT NOT NULL,
  office TEXT NOT NULL,
  resolved_at TEXT,               -- NULL while it waits
  resolved_by TEXT NOT NULL DEFAULT '',
  -- 'superseded': a later bundle of the send brought a new conflict on the field; 'agreed': a later
  -- bundle's office value equals the CAIO's
  resolution TEXT CHECK (resolution IN ('caio', 'office', 'edited', 'superseded', 'agreed'))
) STRICT;
CREATE INDEX office_conflict_by_pilot ON office_conflict (pilot_id, id);
CREATE INDEX office_conflict_waiting ON office_conflict (id) WHERE resolved_at IS NULL;

CREATE TABLE office_request (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  pilot_id TEXT NOT NULL,
  bundle_head TEXT NOT NULL REFERENCES office_bundle(head),
  office TEXT NOT NULL,
  current TEXT NOT NULL,          -- the CAIO's stage when the bundle merged
  requested TEXT NOT NULL,        -- the office's stage
  note TEXT NOT NULL DEFAULT '',  -- the office's words for its move (its override's justification, a note)
  decided_at TEXT,                -- NULL while it waits
  decided_by TEXT NOT NULL DEFAULT '',
  decision TEXT CHECK (decision IN ('moved', 'declined'))
) STRICT;
CREATE INDEX office_request_by_pilot ON office_request (pilot_id, id);
CREATE INDEX office_request_waiting ON office_request (id) WHERE decided_at IS NULL;

-- A pilot's history includes the merges that name it (after.pilots); the merges are few, so they are found
-- through this partial index rather than by reading every event (30 ms at 300,000 events, growing with the
-- trail, where a pilot's own events take 0.2 ms through audit_by_pilot).
CREATE INDEX IF NOT EXISTS audit_office_merge ON audit_event (id) WHERE action = 'office_merge';
