-- mutua store, SQLite, version 5: medical-advisor agreements recorded by the fund (requests and
-- their dated decisions A, N, D, O, R; stay agreements name the hospital stay), and the lines
-- accepted envois left pending on the advisor (500434) with what became of them: approved lines
-- are paid in a complement (numbered per envoi, marked * after the envoi number), refused lines
-- keep the code they were refused with. Dates are YYYYMMDD integers, money integer cents.
CREATE TABLE agreements (
  id INTEGER PRIMARY KEY,
  niss TEXT NOT NULL,
  code TEXT NOT NULL,
  requested_by TEXT NOT NULL DEFAULT '',
  decision TEXT NOT NULL DEFAULT '' CHECK (decision IN ('', 'A', 'N', 'D', 'O', 'R')),
  request_date INTEGER NOT NULL,
  decision_date INTEGER NOT NULL DEFAULT 0,
  valid_from INTEGER NOT NULL DEFAULT 0,
  valid_to INTEGER NOT NULL DEFAULT 99991231,
  establishment TEXT NOT NULL DEFAULT '',
  admission INTEGER NOT NULL DEFAULT 0,
  discharge INTEGER NOT NULL DEFAULT 0,
  motivation TEXT NOT NULL DEFAULT ''
);
CREATE INDEX agreements_niss ON agreements (niss, code);

CREATE TABLE agreement_events (
  agreement_id INTEGER NOT NULL REFERENCES agreements (id),
  seq INTEGER NOT NULL,
  date INTEGER NOT NULL,
  decision TEXT NOT NULL DEFAULT '',
  note TEXT NOT NULL DEFAULT '',
  by TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (agreement_id, seq)
);

CREATE TABLE pending_lines (
  id INTEGER PRIMARY KEY,
  envoi_id INTEGER NOT NULL REFERENCES envois (id),
  record INTEGER NOT NULL,
  niss TEXT NOT NULL,
  code TEXT NOT NULL,
  first_date INTEGER NOT NULL,
  last_date INTEGER NOT NULL,
  units INTEGER NOT NULL,
  amount INTEGER NOT NULL,
  account TEXT NOT NULL CHECK (account IN ('A', 'B')),
  provider TEXT NOT NULL,
  third_party TEXT NOT NULL,
  invoice_number INTEGER NOT NULL,
  billed INTEGER NOT NULL,
  envoi_number INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'refused')),
  decided INTEGER NOT NULL DEFAULT 0,
  agreement_id INTEGER NOT NULL DEFAULT 0,
  refusal_code TEXT NOT NULL DEFAULT '',
  complement INTEGER NOT NULL DEFAULT 0,
  run_id INTEGER,
  UNIQUE (envoi_id, record),
  CHECK ((run_id IS NULL) = (complement = 0)),
  CHECK (run_id IS NULL OR state = 'approved')
);
CREATE INDEX pending_lines_niss ON pending_lines (niss, code) WHERE state = 'pending';
CREATE INDEX pending_lines_unpaid ON pending_lines (envoi_id) WHERE state = 'approved' AND run_id IS NULL;
