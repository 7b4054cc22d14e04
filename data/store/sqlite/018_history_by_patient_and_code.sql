-- mutua store, SQLite, version 18: history is read by patient and code (the engine reads only
-- the codes the rules read, rules/lines/history_needs.cpp): an index on (NISS, code) beside the
-- one on the NISS makes each patient and code one seek, after which only its own lines are
-- fetched. The NISS index stays for a patient's whole history in order of acceptance (its
-- entries are NISS, rowid): a nursing day asks for every code with a role, and one range of it
-- then costs less than a seek per code. The table itself stays in order of acceptance (rowid =
-- id): an envoi's lines are appended (a table clustered on the patient took each line whole at
-- a random place, which cost more to write than it saved to read).
CREATE INDEX history_niss_code ON history (niss, code);
