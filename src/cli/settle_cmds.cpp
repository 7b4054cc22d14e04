// The fund's money commands: settle (payment runs), ledger check, regularisation, payments.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "commands.h"
#include "dates.h"
#include "store_access.h"
#include "mutua/check_digits.h"
#include "mutua/model/dates.h"
#include "mutua/settlement/ledger_check.h"
#include "mutua/settlement/payment_run.h"
#include "mutua/writer.h"

namespace mutua::cli {

namespace fs = std::filesystem;

namespace {

std::string default_config() {
  const char* env = std::getenv("MUTUA_PAYMENT_CONFIG");
  return env && *env ? env : "mutua-payments.json";
}


std::string envoi_name(const model::LedgerEnvoi& e) {
  // A complement is marked * after the envoi number (DOMAIN.md, "The billing loop" 5).
  return fmt::format("{:03d}{} {:02d}/{:04d} of {}", e.number, e.complement ? fmt::format("*{}", e.complement) : "",
                     e.month, e.year, e.third_party);
}

// The run's report, for a person: the figures, then every transfer, every envoi waiting or held.
std::string run_report(const settlement::RunResult& r, size_t limit) {
  using settlement::euros;
  std::string s;
  int64_t compensated = 0, accepted = 0;
  for (const auto& p : r.payments) {
    compensated += p.compensated_cents;
    accepted += p.accepted_cents;
  }
  int64_t overdue = 0;
  for (const auto& w : r.waiting) overdue += w.overdue;
  for (const auto& w : r.held) overdue += w.overdue;
  s += fmt::format("payment run {} of {} (execution {}){}\n", r.run.key, model::iso(r.run.date), model::iso(r.run.execution),
                   r.resumed ? ": already recorded, its payment file written again" : "");
  s += fmt::format("| budget | paid | transfers | accepted settled | compensated | waiting | held | past {} days |\n",
                   settlement::kDueDays);
  s += "|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  s += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} |\n", euros(r.run.budget_cents), euros(r.run.paid_cents),
                   r.run.transfers, euros(accepted), euros(compensated), r.waiting.size(), r.held.size(), overdue);
  if (r.account_c_cents) s += fmt::format("account C declared by the envois settled (reported, not paid here): {}\n", euros(r.account_c_cents));
  if (!r.payment_file.empty()) s += fmt::format("payment file: {}\n", r.payment_file);
  if (!r.payments.empty()) {
    s += "\n| reference | envoi | account | accepted | compensated | paid | IBAN |\n|---|---|---|---:|---:|---:|---|\n";
    size_t n = 0;
    for (const auto& p : r.payments) {
      if (n++ == limit) {
        s += fmt::format("| ... {} more |\n", r.payments.size() - limit);
        break;
      }
      s += fmt::format("| {} | reception {}{} | {} | {} | {} | {} | {} |\n", p.reference.empty() ? "(no transfer)" : p.reference,
                       p.envoi_id, p.complement ? fmt::format("*{}", p.complement) : "", p.account, euros(p.accepted_cents), euros(p.compensated_cents),
                       euros(p.paid_cents), p.iban);
    }
  }
  for (const auto* list : {&r.held, &r.waiting}) {
    if (list->empty()) continue;
    s += list == &r.held ? "\nheld (cannot be paid; they do not hold up the others):\n" : "\nwaiting (in order of receipt):\n";
    s += "| envoi | received | days waiting | amount | why |\n|---|---|---:|---:|---|\n";
    size_t n = 0;
    for (const auto& w : *list) {
      if (n++ == limit) {
        s += fmt::format("| ... {} more |\n", list->size() - limit);
        break;
      }
      s += fmt::format("| {} | {} | {}{} | {} | {} |\n", envoi_name(w.envoi), model::iso(w.envoi.received), w.days_waiting,
                       w.overdue ? " PAST 14 DAYS" : "", euros(w.net_cents), w.why);
    }
  }
  return s;
}

}  // namespace

