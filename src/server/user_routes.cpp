// Users and what they may do: the support administrator creates accounts and memberships (and
// is the only one who changes a mandate holder); the mandate holder makes and changes its
// provider's supervisors; a supervisor (or the holder) registers the collaborators of its
// provider and picks their modules.
#include <algorithm>
#include <optional>
#include <regex>

#include <fmt/format.h>

#include "server/auth.h"
#include "server/context.h"

namespace mutua::server {

namespace {

bool has_role(const Principal& who, const std::string& inami, const std::string& role) {
  return std::any_of(who.memberships.begin(), who.memberships.end(),
                     [&](const model::Membership& m) { return m.inami == inami && m.role == role; });
}

// Who may give `role` for provider `inami` besides the support administrator: the holder its
// supervisors and collaborators, a supervisor its collaborators.
bool may_grant(const Principal& who, const std::string& inami, const std::string& role) {
  if (is_admin(who)) return true;
  if (role == "collaborator") return has_role(who, inami, "supervisor") || has_role(who, inami, "holder");
  if (role == "supervisor") return has_role(who, inami, "holder");
  return false;
}

// The modules of a membership's body; nullopt with the answer given when one is unknown.
std::optional<std::vector<std::string>> modules_of(Call& call, const Json& body) {
  std::vector<std::string> out;
  auto it = body.find("modules");
  if (it == body.end()) return out;
  if (!it->is_array()) {
    call.error(400, "Z00224", "modules is a list");
    return std::nullopt;
  }
  for (const auto& x : *it) {
    if (!x.is_string() || std::find(all_modules().begin(), all_modules().end(), x.get<std::string>()) == all_modules().end()) {
      call.error(400, "Z00224", "unknown module: " + x.dump());
      return std::nullopt;
    }
    out.push_back(x.get<std::string>());
  }
  return out;
}

Json public_user(const model::User& u) {
  return {{"id", u.id}, {"username", u.username}, {"name", u.name}, {"kind", std::string(model::user_kind_name(u.kind))},
          {"fund", u.fund}, {"second_factor", u.totp_confirmed},
          {"second_factor_method", u.second_factor_method}, {"locked", u.locked_until > 0}};
}

void list_users(Call& call) {
  const Principal& who = *call.who;
  std::vector<Json> rows;
  // Each person with the memberships the caller may see: all of them for the administrator,
  // those of the providers a holder or supervisor manages.
  auto with_memberships = [&](const model::User& u, const std::vector<std::string>& managed) -> Result<Json> {
    Json j = public_user(u);
    auto ms = call.accounts.memberships(u.id);
    if (!ms) return fail(ms.error());
    Json list = Json::array();
    for (const auto& m : *ms)
      if (managed.empty() || std::find(managed.begin(), managed.end(), m.inami) != managed.end())
        list.push_back({{"provider", m.inami}, {"role", m.role}, {"modules", m.modules}});
    j["memberships"] = list;
    return j;
  };
  if (is_admin(who)) {
    auto all = call.accounts.users();
    if (!all) return call.error(500, all.error());
    for (const auto& u : *all) {
      auto j = with_memberships(u, {});
      if (!j) return call.error(500, j.error());
      rows.push_back(std::move(*j));
    }
  } else {
    // A supervisor or mandate holder sees the people of its providers; no one else lists users.
    auto manages = [](const model::Membership& m) { return m.role == "supervisor" || m.role == "holder"; };
    if (!std::any_of(who.memberships.begin(), who.memberships.end(), manages))
      return call.error(403, "Z00223", "only a support administrator, a mandate holder or a supervisor lists users");
    std::vector<int64_t> seen;
    std::vector<std::string> managed;
    for (const auto& m : who.memberships)
      if (manages(m)) managed.push_back(m.inami);
    for (const auto& m : who.memberships) {
      if (!manages(m)) continue;
      auto members = call.accounts.members_of(m.inami);
      if (!members) return call.error(500, members.error());
      for (const auto& x : *members) {
        if (std::find(seen.begin(), seen.end(), x.user_id) != seen.end()) continue;
        seen.push_back(x.user_id);
        auto u = call.accounts.user(x.user_id);
        if (!u) return call.error(500, u.error());
        if (!*u) continue;
        auto j = with_memberships(**u, managed);
        if (!j) return call.error(500, j.error());
        rows.push_back(std::move(*j));
      }
    }
  }
  call.note("read", "users");
  answer_list(call, rows, "users");
}

// The support administrator makes any account. A holder or supervisor registers a person of
// its provider: a provider account with its membership ("provider", "role" collaborator, or
// supervisor for the holder, "modules") in the same call.
void create_user(Call& call) {
  auto body = call.body();
  if (!body) return;
  std::optional<model::Membership> with;
  if (!is_admin(*call.who)) {
    model::Membership m{0, text_of(*body, "provider"), text_of(*body, "role"), {}};
    if (m.inami.empty() || (m.role != "collaborator" && m.role != "supervisor") || !may_grant(*call.who, m.inami, m.role))
      return call.error(403, "Z00223",
                        "only a support administrator creates accounts; a supervisor or the mandate holder registers the "
                        "collaborators of its provider (provider, role collaborator), the holder its supervisors");
    auto modules = modules_of(call, *body);
    if (!modules) return;
    m.modules = *modules;
    with = m;
  }
  model::User u;
  u.username = text_of(*body, "username");
  static const std::regex name_re(R"([a-z0-9][a-z0-9._@-]{2,63})");
  if (!std::regex_match(u.username, name_re))
    return call.error(400, "Z00224", "a username has 3 to 64 characters: lowercase letters, digits, '.', '_', '@', '-'");
  auto kind = model::user_kind_from(text_of(*body, "kind").empty() ? "provider" : text_of(*body, "kind"));
  if (!kind) return call.error(400, "Z00224", "kind is admin, staff or provider");
  if (with && *kind != model::UserKind::Provider) return call.error(403, "Z00223", "a provider's people are provider accounts");
  u.kind = *kind;
  u.name = text_of(*body, "name");
  u.email = text_of(*body, "email");
  u.phone = text_of(*body, "phone");
  u.fund = text_of(*body, "fund");
  if (!u.fund.empty() && u.kind != model::UserKind::Staff) return call.error(400, "Z00224", "only fund staff work for a fund");
  // Of several funds, staff work for one of them, and see only its data.
  if (u.kind == model::UserKind::Staff && several_funds(call.options) &&
      std::none_of(call.options.funds.begin(), call.options.funds.end(), [&](const FundOption& f) { return f.number == u.fund; }))
    return call.error(400, "Z00224", "fund: the number of the fund the staff member works for (GET /api/v1/funds)");
  const std::string once = one_time_password();
  auto hash = hash_password(once);
  if (!hash) return call.error(500, hash.error());
  u.password_hash = *hash;
  u.must_change_password = true;
  u.created = call.now;
  auto id = call.accounts.create_user(u);
  if (!id) return call.error(id.error().code == "Z00211" ? 409 : 500, id.error());
  u.id = *id;
  if (with) {
    with->user_id = *id;
    if (auto w = call.accounts.set_membership(*with); !w) return call.error(500, w.error());
  }
  call.note("change", fmt::format("users/{}", *id), with ? with->inami : "");
  Json out = public_user(u);
  out["one_time_password"] = once;
  call.json(201, out);
}

// PUT /api/v1/users/{id}/memberships {provider, role, modules}; DELETE with ?provider=&role=.
void set_membership(Call& call) {
  const Principal& who = *call.who;
  auto body = call.body();
  if (!body) return;
  model::Membership m;
  m.user_id = std::stoll(call.req.matches[1]);
  m.inami = text_of(*body, "provider");
  m.role = text_of(*body, "role");
  static const std::regex inami_re(R"(\d{11}|\*)");
  if (!std::regex_match(m.inami, inami_re))
    return call.error(400, "Z00224", "provider is an INAMI number of 11 digits (a fictitious one starts with 9)");
  if (m.role != "holder" && m.role != "supervisor" && m.role != "collaborator" && m.role != "staff")
    return call.error(400, "Z00224", "role is holder, supervisor, collaborator or staff");
  auto modules = modules_of(call, *body);
  if (!modules) return;
  m.modules = *modules;
  // A holder or supervisor grants its own provider's collaborators their modules, the holder
  // makes supervisors; the rest is the support administrator's (the only one who changes a
  // mandate holder).
  if (!may_grant(who, m.inami, m.role)) return call.error(403, "Z00223", "you may not change this membership");
  auto u = call.accounts.user(m.user_id);
  if (!u) return call.error(500, u.error());
  if (!*u) return call.error(404, "Z00210", "no such user");
  if ((m.role == "staff") != ((*u)->kind == model::UserKind::Staff))
    return call.error(400, "Z00224", "only fund staff have staff memberships, and they have only those");
  if (m.inami == "*" && m.role != "staff") return call.error(400, "Z00224", "'*' (every provider) is for fund staff only");
  if (auto w = call.accounts.set_membership(m); !w) return call.error(500, w.error());
  call.note("change", fmt::format("users/{}/memberships", m.user_id), m.inami == "*" ? "" : m.inami);
  call.json(200, {{"user", m.user_id}, {"provider", m.inami}, {"role", m.role}, {"modules", m.modules}});
}

void remove_membership(Call& call) {
  const Principal& who = *call.who;
  const int64_t user_id = std::stoll(call.req.matches[1]);
  const std::string inami = call.param("provider"), role = call.param("role");
  if (!may_grant(who, inami, role)) return call.error(403, "Z00223", "you may not change this membership");
  if (auto w = call.accounts.remove_membership(user_id, inami, role); !w) return call.error(500, w.error());
  call.note("change", fmt::format("users/{}/memberships", user_id), inami == "*" ? "" : inami);
  call.json(200, {{"removed", true}});
}

// The support administrator resets a person's second factor (a lost phone): every session of
// theirs ends, and the next sign-in sets a factor up again.
void reset_second_factor(Call& call) {
  if (!is_admin(*call.who)) return call.error(403, "Z00223", "only a support administrator resets a second factor");
  const int64_t id = std::stoll(call.req.matches[1]);
  auto u = call.accounts.user(id);
  if (!u) return call.error(500, u.error());
  if (!*u) return call.error(404, "Z00210", fmt::format("no user {}", id));
  model::User user = **u;
  user.totp_confirmed = false;
  user.totp_secret.clear();
  user.totp_last_step = 0;
  user.second_factor_method = "totp";
  if (auto w = call.accounts.update_user(user); !w) return call.error(500, w.error());
  if (auto w = call.accounts.delete_sessions_of(id); !w) return call.error(500, w.error());
  call.note("change", fmt::format("users/{}/second-factor", id));
  call.json(200, public_user(user));
}

}  // namespace

std::vector<Route> user_routes() {
  return {
      {"GET", "/api/v1/users", Access::Full, list_users},
      {"POST", "/api/v1/users", Access::Full, create_user},
      {"PUT", R"(/api/v1/users/(\d{1,18})/memberships)", Access::Full, set_membership},
      {"DELETE", R"(/api/v1/users/(\d{1,18})/memberships)", Access::Full, remove_membership},
      {"DELETE", R"(/api/v1/users/(\d{1,18})/second-factor)", Access::Full, reset_second_factor},
  };
}

}  // namespace mutua::server
