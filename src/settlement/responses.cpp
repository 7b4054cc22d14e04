#include "mutua/settlement/responses.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mutua/layout.h"
#include "mutua/model/dates.h"
#include "mutua/reader.h"

namespace mutua::settlement {

namespace {

Error unreadable(std::string why) { return {.code = "Z00604", .message = "the 920900 " + std::move(why)}; }

}  // namespace

Result<std::string> with_payment_references(std::string_view settlement, std::string_view reference_a,
                                            std::string_view reference_b) {
  auto reader = Reader::from_view(settlement, "920900");
  if (!reader) return fail(reader.error());
  if ((*reader)->message_type() != MessageType::Settlement920900) return fail(unreadable("is not a settlement file"));
  const Layout& L = Layout::builtin();
  const Zone& za = L.at(RecordKind::Et91, "423");
  const Zone& zb = L.at(RecordKind::Et91, "424");
  for (auto ref : {reference_a, reference_b})
    if (ref.size() > static_cast<size_t>(za.len)) return fail(unreadable(fmt::format("reference '{}' is longer than its zone", ref)));
  std::string out(settlement);
  RecordView r;
  std::vector<Error> problems;
  size_t et91 = 0;
  while ((*reader)->next(r, problems)) {
    if (r.kind != RecordKind::Et91 || r.bytes.size() < zb.end()) continue;
    for (const auto& [zone, ref] : {std::pair{&za, reference_a}, {&zb, reference_b}}) {
      std::string value(ref);
      value.resize(zone->len, ' ');
      out.replace(r.offset + zone->pos - 1, zone->len, value);
    }
    ++et91;
  }
  if (!problems.empty()) return fail(problems.front());
  if (et91 == 0) return fail(unreadable("has no ET 91"));
  return out;
}

Result<std::vector<model::StoredResponse>> responses_as_sent(ResponseStores store, int64_t envoi_id) {
  auto responses = store.envois.responses(envoi_id);
  if (!responses) return fail(responses.error());
  auto payments = store.ledger.envoi_payments(envoi_id);
  if (!payments) return fail(payments.error());
  if (payments->empty()) return responses;
  std::string ref_a, ref_b;
  auto list = nlohmann::json::array();
  for (const auto& p : *payments) {
    if (p.complement == 0) (p.account == 'B' ? ref_b : ref_a) = p.reference;
    list.push_back({{"account", std::string(1, p.account)},
                    {"complement", p.complement},
                    {"reference", p.reference},
                    {"accepted", p.accepted_cents},
                    {"compensated", p.compensated_cents},
                    {"paid", p.paid_cents},
                    {"iban", p.iban},
                    {"executed", model::iso(p.executed)}});
  }
  for (auto& r : *responses) {
    if (r.message != "920900") continue;
    auto bytes = with_payment_references(r.bytes, ref_a, ref_b);
    if (!bytes) return fail(bytes.error());
    r.bytes = std::move(*bytes);
    // The stored JSON is one object: the payments go in as its last key, the rest untouched.
    const size_t end = r.json.rfind('}');
    if (end == std::string::npos) return fail(unreadable("JSON is not an object"));
    r.json.insert(end, ",\"payments\":" + list.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  }
  return responses;
}

}  // namespace mutua::settlement
