// Payment letters (avis de paiement) over the API: the letters of one's providers, each one as
// JSON, PDF (what the provider receives), CSV or .xlsx (every line with its invoice numbers),
// from the same library functions as `mutua letters`.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "mutua/model/dates.h"
#include "mutua/settlement/letters.h"
#include "server/context.h"

namespace mutua::server {

namespace {

// The fund's payment configuration, when the server was given one: the fund's name on letters.
Result<settlement::Config> config_of(const Call& call) {
  if (call.fund.payment_config.empty()) return settlement::Config{};
  return settlement::load_config(call.fund.payment_config);
}

Json summary_json(const model::Payment& p, const model::LedgerState& state) {
  std::string run_key, month;
  int number = 0;
  for (const auto& r : state.runs)
    if (r.id == p.run_id) run_key = r.key;
  for (const auto& e : state.envois)
    if (e.id == p.envoi_id) {
      month = fmt::format("{:04d}-{:02d}", e.year, e.month);
      number = e.number;
    }
  return {{"id", p.id},
          {"reference", p.reference},
          {"provider", p.third_party},
          {"run", run_key},
          {"envoi", p.envoi_id},
          {"envoi_number", number},
          {"billed_month", month},
          {"account", std::string(1, p.account)},
          {"complement", p.complement ? fmt::format("*{}", p.complement) : std::string()},
          {"accepted_cents", p.accepted_cents},
          {"compensated_cents", p.compensated_cents},
          {"paid_cents", p.paid_cents},
          {"executed", model::iso(p.executed)}};
}

void list_letters(Call& call) {
  if (providers_in(*call.who, "payments").empty())
    return call.error(403, "Z00223", "you have no provider with the payments module");
  const std::string provider = call.param("provider"), run = call.param("run"), month = call.param("billed_month");
  if (!provider.empty() && !may(*call.who, provider, "payments"))
    return call.error(403, "Z00223", "you may not see the letters of provider " + provider);
  static const std::regex month_re(R"(\d{4}-\d{2})");
  if (!month.empty() && !std::regex_match(month, month_re)) return call.error(400, "Z00224", "billed_month is YYYY-MM");
  model::LedgerScope scope{.third_parties = searched_providers(*call.who, "payments", provider), .run = run};
  if (!month.empty()) {
    scope.year = std::stoi(month.substr(0, 4));
    scope.month = std::stoi(month.substr(5, 2));
  }
  auto state = call.store.ledger_in(scope);
  if (!state) return call.error(500, state.error());
  std::vector<Json> rows;
  for (const auto& p : state->payments) {
    if (!may(*call.who, p.third_party, "payments") || (!provider.empty() && p.third_party != provider)) continue;
    Json j = summary_json(p, *state);
    if ((!run.empty() && j["run"] != run) || (!month.empty() && j["billed_month"] != month)) continue;
    rows.push_back(std::move(j));
  }
  call.note("read", "letters", provider);
  answer_list(call, rows, "letters");
}

Result<std::string> through_file(const std::function<Result<void>(const std::string&)>& write) {
  char path[] = "/tmp/mutua-letter-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return fail({.code = "Z00200", .message = "cannot make a temporary file for the letter"});
  close(fd);
  auto written = write(path);
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  std::remove(path);
  if (!written) return fail(written.error());
  return bytes;
}

void get_letter(Call& call) {
  const int64_t id = std::stoll(call.req.matches[1]);
  const std::string format = call.param("format", "json");
  if (format != "json" && format != "pdf" && format != "csv" && format != "xlsx")
    return call.error(400, "Z00224", "format is json, pdf, csv or xlsx");
  auto config = config_of(call);
  if (!config) return call.error(500, config.error());
  auto letter = settlement::gather_letter(call.store, *config, id);
  if (!letter) return call.error(500, letter.error());
  if (!*letter || !may(*call.who, (*letter)->payment.third_party, "payments"))
    return call.error(404, "Z00210", fmt::format("no payment letter {} that you may see", id));
  const settlement::Letter& l = **letter;
  // One audit entry per patient the letter names.
  std::set<std::string> patients;
  for (const auto& x : l.lines) patients.insert(x.niss);
  call.note_patients("read", fmt::format("letters/{}", id), l.payment.third_party, patients);
  const std::string name = settlement::letter_name(l);
  if (format == "csv") {
    call.res.set_header("Content-Disposition", "attachment; filename=\"" + name + ".csv\"");
    return call.res.set_content(settlement::letter_csv(l), "text/csv; charset=utf-8");
  }
  if (format == "pdf" || format == "xlsx") {
    auto bytes = through_file([&](const std::string& path) {
      return format == "pdf" ? settlement::write_letter_pdf(l, path) : settlement::write_letter_xlsx(l, path);
    });
    if (!bytes) return call.error(500, bytes.error());
    call.res.set_header("Content-Disposition", "attachment; filename=\"" + name + "." + format + "\"");
    return call.res.set_content(*bytes, format == "pdf" ? "application/pdf"
                                                        : "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  }
  Json lines = Json::array(), set_off = Json::array();
  for (const auto& x : l.lines)
    lines.push_back({{"invoice", x.invoice},         {"record", x.record},     {"reference", x.reference},
                     {"niss", x.niss},               {"code", x.code},         {"date", model::iso(x.date)},
                     {"account", std::string(1, x.account)}, {"asked_cents", x.asked}, {"accepted_cents", x.accepted},
                     {"refused_cents", x.refused},   {"status", x.status},     {"codes", x.codes}});
  for (const auto& s : l.set_off)
    set_off.push_back({{"regularisation", s.regularisation_id}, {"reason", s.reason}, {"origin", s.origin}, {"cents", s.cents}});
  const auto& p = l.payment;
  call.json(200, {{"id", p.id},
                  {"name", name},
                  {"reference", p.reference},
                  {"provider", p.third_party},
                  {"provider_name", l.provider_name},
                  {"language", l.language},
                  {"fund_name", l.fund_name},
                  {"run_date", model::iso(l.run_date)},
                  {"envoi", p.envoi_id},
                  {"envoi_number", l.envoi.number},
                  {"billed_month", fmt::format("{:04d}-{:02d}", l.envoi.year, l.envoi.month)},
                  {"account", std::string(1, p.account)},
                  {"complement", p.complement ? fmt::format("*{}", p.complement) : std::string()},
                  {"asked_cents", l.asked},
                  {"accepted_cents", l.accepted},
                  {"refused_cents", l.refused},
                  {"pending_cents", l.pending},
                  {"compensated_cents", p.compensated_cents},
                  {"paid_cents", p.paid_cents},
                  {"iban", p.iban},
                  {"executed", model::iso(p.executed)},
                  {"lines_removed", l.lines_removed},
                  {"set_off", set_off},
                  {"lines", lines}});
}

}  // namespace

std::vector<Route> letter_routes() {
  return {
      {"GET", "/api/v1/letters", Access::Full, list_letters},
      {"GET", R"(/api/v1/letters/(\d{1,18}))", Access::Full, get_letter},
  };
}

}  // namespace mutua::server
