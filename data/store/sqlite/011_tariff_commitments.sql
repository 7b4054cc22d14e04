-- mutua store, SQLite, version 11: tariff_commitments.csv, the tariff consultations (eTar) the
-- fund answered: approval number, code, date and insurance amount (514225).
CREATE TABLE ref_tariff_commitments (line INTEGER NOT NULL, "niss" TEXT, "number" TEXT, "code" TEXT, "date" TEXT, "amount_cents" TEXT, "provider" TEXT);
CREATE INDEX ref_tariff_commitments_niss ON ref_tariff_commitments ("niss");
