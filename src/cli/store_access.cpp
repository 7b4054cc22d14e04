#include "store_access.h"

#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "commands.h"
#include "dates.h"
#include "mutua/model/refdata.h"
#include "mutua/settlement/config.h"
#include "mutua/store/memory.h"
#include "mutua/store/postgresql.h"
#include "mutua/store/sqlite.h"
#include "mutua/writer.h"

namespace mutua::cli {

std::string default_db() {
  const char* env = std::getenv("MUTUA_DB");
  return env && *env ? env : "mutua.db";
}

namespace {
std::unique_ptr<model::Store> open_store_with(const std::string& path, bool mapped, bool create, int page_bytes,
                                              int64_t cache_bytes) {
  // Only an explicit initialisation makes a store: a mistyped --db (or ./mutua.db where MUTUA_DB
  // is unset) must not judge envois against an empty one.
  if (store::is_postgresql_url(path)) {
    auto pg = store::open_postgresql(path);
    if (!pg) {
      std::fprintf(stderr, "mutua: store %s: %s\n", pg.error().file.c_str(), pg.error().message.c_str());
      exit_code() = 2;
      return nullptr;
    }
    return std::move(*pg);
  }
  std::error_code ec;
  if (!create && path != ":memory:" && !std::filesystem::exists(path, ec)) {
    std::fprintf(stderr,
                 "mutua: no store at %s: create it with `mutua db init --db %s` or `mutua refdata import DIR --db %s` "
                 "(or give --db / MUTUA_DB the store you meant)\n",
                 path.c_str(), path.c_str(), path.c_str());
    exit_code() = 2;
    return nullptr;
  }
  // Opening migrates; an old store with a large history is rewritten (migration 30: about a
  // minute for 20M lines), so say so before the wait.
  if (path != ":memory:")
    if (auto v = store::stored_schema_version(path); v && *v > 0 && *v < store::sqlite_schema_version())
      std::fprintf(stderr, "mutua: store %s at schema version %d: migrating it to %d first (minutes for a large history)\n",
                   path.c_str(), *v, store::sqlite_schema_version());
  store::SqliteOptions options{.mmap_bytes = mapped ? int64_t{8} << 30 : 0};
  if (page_bytes > 0) options.page_bytes = page_bytes;
  if (cache_bytes > 0) options.cache_bytes = cache_bytes;
  auto store = store::open_sqlite(path, options);
  if (!store) {
    std::fprintf(stderr, "mutua: store %s: %s\n", path.c_str(), store.error().message.c_str());
    exit_code() = 2;
    return nullptr;
  }
  return std::move(*store);
}
}  // namespace

std::unique_ptr<model::Store> open_store(const std::string& path, bool mapped, bool create, int page_bytes) {
  return open_store_with(path, mapped, create, page_bytes, 0);
}

std::unique_ptr<model::Store> open_reading_ahead_store(const std::string& path) {
  // 8 MiB: the history's inner pages (about 5 MB for 5M lines) stay; each patient's leaf is read
  // once an envoi anyway.
  return open_store_with(path, false, false, 0, int64_t{8} << 20);
}

void print_error(const Error& e) {
  std::string where = e.file;
  if (e.record) where += fmt::format(":{}", e.record);
  std::fprintf(stderr, "%s%s%s %s\n", where.c_str(), where.empty() ? "" : ": ", e.code.c_str(), e.message.c_str());
}

bool read_threshold(const char* cmd, const std::string& text, int64_t& into) {
  auto bp = settlement::parse_euros(text);
  if (!bp || *bp < 0 || *bp > 10000) {
    std::fprintf(stderr, "mutua %s: --threshold '%s' is not a percentage from 0 to 100 (like 5.00)\n", cmd, text.c_str());
    exit_code() = 2;
    return false;
  }
  into = *bp;
  return true;
}

bool bad_date(const char* cmd, const char* option, const std::string& text, model::Date& into) {
  into = parse_date(text);
  if (into) return false;
  std::fprintf(stderr, "mutua %s: %s '%s' is not a date (YYYY-MM-DD)\n", cmd, option, text.c_str());
  exit_code() = 2;
  return true;
}

void command_failed(const Error& e) {
  print_error(e);
  exit_code() = 2;
}

std::optional<model::EnvoiRecord> find_envoi(model::Store& store, const char* cmd, int64_t reception, int number,
                                             const std::string& provider) {
  auto all = store.envois();
  if (!all) {
    command_failed(all.error());
    return std::nullopt;
  }
  const model::EnvoiRecord* found = nullptr;
  std::set<std::string> senders;  // the providers that used this number
  for (const auto& e : *all)
    if ((reception && e.id == reception) ||
        (!reception && e.number == number && (provider.empty() || e.third_party == provider))) {
      found = &e;
      senders.insert(e.third_party);
    }
  if (found && !reception && provider.empty() && senders.size() > 1) {
    // Envoi numbers are the provider's own: which one is meant must be said, not guessed.
    std::string some;
    size_t shown = 0;
    for (const auto& s : senders) {
      if (shown++ == 5) {
        some += ", ...";
        break;
      }
      some += (some.empty() ? "" : ", ") + s;
    }
    std::fprintf(stderr, "mutua %s: envoi %d was sent by %zu providers (%s): give --provider, or --reception\n", cmd,
                 number, senders.size(), some.c_str());
    exit_code() = 2;
    return std::nullopt;
  }
  if (!found) {
    if (reception)
      std::fprintf(stderr, "mutua %s: no reception %lld in the store\n", cmd, static_cast<long long>(reception));
    else
      std::fprintf(stderr, "mutua %s: no envoi %d%s%s in the store\n", cmd, number, provider.empty() ? "" : " of ",
                   provider.c_str());
    exit_code() = 1;
    return std::nullopt;
  }
  return *found;
}

bool write_file(const std::filesystem::path& path, std::string_view content) {
  if (auto w = write_file_atomically(path.string(), content); !w) {
    std::fprintf(stderr, "mutua: cannot write %s: %s\n", path.c_str(), w.error().message.c_str());
    exit_code() = 2;
    return false;
  }
  return true;
}

}  // namespace mutua::cli

