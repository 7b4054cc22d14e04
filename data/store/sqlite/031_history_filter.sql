-- mutua store, SQLite, version 31: which (NISS, code) pairs the large history holds, as a Bloom
-- filter (src/store/history_filter.h), so that reading a patient's history skips the codes it has
-- never had: on the SQL peer's data four seeks in five into the large history found nothing. The
-- merge (`mutua db compact`) keeps it: it adds the lines it moves, or makes it again from the
-- whole table. `upto` is the largest id of the large history it covers and `pairs` how many
-- pairs it holds at most (the distinct pairs it was made from, and every line added since); a
-- read uses it only while no line of the large history has a larger id. A bulk load of history
-- sets `upto` to -1: it covers nothing until the next merge makes it again. `generation` changes at every write, so a connection
-- that kept a copy knows when to read it again. No row: reads seek every code, as before.
CREATE TABLE history_filter (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  format INTEGER NOT NULL,
  generation INTEGER NOT NULL,
  upto INTEGER NOT NULL,
  pairs INTEGER NOT NULL,
  bits BLOB NOT NULL
);
