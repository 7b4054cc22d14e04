// The service itself: health, the OpenAPI document, and a readable page of it.
#include <fmt/format.h>

#include "format/embedded.h"
#include "server/context.h"

namespace mutua::server {

namespace {

std::string html_escaped(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

void health(Call& call) { call.json(200, {{"status", "ok"}}); }

void openapi(Call& call) { call.res.set_content(std::string(embedded::openapi_document()), "application/json"); }

// Every operation with its method, path, summary and answers: the document, readable.
void api_page(Call& call) {
  const Json doc = Json::parse(embedded::openapi_document());
  std::string body = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>" +
                     html_escaped(doc["info"]["title"].get<std::string>()) + "</title></head><body><main><h1>" +
                     html_escaped(doc["info"]["title"].get<std::string>()) + "</h1><p>" +
                     html_escaped(doc["info"]["description"].get<std::string>()) +
                     "</p><p>The document itself: <a href=\"/openapi.json\">/openapi.json</a>.</p>";
  for (const auto& [path, ops] : doc["paths"].items())
    for (const auto& [method, op] : ops.items()) {
      body += fmt::format("<section><h2>{} {}</h2><p>{}</p><ul>", method == "delete" ? "DELETE" : method == "get" ? "GET" : method == "post" ? "POST" : method == "put" ? "PUT" : "PATCH",
                          html_escaped(path), html_escaped(op.value("summary", "")));
      for (const auto& [status, r] : op["responses"].items())
        body += fmt::format("<li>{}: {}</li>", html_escaped(status), html_escaped(r.value("description", "")));
      body += "</ul></section>";
    }
  body += "</main></body></html>";
  call.res.set_header("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
  call.res.set_content(body, "text/html; charset=utf-8");
}

// The funds (unions) this deployment serves: their numbers are what ?fund= takes.
void funds(Call& call) {
  Json items = Json::array();
  for (const auto& f : call.options.funds) items.push_back({{"number", f.number}, {"name", f.name}});
  call.json(200, {{"items", items}, {"total", items.size()}});
}

}  // namespace

std::vector<Route> fund_routes() { return {{"GET", "/api/v1/funds", Access::Public, funds}}; }

std::vector<Route> meta_routes() {
  return {{"GET", "/health", Access::Public, health},
          {"GET", "/openapi.json", Access::Public, openapi},
          {"GET", "/api", Access::Public, api_page}};
}

}  // namespace mutua::server
