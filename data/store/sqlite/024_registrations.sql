-- mutua store, SQLite, version 24: providers registered by their mandate holder (docs/server.md).
-- The mandate and the ID copy travel as the attachments of an information request, where fund
-- staff and the registrant exchange; a provider is registered once (a refused registration may
-- be made again).
CREATE TABLE registrations (
  id INTEGER PRIMARY KEY,
  request_id INTEGER NOT NULL REFERENCES info_requests (id),
  inami TEXT NOT NULL,
  name TEXT NOT NULL,
  email TEXT NOT NULL,
  phone TEXT NOT NULL DEFAULT '',
  username TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('submitted', 'validated', 'refused')),
  submitted INTEGER NOT NULL,
  decided INTEGER NOT NULL DEFAULT 0,
  decided_by TEXT NOT NULL DEFAULT '',
  note TEXT NOT NULL DEFAULT '',
  user_id INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX registrations_once ON registrations (inami) WHERE state <> 'refused';
