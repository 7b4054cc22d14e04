// The portal: pages rendered on the server from the API's answers (docs/portal.md). A page is
// a client of the API made in the caller's name, so what a person sees and may do is exactly
// what the API authorises and audits; the pages add the language, the layout and the forms.
// Internal to src/server/.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <httplib.h>
#include <kainjow/mustache.hpp>
#include <nlohmann/json.hpp>

#include "mutua/model/store.h"
#include "mutua/server/server.h"
#include "server/context.h"

namespace mutua::server {

using PortalJson = nlohmann::ordered_json;

// A call to the API from a page.
struct ApiRequest {
  std::string method = "GET";
  std::string path;
  httplib::Params params;
  std::string body;
  std::string content_type = "application/json";
  std::string csrf;  // the token the page's form carried; the API checks it as X-CSRF-Token
  bool forward_form = false;  // the page's own multipart form (fields and files) is the body
  // Where the call's audit entries go (the page's): the page commits them all at once, and
  // answers only once they are (personal data is not given without its audit entry).
  std::vector<model::AuditEntry>* audit = nullptr;
  // Who the page's calls found signed in, for its next GET calls (Server::Impl::handle).
  std::optional<Principal>* known = nullptr;
};

struct ApiAnswer {
  int status = 0;
  PortalJson json;  // the body when it is JSON (discarded otherwise)
  std::string raw;
  std::string content_type;
  httplib::Headers headers;
};

using ApiDispatch = std::function<ApiAnswer(const httplib::Request& from, const ApiRequest& call)>;
// Commits a page's audit entries; false when they could not be written.
using AuditCommit = std::function<bool(std::vector<model::AuditEntry>)>;

// The languages of the portal, in the order offered.
inline const std::vector<std::string>& portal_languages() {
  static const std::vector<std::string> l = {"fr", "nl", "de", "en"};
  return l;
}

// The language a request is answered in: the one the person picked (cookie), else the first of
// Accept-Language the portal speaks, else French.
std::string chosen_language(const httplib::Request& req);
// The portal's message `key` in `lang` (the English text when a language lacks it).
std::string message(const std::string& lang, const std::string& key);

// Text made safe inside HTML (and its attributes).
std::string html_escaped_text(const std::string& s);
// What the API said of a refusal ("" when it said nothing).
std::string api_message(const ApiAnswer& a);

// Numbers, amounts and dates as each language writes them.
std::string money_text(int64_t cents, const std::string& lang);
std::string number_text(int64_t n, const std::string& lang);
std::string date_text(const std::string& iso, const std::string& lang);  // YYYY-MM-DD[T...]: the date, and the time if any
std::string month_text(const std::string& yyyy_mm, const std::string& lang);

// One request to a page: who asks (GET /api/v1/me), in which language, and how to answer.
class PageCall {
 public:
  PageCall(const httplib::Request& req, httplib::Response& res, const ApiDispatch& api, const ServeOptions& options);

  const httplib::Request& req;
  httplib::Response& res;
  const ServeOptions& options;
  std::string lang;
  PortalJson me;  // the signed-in person; null when not signed in (or not fully)
  std::vector<model::AuditEntry> audit;  // what the page's API calls read or changed
  std::optional<Principal> known;        // who its calls found signed in

  ApiAnswer api(const std::string& method, const std::string& path, const httplib::Params& params = {},
                const PortalJson& body = nullptr);
  // A body that is not JSON (a CSV, say).
  ApiAnswer api_raw(const std::string& path, const httplib::Params& params, const std::string& body, const std::string& content_type);
  // The page's multipart form (fields and files, as posted) sent on to the API.
  ApiAnswer api_form(const std::string& path);
  // Reads `me`; answers with the way to sign in and returns false when not fully signed in.
  bool signed_in();
  // The form's field (POST, urlencoded), or the query's.
  std::string field(const std::string& name) const;
  // The token a form of ours carries, from the session cookie; "" without one.
  std::string csrf() const;
  std::string t(const std::string& key) const { return message(lang, key); }
  // The modules the person may open, as the menu lists them.
  std::vector<std::string> modules() const;
  bool has_module(const std::string& module) const;
  // The provider a page is for: the one the form or query gives, else the one the session acts
  // for, else the person's only provider; "" when none is clear (fund staff of every provider).
  std::string own_provider() const;

  // `tmpl` rendered inside the layout, with `view` and the page's common data.
  // `more`: members put straight into the template's data (long lists: making them as JSON
  // first, then as the template's data, was a third of a page of 50 lines).
  void show(const std::string& tmpl, PortalJson view, const std::string& title, int status = 200,
            const std::function<void(kainjow::mustache::data&)>& more = nullptr);
  // An error page (status, a message, the API's code and label when there is one).
  void show_error(int status, const std::string& text, const PortalJson& api_error = nullptr);
  void redirect(const std::string& to);

 private:
  const ApiDispatch& dispatch_;
};

struct PageRoute {
  std::string method, pattern;
  std::function<void(PageCall&)> handler;
};

std::vector<PageRoute> sign_in_pages();
std::vector<PageRoute> module_pages();
std::vector<PageRoute> people_pages();
std::vector<PageRoute> public_pages();
std::vector<PageRoute> request_pages();
std::vector<PageRoute> me_pages();
std::vector<PageRoute> statistics_pages();
std::vector<PageRoute> dispute_pages();

// Installs the portal's pages and assets on `http`.
void install_portal(httplib::Server& http, const ServeOptions& options, ApiDispatch dispatch, AuditCommit commit);

}  // namespace mutua::server
