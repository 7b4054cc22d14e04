#include "mutua/exchange/fund.h"

#include <functional>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "mutua/engine/adjudicate.h"
#include "mutua/model/dates.h"
#include "mutua/settlement/responses.h"

namespace mutua::exchange {

std::string acknowledgement_931000(const std::string& billing_file, const std::string& fund_reference) {
  std::string seg200 = billing_file.substr(0, std::min<size_t>(67, billing_file.size()));
  seg200.resize(67, ' ');
  seg200.replace(0, 6, "931000");
  for (size_t pos : {6, 10, 14, 16, 18, 34, 50}) seg200.replace(pos, 2, "00");  // the error-code zones
  seg200.replace(36, 14, fmt::format("{:0>14}", fund_reference.substr(0, 14)));
  return seg200 + "920000" + "00" + std::string(152, ' ');
}

namespace {

// The references of a file's answers: its exchange reference times ten plus a rank. Numeric as
// the exchange gives its references; a transport giving none (or another kind) leaves a number
// made from the reference, the same every time (libstdc++'s string hash has no seed).
long long answer_base(const std::string& reference) {
  const bool numeric = !reference.empty() && reference.size() <= 15 && reference.find_first_not_of("0123456789") == std::string::npos;
  return (numeric ? std::stoll(reference) : static_cast<long long>(std::hash<std::string>{}(reference) % 1000000000000ULL)) * 10;
}

}  // namespace

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
    const long long base = answer_base(reference);
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

Result<NotifyOutcome> notify_payments(model::Store& store, Transport& exchange, const std::string& run_key, Environment environment) {
  NotifyOutcome out;
  model::LedgerScope scope;
  scope.run = run_key;
  auto ledger = store.ledger_in(scope);
  if (!ledger) return fail(ledger.error());
  std::set<int64_t> paid;
  for (const auto& p : ledger->payments)
    if (p.paid_cents > 0 && !p.reference.empty()) paid.insert(p.envoi_id);
  // The file names fund_round gives: exchange-SENDER-REFERENCE.efact.
  static const std::regex name_re(R"(exchange-(\d{11})-([^.]+)\.efact)");
  const std::string batch = "exchange-" + std::string(environment_name(environment));
  for (int64_t id : paid) {
    auto e = store.envoi(id);
    if (!e) return fail(e.error());
    std::smatch m;
    if (!*e || (*e)->batch != batch || !std::regex_match((*e)->file_name, m, name_re)) {
      ++out.elsewhere;
      continue;
    }
    auto responses = settlement::responses_as_sent(store, id);
    if (!responses) return fail(responses.error());
    const model::StoredResponse* settled = nullptr;
    for (const auto& r : *responses)
      if (r.message == "920900") settled = &r;
    if (!settled) continue;
    auto ack = exchange.post(environment, m[1].str(), std::to_string(answer_base(m[2].str()) + 9), settled->bytes);
    if (!ack) return fail(ack.error());
    if (!ack->success) {
      out.problems.push_back({.code = "Z00233", .message = fmt::format("the exchange refused the paid 920900 of envoi {} for {}: {}",
                                                                       (*e)->number, m[1].str(), ack->reason)});
      continue;
    }
    ++out.posted;
  }
  return out;
}

}  // namespace mutua::exchange
