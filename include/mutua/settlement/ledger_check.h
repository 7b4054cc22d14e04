// `mutua ledger check`: every figure of the ledger is recomputed from its parts. For every
// envoi and account, accepted = paid + compensated + awaiting payment; each payment's
// compensations add up; no regularisation is set off beyond its amount; references are well
// formed and unique; each envoi's accepted amount (and its lines the advisor approved later)
// equals the sum of its lines in history. Lines left pending: pending at reception = still
// pending + approved + refused later, and approved = paid in complements + awaiting one.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "mutua/model/ledger.h"

namespace mutua::settlement {

struct LedgerTotals {
  int64_t envois = 0, settled = 0;
  int64_t accepted = 0, paid = 0, compensated = 0, awaiting = 0;
  int64_t account_c = 0, pending = 0;   // pending: still waiting on the advisor
  int64_t approved = 0, approved_awaiting = 0, refused_later = 0;  // lines the advisor settled
  int64_t transfers = 0, runs = 0;
  int64_t regularisations = 0, owed_by_providers = 0, owed_to_providers = 0;  // open balances
  int64_t history_checked = 0;    // envois whose lines are still in history and were summed
};

struct LedgerReport {
  LedgerTotals totals;
  std::vector<std::string> problems;  // empty: the ledger balances
};

LedgerReport check_ledger(const model::LedgerState& state);

}  // namespace mutua::settlement
