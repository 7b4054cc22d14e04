// Reading ahead (engine::read_ahead): a worker reads the next envoi's reference data and history
// while the one before is judged and recorded. Judged afterwards, the envoi must see what that
// one recorded of its patients, exactly as if nothing had been read ahead. A real SQLite file.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <map>
#include <utility>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "baseline.h"
#include "mutua/engine/adjudicate.h"
#include "mutua/gen/generator.h"
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

// An envoi store that, the first time it is asked to record, lets `before` run first: another
// process recording in between a judgement and its recording.
class RecordsAnotherFirst final : public model::EnvoiStore {
 public:
  RecordsAnotherFirst(model::EnvoiStore& s, std::function<void()> before) : s_(s), before_(std::move(before)) {}
  Result<std::vector<model::EnvoiRecord>> receptions(const std::string& t, int y, int n) override {
    return s_.receptions(t, y, n);
  }
  Result<std::vector<model::EnvoiRecord>> batch_receptions(const std::string& b, const std::string& f) override {
    return s_.batch_receptions(b, f);
  }
  Result<std::optional<model::EnvoiRecord>> envoi(int64_t id) override { return s_.envoi(id); }
  Result<int64_t> first_reception_named(const std::string& f) override { return s_.first_reception_named(f); }
  Result<std::vector<model::EnvoiRecord>> envois() override { return s_.envois(); }
  Result<std::unordered_map<std::string, std::vector<model::HistoryLine>>> history(const std::vector<std::string>& n,
                                                                                   int64_t b) override {
    return s_.history(n, b);
  }
  Result<std::unordered_map<std::string, std::vector<model::HistoryLine>>> history_of_codes(
      const std::vector<model::PatientCodes>& w, int64_t b) override {
    return s_.history_of_codes(w, b);
  }
  Result<model::StoreMark> mark() override { return s_.mark(); }
  Result<std::vector<std::string>> patients_recorded_since(const model::StoreMark& m,
                                                           const std::vector<std::string>& p) override {
    return s_.patients_recorded_since(m, p);
  }
  Result<int64_t> record(const model::EnvoiOutcome& o) override {
    ++records;
    if (before_) std::exchange(before_, nullptr)();
    return s_.record(o);
  }
  Result<std::vector<model::StoredResponse>> responses(int64_t id) override { return s_.responses(id); }
  Result<std::string> received_bytes(int64_t id) override { return s_.received_bytes(id); }
  Result<std::string> verdicts(int64_t id) override { return s_.verdicts(id); }
  Result<void> load_history(const std::vector<model::HistoryLine>& l) override { return s_.load_history(l); }
  int records = 0;

 private:
  model::EnvoiStore& s_;
  std::function<void()> before_;
};

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

  // Read ahead after the three were recorded: the lines it read (the visit of the 3rd) are the
  // ones it is judged with, nothing having been recorded of the patient since.
  const std::string again = mutua::testing::write_nurse_visit(dir, 34, 20261003);
  auto ahead_34 = engine::receive_file(again, kToday);
  ASSERT_TRUE(ahead_34);
  ASSERT_TRUE(engine::read_ahead(*ahead_34, *store));
  ASSERT_TRUE(ahead_34->history_ahead);
  EXPECT_FALSE(ahead_34->history_ahead->lines.empty()) << "the visits of the 3rd and the 4th were read ahead";
  auto judged_34 = engine::adjudicate(std::move(*ahead_34), *store, options);
  ASSERT_TRUE(judged_34) << judged_34.error().to_string();
  EXPECT_EQ(judged_34->message, "920099");
  EXPECT_NE(main_response(*judged_34).find("502255"), std::string::npos);
  auto plain_34 = engine::adjudicate_file(again, *plain, options);
  ASSERT_TRUE(plain_34) << plain_34.error().to_string();
  EXPECT_EQ(main_response(*judged_34), main_response(*plain_34));
}