void add_settle(CLI::App& app) {
  struct Opts {
    std::string db = default_db(), config = default_config(), date, budget, key, execution, pain, out = ".", coda;
    size_t limit = 50;
  };
  auto opts = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand(
      "settle",
      "Payment run: pay the accepted envois received up to --date, in strict order of receipt, within --budget\n"
      "(an envoi that does not fit waits, and so do all after it); lines the advisor approved later are paid as\n"
      "complements (*) in their place in that order. One payment per envoi and account (A, B), minus\n"
      "the provider's regularisations on that account; each transfer gets a reference YYYY/2/nnnnnnn. Writes the\n"
      "pain.001 file and a report into --out. Running the same run (--run, default its date) again pays nothing\n"
      "twice: it writes the recorded run's payment file again.\n"
      "Exit 0 when done (even if some envois wait), 1 when an envoi is past 14 days unpaid, 2 on an error.");
  cmd->add_option("--date", opts->date, "Date of the run (YYYY-MM-DD)")->required();
  cmd->add_option("--budget", opts->budget, "What the run may pay in all, in euros (e.g. 250000.00)")->required();
  cmd->add_option("--db", opts->db, "Store: SQLite file or postgresql:// URL (default $MUTUA_DB or ./mutua.db)");
  cmd->add_option("--config", opts->config,
                  "Payment configuration (JSON: the fund's account, docs/settlement.md); default $MUTUA_PAYMENT_CONFIG "
                  "or ./mutua-payments.json");
  cmd->add_option("--out", opts->out, "Directory for the payment file and the report")->capture_default_str();
  cmd->add_option("--run", opts->key, "Name of the run (default: its date)");
  cmd->add_option("--execution", opts->execution, "Requested execution date (default: date + the configured offset)");
  cmd->add_option("--pain", opts->pain, "pain.001 version: 001.001.09 (default) or 001.001.03")
      ->check(CLI::IsMember({"001.001.09", "001.001.03"}));
  cmd->add_option("--limit", opts->limit, "Lines listed per table on the terminal (the report file has all)")->capture_default_str();
  cmd->add_option("--coda", opts->coda,
                  "Also write into this directory the CODA statement each creditor's bank would send for the run's\n"
                  "credits (one per account; for trying a provider's reconciliation: real statements come from the banks)");
  cmd->callback([opts] {
    settlement::RunOptions options;
    if (bad_date("settle", "--date", opts->date, options.date)) return;
    if (!opts->execution.empty() && bad_date("settle", "--execution", opts->execution, options.execution)) return;
    auto budget = settlement::parse_euros(opts->budget);
    if (!budget) {
      std::fprintf(stderr, "mutua settle: --budget %s\n", budget.error().message.c_str());
      exit_code() = 2;
      return;
    }
    options.budget_cents = *budget;
    options.key = opts->key;
    auto config = settlement::load_config(opts->config);
    if (!config) {
      print_error(config.error());
      exit_code() = 2;
      return;
    }
    if (!opts->pain.empty()) config->pain_version = opts->pain;
    auto store = open_store(opts->db);
    if (!store) return;
    auto r = settlement::settle(*store, *config, options);
    if (!r) {
      print_error(r.error());
      exit_code() = 2;
      return;
    }
    if (!r->payment_file.empty()) {
      std::error_code ec;
      fs::create_directories(opts->out, ec);
      const fs::path path = fs::path(opts->out) / r->payment_file;
      if (auto w = write_file_atomically(path.string(), r->pain001); !w) {
        // Recorded all the same: running the same run again writes its file again.
        print_error({.code = "Z00602", .message = "cannot write the payment file: " + w.error().message, .file = path.string()});
        exit_code() = 2;
        return;
      }
      r->payment_file = path.string();
    }
    if (!opts->coda.empty() && !r->transfers.empty()) {
      std::error_code ec;
      fs::create_directories(opts->coda, ec);
      for (const auto& [name, content] : settlement::bank_statements(*config, *r, r->run.date)) {
        const fs::path path = fs::path(opts->coda) / name;
        if (auto w = write_file_atomically(path.string(), content); !w) {
          print_error({.code = "Z00602", .message = "cannot write a bank statement: " + w.error().message, .file = path.string()});
          exit_code() = 2;
          return;
        }
      }
      std::printf("bank statements (CODA): %s\n", opts->coda.c_str());
    }
    if (r->run.id == 0) std::printf("nothing paid: no run recorded (the same run may be made again)\n");
    std::fputs(run_report(*r, opts->limit).c_str(), stdout);
    if (r->run.id) {
      std::error_code ec;
      fs::create_directories(opts->out, ec);
      fs::path report = fs::path(opts->out) / ("payment-run-" + r->run.key + ".md");
      std::ofstream(report) << run_report(*r, SIZE_MAX);
      std::printf("report: %s\n", report.c_str());
    }
    for (const auto* list : {&r->waiting, &r->held})
      for (const auto& w : *list)
        if (w.overdue) exit_code() = 1;
  });
}

