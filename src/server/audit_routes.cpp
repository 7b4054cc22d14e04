// The audit log, searched by fund staff and support administrators (who, when, which
// provider, which patient, what). Reading it is itself audited.
#include <fmt/format.h>

#include "mutua/model/dates.h"
#include "server/context.h"

namespace mutua::server {

namespace {

void search_audit(Call& call) {
  const Principal& who = *call.who;
  if (!is_admin(who) && !is_staff(who)) return call.error(403, "Z00223", "only fund staff and support administrators read the audit log");
  model::AuditQuery q;
  q.username = call.param("user");
  q.provider = call.param("provider");
  q.niss = call.param("niss");
  q.action = call.param("action");
  q.fund = call.param("fund");
  // Fund staff of some providers only: the audit of those providers, one at a time.
  if (is_staff(who)) {
    auto mine = providers_in(who, "submissions");
    const bool everyone = mine.size() == 1 && mine[0] == "*";
    if (!everyone && (q.provider.empty() || !may(who, q.provider, "submissions")))
      return call.error(403, "Z00223", "say which of your providers: provider=INAMI");
    // Of several funds, only their own fund's data.
    if (several_funds(call.options)) {
      if (!q.fund.empty() && q.fund != who.user.fund) return call.error(403, "Z00223", "you work for fund " + who.user.fund);
      q.fund = who.user.fund.empty() ? "-" : who.user.fund;
    }
  }
  try {
    q.from = std::stoll(call.param("from", "0"));
    q.to = std::stoll(call.param("to", "0"));
  } catch (...) {
    return call.error(400, "Z00224", "from and to are Unix times in seconds");
  }
  const bool whole = call.param("format", "json") != "json";
  auto page = whole ? std::optional<Page>(Page{1, 0}) : page_of(call);
  if (!page) return;
  q.limit = whole ? 1000000 : page->per_page;
  q.offset = whole ? 0 : page->offset();
  auto found = call.accounts.audit(q);
  if (!found) return call.error(500, found.error());
  std::vector<Json> rows;
  for (const auto& e : found->first)
    rows.push_back({{"id", e.id},     {"at", e.at},         {"user", e.username}, {"action", e.action},
                    {"resource", e.resource}, {"provider", e.provider}, {"niss", e.niss}, {"status", e.status},
                    {"fund", e.fund}});
  call.note("read", "audit", q.provider, q.niss);
  if (whole) return answer_list(call, rows, "audit");
  call.json(200, {{"total", found->second}, {"page", page->page}, {"per_page", page->per_page}, {"items", rows}});
}

}  // namespace

std::vector<Route> audit_routes() {
  return {{"GET", "/api/v1/audit", Access::Full, search_audit}};
}

}  // namespace mutua::server
