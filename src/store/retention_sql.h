// Retention, for the stores alike (store/sql.h): what is removed or anonymised, inside the
// caller's write transaction, which commits it or (a dry run) rolls it back.
#pragma once
#include "mutua/model/retention.h"
#include "store/sql.h"

namespace mutua::store {

Result<model::RetentionReport> apply_retention(SqlDb& db, model::Date cutoff);

}  // namespace mutua::store