// Judged again after another process recorded a line of one of its patients in between: the
// lines read ahead of its other patient were taken by the first judgement, so the second reads
// them again, and the decisions are those of the envois one after the other.
TEST(ReadAhead, JudgedAgainAfterAConflictAnEnvoiReadsWhatItsFirstJudgementTook) {
  const std::string dir = mutua::testing::temp_path("read-ahead-conflict");
  auto store = fresh_store(dir);
  ASSERT_TRUE(store);
  const std::string a = "85073003328", b = "60010112347";  // b: CT1 / CT2 111 in the scenarios
  using mutua::testing::write_nurse_visits;
  const std::string first = write_nurse_visits(dir, 41, {{a, 20261003}, {b, 20261003, 111}});
  const std::string judged = write_nurse_visits(dir, 42, {{a, 20261003}, {b, 20261004, 111}});  // a's again: 502255
  const std::string between = write_nurse_visits(dir, 43, {{b, 20261005, 111}});                // b only
  engine::AdjudicateOptions options;
  options.today = kToday;
  auto recorded = engine::adjudicate_file(first, *store, options);
  ASSERT_TRUE(recorded) << recorded.error().to_string();
  ASSERT_EQ(recorded->message, "920900") << fmt::format("{}", fmt::join(recorded->summary, "\n")) << main_response(*recorded);

  auto ahead = engine::receive_file(judged, kToday);
  ASSERT_TRUE(ahead);
  ASSERT_TRUE(engine::read_ahead(*ahead, *store));
  ASSERT_EQ(ahead->history_ahead->lines.count(a), 1u) << "a's visit of the 3rd read ahead";
  auto other = store::open_sqlite(dir + "/store.db");
  ASSERT_TRUE(other);
  RecordsAnotherFirst envois(*store, [&] {
    auto r = engine::adjudicate_file(between, **other, options);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->message, "920900");
  });
  auto result = engine::adjudicate(std::move(*ahead), engine::JudgingStores(*store, envois), options);
  ASSERT_TRUE(result) << result.error().to_string();
  EXPECT_EQ(envois.records, 2) << "recorded once after a conflict";

  const std::string plain_dir = dir + "-plain";
  auto plain = fresh_store(plain_dir);
  ASSERT_TRUE(plain);
  for (const auto& path : {first, between}) ASSERT_TRUE(engine::adjudicate_file(path, *plain, options));
  auto in_order = engine::adjudicate_file(judged, *plain, options);
  ASSERT_TRUE(in_order) << in_order.error().to_string();
  EXPECT_EQ(result->message, "920099");
  EXPECT_NE(main_response(*result).find("502255"), std::string::npos) << "a's visit of the 3rd still counts";
  EXPECT_EQ(main_response(*result), main_response(*in_order));
}

// With a helper connection the reference data and half the patients' history are read on it:
// the same data and lines as read ahead on one connection, and the same answer when judged.
TEST(ReadAhead, WithAHelperConnectionTheSameIsReadAndJudged) {
  const std::string dir = mutua::testing::temp_path("read-ahead-helper");
  auto store = fresh_store(dir);
  ASSERT_TRUE(store);
  const std::string a = "85073003328", b = "60010112347";  // b: CT1 / CT2 111 in the scenarios
  using mutua::testing::write_nurse_visits;
  const std::string first = write_nurse_visits(dir, 51, {{a, 20261003}, {b, 20261003, 111}});
  const std::string again = write_nurse_visits(dir, 52, {{a, 20261004}, {b, 20261003, 111}});  // b's again: 502255
  engine::AdjudicateOptions options;
  options.today = kToday;
  auto recorded = engine::adjudicate_file(first, *store, options);
  ASSERT_TRUE(recorded) << recorded.error().to_string();
  ASSERT_EQ(recorded->message, "920900") << main_response(*recorded);

  auto alone = engine::receive_file(again, kToday);
  auto helped = engine::receive_file(again, kToday);
  ASSERT_TRUE(alone && helped);
  ASSERT_TRUE(engine::read_ahead(*alone, *store));
  auto helper = store::open_sqlite(dir + "/store.db");
  ASSERT_TRUE(helper);
  ASSERT_TRUE(engine::read_ahead(*helped, *store, helper->get()));
  ASSERT_TRUE(helped->patient_data && helped->history_ahead);
  EXPECT_EQ(helped->patient_data->patients, alone->patient_data->patients);
  EXPECT_EQ(helped->patient_data->data.members.size(), alone->patient_data->data.members.size());
  EXPECT_GT(helped->patient_data->data.members.size(), 0u);
  ASSERT_EQ(helped->history_ahead->needs.size(), 2u);
  for (const std::string& niss : {a, b}) {
    ASSERT_EQ(helped->history_ahead->lines.count(niss), 1u) << niss << "'s visit of the 3rd read ahead";
    EXPECT_EQ(helped->history_ahead->lines.at(niss).size(), alone->history_ahead->lines.at(niss).size()) << niss;
  }
  auto judged = engine::adjudicate(std::move(*helped), *store, options);
  ASSERT_TRUE(judged) << judged.error().to_string();
  EXPECT_EQ(judged->message, "920099");
  EXPECT_NE(main_response(*judged).find("502255"), std::string::npos);
}

