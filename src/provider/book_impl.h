// Book's insides, shared by its files (book.cpp: envois and answers; batch.cpp: attestations).
#pragma once
#include <sqlite3.h>

#include <mutex>
#include <string>

#include "mutua/provider/book.h"
#include "mutua/response_reader.h"
#include "store/sqlite_db.h"  // the prepared statement every SQLite file of mutua uses

namespace mutua::provider {

struct Book::Impl {
  sqlite3* db = nullptr;
  std::mutex m;

  Result<void> exec(const char* sql) {
    char* why = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &why) != SQLITE_OK) {
      Error e{.code = "Z00200", .message = why ? why : "provider book error"};
      sqlite3_free(why);
      return fail(e);
    }
    return {};
  }
  tl::unexpected<Error> error(const std::string& what) const {
    return fail({.code = "Z00200", .message = what + ": " + sqlite3_errmsg(db)});
  }

  // The fund answered envoi `id` with `answer`: after a 920099 or 920999 each of its attestations
  // is to correct (the whole envoi was refused); after a 920900 those with a rejected line.
  Result<void> attestations_to_correct(int64_t id, const Response& answer);

  // The fix hint for a code: the provider's own, else the built-in one (the caller holds the mutex).
  std::string hint(const std::string& code);

  // Every attestation of the book, or only those waiting to be batched (waiting, corrected);
  // the caller holds the mutex.
  Result<std::vector<Attestation>> read_attestations(bool waiting_only = false);

  // Envoi `id` paid: its state, and its batched attestations'. How many of each changed.
  Result<std::pair<int64_t, int64_t>> pay(int64_t id);

  Result<void> set_state(int64_t id, EnvoiState s, const std::string& reason) {
    using store::Stmt;
    Stmt u(db, "UPDATE envois SET state = ?1, reason = ?2 WHERE id = ?3");
    u.bind(1, state_name(s)).bind(2, reason).bind(3, id);
    if (u.step() != SQLITE_DONE) return error("update an envoi's state");
    return {};
  }
};

}  // namespace mutua::provider
