// Look-ups of patient reference files by another column than the NISS (SQLite and PostgreSQL
// alike, store/sql.h): the caller holds the transaction.
#pragma once
#include <string>
#include <vector>

#include "store/sql.h"

namespace mutua::store {

// See RefDataStore::patients_where.
Result<std::vector<std::string>> select_patients_where(SqlDb& db, const std::string& file, const std::string& column,
                                                       const std::string& value);

}  // namespace mutua::store
