#include "store/requests_sql.h"

#include "store/accounts_sql.h"

#include <array>
#include <map>

namespace mutua::store {

namespace {

// Attachments are kept as base64 text: one portable column type, and text parameters carry
// them to PostgreSQL unchanged (bytes with NUL or invalid UTF-8 would not).
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s : {18, 12, 6, 0}) out += kAlphabet[(v >> s) & 63];
  }
  if (i < in.size()) {
    const uint32_t v = (uint8_t(in[i]) << 16) | (i + 1 < in.size() ? uint8_t(in[i + 1]) << 8 : 0);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> unbase64(std::string_view in) {
  std::array<int, 256> value;
  value.fill(-1);
  for (int i = 0; i < 64; ++i) value[uint8_t(kAlphabet[i])] = i;
  std::string out;
  out.reserve(in.size() / 4 * 3);
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    const int v = value[uint8_t(c)];
    if (v < 0) return std::nullopt;
    buffer = (buffer << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((buffer >> bits) & 0xFF);
    }
  }
  return out;
}

Result<int64_t> insert_message(SqlDb& db, int64_t request_id, const model::RequestMessage& m,
                               const std::vector<model::NewAttachment>& files) {
  Query s(db, "INSERT INTO request_messages (request_id, at, user_id, author, staff, text) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
              "RETURNING id");
  s.bind(1, request_id).bind(2, m.at).bind(3, m.user_id).bind(4, m.author).bind(5, int64_t{m.staff}).bind(6, m.text);
  if (s.step() != kSqlRow) return fail(db.last_error("write a request's message"));
  const int64_t id = s.i64(0);
  Query a(db, "INSERT INTO request_attachments (request_id, message_id, name, media_type, size, sha256, content) "
              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  for (const auto& f : files) {
    a.bind(1, request_id).bind(2, id).bind(3, f.info.name).bind(4, f.info.media_type);
    a.bind(5, static_cast<int64_t>(f.bytes.size())).bind(6, f.info.sha256).bind(7, base64(f.bytes));
    if (a.step() != kSqlDone) return fail(db.last_error("write an attachment"));
    a.reset();
  }
  return id;
}

}  // namespace

Result<int64_t> insert_request(SqlDb& db, const model::InfoRequest& r, const model::RequestMessage& first,
                               const std::vector<model::NewAttachment>& files) {
  Query s(db,
          "INSERT INTO info_requests (third_party, subject, envoi_id, record, payment_reference, niss, state, opened, "
          "updated, opened_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9) RETURNING id");
  s.bind(1, r.third_party).bind(2, r.subject).bind(3, r.envoi_id).bind(4, r.record).bind(5, r.payment_reference);
  s.bind(6, r.niss).bind(7, model::request_state_name(r.state)).bind(8, r.opened).bind(9, r.opened_by);
  if (s.step() != kSqlRow) return fail(db.last_error("write a request"));
  const int64_t id = s.i64(0);
  if (auto m = insert_message(db, id, first, files); !m) return fail(m.error());
  return id;
}

