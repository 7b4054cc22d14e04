-- mutua store, SQLite, version 29: accepted lines go first into a small table of recent history,
-- merged into `history` in (NISS, code) order now and then (`mutua db compact`, or on its own
-- past a number of lines: docs/performance.md). An accepted line written straight into the
-- 20M-line history changes a random page of each of its two indexes: some 130k distinct pages,
-- 530 MB through the WAL and again at the checkpoint, for a 100k-line envoi. In a table of its
-- own the same lines change a few thousand pages; the merge then writes each page of the large
-- indexes once for all the lines merged, however many. A line keeps its id in both tables (ids
-- are given by the store, above every id of either table) and is in exactly one of them; the
-- reads look in both. `history_all` is both, for the statements that read history whole.
CREATE TABLE history_recent (
  id INTEGER PRIMARY KEY,
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
  reversed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX history_recent_niss_code ON history_recent (niss, code);
CREATE VIEW history_all AS SELECT * FROM history UNION ALL SELECT * FROM history_recent;
