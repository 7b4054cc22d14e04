// engine::adjudicate_batch, the pipeline `mutua adjudicate` (and the server) run: the order
// given is kept across its overlapping steps, a path that cannot be received is said and
// skipped, and a delivery that fails stops the batch with the receptions whose responses are
// recorded but were not delivered.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <mutex>

#include "baseline.h"
#include "mutua/engine/batch.h"
#include "mutua/gen/generator.h"
#include "mutua/store/sqlite.h"

namespace mutua {
namespace {

namespace fs = std::filesystem;

const std::string kCorpus = std::string(MUTUA_TEST_DATA) + "/../fuzz/corpus/";

std::unique_ptr<model::Store> store_with_base(const std::string& path) {
  std::vector<Error> problems;
  auto data = model::load_refdata_dir(std::string(MUTUA_TEST_DATA) + "/scenarios/base", problems);
  EXPECT_TRUE(data);
  auto store = store::open_sqlite(path);
  EXPECT_TRUE(store);
  if (!data || !store || !(*store)->replace_refdata(*data)) return nullptr;
  return std::move(*store);
}

TEST(Batch, KeepsTheOrderAndSkipsWhatCannotBeReceived) {
  const std::string dir = testing::temp_path("batch-order");
  fs::remove_all(dir);
  fs::create_directories(dir + "/not-a-file");
  auto store = store_with_base(dir + "/m.db");
  ASSERT_TRUE(store);
  engine::AdjudicateOptions options;
  options.today = 20261123;
  std::mutex m;
  std::vector<std::string> judged, refused_paths;
  std::vector<int64_t> ids;
  engine::BatchCallbacks callbacks;
  callbacks.unreceivable = [&](const std::string& path, const Error& e) {
    EXPECT_EQ(e.code, "Z00015");
    refused_paths.push_back(path);
  };
  callbacks.judged = [&](const std::string& path, const engine::Adjudication& r, bool) {
    std::lock_guard<std::mutex> lock(m);
    judged.push_back(path);
    ids.push_back(r.envoi.id);
    EXPECT_FALSE(r.responses.empty());
    return true;
  };
  const std::vector<std::string> paths = {kCorpus + "gen-1.efact", dir + "/not-a-file", kCorpus + "gen-2.efact",
                                          kCorpus + "crlf.efact"};
  auto out = engine::adjudicate_batch(paths, *store, options, callbacks);
  ASSERT_TRUE(out) << out.error().to_string();
  EXPECT_EQ(out->judged, 3u);
  EXPECT_FALSE(out->stopped);
  EXPECT_EQ(refused_paths, std::vector<std::string>{dir + "/not-a-file"});
  EXPECT_EQ(judged, (std::vector<std::string>{paths[0], paths[2], paths[3]}));
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_LT(ids[0], ids[1]);
  EXPECT_LT(ids[1], ids[2]);
  for (int64_t id : ids) {
    auto stored = store->responses(id);
    ASSERT_TRUE(stored);
    EXPECT_FALSE(stored->empty()) << id;
  }
}

TEST(Batch, AFailedDeliveryStopsWithTheReceptionsNotDelivered) {
  const std::string dir = testing::temp_path("batch-stop");
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto store = store_with_base(dir + "/m.db");
  ASSERT_TRUE(store);
  engine::AdjudicateOptions options;
  options.today = 20261123;
  engine::BatchCallbacks callbacks;
  int calls = 0;
  callbacks.judged = [&](const std::string&, const engine::Adjudication&, bool) {
    ++calls;
    return false;  // a full disk
  };
  const std::vector<std::string> paths = {kCorpus + "gen-1.efact", kCorpus + "gen-2.efact", kCorpus + "crlf.efact"};
  auto out = engine::adjudicate_batch(paths, *store, options, callbacks);
  ASSERT_TRUE(out) << out.error().to_string();
  EXPECT_TRUE(out->stopped);
  EXPECT_EQ(calls, 1);  // the second envoi was judged while the first was delivered, then it stopped
  ASSERT_EQ(out->undelivered.size(), 2u);
  for (int64_t id : out->undelivered) {  // recorded all the same: `mutua response` writes them again
    auto stored = store->responses(id);
    ASSERT_TRUE(stored);
    EXPECT_FALSE(stored->empty()) << id;
  }
}

// With a second connection reading each next envoi ahead (and the one after it being read), a
// batch gives the answers of a batch without it: a visit billed again on the same day in the
// next envoi is still refused (502255) for the line the envoi before recorded while it was being
// read ahead.
TEST(Batch, ReadAheadOnASecondConnectionGivesTheSameAnswers) {
  const std::string dir = testing::temp_path("batch-ahead");
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::vector<std::string> paths = {testing::write_nurse_visit(dir, 31, 20261003),
                                          testing::write_nurse_visit(dir, 32, 20261003),
                                          testing::write_nurse_visit(dir, 33, 20261004),
                                          testing::write_nurse_visit(dir, 34, 20261004)};
  engine::AdjudicateOptions options;
  options.today = 20261123;
  auto run = [&](const std::string& db, bool read_ahead) {
    auto store = store_with_base(db);
    EXPECT_TRUE(store);
    std::unique_ptr<model::Store> second;
    if (read_ahead) {
      auto opened = store::open_sqlite(db);
      EXPECT_TRUE(opened);
      if (opened) second = std::move(*opened);
    }
    std::vector<std::string> answers;
    engine::BatchCallbacks callbacks;
    callbacks.judged = [&](const std::string&, const engine::Adjudication& r, bool) {
      answers.push_back(r.message + " " + (r.responses.empty() ? "" : r.responses.front().json));
      return true;
    };
    if (!store) return answers;
    auto out = engine::adjudicate_batch(paths, *store, options, callbacks, second.get());
    EXPECT_TRUE(out) << out.error().to_string();
    return answers;
  };
  const auto plain = run(dir + "/plain.db", false);
  const auto ahead = run(dir + "/ahead.db", true);
  ASSERT_EQ(plain.size(), 4u);
  EXPECT_NE(plain[1].find("502255"), std::string::npos) << plain[1];
  EXPECT_EQ(plain[2].find("502255"), std::string::npos) << plain[2];
  EXPECT_NE(plain[3].find("502255"), std::string::npos) << plain[3];
  EXPECT_EQ(ahead, plain);
}

// A batch of one file reads its patients' data on the second connection beside the file's
// checks (nothing else is judged meanwhile): the same answer as without it, read ahead. The
// visit the store already holds from an earlier batch is in what was read ahead: 502255.
TEST(Batch, ASingleFileReadsItsDataAheadBesideItsChecksWithTheSameAnswer) {
  const std::string dir = testing::temp_path("batch-single-ahead");
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string first = testing::write_nurse_visit(dir, 51, 20261003);
  const std::string again = testing::write_nurse_visit(dir, 52, 20261003);
  engine::AdjudicateOptions options;
  options.today = 20261123;
  auto run = [&](const std::string& db, bool read_ahead) {
    auto store = store_with_base(db);
    EXPECT_TRUE(store);
    std::vector<std::string> answers, phases;
    if (!store) return std::pair{answers, phases};
    std::unique_ptr<model::Store> second;
    if (read_ahead) {
      auto opened = store::open_sqlite(db);
      EXPECT_TRUE(opened);
      if (opened) second = std::move(*opened);
    }
    engine::BatchCallbacks callbacks;
    callbacks.judged = [&](const std::string&, const engine::Adjudication& r, bool) {
      answers.push_back(r.message + " " + (r.responses.empty() ? "" : r.responses.front().json));
      phases.clear();
      for (const auto& [phase, seconds] : r.phases) phases.push_back(phase);
      return true;
    };
    for (const auto& path : {first, again}) {
      auto out = engine::adjudicate_batch({path}, *store, options, callbacks, second.get());
      EXPECT_TRUE(out) << out.error().to_string();
    }
    return std::pair{answers, phases};
  };
  const auto [plain, plain_phases] = run(dir + "/plain.db", false);
  const auto [ahead, ahead_phases] = run(dir + "/ahead.db", true);
  ASSERT_EQ(plain.size(), 2u);
  EXPECT_EQ(plain[0].find("502255"), std::string::npos) << plain[0];
  EXPECT_NE(plain[1].find("502255"), std::string::npos) << plain[1];
  EXPECT_EQ(ahead, plain);
  auto has = [](const std::vector<std::string>& v, const char* p) { return std::find(v.begin(), v.end(), p) != v.end(); };
  EXPECT_FALSE(has(plain_phases, "history (read ahead)"));
  EXPECT_TRUE(has(ahead_phases, "history (read ahead)"));
  EXPECT_TRUE(has(ahead_phases, "reference data (read ahead)"));
  EXPECT_TRUE(has(ahead_phases, "file checks"));
}

// The content hash of a reception is the SHA-256 of its bytes; receptions recorded before it
// carry FNV-1a's. A batch started again after such an upgrade still finds what it recorded.
TEST(Batch, AReceptionRecordedUnderTheEarlierContentHashIsResumed) {
  EXPECT_EQ(engine::content_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad-3");
  EXPECT_EQ(engine::legacy_content_hash("abc"), "e16801510db89efd-3");
  const std::string dir = testing::temp_path("batch-legacy-hash");
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::vector<std::string> paths = {testing::write_nurse_visit(dir, 41, 20261003),
                                          testing::write_nurse_visit(dir, 42, 20261005)};
  engine::AdjudicateOptions options;
  options.today = 20261123;
  options.batch = "B7";
  const std::string db = dir + "/m.db";
  auto store = store_with_base(db);
  ASSERT_TRUE(store);
  auto run = [&](model::Store* ahead) {
    std::vector<bool> resumed;
    engine::BatchCallbacks callbacks;
    callbacks.judged = [&](const std::string&, const engine::Adjudication& r, bool) {
      resumed.push_back(r.resumed);
      return true;
    };
    auto out = engine::adjudicate_batch(paths, *store, options, callbacks, ahead);
    EXPECT_TRUE(out) << out.error().to_string();
    return resumed;
  };
  EXPECT_EQ(run(nullptr), (std::vector<bool>{false, false}));
  auto recorded = store->envois();
  ASSERT_TRUE(recorded);
  ASSERT_EQ(recorded->size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    std::ifstream in(paths[i], std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ((*recorded)[i].content_hash, engine::content_hash(bytes));
    // As an earlier mutua recorded the first one.
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
    // As any writer beside a live store must: the batch's end empties the WAL in the background.
    sqlite3_busy_timeout(raw, 10000);
    const std::string update = fmt::format("UPDATE envois SET content_hash = '{}' WHERE id = {}",
                                           engine::legacy_content_hash(bytes), (*recorded)[i].id);
    EXPECT_EQ(sqlite3_exec(raw, update.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(raw);
  }
  // Started again, read ahead or not: nothing judged twice.
  EXPECT_EQ(run(nullptr), (std::vector<bool>{true, true}));
  auto second = store::open_sqlite(db);
  ASSERT_TRUE(second);
  EXPECT_EQ(run(second->get()), (std::vector<bool>{true, true}));
  auto after = store->envois();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->size(), 2u);
}

// A batch keeps the buffers of each envoi's file and responses for the envois after it (the
// responses' once delivered): what it writes is what each envoi judged on its own writes, the
// larger envois' bytes before a smaller one's included, nothing of one left in the next.
TEST(Batch, BuffersKeptFromOneEnvoiToTheNextCarryNothingOver) {
  const std::string dir = testing::temp_path("batch-buffers");
  fs::remove_all(dir);
  gen::Options world;
  world.seed = 17;
  world.members = 3000;
  world.providers = 4;
  world.lines = 9000;
  world.envoi_lines = 2500;  // responses past a megabyte: the buffers worth keeping
  world.error_rate = 0.002;  // accepted envois (a 920900 echoes every record), a few codes
  world.out = dir + "/world";
  ASSERT_TRUE(gen::generate(world));
  std::vector<std::string> paths;
  for (const auto& entry : fs::directory_iterator(world.out + "/envois")) paths.push_back(entry.path());
  std::sort(paths.begin(), paths.end());
  ASSERT_GE(paths.size(), 3u);
  std::vector<Error> problems;
  auto data = model::load_refdata_dir(world.out + "/refdata", problems);
  ASSERT_TRUE(data);
  engine::AdjudicateOptions options;
  options.today = 20261123;
  auto fresh_store = [&](const std::string& path) {
    auto store = store::open_sqlite(path);
    EXPECT_TRUE(store);
    EXPECT_TRUE(store && (*store)->replace_refdata(*data));
    return store ? std::move(*store) : nullptr;
  };
  auto written = [](const engine::Adjudication& r) {
    std::string all = r.message;
    for (const auto& response : r.responses) all += "\n" + response.message + "\n" + response.bytes + "\n" + response.json;
    return all;
  };
  // What the store kept of an envoi: its received bytes, its responses (as compressed frames,
  // into kept buffers), and the history lines it accepted (moved through a kept vector).
  auto kept = [](model::Store& store, int64_t id) {
    std::string all;
    auto received = store.received_bytes(id);
    auto responses = store.responses(id);
    EXPECT_TRUE(received && responses);
    if (!received || !responses) return all;
    all = *received;
    for (const auto& response : *responses) all += "\n" + response.message + "\n" + response.bytes + "\n" + response.json;
    return all;
  };
  std::vector<std::string> members;
  for (const auto& m : data->members) members.push_back(m.niss);
  auto history_of = [&members](model::Store& store) {
    std::vector<std::string> lines;
    auto all = store.history(members);
    EXPECT_TRUE(all);
    if (!all) return lines;
    for (const auto& [niss, of_patient] : *all)
      for (const auto& l : of_patient)
        lines.push_back(fmt::format("{} {} {} {} {} {} {} {} {} {}", niss, l.code, l.first_date, l.last_date, l.units,
                                    l.amount, l.provider, l.invoice_number, l.record, l.envoi_number));
    std::sort(lines.begin(), lines.end());
    return lines;
  };
  // The batch, twice over the files (the second time every buffer comes from the first).
  std::vector<std::string> batched, batched_kept;
  std::vector<std::string> batched_history;
  std::vector<int64_t> batched_ids;
  size_t largest = 0;
  {
    auto store = fresh_store(dir + "/batch.db");
    auto ahead = store::open_sqlite(dir + "/batch.db");
    ASSERT_TRUE(store && ahead);
    engine::BatchCallbacks callbacks;
    callbacks.judged = [&](const std::string&, const engine::Adjudication& r, bool) {
      // Called on the thread that delivers an envoi while the next one is judged: the store,
      // one thread's at a time, is read once the batch is over.
      batched.push_back(written(r));
      batched_ids.push_back(r.envoi.id);
      if (!r.responses.empty()) largest = std::max(largest, r.responses.front().bytes.size());
      return true;
    };
    std::vector<std::string> twice = paths;
    twice.insert(twice.end(), paths.begin(), paths.end());
    auto out = engine::adjudicate_batch(twice, *store, options, callbacks, ahead->get());
    ASSERT_TRUE(out) << out.error().to_string();
    for (int64_t id : batched_ids) batched_kept.push_back(kept(*store, id));
    batched_history = history_of(*store);
  }
  EXPECT_GT(largest, size_t{1} << 20);
  // Each file judged on its own, in the same order, on a store of its own.
  std::vector<std::string> alone, alone_kept, alone_history;
  {
    auto store = fresh_store(dir + "/alone.db");
    ASSERT_TRUE(store);
    for (int round = 0; round < 2; ++round)
      for (const auto& path : paths) {
        auto r = engine::adjudicate_file(path, engine::JudgingStores(*store), options);
        ASSERT_TRUE(r) << r.error().to_string();
        alone.push_back(written(*r));
        alone_kept.push_back(kept(*store, r->envoi.id));
      }
    alone_history = history_of(*store);
  }
  ASSERT_EQ(batched.size(), alone.size());
  ASSERT_EQ(batched_kept.size(), alone_kept.size());
  for (size_t i = 0; i < alone.size(); ++i) {
    EXPECT_TRUE(batched[i] == alone[i]) << "envoi " << i << " of " << alone.size();
    EXPECT_TRUE(batched_kept[i] == alone_kept[i]) << "envoi " << i << " as kept";
  }
  EXPECT_GT(batched_history.size(), world.envoi_lines / 2);  // envois of the first round accepted
  EXPECT_TRUE(batched_history == alone_history) << batched_history.size() << " lines against " << alone_history.size();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mutua
