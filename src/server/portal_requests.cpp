// Information requests through the portal: "ask a question" on a rejected line (or about a
// payment, or anything), with attachments; the thread of messages with its attachments, and a
// reply (or closing it). The sender gets a copy by mail (the API's).
#include <fmt/format.h>

#include "server/portal.h"

namespace mutua::server {

namespace {

bool digits(const std::string& s, size_t max) {
  return !s.empty() && s.size() <= max && s.find_first_not_of("0123456789") == std::string::npos;
}

void new_request_form(PageCall& page, PortalJson view = PortalJson::object(), int status = 200) {
  const std::string envoi = page.field("envoi"), record = page.field("record");
  view["envoi"] = digits(envoi, 18) ? envoi : "";
  view["record"] = digits(record, 9) ? record : "";
  view["payment_reference"] = page.field("payment_reference");
  view["provider"] = page.field("provider");
  if (!view.contains("subject"))
    view["subject"] = !view["record"].get<std::string>().empty()
                          ? fmt::format(fmt::runtime(page.t("request_about_line")), record, envoi)
                          : "";
  view["about_line"] = !view["envoi"].get<std::string>().empty();
  page.show("request-new", view, page.t("title_request_new"), status);
}

void new_request(PageCall& page) {
  if (!page.signed_in()) return;
  if (!page.has_module("requests")) return page.show_error(403, page.t("error_no_module"));
  if (page.req.method == "GET") return new_request_form(page);
  auto a = page.api_form("/api/v1/requests");
  if (a.status == 201 && a.json.is_object()) return page.redirect(fmt::format("/requests/{}", a.json.value("id", 0)));
  new_request_form(page, {{"problem", page.t("request_refused")}, {"detail", api_message(a)}, {"subject", page.field("subject")},
                          {"text", page.field("text")}},
                   a.status == 404 ? 404 : 400);
}

void request(PageCall& page) {
  if (!page.signed_in()) return;
  const std::string id = page.req.matches[1];
  PortalJson problem;
  if (page.req.method == "POST") {
    auto m = page.api_form("/api/v1/requests/" + id + "/messages");
    if (m.status == 201) return page.redirect("/requests/" + id);
    problem = {{"text", page.t("request_refused")}, {"detail", api_message(m)}};
  }
  auto a = page.api("GET", "/api/v1/requests/" + id);
  if (a.status != 200 || !a.json.is_object()) return page.show_error(a.status, page.t("request_missing"), a.json);
  const auto& r = a.json;
  PortalJson messages = PortalJson::array();
  for (const auto& m : r.value("messages", PortalJson::array())) {
    PortalJson files = PortalJson::array();
    for (const auto& f : m.value("attachments", PortalJson::array()))
      files.push_back({{"name", f.value("name", "")}, {"href", f.value("href", "")}});
    messages.push_back({{"author", m.value("author", "")},
                        {"from_fund", m.value("from_fund", false)},
                        {"at", date_text(m.value("at", ""), page.lang)},
                        {"text", m.value("text", "")},
                        {"files", files}});
  }
  const std::string state = r.value("state", "");
  PortalJson view = {{"id", id},
                     {"subject", r.value("subject", "")},
                     {"state", page.t("status_" + state)},
                     {"provider", r.value("provider", "")},
                     {"niss", r.value("niss", "")},
                     {"payment_reference", r.value("payment_reference", "")},
                     {"messages", messages},
                     {"open", state != "closed"}};
  if (r.contains("envoi") && r["envoi"].is_number_integer() && r["envoi"].get<int64_t>() > 0) {
    view["envoi_href"] = fmt::format("/submissions/{}", r["envoi"].get<int64_t>());
    view["record"] = r.contains("record") ? r["record"].dump() : "";
  }
  if (problem.is_object()) view["problem"] = problem;
  page.show("request", view, r.value("subject", page.t("title_requests")), problem.is_object() ? 400 : 200);
}

}  // namespace

std::vector<PageRoute> request_pages() {
  return {
      {"GET", "/requests/new", new_request},
      {"POST", "/requests/new", new_request},
      {"GET", R"(/requests/(\d{1,18}))", request},
      {"POST", R"(/requests/(\d{1,18}))", request},
  };
}

}  // namespace mutua::server
