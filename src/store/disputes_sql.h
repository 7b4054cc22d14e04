// The disputes part of the stores (SQLite and PostgreSQL alike, store/sql.h); free functions
// over the connection, the caller holds the transaction.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "mutua/model/store.h"
#include "store/sql.h"

namespace mutua::store {

Result<int64_t> insert_dispute(SqlDb& db, const model::Dispute& d);
Result<std::vector<model::Dispute>> select_disputes(SqlDb& db, int64_t id, const std::string& third_party);
// The step's event and the dispute's new state; regularisation_id is the one just recorded (0: none).
Result<void> apply_dispute_step(SqlDb& db, int64_t id, model::DisputeState expected, const model::Dispute& after,
                                const model::DisputeEvent& event, int64_t regularisation_id);

}  // namespace mutua::store
