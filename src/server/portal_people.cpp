// Collaborator management (4CP's "gestion des collaborateurs"): a mandate holder or supervisor
// registers its provider's collaborators and picks their modules (the holder its supervisors
// too); the support administrator makes any account and sets any membership. Each form is one
// call of the users API, which decides who may do what.
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "server/context.h"
#include "server/portal.h"

namespace mutua::server {

namespace {

// The providers the person manages, and whether as holder.
std::vector<std::pair<std::string, bool>> managed_providers(const PageCall& page) {
  std::vector<std::pair<std::string, bool>> out;
  for (const auto& m : page.me.value("providers", PortalJson::array())) {
    const std::string role = m.value("role", ""), inami = m.value("provider", "");
    if (role == "holder" || role == "supervisor") out.emplace_back(inami, role == "holder");
  }
  return out;
}

bool is_admin_page(const PageCall& page) { return page.me.value("kind", "") == "admin"; }

PortalJson module_choices(const PageCall& page, const std::vector<std::string>& granted) {
  PortalJson out = PortalJson::array();
  for (const auto& m : all_modules())
    out.push_back({{"value", m},
                   {"label", page.t("module_" + m)},
                   {"checked", std::find(granted.begin(), granted.end(), m) != granted.end()}});
  return out;
}

void show_people(PageCall& page, PortalJson notice = nullptr) {
  const auto managed = managed_providers(page);
  const bool admin = is_admin_page(page);
  if (!admin && managed.empty()) return page.show_error(403, page.t("error_no_module"));
  auto a = page.api("GET", "/api/v1/users", {{"per_page", "500"}});
  if (a.status != 200 || !a.json.is_object()) return page.show_error(a.status, page.t("error_title"), a.json);
  PortalJson rows = PortalJson::array();
  const std::string my_name = page.me.value("username", "");
  for (const auto& u : a.json["items"]) {
    PortalJson memberships = PortalJson::array();
    for (const auto& m : u.value("memberships", PortalJson::array())) {
      std::vector<std::string> mods;
      for (const auto& x : m.value("modules", PortalJson::array())) mods.push_back(x.get<std::string>());
      std::string names;
      for (const auto& x : mods) names += (names.empty() ? "" : ", ") + page.t("module_" + x);
      const std::string role = m.value("role", "");
      const bool mine_to_change = role == "collaborator" && u.value("username", "") != my_name;
      memberships.push_back({{"provider", m.value("provider", "")},
                             {"role", page.t("role_" + role)},
                             {"role_value", role},
                             {"modules", names},
                             {"change", mine_to_change || admin},
                             {"choices", module_choices(page, mods)}});
    }
    rows.push_back({{"id", u.value("id", 0)},
                    {"username", u.value("username", "")},
                    {"name", u.value("name", "")},
                    {"kind", page.t("kind_" + u.value("kind", ""))},
                    {"second_factor", page.t(u.value("second_factor", false) ? "value_yes" : "value_no")},
                    {"locked", u.value("locked", false)},
                    {"memberships", memberships}});
  }
  PortalJson providers = PortalJson::array();
  bool holder = false;
  for (const auto& [inami, is_holder] : managed) {
    providers.push_back({{"value", inami}});
    holder = holder || is_holder;
  }
  PortalJson roles = PortalJson::array();
  roles.push_back({{"value", "collaborator"}, {"label", page.t("role_collaborator")}});
  if (holder || admin) roles.push_back({{"value", "supervisor"}, {"label", page.t("role_supervisor")}});
  if (admin) {
    roles.push_back({{"value", "holder"}, {"label", page.t("role_holder")}});
    roles.push_back({{"value", "staff"}, {"label", page.t("role_staff")}});
  }
  PortalJson kinds = PortalJson::array();
  for (const char* k : {"provider", "staff", "admin"}) kinds.push_back({{"value", k}, {"label", page.t(std::string("kind_") + k)}});
  PortalJson view = {{"people", rows},
                     {"admin", admin},
                     {"providers", providers},
                     {"roles", roles},
                     {"kinds", kinds},
                     {"choices", module_choices(page, {})},
                     {"total", fmt::format(fmt::runtime(page.t("list_total")), number_text(a.json.value("total", 0), page.lang))},
                     {"csv", "/api/v1/users?format=csv"},
                     {"xlsx", "/api/v1/users?format=xlsx"}};
  if (notice.is_object()) view["notice"] = notice;
  page.show("people", view, page.t("title_people"));
}

void people(PageCall& page) {
  if (!page.signed_in()) return;
  show_people(page);
}

std::vector<std::string> chosen_modules(const PageCall& page) {
  std::vector<std::string> out;
  auto range = page.req.params.equal_range("module");
  for (auto it = range.first; it != range.second; ++it) out.push_back(it->second);
  return out;
}

// A new account: the administrator's (any kind), or a holder's or supervisor's collaborator.
void add_person(PageCall& page) {
  if (!page.signed_in()) return;
  PortalJson body = {{"username", page.field("username")}, {"name", page.field("name")}, {"email", page.field("email")}};
  const bool admin = is_admin_page(page);
  if (admin) {
    body["kind"] = page.field("kind").empty() ? "provider" : page.field("kind");
    if (!page.field("fund").empty()) body["fund"] = page.field("fund");
  } else {
    body["provider"] = page.field("provider");
    body["role"] = page.field("role");
    body["modules"] = chosen_modules(page);
  }
  auto a = page.api("POST", "/api/v1/users", {}, body);
  if (a.status != 201) {
    return show_people(page, {{"problem", true},
                              {"text", page.t("people_refused")},
                              {"detail", a.json.is_object() && a.json.contains("error") ? a.json["error"].value("message", "") : ""}});
  }
  show_people(page, {{"text", fmt::format(fmt::runtime(page.t("people_made")), page.field("username"))},
                     {"password", a.json.value("one_time_password", "")}});
}

// A membership set (modules changed) or removed.
void change_membership(PageCall& page) {
  if (!page.signed_in()) return;
  const std::string id = page.req.matches.size() > 1 ? std::string(page.req.matches[1]) : page.field("user");
  if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos || id.size() > 18)
    return show_people(page, {{"problem", true}, {"text", page.t("people_refused")}});
  ApiAnswer a;
  if (page.field("remove") == "1") {
    a = page.api("DELETE", "/api/v1/users/" + id + "/memberships", {{"provider", page.field("provider")}, {"role", page.field("role")}});
  } else {
    a = page.api("PUT", "/api/v1/users/" + id + "/memberships", {},
                 {{"provider", page.field("provider")}, {"role", page.field("role")}, {"modules", chosen_modules(page)}});
  }
  if (a.status != 200) {
    return show_people(page, {{"problem", true},
                              {"text", page.t("people_refused")},
                              {"detail", a.json.is_object() && a.json.contains("error") ? a.json["error"].value("message", "") : ""}});
  }
  show_people(page, {{"text", page.t("people_changed")}});
}

}  // namespace

std::vector<PageRoute> people_pages() {
  return {
      {"GET", "/people", people},
      {"POST", "/people", add_person},
      {"POST", R"(/people/(\d{1,18})/membership)", change_membership},
      {"POST", "/people/membership", change_membership},
  };
}

}  // namespace mutua::server
