// Disputes (contentieux) and regularisations over the API. A provider's people (disputes
// module) open a dispute and comment on it; fund staff settle it (the amount becomes a
// regularisation set off on the provider's next payments) or close it, and record
// regularisations (form M38).
#include <fmt/format.h>

#include "mutua/model/dates.h"
#include "mutua/settlement/disputes.h"
#include "server/context.h"

namespace mutua::server {

namespace {

// A refusal of the dispute's own rules (a step from a state it has left, a wrong amount) is the
// caller's to fix: 409 or 400; the store's errors are ours.
int status_of(const Error& e) {
  if (e.code == "Z00210") return 404;
  if (e.code == "Z00710" || e.code == "Z00601") return 409;
  return e.code.rfind("Z002", 0) == 0 ? 500 : 400;
}

std::optional<model::Dispute> visible_dispute(Call& call, int64_t id) {
  auto found = call.store.disputes(id, "");
  if (!found) {
    call.error(500, found.error());
    return std::nullopt;
  }
  if (found->empty() || !may(*call.who, found->front().third_party, "disputes")) {
    call.error(404, "Z00210", fmt::format("no dispute {} that you may see", id));
    return std::nullopt;
  }
  return found->front();
}

void list_disputes(Call& call) {
  const auto providers = providers_in(*call.who, "disputes");
  if (providers.empty()) return call.error(403, "Z00223", "you have no provider with the disputes module");
  const std::string provider = call.param("provider"), state = call.param("state");
  if (!provider.empty() && !may(*call.who, provider, "disputes"))
    return call.error(403, "Z00223", "you may not see the disputes of provider " + provider);
  auto all = call.store.disputes(0, provider);
  if (!all) return call.error(500, all.error());
  std::vector<Json> rows;
  for (const auto& d : *all) {
    if (!may(*call.who, d.third_party, "disputes")) continue;
    if (!state.empty() && model::dispute_state_name(d.state) != state) continue;
    Json j = settlement::dispute_json(d);
    j.erase("history");
    rows.push_back(std::move(j));
  }
  call.note("read", "disputes", provider);
  answer_list(call, rows, "disputes");
}

void get_dispute(Call& call) {
  auto d = visible_dispute(call, std::stoll(call.req.matches[1]));
  if (!d) return;
  call.note("read", fmt::format("disputes/{}", d->id), d->third_party);
  call.json(200, settlement::dispute_json(*d));
}

void open_dispute(Call& call) {
  auto body = call.body();
  if (!body) return;
  model::Dispute d;
  d.third_party = text_of(*body, "provider");
  if (d.third_party.empty()) d.third_party = call.who->session.acting_for;
  if (!may(*call.who, d.third_party, "disputes"))
    return call.error(403, "Z00223", "you may not open a dispute for provider '" + d.third_party + "'");
  d.subject = text_of(*body, "subject");
  if (d.subject.empty() || d.subject.size() > 2000) return call.error(400, "Z00224", "subject: 1 to 2000 characters");
  const std::string account = text_of(*body, "account");
  if (!account.empty() && account != "A" && account != "B") return call.error(400, "Z00224", "account is A or B");
  d.account = account.empty() ? 'A' : account[0];
  d.envoi_id = body->value("envoi", Json(0)).is_number_integer() ? body->value("envoi", int64_t{0}) : -1;
  d.record = body->value("record", Json(0)).is_number_unsigned() ? body->value("record", uint64_t{0}) : 0;
  if (d.envoi_id < 0) return call.error(400, "Z00224", "envoi is a reception id");
  d.payment_reference = text_of(*body, "payment_reference");
  d.opened = model::local_today();
  d.events.push_back({d.opened, "open", d.subject, call.who->user.username, 0});
  auto opened = settlement::open_dispute(call.store, d, call.who->user.username);
  if (!opened) return call.error(status_of(opened.error()), opened.error());
  call.note("change", fmt::format("disputes/{}", opened->id), d.third_party);
  call.json(201, settlement::dispute_json(*opened));
}

// comments (the provider's people and staff), settlement and closing (staff only).
void dispute_step(Call& call, const std::string& what) {
  auto d = visible_dispute(call, std::stoll(call.req.matches[1]));
  if (!d) return;
  if (what != "comments" && !is_staff(*call.who)) return call.error(403, "Z00223", "only fund staff settle or close a dispute");
  auto body = call.body();
  if (!body) return;
  settlement::DisputeStep step;
  step.id = d->id;
  step.date = model::local_today();
  step.text = text_of(*body, "text");
  step.by = call.who->user.username;
  if (step.text.size() > 4000) return call.error(400, "Z00224", "text: at most 4000 characters");
  Result<model::Dispute> r = fail(Error{});
  if (what == "comments") {
    r = settlement::comment_dispute(call.store, step);
  } else if (what == "settlement") {
    auto amount = body->find("amount_cents");
    if (amount == body->end() || !amount->is_number_integer()) return call.error(400, "Z00224", "amount_cents is a whole number");
    step.amount_cents = amount->get<int64_t>();
    const std::string account = text_of(*body, "account");
    if (!account.empty() && account != "A" && account != "B") return call.error(400, "Z00224", "account is A or B");
    step.account = account.empty() ? 0 : account[0];
    r = settlement::settle_dispute(call.store, step);
  } else {
    r = settlement::close_dispute(call.store, step);
  }
  if (!r) return call.error(status_of(r.error()), r.error());
  call.note("change", fmt::format("disputes/{}/{}", d->id, what), d->third_party);
  call.json(200, settlement::dispute_json(*r));
}

void list_regularisations(Call& call) {
  const auto providers = providers_in(*call.who, "payments");
  if (providers.empty()) return call.error(403, "Z00223", "you have no provider with the payments module");
  const std::string provider = call.param("provider");
  if (!provider.empty() && !may(*call.who, provider, "payments"))
    return call.error(403, "Z00223", "you may not see the regularisations of provider " + provider);
  auto ledger = call.store.ledger_in({.third_parties = searched_providers(*call.who, "payments", provider)});
  if (!ledger) return call.error(500, ledger.error());
  std::vector<Json> rows;
  for (const auto& r : ledger->regularisations) {
    if (!may(*call.who, r.third_party, "payments") || (!provider.empty() && r.third_party != provider)) continue;
    rows.push_back({{"id", r.id},         {"provider", r.third_party},        {"account", std::string(1, r.account)},
                    {"amount_cents", r.amount_cents}, {"set_off_cents", r.set_off_cents}, {"reason", r.reason},
                    {"origin", r.origin}, {"recorded", model::iso(r.recorded)}, {"envoi", r.envoi_id},
                    {"record", r.record}, {"dispute", r.dispute_id}});
  }
  call.note("read", "regularisations", provider);
  answer_list(call, rows, "regularisations");
}

void add_regularisation(Call& call) {
  if (!is_staff(*call.who)) return call.error(403, "Z00223", "only fund staff record regularisations");
  auto body = call.body();
  if (!body) return;
  model::Regularisation r;
  r.third_party = text_of(*body, "provider");
  if (!may(*call.who, r.third_party, "payments"))
    return call.error(403, "Z00223", "you may not record a regularisation for provider '" + r.third_party + "'");
  auto amount = body->find("amount_cents");
  if (amount == body->end() || !amount->is_number_integer() || amount->get<int64_t>() == 0)
    return call.error(400, "Z00224", "amount_cents is a whole number, not 0 (negative: owed to the provider)");
  r.amount_cents = amount->get<int64_t>();
  const std::string account = text_of(*body, "account");
  if (!account.empty() && account != "A" && account != "B") return call.error(400, "Z00224", "account is A or B");
  r.account = account.empty() ? 'A' : account[0];
  r.reason = text_of(*body, "reason");
  if (r.reason.empty() || r.reason.size() > 500) return call.error(400, "Z00224", "reason: 1 to 500 characters");
  r.recorded = model::local_today();
  auto id = call.store.add_regularisation(r);
  if (!id) return call.error(500, id.error());
  call.note("change", fmt::format("regularisations/{}", *id), r.third_party);
  call.json(201, {{"id", *id}, {"provider", r.third_party}, {"account", std::string(1, r.account)},
                  {"amount_cents", r.amount_cents}, {"reason", r.reason}, {"recorded", model::iso(r.recorded)}});
}

}  // namespace

std::vector<Route> dispute_routes() {
  return {
      {"GET", "/api/v1/disputes", Access::Full, list_disputes},
      {"POST", "/api/v1/disputes", Access::Full, open_dispute},
      {"GET", R"(/api/v1/disputes/(\d{1,18}))", Access::Full, get_dispute},
      {"POST", R"(/api/v1/disputes/(\d{1,18})/comments)", Access::Full, [](Call& c) { dispute_step(c, "comments"); }},
      {"POST", R"(/api/v1/disputes/(\d{1,18})/settlement)", Access::Full, [](Call& c) { dispute_step(c, "settlement"); }},
      {"POST", R"(/api/v1/disputes/(\d{1,18})/closing)", Access::Full, [](Call& c) { dispute_step(c, "closing"); }},
      {"GET", "/api/v1/regularisations", Access::Full, list_regularisations},
      {"POST", "/api/v1/regularisations", Access::Full, add_regularisation},
  };
}

}  // namespace mutua::server
