// Envois: submitted as MyCareNet delivers them, their status and error rate, their responses
// (billing format and JSON), each line with its codes, labels, zone 149 comment, fix hint and
// the insurability of its patient, and why a line got its codes.
#include <algorithm>
#include <map>
#include <list>
#include <memory>
#include <mutex>
#include <set>

#include <fmt/format.h>

#include "mutua/catalog.h"
#include "mutua/consult/insurability.h"
#include "mutua/engine/adjudicate.h"
#include "mutua/engine/explain.h"
#include "mutua/model/dates.h"
#include "server/context.h"

namespace mutua::server {

namespace {

Json envoi_json(const model::EnvoiRecord& e) {
  return {{"id", e.id},
          {"provider", e.third_party},
          {"number", e.number},
          {"billed_month", fmt::format("{:04d}-{:02d}", e.year, e.month)},
          {"status", std::string(model::status_name(e.status))},
          {"test", e.test},
          {"received", model::iso(e.received)},
          {"file", e.file_name},
          {"error_rate", fmt::format("{}.{:02d}", e.error_rate_bp / 100, e.error_rate_bp % 100)},
          {"lines", e.lines},
          {"rejected_lines", e.rejected_lines},
          {"asked_cents", e.asked_cents},
          {"accepted_cents", e.accepted_cents},
          {"refused_cents", e.refused_cents}};
}

int64_t id_of(const Call& call, size_t i = 1) { return std::stoll(call.req.matches[i]); }

// The envoi `id` when the caller may see it in `module`; answers 404 otherwise (another
// provider's envoi is not said to exist).
std::optional<model::EnvoiRecord> visible_envoi(Call& call, int64_t id, const std::string& module) {
  auto e = call.store.envoi(id);
  if (!e) {
    call.error(500, e.error());
    return std::nullopt;
  }
  if (!*e || !may(*call.who, (*e)->third_party, module)) {
    call.error(404, "Z00210", fmt::format("no envoi {} that you may see", id));
    return std::nullopt;
  }
  return **e;
}

void list_envois(Call& call) {
  const auto providers = providers_in(*call.who, "submissions");
  if (providers.empty()) return call.error(403, "Z00223", "you have no provider with the submissions module");
  const bool all = providers.size() == 1 && providers[0] == "*";
  const std::string provider = call.param("provider"), status = call.param("status"), month = call.param("billed_month");
  const std::string number = call.param("number");
  if (!provider.empty() && !may(*call.who, provider, "submissions"))
    return call.error(403, "Z00223", "you may not see the envois of provider " + provider);
  // Read by the database for the providers asked (or the caller's own); whole only for fund
  // staff of every provider asking for all.
  Result<std::vector<model::EnvoiRecord>> envois = std::vector<model::EnvoiRecord>{};
  if (!provider.empty() || !all) {
    for (const auto& p : provider.empty() ? providers : std::vector<std::string>{provider}) {
      auto mine = call.store.envois_of(p);
      if (!mine) return call.error(500, mine.error());
      envois->insert(envois->end(), mine->begin(), mine->end());
    }
    std::sort(envois->begin(), envois->end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  } else {
    envois = call.store.envois();
  }
  if (!envois) return call.error(500, envois.error());
  std::vector<Json> rows;
  for (auto it = envois->rbegin(); it != envois->rend(); ++it) {  // newest first
    const auto& e = *it;
    if (!all && !std::binary_search(providers.begin(), providers.end(), e.third_party)) continue;
    if (!provider.empty() && e.third_party != provider) continue;
    if (!status.empty() && model::status_name(e.status) != status) continue;
    if (!month.empty() && fmt::format("{:04d}-{:02d}", e.year, e.month) != month) continue;
    if (!number.empty() && std::to_string(e.number) != number) continue;
    rows.push_back(envoi_json(e));
  }
  call.note("read", "envois", provider);
  answer_list(call, rows, "envois");
}

void get_envoi(Call& call) {
  auto e = visible_envoi(call, id_of(call), "submissions");
  if (!e) return;
  auto messages = call.store.response_messages(e->id);
  if (!messages) return call.error(500, messages.error());
  Json j = envoi_json(*e);
  j["responses"] = *messages;
  call.note("read", fmt::format("envois/{}", e->id), e->third_party);
  call.json(200, j);
}

// The body is the billing file as MyCareNet delivers it; ?name= its file name.
void submit_envoi(Call& call) {
  const Principal& who = *call.who;
  std::string name = call.param("name", "upload.efact");
  if (name.size() > 200 || name.find_first_of("/\\") != std::string::npos)
    return call.error(400, "Z00224", "name is a file name (no folder), at most 200 characters");
  if (call.req.body.empty()) return call.error(400, "Z00001", "the body is empty: send the billing file");
  const model::Date today = model::parse_iso_date(call.param("today", model::iso(model::local_today())));
  engine::Reception reception = engine::receive(call.req.body, name, today);
  if (!reception.parsed) {
    // Unreadable: nothing to attribute to a provider, so not recorded; said where it breaks.
    Error e = reception.unreadable;
    if (e.file.empty()) e.file = name;
    return call.error(422, e);
  }
  auto provider = engine::sender_of(reception);
  if (!may(who, provider, "submissions"))
    return call.error(403, "Z00223", "you may not submit envois for provider " + provider);
  // MyCareNet delivers an envoi to the union it is addressed to; here the sender says which
  // fund (?fund=) and a file addressed to another is not taken.
  if (const std::string to = engine::federation_of(reception);
      several_funds(call.options) && !to.empty() && to != call.fund.number) {
    const bool served = std::any_of(call.options.funds.begin(), call.options.funds.end(),
                                    [&](const FundOption& f) { return f.number == to; });
    return call.error(422, "Z00224", fmt::format("the billing file is addressed to union {} (its invoices' destination "
                                                 "mutuality), not to fund {}: {}",
                                                 to, call.fund.number, served ? "send it with ?fund=" + to : "this deployment does not serve it"));
  }
  engine::AdjudicateOptions options;
  options.today = today;
  auto r = engine::adjudicate(std::move(reception), call.store, options);
  if (!r) return call.error(r.error().code == model::kStoreConflict ? 503 : 500, r.error());
  Json j = envoi_json(r->envoi);
  j["message"] = r->message;
  j["summary"] = r->summary;
  Json list = Json::array();
  for (const auto& resp : r->responses) list.push_back(resp.message);
  j["responses"] = list;
  call.note("change", fmt::format("envois/{}", r->envoi.id), provider);
  call.json(201, j);
}

void get_response(Call& call) {
  auto e = visible_envoi(call, id_of(call), "settlements");
  if (!e) return;
  const std::string message = call.req.matches[2];
  auto found = call.store.response(e->id, message);
  if (!found) return call.error(500, found.error());
  if (const auto& r = *found) {
    call.note("read", fmt::format("envois/{}/responses/{}", e->id, message), e->third_party);
    if (call.param("format", "json") == "efact") {
      if (r->bytes.empty()) return call.error(404, "Z00210", "this response exists as JSON only (the file named no sender)");
      call.res.set_header("Content-Disposition", fmt::format("attachment; filename=\"envoi-{}.{}.efact\"", e->id, message));
      call.res.set_content(r->bytes, "application/octet-stream");
      return;
    }
    call.res.set_content(r->json, "application/json; charset=utf-8");
    return;
  }
  call.error(404, "Z00210", fmt::format("envoi {} has no response {}", e->id, message));
}

// An envoi's lines as its answer (920900, else 920099) lists them, each with its codes
// (labels FR / NL, comment, fix hint). Parsing a 10k-line answer costs tens of milliseconds and
// an answer never changes once recorded, so the rows of the envois read last are kept (up to
// kKeptRows rows in all); each use first checks that the store still has that answer (the
// retention period may have taken it).
struct ParsedLines {
  std::vector<Json> rows;
  // Each row as JSON text without its closing brace: a page is written from these (copying
  // and writing 50 rows' objects again for every page was most of a page's time).
  std::vector<std::string> texts;
  std::vector<consult::Request> asks;  // each row's patient and day of care
  std::map<std::string, std::vector<size_t>> by_status;  // rejected / accepted / pending: their rows
};

constexpr size_t kKeptRows = 200000;

Result<std::shared_ptr<const ParsedLines>> lines_of(Call& call, int64_t envoi_id) {
  auto messages = call.store.response_messages(envoi_id);
  if (!messages) return fail(messages.error());
  std::string message;
  for (const auto& m : *messages)
    if (m == "920900" || m == "920099") message = m;
  if (message.empty()) return std::make_shared<const ParsedLines>();
  static std::mutex m, parsing;
  static std::list<std::pair<std::string, std::shared_ptr<const ParsedLines>>> kept;  // most recent first
  static size_t kept_rows = 0;
  const std::string key = fmt::format("{}#{}#{}", call.fund.db, envoi_id, message);
  auto find = [&]() -> std::shared_ptr<const ParsedLines> {
    std::lock_guard<std::mutex> lock(m);
    for (auto it = kept.begin(); it != kept.end(); ++it)
      if (it->first == key) {
        kept.splice(kept.begin(), kept, it);
        return kept.front().second;
      }
    return nullptr;
  };
  if (auto hit = find()) return hit;
  // One parse at a time: the many requests that miss together (a page of an envoi just
  // received, read by several people) wait for the first one's rows instead of each parsing.
  std::lock_guard<std::mutex> one_at_a_time(parsing);
  if (auto hit = find()) return hit;
  auto answer = call.store.response(envoi_id, message);
  if (!answer) return fail(answer.error());
  auto parsed = std::make_shared<ParsedLines>();
  const Json doc = *answer ? Json::parse((*answer)->json, nullptr, false) : Json();
  if (doc.is_object() && doc.contains("records")) {
    for (const auto& rec : doc["records"]) {
      if (!rec.contains("niss")) continue;  // codes on an invoice or the envoi, not a line
      Json row = {{"record", rec["record"]}, {"niss", rec["niss"]},       {"code", rec["code"]},
                  {"date", rec["date"]},     {"invoice", rec["invoice"]}, {"amount_cents", rec["amount"]},
                  {"status", rec["status"]}, {"accepted_cents", rec["accepted"]}, {"refused_cents", rec["refused"]}};
      Json codes = Json::array();
      for (const auto& c : rec["codes"]) {
        Json x = {{"type", c["type"]},        {"code", c["code"]}, {"label_fr", c["label_fr"]},
                  {"label_nl", c["label_nl"]}, {"comment", c["comment"]}};
        const std::string hint(Catalog::builtin().hint(c["code"].get<std::string>()));
        x["hint"] = hint;
        codes.push_back(std::move(x));
      }
      row["codes"] = std::move(codes);
      parsed->asks.push_back({rec["niss"].get<std::string>(), model::parse_iso_date(rec["date"].get<std::string>())});
      parsed->by_status[row.value("status", "")].push_back(parsed->rows.size());
      std::string text = row.dump(-1, ' ', false, Json::error_handler_t::replace);
      text.pop_back();  // the '}': a page adds the patient's insurability before it
      parsed->texts.push_back(std::move(text));
      parsed->rows.push_back(std::move(row));
    }
  }
  std::shared_ptr<const ParsedLines> out = std::move(parsed);
  if (out->rows.size() <= kKeptRows / 4) {
    std::lock_guard<std::mutex> lock(m);
    kept.emplace_front(key, out);
    kept_rows += out->rows.size();
    while (kept_rows > kKeptRows && !kept.empty()) {
      kept_rows -= kept.back().second->rows.size();
      kept.pop_back();
    }
  }
  return out;
}

// Each line with its codes and its patient's insurability on the day of care.
// ?status=rejected|accepted|pending.
void envoi_lines(Call& call) {
  auto e = visible_envoi(call, id_of(call), "settlements");
  if (!e) return;
  const std::string status = call.param("status");
  if (!status.empty() && status != "rejected" && status != "accepted" && status != "pending")
    return call.error(400, "Z00224", "status is rejected, accepted or pending");
  auto parsed = lines_of(call, e->id);
  if (!parsed) return call.error(500, parsed.error());
  // The rows of that status, by index.
  static const std::vector<size_t> none;
  std::vector<size_t> every;
  if (status.empty()) {
    every.resize((*parsed)->rows.size());
    for (size_t i = 0; i < every.size(); ++i) every[i] = i;
  }
  const auto of_status = (*parsed)->by_status.find(status);
  const std::vector<size_t>& picked =
      status.empty() ? every : of_status == (*parsed)->by_status.end() ? none : of_status->second;
  auto range = shown_rows(call, picked.size());
  if (!range) return;
  const ParsedLines& lines = **parsed;
  std::vector<consult::Request> shown_asks;
  for (size_t k = range->first; k < range->second; ++k) shown_asks.push_back(lines.asks[picked[k]]);
  // Only the rows shown get their patient's insurability and an audit entry.
  // The insurability of each patient on the day of care, as the fund's data say today.
  auto answers = consult::look_up_status(call.store, shown_asks);
  if (!answers) return call.error(500, answers.error());
  auto insurability = [&](size_t i) {
    Json j = Json::object();
    if (i < answers->size()) {
      const auto& a = (*answers)[i];
      j = {{"insured", a.consultation.insured},
           {"mutuality", a.consultation.mutuality},
           {"ct1", a.consultation.ct1},
           {"ct2", a.consultation.ct2},
           {"reason", a.reason}};
    }
    return j;
  };
  std::set<std::string> patients;
  for (const auto& ask : shown_asks) patients.insert(ask.niss);
  for (const auto& niss : patients) call.note("read", fmt::format("envois/{}/lines", e->id), e->third_party, niss);
  if (patients.empty()) call.note("read", fmt::format("envois/{}/lines", e->id), e->third_party);
  const std::string format = call.param("format", "json");
  if (format != "json") {  // CSV or .xlsx: the rows as objects
    std::vector<Json> shown;
    for (size_t k = range->first; k < range->second; ++k) {
      shown.push_back(lines.rows[picked[k]]);
      shown.back()["insurability"] = insurability(k - range->first);
    }
    return answer_shown(call, shown, picked.size(), "lines");
  }
  auto page = page_of(call);
  if (!page) return;
  if (call.typed) {  // a page's call: the rows as JSON, without writing and reading them again
    Json items = Json::array();
    for (size_t k = range->first; k < range->second; ++k) {
      Json row = lines.rows[picked[k]];
      row["insurability"] = insurability(k - range->first);
      items.push_back(std::move(row));
    }
    return call.json(200, Json{{"total", picked.size()}, {"page", page->page}, {"per_page", page->per_page}, {"items", std::move(items)}});
  }
  std::string body = fmt::format(R"({{"total":{},"page":{},"per_page":{},"items":[)", picked.size(), page->page, page->per_page);
  for (size_t k = range->first; k < range->second; ++k) {
    if (k > range->first) body += ',';
    body += lines.texts[picked[k]];
    body += R"(,"insurability":)";
    body += insurability(k - range->first).dump(-1, ' ', false, Json::error_handler_t::replace);
    body += '}';
  }
  body += "]}";
  call.res.status = 200;
  call.res.set_content(std::move(body), "application/json; charset=utf-8");
}

void explain_record(Call& call) {
  auto e = visible_envoi(call, id_of(call), "settlements");
  if (!e) return;
  auto x = engine::explain(call.store, *e, static_cast<uint64_t>(id_of(call, 2)));
  if (!x) return call.error(x.error().code == "Z00210" ? 404 : x.error().code == "Z00001" ? 409 : 500, x.error());
  Json notes = Json::array();
  for (const auto& n : x->notes) notes.push_back({{"rule", n.rule}, {"note", n.note}});
  Json codes = Json::array();
  for (const auto& c : x->codes)
    codes.push_back({{"type", std::string(1, c.type)},
                     {"code", c.code},
                     {"label_fr", std::string(Catalog::builtin().label(c.code, "fr"))},
                     {"label_nl", std::string(Catalog::builtin().label(c.code, "nl"))},
                     {"rule", c.rule},
                     {"comment", c.comment},
                     {"hint", std::string(Catalog::builtin().hint(c.code))},
                     {"facts", c.facts}});
  Json j = {{"envoi", e->id}, {"record", x->record}, {"record_type", x->record_type}, {"notes", notes}, {"codes", codes}};
  if (x->prestation) {
    j["line"] = {{"code", x->code}, {"niss", x->niss},   {"provider", x->provider},
                 {"date", model::iso(x->date)}, {"units", x->units}, {"amount_cents", x->amount}};
    call.note("read", fmt::format("envois/{}/records/{}/explanation", e->id, x->record), e->third_party, x->niss);
  } else {
    call.note("read", fmt::format("envois/{}/records/{}/explanation", e->id, x->record), e->third_party);
  }
  call.json(200, j);
}

}  // namespace

std::vector<Route> envoi_routes() {
  return {
      {"GET", "/api/v1/envois", Access::Full, list_envois},
      {"POST", "/api/v1/envois", Access::Full, submit_envoi},
      {"GET", R"(/api/v1/envois/(\d{1,18}))", Access::Full, get_envoi},
      {"GET", R"(/api/v1/envois/(\d{1,18})/responses/(92\d{4}))", Access::Full, get_response},
      {"GET", R"(/api/v1/envois/(\d{1,18})/lines)", Access::Full, envoi_lines},
      {"GET", R"(/api/v1/envois/(\d{1,18})/records/(\d{1,7})/explanation)", Access::Full, explain_record},
  };
}

}  // namespace mutua::server
