-- mutua store, PostgreSQL, version 7 (SQLite version 25): the fund whose data an audit entry is
-- about. One deployment serves several funds with one set of accounts (docs/server.md); fund
-- staff search the entries of their own fund. '' for what is no fund's (signing in, accounts,
-- registrations).
ALTER TABLE audit ADD COLUMN fund text NOT NULL DEFAULT '';
