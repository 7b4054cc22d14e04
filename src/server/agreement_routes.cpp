// Medical-advisor agreements over the API (the 4CP "accords MC" module): a provider's people
// follow the requests made for their patients (decision A accepted, N refused, D waiting for
// information, O waiting for INAMI, R no motivation received; the lines each one settled and
// the payment of their complement) and file new requests; fund staff record the advisor's
// decisions, which settle the lines waiting on them (500434) as the engine would judge them.
#include <map>
#include <set>

#include <fmt/format.h>

#include "mutua/engine/advisor.h"
#include "mutua/model/dates.h"
#include "server/context.h"

namespace mutua::server {

namespace {

// An agreement is the provider's who asked for it; one recorded without a requesting provider
// is seen by fund staff of every provider only.
bool sees(const Principal& who, const model::AgreementRecord& a) {
  return a.requested_by.empty() ? sees_every_provider(who, "agreements") : may(who, a.requested_by, "agreements");
}

std::optional<model::AgreementRecord> visible_agreement(Call& call, int64_t id) {
  auto found = call.store.agreements({.id = id});
  if (!found) {
    call.error(500, found.error());
    return std::nullopt;
  }
  if (found->empty() || !sees(*call.who, found->front())) {
    call.error(404, "Z00210", fmt::format("no agreement {} that you may see", id));
    return std::nullopt;
  }
  return found->front();
}

// A date member: empty is 0; anything else must be YYYY-MM-DD. False with the answer given.
bool date_of(Call& call, const Json& body, const char* key, model::Date& out) {
  const std::string text = text_of(body, key);
  if (text.empty()) return true;
  out = model::parse_iso_date(text);
  if (out && model::valid_date(out)) return true;
  call.error(400, "Z00224", fmt::format("{} is a date YYYY-MM-DD", key));
  return false;
}

// The code's description (the fund's in French and Dutch, mutua's English one where it has it),
// shown over the code in the portal.
// `known`: the labels of the codes met so far in this answer (each look-up reads the whole
// nomenclature).
void add_code_labels(Json& j, const model::RefData& shared, const std::string& code, std::map<std::string, Json>& known) {
  auto it = known.find(code);
  if (it == known.end()) {
    Json labels = Json::object();
    for (const char* lang : {"fr", "nl", "en"}) {
      const auto label = model::code_label(shared, code, lang);
      labels[std::string("code_label_") + lang] = label.lang == lang ? label.text : "";
    }
    it = known.emplace(code, std::move(labels)).first;
  }
  for (const auto& [k, v] : it->second.items()) j[k] = v;
}

void answer_error(Call& call, const Error& e) {
  call.error(e.code.rfind("Z002", 0) == 0 ? 500 : 400, e);
}

void list_agreements(Call& call) {
  if (providers_in(*call.who, "agreements").empty())
    return call.error(403, "Z00223", "you have no provider with the agreements module");
  const std::string provider = call.param("provider"), niss = call.param("niss"), code = call.param("code");
  const std::string decision = call.param("decision");
  if (!provider.empty() && !may(*call.who, provider, "agreements"))
    return call.error(403, "Z00223", "you may not see the agreements of provider " + provider);
  if (!decision.empty() && decision != "none" && (decision.size() != 1 || !model::valid_decision(decision[0])))
    return call.error(400, "Z00224", "decision is A, N, D, O, R or none");
  auto all = call.store.agreements({.niss = niss, .code = code, .requested_by = provider});
  if (!all) return call.error(500, all.error());
  auto shared = call.store.shared_refdata();
  if (!shared) return call.error(500, shared.error());
  std::vector<Json> rows;
  std::set<std::pair<std::string, std::string>> seen;  // (provider, patient) read
  std::map<std::string, Json> labels;
  for (const auto& a : *all) {
    if (!sees(*call.who, a)) continue;
    if (!decision.empty() && (decision == "none" ? a.decision != model::kNoDecision : a.decision != decision[0])) continue;
    Json j = engine::agreement_json(a);
    j.erase("events");
    add_code_labels(j, **shared, a.code, labels);
    rows.push_back(std::move(j));
    seen.insert({a.requested_by, a.niss});
  }
  if (seen.empty()) call.note("read", "agreements", provider, niss);
  for (const auto& [p, n] : seen) call.note("read", "agreements", p, n);
  answer_list(call, rows, "agreements");
}

void get_agreement(Call& call) {
  auto a = visible_agreement(call, std::stoll(call.req.matches[1]));
  if (!a) return;
  auto lines = engine::agreement_lines(call.store, call.store, *a);
  if (!lines) return call.error(500, lines.error());
  auto shared = call.store.shared_refdata();
  if (!shared) return call.error(500, shared.error());
  call.note("read", fmt::format("agreements/{}", a->id), a->requested_by, a->niss);
  Json j = engine::agreement_json(*a, &*lines);
  std::map<std::string, Json> labels;
  add_code_labels(j, **shared, a->code, labels);
  call.json(200, j);
}

void request_agreement(Call& call) {
  auto body = call.body();
  if (!body) return;
  model::AgreementRecord r;
  r.requested_by = chosen_provider(call, text_of(*body, "provider"), "agreements");
  if (r.requested_by.empty()) return;
  r.niss = text_of(*body, "niss");
  r.code = text_of(*body, "code");
  r.establishment = text_of(*body, "establishment");
  r.motivation = text_of(*body, "motivation");
  if (r.motivation.size() > 4000) return call.error(400, "Z00224", "motivation: at most 4000 characters");
  r.request_date = model::local_today();
  if (!date_of(call, *body, "date", r.request_date) || !date_of(call, *body, "from", r.valid_from) ||
      !date_of(call, *body, "to", r.valid_to) || !date_of(call, *body, "admission", r.admission) ||
      !date_of(call, *body, "discharge", r.discharge))
    return;
  if (!r.valid_to) r.valid_to = model::kOpenEnd;
  auto a = engine::request_agreement(call.store, r, call.who->user.username);
  if (!a) return answer_error(call, a.error());
  call.note("change", fmt::format("agreements/{}", a->id), a->requested_by, a->niss);
  call.json(201, engine::agreement_json(*a));
}

// The advisor's decision, recorded by fund staff.
void decide(Call& call) {
  if (!is_staff(*call.who)) return call.error(403, "Z00223", "only fund staff record the advisor's decisions");
  auto a = visible_agreement(call, std::stoll(call.req.matches[1]));
  if (!a) return;
  auto body = call.body();
  if (!body) return;
  const std::string decision = text_of(*body, "decision");
  if (decision.size() != 1 || !model::valid_decision(decision[0]))
    return call.error(400, "Z00224", "decision is A, N, D, O or R");
  if (a->decision == 'A' || a->decision == 'N')
    return call.error(409, "Z00212", fmt::format("agreement {} was already decided {}: it is final, ask again", a->id,
                                                 std::string(1, a->decision)));
  engine::DecisionInput in;
  in.agreement_id = a->id;
  in.decision = decision[0];
  in.date = model::local_today();
  in.note = text_of(*body, "note");
  in.by = call.who->user.username;
  if (in.note.size() > 4000) return call.error(400, "Z00224", "note: at most 4000 characters");
  if (!date_of(call, *body, "date", in.date) || !date_of(call, *body, "from", in.valid_from) ||
      !date_of(call, *body, "to", in.valid_to))
    return;
  auto r = engine::decide_agreement(call.store, in);
  if (!r) return answer_error(call, r.error());
  auto lines = engine::agreement_lines(call.store, call.store, r->agreement);
  if (!lines) return call.error(500, lines.error());
  call.note("change", fmt::format("agreements/{}/decisions", a->id), a->requested_by, a->niss);
  Json j = engine::agreement_json(r->agreement, &*lines);
  j["settled"] = {{"approved", r->approved.size()}, {"refused", r->refused.size()}, {"still_pending", r->still_pending.size()}};
  call.json(200, j);
}

}  // namespace

std::vector<Route> agreement_routes() {
  return {
      {"GET", "/api/v1/agreements", Access::Full, list_agreements},
      {"POST", "/api/v1/agreements", Access::Full, request_agreement},
      {"GET", R"(/api/v1/agreements/(\d{1,18}))", Access::Full, get_agreement},
      {"POST", R"(/api/v1/agreements/(\d{1,18})/decisions)", Access::Full, decide},
  };
}

}  // namespace mutua::server
