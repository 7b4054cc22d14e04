-- mutua store, PostgreSQL, version 2: received envois waiting for workers (mutua receive,
-- mutua worker). A reception takes its envoi id at receipt, from the envois' own sequence, so
-- envoi ids are the order of receipt whichever worker judges it; a worker holds the row it
-- judges (SELECT ... FOR UPDATE SKIP LOCKED), and a worker that dies lets it go.
CREATE TABLE queue (
  id bigint PRIMARY KEY,
  today integer NOT NULL,
  file_name text NOT NULL,
  bytes bytea NOT NULL,
  state text NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'done', 'failed')),
  message text NOT NULL DEFAULT '',
  error text NOT NULL DEFAULT '',
  worker text NOT NULL DEFAULT '',
  received_at timestamptz NOT NULL DEFAULT now(),
  done_at timestamptz
);
CREATE INDEX queue_waiting ON queue (id) WHERE state = 'waiting';
