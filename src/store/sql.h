// A statement any of the stores runs the same way, so that the roles whose speed does not hang
// on one database's tricks (ledger, consultations, advisor, disputes, retention) are written
// once for SQLite and PostgreSQL. SQL is written with ?1, ?2... placeholders and in the subset
// both understand (RETURNING, partial indexes, quoted "by"); `SqlDb::postgres()` picks a variant
// where they differ. Internal to src/store/.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "mutua/error.h"

namespace mutua::store {

// What step() returns (the values SQLite uses, so SQLite statements answer as they are).
inline constexpr int kSqlRow = 100, kSqlDone = 101, kSqlConstraint = 19, kSqlError = 1;

class QueryImpl {
 public:
  virtual ~QueryImpl() = default;
  virtual void bind(int i, std::string_view v) = 0;
  virtual void bind(int i, int64_t v) = 0;
  // kSqlRow while there are rows, then kSqlDone; kSqlConstraint when a constraint refused a
  // write, kSqlError for anything else (SqlDb::last_error says what).
  virtual int step() = 0;
  // Ready to run again; bindings cleared.
  virtual void reset() = 0;
  virtual int64_t i64(int c) const = 0;
  virtual std::string text(int c) const = 0;
  // Rows the last write changed.
  virtual int64_t changes() const = 0;
};

class SqlDb {
 public:
  virtual ~SqlDb() = default;
  virtual std::unique_ptr<QueryImpl> query(std::string_view sql) = 0;
  virtual bool postgres() const = 0;
  // The last error of this connection, with `what` was being done.
  virtual Error last_error(const std::string& what) const = 0;
  // Where the store is (a file, a URL without its password), for messages.
  virtual const std::string& where() const = 0;

  tl::unexpected<Error> error_of(const std::string& what) const {
    return fail({.code = "Z00200", .message = what, .file = where()});
  }
  tl::unexpected<Error> conflict(const std::string& what) const {
    return fail({.code = "Z00202", .message = what, .file = where()});
  }
};

// A statement on a SqlDb: bind, step through rows, read columns.
class Query {
 public:
  Query(SqlDb& db, std::string_view sql) : q_(db.query(sql)) {}
  Query& bind(int i, std::string_view v) {
    q_->bind(i, v);
    return *this;
  }
  Query& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  Query& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Query& bind(int i, int64_t v) {
    q_->bind(i, v);
    return *this;
  }
  Query& bind(int i, int v) { return bind(i, int64_t{v}); }
  Query& bind(int i, uint32_t v) { return bind(i, int64_t{v}); }
  Query& bind(int i, uint64_t v) { return bind(i, static_cast<int64_t>(v)); }
  int step() { return q_->step(); }
  void reset() { q_->reset(); }
  int64_t i64(int c) const { return q_->i64(c); }
  std::string text(int c) const { return q_->text(c); }
  int64_t changes() const { return q_->changes(); }

 private:
  std::unique_ptr<QueryImpl> q_;
};

}  // namespace mutua::store
