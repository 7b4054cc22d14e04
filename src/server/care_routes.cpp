// Care pathways and medical-house contracts over the API (the 4CP modules "Patientèle trajets
// de soins", "Paiements trajets de soins" and "Trajets de soins détaillés"): a patient's
// pathways and contracts by NISS; a provider's patients on a pathway (current ones, or closed
// ones too); what was paid to the provider for them in a year, line by line with the provider
// who performed each; a medical house's enrolled patients.
#include <algorithm>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "mutua/model/dates.h"
#include "mutua/settlement/letters.h"
#include "server/context.h"

namespace mutua::server {

namespace {

std::string until(model::Date d) { return d == model::kOpenEnd ? std::string() : model::iso(d); }

bool valid_niss(const std::string& n) { return n.size() == 11 && n.find_first_not_of("0123456789") == std::string::npos; }

// What a list of pathways or contracts asks: for which provider (in `module`), one patient
// (`?niss=`) or all of the provider's, ended ones too (`?closed=true`) or only those current on
// `?date=` (default today). nullopt with the answer given when a parameter is wrong.
struct Scope {
  std::string provider, niss;
  bool closed = false;
  model::Date day = 0;
  bool shows(model::Date start, model::Date end) const { return closed || (start <= day && day <= end); }
};
std::optional<Scope> scope_of(Call& call, const std::string& module) {
  Scope s;
  s.provider = chosen_provider(call, call.param("provider"), module);
  if (s.provider.empty()) return std::nullopt;
  const std::string c = call.param("closed", "false"), d = call.param("date");
  s.niss = call.param("niss");
  s.closed = c == "true";
  s.day = d.empty() ? model::local_today() : model::parse_iso_date(d);
  if (c != "true" && c != "false") call.error(400, "Z00224", "closed is true or false");
  else if (!s.day || !model::valid_date(s.day)) call.error(400, "Z00224", "date is YYYY-MM-DD");
  else if (!s.niss.empty() && !valid_niss(s.niss)) call.error(400, "Z00224", "niss is the 11 digits of the national number");
  else return s;
  return std::nullopt;
}

// The patients of the provider's accepted envois (those with a line accepted or approved), with
// the last day billed and the count of such lines, as their 920900 responses say.
struct Billed {
  model::Date last = 0;
  int64_t lines = 0;
};
using Patients = std::map<std::string, Billed>;

// One accepted envoi's patients. Its 920900 never changes once recorded, so what it says is kept
// per envoi (the envois read last, up to kKeptPatients patients in all) instead of parsed again
// at each request; each use first checks that the store still has that answer (the retention
// period may have taken it): nullptr then.
constexpr size_t kKeptPatients = 500000;
Result<std::shared_ptr<const Patients>> patients_of_envoi(model::Store& store, const std::string& db, int64_t envoi) {
  auto messages = store.response_messages(envoi);
  if (!messages) return fail(messages.error());
  if (std::find(messages->begin(), messages->end(), "920900") == messages->end()) return std::shared_ptr<const Patients>();
  static std::mutex m;
  static std::list<std::pair<std::string, std::shared_ptr<const Patients>>> kept;  // most recent first
  static size_t kept_patients = 0;
  const std::string key = fmt::format("{}#{}", db, envoi);
  {
    std::lock_guard<std::mutex> lock(m);
    for (auto it = kept.begin(); it != kept.end(); ++it)
      if (it->first == key) {
        kept.splice(kept.begin(), kept, it);
        return kept.front().second;
      }
  }
  auto lines = settlement::settled_lines(store, envoi, "fr");
  if (!lines) return fail(lines.error());
  auto patients = std::make_shared<Patients>();
  if (*lines)
    for (const auto& l : **lines) {
      if (l.status == "rejected") continue;
      auto& b = (*patients)[l.niss];
      b.last = std::max(b.last, l.date);
      ++b.lines;
    }
  std::shared_ptr<const Patients> out = std::move(patients);
  std::lock_guard<std::mutex> lock(m);
  kept.emplace_front(key, out);
  kept_patients += out->size();
  while (kept_patients > kKeptPatients && kept.size() > 1) {
    kept_patients -= kept.back().second->size();
    kept.pop_back();
  }
  return out;
}

Result<Patients> patients_of(Call& call, const std::string& provider) {
  auto envois = call.store.envois_of(provider);
  if (!envois) return fail(envois.error());
  Patients out;
  for (const auto& e : *envois) {
    if (e.test || e.status != model::EnvoiStatus::Accepted) continue;
    auto of_envoi = patients_of_envoi(call.store, call.fund.db, e.id);
    if (!of_envoi) return fail(of_envoi.error());
    if (!*of_envoi) continue;  // past retention
    for (const auto& [niss, b] : **of_envoi) {
      auto& all = out[niss];
      all.last = std::max(all.last, b.last);
      all.lines += b.lines;
    }
  }
  return out;
}

std::vector<std::string> keys_of(const std::map<std::string, Billed>& m) {
  std::vector<std::string> out;
  for (const auto& [k, v] : m) out.push_back(k);
  return out;
}

Json pathway_json(const model::CarePathway& p, model::Date day) {
  return {{"niss", p.niss}, {"type", p.type}, {"from", model::iso(p.start)}, {"to", until(p.end)},
          {"current", p.start <= day && day <= p.end}};
}

Json contract_json(const model::MedicalHouseContract& m, model::Date day) {
  return {{"niss", m.niss},       {"medical_house", m.medical_house}, {"disciplines", m.disciplines},
          {"from", model::iso(m.start)}, {"to", until(m.end)},          {"current", m.start <= day && day <= m.end}};
}

// A patient's pathways (?niss=), or the provider's patients on one.
void list_pathways(Call& call) {
  const auto scope = scope_of(call, "care-pathways");
  if (!scope) return;
  const std::string& provider = scope->provider;
  const std::string& niss = scope->niss;
  std::map<std::string, Billed> billed;
  std::vector<std::string> patients = {niss};
  if (niss.empty()) {
    auto mine = patients_of(call, provider);
    if (!mine) return call.error(500, mine.error());
    billed = std::move(*mine);
    patients = keys_of(billed);
  }
  auto data = call.store.load_patient_files(patients, {"care_pathways.csv"});
  if (!data) return call.error(500, data.error());
  std::vector<Json> rows;
  std::set<std::string> shown;
  for (const auto& p : data->pathways) {
    if (!scope->shows(p.start, p.end)) continue;
    Json j = pathway_json(p, scope->day);
    if (auto it = billed.find(p.niss); it != billed.end()) {
      j["last_billed"] = model::iso(it->second.last);
      j["lines_billed"] = it->second.lines;
    }
    rows.push_back(std::move(j));
    shown.insert(p.niss);
  }
  if (!niss.empty()) shown.insert(niss);
  call.note_patients("read", "care-pathways", provider, shown);
  answer_list(call, rows, "care-pathways");
}

// What was paid to the provider in a year for its patients' lines under a pathway current at
// the line's date: the payment of the envoi (the year of its execution), the provider who
// performed the line (ET 50 zone 15: a grouping sees for whom it was paid).
void pathway_payments(Call& call) {
  const std::string provider = chosen_provider(call, call.param("provider"), "care-pathways");
  if (provider.empty()) return;
  const std::string year_text = call.param("year");
  int year = 0;
  if (year_text.size() != 4 || year_text.find_first_not_of("0123456789") != std::string::npos ||
      (year = std::stoi(year_text)) < 1900)
    return call.error(400, "Z00224", "year is YYYY");
  auto mine = patients_of(call, provider);
  if (!mine) return call.error(500, mine.error());
  auto data = call.store.load_patient_files(keys_of(*mine), {"care_pathways.csv"});
  if (!data) return call.error(500, data.error());
  std::map<std::string, std::vector<const model::CarePathway*>> pathways;
  for (const auto& p : data->pathways) pathways[p.niss].push_back(&p);
  std::vector<std::string> on_pathway;
  for (const auto& [n, v] : pathways) on_pathway.push_back(n);
  auto history = call.store.history(on_pathway);
  if (!history) return call.error(500, history.error());
  auto ledger = call.store.ledger_in({.third_parties = {provider}});
  if (!ledger) return call.error(500, ledger.error());
  // The envoi's own payments (complement 0), by envoi.
  std::map<int64_t, std::vector<const model::Payment*>> paid;
  for (const auto& p : ledger->payments)
    if (p.third_party == provider && p.complement == 0) paid[p.envoi_id].push_back(&p);
  std::vector<Json> rows;
  std::set<std::string> shown;
  for (const auto& niss : on_pathway) {
    for (const auto& l : (*history)[niss]) {
      if (l.third_party != provider) continue;
      const model::CarePathway* under = nullptr;
      for (const auto* p : pathways[niss])
        if (p->start <= l.first_date && l.first_date <= p->end) under = p;
      auto it = paid.find(l.envoi_id);
      if (!under || it == paid.end()) continue;
      const model::Payment* p = it->second.front();
      if (static_cast<int>(p->executed / 10000) != year) continue;
      std::string references;
      for (const auto* x : it->second)
        if (!x->reference.empty()) references += (references.empty() ? "" : " ") + x->reference;
      rows.push_back({{"niss", niss},
                      {"type", under->type},
                      {"code", l.code},
                      {"date", model::iso(l.first_date)},
                      {"amount_cents", l.amount},
                      {"performed_by", l.provider},
                      {"envoi", l.envoi_id},
                      {"envoi_number", l.envoi_number},
                      {"invoice", l.invoice_number},
                      {"payment_reference", references},
                      {"executed", model::iso(p->executed)}});
      shown.insert(niss);
    }
  }
  call.note_patients("read", "care-pathways/payments", provider, shown);
  answer_list(call, rows, "care-pathway-payments");
}

// A patient's medical-house contracts (?niss=), or the patients enrolled in a medical house
// (?provider= its number).
void list_contracts(Call& call) {
  const auto scope = scope_of(call, "insurability");
  if (!scope) return;
  const std::string& provider = scope->provider;
  const std::string& niss = scope->niss;
  std::vector<std::string> patients = {niss};
  if (niss.empty()) {
    auto enrolled = call.store.patients_where("medical_houses.csv", "medical_house", provider);
    if (!enrolled) return call.error(500, enrolled.error());
    patients = std::move(*enrolled);
  }
  auto data = call.store.load_patient_files(patients, {"medical_houses.csv"});
  if (!data) return call.error(500, data.error());
  std::vector<Json> rows;
  std::set<std::string> shown;
  for (const auto& m : data->medical_houses) {
    // A medical house sees its own contracts only; a patient's are all shown by NISS, as the
    // insurability answer shows them.
    if (niss.empty() && m.medical_house != provider) continue;
    if (!scope->shows(m.start, m.end)) continue;
    rows.push_back(contract_json(m, scope->day));
    shown.insert(m.niss);
  }
  if (!niss.empty()) shown.insert(niss);
  call.note_patients("read", "medical-house-contracts", provider, shown);
  answer_list(call, rows, "medical-house-contracts");
}

}  // namespace

std::vector<Route> care_routes() {
  return {
      {"GET", "/api/v1/care-pathways", Access::Full, list_pathways},
      {"GET", "/api/v1/care-pathways/payments", Access::Full, pathway_payments},
      {"GET", "/api/v1/medical-house-contracts", Access::Full, list_contracts},
  };
}

}  // namespace mutua::server
