// The medical advisor's commands: agreement requests, decisions, and the lines waiting on them.
#include <cstdio>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "dates.h"
#include "store_access.h"
#include "mutua/engine/advisor.h"
#include "mutua/model/dates.h"
#include "mutua/settlement/config.h"

namespace mutua::cli {

namespace {

std::string period(model::Date from, model::Date to) {
  if (!from && to == model::kOpenEnd) return "any date";
  return fmt::format("{} to {}", from ? model::iso(from) : "...", to == model::kOpenEnd ? "..." : model::iso(to));
}

std::string decision_text(char d) {
  return d == model::kNoDecision ? "requested (no decision yet)" : fmt::format("{} {}", d, model::decision_name(d));
}

std::string line_text(const model::PendingLine& p) {
  return fmt::format("reception {} record {} (envoi {:03d}, invoice {}): {} {} on {}, {} on account {}",
                     p.line.envoi_id, p.line.record, p.line.envoi_number, p.line.invoice_number, p.line.niss, p.line.code,
                     model::iso(p.line.first_date), settlement::euros(p.line.amount), p.account);
}

}  // namespace

void add_agreement(CLI::App& app) {
  auto* cmd = app.add_subcommand("agreement",
                                 "Medical-advisor agreements: requests, decisions (A accepted, N refused, D waiting for "
                                 "information, O waiting for INAMI, R no motivation received) and the lines waiting on them");
  cmd->require_subcommand(1);
  struct Opts {
    std::string db = default_db(), niss, code, provider, date, from, to, establishment, admission, discharge, motivation, by,
                decision, note;
    int64_t id = 0;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  auto db_option = [o](CLI::App* c) { c->add_option("--db", o->db, "Store: SQLite file or postgresql:// URL (default $MUTUA_DB or ./mutua.db)"); };

  auto* request = cmd->add_subcommand("request", "Record an agreement request (a stay agreement with --establishment)");
  request->add_option("--niss", o->niss, "The patient's NISS (11 digits)")->required();
  request->add_option("--code", o->code, "Nomenclature code asked for (6 digits)")->required();
  request->add_option("--date", o->date, "Date of the request (default: today)");
  request->add_option("--provider", o->provider, "INAMI number of the provider asking");
  request->add_option("--from", o->from, "First day asked for");
  request->add_option("--to", o->to, "Last day asked for");
  request->add_option("--establishment", o->establishment, "Stay agreement: the hospital (establishment number)");
  request->add_option("--admission", o->admission, "Stay agreement: admission date");
  request->add_option("--discharge", o->discharge, "Stay agreement: discharge date, if known");
  request->add_option("--motivation", o->motivation, "The request's motivation (kept in its history)");
  request->add_option("--by", o->by, "Who records it");
  db_option(request);
  request->callback([o] {
    model::AgreementRecord r;
    r.niss = o->niss;
    r.code = o->code;
    r.requested_by = o->provider;
    r.establishment = o->establishment;
    r.motivation = o->motivation;
    r.request_date = system_today();
    const char* c = "agreement request";
    if (!o->date.empty() && bad_date(c, "--date", o->date, r.request_date)) return;
    if (!o->from.empty() && bad_date(c, "--from", o->from, r.valid_from)) return;
    if (!o->to.empty() && bad_date(c, "--to", o->to, r.valid_to)) return;
    if (!o->admission.empty() && bad_date(c, "--admission", o->admission, r.admission)) return;
    if (!o->discharge.empty() && bad_date(c, "--discharge", o->discharge, r.discharge)) return;
    auto store = open_store(o->db);
    if (!store) return;
    auto a = engine::request_agreement(*store, r, o->by);
    if (!a) return command_failed(a.error());
    std::printf("agreement %lld: %s for %s, requested %s%s, covering %s; waiting for the advisor's decision\n",
                static_cast<long long>(a->id), a->code.c_str(), a->niss.c_str(), model::iso(a->request_date).c_str(),
                a->requested_by.empty() ? "" : (" by " + a->requested_by).c_str(), period(a->valid_from, a->valid_to).c_str());
  });

  auto* decide = cmd->add_subcommand("decide", "Record the advisor's decision; it settles the lines waiting on it");
  decide->add_option("--id", o->id, "The agreement")->required();
  decide->add_option("--decision", o->decision, "A, N, D, O or R")->required()->check(CLI::IsMember({"A", "N", "D", "O", "R"}));
  decide->add_option("--date", o->date, "Date of the decision (default: today)");
  decide->add_option("--from", o->from, "A: first day covered (default: the request's, or the stay's admission)");
  decide->add_option("--to", o->to, "A: last day covered (default: the request's, the stay's discharge, or open)");
  decide->add_option("--note", o->note, "Why (kept in the agreement's history)");
  decide->add_option("--by", o->by, "Who decides (the advisor)");
  db_option(decide);
  decide->callback([o] {
    engine::DecisionInput in;
    in.agreement_id = o->id;
    in.decision = o->decision[0];
    in.date = system_today();
    in.note = o->note;
    in.by = o->by;
    const char* c = "agreement decide";
    if (!o->date.empty() && bad_date(c, "--date", o->date, in.date)) return;
    if (!o->from.empty() && bad_date(c, "--from", o->from, in.valid_from)) return;
    if (!o->to.empty() && bad_date(c, "--to", o->to, in.valid_to)) return;
    auto store = open_store(o->db);
    if (!store) return;
    auto r = engine::decide_agreement(*store, in);
    if (!r) return command_failed(r.error());
    const auto& a = r->agreement;
    std::printf("agreement %lld (%s for %s): %s on %s, covering %s\n", static_cast<long long>(a.id), a.code.c_str(),
                a.niss.c_str(), decision_text(a.decision).c_str(), model::iso(a.decision_date).c_str(),
                period(a.valid_from, a.valid_to).c_str());
    int64_t approved = 0;
    for (const auto& p : r->approved) approved += p.line.amount;
    if (!r->approved.empty())
      std::printf("%zu line(s) approved, %s: they enter history and are paid by the next payment run as a complement (*)\n",
                  r->approved.size(), settlement::euros(approved).c_str());
    for (const auto& p : r->approved) std::printf("  approved %s\n", line_text(p).c_str());
    for (const auto& p : r->refused) std::printf("  refused %s: %s\n", p.code.c_str(), line_text(p).c_str());
    for (const auto& p : r->still_pending) std::printf("  still pending (500434): %s\n", line_text(p).c_str());
  });

  auto* list = cmd->add_subcommand("list", "Recorded agreements (by patient, code or provider)");
  list->add_option("--niss", o->niss, "Only this patient");
  list->add_option("--code", o->code, "Only this code");
  list->add_option("--provider", o->provider, "Only requests of this INAMI number");
  list->add_flag("--json", o->json, "JSON instead of a table");
  db_option(list);
  list->callback([o] {
    auto store = open_store(o->db);
    if (!store) return;
    auto all = store->agreements({.niss = o->niss, .code = o->code, .requested_by = o->provider});
    if (!all) return command_failed(all.error());
    if (o->json) {
      nlohmann::ordered_json j = nlohmann::ordered_json::array();
      for (const auto& a : *all) j.push_back(engine::agreement_json(a));
      std::printf("%s\n", j.dump(1).c_str());
      return;
    }
    std::printf("| id | NISS | code | requested | by | decision | decided | covers | stay |\n|---:|---|---|---|---|---|---|---|---|\n");
    for (const auto& a : *all)
      std::printf("| %lld | %s | %s | %s | %s | %s | %s | %s | %s |\n", static_cast<long long>(a.id), a.niss.c_str(), a.code.c_str(),
                  model::iso(a.request_date).c_str(), a.requested_by.c_str(), decision_text(a.decision).c_str(),
                  model::iso(a.decision_date).c_str(), period(a.valid_from, a.valid_to).c_str(),
                  a.establishment.empty() ? "" : fmt::format("{} from {}", a.establishment, model::iso(a.admission)).c_str());
  });

  auto* show = cmd->add_subcommand("show", "One agreement: its history, the lines it settled and their payments");
  show->add_option("--id", o->id, "The agreement")->required();
  show->add_flag("--json", o->json, "JSON");
  db_option(show);
  show->callback([o] {
    auto store = open_store(o->db);
    if (!store) return;
    auto found = store->agreements({.id = o->id});
    if (!found) return command_failed(found.error());
    if (found->empty()) return command_failed({.code = "Z00700", .message = fmt::format("no agreement {} in the store", o->id)});
    const auto& a = found->front();
    auto lines = engine::agreement_lines(*store, *store, a);
    if (!lines) return command_failed(lines.error());
    if (o->json) {
      std::printf("%s\n", engine::agreement_json(a, &*lines).dump(1).c_str());
      return;
    }
    std::printf("agreement %lld: %s for %s, %s\n", static_cast<long long>(a.id), a.code.c_str(), a.niss.c_str(),
                decision_text(a.decision).c_str());
    std::printf("  requested %s%s, covers %s\n", model::iso(a.request_date).c_str(),
                a.requested_by.empty() ? "" : (" by " + a.requested_by).c_str(), period(a.valid_from, a.valid_to).c_str());
    if (!a.establishment.empty())
      std::printf("  stay at %s, admitted %s%s\n", a.establishment.c_str(), model::iso(a.admission).c_str(),
                  a.discharge ? (", discharged " + model::iso(a.discharge)).c_str() : "");
    std::printf("history:\n");
    for (const auto& e : a.events)
      std::printf("  %s %s%s%s\n", model::iso(e.date).c_str(), e.decision == model::kNoDecision ? "request" : decision_text(e.decision).c_str(),
                  e.note.empty() ? "" : (": " + e.note).c_str(), e.by.empty() ? "" : (" (" + e.by + ")").c_str());
    bool any = false;
    for (const auto& [p, reference] : *lines) {
      if (!any) std::printf("lines:\n");
      any = true;
      std::string what = std::string(model::pending_state_name(p.state));
      if (p.state == model::PendingState::Refused) what += " " + p.code;
      if (p.state == model::PendingState::Approved)
        what += p.complement ? fmt::format(", paid in complement {:03d}*{} ({})", p.line.envoi_number, p.complement,
                                           reference.empty() ? "set off, no transfer" : reference)
                             : ", awaiting the next payment run";
      std::printf("  %s: %s\n", line_text(p).c_str(), what.c_str());
    }
  });

  auto* waiting = cmd->add_subcommand("pending", "Lines accepted envois left waiting on the advisor (500434)");
  waiting->add_option("--niss", o->niss, "Only this patient");
  waiting->add_option("--code", o->code, "Only this code");
  db_option(waiting);
  waiting->callback([o] {
    auto store = open_store(o->db);
    if (!store) return;
    auto lines = store->pending_lines({.niss = o->niss, .code = o->code, .state = model::PendingState::Pending});
    if (!lines) return command_failed(lines.error());
    int64_t total = 0;
    for (const auto& p : *lines) {
      std::printf("%s\n", line_text(p).c_str());
      total += p.line.amount;
    }
    std::printf("%zu line(s) pending, %s\n", lines->size(), settlement::euros(total).c_str());
  });
}

}  // namespace mutua::cli
