// The portal's frame: its files (templates, messages, CSS; embedded from data/portal), the
// language of each request, numbers and dates as each language writes them, rendering, and
// the assets. The pages themselves are in portal_sign_in.cpp and portal_modules.cpp.
#include "server/portal.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <regex>
#include <sstream>

#include <fmt/format.h>
#include <kainjow/mustache.hpp>

#include "server/auth.h"
#include "server/context.h"

namespace mutua::embedded {
const std::vector<std::pair<std::string_view, std::string_view>>& portal_files();
}

namespace mutua::server {

namespace {

std::string_view portal_file(std::string_view path) {
  for (const auto& [name, bytes] : embedded::portal_files())
    if (name == path) return bytes;
  return {};
}

// data/portal/messages.tsv: key, then one column per language (en fr nl de).
struct Messages {
  std::map<std::string, std::map<std::string, std::string>> by_lang;  // lang -> key -> text
  std::vector<std::string> keys;
};

const Messages& messages() {
  static const Messages m = [] {
    Messages out;
    std::istringstream in{std::string(portal_file("messages.tsv"))};
    std::string line;
    std::vector<std::string> langs;
    auto split = [](const std::string& l) {
      std::vector<std::string> cells;
      size_t start = 0;
      for (size_t tab; (tab = l.find('\t', start)) != std::string::npos; start = tab + 1) cells.push_back(l.substr(start, tab - start));
      cells.push_back(l.substr(start));
      return cells;
    };
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      auto cells = split(line);
      if (langs.empty()) {  // the header
        langs.assign(cells.begin() + 1, cells.end());
        continue;
      }
      out.keys.push_back(cells[0]);
      for (size_t i = 1; i < cells.size() && i <= langs.size(); ++i)
        if (!cells[i].empty()) out.by_lang[langs[i - 1]][cells[0]] = cells[i];
    }
    return out;
  }();
  return m;
}

std::string cookie_value(const httplib::Request& req, const std::string& name) {
  return cookie_in(req.get_header_value("Cookie"), name);
}

bool spoken(const std::string& lang) {
  const auto& l = portal_languages();
  return std::find(l.begin(), l.end(), lang) != l.end();
}

std::string grouped(int64_t n, const std::string& sep) {
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += sep;
    out += digits[i];
  }
  return (n < 0 ? "-" : "") + out;
}

using Data = kainjow::mustache::data;

Data data_of(const PortalJson& j) {
  if (j.is_object()) {
    Data d(Data::type::object);
    for (const auto& [k, v] : j.items()) d.set(k, data_of(v));
    return d;
  }
  if (j.is_array()) {
    Data d(Data::type::list);
    for (const auto& v : j) d.push_back(data_of(v));
    return d;
  }
  // An empty text is false, as in JavaScript's mustache: {{#comment}}...{{/comment}} shows
  // nothing when there is no comment.
  if (j.is_string()) {
    const auto& text = j.get_ref<const std::string&>();
    return text.empty() ? Data(false) : Data(text);
  }
  if (j.is_boolean()) return Data(j.get<bool>());
  if (j.is_null()) return Data(false);
  return Data(j.dump());
}

// A template in one language: its {{t.key}} replaced by the message, escaped, once per template
// and language (rendering them per request copied every message into each page's data).
const std::string& localized_template(const std::string& name, const std::string& lang) {
  static std::mutex m;
  static std::map<std::string, std::string> made;
  const std::string key = name + "#" + lang;
  std::lock_guard<std::mutex> lock(m);
  auto it = made.find(key);
  if (it != made.end()) return it->second;
  const std::string source(portal_file("templates/" + name + ".mustache"));
  static const std::regex tag(R"(\{\{\s*t\.([A-Za-z0-9_\-/ ]+?)\s*\}\})");
  std::string out;
  auto begin = std::sregex_iterator(source.begin(), source.end(), tag);
  size_t at = 0;
  for (auto i = begin; i != std::sregex_iterator(); ++i) {
    out += source.substr(at, static_cast<size_t>(i->position()) - at);
    out += html_escaped_text(message(lang, (*i)[1]));
    at = static_cast<size_t>(i->position() + i->length());
  }
  out += source.substr(at);
  return made.emplace(key, std::move(out)).first->second;
}

