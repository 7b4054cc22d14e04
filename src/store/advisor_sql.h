// The medical-advisor part of the stores (SQLite and PostgreSQL alike, store/sql.h): recorded
// agreements, their events, the lines left pending on them and the complements that pay the
// approved ones. Free functions over the connection; the caller holds the transaction.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "mutua/model/store.h"
#include "store/sql.h"

namespace mutua::store {

Result<int64_t> insert_agreement(SqlDb& db, const model::AgreementRecord& a);
Result<std::vector<model::AgreementRecord>> select_agreements(SqlDb& db, const model::AgreementQuery& q);
Result<std::vector<model::PendingLine>> select_pending(SqlDb& db, const model::PendingQuery& q);
// The decision's agreement, event and line changes (not the history lines).
Result<void> apply_decision(SqlDb& db, const model::AgreementDecision& d);
Result<void> insert_pending(SqlDb& db, const std::vector<model::PendingLine>& lines, int64_t envoi_id);
// Approved lines not paid yet, one complement per envoi, in order of approval.
Result<std::vector<model::LedgerEnvoi>> awaiting_complements(SqlDb& db);
// Marks approved lines paid by a run; fails if one was paid meanwhile.
Result<void> mark_complement_lines(SqlDb& db, const std::vector<std::pair<int64_t, int64_t>>& lines, int64_t run_id);

}  // namespace mutua::store
