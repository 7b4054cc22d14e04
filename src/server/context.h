// What every route of the server shares: the store pool, the caller (who, by which session),
// answers as JSON with located errors, authorisation by role, module and provider, and the
// audit entries a request leaves. Internal to src/server/.
#pragma once
#include <cstdint>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "mutua/model/store.h"
#include "mutua/server/server.h"

namespace mutua::server {

using Json = nlohmann::ordered_json;

// The modules of the 4CP portal, which a supervisor grants its collaborators.
inline const std::vector<std::string>& all_modules() {
  static const std::vector<std::string> m = {"submissions", "settlements", "payments", "disputes",
                                             "insurability", "agreements", "care-pathways", "requests",
                                             "billing"};  // beyond 4CP: the provider's own book (book_routes.cpp)
  return m;
}

// Store connections for the HTTP threads: each request borrows one for its duration.
class StorePool {
 public:
  Result<void> open(const std::string& where, size_t n);
  class Lease {
   public:
    Lease(StorePool& pool, std::unique_ptr<model::Store> s) : pool_(pool), store_(std::move(s)) {}
    Lease(Lease&&) = default;
    ~Lease();
    model::Store& operator*() { return *store_; }
    model::Store* operator->() { return store_.get(); }

   private:
    StorePool& pool_;
    std::unique_ptr<model::Store> store_;
  };
  // First come, first served: a connection given back goes straight to the request that has
  // waited longest. (With one condition variable, a request arriving just then could take it
  // first, again and again: under load some requests waited seconds.)
  Lease borrow();

 private:
  struct Waiter {
    std::condition_variable given;
    std::unique_ptr<model::Store> store;
  };
  std::mutex m_;
  std::vector<std::unique_ptr<model::Store>> idle_;
  std::deque<Waiter*> waiting_;  // oldest first
};

// Who calls, once signed in.
struct Principal {
  model::User user;
  model::Session session;
  std::vector<model::Membership> memberships;
  bool cookie = false;  // authenticated by the session cookie (CSRF applies), not a bearer token
};

struct Call {
  const httplib::Request& req;
  httplib::Response& res;
  model::Store& store;     // the fund's data (envois, payments, reference data, requests)
  model::Store& accounts;  // the deployment's accounts, sessions, audit and registrations
  const ServeOptions& options;
  const FundOption& fund;  // the fund the request is for (?fund=, else staff's own, else the first)
  int64_t now = 0;
  std::optional<Principal> who;
  std::vector<model::AuditEntry> audit;  // written when the answer is given
  // A page's call: its JSON answer is given here as it is, not written as text for the page to
  // read back (Server::Impl::dispatch).
  std::optional<Json>* typed = nullptr;

  void json(int status, const Json& body);
  void json(int status, Json&& body);
  // {"error": {"status", "code", "message"[, "file", "record", "zone", "position"]}}
  void error(int status, const std::string& code, const std::string& message);
  void error(int status, const Error& e);
  // A read of personal data or a change, for the audit log.
  void note(const std::string& action, const std::string& resource, const std::string& provider = "",
            const std::string& niss = "");
  // One entry per patient read (one without a patient when there is none).
  void note_patients(const std::string& action, const std::string& resource, const std::string& provider,
                     const std::set<std::string>& niss);
  // Query parameter, or `fallback`.
  std::string param(const std::string& name, const std::string& fallback = "") const;
  // The body as a JSON object; answers 400 and returns nullopt when it is not one.
  std::optional<Json> body();
};

// A deployment of several funds (`options.funds` is filled at start: one fund on `options.db`
// when none was given). Fund staff then see only their own fund's data.
inline bool several_funds(const ServeOptions& options) { return options.funds.size() > 1; }

// Unix seconds as UTC ISO 8601 (2026-12-05T04:36:27Z); "" for 0.
std::string iso_time(int64_t t);

// A text member of a JSON object; empty when absent or not text.
inline std::string text_of(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// What a route needs of the caller.
enum class Access {
  Public,     // anyone
  Started,    // signed in with the password, second factor not (yet) given: only finishing sign-in
  Full,       // signed in with both factors (or a program's token)
};

// The providers (INAMI numbers) the caller may see in `module`; {"*"} for fund staff of all.
std::vector<std::string> providers_in(const Principal& who, const std::string& module);
bool may(const Principal& who, const std::string& inami, const std::string& module);
// The providers a search by `who` in `module` reads from the store: `provider` when given, else
// every one `who` has the module for; empty for every provider (staff of the whole fund).
std::vector<std::string> searched_providers(const Principal& who, const std::string& module, const std::string& provider);
// The provider a request is made for: the one given, else the one acted for ("select a third
// party"), else the only one the caller has `module` for. Empty, with the answer given (400 or
// 403), when none fits.
std::string chosen_provider(Call& call, const std::string& given, const std::string& module);
// Fund staff of every provider ("*") for `module`.
bool sees_every_provider(const Principal& who, const std::string& module);
bool is_admin(const Principal& who);
bool is_staff(const Principal& who);

// Paging of lists: ?page=1&per_page=50 (at most 500). Writes the page's metadata into `out`.
struct Page {
  int64_t page = 1, per_page = 50;
  int64_t offset() const { return (page - 1) * per_page; }
};
std::optional<Page> page_of(Call& call);

// A list answered as JSON (one page, with total), or whole as CSV or .xlsx (?format=): `rows`
// are objects whose keys are the columns. ?sort=column (or -column, descending) orders them
// first (a stable sort: rows equal in that column keep the route's order).
void answer_list(Call& call, std::vector<Json> rows, const std::string& name);
// The same in two steps, for lists whose shown rows cost more (a patient's insurability, an
// audit entry per patient): which rows [begin, end) are shown (a page, or all for an export;
// nullopt with the answer given on bad paging), then the answer with those rows and the total.
std::optional<std::pair<size_t, size_t>> shown_rows(Call& call, size_t total);
void answer_shown(Call& call, const std::vector<Json>& shown, size_t total, const std::string& name);

using Handler = std::function<void(Call&)>;
struct Route {
  std::string method, pattern;
  Access access;
  Handler handler;
  bool fund_data = false;  // reads or changes one fund's data: ?fund= chooses which
};

std::vector<Route> session_routes();
std::vector<Route> user_routes();
std::vector<Route> envoi_routes();
std::vector<Route> audit_routes();
std::vector<Route> book_routes();
std::vector<Route> meta_routes();
std::vector<Route> payment_routes();
std::vector<Route> insurability_routes();
std::vector<Route> dispute_routes();
std::vector<Route> agreement_routes();
std::vector<Route> letter_routes();
std::vector<Route> care_routes();
std::vector<Route> request_routes();
std::vector<Route> recovery_routes();
std::vector<Route> registration_routes();
std::vector<Route> fund_routes();
std::vector<Route> statistics_routes();

}  // namespace mutua::server
