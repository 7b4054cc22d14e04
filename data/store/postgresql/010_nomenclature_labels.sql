-- The fund's description of each nomenclature code in French and Dutch (optional columns
-- label_fr / label_nl of nomenclature.csv): the portal shows it over the code.
ALTER TABLE ref_nomenclature ADD COLUMN label_fr text NOT NULL DEFAULT '', ADD COLUMN label_nl text NOT NULL DEFAULT '';
