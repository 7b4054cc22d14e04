-- mutua store, SQLite, version 30: the large history kept in (NISS, code, id) order, its rows
-- in the leaves of that key (WITHOUT ROWID). A patient's lines then sit side by side on one or
-- two pages: an envoi of 11,700 nursing patients reads their 234k lines in 0.29-0.30 s, where
-- the table in order of acceptance with an index on the NISS fetched each line from a page of
-- its own (0.44-0.51 s, docs/performance.md). Migration 18 kept the table in order of
-- acceptance because an envoi's lines written at random places cost more than they saved; since
-- migration 29 an envoi writes into the recent history, and only the merge (`mutua db compact`)
-- writes here, in key order. The id is still unique and says the order of acceptance; its index
-- serves the store's marks, the lines recorded since one and a credit note's reversal.
DROP VIEW history_all;
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
  PRIMARY KEY (niss, code, id)
) WITHOUT ROWID;
INSERT INTO history_by_patient (id, envoi_id, niss, code, first_date, last_date, units, amount, provider, third_party,
                                invoice_number, record, billed, envoi_number, reversed)
  SELECT id, envoi_id, niss, code, first_date, last_date, units, amount, provider, third_party, invoice_number,
         record, billed, envoi_number, reversed
  FROM history ORDER BY niss, code, id;
DROP TABLE history;
ALTER TABLE history_by_patient RENAME TO history;
CREATE UNIQUE INDEX history_id ON history (id);
CREATE VIEW history_all AS SELECT * FROM history UNION ALL SELECT * FROM history_recent;
