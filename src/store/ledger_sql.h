// The ledger and the consultations, for the stores alike (store/sql.h): what accepted envois
// are owed, payment runs and their payments, regularisations, the commitments consultations
// give. Free functions over the connection; the caller holds the transaction.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "mutua/model/consultation.h"
#include "mutua/model/store.h"
#include "store/sql.h"

namespace mutua::store {

Result<model::LedgerState> select_ledger(SqlDb& db, bool awaiting_only, bool history_sums);
Result<model::LedgerState> select_ledger_in(SqlDb& db, const model::LedgerScope& scope);
Result<std::vector<std::tuple<std::string, int, int64_t>>> select_last_sequences(SqlDb& db);
Result<std::optional<model::PaymentRun>> select_payment_run(SqlDb& db, const std::string& key);
Result<std::vector<model::Payment>> select_run_payments(SqlDb& db, int64_t run_id);
Result<std::vector<model::Payment>> select_envoi_payments(SqlDb& db, int64_t envoi_id);
// A payment run, its payments, compensations and new balances; its envois marked settled.
// Fails (kStoreConflict) if one was settled or a reference given meanwhile.
Result<int64_t> insert_payment_run(SqlDb& db, const model::PaymentRunOutcome& o);
Result<int64_t> insert_regularisation(SqlDb& db, const model::Regularisation& x);
// Numbers the insured ones' commitments (consultation day and id), "" for the others.
Result<std::vector<std::string>> insert_consultations(SqlDb& db, const std::vector<model::Consultation>& list);

}  // namespace mutua::store
