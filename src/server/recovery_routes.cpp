// Lost password and lost username, by e-mail (the outbox): a link to choose a new password,
// used once within 30 minutes, and a reminder of the usernames of an address. The answer is
// the same whether the account exists or not, so that neither names nor addresses are given
// away; the second factor still stands after a new password.
#include <map>
#include <mutex>

#include <fmt/format.h>

#include "server/auth.h"
#include "server/context.h"
#include "server/mail.h"

namespace mutua::server {

namespace {

constexpr int64_t kLinkSeconds = 30 * 60;
constexpr int64_t kMailEverySeconds = 5 * 60;  // at most one mail of a kind per account or address

void accepted(Call& call) {
  call.json(202, {{"message", "if an account matches and has an e-mail address, a mail was sent to it"}});
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

void ask_reset(Call& call) {
  auto body = call.body();
  if (!body) return;
  const std::string username = text_of(*body, "username");
  auto u = call.accounts.user_by_name(username);
  if (!u) return call.error(500, u.error());
  call.note("password reset asked", "password-resets");
  call.audit.back().username = username.substr(0, 64);
  if (!*u || (*u)->email.empty()) return accepted(call);
  const model::User& user = **u;
  call.audit.back().user_id = user.id;
  auto last = call.accounts.last_reset(user.id);
  if (!last) return call.error(500, last.error());
  if (call.now - *last < kMailEverySeconds) return accepted(call);
  const std::string token = random_hex(32);
  if (auto w = call.accounts.create_reset(sha256_hex(token), user.id, call.now, call.now + kLinkSeconds); !w)
    return call.error(500, w.error());
  auto sent = send_mail(call.options,
                        {user.email, "mutua: choose a new password",
                         fmt::format("Someone (you, we hope) asked for a new password for the account '{}'.\n\n"
                                     "Choose it within 30 minutes at\n{}/reset-password?token={}\n"
                                     "(programs: POST {}/api/v1/password-resets/{} with {{\"new\": \"...\"}}).\n\n"
                                     "Your second factor stays as it is. If you did not ask, ignore this mail: "
                                     "your password has not changed.\n",
                                     user.username, call.options.public_url, token, call.options.public_url, token)});
  if (!sent) return call.error(500, sent.error());
  accepted(call);
}

void reset(Call& call) {
  auto body = call.body();
  if (!body) return;
  const std::string token = call.req.matches[1];
  const std::string next = text_of(*body, "new");
  // A weak password does not use the link up.
  if (auto weak = weak_password(next)) return call.error(400, "Z00224", *weak);
  auto user_id = call.accounts.take_reset(sha256_hex(token), call.now);
  if (!user_id) return call.error(500, user_id.error());
  if (!*user_id) {
    call.note("password reset refused", "password-resets");
    return call.error(410, "Z00221", "this link is unknown, used or expired: ask for a new one");
  }
  auto u = call.accounts.user(**user_id);
  if (!u) return call.error(500, u.error());
  if (!*u) return call.error(410, "Z00221", "this link's account no longer exists");
  model::User user = **u;
  auto hash = hash_password(next);
  if (!hash) return call.error(500, hash.error());
  user.password_hash = *hash;
  user.must_change_password = false;
  user.failed_attempts = 0;
  user.locked_until = 0;
  if (auto w = call.accounts.update_user(user); !w) return call.error(500, w.error());
  if (auto w = call.accounts.delete_sessions_of(user.id); !w) return call.error(500, w.error());
  call.who = Principal{user, {}, {}, false};
  call.note("change", "password-resets");
  call.json(200, {{"next", "sign in with the new password and your second factor"}});
}

void remind_username(Call& call) {
  auto body = call.body();
  if (!body) return;
  const std::string email = lower(text_of(*body, "email"));
  call.note("username reminder asked", "username-reminders");
  if (email.empty() || email.size() > 254 || email.find('@') == std::string::npos) return accepted(call);
  // One reminder per address every few minutes, whoever asks: the address's owner is not flooded.
  static std::mutex m;
  static std::map<std::string, int64_t> last;
  {
    std::lock_guard<std::mutex> lock(m);
    auto& t = last[email];
    if (call.now - t < kMailEverySeconds) return accepted(call);
    t = call.now;
  }
  auto users = call.accounts.users();
  if (!users) return call.error(500, users.error());
  std::string names;
  for (const auto& u : *users)
    if (lower(u.email) == email) names += "  " + u.username + "\n";
  if (names.empty()) return accepted(call);
  auto sent = send_mail(call.options, {email, "mutua: your username",
                                       fmt::format("The accounts with this address:\n\n{}\nSign in at {}\n", names,
                                                   call.options.public_url)});
  if (!sent) return call.error(500, sent.error());
  accepted(call);
}

}  // namespace

std::vector<Route> recovery_routes() {
  return {
      {"POST", "/api/v1/password-resets", Access::Public, ask_reset},
      {"POST", "/api/v1/password-resets/([0-9a-f]{64})", Access::Public, reset},
      {"POST", "/api/v1/username-reminders", Access::Public, remind_username},
  };
}

}  // namespace mutua::server
