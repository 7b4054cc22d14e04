-- mutua store, SQLite, version 26: a second factor by SMS (docs/server.md). A user's method is
-- an authenticator app (TOTP) or a code sent to their phone; a code sent is kept with the
-- session it was sent to, as a hash, with when it ends and the wrong tries made against it.
ALTER TABLE users ADD COLUMN second_factor_method TEXT NOT NULL DEFAULT 'totp'
  CHECK (second_factor_method IN ('totp', 'sms'));
ALTER TABLE sessions ADD COLUMN code_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN code_sent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN code_expires INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN code_attempts INTEGER NOT NULL DEFAULT 0;
