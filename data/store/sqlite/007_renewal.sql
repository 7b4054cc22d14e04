-- mutua store, SQLite, version 7: nomenclature.csv gains renewal_days (500447: a code billed
-- again for the same patient before this many days have passed since the last one).
ALTER TABLE ref_nomenclature ADD COLUMN "renewal_days" TEXT;
