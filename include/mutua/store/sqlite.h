// The embedded default store: one SQLite file in WAL mode, schema migrations from
// data/store/sqlite/ applied on open (each in its own transaction, version in schema_version).
#pragma once
#include <memory>
#include <string>

#include "mutua/model/store.h"

namespace mutua::store {

// Opens (creating and migrating when needed) the store at `path`.
Result<std::unique_ptr<model::Store>> open_sqlite(const std::string& path);

// The schema version this build migrates to.
int sqlite_schema_version();

}  // namespace mutua::store
