-- mutua store, SQLite, version 2: a counter of reference-data imports, so that a process can
-- keep the parsed shared tables (providers, nomenclature...) between envois and notice when
-- another process imported new ones.
CREATE TABLE refdata_version (version INTEGER NOT NULL);
INSERT INTO refdata_version VALUES (1);
