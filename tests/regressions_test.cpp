#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "mutua/preflight.h"

namespace mutua {
namespace {

TEST(Regressions, EveryKeptInputIsReadWithoutCrashing) {
  size_t files = 0;
  for (const char* dir : {"/regressions", "/../fuzz/corpus"}) {
    for (auto& entry : std::filesystem::directory_iterator(std::string(MUTUA_TEST_DATA) + dir)) {
      if (entry.path().extension() == ".md") continue;
      engine::PreflightOptions options;
      options.today = 20261123;
      auto report = engine::preflight({entry.path().string()}, options);
      EXPECT_EQ(report.files.size(), 1u);
      ++files;
    }
  }
  EXPECT_GT(files, 3u);
}

}  // namespace
}  // namespace mutua
