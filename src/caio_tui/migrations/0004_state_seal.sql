-- caio-tui portfolio schema, version 4: the audit chain covers the state, not only the events.
-- Each group of state rows (a pilot's row; a pilot's coverage, blockers or stage moves; one row of a small
-- table: meta, framework, item, blocker_tag, gate_rules, gate_recheck) has a digest here, kept by the store
-- in the transaction that changes the rows (store/seal.py). Every audit event written since carries
-- `state`: the sum of all digests after its change, inside the event's hash. `caio-tui verify` recomputes
-- the digests from the rows, so a row changed, added or deleted with another program is named, and a
-- digest rewritten to match it no longer adds up to the state the chain recorded.

CREATE TABLE state_seal (
  tbl TEXT NOT NULL,
  grp TEXT NOT NULL,
  digest BLOB NOT NULL,
  PRIMARY KEY (tbl, grp)
) STRICT, WITHOUT ROWID;

ALTER TABLE audit_event ADD COLUMN state TEXT;
