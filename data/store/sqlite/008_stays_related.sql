-- mutua store, SQLite, version 8: nomenclature.csv gains hospital (a code billable only during
-- a hospital stay: 500455, 501420, 501321), services (the service codes a code may carry:
-- 501349), related (the codes its related prestation must be: 501740 / 501753) and
-- max_supplement_cents (503043); hospitalisations.csv gains the CT1/CT2 of the admission
-- message (500523 / 500623).
ALTER TABLE ref_nomenclature ADD COLUMN "hospital" TEXT;
ALTER TABLE ref_nomenclature ADD COLUMN "services" TEXT;
ALTER TABLE ref_nomenclature ADD COLUMN "related" TEXT;
ALTER TABLE ref_nomenclature ADD COLUMN "max_supplement_cents" TEXT;
ALTER TABLE ref_hospitalisations ADD COLUMN "ct1" TEXT;
ALTER TABLE ref_hospitalisations ADD COLUMN "ct2" TEXT;
