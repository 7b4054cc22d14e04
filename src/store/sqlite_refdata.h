// The SQLite store's reference data: the typed tables of model/refdata_tables.h (migration 19),
// written whole at import and read by patient for an envoi. Free functions over the connection.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "mutua/model/refdata.h"
#include "store/sqlite_db.h"

namespace mutua::store {

// Replaces every reference table by `data`'s rows, inside the caller's write transaction.
Result<void> write_refdata(SqliteDb& db, const model::RefData& data);

// Which files to read, and for whom.
struct RefRead {
  const std::vector<std::string>* niss = nullptr;  // sorted; null: every patient
  bool patient = true, shared = true;
  const std::vector<std::string>* only = nullptr;  // these files only; null: all of the kind
};
// The rows of the typed tables, with what the fund recorded itself (the commitments of its
// consultations, its advisor's agreements) after the files' own. `counts`: rows per file.
Result<model::RefData> read_refdata(SqliteDb& db, const RefRead& what, const std::map<std::string, uint64_t>& counts);

Result<std::map<std::string, uint64_t>> count_refdata(SqliteDb& db);

// Migration 19: the rows of the text tables of versions 1-18 (renamed old_ref_*), parsed as an
// import parses them, into the typed tables; then the text tables are dropped.
Result<void> carry_over_text_refdata(SqliteDb& db);
// Adds to the typed reference tables the columns this mutua's tables have and they lack (empty
// texts, zeros): the migrations that add reference columns, and the carry-over above, which
// writes every column of today on a store of its time.
Result<void> add_missing_ref_columns(SqliteDb& db);

}  // namespace mutua::store
