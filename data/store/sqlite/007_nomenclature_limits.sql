-- mutua store, SQLite, version 7: nomenclature.csv gains renewal_days (500447: a code billed
-- again for the same patient before this many days have passed since the last one) and
-- ceiling_cents / ceiling_period (501942: the insurance amounts of a code for the patient in
-- one period may not sum to more than the ceiling).
ALTER TABLE ref_nomenclature ADD COLUMN "renewal_days" TEXT;
ALTER TABLE ref_nomenclature ADD COLUMN "ceiling_cents" TEXT;
ALTER TABLE ref_nomenclature ADD COLUMN "ceiling_period" TEXT;