// Each thread keeps its templates parsed (a parsed template renders one page at a time).
std::string render(const std::string& name, const std::string& lang, const Data& view) {
  thread_local std::map<std::string, std::unique_ptr<kainjow::mustache::mustache>> parsed;
  auto& m = parsed[name + "#" + lang];
  if (!m) {
    const std::string& tmpl = localized_template(name, lang);
    if (tmpl.empty()) return "<p>template " + name + " is missing</p>";
    m = std::make_unique<kainjow::mustache::mustache>(tmpl);
  }
  if (!m->is_valid()) return "<p>template " + name + ": " + m->error_message() + "</p>";
  return m->render(view);
}

const char* content_type_of(const std::string& path) {
  if (path.ends_with(".css")) return "text/css; charset=utf-8";
  if (path.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (path.ends_with(".svg")) return "image/svg+xml";
  return "text/plain; charset=utf-8";
}

void set_only(httplib::Response& res, const std::string& name, const std::string& value) {
  res.headers.erase(name);
  res.set_header(name, value);
}

}  // namespace

std::string html_escaped_text(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '"') out += "&quot;";
    else if (c == '\'') out += "&#39;";
    else out += c;
  }
  return out;
}

std::string api_message(const ApiAnswer& a) {
  return a.json.is_object() && a.json.contains("error") && a.json["error"].is_object() ? a.json["error"].value("message", "") : "";
}

namespace {
const std::string kEnglish = "en";  // the language of every message's last resort
}  // namespace

std::string message(const std::string& lang, const std::string& key) {
  const auto& m = messages().by_lang;
  for (const std::string* l : {&lang, &kEnglish}) {
    auto in = m.find(*l);
    if (in == m.end()) continue;
    auto it = in->second.find(key);
    if (it != in->second.end()) return it->second;
  }
  return key;
}

