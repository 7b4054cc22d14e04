#include <gtest/gtest.h>

#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

#include "mutua/engine/adjudicate.h"
#include "mutua/preflight.h"
#include "mutua/store/sqlite.h"

namespace mutua {
namespace {

std::vector<std::filesystem::path> kept_inputs() {
  std::vector<std::filesystem::path> files;
  for (const char* dir : {"/regressions", "/../fuzz/corpus"})
    for (auto& entry : std::filesystem::directory_iterator(std::string(MUTUA_TEST_DATA) + dir))
      if (entry.path().extension() != ".md") files.push_back(entry.path());
  return files;
}

TEST(Regressions, EveryKeptInputIsReadWithoutCrashing) {
  size_t files = 0;
  for (const auto& path : kept_inputs()) {
    engine::PreflightOptions options;
    options.today = 20261123;
    auto report = engine::preflight({path.string()}, options);
    EXPECT_EQ(report.files.size(), 1u) << path;
    ++files;
  }
  EXPECT_GT(files, 3u);
}

// What engine_fuzz checks, on every kept input (its crashes are kept here too): the whole
// adjudication answers one of the three messages with a JSON response that parses.
TEST(Regressions, EveryKeptInputIsAdjudicatedWithoutCrashing) {
  std::vector<Error> problems;
  auto data = model::load_refdata_dir(std::string(MUTUA_TEST_DATA) + "/scenarios/base", problems);
  ASSERT_TRUE(data) << data.error().to_string();
  auto store = store::open_sqlite(":memory:");
  ASSERT_TRUE(store) << store.error().to_string();
  ASSERT_TRUE((*store)->replace_refdata(*data));
  engine::AdjudicateOptions options;
  options.today = 20261123;
  options.record = false;
  size_t answered = 0;
  for (const auto& path : kept_inputs()) {
    auto r = engine::adjudicate_file(path.string(), **store, options);
    ASSERT_TRUE(r) << path << ": " << r.error().to_string();
    EXPECT_TRUE(r->message == "920900" || r->message == "920099" || r->message == "920999") << path << ": " << r->message;
    ASSERT_FALSE(r->responses.empty()) << path;
    for (const auto& response : r->responses)
      EXPECT_TRUE(nlohmann::json::accept(response.json)) << path << ": " << response.message;
    ++answered;
  }
  EXPECT_GT(answered, 3u);
}

}  // namespace
}  // namespace mutua
