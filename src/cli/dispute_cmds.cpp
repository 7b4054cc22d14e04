// Disputes (contentieux): open, comment, settle, close, and look them up.
#include <cstdio>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "dates.h"
#include "store_access.h"
#include "mutua/model/dates.h"
#include "mutua/settlement/config.h"
#include "mutua/settlement/disputes.h"

namespace mutua::cli {

namespace {

void print_dispute(const model::Dispute& d) {
  using settlement::euros;
  std::printf("dispute %lld of %s: %s (%s)\n", static_cast<long long>(d.id), d.third_party.c_str(), d.subject.c_str(),
              std::string(model::dispute_state_name(d.state)).c_str());
  std::string about;
  if (d.envoi_id) about += fmt::format(" envoi reception {}", d.envoi_id);
  if (d.record) about += fmt::format(" record {}", d.record);
  if (!d.payment_reference.empty()) about += " payment " + d.payment_reference;
  if (!about.empty()) std::printf("  about:%s\n", about.c_str());
  if (d.state == model::DisputeState::Settled)
    std::printf("  settled %s on account %c (%s), regularisation %lld\n", euros(d.amount_cents).c_str(), d.account,
                d.amount_cents > 0 ? "owed by the provider" : "owed to the provider", static_cast<long long>(d.regularisation_id));
  for (const auto& e : d.events)
    std::printf("  %s %-7s %s%s%s\n", model::iso(e.date).c_str(), e.kind.c_str(), e.text.c_str(),
                e.amount_cents ? (" " + euros(e.amount_cents)).c_str() : "", e.by.empty() ? "" : (" (" + e.by + ")").c_str());
}

}  // namespace

void add_dispute(CLI::App& app) {
  auto* cmd = app.add_subcommand("dispute",
                                 "Disputes (contentieux): open → under review → settled (the amount becomes a regularisation) "
                                 "or closed; every step dated");
  cmd->require_subcommand(1);
  struct Opts {
    std::string db = default_db(), provider, subject, date, text, by, payment, amount, account;
    int64_t id = 0, envoi = 0;
    uint64_t line = 0;
    bool to_provider = false, json = false;
  };
  auto o = std::make_shared<Opts>();
  auto common = [o](CLI::App* c) {
    c->add_option("--date", o->date, "Date of the step (default: today)");
    c->add_option("--by", o->by, "Who records it");
    c->add_option("--db", o->db, "Store: SQLite file or postgresql:// URL (default $MUTUA_DB or ./mutua.db)");
  };
  auto done = [](const char* what, Result<model::Dispute> r) {
    if (!r) {
      command_failed(r.error());
      return;
    }
    std::printf("%s\n", what);
    print_dispute(*r);
  };
  auto date_of = [o](const char* c, model::Date& into) {
    into = system_today();
    return !o->date.empty() && bad_date(c, "--date", o->date, into);
  };

  auto* open = cmd->add_subcommand("open", "Open a dispute for a provider, about an envoi line and/or a payment");
  open->add_option("--provider", o->provider, "INAMI number of the provider (ET 10 zone 14)")->required();
  open->add_option("--subject", o->subject, "What is disputed")->required();
  open->add_option("--envoi", o->envoi, "Reception id of the envoi it is about");
  open->add_option("--line", o->line, "Record number of the line in that envoi");
  open->add_option("--payment", o->payment, "Reference of the payment it is about (YYYY/2/nnnnnnn)");
  open->add_option("--account", o->account, "A or B (default A)")->check(CLI::IsMember({"A", "B"}));
  common(open);
  open->callback([o, done, date_of] {
    model::Dispute d;
    if (date_of("dispute open", d.opened)) return;
    d.third_party = o->provider;
    d.subject = o->subject;
    d.envoi_id = o->envoi;
    d.record = o->line;
    d.payment_reference = o->payment;
    d.account = o->account.empty() ? 'A' : o->account[0];
    auto store = open_store(o->db);
    if (!store) return;
    done("opened", settlement::open_dispute(*store, d, o->by));
  });

  auto step = [o, date_of](const char* c, settlement::DisputeStep& s) {
    s.id = o->id;
    s.text = o->text;
    s.by = o->by;
    return !date_of(c, s.date);
  };
  auto* comment = cmd->add_subcommand("comment", "Add a dated comment (the first puts an open dispute under review)");
  comment->add_option("--id", o->id, "The dispute")->required();
  comment->add_option("--text", o->text, "The comment")->required();
  common(comment);
  comment->callback([o, done, step] {
    settlement::DisputeStep s;
    if (!step("dispute comment", s)) return;
    auto store = open_store(o->db);
    if (!store) return;
    done("commented", settlement::comment_dispute(*store, s));
  });

  auto* settle = cmd->add_subcommand("settle", "Settle with an amount: recorded as a regularisation, set off on the next payments");
  settle->add_option("--id", o->id, "The dispute")->required();
  settle->add_option("--amount", o->amount, "Euros (e.g. 45.20) owed by the provider; with --to-provider, owed to the provider")
      ->required();
  settle->add_flag("--to-provider", o->to_provider, "The fund owes the amount to the provider (added to the next payment)");
  settle->add_option("--account", o->account, "A or B (default: the dispute's)")->check(CLI::IsMember({"A", "B"}));
  settle->add_option("--text", o->text, "Why");
  common(settle);
  settle->callback([o, done, step] {
    settlement::DisputeStep s;
    if (!step("dispute settle", s)) return;
    auto amount = settlement::parse_euros(o->amount);
    if (!amount || *amount <= 0) {
      std::fprintf(stderr, "mutua dispute settle: --amount %s\n", amount ? "must be positive (use --to-provider for the direction)"
                                                                          : amount.error().message.c_str());
      exit_code() = 2;
      return;
    }
    s.amount_cents = o->to_provider ? -*amount : *amount;
    s.account = o->account.empty() ? 0 : o->account[0];
    auto store = open_store(o->db);
    if (!store) return;
    done("settled", settlement::settle_dispute(*store, s));
  });

  auto* close = cmd->add_subcommand("close", "Close without an amount");
  close->add_option("--id", o->id, "The dispute")->required();
  close->add_option("--text", o->text, "Why");
  common(close);
  close->callback([o, done, step] {
    settlement::DisputeStep s;
    if (!step("dispute close", s)) return;
    auto store = open_store(o->db);
    if (!store) return;
    done("closed", settlement::close_dispute(*store, s));
  });

  auto* list = cmd->add_subcommand("list", "Disputes with their state and history");
  list->add_option("--provider", o->provider, "Only this provider");
  list->add_option("--id", o->id, "Only this dispute");
  list->add_flag("--json", o->json, "JSON");
  list->add_option("--db", o->db, "Store: SQLite file or postgresql:// URL (default $MUTUA_DB or ./mutua.db)");
  list->callback([o] {
    auto store = open_store(o->db);
    if (!store) return;
    auto all = store->disputes(o->id, o->provider);
    if (!all) {
      command_failed(all.error());
      return;
    }
    if (o->json) {
      nlohmann::ordered_json j = nlohmann::ordered_json::array();
      for (const auto& d : *all) j.push_back(settlement::dispute_json(d));
      std::printf("%s\n", j.dump(1).c_str());
      return;
    }
    for (const auto& d : *all) print_dispute(d);
    std::printf("%zu dispute(s)\n", all->size());
  });
}

}  // namespace mutua::cli