namespace mutua::cli {

void run_until_stopped(const std::function<void()>& run, const std::function<void()>& stop) {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::thread([stop_signals, stop]() mutable {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    stop();
  }).detach();
  run();
}

namespace {

// The reference files of `dir`, parsed and checked; what is wrong said on stderr.
std::optional<model::RefData> refdata_of(const char* cmd, const std::string& dir) {
  auto tables = model::read_refdata_dir(dir);
  std::vector<Error> problems;
  auto parsed = tables ? model::parse_refdata(*tables, dir, problems) : Result<model::RefData>(fail(tables.error()));
  if (!parsed) {
    for (const auto& p : problems)  // file:line: column, as `mutua refdata import` says it
      std::fprintf(stderr, "%s:%llu: %s\n", p.file.c_str(), static_cast<unsigned long long>(p.record), p.message.c_str());
    if (!parsed && problems.empty()) std::fprintf(stderr, "%s\n", parsed.error().to_string().c_str());
    std::fprintf(stderr, "mutua %s: --refdata %s cannot be used\n", cmd, dir.c_str());
    exit_code() = 2;
    return std::nullopt;
  }
  return std::move(*parsed);
}

}  // namespace

std::unique_ptr<model::Store> scratch_refdata(const char* cmd, const std::string& dir) {
  auto parsed = refdata_of(cmd, dir);
  if (!parsed) return nullptr;
  auto store = store::open_sqlite(":memory:");
  auto put = store ? (*store)->replace_refdata(*parsed) : Result<void>(fail(store.error()));
  if (!put) {
    std::fprintf(stderr, "mutua %s: --refdata %s cannot be used: %s\n", cmd, dir.c_str(), put.error().to_string().c_str());
    exit_code() = 2;
    return nullptr;
  }
  return std::move(*store);
}

std::unique_ptr<model::RefDataStore> refdata_in_memory(const char* cmd, const std::string& dir) {
  auto parsed = refdata_of(cmd, dir);
  if (!parsed) return nullptr;
  return store::memory_refdata(std::move(*parsed));
}

}  // namespace mutua::cli