// With a helper connection and an envoi of more than a few hundred patients, the history is
// read in chunks of patients taken in turn by both connections: every patient's lines exactly
// as one connection reads them all, none lost or read twice at the chunks' edges.
TEST(ReadAhead, HistoryReadInChunksByTwoConnectionsIsTheHistoryReadByOne) {
  const std::string dir = mutua::testing::temp_path("read-ahead-chunks");
  fs::remove_all(dir);
  gen::Options world;
  world.seed = 23;
  world.members = 20000;
  world.providers = 3;
  world.lines = 60000;
  world.envoi_lines = 20000;
  world.error_rate = 0;  // envois accepted (an injected blocking error rejects one whole): lines recorded
  world.out = dir + "/world";
  ASSERT_TRUE(gen::generate(world));
  std::vector<std::string> paths;
  for (const auto& entry : fs::directory_iterator(world.out + "/envois")) paths.push_back(entry.path());
  // By month billed (<third party>-<month>-...): the last the latest, within the billing delays.
  auto month = [](const std::string& p) { return fs::path(p).filename().string().substr(12); };
  std::sort(paths.begin(), paths.end(), [&](const auto& a, const auto& b) { return month(a) < month(b); });
  ASSERT_GE(paths.size(), 3u);
  std::vector<Error> problems;
  auto data = model::load_refdata_dir(world.out + "/refdata", problems);
  ASSERT_TRUE(data);
  auto store = store::open_sqlite(dir + "/store.db");
  ASSERT_TRUE(store && (*store)->replace_refdata(*data));
  engine::AdjudicateOptions options;
  options.today = kToday;
  // Its patients' lines in the large history (the envoi recorded, then merged), the other envois'
  // in the recent one.
  auto first = engine::adjudicate_file(paths.back(), **store, options);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->message, "920900");
  ASSERT_TRUE((*store)->merge_recent_history());
  for (size_t i = 0; i + 1 < paths.size(); ++i) ASSERT_TRUE(engine::adjudicate_file(paths[i], **store, options));

  auto alone = engine::receive_file(paths.back(), kToday);
  auto helped = engine::receive_file(paths.back(), kToday);
  ASSERT_TRUE(alone && helped);
  ASSERT_TRUE(engine::read_ahead(*alone, **store));
  auto helper = store::open_sqlite(dir + "/store.db");
  ASSERT_TRUE(helper);
  ASSERT_TRUE(engine::read_ahead(*helped, **store, helper->get()));
  ASSERT_TRUE(alone->history_ahead && helped->history_ahead && helped->patient_data);
  const auto& needs = helped->history_ahead->needs;
  ASSERT_GE(needs.size(), 768u) << "patients enough for three chunks at least";
  EXPECT_EQ(helped->patient_data->data.members.size(), alone->patient_data->data.members.size());
  auto ids = [](const std::unordered_map<std::string, std::vector<model::HistoryLine>>& lines) {
    std::map<std::string, std::vector<int64_t>> out;
    for (const auto& [niss, l] : lines)
      for (const auto& line : l) out[niss].push_back(line.id);
    return out;
  };
  const auto want = ids(alone->history_ahead->lines);
  size_t with_lines = 0;
  for (const auto& [niss, l] : want) with_lines += l.empty() ? 0 : 1;
  ASSERT_GE(with_lines, needs.size() / 2) << "most patients had lines recorded by the envois before";
  EXPECT_EQ(ids(helped->history_ahead->lines), want);
  // Judged without recording, the envoi read ahead by two connections answers as read by one.
  auto unrecorded = options;
  unrecorded.record = false;
  auto by_one = engine::adjudicate(std::move(*alone), **store, unrecorded);
  auto by_two = engine::adjudicate(std::move(*helped), **store, unrecorded);
  ASSERT_TRUE(by_one && by_two);
  EXPECT_FALSE(main_response(*by_one).empty());
  EXPECT_EQ(main_response(*by_two), main_response(*by_one));
}

}  // namespace
