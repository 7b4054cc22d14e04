-- mutua store, SQLite, version 1: reference data, envois, history, responses.
-- Reference tables mirror the documented CSV files (docs/refdata.md) column for column;
-- values are kept as the checked text of the files and parsed by the same code as the files.

CREATE TABLE ref_members (line INTEGER NOT NULL, "niss" TEXT, "birth_date" TEXT, "sex" TEXT, "mutuality" TEXT, "holder" TEXT);
CREATE INDEX ref_members_niss ON ref_members ("niss");
CREATE TABLE ref_insurability (line INTEGER NOT NULL, "niss" TEXT, "start" TEXT, "end" TEXT, "ct1" TEXT, "ct2" TEXT);
CREATE INDEX ref_insurability_niss ON ref_insurability ("niss");
CREATE TABLE ref_providers (line INTEGER NOT NULL, "inami" TEXT, "kind" TEXT, "qualification" TEXT, "bce" TEXT, "iban_a" TEXT, "bic_a" TEXT, "iban_b" TEXT, "bic_b" TEXT, "grouping" TEXT, "language" TEXT);
CREATE TABLE ref_provider_destinations (line INTEGER NOT NULL, "inami" TEXT, "union" TEXT, "destination" TEXT, "puc" TEXT);
CREATE TABLE ref_nomenclature (line INTEGER NOT NULL, "code" TEXT, "valid_from" TEXT, "valid_to" TEXT, "fee_cents" TEXT, "personal_share_cents" TEXT, "personal_share_cents_preferential" TEXT, "prescriber" TEXT, "account" TEXT, "sex" TEXT, "kinds" TEXT, "max_units" TEXT, "max_period" TEXT, "role" TEXT, "sector" TEXT, "laterality" TEXT, "agreement" TEXT, "gmd" TEXT, "ambulatory" TEXT);
CREATE TABLE ref_cumulations (line INTEGER NOT NULL, "code" TEXT, "other" TEXT, "scope" TEXT, "period_days" TEXT);
CREATE TABLE ref_prerequisites (line INTEGER NOT NULL, "code" TEXT, "required" TEXT, "within_days" TEXT);
CREATE TABLE ref_hospitalisations (line INTEGER NOT NULL, "niss" TEXT, "establishment" TEXT, "service" TEXT, "admission" TEXT, "discharge" TEXT, "kind" TEXT);
CREATE INDEX ref_hospitalisations_niss ON ref_hospitalisations ("niss");
CREATE TABLE ref_care_pathways (line INTEGER NOT NULL, "niss" TEXT, "type" TEXT, "start" TEXT, "end" TEXT);
CREATE INDEX ref_care_pathways_niss ON ref_care_pathways ("niss");
CREATE TABLE ref_medical_houses (line INTEGER NOT NULL, "niss" TEXT, "medical_house" TEXT, "start" TEXT, "end" TEXT, "disciplines" TEXT);
CREATE INDEX ref_medical_houses_niss ON ref_medical_houses ("niss");
CREATE TABLE ref_agreements (line INTEGER NOT NULL, "niss" TEXT, "code" TEXT, "decision" TEXT, "request_date" TEXT, "decision_date" TEXT, "valid_from" TEXT, "valid_to" TEXT);
CREATE INDEX ref_agreements_niss ON ref_agreements ("niss");
CREATE TABLE ref_palliative (line INTEGER NOT NULL, "niss" TEXT, "doctor_notification" TEXT, "nurse_notification" TEXT);
CREATE INDEX ref_palliative_niss ON ref_palliative ("niss");
CREATE TABLE ref_commitments (line INTEGER NOT NULL, "niss" TEXT, "number" TEXT, "consulted" TEXT, "ct1" TEXT, "ct2" TEXT, "mutuality" TEXT);
CREATE INDEX ref_commitments_niss ON ref_commitments ("niss");
CREATE TABLE ref_detentions (line INTEGER NOT NULL, "niss" TEXT, "start" TEXT, "end" TEXT);
CREATE INDEX ref_detentions_niss ON ref_detentions ("niss");

CREATE TABLE envois (
  id INTEGER PRIMARY KEY,
  third_party TEXT NOT NULL,
  year INTEGER NOT NULL,
  month INTEGER NOT NULL,
  number INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('accepted', 'rejected', 'refused')),
  test INTEGER NOT NULL DEFAULT 0,
  received TEXT NOT NULL,
  file_name TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  batch TEXT NOT NULL DEFAULT '',
  error_rate_bp INTEGER NOT NULL DEFAULT 0,
  lines INTEGER NOT NULL DEFAULT 0,
  rejected_lines INTEGER NOT NULL DEFAULT 0,
  asked_cents INTEGER NOT NULL DEFAULT 0,
  accepted_cents INTEGER NOT NULL DEFAULT 0,
  refused_cents INTEGER NOT NULL DEFAULT 0,
  federation TEXT NOT NULL DEFAULT ''
);
CREATE INDEX envois_key ON envois (third_party, year, number);
CREATE INDEX envois_batch ON envois (batch, file_name, content_hash);

CREATE TABLE envoi_files (
  envoi_id INTEGER PRIMARY KEY REFERENCES envois (id),
  received BLOB NOT NULL,
  verdicts TEXT NOT NULL
);

CREATE TABLE responses (
  envoi_id INTEGER NOT NULL REFERENCES envois (id),
  message TEXT NOT NULL,
  bytes BLOB NOT NULL,
  json TEXT NOT NULL,
  PRIMARY KEY (envoi_id, message)
);

-- Accepted lines: what later envois are judged against (max units, cumulation, duplicates...).
CREATE TABLE history (
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
CREATE INDEX history_niss ON history (niss, first_date);
