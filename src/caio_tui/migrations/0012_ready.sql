-- caio-tui portfolio schema, version 12: a pilot ready for its next stage.
-- ready: the pilot passes the gate into the stage after its own (under the portfolio's current rules)
-- today; the filter token `ready`. Derived like below_gate, kept current by the store on every change of
-- coverage, blockers, fields, stage or rules. -1 means not judged yet: the rules are data this SQL cannot
-- evaluate, so the store judges every pilot at the first open after this upgrade
-- (store/derived_upkeep.py), in a write with its audit event. Adding a column changes the text every pilot
-- row is sealed by; the upgrade reseals the rows whose seal held before it (store/upgrade_seal.py).
ALTER TABLE pilot ADD COLUMN ready INTEGER NOT NULL DEFAULT -1;

-- The filter token: about half the pilots are ready (every intake pilot, whose next gate asks nothing by
-- default), so the index is by stage: `ready stage:pilot` counts from it alone (119 -> 8 ms at 100,000
-- pilots, where (id) made it fetch every pilot row of the stage). And the pilots still to judge (usually none).
CREATE INDEX pilot_ready ON pilot (stage, ready) WHERE ready = 1;
CREATE INDEX pilot_unready ON pilot (id) WHERE ready = -1;
