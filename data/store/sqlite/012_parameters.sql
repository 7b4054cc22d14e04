-- mutua store, SQLite, version 12: parameters.csv, the fund's values of the rule parameters
-- (data/rules/parameters.tsv gives the built-in ones).
CREATE TABLE ref_parameters (line INTEGER NOT NULL, "name" TEXT, "value" TEXT);
