// Signing in and out, the second factor, one's own account, programs' tokens, and acting for
// a third party.
#include <algorithm>
#include <regex>

#include <fmt/format.h>

#include "server/auth.h"
#include "server/context.h"
#include "server/mail.h"

namespace mutua::server {

namespace {

Json user_json(const model::User& u, const std::vector<model::Membership>& ms) {
  Json roles = Json::array();
  for (const auto& m : ms) roles.push_back({{"provider", m.inami}, {"role", m.role}, {"modules", m.modules}});
  return {{"id", u.id},
          {"username", u.username},
          {"name", u.name},
          {"email", u.email},
          {"phone", u.phone},
          {"kind", std::string(model::user_kind_name(u.kind))},
          {"fund", u.fund},
          {"second_factor", u.totp_confirmed},
          {"second_factor_method", u.second_factor_method},
          {"must_change_password", u.must_change_password},
          {"providers", roles}};
}

constexpr int64_t kCodeSeconds = 5 * 60;   // an SMS code is valid this long
constexpr int64_t kCodeResendSeconds = 60;  // and another is sent at most this often
constexpr int kCodeTries = 3;               // wrong tries against one code, then it is void

bool is_sms(const model::User& u) { return u.second_factor_method == "sms"; }

// A mobile number as an SMS gateway takes it (E.164).
bool valid_mobile(const std::string& phone) {
  static const std::regex e164(R"(\+[1-9][0-9]{7,14})");
  return std::regex_match(phone, e164);
}

// "+32•••••••67": enough for the person to know which phone, not the number.
std::string masked(const std::string& phone) {
  if (phone.size() < 6) return "•••";
  std::string out = phone.substr(0, 3);
  for (size_t i = 3; i + 2 < phone.size(); ++i) out += "•";
  return out + phone.substr(phone.size() - 2);
}

std::string code_hash(const model::Session& s, const std::string& code) { return sha256_hex("sms:" + s.token_hash + ":" + code); }

// A new six-digit code for this session, sent to the user's phone; only its hash is kept.
Result<void> send_code(Call& call, const model::User& user, model::Session& session) {
  const uint64_t r = std::stoull(random_hex(7), nullptr, 16);  // 56 bits: the modulo's bias is negligible
  const std::string code = fmt::format("{:06d}", r % 1000000);
  session.code_hash = code_hash(session, code);
  session.code_sent = call.now;
  session.code_expires = call.now + kCodeSeconds;
  session.code_attempts = 0;
  if (auto w = call.accounts.update_session(session); !w) return fail(w.error());
  return call.options.sms->send(user.phone, fmt::format("{}: {} is your sign-in code, valid {} minutes. Never give it to anyone.",
                                                         call.options.issuer, code, kCodeSeconds / 60));
}

// The code sent to this session: right, in time, and used once. A wrong one counts against it
// (void after kCodeTries). Writes the session back.
bool code_matches(Call& call, model::Session& session, const std::string& code) {
  if (session.code_hash.empty() || call.now >= session.code_expires) return false;
  const bool right = code.size() == 6 && code_hash(session, code) == session.code_hash;
  if (right || ++session.code_attempts >= kCodeTries) session.code_hash.clear();
  (void)call.accounts.update_session(session);
  return right;
}

// What the person must do next to use the API.
std::string next_step(const model::User& u, const model::Session& s) {
  if (u.must_change_password) return "change-password";
  if (!u.totp_confirmed) return "set-up-second-factor";
  if (!s.second_factor) return "second-factor";
  return "ready";
}

void sign_in(Call& call) {
  auto body = call.body();
  if (!body) return;
  const std::string username = text_of(*body, "username"), password = text_of(*body, "password");
  auto u = call.accounts.user_by_name(username);
  if (!u) return call.error(500, u.error());
  // The same answer whether the user exists or not: names are not given away.
  const auto refuse = [&] { call.error(401, "Z00221", "wrong username or password"); };
  if (!*u) {
    (void)password_matches("", password);
    call.note("sign-in refused", "sessions");
    call.audit.back().username = username;
    return refuse();
  }
  model::User user = **u;
  call.who = Principal{user, {}, {}, false};
  if (user.locked_until > call.now) {
    call.note("sign-in refused (locked)", "sessions");
    return call.error(423, "Z00222",
                      fmt::format("too many failed sign-ins: the account is locked for {} more minutes",
                                  (user.locked_until - call.now + 59) / 60));
  }
  if (!password_matches(user.password_hash, password)) {
    ++user.failed_attempts;
    if (user.failed_attempts >= call.options.max_failed_sign_ins) {
      user.locked_until = call.now + call.options.lockout_seconds;
      user.failed_attempts = 0;
    }
    if (auto w = call.accounts.update_user(user); !w) return call.error(500, w.error());
    call.note("sign-in refused", "sessions");
    return refuse();
  }
  user.failed_attempts = 0;
  user.locked_until = 0;
  if (auto w = call.accounts.update_user(user); !w) return call.error(500, w.error());
  const std::string token = random_hex(32);
  model::Session s{sha256_hex(token), user.id, "session", "", false, "", call.now, call.now,
                   call.now + call.options.session_max_seconds};
  if (auto w = call.accounts.create_session(s); !w) return call.error(500, w.error());
  call.note("sign-in", "sessions");
  Json answer = {{"token", token}, {"csrf_token", sha256_hex("csrf:" + token)}, {"next", next_step(user, s)}, {"expires", s.expires}};
  // By SMS, the code goes at once to the phone.
  if (user.totp_confirmed && is_sms(user) && !user.must_change_password) {
    if (auto sent = send_code(call, user, s); !sent) return call.error(500, sent.error());
    answer["second_factor_method"] = "sms";
    answer["code_sent_to"] = masked(user.phone);
  }
  call.res.set_header("Set-Cookie", fmt::format("mutua_session={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}", token,
                                                call.options.session_max_seconds));
  call.json(201, answer);
}

void give_second_factor(Call& call) {
  auto body = call.body();
  if (!body) return;
  Principal& who = *call.who;
  if (!who.user.totp_confirmed) return call.error(409, "Z00222", "no second factor is set up yet (POST /api/v1/me/second-factor)");
  const std::string code = text_of(*body, "code");
  std::optional<int64_t> step;
  bool right = false;
  if (is_sms(who.user)) {
    right = code_matches(call, who.session, code);
  } else {
    step = totp_step(who.user.totp_secret, code, call.now);
    right = step && *step > who.user.totp_last_step;
  }
  if (!right) {
    ++who.user.failed_attempts;
    if (who.user.failed_attempts >= call.options.max_failed_sign_ins) {
      who.user.locked_until = call.now + call.options.lockout_seconds;
      who.user.failed_attempts = 0;
      (void)call.accounts.delete_sessions_of(who.user.id);
    }
    (void)call.accounts.update_user(who.user);
    call.note("second factor refused", "sessions/current");
    return call.error(401, "Z00221", is_sms(who.user) ? "wrong or expired code: ask for another (POST "
                                                        "/api/v1/sessions/current/second-factor/code)"
                                                      : "wrong or already used code");
  }
  if (step) who.user.totp_last_step = *step;
  who.user.failed_attempts = 0;
  if (auto w = call.accounts.update_user(who.user); !w) return call.error(500, w.error());
  who.session.second_factor = true;
  if (auto w = call.accounts.update_session(who.session); !w) return call.error(500, w.error());
  call.note("second factor", "sessions/current");
  call.json(200, {{"next", next_step(who.user, who.session)}});
}

void sign_out(Call& call) {
  if (auto w = call.accounts.delete_session(call.who->session.token_hash); !w) return call.error(500, w.error());
  call.res.set_header("Set-Cookie", "mutua_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
  call.note("sign-out", "sessions/current");
  call.json(200, {{"signed_out", true}});
}

void me(Call& call) {
  Json j = user_json(call.who->user, call.who->memberships);
  j["next"] = next_step(call.who->user, call.who->session);
  j["acting_for"] = call.who->session.acting_for;
  call.json(200, j);
}

void change_password(Call& call) {
  auto body = call.body();
  if (!body) return;
  Principal& who = *call.who;
  if (!password_matches(who.user.password_hash, text_of(*body, "current")))
    return call.error(403, "Z00221", "the current password is wrong");
  const std::string next = text_of(*body, "new");
  if (auto weak = weak_password(next)) return call.error(400, "Z00224", *weak);
  if (next == text_of(*body, "current")) return call.error(400, "Z00224", "the new password is the current one");
  auto hash = hash_password(next);
  if (!hash) return call.error(500, hash.error());
  who.user.password_hash = *hash;
  who.user.must_change_password = false;
  if (auto w = call.accounts.update_user(who.user); !w) return call.error(500, w.error());
  // Every other session ends; this one goes on.
  if (auto w = call.accounts.delete_sessions_of(who.user.id); !w) return call.error(500, w.error());
  if (auto w = call.accounts.create_session(who.session); !w) return call.error(500, w.error());
  call.note("change", "me/password");
  call.json(200, {{"next", next_step(who.user, who.session)}});
}

// The second factor is set up with an authenticator app (TOTP, the default) or by SMS to the
// user's mobile number: {"method": "totp" | "sms"}.
void start_second_factor(Call& call) {
  Principal& who = *call.who;
  if (who.user.totp_confirmed) return call.error(409, "Z00222", "a second factor is in force: ask the support to reset it");
  if (who.user.must_change_password) return call.error(403, "Z00222", "change the one-time password first");
  std::string method = "totp";
  if (!call.req.body.empty()) {
    auto body = call.body();
    if (!body) return;
    if (body->contains("method")) method = text_of(*body, "method");
    // Their own mobile number may come with it (only they change their personal data).
    if (const std::string phone = text_of(*body, "phone"); method == "sms" && !phone.empty()) {
      if (!valid_mobile(phone)) return call.error(400, "Z00224", "phone is a mobile number, as +32470123456");
      who.user.phone = phone;
    }
  }
  if (method != "totp" && method != "sms") return call.error(400, "Z00224", "method is totp (an authenticator app) or sms");
  if (method == "sms") {
    if (!valid_mobile(who.user.phone))
      return call.error(400, "Z00224",
                        "give your mobile number, as +32470123456 ({\"method\": \"sms\", \"phone\": ...})");
    if (who.session.code_sent && call.now - who.session.code_sent < kCodeResendSeconds)
      return call.error(429, "Z00222", "a code was sent less than a minute ago: wait before asking another");
    who.user.second_factor_method = "sms";
    who.user.totp_secret.clear();
    if (auto w = call.accounts.update_user(who.user); !w) return call.error(500, w.error());
    if (auto sent = send_code(call, who.user, who.session); !sent) return call.error(500, sent.error());
    call.note("change", "me/second-factor");
    return call.json(201, {{"method", "sms"},
                           {"code_sent_to", masked(who.user.phone)},
                           {"next", "confirm with the code sent: POST /api/v1/me/second-factor/confirm"}});
  }
  who.user.second_factor_method = "totp";
  who.user.totp_secret = new_totp_secret();
  if (auto w = call.accounts.update_user(who.user); !w) return call.error(500, w.error());
  call.note("change", "me/second-factor");
  call.json(201, {{"method", "totp"},
                  {"secret", totp_base32(who.user.totp_secret)},
                  {"otpauth_uri", totp_uri(who.user.totp_secret, who.user.username, call.options.issuer)},
                  {"next", "confirm with a code: POST /api/v1/me/second-factor/confirm"}});
}

void confirm_second_factor(Call& call) {
  auto body = call.body();
  if (!body) return;
  Principal& who = *call.who;
  const bool sms = is_sms(who.user);
  if (who.user.totp_confirmed || (sms ? who.session.code_sent == 0 : who.user.totp_secret.empty()))
    return call.error(409, "Z00222", "no second factor is being set up");
  if (sms) {
    if (!code_matches(call, who.session, text_of(*body, "code")))
      return call.error(401, "Z00221", "wrong or expired code: ask for another (POST /api/v1/me/second-factor {\"method\": \"sms\"})");
  } else {
    auto step = totp_step(who.user.totp_secret, text_of(*body, "code"), call.now);
    if (!step) return call.error(401, "Z00221", "wrong code: check the device's clock and the secret");
    who.user.totp_last_step = *step;
  }
  who.user.totp_confirmed = true;
  if (auto w = call.accounts.update_user(who.user); !w) return call.error(500, w.error());
  who.session.second_factor = true;
  if (auto w = call.accounts.update_session(who.session); !w) return call.error(500, w.error());
  call.note("change", "me/second-factor/confirm");
  call.json(200, {{"next", next_step(who.user, who.session)}});
}

// Another SMS code for signing in (the first went with the password's answer).
void resend_code(Call& call) {
  Principal& who = *call.who;
  if (!who.user.totp_confirmed || !is_sms(who.user))
    return call.error(409, "Z00222", "your second factor is not by SMS");
  if (who.session.second_factor) return call.error(409, "Z00222", "the second factor was given already");
  if (call.now - who.session.code_sent < kCodeResendSeconds)
    return call.error(429, "Z00222", "a code was sent less than a minute ago: wait before asking another");
  if (auto sent = send_code(call, who.user, who.session); !sent) return call.error(500, sent.error());
  call.note("change", "sessions/current/second-factor/code");
  call.json(201, {{"code_sent_to", masked(who.user.phone)}, {"expires", who.session.code_expires}});
}

// Only the user changes their own personal data.
void edit_me(Call& call) {
  auto body = call.body();
  if (!body) return;
  Principal& who = *call.who;
  for (const char* key : {"name", "email", "phone"}) {
    auto it = body->find(key);
    if (it == body->end()) continue;
    if (!it->is_string() || it->get<std::string>().size() > 200)
      return call.error(400, "Z00224", fmt::format("'{}' is a text of at most 200 characters", key));
    (key == std::string("name") ? who.user.name : key == std::string("email") ? who.user.email : who.user.phone) =
        it->get<std::string>();
  }
  // The codes of an SMS second factor go to this number: it stays one they can reach.
  if (who.user.totp_confirmed && is_sms(who.user) && !valid_mobile(who.user.phone))
    return call.error(400, "Z00224", "your second factor comes by SMS: phone is a mobile number, as +32470123456");
  if (auto w = call.accounts.update_user(who.user); !w) return call.error(500, w.error());
  call.note("change", "me");
  call.json(200, user_json(who.user, who.memberships));
}

// "Select a third party": from now on this session acts for that provider only.
void act_for(Call& call) {
  auto body = call.body();
  if (!body) return;
  Principal& who = *call.who;
  const std::string inami = text_of(*body, "provider");
  who.session.acting_for.clear();
  bool entitled = inami.empty();
  for (const auto& module : all_modules()) entitled = entitled || may(who, inami, module);
  if (!entitled) return call.error(403, "Z00223", "you may not act for provider " + inami);
  who.session.acting_for = inami;
  if (auto w = call.accounts.update_session(who.session); !w) return call.error(500, w.error());
  call.note("change", "sessions/current/third-party", inami);
  call.json(200, {{"acting_for", inami}});
}

// A token for a program (practice software): acts as the user, with the second factor given.
void new_token(Call& call) {
  auto body = call.body();
  if (!body) return;
  Principal& who = *call.who;
  const std::string name = text_of(*body, "name");
  if (name.empty() || name.size() > 100) return call.error(400, "Z00224", "a token has a name of 1 to 100 characters");
  int64_t days = 365;
  if (auto it = body->find("days"); it != body->end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > 730)
      return call.error(400, "Z00224", "'days' is a whole number from 1 to 730");
    days = it->get<int64_t>();
  }
  const std::string token = random_hex(32);
  model::Session s{sha256_hex(token), who.user.id, "token", name, true, "", call.now, call.now, call.now + days * 86400};
  if (auto w = call.accounts.create_session(s); !w) return call.error(500, w.error());
  call.note("change", "tokens");
  call.json(201, {{"token", token}, {"name", name}, {"expires", s.expires}});
}

}  // namespace

std::vector<Route> session_routes() {
  return {
      {"POST", "/api/v1/sessions", Access::Public, sign_in},
      {"POST", "/api/v1/sessions/current/second-factor", Access::Started, give_second_factor},
      {"POST", "/api/v1/sessions/current/second-factor/code", Access::Started, resend_code},
      {"DELETE", "/api/v1/sessions/current", Access::Started, sign_out},
      {"GET", "/api/v1/me", Access::Started, me},
      {"POST", "/api/v1/me/password", Access::Started, change_password},
      {"POST", "/api/v1/me/second-factor", Access::Started, start_second_factor},
      {"POST", "/api/v1/me/second-factor/confirm", Access::Started, confirm_second_factor},
      {"PATCH", "/api/v1/me", Access::Full, edit_me},
      {"POST", "/api/v1/sessions/current/third-party", Access::Full, act_for},
      {"POST", "/api/v1/tokens", Access::Full, new_token},
  };
}

}  // namespace mutua::server
