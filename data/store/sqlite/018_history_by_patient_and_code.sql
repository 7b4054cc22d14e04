-- mutua store, SQLite, version 18: history is read by patient and code (the engine reads only
-- the codes the rules read, rules/lines/history_needs.cpp): the index on the NISS becomes one on
-- (NISS, code), so each patient and code is one seek, then only its own lines are fetched. The
-- table itself stays in order of acceptance (rowid = id): an envoi's lines are appended, and the
-- index takes one small entry each (a table clustered on the patient took the whole line at a
-- random place, which cost more to write than it saved to read).
DROP INDEX history_niss;
CREATE INDEX history_niss_code ON history (niss, code);
