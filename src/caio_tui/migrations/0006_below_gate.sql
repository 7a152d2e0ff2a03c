-- caio-tui portfolio schema, version 6: a pilot below its gate, and territory "unassessed".
-- below_gate: the pilot stands at a stage whose gates (every gate from intake to its stage, under the
-- portfolio's current rules) it would fail today. Derived like territory, kept current by the store on
-- every change of coverage, blockers, fields, stage or rules. -1 means not judged yet: the rules are data
-- this SQL cannot evaluate, so the store judges every pilot at the first open after this upgrade
-- (store/derived_upkeep.py), in a write with its audit event, and recomputes territory there too (a pilot
-- with nothing assessed and no open blocker is "unassessed" from now on, no longer "clear").
-- Adding a column changes the text every pilot row is sealed by; the upgrade reseals the rows whose seal
-- held before it (store/database.py), in an audit event of its own.
ALTER TABLE pilot ADD COLUMN below_gate INTEGER NOT NULL DEFAULT -1;

-- The filter token and the dashboard count, like pilot_stale; and the pilots still to judge (usually none).
CREATE INDEX pilot_below_gate ON pilot (id) WHERE below_gate = 1;
CREATE INDEX pilot_unjudged ON pilot (id) WHERE below_gate = -1;
