-- caio-tui portfolio schema, version 8: identity evidence from the IdP's exports (issue 16).
-- Each imported export file is one row of idp_file (keyed by the SHA-256 of its bytes: the same file twice
-- changes nothing); its facts (applications, credentials, assignments, people, sign-in tallies) are rows tied
-- to it by `file`, numbered in the file's order. People are keyed hashes unless the import kept identities.
-- An application a record names only by its name has app_id NULL (the store attaches it to the application
-- of that name, see store/identity_facts.py). idp_link ties a pilot to an application ("name:" + the folded
-- name for one known by name only). idp_proposal is the review queue (numbers never reused); identity_rules is versioned like
-- gate_rules. All are covered by the state seal (store/seal.py): facts grouped by file, links and proposals
-- by pilot.

CREATE TABLE idp_file (
  digest TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  vendor TEXT NOT NULL,
  imported_at TEXT NOT NULL,
  imported_by TEXT NOT NULL,
  records INTEGER NOT NULL,
  counts TEXT NOT NULL,
  problems TEXT NOT NULL,
  first_event TEXT,
  last_event TEXT,
  as_of TEXT,
  kept_identities INTEGER NOT NULL
) STRICT;

CREATE TABLE idp_app (
  file TEXT NOT NULL,
  seq INTEGER NOT NULL,
  vendor TEXT NOT NULL,
  app_id TEXT,
  app_name TEXT NOT NULL,
  own_identity TEXT,
  strongest_credential TEXT,
  assignment_required INTEGER,
  enabled INTEGER,
  owners TEXT NOT NULL,
  app_fold TEXT,
  PRIMARY KEY (file, seq)
) STRICT;

CREATE TABLE idp_credential (
  file TEXT NOT NULL,
  seq INTEGER NOT NULL,
  vendor TEXT NOT NULL,
  credential_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  app_id TEXT,
  app_name TEXT,
  name TEXT NOT NULL,
  owner TEXT,
  client_name TEXT,
  created TEXT,
  expires TEXT,
  last_used TEXT,
  app_fold TEXT,
  PRIMARY KEY (file, seq)
) STRICT;

CREATE TABLE idp_assignment (
  file TEXT NOT NULL,
  seq INTEGER NOT NULL,
  vendor TEXT NOT NULL,
  app_id TEXT,
  app_name TEXT NOT NULL,
  principal TEXT NOT NULL,
  principal_type TEXT NOT NULL,
  account TEXT,
  via_group INTEGER,
  assigned_on TEXT,
  unassigned_on TEXT,
  last_login TEXT,
  active INTEGER,
  app_fold TEXT,
  PRIMARY KEY (file, seq)
) STRICT;

CREATE TABLE idp_person (
  file TEXT NOT NULL,
  seq INTEGER NOT NULL,
  vendor TEXT NOT NULL,
  person TEXT NOT NULL,
  active INTEGER,
  last_sign_in TEXT,
  aliases TEXT NOT NULL, -- the same person's other keyed identifiers (a JSON array): object ids, logins
  PRIMARY KEY (file, seq)
) STRICT;

CREATE TABLE idp_sign_in (
  file TEXT NOT NULL,
  seq INTEGER NOT NULL,
  vendor TEXT NOT NULL,
  app_id TEXT,
  app_name TEXT NOT NULL,
  account TEXT NOT NULL,
  account_kind TEXT NOT NULL,
  interactive INTEGER,
  events INTEGER NOT NULL,
  failures INTEGER NOT NULL,
  devices INTEGER NOT NULL,
  addresses INTEGER NOT NULL,
  first TEXT NOT NULL,
  last TEXT NOT NULL,
  names_user INTEGER NOT NULL,
  credential_types TEXT NOT NULL,
  app_fold TEXT,
  PRIMARY KEY (file, seq)
) STRICT;

-- The application a record names, found by id or by its folded name (app_fold: the name as compared).
CREATE INDEX idp_app_by_id ON idp_app (vendor, app_id, app_fold);
CREATE INDEX idp_credential_by_id ON idp_credential (vendor, app_id, app_fold);
CREATE INDEX idp_assignment_by_id ON idp_assignment (vendor, app_id, app_fold);
CREATE INDEX idp_sign_in_by_id ON idp_sign_in (vendor, app_id, app_fold);
CREATE INDEX idp_app_by_name ON idp_app (vendor, app_fold) WHERE app_id IS NULL;
CREATE INDEX idp_credential_by_name ON idp_credential (vendor, app_fold) WHERE app_id IS NULL;
CREATE INDEX idp_assignment_by_name ON idp_assignment (vendor, app_fold) WHERE app_id IS NULL;
CREATE INDEX idp_sign_in_by_name ON idp_sign_in (vendor, app_fold) WHERE app_id IS NULL;

CREATE TABLE idp_link (
  pilot_id TEXT NOT NULL,
  vendor TEXT NOT NULL,
  app_key TEXT NOT NULL,
  app_name TEXT NOT NULL,
  linked_at TEXT NOT NULL,
  linked_by TEXT NOT NULL,
  PRIMARY KEY (pilot_id, vendor, app_key)
) STRICT;

CREATE TABLE idp_proposal (
  id INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: a withdrawn proposal's number names no other
  pilot_id TEXT NOT NULL,
  rule TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('coverage', 'blocker')),
  target TEXT NOT NULL,
  status TEXT,
  facts TEXT NOT NULL,
  facts_digest TEXT NOT NULL,
  files TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'accepted', 'rejected')),
  proposed_at TEXT NOT NULL,
  decided_at TEXT,
  decided_by TEXT NOT NULL DEFAULT '',
  outcome TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX idp_proposal_by_pilot ON idp_proposal (pilot_id, id);
CREATE INDEX idp_proposal_by_state ON idp_proposal (state, rule);

CREATE TABLE identity_rules (
  version INTEGER PRIMARY KEY,
  rules TEXT NOT NULL,
  created_at TEXT NOT NULL,
  actor TEXT NOT NULL
) STRICT;
