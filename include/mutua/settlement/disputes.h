// Disputes (contentieux, DOMAIN.md "The billing loop" 5): open → under review (the first
// comment) → settled (an amount, recorded as a regularisation set off on the provider's next
// payments) or closed (without one). Settled and closed disputes take no more steps.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "mutua/error.h"
#include "mutua/model/store.h"

namespace mutua::settlement {

// What disputes use: the disputes, the envois they are about, the ledger they settle into.
struct DisputeStores {
  model::DisputeStore& disputes;
  model::EnvoiStore& envois;
  model::LedgerStore& ledger;
  DisputeStores(model::DisputeStore& disputes_, model::EnvoiStore& envois_, model::LedgerStore& ledger_) : disputes(disputes_), envois(envois_), ledger(ledger_) {}
  // A whole store has every role.
  DisputeStores(model::Store& s) : disputes(s), envois(s), ledger(s) {}  // NOLINT(google-explicit-constructor): on purpose
};

// Checks what the dispute names (the provider, its envoi and line, its payment) and opens it.
Result<model::Dispute> open_dispute(DisputeStores store, model::Dispute d, const std::string& by);

struct DisputeStep {
  int64_t id = 0;
  model::Date date = 0;
  std::string text, by;
  int64_t amount_cents = 0;   // settle: positive owed by the provider, negative owed to the provider
  char account = 0;           // settle: 0 keeps the dispute's account
};

Result<model::Dispute> comment_dispute(DisputeStores store, const DisputeStep& step);
Result<model::Dispute> settle_dispute(DisputeStores store, const DisputeStep& step);
Result<model::Dispute> close_dispute(DisputeStores store, const DisputeStep& step);

// A dispute for programs (`mutua dispute --json`, the API): its fields and its dated `history`.
nlohmann::ordered_json dispute_json(const model::Dispute& d);

}  // namespace mutua::settlement
