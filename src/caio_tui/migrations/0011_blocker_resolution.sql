-- caio-tui portfolio schema, version 11: how a blocker was resolved, in the words of whoever resolved it.
-- Until now resolving kept only who and when, and the history showed the note written when the blocker
-- was opened as if it said how it ended. Blank for every blocker resolved before this version (unknown,
-- never "nothing was done").
-- Adding a column changes the text every blocker row is sealed by; the upgrade reseals the rows whose seal
-- held before it (store/database.py), in an audit event of its own.
ALTER TABLE blocker ADD COLUMN resolution TEXT NOT NULL DEFAULT '';
