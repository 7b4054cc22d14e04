// Pages for people without a session: a provider registered by its mandate holder (the signed
// mandate and an ID copy attached), a lost password or username; and the fund staff's side of
// registrations: the list, one registration with its documents, and the decision.
#include <fmt/format.h>

#include "server/portal.h"

namespace mutua::server {

namespace {

void register_form(PageCall& page) { page.show("register", PortalJson::object(), page.t("title_register")); }

void register_provider(PageCall& page) {
  auto a = page.api_form("/api/v1/registrations");
  if (a.status == 202) return page.show("done", {{"text", page.t("register_done")}}, page.t("title_register"));
  PortalJson view = {{"problem", page.t(a.status == 409 ? "register_taken" : "register_refused")}, {"detail", api_message(a)}};
  for (const char* k : {"provider", "name", "email", "phone", "username", "text"}) view[k] = page.field(k);
  page.show("register", view, page.t("title_register"), a.status == 409 ? 409 : 400);
}

void forgot_form(PageCall& page) { page.show("forgot", PortalJson::object(), page.t("title_forgot")); }

// Both answer the same whether an account matches or not (as the API does).
void forgot_password(PageCall& page) {
  auto a = page.api("POST", "/api/v1/password-resets", {}, {{"username", page.field("username")}});
  if (a.status == 429) return page.show("forgot", {{"problem", page.t("sign_in_too_soon")}}, page.t("title_forgot"), 429);
  page.show("done", {{"text", page.t("forgot_password_sent")}}, page.t("title_forgot"));
}

void forgot_username(PageCall& page) {
  auto a = page.api("POST", "/api/v1/username-reminders", {}, {{"email", page.field("email")}});
  if (a.status == 429) return page.show("forgot", {{"problem", page.t("sign_in_too_soon")}}, page.t("title_forgot"), 429);
  page.show("done", {{"text", page.t("forgot_username_sent")}}, page.t("title_forgot"));
}

bool token_ok(const std::string& token) {
  return token.size() == 64 && token.find_first_not_of("0123456789abcdef") == std::string::npos;
}

void reset_form(PageCall& page) {
  const std::string token = page.field("token");
  if (!token_ok(token)) return page.show_error(404, page.t("reset_bad_link"));
  page.show("reset", {{"token", token}}, page.t("title_reset"));
}

void reset_password(PageCall& page) {
  const std::string token = page.field("token");
  if (!token_ok(token)) return page.show_error(404, page.t("reset_bad_link"));
  if (page.field("new") != page.field("again"))
    return page.show("reset", {{"token", token}, {"problem", page.t("password_differ")}}, page.t("title_reset"), 400);
  auto a = page.api("POST", "/api/v1/password-resets/" + token, {}, {{"new", page.field("new")}});
  if (a.status == 200) return page.show("done", {{"text", page.t("reset_done")}, {"sign_in", true}}, page.t("title_reset"));
  if (a.status == 400)
    return page.show("reset", {{"token", token}, {"problem", page.t("sign_in_refused")}, {"detail", api_message(a)}}, page.t("title_reset"), 400);
  page.show_error(a.status == 404 || a.status == 410 ? 404 : a.status, page.t("reset_bad_link"));
}

// Fund staff (or a support administrator): one registration, its documents, the decision.
void registration(PageCall& page) {
  if (!page.signed_in()) return;
  const std::string id = page.req.matches[1];
  PortalJson notice;
  if (page.req.method == "POST") {
    PortalJson body = {{"decision", page.field("decision")}, {"note", page.field("note")}};
    if (!page.field("username").empty()) body["username"] = page.field("username");
    auto d = page.api("POST", "/api/v1/registrations/" + id + "/decision", {}, body);
    notice = d.status == 200 ? PortalJson{{"text", page.t("registration_decided")}}
                             : PortalJson{{"problem", true}, {"text", page.t("people_refused")}, {"detail", api_message(d)}};
  }
  auto a = page.api("GET", "/api/v1/registrations/" + id);
  if (a.status != 200 || !a.json.is_object()) return page.show_error(a.status, page.t("error_title"), a.json);
  const auto& g = a.json;
  PortalJson facts = PortalJson::array();
  for (const char* k : {"provider", "name", "email", "phone", "username", "state", "submitted", "decided", "decided_by", "note"}) {
    std::string v = g.contains(k) && g[k].is_string() ? g[k].get<std::string>() : "";
    if (std::string(k) == "state") v = page.t("status_" + v);
    if ((std::string(k) == "submitted" || std::string(k) == "decided") && !v.empty()) v = date_text(v, page.lang);
    facts.push_back({{"label", page.t(std::string("col_") + k)}, {"text", v}});
  }
  PortalJson documents = PortalJson::array();
  for (const auto& d : g.value("documents", PortalJson::array()))
    documents.push_back({{"name", d.value("name", "")}, {"href", d.value("href", "")}});
  PortalJson view = {{"facts", facts}, {"documents", documents}, {"id", id}, {"open", g.value("state", "") == "submitted"}};
  if (notice.is_object()) view["notice"] = notice;
  page.show("registration", view, fmt::format(fmt::runtime(page.t("title_registration")), g.value("provider", "")));
}

}  // namespace

std::vector<PageRoute> public_pages() {
  return {
      {"GET", "/register", register_form},
      {"POST", "/register", register_provider},
      {"GET", "/forgot", forgot_form},
      {"POST", "/forgot/password", forgot_password},
      {"POST", "/forgot/username", forgot_username},
      {"GET", "/reset-password", reset_form},
      {"POST", "/reset-password", reset_password},
      {"GET", R"(/registrations/(\d{1,18}))", registration},
      {"POST", R"(/registrations/(\d{1,18}))", registration},
  };
}

}  // namespace mutua::server
