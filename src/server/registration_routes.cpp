// A provider registered by its mandate holder (4CP): once per INAMI number (or fictitious 9...
// number), with the mandate and a copy of the holder's ID, which fund staff check and validate
// or refuse. The documents are kept with the accounts (one registration serves every fund of the
// deployment); validation makes the holder's account (the mandate holder of the provider) and
// mails it a link to choose its password; the second factor is set up at first sign-in.
#include <regex>

#include <fmt/format.h>

#include "mutua/check_digits.h"
#include "server/auth.h"
#include "server/context.h"
#include "server/mail.h"
#include "server/uploads.h"

namespace mutua::server {

namespace {

constexpr int64_t kFirstPasswordSeconds = 7 * 24 * 3600;  // the validated holder's link

bool valid_provider(const std::string& inami) {
  if (inami.size() != 11 || inami.find_first_not_of("0123456789") != std::string::npos) return false;
  return inami[0] == '9' || check::inami(inami) == check::Verdict::Valid;  // 9...: a fictitious number
}

Json registration_json(const model::Registration& g) {
  return {{"id", g.id},
          {"provider", g.inami},
          {"name", g.name},
          {"email", g.email},
          {"phone", g.phone},
          {"username", g.username},
          {"state", std::string(model::registration_state_name(g.state))},
          {"submitted", iso_time(g.submitted)},
          {"decided", iso_time(g.decided)},
          {"decided_by", g.decided_by},
          {"note", g.note},
          {"user", g.user_id}};
}

// Fund staff who manage the provider (or every provider), and support administrators.
bool checks(const Principal& who, const std::string& inami) {
  return is_admin(who) || (is_staff(who) && may(who, inami, "requests"));
}

void submit(Call& call) {
  auto p = posted(call, {"mandate", "id_copy"});
  if (!p) return;
  model::Registration g;
  g.inami = field(p->fields, "provider");
  g.name = field(p->fields, "name");
  g.email = field(p->fields, "email");
  g.phone = field(p->fields, "phone");
  g.username = field(p->fields, "username");
  const std::string text = field(p->fields, "text");
  static const std::regex name_re(R"([a-z0-9][a-z0-9._@-]{2,63})");
  if (!valid_provider(g.inami))
    return call.error(400, "Z00224", "provider is an INAMI number of 11 digits with its check digits, or a fictitious 9... number");
  if (g.name.empty() || g.name.size() > 200) return call.error(400, "Z00224", "name: the mandate holder's, 1 to 200 characters");
  if (g.email.size() > 254 || g.email.find('@') == std::string::npos || g.email.find_first_of(" \r\n") != std::string::npos)
    return call.error(400, "Z00224", "email: the address the account's mails go to");
  if (g.phone.size() > 40) return call.error(400, "Z00224", "phone: at most 40 characters");
  if (!std::regex_match(g.username, name_re))
    return call.error(400, "Z00224", "username: 3 to 64 characters: lowercase letters, digits, '.', '_', '@', '-'");
  if (text.size() > 8000) return call.error(400, "Z00224", "text: at most 8000 characters");
  int mandates = 0, ids = 0;
  for (const auto& f : p->file_fields) (f == "mandate" ? mandates : ids)++;
  for (const auto& f : p->files)
    if (f.info.media_type != "application/pdf" && f.info.media_type != "image/png" && f.info.media_type != "image/jpeg")
      return call.error(415, "Z00224", "'" + f.info.name + "': the mandate and the ID copy are pdf, png or jpg files");
  if (mandates != 1 || ids != 1)
    return call.error(400, "Z00224", "send the signed mandate (mandate) and a copy of the holder's ID card (id_copy), one file each");
  auto taken = call.accounts.user_by_name(g.username);
  if (!taken) return call.error(500, taken.error());
  if (*taken) return call.error(409, "Z00211", "the username '" + g.username + "' is taken: choose another");
  g.submitted = call.now;
  model::InfoRequest r;
  r.third_party = g.inami;
  r.subject = fmt::format("Registration of provider {} by its mandate holder {}", g.inami, g.name);
  r.opened = r.updated = call.now;
  model::RequestMessage first{0, call.now, 0, g.username, false,
                              text.empty() ? "The signed mandate and a copy of my ID card are attached." : text, {}};
  // The documents are named by what they are, whatever the files were called.
  for (size_t i = 0; i < p->files.size(); ++i)
    p->files[i].info.name = (p->file_fields[i] == "mandate" ? "mandate-" : "id-copy-") + p->files[i].info.name;
  auto id = call.accounts.register_provider(g, r, first, p->files);
  if (!id) return call.error(id.error().code == "Z00211" ? 409 : 500, id.error());
  call.note("change", fmt::format("registrations/{}", *id), g.inami);
  call.audit.back().username = g.username;
  (void)send_mail(call.options, {g.email, "mutua: registration received",
                                 fmt::format("We received the registration of provider {} with you as its mandate holder "
                                             "(username '{}'). The fund checks the mandate and the ID copy; you will get a "
                                             "mail when it is done.\n",
                                             g.inami, g.username)});
  call.json(202, {{"id", *id}, {"state", "submitted"}, {"message", "the fund checks the documents; a mail follows"}});
}

void list_registrations(Call& call) {
  const Principal& who = *call.who;
  if (!is_admin(who) && !(is_staff(who) && !providers_in(who, "requests").empty()))
    return call.error(403, "Z00223", "only fund staff and support administrators check registrations");
  const std::string state = call.param("state"), provider = call.param("provider");
  if (!state.empty() && !model::registration_state_from(state))
    return call.error(400, "Z00224", "state is submitted, validated or refused");
  auto all = call.accounts.registrations(0, provider);
  if (!all) return call.error(500, all.error());
  std::vector<Json> rows;
  for (const auto& g : *all) {
    if (!checks(who, g.inami)) continue;
    if (!state.empty() && model::registration_state_name(g.state) != state) continue;
    rows.push_back(registration_json(g));
  }
  call.note("read", "registrations", provider);
  answer_list(call, rows, "registrations");
}

std::optional<model::Registration> visible_registration(Call& call, int64_t id) {
  auto found = call.accounts.registrations(id, "");
  if (!found) {
    call.error(500, found.error());
    return std::nullopt;
  }
  if (found->empty() || !checks(*call.who, found->front().inami)) {
    call.error(404, "Z00210", fmt::format("no registration {} that you may see", id));
    return std::nullopt;
  }
  return found->front();
}

void get_registration(Call& call) {
  auto g = visible_registration(call, std::stoll(call.req.matches[1]));
  if (!g) return;
  Json j = registration_json(*g);
  // The documents, as the request's attachments.
  Json documents = Json::array();
  auto r = call.accounts.requests(g->request_id, "");
  if (!r) return call.error(500, r.error());
  for (const auto& req : *r)
    for (const auto& m : req.messages)
      for (const auto& a : m.attachments)
        documents.push_back({{"name", a.name},
                             {"media_type", a.media_type},
                             {"size", a.size},
                             {"href", fmt::format("/api/v1/registrations/{}/documents/{}", g->id, a.id)}});
  j["documents"] = documents;
  call.note("read", fmt::format("registrations/{}", g->id), g->inami);
  call.json(200, j);
}

// One of the documents (the mandate, the ID copy), kept with the accounts.
void get_document(Call& call) {
  auto g = visible_registration(call, std::stoll(call.req.matches[1]));
  if (!g) return;
  auto a = call.accounts.attachment(g->request_id, std::stoll(call.req.matches[2]));
  if (!a) return call.error(500, a.error());
  if (!*a) return call.error(404, "Z00210", fmt::format("registration {} has no such document", g->id));
  call.note("read", fmt::format("registrations/{}/documents/{}", g->id, (*a)->info.id), g->inami);
  answer_file(call, **a);
}

// Validated: the holder's account is made (a provider account, mandate holder of the provider,
// its wished username unless staff give another), with a link to choose its password.
void decide(Call& call) {
  const Principal& who = *call.who;
  if (!is_staff(who)) return call.error(403, "Z00223", "only fund staff validate registrations");
  auto g = visible_registration(call, std::stoll(call.req.matches[1]));
  if (!g) return;
  auto body = call.body();
  if (!body) return;
  const std::string decision = text_of(*body, "decision");
  if (decision != "validated" && decision != "refused") return call.error(400, "Z00224", "decision is validated or refused");
  if (g->state != model::RegistrationState::Submitted)
    return call.error(409, "Z00212", fmt::format("registration {} was already {}", g->id, model::registration_state_name(g->state)));
  g->note = text_of(*body, "note");
  if (g->note.size() > 2000) return call.error(400, "Z00224", "note: at most 2000 characters");
  if (decision == "refused" && g->note.empty()) return call.error(400, "Z00224", "say why it is refused (note): the registrant reads it");
  g->decided = call.now;
  g->decided_by = who.user.username;
  g->state = decision == "validated" ? model::RegistrationState::Validated : model::RegistrationState::Refused;
  std::string token;
  std::optional<model::HolderAccount> holder;
  if (g->state == model::RegistrationState::Validated) {
    if (const std::string other = text_of(*body, "username"); !other.empty()) g->username = other;
    model::User& u = holder.emplace().user;
    u.username = g->username;
    u.name = g->name;
    u.email = g->email;
    u.phone = g->phone;
    u.kind = model::UserKind::Provider;
    // No password anyone knows: the holder chooses one through the mailed link.
    auto hash = hash_password(random_hex(32));
    if (!hash) return call.error(500, hash.error());
    u.password_hash = *hash;
    u.created = call.now;
    token = random_hex(32);
    holder->reset_hash = sha256_hex(token);
    holder->reset_expires = call.now + kFirstPasswordSeconds;
  }
  // The account, its membership, its link and the decision: all or nothing.
  auto decided = call.accounts.decide_registration(*g, holder);
  if (!decided) {
    const std::string& code = decided.error().code;
    return call.error(code == "Z00212" || code == "Z00211" ? 409 : 500, decided.error());
  }
  g->user_id = *decided;
  call.note("change", fmt::format("registrations/{}", g->id), g->inami);
  const auto mail =
      g->state == model::RegistrationState::Validated
          ? Mail{g->email, "mutua: your registration is validated",
                 fmt::format("The registration of provider {} is validated. Your username is '{}'.\n\nChoose your password "
                             "within 7 days at\n{}/reset-password?token={}\n(programs: POST {}/api/v1/password-resets/{} with "
                             "{{\"new\": \"...\"}}), then sign in and set up your second factor.\n",
                             g->inami, g->username, call.options.public_url, token, call.options.public_url, token)}
          : Mail{g->email, "mutua: your registration is refused",
                 fmt::format("The registration of provider {} is refused: {}\n\nYou may register it again with the right "
                             "documents.\n",
                             g->inami, g->note)};
  if (auto sent = send_mail(call.options, mail); !sent) return call.error(500, sent.error());
  call.json(200, registration_json(*g));
}

}  // namespace

std::vector<Route> registration_routes() {
  return {
      {"POST", "/api/v1/registrations", Access::Public, submit},
      {"GET", "/api/v1/registrations", Access::Full, list_registrations},
      {"GET", R"(/api/v1/registrations/(\d{1,18}))", Access::Full, get_registration},
      {"GET", R"(/api/v1/registrations/(\d{1,18})/documents/(\d{1,18}))", Access::Full, get_document},
      {"POST", R"(/api/v1/registrations/(\d{1,18})/decision)", Access::Full, decide},
  };
}

}  // namespace mutua::server
