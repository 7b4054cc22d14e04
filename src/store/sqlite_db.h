// What the SQLite store's parts share: prepared statements, transactions, errors. Internal to
// src/store/.
#pragma once
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "mutua/error.h"
#include "store/sql.h"

namespace mutua::store {

class Stmt {
 public:
  Stmt(sqlite3* db, std::string_view sql) {
    rc_ = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), 0, &s_, nullptr);
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  bool ok() const { return rc_ == SQLITE_OK; }
  Stmt& bind(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  // Text not copied: the caller keeps the bytes alive until the statement has run (a bulk insert
  // of 100k lines copied and freed four strings a line).
  Stmt& bind_view(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  Stmt& blob(int i, std::string_view v) {
    // Not copied: every caller keeps the bytes alive until the statement has run.
    sqlite3_bind_blob64(s_, i, v.data(), v.size(), SQLITE_STATIC);
    return *this;
  }
  Stmt& bind(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(s_); }
  void reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  // Ready to run again, its bindings kept: for a loop that binds every parameter each time.
  void rewind() { sqlite3_reset(s_); }
  int64_t i64(int c) const { return sqlite3_column_int64(s_, c); }
  // Valid until the next step or reset.
  std::string_view view(int c) const {
    const auto* p = sqlite3_column_blob(s_, c);
    return p ? std::string_view(static_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(s_, c)))
             : std::string_view();
  }
  std::string text(int c) const {
    const auto* p = sqlite3_column_blob(s_, c);
    int n = sqlite3_column_bytes(s_, c);
    return p ? std::string(static_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
  }
  int columns() const { return sqlite3_column_count(s_); }
  std::string name(int c) const { return sqlite3_column_name(s_, c); }

 private:
  sqlite3_stmt* s_ = nullptr;
  int rc_ = SQLITE_OK;
};

// Many small reads (one per patient and table) under one read transaction: one lock, not one
// per statement.
class ReadTransaction {
 public:
  explicit ReadTransaction(sqlite3* db) : db_(db), own_(sqlite3_get_autocommit(db) != 0) {
    if (own_) own_ = sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr) == SQLITE_OK;
  }
  ~ReadTransaction() {
    if (own_) sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
  }

 private:
  sqlite3* db_;
  bool own_;
};

// The connection and the helpers every part of the store uses.
// The rows of `from_where` ("table WHERE ..."), counted no further than `limit` + 1 (more than
// `limit` when they are); -1 when SQLite fails.
inline int64_t rows_up_to(sqlite3* db, const std::string& from_where, int64_t limit) {
  Stmt rows(db, "SELECT COUNT(*) FROM (SELECT 1 FROM " + from_where + " LIMIT ?1)");
  rows.bind(1, limit + 1);
  return rows.step() == SQLITE_ROW ? rows.i64(0) : -1;
}
// True when `from_where` has at most `limit` rows, counted only that far: then one scan
// filtered in memory costs less than one look-up per patient of an envoi.
inline bool rows_at_most(sqlite3* db, const std::string& from_where, int64_t limit) {
  const int64_t rows = rows_up_to(db, from_where, limit);
  return rows >= 0 && rows <= limit;
}

// A Stmt as a portable query (store/sql.h).
class SqliteQuery final : public QueryImpl {
 public:
  SqliteQuery(sqlite3* db, std::string_view sql) : db_(db), s_(db, sql) {}
  void bind(int i, std::string_view v) override { s_.bind(i, v); }
  void bind(int i, int64_t v) override { s_.bind(i, v); }
  int step() override {
    const int rc = s_.step();
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) return rc;
    return (rc & 0xff) == SQLITE_CONSTRAINT ? kSqlConstraint : kSqlError;
  }
  void reset() override { s_.reset(); }
  int64_t i64(int c) const override { return s_.i64(c); }
  std::string text(int c) const override { return s_.text(c); }
  int64_t changes() const override { return sqlite3_changes(db_); }

 private:
  sqlite3* db_;
  Stmt s_;
};

class SqliteDb : public SqlDb {
 public:
  SqliteDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  std::unique_ptr<QueryImpl> query(std::string_view sql) override { return std::make_unique<SqliteQuery>(db_, sql); }
  bool postgres() const override { return false; }
  const std::string& where() const override { return path_; }

  Result<void> exec(const std::string& sql) {
    char* msg = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
      std::string m = msg ? msg : "unknown error";
      sqlite3_free(msg);
      return error(m);
    }
    return {};
  }
  // Runs `body` in one write transaction: committed when it succeeds, rolled back when not.
  template <typename F>
  auto in_write_transaction(F&& body) -> decltype(body()) {
    if (auto b = exec("BEGIN IMMEDIATE"); !b) return fail(b.error());
    auto r = body();
    if (!r) {
      (void)exec("ROLLBACK");
      return r;
    }
    if (auto c = exec("COMMIT"); !c) return fail(c.error());
    return r;
  }
  Error last_error(const std::string& what) const override {
    return {.code = "Z00200", .message = fmt::format("{}: {}", what, sqlite3_errmsg(db_)), .file = path_};
  }
  Result<void> error(const std::string& what) const {
    return fail({.code = "Z00200", .message = what, .file = path_});
  }

  // Public: the store's parts (sqlite_*.cpp) are free functions over the connection.
  sqlite3* db_;
  std::string path_;
};

}  // namespace mutua::store
