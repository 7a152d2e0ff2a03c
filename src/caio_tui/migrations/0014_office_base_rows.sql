-- caio-tui portfolio schema, version 14: a pilot's office base kept in the row, not beside it.
-- In 0013 office_base was a WITHOUT ROWID table keyed by (pilot_id, send_id): its rows (a pilot's side as
-- JSON, about 1 KB) were too long to stay in such a table's leaf pages, so each took an overflow page too,
-- and the rows of one office lay scattered among every other office's (pilot ids interleave). A merge of
-- 5,000 pilots rewrote 10,400 pages of it, 40% of what the merge wrote. As a rowid table the rows stay in
-- their leaf pages, and an office's lie together (a send writes them together); an update in place leaves
-- the (pilot_id, send_id) index alone. The columns and their order are the same: every row reads, and is
-- sealed, as before (no group is sealed again). The rows go through a copy and back:
-- ALTER TABLE ... RENAME (or a temporary table) leaves the new file's first checkpoint 'locked' from Python.
CREATE TABLE office_base_0013 (send_id TEXT NOT NULL, pilot_id TEXT NOT NULL, state TEXT NOT NULL) STRICT;
INSERT INTO office_base_0013 SELECT send_id, pilot_id, state FROM office_base;
DROP TABLE office_base;
CREATE TABLE office_base (
  send_id TEXT NOT NULL REFERENCES office_send(id),
  pilot_id TEXT NOT NULL,
  state TEXT NOT NULL,            -- the pilot's mergeable fields as JSON (domain/office_merge.py PilotSide)
  UNIQUE (pilot_id, send_id)
) STRICT;
INSERT INTO office_base (send_id, pilot_id, state)
  SELECT send_id, pilot_id, state FROM office_base_0013 ORDER BY send_id, pilot_id;
DROP TABLE office_base_0013;