std::string chosen_language(const httplib::Request& req) {
  if (const std::string picked = cookie_value(req, "mutua_lang"); spoken(picked)) return picked;
  // Accept-Language: "nl-BE,nl;q=0.9,fr;q=0.8": the highest q the portal speaks.
  std::string best = "fr";
  double best_q = -1;
  std::stringstream in(req.get_header_value("Accept-Language"));
  std::string part;
  while (std::getline(in, part, ',')) {
    part.erase(0, part.find_first_not_of(' '));
    double q = 1;
    if (auto semi = part.find(";q="); semi != std::string::npos) {
      try {
        q = std::stod(part.substr(semi + 3));
      } catch (...) {
        q = 0;
      }
      part.resize(semi);
    }
    std::string lang = part.substr(0, part.find('-'));
    std::transform(lang.begin(), lang.end(), lang.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (spoken(lang) && q > best_q) {
      best = lang;
      best_q = q;
    }
  }
  return best;
}

std::string number_text(int64_t n, const std::string& lang) {
  if (lang == "en") return grouped(n, ",");
  if (lang == "fr") return grouped(n, "\u202f");  // narrow no-break space, as French writes thousands
  return grouped(n, ".");
}

std::string money_text(int64_t cents, const std::string& lang) {
  const int64_t whole = cents / 100, rest = (cents < 0 ? -cents : cents) % 100;
  const std::string sign = cents < 0 && whole == 0 ? "-" : "";
  if (lang == "en") return fmt::format("€{}{}.{:02d}", sign, number_text(whole, lang), rest);
  if (lang == "nl") return fmt::format("€\u00a0{}{},{:02d}", sign, number_text(whole, lang), rest);
  return fmt::format("{}{},{:02d}\u00a0€", sign, number_text(whole, lang), rest);
}

std::string date_text(const std::string& iso, const std::string& lang) {
  // YYYY-MM-DD, perhaps followed by a time ("T" or " ", then HH:MM and more).
  auto digits = [&](size_t from, size_t n) {
    for (size_t i = from; i < from + n; ++i)
      if (i >= iso.size() || iso[i] < '0' || iso[i] > '9') return false;
    return true;
  };
  if (!digits(0, 4) || iso.size() < 10 || iso[4] != '-' || !digits(5, 2) || iso[7] != '-' || !digits(8, 2)) return iso;
  const bool timed = iso.size() > 10 && (iso[10] == 'T' || iso[10] == ' ') && digits(11, 2) && iso.size() > 13 &&
                     iso[13] == ':' && digits(14, 2);
  if (iso.size() > 10 && !timed) return iso;
  const std::string sep = lang == "de" ? "." : "/";
  std::string out = iso.substr(8, 2) + sep + iso.substr(5, 2) + sep + iso.substr(0, 4);
  if (timed) out += " " + iso.substr(11, 5) + " UTC";
  return out;
}

std::string month_text(const std::string& yyyy_mm, const std::string& lang) {
  if (yyyy_mm.size() != 7 || yyyy_mm[4] != '-') return yyyy_mm;
  return yyyy_mm.substr(5, 2) + (lang == "de" ? "." : "/") + yyyy_mm.substr(0, 4);
}

// ---- one page

PageCall::PageCall(const httplib::Request& req, httplib::Response& res, const ApiDispatch& api, const ServeOptions& options)
    : req(req), res(res), options(options), lang(chosen_language(req)), dispatch_(api) {}

ApiAnswer PageCall::api(const std::string& method, const std::string& path, const httplib::Params& params, const PortalJson& body) {
  ApiRequest call;
  call.method = method;
  call.path = path;
  call.params = params;
  if (!body.is_null()) call.body = body.dump();
  if (method != "GET") call.csrf = field("csrf");
  call.audit = &audit;
  call.known = &known;
  return dispatch_(req, call);
}

ApiAnswer PageCall::api_raw(const std::string& path, const httplib::Params& params, const std::string& body,
                           const std::string& content_type) {
  ApiRequest call;
  call.method = "POST";
  call.path = path;
  call.params = params;
  call.body = body;
  call.content_type = content_type;
  call.csrf = field("csrf");
  call.audit = &audit;
  call.known = &known;
  return dispatch_(req, call);
}

ApiAnswer PageCall::api_form(const std::string& path) {
  ApiRequest call;
  call.method = "POST";
  call.path = path;
  call.csrf = field("csrf");
  call.forward_form = true;
  call.content_type.clear();
  call.audit = &audit;
  call.known = &known;
  return dispatch_(req, call);
}

std::string PageCall::field(const std::string& name) const {
  if (req.has_param(name.c_str())) return req.get_param_value(name.c_str());
  // A multipart form's text fields arrive with its files.
  if (req.has_file(name.c_str())) return req.get_file_value(name.c_str()).content;
  return std::string();
}

std::string PageCall::csrf() const {
  const std::string token = cookie_value(req, "mutua_session");
  return token.empty() ? std::string() : sha256_hex("csrf:" + token);
}

// Who a session is, kept a few seconds for the pages read in a row (the menu and the sign-in
// steps come from it). It decides nothing: every call a page makes is authorised again by the
// API. A page that changes something reads it afresh.
namespace {
constexpr auto kMeSeconds = std::chrono::seconds(5);
std::mutex me_mutex;
std::map<std::string, std::pair<std::chrono::steady_clock::time_point, PortalJson>> me_kept;  // by the token's hash
}  // namespace

bool PageCall::signed_in() {
  const std::string token = cookie_value(req, "mutua_session");
  if (token.empty()) {
    redirect("/sign-in");
    return false;
  }
  const std::string key = sha256_hex(token);
  const auto now = std::chrono::steady_clock::now();
  bool kept = false;
  if (req.method == "GET") {
    std::lock_guard<std::mutex> lock(me_mutex);
    if (auto it = me_kept.find(key); it != me_kept.end() && now - it->second.first < kMeSeconds) {
      me = it->second.second;
      kept = true;
    }
  }
  if (!kept) {
    auto a = api("GET", "/api/v1/me");
    if (a.status != 200 || !a.json.is_object()) {
      std::lock_guard<std::mutex> lock(me_mutex);
      me_kept.erase(key);
      redirect("/sign-in");
      return false;
    }
    me = a.json;
    std::lock_guard<std::mutex> lock(me_mutex);
    if (me_kept.size() > 10000) me_kept.clear();
    me_kept[key] = {now, me};
  }
  const std::string next = me.value("next", "ready");
  if (next != "ready") {
    redirect(next == "change-password" ? "/sign-in/password" : next == "set-up-second-factor" ? "/sign-in/set-up" : "/sign-in/code");
    return false;
  }
  return true;
}

std::vector<std::string> PageCall::modules() const {
  std::vector<std::string> out;
  if (!me.is_object()) return out;
  const std::string kind = me.value("kind", "");
  static const PortalJson none = PortalJson::array();
  const auto providers = me.find("providers");
  const PortalJson& memberships = providers != me.end() && providers->is_array() ? *providers : none;
  for (const auto& module : all_modules()) {
    bool granted = false;
    for (const auto& m : memberships) {
      const std::string role = m.value("role", "");
      if (role == "staff" && kind != "staff") continue;
      if (module == "billing" && role == "staff") continue;  // the book is the provider's own
      const auto mods = m.find("modules");
      const bool listed = mods != m.end() && mods->is_array() && std::find(mods->begin(), mods->end(), module) != mods->end();
      if (role == "holder" || role == "supervisor" || role == "staff" || listed) granted = true;
    }
    if (granted) out.push_back(module);
  }
  return out;
}

std::string PageCall::own_provider() const {
  std::string provider = field("provider");
  if (provider.empty() && me.is_object()) provider = me.value("acting_for", "");
  if (provider.empty() && me.is_object()) {
    std::vector<std::string> mine;
    for (const auto& m : me.value("providers", PortalJson::array()))
      if (m.value("provider", "") != "*") mine.push_back(m.value("provider", ""));
    if (mine.size() == 1) provider = mine[0];
  }
  return provider.size() == 11 && provider.find_first_not_of("0123456789") == std::string::npos ? provider : "";
}

bool PageCall::has_module(const std::string& module) const {
  const auto m = modules();
  return std::find(m.begin(), m.end(), module) != m.end();
}

void PageCall::show(const std::string& tmpl, PortalJson view, const std::string& title, int status,
                    const std::function<void(Data&)>& more) {
  view["lang"] = lang;
  view["csrf"] = csrf();
  Data body_data = data_of(view);
  if (more) more(body_data);
  PortalJson frame = {{"lang", lang}, {"title", title}, {"csrf", csrf()}, {"path", req.path}};
  PortalJson langs = PortalJson::array();
  std::string here = req.path;
  for (const auto& l : portal_languages())
    langs.push_back({{"code", l}, {"name", message(l, "language_name")}, {"current", l == lang}});
  frame["languages"] = langs;
  frame["back"] = here;
  if (me.is_object()) {
    frame["me"] = {{"name", me.value("name", "")}, {"username", me.value("username", "")}, {"acting_for", me.value("acting_for", "")}};
    PortalJson nav = PortalJson::array();
    nav.push_back({{"href", "/"}, {"label", t("nav_home")}, {"current", req.path == "/"}});
    for (const auto& m : modules())
      nav.push_back({{"href", "/" + m}, {"label", t("module_" + m)}, {"current", req.path.rfind("/" + m, 0) == 0}});
    if (has_module("submissions"))
      nav.push_back({{"href", "/statistics"}, {"label", t("nav_statistics")}, {"current", req.path == "/statistics"}});
    bool manages = me.value("kind", "") == "admin";
    for (const auto& m : me.value("providers", PortalJson::array()))
      manages = manages || m.value("role", "") == "holder" || m.value("role", "") == "supervisor";
    if (manages) nav.push_back({{"href", "/people"}, {"label", t("nav_people")}, {"current", req.path.rfind("/people", 0) == 0}});
    if (me.value("kind", "") == "admin" || me.value("kind", "") == "staff") {
      nav.push_back({{"href", "/registrations"}, {"label", t("nav_registrations")}, {"current", req.path.rfind("/registrations", 0) == 0}});
      nav.push_back({{"href", "/audit"}, {"label", t("nav_audit")}, {"current", req.path == "/audit"}});
    }
    frame["nav"] = nav;
  }
  Data frame_data = data_of(frame);
  frame_data.set("body", render(tmpl, lang, body_data));
  res.status = status;
  set_only(res, "Content-Security-Policy",
           "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; form-action 'self'; "
           "frame-ancestors 'none'; base-uri 'none'");
  res.set_header("Content-Language", lang);
  res.set_header("Vary", "Accept-Language, Cookie");
  res.set_content(render("layout", lang, frame_data), "text/html; charset=utf-8");
}

void PageCall::show_error(int status, const std::string& text, const PortalJson& api_error) {
  PortalJson view = {{"message", text}};
  if (api_error.is_object() && api_error.contains("error")) {
    const auto& e = api_error["error"];
    view["code"] = e.value("code", "");
    view["detail"] = e.value("message", "");
  }
  show("error", view, t("error_title"), status);
}

void PageCall::redirect(const std::string& to) {
  res.status = 303;
  res.set_header("Location", to);
}

// ---- installing

void install_portal(httplib::Server& http, const ServeOptions& options, ApiDispatch dispatch, AuditCommit commit) {
  auto shared = std::make_shared<ApiDispatch>(std::move(dispatch));
  auto committing = std::make_shared<AuditCommit>(std::move(commit));
  auto add = [&](const PageRoute& page) {
    auto handler = [shared, committing, &options, page](const httplib::Request& req, httplib::Response& res) {
      PageCall call(req, res, *shared, options);
      try {
        page.handler(call);
      } catch (const std::exception& e) {
        // A page's own fault (the API answered): said on stderr, and an error page in its language.
        fmt::print(stderr, "page {} {}: {}\n", req.method, req.path, e.what());
        call.show_error(500, call.t("error_title"));
      }
      // A change (a step of signing in, a third party selected, signing out) may change who the
      // session is: read it afresh next time.
      if (req.method != "GET") {
        if (const std::string token = cookie_value(req, "mutua_session"); !token.empty()) {
          std::lock_guard<std::mutex> lock(me_mutex);
          me_kept.erase(sha256_hex(token));
        }
      }
      // Everything the page's calls read, committed at once before the page is given.
      if (!call.audit.empty() && !(*committing)(std::move(call.audit))) {
        res.headers.erase("Content-Disposition");
        res.headers.erase("Location");
        call.show_error(500, call.t("error_title"));
      }
    };
    if (page.method == "GET") http.Get(page.pattern, handler);
    else http.Post(page.pattern, handler);
  };
  for (const auto& p : sign_in_pages()) add(p);
  for (const auto& p : module_pages()) add(p);
  for (const auto& p : people_pages()) add(p);
  for (const auto& p : public_pages()) add(p);
  for (const auto& p : request_pages()) add(p);
  for (const auto& p : me_pages()) add(p);
  for (const auto& p : statistics_pages()) add(p);
  for (const auto& p : dispute_pages()) add(p);
  // The assets: CSS and the front-end libraries kept in data/portal/assets (with their
  // versions and licences), cached by browsers for a day.
  http.Get(R"(/assets/([a-z0-9][a-z0-9./-]{0,80}))", [](const httplib::Request& req, httplib::Response& res) {
    const std::string path = req.matches[1];
    const std::string_view bytes = path.find("..") == std::string::npos ? portal_file("assets/" + path) : std::string_view();
    if (bytes.empty()) {
      res.status = 404;
      return;
    }
    set_only(res, "Cache-Control", "public, max-age=86400");
    res.set_content(std::string(bytes), content_type_of(path));
  });
  // The language a person picks, kept a year in a cookie; back to the page they were on.
  http.Get("/language", [](const httplib::Request& req, httplib::Response& res) {
    const std::string to = req.has_param("to") ? req.get_param_value("to") : "";
    std::string back = req.has_param("back") ? req.get_param_value("back") : "/";
    if (back.empty() || back[0] != '/' || back.rfind("//", 0) == 0 || back.find_first_of("\r\n\\") != std::string::npos)
      back = "/";
    if (spoken(to)) res.set_header("Set-Cookie", "mutua_lang=" + to + "; Path=/; SameSite=Lax; Max-Age=31536000");
    res.status = 303;
    res.set_header("Location", back);
  });
}

}  // namespace mutua::server
