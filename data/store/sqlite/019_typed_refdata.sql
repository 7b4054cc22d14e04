-- mutua store, SQLite, version 19: reference data as typed tables. The files are parsed and
-- checked once, at import, and the store keeps the parsed values (dates as YYYYMMDD numbers,
-- flags 0/1, lists "a;b": include/mutua/model/refdata_tables.h names every column), where
-- versions 1-18 kept the CSV text and parsed it again for every envoi. A patient's rows are
-- clustered on the NISS (WITHOUT ROWID, primary key NISS and the row's place in its file), so
-- reading an envoi's patients is one seek per patient and table, with no second look-up.
-- The rows of the text tables are carried over by mutua itself right after this script, with
-- the same parser as an import (src/store/sqlite_store.cpp), then the text tables are dropped.
ALTER TABLE ref_members RENAME TO old_ref_members;
ALTER TABLE ref_insurability RENAME TO old_ref_insurability;
ALTER TABLE ref_providers RENAME TO old_ref_providers;
ALTER TABLE ref_provider_destinations RENAME TO old_ref_provider_destinations;
ALTER TABLE ref_nomenclature RENAME TO old_ref_nomenclature;
ALTER TABLE ref_cumulations RENAME TO old_ref_cumulations;
ALTER TABLE ref_prerequisites RENAME TO old_ref_prerequisites;
ALTER TABLE ref_hospitalisations RENAME TO old_ref_hospitalisations;
ALTER TABLE ref_care_pathways RENAME TO old_ref_care_pathways;
ALTER TABLE ref_medical_houses RENAME TO old_ref_medical_houses;
ALTER TABLE ref_agreements RENAME TO old_ref_agreements;
ALTER TABLE ref_palliative RENAME TO old_ref_palliative;
ALTER TABLE ref_commitments RENAME TO old_ref_commitments;
ALTER TABLE ref_detentions RENAME TO old_ref_detentions;
ALTER TABLE ref_ct_codes RENAME TO old_ref_ct_codes;
ALTER TABLE ref_tariff_commitments RENAME TO old_ref_tariff_commitments;
ALTER TABLE ref_parameters RENAME TO old_ref_parameters;

-- A patient's facts: clustered on the NISS.
CREATE TABLE ref_members (
  niss TEXT NOT NULL PRIMARY KEY, seq INTEGER NOT NULL, birth_date INTEGER NOT NULL, sex INTEGER NOT NULL, mutuality TEXT NOT NULL,
  holder INTEGER NOT NULL, death_date INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE ref_insurability (
  niss TEXT NOT NULL, seq INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, ct1 INTEGER NOT NULL,
  ct2 INTEGER NOT NULL, PRIMARY KEY (niss, seq)
) WITHOUT ROWID;
CREATE TABLE ref_hospitalisations (
  niss TEXT NOT NULL, seq INTEGER NOT NULL, establishment TEXT NOT NULL, service TEXT NOT NULL,
  admission INTEGER NOT NULL, discharge INTEGER NOT NULL, kind TEXT NOT NULL, ct1 INTEGER NOT NULL,
  ct2 INTEGER NOT NULL, PRIMARY KEY (niss, seq)
) WITHOUT ROWID;
CREATE TABLE ref_care_pathways (
  niss TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
  PRIMARY KEY (niss, seq)
) WITHOUT ROWID;
CREATE TABLE ref_medical_houses (
  niss TEXT NOT NULL, seq INTEGER NOT NULL, medical_house TEXT NOT NULL, start INTEGER NOT NULL,
  "end" INTEGER NOT NULL, disciplines TEXT NOT NULL, PRIMARY KEY (niss, seq)
) WITHOUT ROWID;
CREATE TABLE ref_agreements (
  niss TEXT NOT NULL, seq INTEGER NOT NULL, code TEXT NOT NULL, decision TEXT NOT NULL,
  request_date INTEGER NOT NULL, decision_date INTEGER NOT NULL, valid_from INTEGER NOT NULL,
  valid_to INTEGER NOT NULL, PRIMARY KEY (niss, seq)
) WITHOUT ROWID;
CREATE TABLE ref_palliative (
  niss TEXT NOT NULL, seq INTEGER NOT NULL, doctor_notification INTEGER NOT NULL,
  nurse_notification INTEGER NOT NULL, PRIMARY KEY (niss, seq)
) WITHOUT ROWID;
CREATE TABLE ref_commitments (
  niss TEXT NOT NULL, seq INTEGER NOT NULL, number TEXT NOT NULL, consulted INTEGER NOT NULL, ct1 INTEGER NOT NULL,
  ct2 INTEGER NOT NULL, mutuality TEXT NOT NULL, PRIMARY KEY (niss, seq)
) WITHOUT ROWID;
CREATE TABLE ref_detentions (
  niss TEXT NOT NULL, seq INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
  PRIMARY KEY (niss, seq)
) WITHOUT ROWID;
CREATE TABLE ref_tariff_commitments (
  niss TEXT NOT NULL, seq INTEGER NOT NULL, number TEXT NOT NULL, code TEXT NOT NULL, date INTEGER NOT NULL,
  amount_cents INTEGER NOT NULL, provider TEXT NOT NULL, PRIMARY KEY (niss, seq)
) WITHOUT ROWID;

-- The fund's shared tables, read whole once per import: in file order (seq).
CREATE TABLE ref_providers (
  seq INTEGER PRIMARY KEY, inami TEXT NOT NULL, kind TEXT NOT NULL, qualification TEXT NOT NULL, bce TEXT NOT NULL,
  iban_a TEXT NOT NULL, bic_a TEXT NOT NULL, iban_b TEXT NOT NULL, bic_b TEXT NOT NULL, grouping INTEGER NOT NULL,
  member_of TEXT NOT NULL, language TEXT NOT NULL, name TEXT NOT NULL, services TEXT NOT NULL
);
CREATE TABLE ref_provider_destinations (
  seq INTEGER PRIMARY KEY, inami TEXT NOT NULL, "union" TEXT NOT NULL, destination TEXT NOT NULL,
  puc INTEGER NOT NULL
);
CREATE TABLE ref_nomenclature (
  seq INTEGER PRIMARY KEY, code TEXT NOT NULL, valid_from INTEGER NOT NULL, valid_to INTEGER NOT NULL,
  fee_cents INTEGER NOT NULL, personal_share_cents INTEGER NOT NULL,
  personal_share_cents_preferential INTEGER NOT NULL, prescriber INTEGER NOT NULL, account TEXT NOT NULL,
  sex INTEGER NOT NULL, kinds TEXT NOT NULL, max_units INTEGER NOT NULL, max_period TEXT NOT NULL,
  renewal_days INTEGER NOT NULL, ceiling_cents INTEGER NOT NULL, ceiling_period TEXT NOT NULL, role TEXT NOT NULL,
  sector TEXT NOT NULL, laterality INTEGER NOT NULL, agreement INTEGER NOT NULL, gmd INTEGER NOT NULL,
  ambulatory INTEGER NOT NULL, hospital INTEGER NOT NULL, per_admission INTEGER NOT NULL, services TEXT NOT NULL,
  related TEXT NOT NULL, max_supplement_cents INTEGER NOT NULL, min_age INTEGER NOT NULL, max_age INTEGER NOT NULL
);
CREATE TABLE ref_cumulations (
  seq INTEGER PRIMARY KEY, code TEXT NOT NULL, other TEXT NOT NULL, scope TEXT NOT NULL, period_days INTEGER NOT NULL
);
CREATE TABLE ref_prerequisites (
  seq INTEGER PRIMARY KEY, code TEXT NOT NULL, required TEXT NOT NULL, within_days INTEGER NOT NULL
);
CREATE TABLE ref_ct_codes (seq INTEGER PRIMARY KEY, ct1 INTEGER NOT NULL, ct2 INTEGER NOT NULL);
CREATE TABLE ref_parameters (seq INTEGER PRIMARY KEY, name TEXT NOT NULL, value TEXT NOT NULL);
