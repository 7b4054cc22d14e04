-- mutua store, PostgreSQL, version 8 (SQLite version 26): a second factor by SMS
-- (docs/server.md). A user's method is an authenticator app (TOTP) or a code sent to their
-- phone; a code sent is kept with the session it was sent to, as a hash, with when it ends and
-- the wrong tries made against it.
ALTER TABLE users ADD COLUMN second_factor_method text NOT NULL DEFAULT 'totp'
  CHECK (second_factor_method IN ('totp', 'sms'));
ALTER TABLE sessions ADD COLUMN code_hash text NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN code_sent bigint NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN code_expires bigint NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN code_attempts bigint NOT NULL DEFAULT 0;
