// The provider's side through the API (docs/provider.md, docs/server.md "The provider's
// book"): a provider's own people see and work its book — attestations, envois sent with their
// answers, what to correct, the bank's credits and what they paid — which the server keeps, one
// SQLite file per provider, under `--books DIR`. Fund staff and administrators never read a
// provider's book: it is the provider's data, not the fund's. Every read of attestations (they
// name patients) is audited.
#include <map>
#include <mutex>
#include <set>

#include <fmt/format.h>

#include "mutua/model/dates.h"
#include "mutua/provider/book.h"
#include "server/context.h"

namespace mutua::server {

namespace {

// One book per provider, opened once and kept (a Book serialises its own use).
class Books {
 public:
  Result<provider::Book*> of(const std::string& dir, const std::string& inami) {
    const std::string path = dir + "/" + inami + ".db";
    std::lock_guard<std::mutex> lock(m_);
    auto it = open_.find(path);
    if (it != open_.end()) return it->second.get();
    auto b = provider::Book::open(path);
    if (!b) return fail(b.error());
    return (open_[path] = std::move(*b)).get();
  }

 private:
  std::mutex m_;
  std::map<std::string, std::unique_ptr<provider::Book>> open_;  // by file
};

Books& books() {
  static Books b;
  return b;
}

// The book of the provider the path names, when the caller is one of its people with the
// billing module; else the answer is given and null returned.
provider::Book* book_of(Call& call) {
  const Principal& who = *call.who;
  const std::string inami = call.req.matches[1];
  if (call.options.books.empty())
    return call.error(404, "Z00224", "this server keeps no providers' books (mutua serve --books DIR)"), nullptr;
  if (is_staff(who) || is_admin(who))
    return call.error(403, "Z00223", "a provider's book is its own: fund staff and administrators do not read it"), nullptr;
  if (!may(who, inami, "billing")) return call.error(403, "Z00223", "you may not use the book of provider " + inami), nullptr;
  auto b = books().of(call.options.books, inami);
  if (!b) return call.error(500, b.error()), nullptr;
  return *b;
}

Json error_json(const Error& e) {
  Json j = {{"code", e.code}, {"message", e.message}};
  if (!e.file.empty()) j["file"] = e.file;
  if (e.record) j["record"] = e.record;
  if (!e.zone.empty()) j["zone"] = e.zone;
  if (e.position) j["position"] = e.position;
  return j;
}

Json errors_json(const std::vector<Error>& list) {
  Json out = Json::array();
  for (const auto& e : list) out.push_back(error_json(e));
  return out;
}

void list_envois(Call& call) {
  auto* book = book_of(call);
  if (!book) return;
  auto list = book->envois();
  if (!list) return call.error(500, list.error());
  std::vector<Json> rows;
  for (const auto& e : *list)
    rows.push_back({{"id", e.id},
                    {"environment", std::string(exchange::environment_name(e.environment))},
                    {"union", e.recipient},
                    {"input_reference", e.input_reference},
                    {"envoi_number", e.envoi_number},
                    {"billed_month", e.billed_month},
                    {"state", std::string(provider::state_name(e.state))},
                    {"reason", e.reason},
                    {"answers", e.answers},
                    {"lines", e.lines},
                    {"rejected_lines", e.rejected_lines},
                    {"accepted_cents", e.accepted_cents},
                    {"paid_cents", e.paid_cents},
                    {"payment_references", e.payment_references}});
  call.note("read", "book envois", call.req.matches[1]);
  answer_list(call, std::move(rows), "envois");
}

void list_attestations(Call& call) {
  auto* book = book_of(call);
  if (!book) return;
  auto list = book->attestations();
  if (!list) return call.error(500, list.error());
  const std::string state = call.param("state");
  std::vector<Json> rows;
  std::set<std::string> patients;
  for (const auto& a : *list) {
    if (!state.empty() && a.state != state) continue;
    Json lines = Json::array();
    int64_t total = 0;
    for (const auto& l : a.lines) {
      lines.push_back({{"code", l.code}, {"date", model::iso(l.date)}, {"amount_cents", l.amount_cents}, {"units", l.units}});
      total += l.amount_cents;
    }
    patients.insert(a.niss);
    rows.push_back({{"reference", a.reference}, {"niss", a.niss}, {"destination", a.destination}, {"state", a.state},
                    {"reason", a.reason}, {"envoi", a.envoi_id}, {"amount_cents", total}, {"lines", lines}});
  }
  call.note_patients("read", "book attestations", call.req.matches[1], patients);
  answer_list(call, std::move(rows), "attestations");
}

// {"attestations": [...]} as docs/provider.md describes them for JSON files.
void add_attestations(Call& call) {
  auto* book = book_of(call);
  if (!book) return;
  auto body = call.body();
  if (!body) return;
  if (!body->contains("attestations") || !(*body)["attestations"].is_array())
    return call.error(400, "Z00224", "{\"attestations\": [...]}, each with its lines (docs/provider.md)");
  auto r = book->import_attestations_text(body->dump(), "request");
  if (!r) return call.error(400, r.error());
  std::set<std::string> patients;
  for (const auto& a : (*body)["attestations"])
    if (a.is_object() && a.contains("niss") && a["niss"].is_string()) patients.insert(a["niss"].get<std::string>());
  call.note_patients("change", "book attestations", call.req.matches[1], patients);
  call.json(r->problems.empty() ? 200 : 422, {{"imported", r->imported},
                                              {"already", r->already},
                                              {"corrected", r->corrected},
                                              {"problems", errors_json(r->problems)}});
}

void mark_attestations(Call& call) {
  auto* book = book_of(call);
  if (!book) return;
  auto body = call.body();
  if (!body) return;
  std::vector<std::string> refs;
  if (body->contains("references") && (*body)["references"].is_array())
    for (const auto& r : (*body)["references"])
      if (r.is_string()) refs.push_back(r.get<std::string>());
  if (refs.empty()) return call.error(400, "Z00224", "references: the attestations to mark");
  auto n = book->mark(refs, text_of(*body, "state"), text_of(*body, "reason"));
  if (!n) return call.error(400, n.error());
  call.note("change", "book attestations", call.req.matches[1]);
  call.json(200, {{"marked", *n}});
}

void to_correct(Call& call) {
  auto* book = book_of(call);
  if (!book) return;
  auto list = book->to_correct();
  if (!list) return call.error(500, list.error());
  std::vector<Json> rows;
  std::set<std::string> patients;
  for (const auto& l : *list) {
    patients.insert(l.niss);
    rows.push_back({{"input_reference", l.input_reference}, {"envoi_number", l.envoi_number}, {"message", l.message},
                    {"record", l.record}, {"record_type", l.record_type}, {"niss", l.niss}, {"nomenclature", l.nomenclature},
                    {"date", l.date}, {"code", l.code}, {"label_fr", l.label_fr}, {"label_nl", l.label_nl},
                    {"comment", l.comment}, {"hint", l.hint}});
  }
  call.note_patients("read", "book to correct", call.req.matches[1], patients);
  answer_list(call, std::move(rows), "to-correct");
}

// A bank statement (CODA or CSV) as the request's body; ?name= names it in what is reported.
void add_statement(Call& call) {
  auto* book = book_of(call);
  if (!book) return;
  if (call.req.body.empty()) return call.error(400, "Z00234", "the statement (CODA or CSV) is the request's body");
  auto r = book->reconcile_text(call.req.body, call.param("name", "statement"));
  if (!r) return call.error(400, r.error());
  call.note("change", "book statements", call.req.matches[1]);
  call.json(200, {{"credits", r->credits},
                  {"already", r->already},
                  {"matched", r->matched},
                  {"complements", r->complements},
                  {"unmatched", r->unmatched},
                  {"not_billing", r->not_billing},
                  {"envois_paid", r->envois_paid},
                  {"attestations_paid", r->attestations_paid},
                  {"problems", errors_json(r->problems)}});
}

Json line_json(const provider::StatementLine& l) {
  return {{"id", l.id},
          {"source", l.source},
          {"line", l.line},
          {"booked", model::iso(l.booked)},
          {"cents", l.cents},
          {"communication", l.communication},
          {"payer_reference", l.payer_reference},
          {"counterparty", l.counterparty},
          {"payment_reference", l.payment_reference},
          {"envoi_number", l.envoi_number},
          {"billed_month", l.billed_month},
          {"complement", l.complement},
          {"state", l.state},
          {"reason", l.reason},
          {"envoi", l.envoi_id}};
}

void list_payments(Call& call) {
  auto* book = book_of(call);
  if (!book) return;
  auto lines = book->statement_lines(call.param("state"));
  if (!lines) return call.error(500, lines.error());
  std::vector<Json> rows;
  for (const auto& l : *lines) rows.push_back(line_json(l));
  call.note("read", "book payments", call.req.matches[1]);
  answer_list(call, std::move(rows), "payments");
}

// {"envoi": "..."} | {"attestations": [...]} | {"not_billing": true}, with a "note".
void finalise_payment(Call& call) {
  auto* book = book_of(call);
  if (!book) return;
  auto body = call.body();
  if (!body) return;
  provider::Finalise what;
  what.envoi = text_of(*body, "envoi");
  if (body->contains("attestations") && (*body)["attestations"].is_array())
    for (const auto& a : (*body)["attestations"])
      if (a.is_string()) what.attestations.push_back(a.get<std::string>());
  what.not_billing = body->value("not_billing", false);
  what.note = text_of(*body, "note");
  auto l = book->finalise(std::stoll(call.req.matches[2]), what);
  if (!l) return call.error(400, l.error());
  call.note("change", "book payments", call.req.matches[1]);
  call.json(200, line_json(*l));
}

}  // namespace

std::vector<Route> book_routes() {
  return {
      {"GET", R"(/api/v1/providers/(\d{11})/book/envois)", Access::Full, list_envois},
      {"GET", R"(/api/v1/providers/(\d{11})/book/attestations)", Access::Full, list_attestations},
      {"POST", R"(/api/v1/providers/(\d{11})/book/attestations)", Access::Full, add_attestations},
      {"POST", R"(/api/v1/providers/(\d{11})/book/attestations/mark)", Access::Full, mark_attestations},
      {"GET", R"(/api/v1/providers/(\d{11})/book/to-correct)", Access::Full, to_correct},
      {"POST", R"(/api/v1/providers/(\d{11})/book/statements)", Access::Full, add_statement},
      {"GET", R"(/api/v1/providers/(\d{11})/book/payments)", Access::Full, list_payments},
      {"POST", R"(/api/v1/providers/(\d{11})/book/payments/(\d{1,18})/finalise)", Access::Full, finalise_payment},
  };
}

}  // namespace mutua::server
