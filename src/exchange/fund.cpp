#include "mutua/exchange/fund.h"

#include <functional>
#include <set>

#include <fmt/format.h>

#include "mutua/engine/adjudicate.h"
#include "mutua/model/dates.h"

namespace mutua::exchange {

std::string acknowledgement_931000(const std::string& billing_file, const std::string& fund_reference) {
  std::string seg200 = billing_file.substr(0, std::min<size_t>(67, billing_file.size()));
  seg200.resize(67, ' ');
  seg200.replace(0, 6, "931000");
  for (size_t pos : {6, 10, 14, 16, 18, 34, 50}) seg200.replace(pos, 2, "00");  // the error-code zones
  seg200.replace(36, 14, fmt::format("{:0>14}", fund_reference.substr(0, 14)));
  return seg200 + "920000" + "00" + std::string(152, ' ');
}

Result<FundRound> fund_round(model::Store& store, Transport& exchange, const FundRoundOptions& options,
                             const std::function<void(const FundRoundEvent&)>& on_event) {
  FundRound round;
  auto items = exchange.get(options.environment, options.max);
  if (!items) return fail(items.error());
  std::vector<std::string> done;
  std::set<std::string> seen;  // an item given twice in one answer is handled once
  for (const auto& item : *items) {
    if (!seen.insert(item.hash).second) continue;
    if (item.kind == Delivered::Kind::Acknowledgement) {
      // What became of the fund's own posts: a refusal is said, and confirmed all the same.
      if (!item.ack.success)
        round.problems.push_back({.code = "Z00233", .message = fmt::format("the exchange refused answer {} to {}: {}", item.input_reference,
                                                                           item.ack.recipient, item.ack.reason)});
      ++round.acknowledgements;
      done.push_back(item.hash);
      continue;
    }
    if (item.message_type != "920000") {
      round.problems.push_back({.code = "Z00233", .message = fmt::format("message {} from {} is not a billing file; left unconfirmed",
                                                                         item.message_type, item.sender)});
      continue;
    }
    ++round.received;
    // The exchange's reference of the file names it for good: judging it again (delivered a
    // second time) resumes, and the answers' references derive from it.
    const std::string reference = item.ack.reference.empty() ? item.hash.substr(0, 12) : item.ack.reference;
    engine::AdjudicateOptions o;
    o.today = options.today ? options.today : model::local_today();
    o.threshold_bp = options.threshold_bp;
    o.batch = "exchange-" + std::string(environment_name(options.environment));
    auto judged = engine::adjudicate(item.content, fmt::format("exchange-{}-{}.efact", item.sender, reference), store, o);
    if (!judged) {
      round.problems.push_back(judged.error());
      continue;  // unconfirmed: delivered again next round
    }
    // Answers: the 931000 first, then what the engine recorded; each under a reference of its own
    // (the file's reference and its rank), the same when posted again.
    std::vector<std::pair<std::string, std::string>> answers = {{"931000", acknowledgement_931000(item.content, reference)}};
    for (const auto& r : judged->responses)
      if (!r.bytes.empty()) answers.emplace_back(r.message, r.bytes);
    bool all_taken = true;
    // Numeric as the exchange gives its references; a transport giving none (or another kind)
    // leaves a number made from the reference, the same every time (libstdc++'s string hash
    // has no seed).
    const bool numeric = !reference.empty() && reference.size() <= 15 && reference.find_first_not_of("0123456789") == std::string::npos;
    const long long base =
        (numeric ? std::stoll(reference) : static_cast<long long>(std::hash<std::string>{}(reference) % 1000000000000ULL)) * 10;
    for (size_t k = 0; k < answers.size(); ++k) {
      auto ack = exchange.post(options.environment, item.sender, std::to_string(base + static_cast<long long>(k)), answers[k].second);
      if (!ack) {
        round.problems.push_back(ack.error());
        all_taken = false;
        break;
      }
      if (!ack->success) {
        round.problems.push_back({.code = "Z00233", .message = fmt::format("the exchange refused the {} for {}: {}", answers[k].first,
                                                                           item.sender, ack->reason)});
        all_taken = false;
        break;
      }
    }
    if (!all_taken) continue;
    ++round.answered;
    if (judged->resumed) ++round.again;
    done.push_back(item.hash);
    if (on_event) on_event({item.input_reference, item.sender, judged->message, judged->resumed});
  }
  if (!done.empty()) {
    auto confirmed = exchange.confirm(options.environment, done);
    if (!confirmed) return fail(confirmed.error());
  }
  return round;
}

}  // namespace mutua::exchange
