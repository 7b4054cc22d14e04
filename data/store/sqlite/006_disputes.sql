-- mutua store, SQLite, version 6: disputes (contentieux) with their dated history. A settled
-- dispute's amount is a regularisation (origin 'dispute') set off on the next payments.
CREATE TABLE disputes (
  id INTEGER PRIMARY KEY,
  third_party TEXT NOT NULL,
  subject TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'under review', 'settled', 'closed')),
  opened INTEGER NOT NULL,
  ended INTEGER NOT NULL DEFAULT 0,
  account TEXT NOT NULL DEFAULT 'A' CHECK (account IN ('A', 'B')),
  envoi_id INTEGER NOT NULL DEFAULT 0,
  record INTEGER NOT NULL DEFAULT 0,
  payment_reference TEXT NOT NULL DEFAULT '',
  amount_cents INTEGER NOT NULL DEFAULT 0,
  regularisation_id INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX disputes_provider ON disputes (third_party);

CREATE TABLE dispute_events (
  dispute_id INTEGER NOT NULL REFERENCES disputes (id),
  seq INTEGER NOT NULL,
  date INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('open', 'comment', 'settle', 'close')),
  text TEXT NOT NULL DEFAULT '',
  by TEXT NOT NULL DEFAULT '',
  amount_cents INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (dispute_id, seq)
);
