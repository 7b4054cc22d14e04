// Information requests over the API (the 4CP "Demande d'information" module and the envelope on
// each rejected line): a provider's people ask (about a line, a payment, or anything), fund
// staff answer, both add messages with attachments until one of them closes it. Attachments
// come as multipart/form-data (files named "attachment"), are checked by content (png, pdf,
// jpg, msg, doc, docx, xlsx) and size, and a copy of each message goes to its sender's e-mail
// (outbox), with a notice to the asker when the fund answers.
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "mutua/model/dates.h"
#include "server/auth.h"
#include "server/context.h"
#include "server/mail.h"
#include "server/uploads.h"

namespace mutua::server {

namespace {

Json summary_json(const model::InfoRequest& r) {
  return {{"id", r.id},
          {"provider", r.third_party},
          {"subject", r.subject},
          {"state", std::string(model::request_state_name(r.state))},
          {"envoi", r.envoi_id},
          {"record", r.record},
          {"payment_reference", r.payment_reference},
          {"niss", r.niss},
          {"opened", iso_time(r.opened)},
          {"updated", iso_time(r.updated)},
          {"messages", r.messages.size()}};
}

Json request_json(const model::InfoRequest& r) {
  Json j = summary_json(r);
  Json messages = Json::array();
  for (const auto& m : r.messages) {
    Json files = Json::array();
    for (const auto& a : m.attachments)
      files.push_back({{"id", a.id},
                       {"name", a.name},
                       {"media_type", a.media_type},
                       {"size", a.size},
                       {"sha256", a.sha256},
                       {"href", fmt::format("/api/v1/requests/{}/attachments/{}", r.id, a.id)}});
    messages.push_back({{"id", m.id}, {"at", iso_time(m.at)}, {"author", m.author}, {"from_fund", m.staff}, {"text", m.text},
                        {"attachments", files}});
  }
  j["messages"] = messages;
  return j;
}

std::optional<model::InfoRequest> visible_request(Call& call, int64_t id) {
  auto found = call.store.requests(id, "");
  if (!found) {
    call.error(500, found.error());
    return std::nullopt;
  }
  if (found->empty() || !may(*call.who, found->front().third_party, "requests")) {
    call.error(404, "Z00210", fmt::format("no request {} that you may see", id));
    return std::nullopt;
  }
  return found->front();
}

// The NISS of a line of an envoi, as its stored answer says it ("" when it is not a line).
std::string niss_of(Call& call, int64_t envoi_id, uint64_t record) {
  for (const char* message : {"920900", "920099"}) {
    auto r = call.store.response(envoi_id, message);
    if (!r || !*r) continue;
    const Json doc = Json::parse((*r)->json, nullptr, false);
    if (!doc.is_object() || !doc.contains("records")) continue;
    for (const auto& rec : doc["records"])
      if (rec.value("record", uint64_t{0}) == record && rec.contains("niss")) return rec["niss"].get<std::string>();
  }
  return "";
}

// A copy to whoever wrote (when they gave an e-mail address): their own text, never an
// attachment nor what the fund holds about the line's patient; and a notice to the asker when
// the fund answers: the subject and where to read it, not the answer.
void mail_about(Call& call, const model::InfoRequest& r, const std::string& text, bool answer) {
  const std::string where = call.options.public_url + fmt::format("/api/v1/requests/{}", r.id);
  if (!call.who->user.email.empty())
    (void)send_mail(call.options, {call.who->user.email, fmt::format("mutua: copy of your message on request {}", r.id),
                                   fmt::format("Request {} ({}), for provider {}:\n\n{}\n\nRead it at {}\n", r.id, r.subject,
                                               r.third_party, text, where)});
  if (!answer) return;
  auto asker = call.accounts.user(r.opened_by);
  if (asker && *asker && !(*asker)->email.empty() && (*asker)->id != call.who->user.id)
    (void)send_mail(call.options, {(*asker)->email, fmt::format("mutua: the fund answered request {}", r.id),
                                   fmt::format("The fund answered your request {} ({}).\n\nRead it at {}\n", r.id, r.subject, where)});
}

void list_requests(Call& call) {
  if (providers_in(*call.who, "requests").empty())
    return call.error(403, "Z00223", "you have no provider with the requests module");
  const std::string provider = call.param("provider"), state = call.param("state");
  if (!provider.empty() && !may(*call.who, provider, "requests"))
    return call.error(403, "Z00223", "you may not see the requests of provider " + provider);
  if (!state.empty() && !model::request_state_from(state)) return call.error(400, "Z00224", "state is open, answered or closed");
  auto all = call.store.requests(0, provider);
  if (!all) return call.error(500, all.error());
  std::vector<Json> rows;
  std::set<std::string> patients;
  for (const auto& r : *all) {
    if (!may(*call.who, r.third_party, "requests")) continue;
    if (!state.empty() && model::request_state_name(r.state) != state) continue;
    rows.push_back(summary_json(r));
    if (!r.niss.empty()) patients.insert(r.niss);
  }
  call.note_patients("read", "requests", provider, patients);
  answer_list(call, rows, "requests");
}

void open_request(Call& call) {
  auto p = posted(call, {"attachment"});
  if (!p) return;
  model::InfoRequest r;
  r.subject = field(p->fields, "subject");
  const std::string text = field(p->fields, "text");
  if (r.subject.empty() || r.subject.size() > 200) return call.error(400, "Z00224", "subject: 1 to 200 characters");
  if (text.empty() || text.size() > 8000) return call.error(400, "Z00224", "text: 1 to 8000 characters");
  r.payment_reference = field(p->fields, "payment_reference");
  if (r.payment_reference.size() > 20) return call.error(400, "Z00224", "payment_reference: a reference YYYY/2/nnnnnnn");
  const std::string envoi = field(p->fields, "envoi"), record = field(p->fields, "record");
  if (!envoi.empty()) {
    // About a line (or an envoi): it must be one the caller sees; the request is its provider's.
    if (envoi.size() > 18 || envoi.find_first_not_of("0123456789") != std::string::npos ||
        record.size() > 9 || record.find_first_not_of("0123456789") != std::string::npos)
      return call.error(400, "Z00224", "envoi and record are numbers");
    auto e = call.store.envoi(std::stoll(envoi));
    if (!e) return call.error(500, e.error());
    if (!*e || !may(*call.who, (*e)->third_party, "requests"))
      return call.error(404, "Z00210", "no envoi " + envoi + " that you may see");
    r.envoi_id = (*e)->id;
    r.third_party = (*e)->third_party;
    if (!record.empty()) {
      r.record = std::stoull(record);
      r.niss = niss_of(call, r.envoi_id, r.record);
    }
  } else {
    r.third_party = chosen_provider(call, field(p->fields, "provider"), "requests");
    if (r.third_party.empty()) return;
  }
  if (!may(*call.who, r.third_party, "requests"))
    return call.error(403, "Z00223", "you may not ask for provider " + r.third_party);
  r.opened = r.updated = call.now;
  r.opened_by = call.who->user.id;
  model::RequestMessage first{0, call.now, call.who->user.id, call.who->user.username, is_staff(*call.who), text, {}};
  auto id = call.store.open_request(r, first, p->files);
  if (!id) return call.error(500, id.error());
  r.id = *id;
  call.note("change", fmt::format("requests/{}", r.id), r.third_party, r.niss);
  mail_about(call, r, text, false);
  auto back = call.store.requests(r.id, "");
  if (!back || back->empty()) return call.error(500, "Z00200", "the request was recorded but cannot be read back");
  call.json(201, request_json(back->front()));
}

void get_request(Call& call) {
  auto r = visible_request(call, std::stoll(call.req.matches[1]));
  if (!r) return;
  call.note("read", fmt::format("requests/{}", r->id), r->third_party, r->niss);
  call.json(200, request_json(*r));
}

// A message from the provider's side puts the request back to open; from the fund, answered;
// "close": true (either side) closes it.
void add_message(Call& call) {
  auto r = visible_request(call, std::stoll(call.req.matches[1]));
  if (!r) return;
  auto p = posted(call, {"attachment"});
  if (!p) return;
  const std::string text = field(p->fields, "text");
  const auto close = p->fields.find("close");
  const bool closing = close != p->fields.end() && (close->is_boolean() ? close->get<bool>() : field(p->fields, "close") == "true");
  if ((text.empty() && !closing) || text.size() > 8000) return call.error(400, "Z00224", "text: 1 to 8000 characters");
  const bool staff = is_staff(*call.who);
  const model::RequestState state =
      closing ? model::RequestState::Closed : staff ? model::RequestState::Answered : model::RequestState::Open;
  model::RequestMessage m{0, call.now, call.who->user.id, call.who->user.username, staff,
                          text.empty() ? std::string("(closed)") : text, {}};
  auto id = call.store.add_request_message(r->id, m, p->files, state);
  if (!id) return call.error(id.error().code == "Z00212" ? 409 : 500, id.error());
  call.note("change", fmt::format("requests/{}/messages", r->id), r->third_party, r->niss);
  mail_about(call, *r, m.text, staff);
  auto back = call.store.requests(r->id, "");
  if (!back || back->empty()) return call.error(500, "Z00200", "the message was recorded but the request cannot be read back");
  call.json(201, request_json(back->front()));
}

void get_attachment(Call& call) {
  auto r = visible_request(call, std::stoll(call.req.matches[1]));
  if (!r) return;
  auto a = call.store.attachment(r->id, std::stoll(call.req.matches[2]));
  if (!a) return call.error(500, a.error());
  if (!*a) return call.error(404, "Z00210", fmt::format("request {} has no such attachment", r->id));
  call.note("read", fmt::format("requests/{}/attachments/{}", r->id, (*a)->info.id), r->third_party, r->niss);
  answer_file(call, **a);
}

}  // namespace

std::vector<Route> request_routes() {
  return {
      {"GET", "/api/v1/requests", Access::Full, list_requests},
      {"POST", "/api/v1/requests", Access::Full, open_request},
      {"GET", R"(/api/v1/requests/(\d{1,18}))", Access::Full, get_request},
      {"POST", R"(/api/v1/requests/(\d{1,18})/messages)", Access::Full, add_message},
      {"GET", R"(/api/v1/requests/(\d{1,18})/attachments/(\d{1,18}))", Access::Full, get_attachment},
  };
}

}  // namespace mutua::server
