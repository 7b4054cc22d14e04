// libFuzzer target: any bytes as one reference file of a generated world (MUTUA_FUZZ_WORLD, made
// by scripts/fuzz.sh): the first byte picks the file, the rest is its CSV text. Import either
// refuses it with every problem named by file and line (and returns nothing: never half a
// directory), or accepts it; what it accepts the store takes, and the engine then judges an
// envoi of that world against it without crashing and with one of the three answers; the store
// gives back every value it took.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "mutua/tsv.h"
#include "fuzz_world.h"
#include "mutua/engine/adjudicate.h"
#include "mutua/model/refdata_tables.h"
#include "mutua/store/sqlite.h"

namespace {

[[noreturn]] void die(const std::string& why) { mutua::fuzz::die("refdata_fuzz", why); }

struct World {
  mutua::model::RefTables tables;
  std::string envoi;  // an envoi of the world, judged against each accepted variant
};

World load_world() {
  const std::string dir = mutua::fuzz::world_dir("refdata_fuzz");
  World w;
  auto tables = mutua::model::read_refdata_dir(dir + "/refdata");
  if (!tables) die("refdata: " + tables.error().to_string());
  w.tables = std::move(*tables);
  std::vector<std::string> seeds;
  for (const auto& e : std::filesystem::directory_iterator(dir + "/seeds")) seeds.push_back(e.path());
  if (seeds.empty()) die("no envoi in seeds/");
  std::sort(seeds.begin(), seeds.end());
  w.envoi = seeds.front();
  return w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const World world = load_world();
  if (size == 0) return 0;
  const auto& files = mutua::model::refdata_files();
  const std::string& file = files[data[0] % files.size()];
  mutua::model::RefTables tables = world.tables;
  tables[file] = mutua::format::parse_table(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1), ',');
  std::vector<mutua::Error> problems;
  auto parsed = mutua::model::parse_refdata(tables, "fuzz", problems);
  if (!parsed) {
    for (const auto& p : problems)
      if (p.file.empty() || p.message.empty()) die("a problem without its file or message: " + p.to_string());
    return 0;
  }
  if (!problems.empty()) die("accepted with problems: " + problems.front().to_string());
  auto store = mutua::store::open_sqlite(":memory:");
  if (!store) die("store: " + store.error().to_string());
  if (auto r = (*store)->replace_refdata(*parsed); !r) die("the store refuses what import accepted: " + r.error().to_string());
  // And gives it back value for value, file by file.
  auto back = (*store)->load_refdata();
  if (!back) die("the store cannot give back what it took: " + back.error().to_string());
  for (const auto& spec : mutua::model::ref_table_specs())
    if (mutua::model::ref_rows(spec, *back) != mutua::model::ref_rows(spec, *parsed))
      die("the store gives back " + spec.file + " otherwise than imported");
  mutua::engine::AdjudicateOptions options;
  options.today = 20261123;
  options.record = false;
  auto result = mutua::engine::adjudicate_file(world.envoi, **store, options);
  if (!result) die("adjudicate failed: " + result.error().to_string());
  if (result->message != "920900" && result->message != "920099" && result->message != "920999")
    die("answer " + result->message);
  return 0;
}
