// libFuzzer target: any bytes adjudicated as the fund would, against a generated world's
// reference data and history (MUTUA_FUZZ_WORLD, a `mutua gen --out` directory whose envois/
// are recorded first; scripts/fuzz.sh makes it and seeds the corpus with other envois of the
// same world, so mutations reach the rule families, not only the file checks). Judged without
// recording, so every input meets the same store. Nothing may crash; and whatever came in, the
// answer is one of the three messages, its JSON parses (no raw input byte breaks the UTF-8) and
// the billing-format response, when the file named a sender, reads back record by record.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuzz_world.h"
#include "mutua/engine/adjudicate.h"
#include "mutua/reader.h"
#include "mutua/store/sqlite.h"

namespace {

constexpr mutua::model::Date kToday = 20261123;

[[noreturn]] void die(const std::string& why) { mutua::fuzz::die("engine_fuzz", why); }

std::unique_ptr<mutua::model::Store> make_world() {
  const std::string dir = mutua::fuzz::world_dir("engine_fuzz");
  std::vector<mutua::Error> problems;
  auto data = mutua::model::load_refdata_dir(dir + "/refdata", problems);
  if (!data) die("refdata: " + data.error().to_string());
  auto store = mutua::store::open_sqlite(":memory:");
  if (!store) die("store: " + store.error().to_string());
  if (auto r = (*store)->replace_refdata(*data); !r) die("refdata import: " + r.error().to_string());
  std::vector<std::string> envois;
  for (const auto& e : std::filesystem::directory_iterator(dir + "/envois"))
    envois.push_back(e.path().string());
  std::sort(envois.begin(), envois.end());
  mutua::engine::AdjudicateOptions options;
  options.today = kToday;
  for (const auto& path : envois)  // the history later envois are judged against
    if (auto r = mutua::engine::adjudicate_file(path, **store, options); !r)
      die(path + ": " + r.error().to_string());
  return std::move(*store);
}

void check_response(const mutua::model::StoredResponse& response) {
  if (!nlohmann::json::accept(response.json)) die(response.message + ": the JSON response does not parse");
  // A file without a readable header names no sender to answer in the billing format: its
  // refusal is the JSON alone (and the "cancelled, unreadable" state).
  if (response.bytes.empty() && response.message == "920999") return;
  auto reader = mutua::Reader::from_string(response.bytes, response.message);
  if (!reader) die(response.message + ": the response cannot be read: " + reader.error().to_string());
  mutua::RecordView record;
  std::vector<mutua::Error> problems;
  while ((*reader)->next(record, problems)) {
  }
  if (!problems.empty()) die(response.message + ": response record unreadable: " + problems.front().to_string());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::unique_ptr<mutua::model::Store> store = make_world();
  mutua::engine::AdjudicateOptions options;
  options.today = kToday;
  options.record = false;
  auto result = mutua::engine::adjudicate(std::string(reinterpret_cast<const char*>(data), size), "fuzz.efact",
                                          *store, options);
  if (!result) die("adjudicate failed on its input: " + result.error().to_string());
  if (result->message != "920900" && result->message != "920099" && result->message != "920999")
    die("answer " + result->message);
  for (const auto& response : result->responses) check_response(response);
  return 0;
}
