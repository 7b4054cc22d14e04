-- mutua store, SQLite, version 4: insurability consultations (801000 -> 801900). Each answer
-- is kept (who was looked up, at which date, what was answered); an insured answer issues a
-- payment commitment number that invoices carry (ET 20 zones 42-45) and the engine honours for
-- 30 days, as if it were a row of commitments.csv.
CREATE TABLE consultations (
  id INTEGER PRIMARY KEY,
  niss TEXT NOT NULL,
  date INTEGER NOT NULL,
  insured INTEGER NOT NULL,
  mutuality TEXT NOT NULL DEFAULT '',
  ct1 INTEGER NOT NULL DEFAULT 0,
  ct2 INTEGER NOT NULL DEFAULT 0,
  holder INTEGER NOT NULL DEFAULT 0,
  commitment TEXT UNIQUE,
  recorded INTEGER NOT NULL,
  requested_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX consultations_niss ON consultations (niss) WHERE commitment IS NOT NULL;
