// Receiving envois into the store's queue, judging them with workers, and the queue's state:
// `mutua receive`, `mutua worker`, `mutua queue` (a PostgreSQL store; docs/scale-out.md).
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "dates.h"
#include "store_access.h"
#include "mutua/engine/worker.h"
#include "mutua/store/postgresql.h"

namespace mutua::cli {

namespace fs = std::filesystem;

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

std::string read_bytes(const std::string& path, bool& ok) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  ok = static_cast<bool>(in) || in.eof();
  return s.str();
}

}  // namespace

void add_receive(CLI::App& app) {
  struct Opts {
    std::vector<std::string> files;
    std::string db = default_db(), today;
  };
  auto opts = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand(
      "receive",
      "Record envois as received, in the order given, for workers to judge (`mutua worker`); each gets its\n"
      "reception id (the envoi id it is recorded under) now. Needs a PostgreSQL store.");
  cmd->add_option("files", opts->files, "Envois (920000), in order of receipt")->required()->check(CLI::ExistingFile);
  cmd->add_option("--db", opts->db, "Store: postgresql:// URL (default $MUTUA_DB)");
  cmd->add_option("--today", opts->today, "Date of receipt (YYYY-MM-DD); default: the system date");
  cmd->callback([opts] {
    const model::Date today = opts->today.empty() ? system_today() : parse_date(opts->today);
    if (!today) {
      std::fprintf(stderr, "mutua receive: --today '%s' is not a date\n", opts->today.c_str());
      exit_code() = 2;
      return;
    }
    auto store = open_store(opts->db);
    if (!store) return;
    for (const auto& file : opts->files) {
      bool ok = false;
      const std::string bytes = read_bytes(file, ok);
      if (!ok) {
        std::fprintf(stderr, "mutua receive: %s cannot be read\n", file.c_str());
        exit_code() = 2;
        continue;
      }
      auto id = engine::receive_into_queue(*store, fs::path(file).filename().string(), bytes, today);
      if (!id) return command_failed(id.error());
      std::printf("%s: received, reception %lld\n", file.c_str(), static_cast<long long>(*id));
    }
  });
}

