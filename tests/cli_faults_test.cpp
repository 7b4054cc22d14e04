// Faults an operator meets (docs/faults.md): what mutua does with them, each reproduced here.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "baseline.h"

namespace fs = std::filesystem;
using mutua::testing::files_of;
using mutua::testing::read_all;
using mutua::testing::run_mutua;

namespace {

struct SmallWorld {
  std::string dir;
  std::vector<std::string> envois;
};

const SmallWorld& small_world() {
  static const SmallWorld w = [] {
    SmallWorld x;
    x.dir = mutua::testing::temp_path("faults");
    fs::remove_all(x.dir);
    fs::create_directories(x.dir);
    EXPECT_EQ(run_mutua("gen --seed 9 --members 200 --providers 5 --lines 1500 --envoi-lines 100 --error-rate 0.002 "
                        "--out " + x.dir + "/world").code, 0);
    for (const auto& e : fs::directory_iterator(x.dir + "/world/envois")) x.envois.push_back(e.path().string());
    std::sort(x.envois.begin(), x.envois.end());
    return x;
  }();
  return w;
}

std::string fresh_store(const std::string& name) {
  const SmallWorld& w = small_world();
  const std::string db = w.dir + "/" + name + ".db";
  fs::remove(db);
  EXPECT_EQ(run_mutua("refdata import " + w.dir + "/world/refdata --db " + db).code, 0);
  return db;
}

}  // namespace

TEST(Faults, TwoEnvoisOfOneFileNameEachKeepTheirResponseFiles) {
  const SmallWorld& w = small_world();
  const std::string db = fresh_store("names"), base = w.dir + "/names";
  fs::remove_all(base);
  for (const char* sub : {"/a", "/b"}) fs::create_directories(base + sub);
  fs::copy_file(w.envois[0], base + "/a/envoi.efact");
  fs::copy_file(w.envois[1], base + "/b/envoi.efact");
  auto r = run_mutua("adjudicate --today 2026-11-23 --db " + db + " --out " + base + "/out " + base + "/a/envoi.efact " +
                     base + "/b/envoi.efact");
  ASSERT_LE(r.code, 1) << r.out;
  // The same file sent again: a third reception, its own files too.
  auto again = run_mutua("adjudicate --today 2026-11-23 --db " + db + " --out " + base + "/out " + base + "/a/envoi.efact");
  ASSERT_LE(again.code, 1) << again.out;
  int main_responses = 0;
  std::set<std::string> contents;
  for (const auto& [name, bytes] : files_of(base + "/out"))
    if (name.find(".efact") != std::string::npos && name.find(".920098.") == std::string::npos) {
      ++main_responses;
      contents.insert(bytes);
    }
  EXPECT_EQ(main_responses, 3) << r.out << again.out;
  EXPECT_EQ(contents.size(), 3u);
}

TEST(Faults, AdjudicateJsonIsValidJsonWhateverTheFileName) {
  const SmallWorld& w = small_world();
  const std::string db = fresh_store("json"), base = w.dir + "/json";
  fs::remove_all(base);
  fs::create_directories(base);
  const std::string weird = base + "/we\"ird\\é.efact";
  fs::copy_file(w.envois[0], weird);
  auto r = run_mutua("adjudicate --json --today 2026-11-23 --db " + db + " --out " + base + "/out '" + weird + "'");
  ASSERT_LE(r.code, 1) << r.out;
  std::istringstream lines(r.out);
  int parsed = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] != '{') continue;
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["file"], weird);
    EXPECT_FALSE(j["written"].empty());
    ++parsed;
  }
  EXPECT_EQ(parsed, 1) << r.out;
}
