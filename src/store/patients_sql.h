// Look-ups of patient reference files by another column than the NISS (SQLite and PostgreSQL
// alike, store/sql.h): the caller holds the transaction.
#pragma once
#include <string>
#include <vector>

#include "mutua/model/refdata_tables.h"
#include "store/sql.h"

namespace mutua::store {

// The patient file `file` and its text column `column` (its rank among the file's columns);
// Z00224 when the file is not a patient file or has no such text column.
struct PatientColumn {
  const model::RefTableSpec* spec = nullptr;
  size_t column = 0;
};
Result<PatientColumn> patient_text_column(const std::string& file, const std::string& column);

// See RefDataStore::patients_where.
Result<std::vector<std::string>> select_patients_where(SqlDb& db, const std::string& file, const std::string& column,
                                                       const std::string& value);

}  // namespace mutua::store
