// The SQLite store's retention: one transaction, rolled back for a dry run.
#pragma once
#include "mutua/model/retention.h"
#include "store/sqlite_db.h"

namespace mutua::store {

Result<model::RetentionReport> apply_retention(SqliteDb& db, model::Date cutoff, bool dry_run);

}  // namespace mutua::store
