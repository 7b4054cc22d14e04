#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include <nlohmann/json.hpp>

#include "mutua/engine/adjudicate.h"
#include "mutua/preflight.h"
#include "mutua/reader.h"
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

// The scenarios' base reference data in a store in memory, nothing recorded.
std::unique_ptr<model::Store> base_store() {
  std::vector<Error> problems;
  auto data = model::load_refdata_dir(std::string(MUTUA_TEST_DATA) + "/scenarios/base", problems);
  EXPECT_TRUE(data) << data.error().to_string();
  auto store = store::open_sqlite(":memory:");
  EXPECT_TRUE(store) << store.error().to_string();
  if (!data || !store || !(*store)->replace_refdata(*data)) return nullptr;
  return std::move(*store);
}

engine::AdjudicateOptions judged_not_recorded() {
  engine::AdjudicateOptions options;
  options.today = 20261123;
  options.record = false;
  return options;
}

// What engine_fuzz checks, on every kept input (its crashes are kept here too): the whole
// adjudication answers one of the three messages with a JSON response that parses, and its
// billing-format response reads back record by record.
TEST(Regressions, EveryKeptInputIsAdjudicatedWithoutCrashing) {
  auto store = base_store();
  ASSERT_TRUE(store);
  const engine::AdjudicateOptions options = judged_not_recorded();
  size_t answered = 0;
  for (const auto& path : kept_inputs()) {
    auto r = engine::adjudicate_file(path.string(), *store, options);
    ASSERT_TRUE(r) << path << ": " << r.error().to_string();
    EXPECT_TRUE(r->message == "920900" || r->message == "920099" || r->message == "920999") << path << ": " << r->message;
    ASSERT_FALSE(r->responses.empty()) << path;
    for (const auto& response : r->responses) {
      EXPECT_TRUE(nlohmann::json::accept(response.json)) << path << ": " << response.message;
      if (response.bytes.empty()) continue;  // no readable header: refused in JSON alone
      auto reader = Reader::from_string(response.bytes, response.message);
      ASSERT_TRUE(reader) << path << ": " << reader.error().to_string();
      RecordView record;
      std::vector<Error> read_problems;
      size_t records = 0;
      while ((*reader)->next(record, read_problems)) ++records;
      EXPECT_TRUE(read_problems.empty()) << path << ": " << response.message << ": " << read_problems.front().to_string();
      EXPECT_GT(records, 0u) << path << ": " << response.message;
    }
    ++answered;
  }
  EXPECT_GT(answered, 3u);
}

// Line breaks are framing, not content: the same envoi flat, with a line feed after each
// record and segment 300, and with one after segment 200 too, gets the same response bytes
// (segment 300 was once echoed from byte 68 of the received header, line feed included).
TEST(Regressions, LineBreaksInTheHeaderDoNotChangeTheResponse) {
  auto store = base_store();
  ASSERT_TRUE(store);
  const engine::AdjudicateOptions options = judged_not_recorded();
  std::string flat;
  {
    std::ifstream in(std::string(MUTUA_TEST_DATA) + "/../fuzz/corpus/gen-1.efact", std::ios::binary);
    flat.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_EQ((flat.size() - 227) % 350, 0u);
  std::string lines = flat.substr(0, 227) + "\n";
  for (size_t at = 227; at < flat.size(); at += 350) lines += flat.substr(at, 350) + "\n";
  const std::string both = lines.substr(0, 67) + "\n" + lines.substr(67);
  auto judged = [&](const std::string& bytes) {
    auto r = engine::adjudicate(bytes, "gen-1.efact", *store, options);
    EXPECT_TRUE(r) << r.error().to_string();
    return r ? r->responses.at(0) : model::StoredResponse{};
  };
  const auto reference = judged(flat);
  ASSERT_FALSE(reference.bytes.empty());
  EXPECT_EQ(reference.bytes.substr(67, 140), flat.substr(67, 140));  // segment 300 echoed in place
  for (const std::string* variant : std::initializer_list<const std::string*>{&lines, &both}) {
    const auto response = judged(*variant);
    EXPECT_EQ(response.message, reference.message);
    EXPECT_EQ(response.bytes, reference.bytes);
  }
}

}  // namespace
}  // namespace mutua
