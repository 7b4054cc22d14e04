// Reading ahead (engine::read_ahead): a worker reads the next envoi's reference data and history
// while the one before is judged and recorded. Judged afterwards, the envoi must see what that
// one recorded of its patients, exactly as if nothing had been read ahead. A real SQLite file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fmt/format.h>

#include "baseline.h"
#include "mutua/engine/adjudicate.h"
#include "mutua/model/envoi_writer.h"
#include "mutua/store/sqlite.h"

namespace fs = std::filesystem;
using namespace mutua;

namespace {

constexpr model::Date kToday = 20261123;

// A store holding the scenarios' reference data.
std::unique_ptr<model::Store> fresh_store(const std::string& dir) {
  fs::remove_all(dir);
  fs::create_directories(dir + "/refdata");
  for (auto& e : fs::directory_iterator(std::string(MUTUA_TEST_DATA) + "/scenarios/base"))
    fs::copy(e.path(), dir + "/refdata/" + e.path().filename().string());
  const auto imported = mutua::testing::run_mutua("refdata import " + dir + "/refdata --db " + dir + "/store.db");
  EXPECT_EQ(imported.code, 0) << imported.out;
  auto store = store::open_sqlite(dir + "/store.db");
  EXPECT_TRUE(store) << store.error().to_string();
  return store ? std::move(*store) : nullptr;
}

std::string main_response(const engine::Adjudication& a) { return a.responses.empty() ? "" : a.responses[0].bytes; }

TEST(ReadAhead, AnEnvoiReadAheadSeesWhatTheOneBeforeRecordedOfItsPatients) {
  const std::string dir = mutua::testing::temp_path("read-ahead");
  auto store = fresh_store(dir);
  ASSERT_TRUE(store);
  const std::string first = mutua::testing::write_nurse_visit(dir, 31, 20261003);
  const std::string same_day = mutua::testing::write_nurse_visit(dir, 32, 20261003);  // the same visit again: 502255
  const std::string next_day = mutua::testing::write_nurse_visit(dir, 33, 20261004);  // the next day: accepted
  engine::AdjudicateOptions options;
  options.today = kToday;

  // 32 and 33 read ahead while nothing is recorded yet; then 31 is recorded.
  auto ahead_32 = engine::receive_file(same_day, kToday);
  auto ahead_33 = engine::receive_file(next_day, kToday);
  ASSERT_TRUE(ahead_32 && ahead_33);
  ASSERT_TRUE(engine::read_ahead(*ahead_32, *store));
  ASSERT_TRUE(engine::read_ahead(*ahead_33, *store));
  ASSERT_TRUE(ahead_32->history_ahead);
  EXPECT_TRUE(ahead_32->history_ahead->lines.empty()) << "read before anything was recorded";
  auto recorded = engine::adjudicate_file(first, *store, options);
  ASSERT_TRUE(recorded) << recorded.error().to_string();
  EXPECT_EQ(recorded->message, "920900");

  // 32 judged after: the patient's line of the 3rd, recorded since it was read ahead, counts.
  auto judged_32 = engine::adjudicate(std::move(*ahead_32), *store, options);
  ASSERT_TRUE(judged_32) << judged_32.error().to_string();
  EXPECT_EQ(judged_32->message, "920099");
  EXPECT_NE(main_response(*judged_32).find("502255"), std::string::npos);

  // 33, read ahead before both: the same decision and bytes as judged without reading ahead
  // after the same two envois.
  auto judged_33 = engine::adjudicate(std::move(*ahead_33), *store, options);
  ASSERT_TRUE(judged_33) << judged_33.error().to_string();
  const std::string other = dir + "-plain";
  auto plain = fresh_store(other);
  ASSERT_TRUE(plain);
  for (const auto& path : {first, same_day}) ASSERT_TRUE(engine::adjudicate_file(path, *plain, options));
  auto plain_33 = engine::adjudicate_file(next_day, *plain, options);
  ASSERT_TRUE(plain_33) << plain_33.error().to_string();
  EXPECT_EQ(judged_33->message, plain_33->message);
  EXPECT_EQ(main_response(*judged_33), main_response(*plain_33));
}

}  // namespace
