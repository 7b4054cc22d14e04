-- mutua store, SQLite, version 3: the ledger. What each accepted envoi owes per account, the
-- payment runs and their payments (one per envoi, account and complement), regularisations
-- (a posteriori corrections, credit-note balances, settled disputes) and how much of each was
-- set off by which payment. Dates are YYYYMMDD integers, money integer cents.

ALTER TABLE envois ADD COLUMN accepted_a_cents INTEGER NOT NULL DEFAULT 0;
ALTER TABLE envois ADD COLUMN accepted_b_cents INTEGER NOT NULL DEFAULT 0;
ALTER TABLE envois ADD COLUMN account_c_cents INTEGER NOT NULL DEFAULT 0;
ALTER TABLE envois ADD COLUMN pending_cents INTEGER NOT NULL DEFAULT 0;
-- The payment run that settled the envoi; NULL while it awaits payment.
ALTER TABLE envois ADD COLUMN settled_run INTEGER;
-- Envois recorded before this version: their accepted amount is taken as account A.
UPDATE envois SET accepted_a_cents = accepted_cents;
CREATE INDEX envois_awaiting ON envois (id) WHERE settled_run IS NULL AND status = 'accepted' AND test = 0;

-- The provider's name, for the payment file (optional column of providers.csv).
ALTER TABLE ref_providers ADD COLUMN "name" TEXT;

CREATE TABLE payment_runs (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  date INTEGER NOT NULL,
  execution INTEGER NOT NULL,
  budget_cents INTEGER NOT NULL,
  paid_cents INTEGER NOT NULL,
  transfers INTEGER NOT NULL,
  payment_file TEXT NOT NULL DEFAULT ''
);

CREATE TABLE payments (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES payment_runs (id),
  envoi_id INTEGER NOT NULL REFERENCES envois (id),
  account TEXT NOT NULL CHECK (account IN ('A', 'B')),
  complement INTEGER NOT NULL DEFAULT 0,
  fund TEXT NOT NULL,
  year INTEGER NOT NULL,
  sequence INTEGER NOT NULL,
  reference TEXT,
  accepted_cents INTEGER NOT NULL,
  compensated_cents INTEGER NOT NULL,
  paid_cents INTEGER NOT NULL CHECK (paid_cents >= 0),
  third_party TEXT NOT NULL,
  iban TEXT NOT NULL,
  bic TEXT NOT NULL,
  executed INTEGER NOT NULL,
  CHECK (paid_cents + compensated_cents = accepted_cents),
  CHECK ((reference IS NULL) = (paid_cents = 0)),
  UNIQUE (envoi_id, account, complement)
);
CREATE INDEX payments_run ON payments (run_id);
-- A reference is never given twice: unique, and its sequence unique per fund and year.
CREATE UNIQUE INDEX payments_reference ON payments (reference) WHERE reference IS NOT NULL;
CREATE UNIQUE INDEX payments_sequence ON payments (fund, year, sequence) WHERE sequence > 0;

CREATE TABLE regularisations (
  id INTEGER PRIMARY KEY,
  third_party TEXT NOT NULL,
  account TEXT NOT NULL CHECK (account IN ('A', 'B')),
  amount_cents INTEGER NOT NULL CHECK (amount_cents <> 0),
  reason TEXT NOT NULL,
  origin TEXT NOT NULL CHECK (origin IN ('M38', 'credit', 'dispute')),
  recorded INTEGER NOT NULL,
  envoi_id INTEGER,
  record INTEGER NOT NULL DEFAULT 0,
  dispute_id INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX regularisations_provider ON regularisations (third_party, account);

CREATE TABLE compensations (
  regularisation_id INTEGER NOT NULL REFERENCES regularisations (id),
  payment_id INTEGER NOT NULL REFERENCES payments (id),
  cents INTEGER NOT NULL,
  PRIMARY KEY (regularisation_id, payment_id)
);
CREATE INDEX compensations_payment ON compensations (payment_id);
