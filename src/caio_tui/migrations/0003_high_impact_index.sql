-- caio-tui portfolio schema, version 3: the high-impact pilots, about a tenth of a portfolio, in a partial
-- index of their own, which answers the `high-impact` count and the stage counts of the high-impact pilots
-- without reading a pilot row (1M pilots: 125 -> 1 ms and 146 -> 5 ms). high_impact is in the index although
-- it is always 1 there: SQLite reads an index alone only when it holds every column the query names.
-- Pages in a sort order do not use it (the store writes `+high_impact` there): walking the sort order's own
-- index and stopping after the page is faster than sorting every high-impact pilot.
CREATE INDEX IF NOT EXISTS pilot_high_impact ON pilot (stage, high_impact) WHERE high_impact = 1;
