// The accounts part of the stores (SQLite and PostgreSQL alike, store/sql.h): users,
// memberships, sessions, audit. Free functions over the connection; the caller holds the
// transaction.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "mutua/model/accounts.h"
#include "store/sql.h"

namespace mutua::store {

Result<int64_t> insert_user(SqlDb& db, const model::User& u);
// By id (when id > 0) or by username.
Result<std::optional<model::User>> select_user(SqlDb& db, int64_t id, const std::string& username);
Result<std::vector<model::User>> select_users(SqlDb& db);
Result<void> write_user(SqlDb& db, const model::User& u);

Result<std::vector<model::Membership>> select_memberships(SqlDb& db, int64_t user_id, const std::string& inami);
Result<void> upsert_membership(SqlDb& db, const model::Membership& m);
Result<void> delete_membership(SqlDb& db, int64_t user_id, const std::string& inami, const std::string& role);

Result<void> insert_session(SqlDb& db, const model::Session& s);
Result<std::optional<model::Session>> select_session(SqlDb& db, const std::string& token_hash);
Result<void> write_session(SqlDb& db, const model::Session& s);
// By token hash, or every session of a user when token_hash is empty.
Result<void> delete_sessions(SqlDb& db, const std::string& token_hash, int64_t user_id);

Result<void> insert_reset(SqlDb& db, const std::string& token_hash, int64_t user_id, int64_t created, int64_t expires);
Result<std::optional<int64_t>> use_reset(SqlDb& db, const std::string& token_hash, int64_t now);
Result<int64_t> select_last_reset(SqlDb& db, int64_t user_id);

Result<void> insert_audit(SqlDb& db, const std::vector<model::AuditEntry>& entries);
Result<std::pair<std::vector<model::AuditEntry>, int64_t>> select_audit(SqlDb& db, const model::AuditQuery& q);

}  // namespace mutua::store
