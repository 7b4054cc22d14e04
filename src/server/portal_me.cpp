// One's own account (personal data), "select a third party" (the session then acts for that
// one provider only), and the mass insurability consultation: a CSV of niss,date rows up, the
// answers' CSV down.
#include <fmt/format.h>

#include "server/portal.h"

namespace mutua::server {

namespace {

void show_me(PageCall& page, PortalJson notice = nullptr) {
  PortalJson providers = PortalJson::array();
  bool every = false;
  for (const auto& m : page.me.value("providers", PortalJson::array())) {
    const std::string p = m.value("provider", "");
    if (p == "*") every = true;
    else providers.push_back({{"value", p}, {"selected", p == page.me.value("acting_for", "")}});
  }
  PortalJson view = {{"name", page.me.value("name", "")},
                     {"email", page.me.value("email", "")},
                     {"phone", page.me.value("phone", "")},
                     {"username", page.me.value("username", "")},
                     {"acting_for", page.me.value("acting_for", "")},
                     {"providers", providers},
                     {"every", every},
                     {"may_act", every || providers.size() > 1}};
  if (notice.is_object()) view["notice"] = notice;
  page.show("me", view, page.t("title_me"));
}

void me(PageCall& page) {
  if (!page.signed_in()) return;
  show_me(page);
}

void change_me(PageCall& page) {
  if (!page.signed_in()) return;
  auto a = page.api("PATCH", "/api/v1/me", {}, {{"name", page.field("name")}, {"email", page.field("email")}, {"phone", page.field("phone")}});
  if (a.status != 200) return show_me(page, {{"problem", true}, {"text", page.t("people_refused")}, {"detail", api_message(a)}});
  page.me = page.api("GET", "/api/v1/me").json;
  show_me(page, {{"text", page.t("me_saved")}});
}

void act_for(PageCall& page) {
  if (!page.signed_in()) return;
  auto a = page.api("POST", "/api/v1/sessions/current/third-party", {}, {{"provider", page.field("provider")}});
  if (a.status != 200) return show_me(page, {{"problem", true}, {"text", page.t("people_refused")}, {"detail", api_message(a)}});
  page.redirect("/");
}

// The answers come back as a CSV download, one row per row asked.
void mass_insurability(PageCall& page) {
  if (!page.signed_in()) return;
  if (!page.has_module("insurability")) return page.show_error(403, page.t("error_no_module"));
  const std::string csv = page.req.has_file("csv") ? page.req.get_file_value("csv").content : "";
  httplib::Params params;
  if (!page.field("provider").empty()) params.emplace("provider", page.field("provider"));
  auto a = page.api_raw("/api/v1/insurability/mass", params, csv, "text/csv");
  if (a.status / 100 != 2) {
    return page.show("insurability", {{"mass_problem", page.t("list_ask")}, {"detail", api_message(a)}, {"provider", page.field("provider")}},
                     page.t("title_insurability"), 200);
  }
  page.res.status = 200;
  page.res.set_header("Content-Disposition", "attachment; filename=\"insurability-answers.csv\"");
  for (const char* h : {"X-Rows-Answered", "X-Rows-Refused"})
    for (const auto& [name, value] : a.headers)
      if (name == h) page.res.set_header(h, value);
  page.res.set_content(a.raw, "text/csv; charset=utf-8");
}

}  // namespace

std::vector<PageRoute> me_pages() {
  return {
      {"GET", "/me", me},
      {"POST", "/me", change_me},
      {"POST", "/third-party", act_for},
      {"POST", "/insurability/mass", mass_insurability},
  };
}

}  // namespace mutua::server
