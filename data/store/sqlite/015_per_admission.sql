-- mutua store, SQLite, version 15: nomenclature.csv gains per_admission (a flat fee per
-- admission, billed for the admission's day only: 500514 / 500614 / 500615, 300615, 400514 / 400614).
ALTER TABLE ref_nomenclature ADD COLUMN "per_admission" TEXT;