void add_ledger(CLI::App& app) {
  auto* cmd = app.add_subcommand("ledger", "The fund's ledger of accepted envois, payments and regularisations");
  cmd->require_subcommand(1);
  auto db = std::make_shared<std::string>(default_db());
  auto* check = cmd->add_subcommand(
      "check",
      "Recompute every figure: for every envoi and account accepted = paid + compensated + awaiting; payments,\n"
      "compensations, references and history sums agree. Exit 0 when it balances, 1 on any imbalance (listed).");
  check->add_option("--db", *db, "Store: SQLite file or postgresql:// URL (default $MUTUA_DB or ./mutua.db)");
  check->callback([db] {
    auto store = open_store(*db);
    if (!store) return;
    auto state = store->ledger(false, true);
    if (!state) {
      print_error(state.error());
      exit_code() = 2;
      return;
    }
    auto rep = settlement::check_ledger(*state);
    const auto& t = rep.totals;
    using settlement::euros;
    std::printf("| envois accepted | settled | accepted | paid | compensated | awaiting payment | pending advisor | account C (reported) |\n");
    std::printf("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    std::printf("| %lld | %lld | %s | %s | %s | %s | %s | %s |\n", static_cast<long long>(t.envois),
                static_cast<long long>(t.settled), euros(t.accepted).c_str(), euros(t.paid).c_str(),
                euros(t.compensated).c_str(), euros(t.awaiting).c_str(), euros(t.pending).c_str(), euros(t.account_c).c_str());
    std::printf("%lld payment runs, %lld transfers; %lld open regularisations: %s owed by providers, %s owed to them; "
                "%lld envois checked against their lines in history\n",
                static_cast<long long>(t.runs), static_cast<long long>(t.transfers), static_cast<long long>(t.regularisations),
                euros(t.owed_by_providers).c_str(), euros(t.owed_to_providers).c_str(),
                static_cast<long long>(t.history_checked));
    if (t.approved || t.refused_later)
      std::printf("lines the advisor settled later: %s approved (%s of them awaiting a complement), %s refused\n",
                  euros(t.approved).c_str(), euros(t.approved_awaiting).c_str(), euros(t.refused_later).c_str());
    if (rep.problems.empty()) {
      std::printf("ledger balances: accepted = paid + compensated + awaiting payment\n");
      return;
    }
    std::printf("%zu problem(s):\n", rep.problems.size());
    for (const auto& p : rep.problems) std::printf("  %s\n", p.c_str());
    exit_code() = 1;
  });
}

