#include "cli/store_access.h"

#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/dates.h"
#include "mutua/store/sqlite.h"

namespace mutua::cli {

std::string default_db() {
  const char* env = std::getenv("MUTUA_DB");
  return env && *env ? env : "mutua.db";
}

std::unique_ptr<model::Store> open_store(const std::string& path) {
  auto store = store::open_sqlite(path);
  if (!store) {
    std::fprintf(stderr, "mutua: store %s: %s\n", path.c_str(), store.error().message.c_str());
    exit_code() = 2;
    return nullptr;
  }
  return std::move(*store);
}

void print_error(const Error& e) {
  std::string where = e.file;
  if (e.record) where += fmt::format(":{}", e.record);
  std::fprintf(stderr, "%s%s%s %s\n", where.c_str(), where.empty() ? "" : ": ", e.code.c_str(), e.message.c_str());
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

}  // namespace mutua::cli
