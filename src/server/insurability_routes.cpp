// Insurability consultations over the API (801000 -> 801900 in the sources): one person, or a
// mass CSV answered as CSV. An insured person gets a payment commitment number valid 30 days,
// which the envoi's invoices carry and the engine honours.
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "mutua/consult/insurability.h"
#include "mutua/model/dates.h"
#include "server/context.h"

namespace mutua::server {

namespace {

Json answer_json(const consult::InsurabilityAnswer& a) {
  Json houses = Json::array(), pathways = Json::array(), stays = Json::array();
  auto until = [](model::Date d) { return d == model::kOpenEnd ? std::string() : model::iso(d); };
  for (const auto& m : a.medical_houses)
    houses.push_back({{"medical_house", m.medical_house}, {"disciplines", m.disciplines}, {"from", model::iso(m.start)},
                      {"to", until(m.end)}});
  for (const auto& p : a.pathways) pathways.push_back({{"type", p.type}, {"from", model::iso(p.start)}, {"to", until(p.end)}});
  for (const auto& s : a.stays)
    stays.push_back({{"establishment", s.establishment}, {"kind", s.kind}, {"admission", model::iso(s.admission)},
                     {"discharge", model::iso(s.discharge)}});
  const auto& c = a.consultation;
  return {{"niss", c.niss},
          {"date", model::iso(c.date)},
          {"insured", c.insured},
          {"answer", c.insured ? "V" : "X"},
          {"member", a.member},
          {"mutuality", c.mutuality},
          {"ct1", c.ct1},
          {"ct2", c.ct2},
          {"holder", c.holder},
          {"commitment", c.commitment},
          {"commitment_until", model::iso(a.commitment_until)},
          {"reason", a.reason},
          {"medical_houses", houses},
          {"care_pathways", pathways},
          {"stays", stays}};
}

void consult_one(Call& call) {
  auto body = call.body();
  if (!body) return;
  const std::string provider = chosen_provider(call, text_of(*body, "provider"), "insurability");
  if (provider.empty()) return;
  const std::string niss = text_of(*body, "niss");
  const model::Date date = model::parse_iso_date(text_of(*body, "date"));
  if (niss.size() != 11 || niss.find_first_not_of("0123456789") != std::string::npos)
    return call.error(400, "Z00224", "niss is the 11 digits of the national number");
  if (!date) return call.error(400, "Z00224", "date is YYYY-MM-DD");
  auto answers = consult::consult(call.store, {{niss, date}}, model::local_today(), provider);
  if (!answers) return call.error(500, answers.error());
  call.note("read", "insurability", provider, niss);
  call.json(200, answer_json(answers->front()));
}

// The body is a CSV of `niss,date` rows; the answer is a CSV with one answer per row.
void consult_mass(Call& call) {
  const std::string provider = chosen_provider(call, call.param("provider"), "insurability");
  if (provider.empty()) return;
  if (call.req.body.empty()) return call.error(400, "Z00224", "the body is a CSV of niss,date rows");
  std::istringstream in(call.req.body);
  std::ostringstream out;
  std::vector<Error> problems;
  auto rows = consult::consult_csv(call.store, in, out, model::local_today(), provider, problems);
  if (!rows) return call.error(500, rows.error());
  // One audit entry per person asked about.
  std::istringstream again(call.req.body);
  std::set<std::string> people;
  for (std::string line; std::getline(again, line);) {
    const std::string niss = line.substr(0, line.find_first_of(",;"));
    if (niss.size() == 11 && niss.find_first_not_of("0123456789") == std::string::npos) people.insert(niss);
  }
  for (const auto& niss : people) call.note("read", "insurability/mass", provider, niss);
  call.res.set_header("Content-Disposition", "attachment; filename=\"insurability.csv\"");
  call.res.set_header("X-Rows-Answered", std::to_string(*rows));
  call.res.set_header("X-Rows-Refused", std::to_string(problems.size()));
  call.res.set_content(out.str(), "text/csv; charset=utf-8");
}

}  // namespace

std::vector<Route> insurability_routes() {
  return {{"POST", "/api/v1/insurability", Access::Full, consult_one},
          {"POST", "/api/v1/insurability/mass", Access::Full, consult_mass}};
}

}  // namespace mutua::server
