-- mutua store, SQLite, version 18: history lines are kept in the order the engine reads them,
-- by patient, then code and first date (a table WITHOUT ROWID clustered on that key), so that a
-- patient's lines, and the lines of one patient and code, lie together on a few pages instead of
-- one page each across the whole table (a patient's lines were read through the NISS index and
-- then fetched one by one by rowid). `id` keeps the order of acceptance: the store gives each
-- new line the next one (unique index); the queries by id (a credit note reversing a line, the
-- lines recorded since a judgement began) go through that index.
CREATE TABLE history_by_patient (
  id INTEGER NOT NULL,
  envoi_id INTEGER NOT NULL,
  niss TEXT NOT NULL,
  code TEXT NOT NULL,
  first_date INTEGER NOT NULL,
  last_date INTEGER NOT NULL,
  units INTEGER NOT NULL,
  amount INTEGER NOT NULL,
  provider TEXT NOT NULL,
  third_party TEXT NOT NULL,
  invoice_number INTEGER NOT NULL,
  record INTEGER NOT NULL,
  billed INTEGER NOT NULL,
  envoi_number INTEGER NOT NULL,
  reversed INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (niss, code, first_date, id)
) WITHOUT ROWID;
INSERT INTO history_by_patient
  SELECT id, envoi_id, niss, code, first_date, last_date, units, amount, provider, third_party, invoice_number,
         record, billed, envoi_number, reversed
  FROM history ORDER BY niss, code, first_date, id;
DROP TABLE history;
ALTER TABLE history_by_patient RENAME TO history;
CREATE UNIQUE INDEX history_id ON history (id);
