// The SQLite store's reference data: the typed tables of model/refdata_tables.h (migration 19),
// written whole at import and read by patient for an envoi. Free functions over the connection.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "mutua/model/refdata.h"
#include "store/resident_patients.h"
#include "store/sqlite_db.h"

namespace mutua::store {

// Replaces every reference table by `data`'s rows, inside the caller's write transaction.
Result<void> write_refdata(SqliteDb& db, const model::RefData& data);

// Which files to read, and for whom.
struct RefRead {
  const std::vector<std::string>* niss = nullptr;  // sorted; null: every patient
  bool patient = true, shared = true;
  const std::vector<std::string>* only = nullptr;  // these files only; null: all of the kind
  // The patient tables held in memory at the store's present import: `niss`'s rows taken there.
  const ResidentPatients* resident = nullptr;
};
// The rows of the typed tables, with what the fund recorded itself (the commitments of its
// consultations, its advisor's agreements) after the files' own. `counts`: rows per file.
Result<model::RefData> read_refdata(SqliteDb& db, const RefRead& what, const std::map<std::string, uint64_t>& counts);

Result<std::map<std::string, uint64_t>> count_refdata(SqliteDb& db);

// The rows each patient file of the present import holds, as the import wrote them down (store
// migration 32), and when that import was made (microseconds; unique to it in practice).
struct PatientRows {
  uint64_t rows = 0;
  std::map<std::string, uint64_t> by_file;  // members.csv → its rows
  int64_t imported = 0;
};
Result<PatientRows> patient_rows(SqliteDb& db);

// Every patient file's rows as the import wrote them (nothing the fund recorded itself), each in
// (NISS, file order): what ResidentPatients holds. Inside the caller's read transaction; `rows`
// (patient_rows in the same transaction) sizes each vector once: grown by doubling, the copy of a
// million members touched twice its memory, fresh pages the kernel zeroes.
Result<model::RefData> read_patient_tables(SqliteDb& db, const PatientRows& rows);
// Writes them down for `data` (an import, inside its write transaction), or from the tables.
Result<void> write_ref_rows(SqliteDb& db, const model::RefData* data);

// Migration 19: the rows of the text tables of versions 1-18 (renamed old_ref_*), parsed as an
// import parses them, into the typed tables; then the text tables are dropped.
Result<void> carry_over_text_refdata(SqliteDb& db);
// Adds to the typed reference tables the columns this mutua's tables have and they lack (empty
// texts, zeros): the migrations that add reference columns, and the carry-over above, which
// writes every column of today on a store of its time.
Result<void> add_missing_ref_columns(SqliteDb& db);

}  // namespace mutua::store
