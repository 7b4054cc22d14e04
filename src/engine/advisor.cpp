#include "mutua/engine/advisor.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "mutua/check_digits.h"
#include "mutua/model/dates.h"
#include "rules/lines/agreements.h"

namespace mutua::engine {

namespace {

tl::unexpected<Error> bad(const std::string& zone, const std::string& message) {
  return fail({.code = "Z00700", .message = message, .zone = zone});
}

}  // namespace

Result<model::AgreementRecord> request_agreement(AdvisorStores store, model::AgreementRecord r, const std::string& by) {
  if (check::niss(r.niss) != check::Verdict::Valid) return bad("niss", fmt::format("'{}' is not a valid NISS", r.niss));
  if (check::nomenclature(r.code) != check::Verdict::Valid)
    return bad("code", fmt::format("'{}' is not a valid nomenclature code (6 digits, check digit)", r.code));
  if (!r.requested_by.empty() && check::inami(r.requested_by) != check::Verdict::Valid && r.requested_by[0] != '9')
    return bad("provider", fmt::format("'{}' is not a valid INAMI number", r.requested_by));
  if (!model::valid_date(r.request_date)) return bad("date", "the request needs a valid date");
  if (!r.establishment.empty()) {
    if (!model::valid_date(r.admission)) return bad("admission", "a stay agreement needs the admission date");
    if (r.discharge && (!model::valid_date(r.discharge) || r.discharge < r.admission))
      return bad("discharge", "the discharge date must be a valid date on or after the admission");
    if (!r.valid_from) r.valid_from = r.admission;
    if (r.valid_to == model::kOpenEnd && r.discharge) r.valid_to = r.discharge;
  }
  if (r.valid_to < r.valid_from) return bad("to", "the period ends before it starts");
  r.decision = model::kNoDecision;
  r.decision_date = 0;
  r.events = {{0, r.request_date, model::kNoDecision, r.motivation.empty() ? "request" : r.motivation, by}};
  auto id = store.advisor.record_agreement(r);
  if (!id) return fail(id.error());
  r.id = *id;
  return r;
}

namespace {
Result<DecisionResult> decide_once(AdvisorStores store, const DecisionInput& in);
}  // namespace

Result<DecisionResult> decide_agreement(AdvisorStores store, const DecisionInput& in) {
  // Decided from the request as it stands; when another decision was recorded first (the store
  // refuses this one), decided again from the new state: a final decision then stands.
  for (int attempt = 1;; ++attempt) {
    auto r = decide_once(store, in);
    if (r || r.error().code != model::kStoreConflict || attempt == 100) return r;
  }
}

namespace {

Result<DecisionResult> decide_once(AdvisorStores store, const DecisionInput& in) {
  auto found = store.advisor.agreements({.id = in.agreement_id});
  if (!found) return fail(found.error());
  if (found->empty()) return bad("id", fmt::format("no agreement {} in the store", in.agreement_id));
  const model::AgreementRecord before = found->front();
  model::AgreementRecord a = before;
  if (!model::valid_decision(in.decision))
    return bad("decision", fmt::format("'{}' is not a decision (A, N, D, O or R)", in.decision));
  if (!model::valid_date(in.date)) return bad("date", "the decision needs a valid date");
  if (in.date < a.request_date)
    return bad("date", fmt::format("the decision ({}) comes before the request ({})", model::iso(in.date),
                                   model::iso(a.request_date)));
  if (a.decision == 'A' || a.decision == 'N')
    return bad("decision", fmt::format("agreement {} was already decided {} ({}) on {}: it is final, record a new request",
                                       a.id, a.decision, model::decision_name(a.decision), model::iso(a.decision_date)));
  a.decision = in.decision;
  a.decision_date = in.date;
  if (in.valid_from) a.valid_from = in.valid_from;
  if (in.valid_to) a.valid_to = in.valid_to;
  if (a.decision == 'A' && a.valid_from == 0)
    return bad("from", "an accepted agreement needs the first day it covers (--from), or a stay");
  if (a.valid_to < a.valid_from) return bad("to", "the period ends before it starts");

  // The patient's agreements as the engine sees them, this one as decided now.
  auto data = store.refdata.load_patient_files({a.niss}, {"agreements.csv"});
  if (!data) return fail(data.error());
  auto as_row = [](const model::AgreementRecord& x) {
    model::Agreement g;
    g.niss = x.niss;
    g.code = x.code;
    g.decision = x.decision == model::kNoDecision ? 'D' : x.decision;
    g.request_date = x.request_date;
    g.decision_date = x.decision_date;
    g.valid_from = x.valid_from;
    g.valid_to = x.valid_to;
    return g;
  };
  const model::Agreement old = as_row(before), now = as_row(a);
  std::vector<const model::Agreement*> list;
  bool replaced = false;
  for (const auto& g : data->agreements) {
    if (!replaced && g.code == old.code && g.decision == old.decision && g.request_date == old.request_date &&
        g.decision_date == old.decision_date && g.valid_from == old.valid_from && g.valid_to == old.valid_to) {
      replaced = true;
      continue;
    }
    list.push_back(&g);
  }
  list.push_back(&now);

  model::AgreementDecision d;
  d.agreement = a;
  d.before = before;
  d.event = {a.id, in.date, in.decision, in.note, in.by};
  DecisionResult out;
  auto waiting = store.advisor.pending_lines({.niss = a.niss, .code = a.code, .state = model::PendingState::Pending});
  if (!waiting) return fail(waiting.error());
  for (auto& p : *waiting) {
    auto s = rules::agreement_standing(p.line.code, p.line.first_date, p.line.last_date ? p.line.last_date : p.line.first_date,
                                       list);
    if (s.code == "500434") {
      out.still_pending.push_back(std::move(p));
      continue;
    }
    p.decided = in.date;
    p.agreement_id = a.id;
    if (s.code.empty()) {
      p.state = model::PendingState::Approved;
      d.changes.push_back({p.id, p.state, ""});
      d.history.push_back(p.line);
      out.approved.push_back(std::move(p));
    } else {
      p.state = model::PendingState::Refused;
      p.code = s.code;
      d.changes.push_back({p.id, p.state, s.code});
      out.refused.push_back(std::move(p));
    }
  }
  if (auto r = store.advisor.record_decision(d); !r) return fail(r.error());
  a.events.push_back(d.event);
  out.agreement = std::move(a);
  return out;
}

}  // namespace

Result<std::vector<AgreementLine>> agreement_lines(model::AdvisorStore& advisor, model::LedgerStore& ledger,
                                                   const model::AgreementRecord& a) {
  auto lines = advisor.pending_lines({.niss = a.niss, .code = a.code});
  if (!lines) return fail(lines.error());
  // The payment of each complement, by (run, envoi, account, complement).
  std::map<std::tuple<int64_t, int64_t, char, int64_t>, std::string> references;
  std::set<int64_t> runs;
  for (const auto& p : *lines)
    if (p.run_id && runs.insert(p.run_id).second) {
      auto pays = ledger.run_payments(p.run_id);
      if (!pays) return fail(pays.error());
      for (const auto& x : *pays) references[{x.run_id, x.envoi_id, x.account, x.complement}] = x.reference;
    }
  std::vector<AgreementLine> out;
  for (const auto& p : *lines) {
    if (p.agreement_id != a.id && p.state != model::PendingState::Pending) continue;
    AgreementLine l{p, ""};
    if (auto it = references.find({p.run_id, p.line.envoi_id, p.account, p.complement}); p.run_id && it != references.end())
      l.payment_reference = it->second;
    out.push_back(std::move(l));
  }
  return out;
}

nlohmann::ordered_json agreement_json(const model::AgreementRecord& a, const std::vector<AgreementLine>* lines) {
  auto decision = [](char d) { return d == model::kNoDecision ? std::string() : std::string(1, d); };
  nlohmann::ordered_json j = {{"id", a.id},
                              {"niss", a.niss},
                              {"code", a.code},
                              {"requested_by", a.requested_by},
                              {"decision", decision(a.decision)},
                              {"decision_name", model::decision_name(a.decision)},
                              {"request_date", model::iso(a.request_date)},
                              {"decision_date", a.decision_date ? model::iso(a.decision_date) : ""},
                              {"valid_from", a.valid_from ? model::iso(a.valid_from) : ""},
                              {"valid_to", a.valid_to == model::kOpenEnd ? "" : model::iso(a.valid_to)}};
  if (!a.establishment.empty())
    j["stay"] = {{"establishment", a.establishment},
                 {"admission", model::iso(a.admission)},
                 {"discharge", a.discharge ? model::iso(a.discharge) : ""}};
  auto& ev = j["events"] = nlohmann::ordered_json::array();
  for (const auto& e : a.events)
    ev.push_back({{"date", model::iso(e.date)}, {"decision", decision(e.decision)}, {"note", e.note}, {"by", e.by}});
  if (lines) {
    auto& ls = j["lines"] = nlohmann::ordered_json::array();
    for (const auto& x : *lines) {
      const auto& p = x.line;
      nlohmann::ordered_json l = {{"reception", p.line.envoi_id},  {"record", p.line.record},
                                  {"envoi_number", p.line.envoi_number}, {"invoice", p.line.invoice_number},
                                  {"date", model::iso(p.line.first_date)}, {"amount_cents", p.line.amount},
                                  {"account", std::string(1, p.account)}, {"state", model::pending_state_name(p.state)},
                                  {"code", p.code}};
      if (p.complement) {
        l["complement"] = p.complement;
        l["payment_reference"] = x.payment_reference;
      }
      ls.push_back(std::move(l));
    }
  }
  return j;
}

}  // namespace mutua::engine
