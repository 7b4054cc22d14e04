-- mutua store, PostgreSQL, version 5 (SQLite version 23): lost-password links (docs/server.md). Only the SHA-256 of a
-- link's token is kept; a link is used once and ends.
CREATE TABLE password_resets (
  token_hash text PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id),
  created bigint NOT NULL,
  expires bigint NOT NULL,
  used bigint NOT NULL DEFAULT 0
);
CREATE INDEX password_resets_user ON password_resets (user_id, created);
