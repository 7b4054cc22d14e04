// Payment search, as the 4CP portal offers it: by statement reference (YYYY/2/nnnnnnn), by
// patient + code + date of care, or by billed month (complements marked *n).
#include <map>
#include <optional>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "mutua/model/dates.h"
#include "server/context.h"

namespace mutua::server {

namespace {

Json payment_json(const model::Payment& p, const model::EnvoiRecord* e) {
  Json j = {{"id", p.id},
            {"letter", fmt::format("/api/v1/letters/{}", p.id)},
            {"reference", p.reference},
            {"provider", p.third_party},
            {"envoi", p.envoi_id},
            {"account", std::string(1, p.account)},
            {"complement", p.complement ? fmt::format("*{}", p.complement) : std::string()},
            {"accepted_cents", p.accepted_cents},
            {"compensated_cents", p.compensated_cents},
            {"paid_cents", p.paid_cents},
            {"executed", model::iso(p.executed)},
            {"iban", p.iban}};
  if (e) {
    j["envoi_number"] = e->number;
    j["billed_month"] = fmt::format("{:04d}-{:02d}", e->year, e->month);
  }
  return j;
}

void search_payments(Call& call) {
  const Principal& who = *call.who;
  if (providers_in(who, "payments").empty()) return call.error(403, "Z00223", "you have no provider with the payments module");
  const std::string reference = call.param("reference"), niss = call.param("niss"), code = call.param("code");
  const std::string date = call.param("date"), month = call.param("billed_month"), provider = call.param("provider");
  static const std::regex reference_re(R"(\d{4}/2/\d{7})"), month_re(R"(\d{4}-\d{2})");
  const int ways = !reference.empty() + !niss.empty() + !month.empty();
  if (ways != 1)
    return call.error(400, "Z00224", "search by reference, by niss + code + date, or by billed_month (one of them)");
  if (!reference.empty() && !std::regex_match(reference, reference_re))
    return call.error(400, "Z00224", "a reference is YYYY/2/nnnnnnn");
  if (!month.empty() && !std::regex_match(month, month_re)) return call.error(400, "Z00224", "billed_month is YYYY-MM");
  if (!provider.empty() && !may(who, provider, "payments"))
    return call.error(403, "Z00223", "you may not see the payments of provider " + provider);
  // What the search looks at, read by the store's indexes: the payment with that reference, the
  // month's envois and their payments, or the payments of the patient's lines' envois (below).
  model::LedgerScope scope;
  scope.third_parties = searched_providers(who, "payments", provider);
  scope.reference = reference;
  if (!month.empty()) {
    scope.year = std::stoi(month.substr(0, 4));
    scope.month = std::stoi(month.substr(5, 2));
  }
  std::optional<model::LedgerState> ledger_read;
  if (!reference.empty() || !month.empty()) {
    auto read = call.store.ledger_in(scope);
    if (!read) return call.error(500, read.error());
    ledger_read = std::move(*read);
  }
  const model::LedgerState* ledger = ledger_read ? &*ledger_read : nullptr;
  std::map<int64_t, model::EnvoiRecord> envois;
  auto envoi_of = [&](int64_t id) -> const model::EnvoiRecord* {
    auto it = envois.find(id);
    if (it == envois.end()) {
      auto e = call.store.envoi(id);
      it = envois.emplace(id, e && *e ? **e : model::EnvoiRecord{}).first;
    }
    return it->second.id ? &it->second : nullptr;
  };
  std::vector<Json> rows;
  auto visible = [&](const std::string& third_party) {
    return may(who, third_party, "payments") && (provider.empty() || provider == third_party);
  };
  if (!reference.empty()) {
    for (const auto& p : ledger->payments)
      if (p.reference == reference && visible(p.third_party)) rows.push_back(payment_json(p, envoi_of(p.envoi_id)));
    call.note("read", "payments", rows.empty() ? provider : rows.front()["provider"].get<std::string>());
  } else if (!month.empty()) {
    // Every accepted envoi of the month: its payments, or a row saying it is not paid yet.
    const int year = std::stoi(month.substr(0, 4)), mon = std::stoi(month.substr(5, 2));
    std::multimap<int64_t, const model::Payment*> by_envoi;
    for (const auto& p : ledger->payments) by_envoi.emplace(p.envoi_id, &p);
    for (const auto& e : ledger->envois) {
      if (e.year != year || e.month != mon || !visible(e.third_party)) continue;
      auto [from, to] = by_envoi.equal_range(e.id);
      if (from == to)
        rows.push_back({{"reference", ""}, {"provider", e.third_party}, {"envoi", e.id}, {"envoi_number", e.number},
                        {"billed_month", month}, {"paid", false}});
      for (auto it = from; it != to; ++it) {
        Json j = payment_json(*it->second, envoi_of(e.id));
        j["paid"] = true;
        rows.push_back(std::move(j));
      }
    }
    call.note("read", "payments", provider);
  } else {
    const model::Date day = model::parse_iso_date(date);
    if (niss.size() != 11 || code.empty() || !day)
      return call.error(400, "Z00224", "by patient: niss (11 digits), code and date (YYYY-MM-DD) together");
    // The patient's accepted lines of that code and day, and what paid their envois.
    auto history = call.store.history({niss});
    if (!history) return call.error(500, history.error());
    std::set<std::string> providers_seen;
    for (const auto& l : (*history)[niss]) {
      if (l.code != code || l.first_date != day || !visible(l.third_party)) continue;
      providers_seen.insert(l.third_party);
      bool paid = false;
      auto payments = call.store.envoi_payments(l.envoi_id);
      if (!payments) return call.error(500, payments.error());
      for (const auto& p : *payments) {
        Json j = payment_json(p, envoi_of(p.envoi_id));
        j["niss"] = niss;
        j["code"] = code;
        j["date"] = model::iso(day);
        j["line_amount_cents"] = l.amount;
        j["paid"] = true;
        rows.push_back(std::move(j));
        paid = true;
      }
      if (!paid)
        rows.push_back({{"reference", ""}, {"provider", l.third_party}, {"envoi", l.envoi_id}, {"niss", niss}, {"code", code},
                        {"date", model::iso(day)}, {"line_amount_cents", l.amount}, {"paid", false}});
    }
    if (providers_seen.empty()) call.note("read", "payments", provider, niss);
    for (const auto& p : providers_seen) call.note("read", "payments", p, niss);
  }
  answer_list(call, rows, "payments");
}

}  // namespace

std::vector<Route> payment_routes() { return {{"GET", "/api/v1/payments", Access::Full, search_payments}}; }

}  // namespace mutua::server
