-- mutua store, PostgreSQL, version 13: text compares byte for byte, whatever the server's locale.
--
-- A database created with a language's collation (a cluster made under fr_BE.UTF-8, or an ICU
-- locale such as fr-BE: what a DBA's server often has by default) compared every NISS, code and
-- INAMI number in the indexes through that collation: history's key and the patients' tables
-- cost about half as much again to write and to look up (docs/performance.md), and what is
-- sorted by text came back in another order than on SQLite, whose comparisons are bytes. Every
-- text column of mutua's tables becomes COLLATE "C" (new columns say so themselves).
--
-- On a database whose default collation is C or POSIX already, text compares bytes and this
-- migration changes nothing. Elsewhere history is rebuilt as migration 12 made it, its NISS
-- being the key of its hash partitions, which ALTER cannot change (a rewrite: minutes for tens
-- of millions of lines); the other tables keep their rows and rebuild their indexes.
DO $$
DECLARE
  t record;
  p record;
BEGIN
  IF EXISTS (SELECT 1 FROM pg_database WHERE datname = current_database() AND datlocprovider = 'c'
                                         AND datcollate IN ('C', 'POSIX')) THEN
    RETURN;
  END IF;

  -- History first, while its other columns still have the shape a LIKE copies.
  ALTER TABLE history RENAME TO history_old;
  FOR p IN SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace
                                          AND relname ~ '^history_p[0-9]{2}(_y[0-9]{4})?$' LOOP
    EXECUTE format('ALTER TABLE %I RENAME TO %I', p.relname, 'history_old_' || substr(p.relname, 9));
  END LOOP;
  CREATE TEMP TABLE history_shape (LIKE history_old INCLUDING DEFAULTS) ON COMMIT DROP;
  FOR t IN SELECT a.attname FROM pg_attribute a
            WHERE a.attrelid = 'history_shape'::regclass AND a.attnum > 0 AND NOT a.attisdropped
              AND a.atttypid = 'text'::regtype LOOP
    EXECUTE format('ALTER TABLE history_shape ALTER COLUMN %I TYPE text COLLATE "C"', t.attname);
  END LOOP;
  CREATE TABLE history (LIKE history_shape INCLUDING DEFAULTS) PARTITION BY HASH (niss);
  FOR i IN 0..15 LOOP
    EXECUTE format('CREATE TABLE history_p%s PARTITION OF history FOR VALUES WITH (MODULUS 16, REMAINDER %s) '
                   'PARTITION BY RANGE (billed)', lpad(i::text, 2, '0'), i);
  END LOOP;
  PERFORM mutua_history_years(ARRAY(SELECT DISTINCT billed / 10000 FROM history_old));
  INSERT INTO history SELECT * FROM history_old ORDER BY niss, id;
  DROP TABLE history_old;
  ALTER TABLE history ADD PRIMARY KEY (niss, code, id, billed);
  CREATE INDEX history_envoi ON history (envoi_id);
  CREATE INDEX history_by_id ON history (id);

  -- Every other table (partitions follow their parent; an extension's tables are its own).
  FOR t IN
    SELECT c.relname, string_agg(format('ALTER COLUMN %I TYPE text COLLATE "C"', a.attname), ', ' ORDER BY a.attnum) AS alters
      FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
     WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
       AND c.relpersistence <> 't' AND a.attnum > 0 AND NOT a.attisdropped AND a.atttypid = 'text'::regtype
       AND a.attcollation <> 'pg_catalog."C"'::regcollation
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
     GROUP BY c.relname
  LOOP
    EXECUTE format('ALTER TABLE %I %s', t.relname, t.alters);
  END LOOP;
END $$;
