-- caio-tui portfolio schema, version 2: the state each gate decision was made on.
-- A move that passes a gate, or overrides it, keeps what the gates crossed required and the pilot's state
-- then (JSON of domain.staleness.DecidedState); NULL for moves that cross no gate (backwards, retiring,
-- creation, imported history) and for moves recorded before this version. The store compares the latest
-- decision with the current state to keep pilot.approval_stale current.

ALTER TABLE stage_move ADD COLUMN decided_state TEXT;

-- A re-check of the gate a move passed: a new decision on the state of its day, which the approval then
-- holds to. It belongs to the move, so undoing the move removes its re-checks too.
CREATE TABLE gate_recheck (
  id INTEGER PRIMARY KEY,
  move_id INTEGER NOT NULL REFERENCES stage_move(id) ON DELETE CASCADE,
  checked_at TEXT NOT NULL,
  actor TEXT NOT NULL,
  override TEXT NOT NULL DEFAULT '',
  decided_state TEXT NOT NULL
) STRICT;
CREATE INDEX gate_recheck_by_move ON gate_recheck (move_id, id);

-- Stale approvals are few: the `stale` filter reads them from a partial index.
CREATE INDEX pilot_stale ON pilot (id) WHERE approval_stale = 1;

-- The Pipeline board reads each stage longest-waiting first, a page at a time: one index serves every lane,
-- and the `stalled` filter (stages pilot and readiness entered before a date) reads a range of it.
CREATE INDEX pilot_by_stage_entered ON pilot (stage, stage_entered_at, id);
