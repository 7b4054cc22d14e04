-- mutua store, SQLite, version 21: the people who use the server (docs/server.md). Users with
-- their password (argon2id, encoded) and second factor (TOTP secret); what each may do for
-- which provider (memberships: mandate holder, supervisor, collaborator with modules, fund
-- staff); sessions and programs' tokens, kept as hashes only; and the audit log of every read
-- of personal data and every change.
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL DEFAULT '',
  email TEXT NOT NULL DEFAULT '',
  phone TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL CHECK (kind IN ('admin', 'staff', 'provider')),
  fund TEXT NOT NULL DEFAULT '',
  password_hash TEXT NOT NULL,
  must_change_password INTEGER NOT NULL DEFAULT 0,
  totp_secret TEXT NOT NULL DEFAULT '',
  totp_confirmed INTEGER NOT NULL DEFAULT 0,
  totp_last_step INTEGER NOT NULL DEFAULT 0,
  failed_attempts INTEGER NOT NULL DEFAULT 0,
  locked_until INTEGER NOT NULL DEFAULT 0,
  created INTEGER NOT NULL
);
CREATE TABLE memberships (
  user_id INTEGER NOT NULL REFERENCES users (id),
  inami TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('holder', 'supervisor', 'collaborator', 'staff')),
  modules TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (user_id, inami, role)
);
CREATE INDEX memberships_inami ON memberships (inami);
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id),
  kind TEXT NOT NULL CHECK (kind IN ('session', 'token')),
  name TEXT NOT NULL DEFAULT '',
  second_factor INTEGER NOT NULL DEFAULT 0,
  acting_for TEXT NOT NULL DEFAULT '',
  created INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  expires INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE TABLE audit (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  username TEXT NOT NULL,
  action TEXT NOT NULL,
  resource TEXT NOT NULL,
  provider TEXT NOT NULL DEFAULT '',
  niss TEXT NOT NULL DEFAULT '',
  status INTEGER NOT NULL
);
CREATE INDEX audit_at ON audit (at);
CREATE INDEX audit_niss ON audit (niss, at) WHERE niss <> '';
CREATE INDEX audit_provider ON audit (provider, at) WHERE provider <> '';