Result<std::vector<model::InfoRequest>> select_requests(SqlDb& db, int64_t id, const std::string& third_party) {
  const std::string where = " WHERE (?1 = 0 OR request_id = ?1) AND (?2 = '' OR request_id IN (SELECT id FROM info_requests "
                            "WHERE third_party = ?2))";
  Query s(db,
          "SELECT id, third_party, subject, envoi_id, record, payment_reference, niss, state, opened, updated, opened_by "
          "FROM info_requests WHERE (?1 = 0 OR id = ?1) AND (?2 = '' OR third_party = ?2) ORDER BY id DESC");
  s.bind(1, id).bind(2, third_party);
  std::vector<model::InfoRequest> out;
  std::map<int64_t, size_t> at;
  int rc;
  while ((rc = s.step()) == kSqlRow) {
    model::InfoRequest r;
    r.id = s.i64(0);
    r.third_party = s.text(1);
    r.subject = s.text(2);
    r.envoi_id = s.i64(3);
    r.record = static_cast<uint64_t>(s.i64(4));
    r.payment_reference = s.text(5);
    r.niss = s.text(6);
    r.state = model::request_state_from(s.text(7)).value_or(model::RequestState::Open);
    r.opened = s.i64(8);
    r.updated = s.i64(9);
    r.opened_by = s.i64(10);
    at[r.id] = out.size();
    out.push_back(std::move(r));
  }
  if (rc != kSqlDone) return fail(db.last_error("read requests"));
  Query m(db, "SELECT id, request_id, at, user_id, author, staff, text FROM request_messages" + where + " ORDER BY id");
  m.bind(1, id).bind(2, third_party);
  std::map<int64_t, std::pair<size_t, size_t>> message_at;  // message id -> (request, message)
  while ((rc = m.step()) == kSqlRow) {
    auto it = at.find(m.i64(1));
    if (it == at.end()) continue;
    auto& messages = out[it->second].messages;
    message_at[m.i64(0)] = {it->second, messages.size()};
    messages.push_back({m.i64(0), m.i64(2), m.i64(3), m.text(4), m.i64(5) != 0, m.text(6), {}});
  }
  if (rc != kSqlDone) return fail(db.last_error("read requests' messages"));
  Query a(db, "SELECT id, message_id, name, media_type, size, sha256 FROM request_attachments" + where + " ORDER BY id");
  a.bind(1, id).bind(2, third_party);
  while ((rc = a.step()) == kSqlRow) {
    auto it = message_at.find(a.i64(1));
    if (it == message_at.end()) continue;
    out[it->second.first].messages[it->second.second].attachments.push_back(
        {a.i64(0), a.i64(1), a.text(2), a.text(3), a.i64(4), a.text(5)});
  }
  if (rc != kSqlDone) return fail(db.last_error("read requests' attachments"));
  return out;
}

Result<int64_t> insert_request_message(SqlDb& db, int64_t request_id, const model::RequestMessage& m,
                                       const std::vector<model::NewAttachment>& files, model::RequestState state) {
  // Only a request that is not closed takes a message: the check and the change are one
  // statement, so two people cannot both write to a request one of them closes.
  Query u(db, "UPDATE info_requests SET state = ?2, updated = ?3 WHERE id = ?1 AND state <> 'closed'");
  u.bind(1, request_id).bind(2, model::request_state_name(state)).bind(3, m.at);
  if (u.step() != kSqlDone) return fail(db.last_error("update a request"));
  if (u.changes() == 0) {
    Query e(db, "SELECT state FROM info_requests WHERE id = ?1");
    e.bind(1, request_id);
    if (e.step() != kSqlRow) return fail({.code = "Z00210", .message = "no request " + std::to_string(request_id), .file = db.where()});
    return fail({.code = "Z00212", .message = "request " + std::to_string(request_id) + " is closed", .file = db.where()});
  }
  return insert_message(db, request_id, m, files);
}

Result<std::optional<model::NewAttachment>> select_attachment(SqlDb& db, int64_t request_id, int64_t attachment_id) {
  Query a(db, "SELECT id, message_id, name, media_type, size, sha256, content FROM request_attachments WHERE id = ?1 AND "
              "request_id = ?2");
  a.bind(1, attachment_id).bind(2, request_id);
  const int rc = a.step();
  if (rc == kSqlDone) return std::optional<model::NewAttachment>();
  if (rc != kSqlRow) return fail(db.last_error("read an attachment"));
  model::NewAttachment out;
  out.info = {a.i64(0), a.i64(1), a.text(2), a.text(3), a.i64(4), a.text(5)};
  auto bytes = unbase64(a.text(6));
  if (!bytes) return fail({.code = "Z00200", .message = "attachment " + std::to_string(attachment_id) + " is damaged", .file = db.where()});
  out.bytes = std::move(*bytes);
  return std::optional<model::NewAttachment>(std::move(out));
}

