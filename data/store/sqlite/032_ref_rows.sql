-- mutua store, SQLite, version 32: the rows each reference table holds, written down by each
-- import, so that a process about to judge many patients knows without counting whether reading
-- the patient tables whole once costs less than looking each patient up
-- (src/store/resident_patients.h); and when the import was made (microseconds), so that a copy
-- a process keeps in memory is known by its import, never taken for another store's at the
-- same version. The rows of the present tables are written by the migration itself.
CREATE TABLE ref_rows (file TEXT PRIMARY KEY, rows INTEGER NOT NULL);
ALTER TABLE refdata_version ADD COLUMN imported INTEGER NOT NULL DEFAULT 0;
