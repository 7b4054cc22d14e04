// A fund on an exchange: one round takes the billing files posted to it, acknowledges each
// (931000), judges and records it with the same engine as `mutua adjudicate`, posts the answers
// (920999 / 920099 / 920900, and 920098) to the provider that sent it, then confirms it. A file
// delivered again (a confirmation lost, a crash before confirming) is judged once: the second
// time its recorded answers are posted again under the same references, which the exchange
// answers without storing anything twice.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "mutua/error.h"
#include "mutua/exchange/transport.h"
#include "mutua/model/store.h"

namespace mutua::exchange {

struct FundRoundOptions {
  Environment environment = Environment::Production;
  int max = 100;                 // items per get
  model::Date today = 0;         // the day files are judged as received (0: today)
  int64_t threshold_bp = -1;     // error-rate threshold (1/100 %); -1: parameters.tsv
};

struct FundRoundEvent {
  std::string input_reference;   // the provider's
  std::string provider;
  std::string message;           // the main answer: 920900, 920099 or 920999
  bool again = false;            // delivered again: answers as recorded
};

struct FundRound {
  int64_t received = 0, answered = 0, again = 0, acknowledgements = 0;
  std::vector<Error> problems;   // answers the exchange refused, items it could not judge
};

// The 931000 a fund sends on receipt of `billing_file`: its segment 200 (the provider's
// reference in zone 204, the fund's in zone 205) and a segment 300 naming the message received.
std::string acknowledgement_931000(const std::string& billing_file, const std::string& fund_reference);

Result<FundRound> fund_round(model::Store& store, Transport& exchange, const FundRoundOptions& options,
                             const std::function<void(const FundRoundEvent&)>& on_event = {});

// After a payment run: each envoi the run paid that came through the exchange gets its 920900
// again, now with the references of its payments in its ET 91s (zones 423 / 424), posted to its
// provider, whose book can then match the bank's credits by their reference alone. Posted under
// the file's exchange reference times ten plus nine: the same post when made again, which the
// exchange stores once.
struct NotifyOutcome {
  int64_t posted = 0;            // envois whose paid 920900 went out
  int64_t elsewhere = 0;         // paid envois that did not come through this exchange (environment)
  std::vector<Error> problems;
};
Result<NotifyOutcome> notify_payments(model::Store& store, Transport& exchange, const std::string& run_key,
                                      Environment environment = Environment::Production);

}  // namespace mutua::exchange
