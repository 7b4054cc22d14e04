-- mutua store, SQLite, version 9: providers.csv gains services (a hospital's service codes;
-- a line of an invoice naming it as establishment of stay with another service: 501320).
ALTER TABLE ref_providers ADD COLUMN "services" TEXT;
