-- mutua store, SQLite, version 23: lost-password links (docs/server.md). Only the SHA-256 of a
-- link's token is kept; a link is used once and ends.
CREATE TABLE password_resets (
  token_hash TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id),
  created INTEGER NOT NULL,
  expires INTEGER NOT NULL,
  used INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX password_resets_user ON password_resets (user_id, created);
