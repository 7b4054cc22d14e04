// The SQLite store's medical-advisor part: recorded agreements, their events, the lines left
// pending on them and the complements that pay the approved ones. Free functions over the
// connection; the caller holds the transaction where one is needed.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "mutua/model/store.h"
#include "store/sqlite_db.h"

namespace mutua::store {

Result<int64_t> insert_agreement(SqliteDb& db, const model::AgreementRecord& a);
Result<std::vector<model::AgreementRecord>> select_agreements(SqliteDb& db, const model::AgreementQuery& q);
Result<std::vector<model::PendingLine>> select_pending(SqliteDb& db, const model::PendingQuery& q);
// The decision's agreement, event and line changes (not the history lines).
Result<void> apply_decision(SqliteDb& db, const model::AgreementDecision& d);
Result<void> insert_pending(SqliteDb& db, const std::vector<model::PendingLine>& lines, int64_t envoi_id);
// Approved lines not paid yet, one complement per envoi, in order of approval.
Result<std::vector<model::LedgerEnvoi>> awaiting_complements(SqliteDb& db);
// Marks approved lines paid by a run; fails if one was paid meanwhile.
Result<void> mark_complement_lines(SqliteDb& db, const std::vector<std::pair<int64_t, int64_t>>& lines, int64_t run_id);

}  // namespace mutua::store
