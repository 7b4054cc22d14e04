// The medical advisor's side of agreements (DOMAIN.md "The billing loop" 4 and the portal's
// agreements module): a request is recorded, decisions follow with their dates (A accepted,
// N refused, D waiting for information, O waiting for INAMI, R no motivation received), and
// each decision settles the lines accepted envois left pending on it (500434), judged by the
// same rule as the engine: covered by an accepted agreement → approved, enters history and is
// paid in a complement; refused, out of the agreement's dates or without motivation → refused
// with that code; still waiting → stays pending.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mutua/error.h"
#include "mutua/model/store.h"

namespace mutua::engine {

// What the medical advisor's requests and decisions use: agreements, and the patients' data.
struct AdvisorStores {
  model::AdvisorStore& advisor;
  model::RefDataStore& refdata;
  AdvisorStores(model::AdvisorStore& advisor_, model::RefDataStore& refdata_) : advisor(advisor_), refdata(refdata_) {}
  // A whole store has every role.
  AdvisorStores(model::Store& s) : advisor(s), refdata(s) {}  // NOLINT(google-explicit-constructor): on purpose
};

// Checks and records a request (decision none yet). A stay agreement (establishment given)
// needs its admission date; its period defaults to the stay.
Result<model::AgreementRecord> request_agreement(AdvisorStores store, model::AgreementRecord request,
                                                 const std::string& by);

struct DecisionInput {
  int64_t agreement_id = 0;
  char decision = 'A';
  model::Date date = 0;                 // the decision's date
  model::Date valid_from = 0, valid_to = 0;  // A: the period covered (0: the request's, or the stay's)
  std::string note, by;
};

struct DecisionResult {
  model::AgreementRecord agreement;
  std::vector<model::PendingLine> approved, refused, still_pending;
};

// Records the decision and settles the lines waiting on it, atomically. An agreement already
// decided A or N is final (a new request is needed); D, O and R may be followed by any decision.
Result<DecisionResult> decide_agreement(AdvisorStores store, const DecisionInput& input);

// A line an agreement settled (or that still waits on its patient and code), with the
// reference of the payment of its complement once a run paid it ("" before, or when the
// complement was wholly set off).
struct AgreementLine {
  model::PendingLine line;
  std::string payment_reference;
};

// The lines of an agreement: those it settled, and those of its patient and code still pending.
Result<std::vector<AgreementLine>> agreement_lines(model::AdvisorStore& advisor, model::LedgerStore& ledger,
                                                   const model::AgreementRecord& agreement);

// For programs (`mutua agreement --json`, the API): the agreement's fields, its stay, its dated
// `events`, and `lines` when given.
nlohmann::ordered_json agreement_json(const model::AgreementRecord& a, const std::vector<AgreementLine>* lines = nullptr);

}  // namespace mutua::engine