void add_regularisation(CLI::App& app) {
  auto* cmd = app.add_subcommand("regularisation",
                                 "A posteriori corrections (form M38): recorded with reason and amount, set off on the "
                                 "provider's next payments on that account");
  cmd->require_subcommand(1);
  struct Opts {
    std::string db = default_db(), provider, amount, reason, account = "A", date;
    int64_t envoi = 0;
    uint64_t line = 0;
  };
  auto opts = std::make_shared<Opts>();
  auto* add = cmd->add_subcommand("add", "Record a regularisation; a positive amount is owed by the provider, a negative "
                                         "one owed to the provider");
  add->add_option("--provider", opts->provider, "INAMI number of the third party paid (ET 10 zone 14)")->required();
  add->add_option("--amount", opts->amount, "Euros (e.g. 12.50; negative: owed to the provider)")->required();
  add->add_option("--reason", opts->reason, "Why (shown on the payment letter)")->required();
  add->add_option("--account", opts->account, "A or B")->check(CLI::IsMember({"A", "B"}))->capture_default_str();
  add->add_option("--date", opts->date, "Date recorded (default: today)");
  add->add_option("--envoi", opts->envoi, "Reception id of the envoi it concerns");
  add->add_option("--line", opts->line, "Record number of the line it concerns in that envoi");
  add->add_option("--db", opts->db, "Store: SQLite file or postgresql:// URL (default $MUTUA_DB or ./mutua.db)");
  add->callback([opts] {
    model::Regularisation r;
    r.recorded = system_today();
    if (!opts->date.empty() && bad_date("regularisation add", "--date", opts->date, r.recorded)) return;
    auto amount = settlement::parse_euros(opts->amount);
    if (!amount || *amount == 0) {
      std::fprintf(stderr, "mutua regularisation add: --amount %s\n",
                   amount ? "cannot be zero" : amount.error().message.c_str());
      exit_code() = 2;
      return;
    }
    if (opts->provider.size() != 11 || !check::all_digits(opts->provider)) {
      std::fprintf(stderr, "mutua regularisation add: --provider must be an 11-digit INAMI number\n");
      exit_code() = 2;
      return;
    }
    r.third_party = opts->provider;
    r.account = opts->account[0];
    r.amount_cents = *amount;
    r.reason = opts->reason;
    r.origin = "M38";
    r.envoi_id = opts->envoi;
    r.record = opts->line;
    auto store = open_store(opts->db);
    if (!store) return;
    if (r.envoi_id) {
      auto e = store->envoi(r.envoi_id);
      if (!e || !*e || (*e)->third_party != r.third_party) {
        std::fprintf(stderr, "mutua regularisation add: reception %lld is not an envoi of %s\n",
                     static_cast<long long>(r.envoi_id), r.third_party.c_str());
        exit_code() = 2;
        return;
      }
    }
    auto id = store->add_regularisation(r);
    if (!id) {
      print_error(id.error());
      exit_code() = 2;
      return;
    }
    std::printf("regularisation %lld: %s on account %c of %s (%s), set off from the next payments\n",
                static_cast<long long>(*id), settlement::euros(r.amount_cents).c_str(), r.account, r.third_party.c_str(),
                r.reason.c_str());
  });
  auto list_provider = std::make_shared<std::string>();
  auto* list = cmd->add_subcommand("list", "Regularisations with what was set off and what remains");
  list->add_option("--provider", *list_provider, "Only this INAMI number");
  list->add_option("--db", opts->db, "Store: SQLite file or postgresql:// URL (default $MUTUA_DB or ./mutua.db)");
  list->callback([opts, list_provider] {
    auto store = open_store(opts->db);
    if (!store) return;
    auto state = store->ledger(false, false);
    if (!state) {
      print_error(state.error());
      exit_code() = 2;
      return;
    }
    using settlement::euros;
    std::printf("| id | provider | account | recorded | origin | amount | set off | remaining | reason |\n");
    std::printf("|---:|---|---|---|---|---:|---:|---:|---|\n");
    for (const auto& r : state->regularisations) {
      if (!list_provider->empty() && r.third_party != *list_provider) continue;
      std::printf("| %lld | %s | %c | %s | %s | %s | %s | %s | %s |\n", static_cast<long long>(r.id), r.third_party.c_str(),
                  r.account, model::iso(r.recorded).c_str(), r.origin.c_str(), euros(r.amount_cents).c_str(),
                  euros(r.set_off_cents).c_str(), euros(r.amount_cents - r.set_off_cents).c_str(), r.reason.c_str());
    }
  });
}

}  // namespace mutua::cli
