-- mutua store, SQLite, version 16: the history index is on the NISS alone. Its entries are then
-- (NISS, rowid), which is the order a patient's lines are read in (by id, the rowid): the index
-- on (NISS, first date) made SQLite sort each patient's lines again. No query used the date.
DROP INDEX history_niss;
CREATE INDEX history_niss ON history (niss);