void add_worker(CLI::App& app) {
  struct Opts {
    std::string db = default_db(), out, name, threshold;
    bool until_empty = false, timings = false;
  };
  auto opts = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand(
      "worker",
      "Judge received envois (`mutua receive`) from the store's queue, the oldest first, with as many workers\n"
      "on as many machines as wanted: the decisions are those of one process judging them in order of receipt.\n"
      "Records each envoi and its responses in the store (`mutua response` writes them); --out writes them too.\n"
      "Waits for new envois until stopped (SIGINT, SIGTERM), or stops when none is left (--until-empty).");
  cmd->add_option("--db", opts->db, "Store: postgresql:// URL (default $MUTUA_DB)");
  cmd->add_flag("--until-empty", opts->until_empty, "Stop when no envoi is waiting or being judged");
  cmd->add_option("--out", opts->out, "Also write each envoi's responses here (RECEPTION-FILE.MESSAGE.efact/json)");
  cmd->add_option("--name", opts->name, "This worker's name in the queue (default host:pid)");
  cmd->add_option("--threshold", opts->threshold, "Error-rate threshold in percent (default 5.00)");
  cmd->add_flag("--timings", opts->timings, "Print the seconds each step of the pipeline took, per envoi (stderr)");
  cmd->callback([opts] {
    engine::WorkerOptions options;
    options.until_empty = opts->until_empty;
    if (opts->name.empty()) {
      char host[256] = {0};
      gethostname(host, sizeof host - 1);
      options.name = fmt::format("{}:{}", host, getpid());
    } else {
      options.name = opts->name;
    }
    if (!opts->threshold.empty() && !read_threshold("worker", opts->threshold, options.threshold_bp)) return;
    auto store = open_store(opts->db);
    if (!store) return;
    // The next reception is read on a second store while one is judged (engine::run_worker).
    auto ahead = open_reading_ahead_store(opts->db);
    if (!ahead) return;
    // On PostgreSQL a third connection shares each reading ahead: the server reads the history
    // of half the patients for it while it reads the other half (docs/performance.md).
    std::unique_ptr<model::Store> helper;
    if (store::is_postgresql_url(opts->db) && !(helper = open_store(opts->db))) return;
    if (!opts->out.empty()) {
      std::error_code ec;
      fs::create_directories(opts->out, ec);
    }
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::printf("worker %s on %s\n", options.name.c_str(), store::display_name(opts->db).c_str());
    std::fflush(stdout);
    bool write_failed = false;
    auto totals = engine::run_worker(
        *store, options,
        [&](const engine::WorkerEvent& ev) {
          if (!ev.judged) {
            std::printf("reception %lld %s: failed: %s\n", static_cast<long long>(ev.id), ev.file_name.c_str(),
                        ev.error.c_str());
            std::fflush(stdout);
            return;
          }
          const auto& r = *ev.judged;
          const auto& e = r.envoi;
          std::printf("reception %lld %s: %s (envoi %d of %s, %04d-%02d)%s\n", static_cast<long long>(ev.id),
                      ev.file_name.c_str(), r.message.c_str(), e.number, e.third_party.c_str(), e.year, e.month,
                      ev.resumed ? ", recorded before its worker stopped" : "");
          if (opts->timings && !ev.resumed) {
            std::string t;
            for (const auto& [phase, s] : r.phases) t += fmt::format(" {} {:.3f}", phase, s);
            std::fprintf(stderr, "reception %lld: timings (s):%s\n", static_cast<long long>(ev.id), t.c_str());
          }
          if (!opts->out.empty())
            for (const auto& resp : r.responses)
              for (const auto& [ext, content] : {std::pair{".efact", &resp.bytes}, {".json", &resp.json}}) {
                if (content->empty()) continue;
                const fs::path p = fs::path(opts->out) / fmt::format("{}-{}.{}{}", ev.id, fs::path(ev.file_name).stem().string(),
                                                                     resp.message, ext);
                write_failed = !write_file(p, *content) || write_failed;
              }
          std::fflush(stdout);
        },
        [] { return g_stop.load(); }, ahead.get(), helper.get());
    if (!totals) return command_failed(totals.error());
    std::printf("worker %s: %lld judged, %lld recorded before, %lld failed\n", options.name.c_str(),
                static_cast<long long>(totals->judged), static_cast<long long>(totals->resumed),
                static_cast<long long>(totals->failed));
    if (totals->failed || write_failed) exit_code() = std::max(exit_code(), 1);
  });
}

void add_queue(CLI::App& app) {
  struct Opts {
    std::string db = default_db();
    bool json = false;
  };
  auto opts = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("queue", "Received envois: waiting, being judged, done, failed (with why)");
  cmd->add_option("--db", opts->db, "Store: postgresql:// URL (default $MUTUA_DB)");
  cmd->add_flag("--json", opts->json, "As JSON");
  cmd->callback([opts] {
    auto store = open_store(opts->db);
    if (!store) return;
    auto st = store->queue_status();
    if (!st) return command_failed(st.error());
    if (opts->json) {
      nlohmann::ordered_json j = {{"waiting", st->waiting},
                                  {"in_progress", st->in_progress},
                                  {"done", st->done},
                                  {"failed", st->failed},
                                  {"failures", nlohmann::json::array()}};
      for (const auto& f : st->failures)
        j["failures"].push_back({{"reception", f.id}, {"file", f.file_name}, {"error", f.error}});
      std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      return;
    }
    std::printf("| waiting | being judged | done | failed |\n|---:|---:|---:|---:|\n| %lld | %lld | %lld | %lld |\n",
                static_cast<long long>(st->waiting), static_cast<long long>(st->in_progress),
                static_cast<long long>(st->done), static_cast<long long>(st->failed));
    for (const auto& f : st->failures)
      std::printf("failed: reception %lld %s: %s\n", static_cast<long long>(f.id), f.file_name.c_str(), f.error.c_str());
  });
}

}  // namespace mutua::cli
