// What every command on the store shares: where the store is, opening it, printing an error.
#pragma once
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "mutua/error.h"
#include "mutua/model/store.h"

namespace mutua::cli {

// $MUTUA_DB or ./mutua.db
std::string default_db();
// Opens (and migrates) the SQLite store; on failure prints why, sets exit code 2, returns null.
// `mapped`: reads through a memory map (for look-ups all over large tables).
// Opens the store at `path`; unless `create`, a path where no store is is an error (exit 2).
// `page_bytes`: the page size of an SQLite store made now (0: SqliteOptions' default).
std::unique_ptr<model::Store> open_store(const std::string& path, bool mapped = false, bool create = false,
                                         int page_bytes = 0);
// A second connection to the store at `path` that reads an envoi's patients ahead for the one
// that judges: with a small page cache on SQLite (SqliteOptions::cache_bytes says why).
std::unique_ptr<model::Store> open_reading_ahead_store(const std::string& path);
// Parses a date option into `into`; when malformed, says so, sets exit code 2 and returns true.
// --threshold: a percentage with at most two decimals, 0 to 100, as hundredths (like the error
// rate); false (said, exit 2) when it is not one.
bool read_threshold(const char* cmd, const std::string& text, int64_t& into);
bool bad_date(const char* cmd, const char* option, const std::string& text, model::Date& into);
// file:record: code message, on stderr.
void print_error(const Error& e);
// The command failed: prints the error and sets exit code 2.
void command_failed(const Error& e);
// The reception `reception` when not 0, else the latest reception of envoi `number` (of
// `provider` when given); when none, says so for `cmd`, sets exit code 1 and returns nothing.
std::optional<model::EnvoiRecord> find_envoi(model::Store& store, const char* cmd, int64_t reception, int number,
                                             const std::string& provider);
// Runs `run` (a server's loop) until SIGINT or SIGTERM, which a thread of its own takes and
// answers with `stop` (nothing is done inside a signal handler); the signals are blocked
// before `run` starts its threads, so they inherit the mask.
void run_until_stopped(const std::function<void()>& run, const std::function<void()>& stop);
// The reference data of `dir` (docs/refdata.md) in a store in memory: what the provider knows,
// for the fund's engine as pre-flight. Null, with every problem said and exit code 2, when it
// cannot be read.
std::unique_ptr<model::Store> scratch_refdata(const char* cmd, const std::string& dir);
// The same reference data held in memory, read by several threads at once (provider batch).
std::unique_ptr<model::RefDataStore> refdata_in_memory(const char* cmd, const std::string& dir);
// Writes through a .part file renamed into place, so a reader never sees half a file; on
// failure says so, sets exit code 2 and returns false.
bool write_file(const std::filesystem::path& path, std::string_view content);

}  // namespace mutua::cli
