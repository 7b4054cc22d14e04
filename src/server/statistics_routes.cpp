// One provider's billing at a glance, beyond 4CP: the error rate of each envoi over the months,
// the first-time pass rate, the days from sending to payment, the amounts paid per month and
// account, and the rejection codes met most often with their fix hints. Aggregates only: no
// patient is named, so one audit entry says the statistics were read.
#include <algorithm>
#include <list>
#include <map>
#include <mutex>

#include <fmt/format.h>

#include "mutua/catalog.h"
#include "mutua/model/dates.h"
#include "server/context.h"

namespace mutua::server {

namespace {

// The codes of an envoi's answer, counted once per line (or per invoice or envoi they are on).
void count_codes(const std::string& answer_json, std::map<std::string, int64_t>& counts) {
  const Json doc = Json::parse(answer_json, nullptr, false);
  if (!doc.is_object() || !doc.contains("records") || !doc["records"].is_array()) return;
  for (const auto& rec : doc["records"]) {
    if (!rec.is_object() || !rec.contains("codes") || !rec["codes"].is_array()) continue;
    std::vector<std::string> seen;
    for (const auto& c : rec["codes"]) {
      if (!c.is_object() || !c.contains("code") || !c["code"].is_string()) continue;
      const std::string code = c["code"];
      if (std::find(seen.begin(), seen.end(), code) != seen.end()) continue;
      seen.push_back(code);
      ++counts[code];
    }
  }
}

// The codes of a provider's envois, kept while its envois are the same (their count and the
// last id): parsing every answer again for each page was most of the page's time.
std::map<std::string, int64_t> codes_of(Call& call, const std::string& provider, const std::vector<model::EnvoiRecord>& envois) {
  static std::mutex m;
  static std::list<std::pair<std::string, std::map<std::string, int64_t>>> kept;  // most recent first
  const std::string key = fmt::format("{}#{}#{}#{}", call.fund.db, provider, envois.size(), envois.empty() ? 0 : envois.back().id);
  {
    std::lock_guard<std::mutex> lock(m);
    for (auto it = kept.begin(); it != kept.end(); ++it)
      if (it->first == key) {
        kept.splice(kept.begin(), kept, it);
        return kept.front().second;
      }
  }
  std::map<std::string, int64_t> counts;
  for (const auto& e : envois) {
    if (e.rejected_lines == 0 && e.status == model::EnvoiStatus::Accepted) continue;
    auto messages = call.store.response_messages(e.id);
    if (!messages) continue;
    std::string message;
    for (const auto& x : *messages)
      if (x == "920900" || x == "920099" || x == "920999") message = x;
    if (message.empty()) continue;
    auto answer = call.store.response(e.id, message);
    if (answer && *answer) count_codes((*answer)->json, counts);
  }
  std::lock_guard<std::mutex> lock(m);
  kept.emplace_front(key, counts);
  if (kept.size() > 256) kept.pop_back();
  return counts;
}

void statistics(Call& call) {
  const std::string provider = chosen_provider(call, call.param("provider"), "submissions");
  if (provider.empty()) return;
  auto envois = call.store.envois_of(provider);
  if (!envois) return call.error(500, envois.error());
  std::sort(envois->begin(), envois->end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  Json list = Json::array();
  // First-time pass: an envoi (number and billed month) accepted at its first sending.
  std::map<std::pair<int, int>, bool> first;  // (number, year*100+month) -> accepted the first time
  std::map<int64_t, model::Date> received;
  for (const auto& e : *envois) {
    if (e.test) continue;
    list.push_back({{"id", e.id},
                    {"number", e.number},
                    {"billed_month", fmt::format("{:04d}-{:02d}", e.year, e.month)},
                    {"received", model::iso(e.received)},
                    {"status", std::string(model::status_name(e.status))},
                    {"error_rate", fmt::format("{}.{:02d}", e.error_rate_bp / 100, e.error_rate_bp % 100)},
                    {"lines", e.lines},
                    {"rejected_lines", e.rejected_lines}});
    first.emplace(std::make_pair(e.number, e.year * 100 + e.month), e.status == model::EnvoiStatus::Accepted);
    received[e.id] = e.received;
  }
  const int64_t sent = static_cast<int64_t>(first.size());
  const int64_t passed = std::count_if(first.begin(), first.end(), [](const auto& f) { return f.second; });
  // Paid: per month of execution and account; days from receipt to the first payment of each envoi.
  model::LedgerScope scope;
  scope.third_parties = {provider};
  auto ledger = call.store.ledger_in(scope);
  if (!ledger) return call.error(500, ledger.error());
  std::map<std::pair<std::string, char>, int64_t> paid;
  std::map<int64_t, model::Date> first_paid;
  for (const auto& p : ledger->payments) {
    if (p.third_party != provider || p.executed == 0) continue;
    paid[{model::iso(p.executed).substr(0, 7), p.account}] += p.paid_cents;
    if (p.complement == 0 && (!first_paid.count(p.envoi_id) || p.executed < first_paid[p.envoi_id])) first_paid[p.envoi_id] = p.executed;
  }
  Json paid_list = Json::array();
  for (const auto& [k, cents] : paid) paid_list.push_back({{"month", k.first}, {"account", std::string(1, k.second)}, {"paid_cents", cents}});
  std::vector<int64_t> days;
  for (const auto& [envoi, when] : first_paid)
    if (auto r = received.find(envoi); r != received.end() && r->second > 0) days.push_back(model::days_between(r->second, when));
  std::sort(days.begin(), days.end());
  Json delay = {{"count", days.size()}};
  if (!days.empty()) {
    delay["median"] = days[days.size() / 2];
    delay["max"] = days.back();
  }
  // The rejection codes met most often.
  const auto counts = codes_of(call, provider, *envois);
  std::vector<std::pair<std::string, int64_t>> ranked(counts.begin(), counts.end());
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  Json codes = Json::array();
  for (size_t i = 0; i < ranked.size() && i < 10; ++i) {
    const auto& [code, n] = ranked[i];
    codes.push_back({{"code", code},
                     {"count", n},
                     {"label_fr", std::string(Catalog::builtin().label(code, "fr"))},
                     {"label_nl", std::string(Catalog::builtin().label(code, "nl"))},
                     {"hint", std::string(Catalog::builtin().hint(code))}});
  }
  call.note("read", "statistics", provider);
  call.json(200, {{"provider", provider},
                  {"envois", list},
                  {"envois_sent", sent},
                  {"accepted_first_time", passed},
                  {"first_time_pass_rate", sent ? fmt::format("{:.2f}", 100.0 * static_cast<double>(passed) / static_cast<double>(sent)) : "0.00"},
                  {"days_to_payment", delay},
                  {"paid", paid_list},
                  {"rejection_codes", codes}});
}

}  // namespace

std::vector<Route> statistics_routes() { return {{"GET", "/api/v1/statistics", Access::Full, statistics}}; }

}  // namespace mutua::server
