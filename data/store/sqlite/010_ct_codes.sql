-- mutua store, SQLite, version 10: ct_codes.csv, the CT1-CT2 combinations the fund allows in
-- ET 20 zone 27 (202703 / 202710).
CREATE TABLE ref_ct_codes (line INTEGER NOT NULL, "ct1" TEXT, "ct2" TEXT);
