// The fund's commands: refdata import, adjudicate, explain.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "dates.h"
#include "progress.h"
#include "store_access.h"
#include "mutua/catalog.h"
#include "mutua/engine/adjudicate.h"
#include "mutua/engine/batch.h"
#include "mutua/engine/explain.h"
#include "mutua/model/dates.h"
#include "mutua/settlement/config.h"
#include "mutua/store/postgresql.h"
#include "mutua/store/sqlite.h"

namespace mutua::cli {

namespace fs = std::filesystem;


void add_refdata(CLI::App& app) {
  auto* cmd = app.add_subcommand("refdata", "The fund's reference data (members, providers, nomenclature...)");
  cmd->require_subcommand(1);
  struct Opts {
    std::string dir, db = default_db();
    bool allow_shrink = false;
  };
  auto opts = std::make_shared<Opts>();
  auto* imp = cmd->add_subcommand("import",
                                  "Load the reference CSV files of a directory (docs/refdata.md) into the store.\n"
                                  "All files are checked first; any bad row (file, line, column reported) and nothing "
                                  "is imported.");
  imp->add_option("dir", opts->dir, "Directory holding members.csv, providers.csv, nomenclature.csv...")
      ->required()
      ->check(CLI::ExistingDirectory);
  imp->add_option("--db", opts->db, "Store: SQLite file (created when absent) or postgresql:// URL (default $MUTUA_DB or ./mutua.db)");
  imp->add_flag("--allow-shrink", opts->allow_shrink,
                "Accept files that would remove more than half of a table's rows (a header-only members.csv...)");
  imp->callback([opts] {
    auto tables = model::read_refdata_dir(opts->dir);
    if (!tables) {
      print_error(tables.error());
      exit_code() = 2;
      return;
    }
    std::vector<Error> problems;
    auto data = model::parse_refdata(*tables, opts->dir, problems);
    if (!data) {
      for (const auto& p : problems) {
        std::fprintf(stderr, "%s:%llu: %s\n", p.file.c_str(), static_cast<unsigned long long>(p.record),
                     p.message.c_str());
      }
      std::fprintf(stderr, "mutua refdata import: %s\n", data.error().message.c_str());
      exit_code() = 1;
      return;
    }
    auto store = open_store(opts->db, false, /*create=*/true);
    if (!store) return;
    if (!opts->allow_shrink) {
      // A file that would take away most of what the store holds is more likely a wrong file
      // (an export cut short, a header alone) than the fund's data: it needs --allow-shrink.
      auto held = store->refdata_counts();
      if (!held) {
        print_error(held.error());
        exit_code() = 2;
        return;
      }
      bool refused = false;
      for (const auto& [name, before] : *held) {
        auto it = tables->find(name);
        const uint64_t after = it == tables->end() ? 0 : it->second.rows.size();
        if (before >= 10 && after * 2 < before) {
          std::fprintf(stderr, "mutua refdata import: %s/%s has %llu rows where the store holds %llu: nothing imported "
                               "(--allow-shrink if that is meant)\n",
                       opts->dir.c_str(), name.c_str(), static_cast<unsigned long long>(after),
                       static_cast<unsigned long long>(before));
          refused = true;
        }
      }
      if (refused) {
        exit_code() = 1;
        return;
      }
    }
    if (auto r = store->replace_refdata(*data); !r) {
      print_error(r.error());
      exit_code() = 2;
      return;
    }
    std::printf("imported into %s: %zu members, %zu insurability periods, %zu providers, %zu destinations, "
                "%zu nomenclature rows, %zu cumulation bans, %zu prerequisites, %zu hospital stays, %zu care pathways, "
                "%zu medical-house contracts, %zu agreements, %zu palliative notifications, %zu payment commitments, "
                "%zu detentions, %zu CT1-CT2 combinations, %zu tariff consultations\n",
                store::display_name(opts->db).c_str(), data->members.size(), data->insurability.size(), data->providers.size(),
                data->destinations.size(), data->nomenclature.size(), data->cumulations.size(),
                data->prerequisites.size(), data->hospitalisations.size(), data->pathways.size(),
                data->medical_houses.size(), data->agreements.size(), data->palliative.size(),
                data->commitments.size(), data->detentions.size(), data->ct_codes.size(),
                data->tariff_commitments.size());
  });
}

// Merges the store's recent history into its large history (docs/performance.md, "A table of
// recent history"), saying how many lines and how long on `out`. With nothing to merge the
// store still makes its history filter if it has none (SQLite, migration 31).
void merge_recent_history(model::Store& store, const char* cmd, FILE* out) {
  auto waiting = store.recent_history_lines();
  if (!waiting) return command_failed(waiting.error());
  if (*waiting > 0)
    std::fprintf(stderr, "mutua %s: merging %lld line(s) of recent history into history...\n", cmd,
                 static_cast<long long>(*waiting));
  const auto t0 = std::chrono::steady_clock::now();
  auto moved = store.merge_recent_history();
  if (!moved) return command_failed(moved.error());
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (*moved == 0)
    std::fprintf(out, "no recent history to merge (%.1f s)\n", s);
  else
    std::fprintf(out, "merged %lld line(s) of recent history into history in %.1f s\n", static_cast<long long>(*moved), s);
}

void add_db(CLI::App& app) {
  auto* cmd = app.add_subcommand("db", "The store itself");
  cmd->require_subcommand(1);
  auto db = std::make_shared<std::string>(default_db());
  auto* init = cmd->add_subcommand("init", "Create an empty store (every command but this one and `refdata import` "
                                           "needs an existing store), or bring an existing one to this version");
  init->add_option("--db", *db, "Store: SQLite file or postgresql:// URL (default $MUTUA_DB or ./mutua.db)");
  auto page_bytes = std::make_shared<int>(0);
  init->add_option("--page-size", *page_bytes,
                   "SQLite: the page size in bytes of a store made now (default 4096, what the portal serves best; "
                   "16384 for a store that mostly judges batches: docs/performance.md). An existing store keeps its own")
      ->check(CLI::IsMember({512, 1024, 2048, 4096, 8192, 16384, 32768, 65536}));
  init->callback([db, page_bytes] {
    const bool pg = store::is_postgresql_url(*db);
    if (pg && *page_bytes != 0) {
      std::fprintf(stderr, "mutua db init: --page-size is for an SQLite store; PostgreSQL sets its own\n");
      exit_code() = 2;
      return;
    }
    auto store = open_store(*db, false, /*create=*/true, *page_bytes);
    if (!store) return;
    if (pg) {
      std::printf("store %s ready (PostgreSQL schema version %d)\n", store::display_name(*db).c_str(),
                  store::postgresql_schema_version());
      return;
    }
    store.reset();  // its pages written: the file says its page size
    auto bytes = store::sqlite_page_bytes(*db);
    if (!bytes) return command_failed(bytes.error());
    std::printf("store %s ready (SQLite schema version %d, pages of %d bytes)\n", store::display_name(*db).c_str(),
                store::sqlite_schema_version(), *bytes);
    if (*page_bytes != 0 && *bytes != *page_bytes)
      std::fprintf(stderr, "mutua db init: %s already existed with pages of %d bytes, which it keeps (--page-size "
                           "applies to a store made now)\n", db->c_str(), *bytes);
  });
  auto* migrate = cmd->add_subcommand("migrate", "Bring an existing store's schema to this version (data/store/): "
                                                 "each migration in its own transaction; says from which version to which");
  migrate->add_option("--db", *db, "Store: SQLite file or postgresql:// URL (default $MUTUA_DB or ./mutua.db)");
  migrate->callback([db] {
    const bool pg = store::is_postgresql_url(*db);
    if (!pg && !std::filesystem::exists(*db)) {
      std::fprintf(stderr, "mutua db migrate: no store at %s (`mutua db init` creates one)\n", db->c_str());
      exit_code() = 2;
      return;
    }
    auto before = store::stored_schema_version(*db);
    if (!before) return command_failed(before.error());
    auto store = open_store(*db);
    if (!store) return;
    const int now = pg ? store::postgresql_schema_version() : store::sqlite_schema_version();
    if (*before == now)
      std::printf("store %s already at %s schema version %d\n", store::display_name(*db).c_str(), pg ? "PostgreSQL" : "SQLite", now);
    else
      std::printf("store %s migrated from %s schema version %d to %d\n", store::display_name(*db).c_str(),
                  pg ? "PostgreSQL" : "SQLite", *before, now);
  });
  auto* compact = cmd->add_subcommand(
      "compact",
      "Merge the recent history into the large history table (SQLite: accepted lines are first written to a small\n"
      "table, cheap to write; the large table is kept in patient and code order, and merging in that order writes\n"
      "each of its pages once). It keeps a filter of the (NISS, code) pairs the large table holds, so that reads\n"
      "skip codes a patient never had; it makes one, even with nothing to merge, where the store has none\n"
      "(an older store, or after a bulk load of history).\n"
      "Best run while no envoi is judged (nightly); `adjudicate` merges on its own past --merge-history-at lines.\n"
      "Reads give the same lines before and after. Nothing to do on PostgreSQL.");
  compact->add_option("--db", *db, "Store: SQLite file or postgresql:// URL (default $MUTUA_DB or ./mutua.db)");
  compact->callback([db] {
    auto store = open_store(*db);
    if (!store) return;
    merge_recent_history(*store, "db compact", stdout);
  });
}

void add_adjudicate(CLI::App& app) {
  struct Opts {
    std::vector<std::string> files;
    std::string db = default_db(), today, out = ".", batch;
    std::string threshold;
    bool json = false, timings = false;
    int64_t merge_history_at = 5'000'000;
  };
  auto opts = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand(
      "adjudicate",
      "Receive envois as the fund does and write the responses (920900 settlement, 920099 reject file,\n"
      "920999 refusal, 920098 informative) in the billing format and as JSON, into --out.\n"
      "Exit 0 when every envoi was accepted (920900), 1 when one was rejected or refused, 2 on a store error.");
  cmd->add_option("files", opts->files, "Envois (920000), judged in the order given")->required()->check(CLI::ExistingPath);
  cmd->add_option("--db", opts->db, "Store: SQLite file or postgresql:// URL (default $MUTUA_DB or ./mutua.db)");
  cmd->add_option("--today", opts->today, "Date of receipt (YYYY-MM-DD); default: the system date");
  cmd->add_option("--out", opts->out, "Directory for the responses")->capture_default_str();
  cmd->add_option("--batch", opts->batch,
                  "Reception batch id: running the same batch again (after a crash) re-writes what it recorded and "
                  "judges only the rest");
  cmd->add_option("--threshold", opts->threshold, "Error-rate threshold in percent (default 5.00)");
  cmd->add_flag("--json", opts->json, "Print the outcomes as JSON lines");
  cmd->add_flag("--timings", opts->timings, "Print the seconds each step of the pipeline took, per envoi (stderr)");
  cmd->add_option("--merge-history-at", opts->merge_history_at,
                  "After the envois, merge the recent history into the large one (`mutua db compact`) when it holds "
                  "this many lines or more; 0: never here")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->callback([opts] {
    engine::AdjudicateOptions options;
    options.today = opts->today.empty() ? system_today() : parse_date(opts->today);
    if (!options.today) {
      std::fprintf(stderr, "mutua adjudicate: --today '%s' is not a date\n", opts->today.c_str());
      exit_code() = 2;
      return;
    }
    options.batch = opts->batch;
    if (!opts->threshold.empty() && !read_threshold("adjudicate", opts->threshold, options.threshold_bp)) return;
    auto store = open_store(opts->db);
    if (!store) return;
    std::error_code ec;
    fs::create_directories(opts->out, ec);
    Progress bar("adjudicate", isatty(2) && opts->files.size() > 1);
    size_t done = 0;
    engine::BatchCallbacks callbacks;
    callbacks.unreceivable = [](const std::string&, const Error& e) {
      print_error(e);  // not a file that can be received (a pipe, a directory...): the others go on
      exit_code() = 2;
    };
    // Response files are named after the envoi's file; a name another reception already wrote
    // (two providers' files of one name, a file sent again) gets the reception id as well, so
    // nothing is overwritten. A resumed batch writes its own files again under the same names.
    callbacks.judged = [&](const std::string& file, const engine::Adjudication& r, bool owns_its_name) {
      std::string stem = fs::path(file).stem().string();
      std::vector<std::string> written;
      for (const auto& resp : r.responses) {
        for (const auto& [ext, content] : {std::pair{std::string(".efact"), &resp.bytes}, {std::string(".json"), &resp.json}}) {
          if (content->empty()) continue;
          fs::path p = fs::path(opts->out) / (stem + "." + resp.message + ext);
          std::error_code exists_ec;
          if (fs::exists(p, exists_ec) && !owns_its_name)
            p = fs::path(opts->out) / fmt::format("{}.{}.{}{}", stem, r.envoi.id, resp.message, ext);
          if (!write_file(p, *content)) return false;
          written.push_back(p.string());
        }
      }
      if (r.message != "920900") exit_code() = std::max(exit_code(), 1);
      const auto& e = r.envoi;
      if (opts->json) {
        nlohmann::ordered_json j = {{"file", file},
                                    {"message", r.message},
                                    {"reception", e.id},
                                    {"error_rate", fmt::format("{}.{:02d}", e.error_rate_bp / 100, e.error_rate_bp % 100)},
                                    {"resumed", r.resumed},
                                    {"written", written}};
        std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      } else {
        std::printf("%s: %s (envoi %d of %s, %04d-%02d, reception %lld)\n", file.c_str(), r.message.c_str(), e.number,
                    e.third_party.c_str(), e.year, e.month, static_cast<long long>(e.id));
        for (const auto& s : r.summary) std::printf("  %s\n", s.c_str());
        for (const auto& w : written) std::printf("  wrote %s\n", w.c_str());
      }
      if (opts->timings) {
        std::string t;
        for (const auto& [phase, s] : r.phases) t += fmt::format(" {} {:.3f}", phase, s);
        std::fprintf(stderr, "%s: timings (s):%s\n", file.c_str(), t.c_str());
      }
      std::fflush(stdout);
      bar.update(++done, opts->files.size(), " envois");
      return true;
    };
    // A second connection reads the next envoi's patients ahead, as the workers do, while the
    // one after is read and checked: on bench/engine.sh's world 11.4-11.6 s against 12.0-12.1 s
    // (docs/performance.md, session 30). Measured before the large history was kept in patient
    // order (migration 30), it was no faster on SQLite: each of its reads then touched a page per
    // line, and the other connection's commits empty its page cache.
    // (":memory:" would open a second, empty store.)
    // On PostgreSQL a third connection shares each reading ahead (the server works for both);
    // not on SQLite, where the reads are this process's CPU, already busy.
    std::unique_ptr<model::Store> ahead, helper;
    // A single file too: its patients' data are read on it beside the file's checks.
    if (!opts->files.empty() && opts->db != ":memory:") ahead = open_reading_ahead_store(opts->db);
    if (ahead && store::is_postgresql_url(opts->db)) helper = open_store(opts->db);
    auto batch = engine::adjudicate_batch(opts->files, *store, options, callbacks, ahead.get(), helper.get());
    if (!batch) {
      print_error(batch.error());
      exit_code() = 2;
      return;
    }
    if (!batch->undelivered.empty()) {
      // The store is the truth: what could not be written is recorded, and `mutua response`
      // writes it again. Say which receptions lack their files.
      std::string list;
      for (int64_t id : batch->undelivered) list += fmt::format("{}{}", list.empty() ? "" : ", ", id);
      std::fprintf(stderr,
                   "mutua adjudicate: stopped: the responses of reception %s could not be written into %s; they are "
                   "recorded: write them with `mutua response --reception ID --out DIR` once there is room\n",
                   list.c_str(), opts->out.c_str());
      exit_code() = 2;
    }
    if (opts->merge_history_at > 0) {
      auto waiting = store->recent_history_lines();
      if (!waiting) return command_failed(waiting.error());
      if (*waiting >= opts->merge_history_at) merge_recent_history(*store, "adjudicate", stderr);  // stdout: the envois' outcomes
    }
  });
}

void add_explain(CLI::App& app) {
  struct Opts {
    int envoi = 0;
    std::string provider, db = default_db();
    uint64_t line = 0;
    int64_t reception = 0;
  };
  auto opts = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("explain",
                                 "Show which rules ran on a line of a recorded envoi, which fired, and the facts they "
                                 "used (judged again as on its day: same reference data, history before it).");
  cmd->add_option("--envoi", opts->envoi, "Envoi number (latest reception with that number)");
  cmd->add_option("--provider", opts->provider, "Third-party number, when several providers used the number");
  cmd->add_option("--reception", opts->reception, "Reception id (as `mutua adjudicate` prints it) instead of --envoi");
  cmd->add_option("--line", opts->line, "Record number in the envoi (ET 10 is record 1), as in the responses")->required();
  cmd->add_option("--db", opts->db, "Store: SQLite file or postgresql:// URL (default $MUTUA_DB or ./mutua.db)");
  cmd->callback([opts] {
    auto store = open_store(opts->db);
    if (!store) return;
    auto found = find_envoi(*store, "explain", opts->reception, opts->envoi, opts->provider);
    if (!found) return;
    auto x = engine::explain(*store, *found, opts->line);
    if (!x) {
      print_error(x.error());
      exit_code() = x.error().code == "Z00210" || x.error().code == "Z00001" ? 1 : 2;
      return;
    }
    std::printf("envoi %d of %s (%04d-%02d), reception %lld on %s: %s\n", found->number, found->third_party.c_str(),
                found->year, found->month, static_cast<long long>(found->id), model::iso(found->received).c_str(),
                std::string(model::status_name(found->status)).c_str());
    std::printf("record %llu (ET %s)", static_cast<unsigned long long>(opts->line), x->record_type.c_str());
    if (x->prestation)
      std::printf(": %s on %s for %s by %s, %d unit(s), %s EUR", x->code.c_str(), model::iso(x->date).c_str(),
                  x->niss.c_str(), x->provider.c_str(), x->units, settlement::euros(x->amount).c_str());
    std::printf("\n\nrules that ran:\n");
    for (const auto& n : x->notes) std::printf("  %-13s %s\n", n.rule.c_str(), n.note.c_str());
    std::printf("\n%s\n", x->codes.empty() ? "no code: the line is accepted" : "codes:");
    for (const auto& v : x->codes) {
      std::printf("  %c%s  %s\n", v.type, v.code.c_str(), std::string(Catalog::builtin().label(v.code)).c_str());
      std::printf("         rule: %s\n", v.rule.c_str());
      if (!v.comment.empty()) std::printf("         zone 149: %s\n", v.comment.c_str());
      for (const auto& [k, val] : v.facts)
        if (!val.empty()) std::printf("         %s = %s\n", k.c_str(), val.c_str());
    }
  });
}

}  // namespace mutua::cli
