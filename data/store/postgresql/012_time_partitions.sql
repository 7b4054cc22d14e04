-- mutua store, PostgreSQL, version 12: the tables that grow without end are partitioned by time,
-- so that retention drops a year of history instead of deleting its rows (docs/scale-out.md).
--
-- History stays hash-partitioned by patient (history_p00..p15, what the engine reads by and a
-- distributed PostgreSQL would distribute by); each of those is now partitioned by year of the
-- envoi's creation date (`billed`): history_pNN_yYYYY. Retention's cut-off is always a
-- 1 January, so a year is the finest grain it ever drops; by month, every patient read would
-- visit twelve times as many tables (measured on 20M lines: the history read took 2.7x as long
-- with 26 month partitions, 1.1x with 4 years; docs/performance.md).
-- The audit log is partitioned by month of `at` (Unix seconds): audit_mYYYYMM. Retention keeps
-- who read what and blanks whose data it was; searches by period read only their months.
--
-- Partitions are made when first needed, by the two functions below (the store calls them
-- before writing, and for the current and next periods when it opens). Rewrites both tables once.

-- Creates the 16 partitions of these years where missing.
CREATE FUNCTION mutua_history_years(years integer[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  y integer;
  p integer;
BEGIN
  FOREACH y IN ARRAY years LOOP
    IF to_regclass(format('history_p15_y%s', lpad(y::text, 4, '0'))) IS NOT NULL THEN
      CONTINUE;
    END IF;
    -- Writers making the same partition at once: one makes it, the other sees it.
    PERFORM pg_advisory_xact_lock(hashtext('mutua partitions'));
    FOR p IN 0..15 LOOP
      IF to_regclass(format('history_p%s_y%s', lpad(p::text, 2, '0'), lpad(y::text, 4, '0'))) IS NULL THEN
        EXECUTE format('CREATE TABLE history_p%s_y%s PARTITION OF history_p%s FOR VALUES FROM (%s) TO (%s)',
                       lpad(p::text, 2, '0'), lpad(y::text, 4, '0'), lpad(p::text, 2, '0'), y * 10000, (y + 1) * 10000);
      END IF;
    END LOOP;
  END LOOP;
END $$;

-- Creates the partitions of the months of these instants (Unix seconds, UTC) where missing.
CREATE FUNCTION mutua_audit_months(instants bigint[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  m date;
BEGIN
  FOR m IN SELECT DISTINCT date_trunc('month', to_timestamp(t) AT TIME ZONE 'UTC')::date FROM unnest(instants) t LOOP
    IF to_regclass('audit_m' || to_char(m, 'YYYYMM')) IS NOT NULL THEN
      CONTINUE;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('mutua partitions'));
    IF to_regclass('audit_m' || to_char(m, 'YYYYMM')) IS NULL THEN
      EXECUTE format('CREATE TABLE audit_m%s PARTITION OF audit FOR VALUES FROM (%s) TO (%s)', to_char(m, 'YYYYMM'),
                     extract(epoch FROM m::timestamp)::bigint, extract(epoch FROM (m + interval '1 month')::timestamp)::bigint);
    END IF;
  END LOOP;
END $$;

-- History: by patient, then by year.
ALTER TABLE history RENAME TO history_old;
DO $$
BEGIN
  FOR p IN 0..15 LOOP
    EXECUTE format('ALTER TABLE history_p%s RENAME TO history_old_p%s', lpad(p::text, 2, '0'), lpad(p::text, 2, '0'));
  END LOOP;
END $$;
CREATE TABLE history (LIKE history_old INCLUDING DEFAULTS) PARTITION BY HASH (niss);
DO $$
BEGIN
  FOR p IN 0..15 LOOP
    EXECUTE format('CREATE TABLE history_p%s PARTITION OF history FOR VALUES WITH (MODULUS 16, REMAINDER %s) '
                   'PARTITION BY RANGE (billed)', lpad(p::text, 2, '0'), p);
  END LOOP;
END $$;
SELECT mutua_history_years(ARRAY(SELECT DISTINCT billed / 10000 FROM history_old));
INSERT INTO history SELECT * FROM history_old ORDER BY niss, id;
DROP TABLE history_old;
-- The key of migration 11 with the year's column, as a partitioned table's key must hold it.
ALTER TABLE history ADD PRIMARY KEY (niss, code, id, billed);
CREATE INDEX history_envoi ON history (envoi_id);
CREATE INDEX history_by_id ON history (id);

-- Audit: by month. PostgreSQL 15 has no identity column on a partitioned table: a sequence.
ALTER TABLE audit RENAME TO audit_old;
CREATE SEQUENCE audit_id;
SELECT setval('audit_id', COALESCE((SELECT MAX(id) FROM audit_old), 0) + 1, false);
CREATE TABLE audit (LIKE audit_old INCLUDING DEFAULTS) PARTITION BY RANGE (at);
ALTER TABLE audit ALTER COLUMN id SET DEFAULT nextval('audit_id');
SELECT mutua_audit_months(ARRAY(
  SELECT DISTINCT extract(epoch FROM date_trunc('month', to_timestamp(at) AT TIME ZONE 'UTC'))::bigint FROM audit_old));
INSERT INTO audit SELECT * FROM audit_old;
DROP TABLE audit_old;
ALTER TABLE audit ADD PRIMARY KEY (id, at);
CREATE INDEX audit_at ON audit (at);
CREATE INDEX audit_niss ON audit (niss, at) WHERE niss <> '';
CREATE INDEX audit_provider ON audit (provider, at) WHERE provider <> '';
