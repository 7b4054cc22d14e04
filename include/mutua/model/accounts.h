// The people who use the server and what they may do (the 4CP source's roles), their sessions,
// and the audit log. Times are Unix seconds.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mutua/error.h"

namespace mutua::model {

// A user's standing in the whole deployment. What a provider's people may do is per provider
// (Membership).
enum class UserKind { Admin, Staff, Provider };  // support administrator, fund staff, provider side
std::string_view user_kind_name(UserKind k);     // "admin", "staff", "provider"
std::optional<UserKind> user_kind_from(std::string_view name);

struct User {
  int64_t id = 0;
  std::string username;
  std::string name, email, phone;  // personal data: only the user changes them
  UserKind kind = UserKind::Provider;
  std::string fund;                // staff: the fund (union) they work for
  std::string password_hash;       // argon2id, encoded (salt and parameters inside)
  bool must_change_password = false;  // a one-time password was given
  std::string totp_secret;         // hex; empty until an authenticator app is set up
  bool totp_confirmed = false;     // a first code was given back: the second factor (either method) is in force
  int64_t totp_last_step = 0;      // the last time step accepted (a code is used once)
  int failed_attempts = 0;
  int64_t locked_until = 0;
  int64_t created = 0;
  std::string second_factor_method = "totp";  // "totp" (an authenticator app) or "sms" (a code sent to `phone`)
};

// What a user may do for one provider (INAMI number, or a fictitious 9... number):
//   holder       the mandate holder, who registered the provider
//   supervisor   manages the provider's collaborators and picks their modules
//   collaborator only the modules granted
//   staff        fund staff managing that provider (the supervisor's modules)
struct Membership {
  int64_t user_id = 0;
  std::string inami;
  std::string role;
  std::vector<std::string> modules;  // e.g. "submissions", "settlements", "payments"...
};

struct Session {
  std::string token_hash;   // SHA-256 of the token, hex: the token itself is never stored
  int64_t user_id = 0;
  std::string kind;         // "session" (a person signed in) or "token" (a program)
  std::string name;         // a token's name
  bool second_factor = false;  // the person gave the second factor in this session
  std::string acting_for;   // "select a third party": the provider acted for, when chosen
  int64_t created = 0, last_seen = 0, expires = 0;
  // A code sent by SMS to this session (setting the factor up, or signing in): its hash only,
  // when it was sent, when it ends, and the wrong tries made against it.
  std::string code_hash;
  int64_t code_sent = 0, code_expires = 0;
  int code_attempts = 0;
};

struct AuditEntry {
  int64_t id = 0;
  int64_t at = 0;
  int64_t user_id = 0;
  std::string username;
  std::string action;       // "read", "change", "sign-in", "sign-in refused"...
  std::string resource;     // what, as a path: "envois/12/lines"
  std::string provider;     // the provider whose data it was
  std::string niss;         // the patient whose data it was
  int status = 200;         // the answer given
  std::string fund;         // the fund whose data it was ('' for accounts, sign-in, registrations)
};

struct AuditQuery {
  int64_t from = 0, to = 0;  // at in [from, to]; 0: open
  std::string username, provider, niss, action;
  std::string fund;          // '' : any
  int64_t limit = 100, offset = 0;
};

class AccountStore {
 public:
  virtual ~AccountStore() = default;

  // A new user; fails with Z00211 when the username is taken.
  virtual Result<int64_t> create_user(const User& user) = 0;
  virtual Result<std::optional<User>> user_by_name(const std::string& username) = 0;
  virtual Result<std::optional<User>> user(int64_t id) = 0;
  virtual Result<std::vector<User>> users() = 0;
  // Writes every field of `user` (by id).
  virtual Result<void> update_user(const User& user) = 0;

  virtual Result<std::vector<Membership>> memberships(int64_t user_id) = 0;
  virtual Result<std::vector<Membership>> members_of(const std::string& inami) = 0;
  // Adds or replaces (user, provider, role) with its modules.
  virtual Result<void> set_membership(const Membership& m) = 0;
  virtual Result<void> remove_membership(int64_t user_id, const std::string& inami, const std::string& role) = 0;

  virtual Result<void> create_session(const Session& s) = 0;
  virtual Result<std::optional<Session>> session(const std::string& token_hash) = 0;
  virtual Result<void> update_session(const Session& s) = 0;
  virtual Result<void> delete_session(const std::string& token_hash) = 0;
  // Ends every session of a user (password changed, account locked by the support).
  virtual Result<void> delete_sessions_of(int64_t user_id) = 0;

  // Lost-password links: only the hash of a link's token is kept. take_reset uses a link once:
  // the user it is for, when it exists, has not expired at `now` and was not used; nullopt else.
  virtual Result<void> create_reset(const std::string& token_hash, int64_t user_id, int64_t created, int64_t expires) = 0;
  virtual Result<std::optional<int64_t>> take_reset(const std::string& token_hash, int64_t now) = 0;
  // When the user's last link was made (0: never), to send one at most every few minutes.
  virtual Result<int64_t> last_reset(int64_t user_id) = 0;

  // Appends entries in one transaction.
  virtual Result<void> append_audit(const std::vector<AuditEntry>& entries) = 0;
  // Newest first; with the count of all matching entries.
  virtual Result<std::pair<std::vector<AuditEntry>, int64_t>> audit(const AuditQuery& q) = 0;
};

}  // namespace mutua::model
