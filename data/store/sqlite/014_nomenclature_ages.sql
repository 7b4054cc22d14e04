-- mutua store, SQLite, version 14: nomenclature.csv gains min_age / max_age (the patient's age on
-- the prestation's date: 500443).
ALTER TABLE ref_nomenclature ADD COLUMN "min_age" TEXT;
ALTER TABLE ref_nomenclature ADD COLUMN "max_age" TEXT;
