#include "mutua/server/server.h"

#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <regex>

#include <fmt/format.h>

#include "mutua/catalog.h"
#include "mutua/settlement/config.h"
#include "mutua/store/postgresql.h"
#include "server/audit_writer.h"
#include "server/auth.h"
#include "server/context.h"
#include "server/mail.h"
#include "server/portal.h"

namespace mutua::server {

// ---- the store pool

Result<void> StorePool::open(const std::string& where, size_t n) {
  for (size_t i = 0; i < std::max<size_t>(n, 1); ++i) {
    auto s = store::open_store_at(where);
    if (!s) return fail(s.error());
    idle_.push_back(std::move(*s));
  }
  return {};
}

StorePool::Lease StorePool::borrow() {
  std::unique_lock<std::mutex> lock(m_);
  if (waiting_.empty() && !idle_.empty()) {
    auto s = std::move(idle_.back());
    idle_.pop_back();
    return Lease(*this, std::move(s));
  }
  Waiter me;
  waiting_.push_back(&me);
  me.given.wait(lock, [&] { return me.store != nullptr; });
  return Lease(*this, std::move(me.store));
}

StorePool::Lease::~Lease() {
  if (!store_) return;
  std::lock_guard<std::mutex> lock(pool_.m_);
  if (pool_.waiting_.empty()) {
    pool_.idle_.push_back(std::move(store_));
    return;
  }
  Waiter* next = pool_.waiting_.front();
  pool_.waiting_.pop_front();
  next->store = std::move(store_);
  next->given.notify_one();
}

// ---- one call

void Call::json(int status, const Json& body) {
  if (typed) return json(status, Json(body));
  res.status = status;
  res.set_content(body.dump(1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json; charset=utf-8");
}

void Call::json(int status, Json&& body) {
  if (!typed) return json(status, static_cast<const Json&>(body));
  res.status = status;
  res.body.clear();
  res.set_header("Content-Type", "application/json; charset=utf-8");
  *typed = std::move(body);
}

void Call::error(int status, const std::string& code, const std::string& message) {
  Json e = {{"status", status}, {"code", code}, {"message", message}};
  if (auto label = Catalog::builtin().label(code, "en"); !label.empty()) e["label"] = std::string(label);
  json(status, {{"error", e}});
}

void Call::error(int status, const Error& err) {
  Json e = {{"status", status}, {"code", err.code}, {"message", err.message}};
  if (!err.file.empty()) e["file"] = err.file;
  if (err.record) e["record"] = err.record;
  if (!err.record_type.empty()) e["record_type"] = err.record_type;
  if (!err.zone.empty()) e["zone"] = err.zone;
  if (err.position) e["position"] = err.position;
  json(status, {{"error", e}});
}

void Call::note_patients(const std::string& action, const std::string& resource, const std::string& provider,
                         const std::set<std::string>& niss) {
  if (niss.empty()) note(action, resource, provider);
  for (const auto& n : niss) note(action, resource, provider, n);
}

void Call::note(const std::string& action, const std::string& resource, const std::string& provider,
                const std::string& niss) {
  model::AuditEntry e;
  e.at = now;
  if (who) {
    e.user_id = who->user.id;
    e.username = who->user.username;
  }
  e.action = action;
  e.resource = resource;
  e.provider = provider;
  e.niss = niss;
  audit.push_back(std::move(e));
}

std::string Call::param(const std::string& name, const std::string& fallback) const {
  return req.has_param(name.c_str()) ? req.get_param_value(name.c_str()) : fallback;
}

std::optional<Json> Call::body() {
  auto j = Json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    error(400, "Z00224", "the body is not a JSON object");
    return std::nullopt;
  }
  return j;
}

// ---- authorisation

bool is_admin(const Principal& who) { return who.user.kind == model::UserKind::Admin; }
bool is_staff(const Principal& who) { return who.user.kind == model::UserKind::Staff; }

std::vector<std::string> searched_providers(const Principal& who, const std::string& module, const std::string& provider) {
  if (!provider.empty()) return {provider};
  auto all = providers_in(who, module);
  if (all.size() == 1 && all[0] == "*") return {};
  return all;
}

std::vector<std::string> providers_in(const Principal& who, const std::string& module) {
  std::vector<std::string> out;
  for (const auto& m : who.memberships) {
    const bool granted = m.role == "holder" || m.role == "supervisor" || m.role == "staff" ||
                         std::find(m.modules.begin(), m.modules.end(), module) != m.modules.end();
    if (!granted) continue;
    if (m.role == "staff" && !is_staff(who)) continue;  // a staff membership counts for staff only
    if (m.inami == "*") return {"*"};
    out.push_back(m.inami);
  }
  // Acting for one third party ("select a third party"): only that one.
  if (!who.session.acting_for.empty()) {
    const std::string& a = who.session.acting_for;
    const bool allowed = std::find(out.begin(), out.end(), a) != out.end() || (out.size() == 1 && out[0] == "*");
    return allowed ? std::vector<std::string>{a} : std::vector<std::string>{};
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string iso_time(int64_t t) {
  if (!t) return "";
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char s[32];
  std::strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return s;
}

std::string chosen_provider(Call& call, const std::string& given, const std::string& module) {
  const Principal& who = *call.who;
  std::string p = !given.empty() ? given : who.session.acting_for;
  if (p.empty()) {
    auto mine = providers_in(who, module);
    if (mine.size() == 1 && mine[0] != "*") p = mine[0];
  }
  if (p.empty()) {
    call.error(400, "Z00224", "say for which provider: 'provider', or select a third party first");
    return "";
  }
  if (!may(who, p, module)) {
    call.error(403, "Z00223", "you may not use the " + module + " module for provider " + p);
    return "";
  }
  return p;
}

bool sees_every_provider(const Principal& who, const std::string& module) {
  auto list = providers_in(who, module);
  return list.size() == 1 && list[0] == "*";
}

bool may(const Principal& who, const std::string& inami, const std::string& module) {
  if (inami.empty()) return false;
  auto list = providers_in(who, module);
  return std::find(list.begin(), list.end(), inami) != list.end() || (list.size() == 1 && list[0] == "*");
}

std::optional<Page> page_of(Call& call) {
  Page p;
  try {
    p.page = std::stoll(call.param("page", "1"));
    p.per_page = std::stoll(call.param("per_page", "50"));
  } catch (...) {
    p.page = 0;
  }
  if (p.page < 1 || p.per_page < 1 || p.per_page > 500) {
    call.error(400, "Z00224", "page is a number from 1, per_page from 1 to 500");
    return std::nullopt;
  }
  return p;
}

// ---- the server

struct Server::Impl {
  ServeOptions options;
  std::vector<std::unique_ptr<StorePool>> pools;  // one per distinct store
  StorePool* accounts = nullptr;
  std::vector<StorePool*> fund_pools;             // by index in options.funds
  AuditWriter audit;                              // into the accounts' store, requests together
  httplib::Server http;
  int port = 0;
  int listening = -1;  // the listening socket, once bound

  // Every API route, for the portal's pages to call as a client would (dispatch()).
  std::vector<std::pair<Route, std::regex>> routes;

  Result<void> open_pools();
  // The caller, from the bearer token or the session cookie; nullopt with the answer given
  // when it is not signed in as the route needs.
  std::optional<Principal> authenticate(Call& call, Access access);
  // Which fund a request is for: ?fund=, else fund staff's own, else the first. -1 with the
  // answer given when there is no such fund or the caller may not see it.
  int fund_index(Call& call);
  void install(const Route& route);
  // One request to one route: authentication, the fund, the handler, the audit.
  // `sink`: a page's call leaves its audit entries there. `known`: who the page's calls found,
  // reused by its next GET calls instead of reading the session, user and memberships again.
  void handle(const Route& route, const httplib::Request& req, httplib::Response& res,
              std::vector<model::AuditEntry>* sink = nullptr, std::optional<Principal>* known = nullptr,
              std::optional<Json>* typed = nullptr);
  // A page's call to the API, made in the name of the page's caller (its cookie, and the CSRF
  // token its form carried): the same route, authorisation and audit as any client's.
  ApiAnswer dispatch(const httplib::Request& from, const ApiRequest& call);
};

Result<void> Server::Impl::open_pools() {
  if (options.funds.empty()) {
    FundOption one;
    one.db = options.db;
    one.payment_config = options.payment_config;
    options.funds.push_back(one);
  }
  std::vector<std::string> where;
  auto pool_at = [&](const std::string& db) -> Result<StorePool*> {
    for (size_t i = 0; i < where.size(); ++i)
      if (where[i] == db) return pools[i].get();
    auto pool = std::make_unique<StorePool>();
    if (auto r = pool->open(db, options.connections); !r) return fail(r.error());
    where.push_back(db);
    pools.push_back(std::move(pool));
    return pools.back().get();
  };
  auto a = pool_at(options.db);
  if (!a) return fail(a.error());
  accounts = *a;
  if (auto w = audit.open(options.db); !w) return fail(w.error());
  for (auto& f : options.funds) {
    if (!f.payment_config.empty()) {
      auto c = settlement::load_config(f.payment_config);
      if (!c) return fail(c.error());
      if (f.number.empty()) f.number = c->fund_number;
      if (f.name.empty()) f.name = c->fund_name;
    }
    if (f.name.empty()) f.name = f.number.empty() ? "the fund" : "fund " + f.number;
    auto p = pool_at(f.db);
    if (!p) return fail(p.error());
    fund_pools.push_back(*p);
  }
  return {};
}

int Server::Impl::fund_index(Call& call) {
  const auto& funds = options.funds;
  const std::string asked = call.param("fund");
  int i = 0;
  if (!asked.empty()) {
    i = -1;
    for (size_t k = 0; k < funds.size(); ++k)
      if (funds[k].number == asked) i = static_cast<int>(k);
    if (i < 0) {
      call.error(404, "Z00210", "no fund '" + asked + "' here (GET /api/v1/funds lists them)");
      return -1;
    }
  } else if (call.who && is_staff(*call.who)) {
    for (size_t k = 0; k < funds.size(); ++k)
      if (funds[k].number == call.who->user.fund) i = static_cast<int>(k);
  }
  // Fund staff work for one fund: another's data is not theirs to see.
  if (several_funds(options) && call.who && is_staff(*call.who) && call.who->user.fund != funds[i].number) {
    call.error(403, "Z00223", fmt::format("you work for fund {}, not for fund {}",
                                          call.who->user.fund.empty() ? "(none)" : call.who->user.fund, funds[i].number));
    return -1;
  }
  return i;
}

namespace {

std::string cookie_token(const httplib::Request& req) {
  std::string token = cookie_in(req.get_header_value("Cookie"), "mutua_session");
  return token.size() == 64 && token.find_first_not_of("0123456789abcdef") == std::string::npos ? token : std::string();
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

std::optional<Principal> Server::Impl::authenticate(Call& call, Access access) {
  std::string token;
  bool cookie = false;
  const std::string auth = call.req.get_header_value("Authorization");
  if (auth.rfind("Bearer ", 0) == 0) token = auth.substr(7);
  else if (!(token = cookie_token(call.req)).empty()) cookie = true;
  if (token.size() != 64 || token.find_first_not_of("0123456789abcdef") != std::string::npos) {
    call.error(401, "Z00221", "sign in first (POST /api/v1/sessions), then send the token as 'Authorization: Bearer ...'");
    return std::nullopt;
  }
  const std::string hash = sha256_hex(token);
  auto s = call.accounts.session(hash);
  if (!s) {
    call.error(500, s.error());
    return std::nullopt;
  }
  if (!*s || (*s)->expires <= call.now ||
      ((*s)->kind == "session" && (*s)->last_seen + options.session_idle_seconds <= call.now)) {
    if (*s) (void)call.accounts.delete_session(hash);
    call.error(401, "Z00221", "the session has ended: sign in again");
    return std::nullopt;
  }
  auto u = call.accounts.user((*s)->user_id);
  if (!u || !*u) {
    call.error(401, "Z00221", "the session has ended: sign in again");
    return std::nullopt;
  }
  Principal p;
  p.user = **u;
  p.session = **s;
  p.cookie = cookie;
  if (cookie && call.req.method != "GET" && call.req.method != "HEAD") {
    // A browser sends the cookie on its own; a page of ours also sends this header, which
    // another site's page cannot.
    if (call.req.get_header_value("X-CSRF-Token") != sha256_hex("csrf:" + token)) {
      call.error(403, "Z00223", "missing or wrong X-CSRF-Token for a change made with the session cookie");
      return std::nullopt;
    }
  }
  if (access == Access::Full) {
    if (p.user.must_change_password) {
      call.error(403, "Z00222", "change the one-time password first (POST /api/v1/me/password)");
      return std::nullopt;
    }
    if (!p.session.second_factor) {
      call.error(403, "Z00222",
                 p.user.totp_confirmed ? "give the second factor first (POST /api/v1/sessions/current/second-factor)"
                                       : "set up a second factor first (POST /api/v1/me/second-factor)");
      return std::nullopt;
    }
  }
  auto ms = call.accounts.memberships(p.user.id);
  if (!ms) {
    call.error(500, ms.error());
    return std::nullopt;
  }
  p.memberships = std::move(*ms);
  // Seen now: the idle time starts again (written at most once a minute).
  if (p.session.kind == "session" && call.now - p.session.last_seen >= 60) {
    p.session.last_seen = call.now;
    (void)call.accounts.update_session(p.session);
  }
  return p;
}

void Server::Impl::handle(const Route& route, const httplib::Request& req, httplib::Response& res,
                          std::vector<model::AuditEntry>* sink, std::optional<Principal>* known, std::optional<Json>* typed) {
  using Clock = std::chrono::steady_clock;
  const auto started = Clock::now();
  Clock::duration waited{};  // for store connections
  auto borrow = [&](StorePool& pool) {
    const auto t = Clock::now();
    auto l = pool.borrow();
    waited += Clock::now() - t;
    return l;
  };
  std::optional<StorePool::Lease> lease;
  lease.emplace(borrow(*accounts));
  Call signing{req, res, **lease, **lease, options, options.funds[0], unix_now(), std::nullopt, {}};
  // Within one page: a GET after a call that found the person fully signed in reuses it (the
  // session cannot have changed in between: the page changes nothing); any other call forgets it.
  const bool reuse = known && req.method == "GET";
  if (known && !reuse) known->reset();
  if (route.access != Access::Public) {
    if (reuse && *known) {
      signing.who = **known;
    } else {
      signing.who = authenticate(signing, route.access);
      if (!signing.who) return;
      if (reuse && route.access == Access::Full) *known = signing.who;
    }
  }
  int fund = 0;
  if (route.fund_data && (fund = fund_index(signing)) < 0) return;
  // The fund's own connection, unless its data is in the accounts' store.
  std::optional<StorePool::Lease> fund_lease;
  model::Store* data = &**lease;
  if (fund_pools[fund] != accounts) {
    fund_lease.emplace(borrow(*fund_pools[fund]));
    data = &**fund_lease;
  }
  if (route.fund_data && !options.funds[fund].number.empty()) res.set_header("X-Mutua-Fund", options.funds[fund].number);
  Call call{req, res, *data, **lease, options, options.funds[fund], signing.now, std::move(signing.who), {}};
  call.typed = typed;
  route.handler(call);
  // The connections go back before waiting for the audit's commit: others use them meanwhile.
  fund_lease.reset();
  lease.reset();
  const auto handled = Clock::now();
  if (!call.audit.empty()) {
    for (auto& e : call.audit) {
      e.status = res.status == -1 && sink ? 200 : res.status;
      if (route.fund_data) e.fund = call.fund.number;
    }
    if (sink) {
      // A page's call: the page commits all its entries at once before it answers.
      std::move(call.audit.begin(), call.audit.end(), std::back_inserter(*sink));
    } else if (auto w = audit.append(std::move(call.audit)); !w) {
      // Personal data is not given without its audit entry.
      call.error(500, w.error());
    }
  }
  const auto ms = [](Clock::duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
  if (const auto total = ms(Clock::now() - started); options.slow_request_ms > 0 && total >= options.slow_request_ms)
    fmt::print(stderr, "slow request: {} {} {} ms (waiting for a store connection {} ms, handling {} ms, audit {} ms)\n",
               req.method, req.path, total, ms(waited), ms(handled - started - waited), ms(Clock::now() - handled));
}

ApiAnswer Server::Impl::dispatch(const httplib::Request& from, const ApiRequest& call) {
  httplib::Request req;
  req.method = call.method;
  req.path = call.path;
  req.params = call.params;
  req.body = call.body;
  req.remote_addr = from.remote_addr;
  req.remote_port = from.remote_port;
  for (const char* h : {"Cookie", "User-Agent", "Accept-Language"})
    if (from.has_header(h)) req.headers.emplace(h, from.get_header_value(h));
  if (!call.csrf.empty()) req.headers.emplace("X-CSRF-Token", call.csrf);
  if (!call.content_type.empty()) req.headers.emplace("Content-Type", call.content_type);
  if (call.forward_form) {
    req.files = from.files;
    req.headers.emplace("Content-Type", from.get_header_value("Content-Type"));
  }
  ApiAnswer out;
  for (const auto& [route, re] : routes) {
    if (route.method != req.method || !std::regex_match(req.path, req.matches, re)) continue;
    httplib::Response res;
    res.status = -1;
    std::optional<Json> typed;
    handle(route, req, res, call.audit, call.known, &typed);
    out.status = res.status == -1 ? 200 : res.status;
    out.headers = res.headers;
    out.content_type = res.get_header_value("Content-Type");
    out.raw = std::move(res.body);
    if (typed && out.raw.empty()) out.json = std::move(*typed);  // as the route made it: no text in between
    else if (out.content_type.rfind("application/json", 0) == 0) out.json = Json::parse(out.raw, nullptr, false);
    return out;
  }
  out.status = 404;
  out.json = {{"error", {{"status", 404}, {"code", "Z00210"}, {"message", "no such resource"}}}};
  return out;
}

void Server::Impl::install(const Route& route) {
  routes.emplace_back(route, std::regex(route.pattern));
  auto handler = [this, route](const httplib::Request& req, httplib::Response& res) { handle(route, req, res); };
  if (route.method == "GET") http.Get(route.pattern, handler);
  else if (route.method == "POST") http.Post(route.pattern, handler);
  else if (route.method == "PUT") http.Put(route.pattern, handler);
  else if (route.method == "PATCH") http.Patch(route.pattern, handler);
  else if (route.method == "DELETE") http.Delete(route.pattern, handler);
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;

Result<std::unique_ptr<Server>> Server::open(const ServeOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  if (auto r = impl->open_pools(); !r) return fail(r.error());
  if (!impl->options.sms) impl->options.sms = outbox_sms(impl->options.outbox);
  auto& http = impl->http;
  // cpp-httplib keeps a kept-alive connection on its thread: with as many threads as store
  // connections, the 9th client waited for one of the first 8 to go away. Threads wait for a
  // store connection instead (StorePool::borrow), which each request holds only while it runs.
  http.new_task_queue = [n = std::max<size_t>(64, options.connections * 4)] { return new httplib::ThreadPool(n); };
  http.set_payload_max_length(options.max_upload_bytes);
  // Debian's cpp-httplib is a compiled library with its defaults: a kept-alive connection closed
  // after 5 requests (under load, every client connected again every 5 requests, beyond its
  // listen backlog of 5: lost SYNs, retried a second later), and no TCP_NODELAY (an answer
  // written in two parts waited for the client's delayed ACK: 40 ms a request).
  http.set_keep_alive_max_count(10000);
  // SO_REUSEADDR only: cpp-httplib's default SO_REUSEPORT let a second server bind the same port
  // and silently share its clients instead of failing.
  http.set_socket_options([impl = impl.get()](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    impl->listening = sock;
  });
  http.set_tcp_nodelay(true);
  http.set_default_headers({{"X-Content-Type-Options", "nosniff"},
                            {"X-Frame-Options", "DENY"},
                            {"Referrer-Policy", "no-referrer"},
                            {"Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"},
                            {"Cache-Control", "no-store"}});
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    res.status = 500;
    res.set_content(R"({"error":{"status":500,"code":"Z00200","message":"internal error"}})", "application/json");
  });
  http.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    const std::string msg = res.status == 404 ? "no such resource" : res.status == 413 ? "the body is too large" : "refused";
    res.set_content(fmt::format(R"({{"error":{{"status":{},"code":"{}","message":"{}"}}}})", res.status,
                                res.status == 404 ? "Z00210" : "Z00224", msg),
                    "application/json");
  });
  for (auto* routes : {meta_routes, fund_routes, session_routes, user_routes, recovery_routes, registration_routes, audit_routes,
                       book_routes})
    for (const auto& r : routes()) impl->install(r);
  // One fund's data: ?fund= says which.
  for (auto* routes : {envoi_routes, payment_routes, insurability_routes, dispute_routes, agreement_routes, letter_routes,
                       care_routes, request_routes, statistics_routes})
    for (auto r : routes()) {
      r.fund_data = true;
      impl->install(r);
    }
  // The portal's pages, rendered here from the API's answers.
  Impl* self = impl.get();
  install_portal(
      http, impl->options, [self](const httplib::Request& from, const ApiRequest& call) { return self->dispatch(from, call); },
      [self](std::vector<model::AuditEntry> entries) { return self->audit.append(std::move(entries)).has_value(); });
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Result<std::optional<FirstAdmin>> Server::ensure_first_admin() {
  auto lease = impl_->accounts->borrow();
  auto users = lease->users();
  if (!users) return fail(users.error());
  if (!users->empty()) return std::optional<FirstAdmin>();
  FirstAdmin first{"admin", one_time_password()};
  auto hash = hash_password(first.one_time_password);
  if (!hash) return fail(hash.error());
  model::User u;
  u.username = first.username;
  u.name = "Support administrator";
  u.kind = model::UserKind::Admin;
  u.password_hash = *hash;
  u.must_change_password = true;
  u.created = unix_now();
  if (auto id = lease->create_user(u); !id) return fail(id.error());
  return std::optional<FirstAdmin>(first);
}

Result<void> Server::bind() {
  auto& o = impl_->options;
  if (o.port == 0) {
    impl_->port = impl_->http.bind_to_any_port(o.host.c_str());
    if (impl_->port <= 0) return fail({.code = "Z00200", .message = "cannot listen on " + o.host});
  } else {
    if (!impl_->http.bind_to_port(o.host.c_str(), o.port))
      return fail({.code = "Z00200", .message = fmt::format("cannot listen on {}:{} (in use?)", o.host, o.port)});
    impl_->port = o.port;
  }
  // cpp-httplib listens with a backlog of 5, built into Debian's library: 50 clients connecting
  // at once overflowed it, and each connection whose handshake was dropped had its first
  // request wait for the kernel's retransmission, 1 to 3 s later (wrk's timeouts). Listening
  // again on the bound socket sets the backlog (Linux caps it at net.core.somaxconn).
  if (impl_->listening >= 0 && ::listen(impl_->listening, 4096) != 0)
    return fail({.code = "Z00200", .message = fmt::format("cannot listen on {}:{}", o.host, impl_->port)});
  if (o.public_url.empty()) o.public_url = fmt::format("http://{}:{}", o.host, impl_->port);
  return {};
}

int Server::port() const { return impl_->port; }
void Server::run() { impl_->http.listen_after_bind(); }
void Server::stop() { impl_->http.stop(); }

}  // namespace mutua::server
