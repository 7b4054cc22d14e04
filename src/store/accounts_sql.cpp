#include "store/accounts_sql.h"

#include "mutua/model/refdata_tables.h"

namespace mutua::store {

namespace {

constexpr const char* kUserColumns =
    "id, username, name, email, phone, kind, fund, password_hash, must_change_password, totp_secret, totp_confirmed, "
    "totp_last_step, failed_attempts, locked_until, created, second_factor_method";

model::User user_of(const Query& s) {
  model::User u;
  u.id = s.i64(0);
  u.username = s.text(1);
  u.name = s.text(2);
  u.email = s.text(3);
  u.phone = s.text(4);
  u.kind = model::user_kind_from(s.text(5)).value_or(model::UserKind::Provider);
  u.fund = s.text(6);
  u.password_hash = s.text(7);
  u.must_change_password = s.i64(8) != 0;
  u.totp_secret = s.text(9);
  u.totp_confirmed = s.i64(10) != 0;
  u.totp_last_step = s.i64(11);
  u.failed_attempts = static_cast<int>(s.i64(12));
  u.locked_until = s.i64(13);
  u.created = s.i64(14);
  u.second_factor_method = s.text(15);
  return u;
}

// Binds every field but the id from ?2 on, in kUserColumns' order.
void bind_user(Query& s, const model::User& u) {
  s.bind(2, u.username)
      .bind(3, u.name)
      .bind(4, u.email)
      .bind(5, u.phone)
      .bind(6, std::string(model::user_kind_name(u.kind)))
      .bind(7, u.fund)
      .bind(8, u.password_hash)
      .bind(9, int64_t{u.must_change_password})
      .bind(10, u.totp_secret)
      .bind(11, int64_t{u.totp_confirmed})
      .bind(12, u.totp_last_step)
      .bind(13, int64_t{u.failed_attempts})
      .bind(14, u.locked_until)
      .bind(15, u.created)
      .bind(16, u.second_factor_method);
}

model::Session session_of(const Query& s) {
  model::Session x;
  x.token_hash = s.text(0);
  x.user_id = s.i64(1);
  x.kind = s.text(2);
  x.name = s.text(3);
  x.second_factor = s.i64(4) != 0;
  x.acting_for = s.text(5);
  x.created = s.i64(6);
  x.last_seen = s.i64(7);
  x.expires = s.i64(8);
  x.code_hash = s.text(9);
  x.code_sent = s.i64(10);
  x.code_expires = s.i64(11);
  x.code_attempts = static_cast<int>(s.i64(12));
  return x;
}

}  // namespace

Result<int64_t> insert_user(SqlDb& db, const model::User& u) {
  Query s(db,
          "INSERT INTO users (username, name, email, phone, kind, fund, password_hash, must_change_password, "
          "totp_secret, totp_confirmed, totp_last_step, failed_attempts, locked_until, created, second_factor_method) "
          "VALUES (?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) RETURNING id");
  bind_user(s, u);
  const int rc = s.step();
  if (rc == kSqlConstraint)
    return fail({.code = "Z00211", .message = "the username '" + u.username + "' is taken", .file = db.where()});
  if (rc != kSqlRow) return fail(db.last_error("insert user"));
  const int64_t id = s.i64(0);
  if (s.step() != kSqlDone) return fail(db.last_error("insert user"));
  return id;
}

Result<std::optional<model::User>> select_user(SqlDb& db, int64_t id, const std::string& username) {
  Query s(db, std::string("SELECT ") + kUserColumns + " FROM users WHERE " + (id > 0 ? "id = ?1" : "username = ?1"));
  if (id > 0) s.bind(1, id);
  else s.bind(1, username);
  const int rc = s.step();
  if (rc == kSqlDone) return std::optional<model::User>();
  if (rc != kSqlRow) return fail(db.last_error("read user"));
  return std::optional<model::User>(user_of(s));
}

Result<std::vector<model::User>> select_users(SqlDb& db) {
  Query s(db, std::string("SELECT ") + kUserColumns + " FROM users ORDER BY id");
  std::vector<model::User> out;
  int rc;
  while ((rc = s.step()) == kSqlRow) out.push_back(user_of(s));
  if (rc != kSqlDone) return fail(db.last_error("read users"));
  return out;
}

Result<void> write_user(SqlDb& db, const model::User& u) {
  Query s(db,
          "UPDATE users SET username = ?2, name = ?3, email = ?4, phone = ?5, kind = ?6, fund = ?7, password_hash = ?8, "
          "must_change_password = ?9, totp_secret = ?10, totp_confirmed = ?11, totp_last_step = ?12, "
          "failed_attempts = ?13, locked_until = ?14, created = ?15, second_factor_method = ?16 WHERE id = ?1");
  s.bind(1, u.id);
  bind_user(s, u);
  const int rc = s.step();
  if (rc == kSqlConstraint)
    return fail({.code = "Z00211", .message = "the username '" + u.username + "' is taken", .file = db.where()});
  if (rc != kSqlDone) return fail(db.last_error("update user"));
  if (s.changes() != 1) return fail({.code = "Z00210", .message = "no user " + std::to_string(u.id), .file = db.where()});
  return {};
}

Result<std::vector<model::Membership>> select_memberships(SqlDb& db, int64_t user_id, const std::string& inami) {
  Query s(db,
          "SELECT user_id, inami, role, modules FROM memberships WHERE (?1 = 0 OR user_id = ?1) AND (?2 = '' OR inami = ?2) "
          "ORDER BY user_id, inami, role");
  s.bind(1, user_id).bind(2, inami);
  std::vector<model::Membership> out;
  int rc;
  while ((rc = s.step()) == kSqlRow) out.push_back({s.i64(0), s.text(1), s.text(2), model::split_list(s.text(3))});
  if (rc != kSqlDone) return fail(db.last_error("read memberships"));
  return out;
}

Result<void> upsert_membership(SqlDb& db, const model::Membership& m) {
  Query s(db,
          "INSERT INTO memberships (user_id, inami, role, modules) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (user_id, inami, "
          "role) DO UPDATE SET modules = excluded.modules");
  s.bind(1, m.user_id).bind(2, m.inami).bind(3, m.role).bind(4, model::joined_list(m.modules));
  if (s.step() != kSqlDone) return fail(db.last_error("write membership"));
  return {};
}

Result<void> delete_membership(SqlDb& db, int64_t user_id, const std::string& inami, const std::string& role) {
  Query s(db, "DELETE FROM memberships WHERE user_id = ?1 AND inami = ?2 AND role = ?3");
  s.bind(1, user_id).bind(2, inami).bind(3, role);
  if (s.step() != kSqlDone) return fail(db.last_error("remove membership"));
  return {};
}

Result<void> insert_session(SqlDb& db, const model::Session& x) {
  Query s(db,
          "INSERT INTO sessions (token_hash, user_id, kind, name, second_factor, acting_for, created, last_seen, expires, "
          "code_hash, code_sent, code_expires, code_attempts) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
  s.bind(1, x.token_hash)
      .bind(2, x.user_id)
      .bind(3, x.kind)
      .bind(4, x.name)
      .bind(5, int64_t{x.second_factor})
      .bind(6, x.acting_for)
      .bind(7, x.created)
      .bind(8, x.last_seen)
      .bind(9, x.expires)
      .bind(10, x.code_hash)
      .bind(11, x.code_sent)
      .bind(12, x.code_expires)
      .bind(13, int64_t{x.code_attempts});
  if (s.step() != kSqlDone) return fail(db.last_error("insert session"));
  return {};
}

Result<std::optional<model::Session>> select_session(SqlDb& db, const std::string& token_hash) {
  Query s(db,
          "SELECT token_hash, user_id, kind, name, second_factor, acting_for, created, last_seen, expires, code_hash, "
          "code_sent, code_expires, code_attempts FROM sessions WHERE token_hash = ?1");
  s.bind(1, token_hash);
  const int rc = s.step();
  if (rc == kSqlDone) return std::optional<model::Session>();
  if (rc != kSqlRow) return fail(db.last_error("read session"));
  return std::optional<model::Session>(session_of(s));
}

Result<void> write_session(SqlDb& db, const model::Session& x) {
  Query s(db,
          "UPDATE sessions SET second_factor = ?2, acting_for = ?3, last_seen = ?4, expires = ?5, code_hash = ?6, "
          "code_sent = ?7, code_expires = ?8, code_attempts = ?9 WHERE token_hash = ?1");
  s.bind(1, x.token_hash).bind(2, int64_t{x.second_factor}).bind(3, x.acting_for).bind(4, x.last_seen).bind(5, x.expires);
  s.bind(6, x.code_hash).bind(7, x.code_sent).bind(8, x.code_expires).bind(9, int64_t{x.code_attempts});
  if (s.step() != kSqlDone) return fail(db.last_error("update session"));
  return {};
}

Result<void> delete_sessions(SqlDb& db, const std::string& token_hash, int64_t user_id) {
  Query s(db, token_hash.empty() ? "DELETE FROM sessions WHERE user_id = ?1" : "DELETE FROM sessions WHERE token_hash = ?1");
  if (token_hash.empty()) s.bind(1, user_id);
  else s.bind(1, token_hash);
  if (s.step() != kSqlDone) return fail(db.last_error("end sessions"));
  return {};
}

Result<void> insert_reset(SqlDb& db, const std::string& token_hash, int64_t user_id, int64_t created, int64_t expires) {
  Query s(db, "INSERT INTO password_resets (token_hash, user_id, created, expires) VALUES (?1, ?2, ?3, ?4)");
  s.bind(1, token_hash).bind(2, user_id).bind(3, created).bind(4, expires);
  if (s.step() != kSqlDone) return fail(db.last_error("write a lost-password link"));
  return {};
}

Result<std::optional<int64_t>> use_reset(SqlDb& db, const std::string& token_hash, int64_t now) {
  // Used and checked in one statement: two uses at once cannot both succeed.
  Query s(db, "UPDATE password_resets SET used = 1 WHERE token_hash = ?1 AND used = 0 AND expires > ?2 RETURNING user_id");
  s.bind(1, token_hash).bind(2, now);
  const int rc = s.step();
  if (rc == kSqlDone) return std::optional<int64_t>();
  if (rc != kSqlRow) return fail(db.last_error("use a lost-password link"));
  const int64_t user = s.i64(0);
  while (s.step() == kSqlRow) {
  }
  return std::optional<int64_t>(user);
}

Result<int64_t> select_last_reset(SqlDb& db, int64_t user_id) {
  Query s(db, "SELECT COALESCE(MAX(created), 0) FROM password_resets WHERE user_id = ?1");
  s.bind(1, user_id);
  if (s.step() != kSqlRow) return fail(db.last_error("read lost-password links"));
  return s.i64(0);
}

Result<void> insert_audit(SqlDb& db, const std::vector<model::AuditEntry>& entries) {
  Query s(db,
          "INSERT INTO audit (at, user_id, username, action, resource, provider, niss, status, fund) VALUES (?1, ?2, ?3, "
          "?4, ?5, ?6, ?7, ?8, ?9)");
  for (const auto& e : entries) {
    s.bind(1, e.at).bind(2, e.user_id).bind(3, e.username).bind(4, e.action).bind(5, e.resource).bind(6, e.provider);
    s.bind(7, e.niss).bind(8, int64_t{e.status}).bind(9, e.fund);
    if (s.step() != kSqlDone) return fail(db.last_error("write audit"));
    s.reset();
  }
  return {};
}

Result<std::pair<std::vector<model::AuditEntry>, int64_t>> select_audit(SqlDb& db, const model::AuditQuery& q) {
  const std::string where =
      " FROM audit WHERE (?1 = 0 OR at >= ?1) AND (?2 = 0 OR at <= ?2) AND (?3 = '' OR username = ?3) AND (?4 = '' OR "
      "provider = ?4) AND (?5 = '' OR niss = ?5) AND (?6 = '' OR action = ?6) AND (?7 = '' OR fund = ?7)";
  auto bind = [&](Query& s) {
    s.bind(1, q.from).bind(2, q.to).bind(3, q.username).bind(4, q.provider).bind(5, q.niss).bind(6, q.action).bind(7, q.fund);
  };
  Query count(db, "SELECT COUNT(*)" + where);
  bind(count);
  if (count.step() != kSqlRow) return fail(db.last_error("count audit"));
  const int64_t total = count.i64(0);
  Query s(db, "SELECT id, at, user_id, username, action, resource, provider, niss, status, fund" + where +
                  " ORDER BY id DESC LIMIT ?8 OFFSET ?9");
  bind(s);
  s.bind(8, q.limit).bind(9, q.offset);
  std::vector<model::AuditEntry> out;
  int rc;
  while ((rc = s.step()) == kSqlRow)
    out.push_back({s.i64(0), s.i64(1), s.i64(2), s.text(3), s.text(4), s.text(5), s.text(6), s.text(7),
                   static_cast<int>(s.i64(8)), s.text(9)});
  if (rc != kSqlDone) return fail(db.last_error("read audit"));
  return std::make_pair(std::move(out), total);
}

}  // namespace mutua::store