Result<int64_t> insert_registration(SqlDb& db, const model::Registration& g, const model::InfoRequest& r,
                                    const model::RequestMessage& first, const std::vector<model::NewAttachment>& files) {
  auto request = insert_request(db, r, first, files);
  if (!request) return fail(request.error());
  Query s(db,
          "INSERT INTO registrations (request_id, inami, name, email, phone, username, state, submitted) VALUES (?1, ?2, "
          "?3, ?4, ?5, ?6, 'submitted', ?7) RETURNING id");
  s.bind(1, *request).bind(2, g.inami).bind(3, g.name).bind(4, g.email).bind(5, g.phone).bind(6, g.username).bind(7, g.submitted);
  const int rc = s.step();
  if (rc == kSqlConstraint)
    return fail({.code = "Z00211", .message = "provider " + g.inami + " is already registered, or its registration is being checked",
                 .file = db.where()});
  if (rc != kSqlRow) return fail(db.last_error("write a registration"));
  const int64_t id = s.i64(0);
  while (s.step() == kSqlRow) {
  }
  return id;
}

Result<std::vector<model::Registration>> select_registrations(SqlDb& db, int64_t id, const std::string& inami) {
  Query s(db,
          "SELECT id, request_id, inami, name, email, phone, username, state, submitted, decided, decided_by, note, user_id "
          "FROM registrations WHERE (?1 = 0 OR id = ?1) AND (?2 = '' OR inami = ?2) ORDER BY id DESC");
  s.bind(1, id).bind(2, inami);
  std::vector<model::Registration> out;
  int rc;
  while ((rc = s.step()) == kSqlRow) {
    model::Registration g;
    g.id = s.i64(0);
    g.request_id = s.i64(1);
    g.inami = s.text(2);
    g.name = s.text(3);
    g.email = s.text(4);
    g.phone = s.text(5);
    g.username = s.text(6);
    g.state = model::registration_state_from(s.text(7)).value_or(model::RegistrationState::Submitted);
    g.submitted = s.i64(8);
    g.decided = s.i64(9);
    g.decided_by = s.text(10);
    g.note = s.text(11);
    g.user_id = s.i64(12);
    out.push_back(std::move(g));
  }
  if (rc != kSqlDone) return fail(db.last_error("read registrations"));
  return out;
}

Result<int64_t> update_registration(SqlDb& db, model::Registration g, const std::optional<model::HolderAccount>& holder) {
  if (holder) {
    auto id = insert_user(db, holder->user);
    if (!id) return fail(id.error());
    g.user_id = *id;
    if (auto w = upsert_membership(db, {*id, g.inami, "holder", {}}); !w) return fail(w.error());
    if (auto w = insert_reset(db, holder->reset_hash, *id, g.decided, holder->reset_expires); !w) return fail(w.error());
  }
  Query s(db,
          "UPDATE registrations SET state = ?2, decided = ?3, decided_by = ?4, note = ?5, user_id = ?6 WHERE id = ?1 AND "
          "state = 'submitted'");
  s.bind(1, g.id).bind(2, model::registration_state_name(g.state)).bind(3, g.decided).bind(4, g.decided_by).bind(5, g.note);
  s.bind(6, g.user_id);
  if (s.step() != kSqlDone) return fail(db.last_error("decide a registration"));
  if (s.changes() == 0)
    return fail({.code = "Z00212", .message = "registration " + std::to_string(g.id) + " was already decided", .file = db.where()});
  Query r(db, "UPDATE info_requests SET state = 'closed', updated = ?2 WHERE id = (SELECT request_id FROM registrations WHERE id = ?1)");
  r.bind(1, g.id).bind(2, g.decided);
  if (r.step() != kSqlDone) return fail(db.last_error("close a registration's request"));
  return g.user_id;
}

}  // namespace mutua::store
