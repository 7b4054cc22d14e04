// Disputes through the portal: a provider's people open one (about a payment, an envoi or a
// line); its page shows the history; both sides comment; fund staff settle it (the amount
// becomes a regularisation) or close it. Each form is one call of the disputes API.
#include <cmath>

#include <fmt/format.h>

#include "server/portal.h"

namespace mutua::server {

namespace {

void new_dispute(PageCall& page) {
  if (!page.signed_in()) return;
  if (!page.has_module("disputes")) return page.show_error(403, page.t("error_no_module"));
  PortalJson view = {{"provider", page.field("provider")}, {"payment_reference", page.field("payment_reference")},
                     {"subject", page.field("subject")}};
  if (page.req.method == "POST") {
    PortalJson body = {{"subject", page.field("subject")}, {"account", page.field("account")}};
    if (const std::string p = page.own_provider(); !p.empty()) body["provider"] = p;
    if (!page.field("payment_reference").empty()) body["payment_reference"] = page.field("payment_reference");
    auto a = page.api("POST", "/api/v1/disputes", {}, body);
    if (a.status == 201 && a.json.is_object()) return page.redirect(fmt::format("/disputes/{}", a.json.value("id", 0)));
    view["problem"] = page.t("request_refused");
    view["detail"] = api_message(a);
  }
  page.show("dispute-new", view, page.t("title_dispute_new"), view.contains("problem") ? 400 : 200);
}

void dispute(PageCall& page) {
  if (!page.signed_in()) return;
  const std::string id = page.req.matches[1];
  PortalJson problem;
  if (page.req.method == "POST") {
    const std::string what = page.field("step");
    PortalJson body = {{"text", page.field("text")}};
    if (what == "settlement") {
      try {
        body["amount_cents"] = std::llround(std::stod(page.field("amount")) * 100);
      } catch (...) {
        body["amount_cents"] = "?";
      }
      body["account"] = page.field("account");
    }
    const std::string path = fmt::format("/api/v1/disputes/{}/{}", id, what == "settlement" || what == "closing" ? what : "comments");
    auto a = page.api("POST", path, {}, body);
    if (a.status == 200) return page.redirect("/disputes/" + id);
    problem = {{"text", page.t("request_refused")}, {"detail", api_message(a)}};
  }
  auto a = page.api("GET", "/api/v1/disputes/" + id);
  if (a.status != 200 || !a.json.is_object()) return page.show_error(a.status, page.t("request_missing"), a.json);
  const auto& d = a.json;
  PortalJson history = PortalJson::array();
  for (const auto& e : d.value("history", PortalJson::array()))
    history.push_back({{"date", date_text(e.value("date", ""), page.lang)},
                       {"kind", page.t("dispute_kind_" + e.value("kind", ""))},
                       {"text", e.value("text", "")},
                       {"by", e.value("by", "")},
                       {"amount", e.value("amount_cents", 0) ? money_text(e.value("amount_cents", 0), page.lang) : ""}});
  const std::string state = d.value("state", "");
  PortalJson view = {{"id", id},
                     {"facts", PortalJson::array({{{"label", page.t("col_state")}, {"text", page.t("status_" + state)}},
                                                  {{"label", page.t("col_provider")}, {"text", d.value("provider", "")}},
                                                  {{"label", page.t("col_account")}, {"text", d.value("account", "")}},
                                                  {{"label", page.t("col_payment_reference")}, {"text", d.value("payment_reference", "")}},
                                                  {{"label", page.t("col_opened")}, {"text", date_text(d.value("opened", ""), page.lang)}},
                                                  {{"label", page.t("col_amount_cents")},
                                                   {"text", money_text(d.value("amount_cents", 0), page.lang)}}})},
                     {"subject", d.value("subject", "")},
                     {"history", history},
                     {"open", state == "open" || state == "under review"},
                     {"staff", page.me.value("kind", "") == "staff"}};
  if (problem.is_object()) view["problem"] = problem;
  page.show("dispute", view, fmt::format(fmt::runtime(page.t("title_dispute")), id), problem.is_object() ? 400 : 200);
}

}  // namespace

std::vector<PageRoute> dispute_pages() {
  return {
      {"GET", "/disputes/new", new_dispute},
      {"POST", "/disputes/new", new_dispute},
      {"GET", R"(/disputes/(\d{1,18}))", dispute},
      {"POST", R"(/disputes/(\d{1,18}))", dispute},
  };
}

}  // namespace mutua::server
