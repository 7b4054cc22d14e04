-- mutua store, SQLite, version 22: information requests (docs/server.md). A provider's people
-- ask the fund a question (about a line, a payment, or anything), fund staff answer; messages
-- in order with their attachments, whose bytes are kept as base64 text (the same column type on
-- every store) with their checked media type, size and SHA-256.
CREATE TABLE info_requests (
  id INTEGER PRIMARY KEY,
  third_party TEXT NOT NULL,
  subject TEXT NOT NULL,
  envoi_id INTEGER NOT NULL DEFAULT 0,
  record INTEGER NOT NULL DEFAULT 0,
  payment_reference TEXT NOT NULL DEFAULT '',
  niss TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL CHECK (state IN ('open', 'answered', 'closed')),
  opened INTEGER NOT NULL,
  updated INTEGER NOT NULL,
  opened_by INTEGER NOT NULL
);
CREATE INDEX info_requests_provider ON info_requests (third_party, id);
CREATE TABLE request_messages (
  id INTEGER PRIMARY KEY,
  request_id INTEGER NOT NULL REFERENCES info_requests (id),
  at INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  author TEXT NOT NULL,
  staff INTEGER NOT NULL DEFAULT 0,
  text TEXT NOT NULL
);
CREATE INDEX request_messages_request ON request_messages (request_id, id);
CREATE TABLE request_attachments (
  id INTEGER PRIMARY KEY,
  request_id INTEGER NOT NULL REFERENCES info_requests (id),
  message_id INTEGER NOT NULL REFERENCES request_messages (id),
  name TEXT NOT NULL,
  media_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  content TEXT NOT NULL
);
CREATE INDEX request_attachments_request ON request_attachments (request_id, message_id);
