// `mutua retention`: personal details older than 3 years plus the current year go.
#include <cstdio>

#include "commands.h"
#include "dates.h"
#include "store_access.h"
#include "mutua/model/dates.h"

namespace mutua::cli {

void add_retention(CLI::App& app) {
  struct Opts {
    std::string db = default_db(), today;
    bool dry_run = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand(
      "retention",
      "Apply the retention period (3 years plus the current year): removes the received envois, responses and history "
      "lines of envois received before 1 January of (today's year - 3) (and history lines loaded without an envoi, billed before it; on PostgreSQL a year of history with nothing to keep is dropped whole), and the NISS and free text of settled advisor "
      "lines, consultations, closed agreements, ended disputes, information requests (and their attachments) and audit "
      "entries before it. Keeps envoi-number keys, ledger totals, "
      "payments, references and regularisations: the ledger check still passes. Nothing younger is touched, nor an "
      "accepted envoi not yet paid (or with lines the advisor has not settled or a complement not paid); --today "
      "cannot be a day to come.");
  cmd->add_option("--today", o->today, "Today (YYYY-MM-DD; default: the system date)");
  cmd->add_flag("--dry-run", o->dry_run, "Count what would go, change nothing");
  cmd->add_option("--db", o->db, "Store: SQLite file or postgresql:// URL (default $MUTUA_DB or ./mutua.db)");
  cmd->callback([o] {
    model::Date today = system_today();
    if (!o->today.empty() && bad_date("retention", "--today", o->today, today)) return;
    if (today > system_today()) {
      // A day to come would take away what the fund must still keep and show.
      std::fprintf(stderr, "mutua retention: --today %s is after today (%s): refused\n", model::iso(today).c_str(),
                   model::iso(system_today()).c_str());
      exit_code() = 2;
      return;
    }
    auto store = open_store(o->db);
    if (!store) return;
    auto r = store->apply_retention(model::retention_cutoff(today), o->dry_run);
    if (!r) {
      command_failed(r.error());
      return;
    }
    std::printf("retention: personal details before %s %s\n", model::iso(r->cutoff).c_str(),
                o->dry_run ? "(dry run: nothing changed)" : "removed");
    std::printf("| envois | received files | responses | history lines | advisor lines | consultations | agreements | disputes "
                "| requests | attachments | audit entries |\n");
    std::printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    std::printf("| %lld | %lld | %lld | %lld | %lld | %lld | %lld | %lld | %lld | %lld | %lld |\n", static_cast<long long>(r->envois),
                static_cast<long long>(r->received_files), static_cast<long long>(r->responses),
                static_cast<long long>(r->history_lines), static_cast<long long>(r->pending_lines),
                static_cast<long long>(r->consultations), static_cast<long long>(r->agreements),
                static_cast<long long>(r->disputes), static_cast<long long>(r->requests),
                static_cast<long long>(r->attachments), static_cast<long long>(r->audit_entries));
    if (r->history_years_dropped > 0)
      std::printf("history: %lld year(s) of lines dropped whole (PostgreSQL partitions)\n",
                  static_cast<long long>(r->history_years_dropped));
  });
}

}  // namespace mutua::cli
