// The store's WAL is checkpointed beside the writer (store/sqlite_checkpointer.h): while the
// store is open and written to, its pages reach the database file, and nothing is lost.
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "baseline.h"
#include "mutua/store/sqlite.h"

namespace fs = std::filesystem;
using mutua::model::HistoryLine;

namespace {

std::vector<HistoryLine> lines(int chunk, int n) {
  std::vector<HistoryLine> out;
  for (int i = 0; i < n; ++i) {
    HistoryLine h;
    h.niss = fmt::format("{:011d}", 85000000000LL + chunk * 100000 + i);
    h.code = "425014";
    h.first_date = h.last_date = 20261001 + i % 28;
    h.amount = 2150;
    h.provider = h.third_party = "40765140401";
    h.invoice_number = static_cast<uint64_t>(i);
    h.record = static_cast<uint64_t>(i);
    h.billed = 20261031;
    h.envoi_number = 1;
    out.push_back(std::move(h));
  }
  return out;
}

uintmax_t size_of(const fs::path& p) {
  std::error_code ec;
  auto n = fs::file_size(p, ec);
  return ec ? 0 : n;
}

}  // namespace

// The page size the file itself says, read apart from the store's code.
std::string page_size_of(const fs::path& db) { return mutua::testing::dump(db.string(), {"PRAGMA page_size"}); }
std::string page_size_is(int bytes) { return fmt::format("## PRAGMA page_size\n{}|\n", bytes); }

// The checkpoint's threshold is the WAL's size in bytes, whatever the store's page size: a store
// made with SQLite's 4 KiB pages (the default) or with 16 KiB (for batches) has its WAL copied
// into the database past 256 KiB.
class StoreCheckpointsOfAPageSize : public testing::TestWithParam<int> {};

TEST_P(StoreCheckpointsOfAPageSize, WalPagesReachTheDatabaseWhileTheStoreIsOpen) {
  const int page_bytes = GetParam();
  const fs::path dir = fs::temp_directory_path() / fmt::format("mutua-ckpt-{}-{}", getpid(), page_bytes);
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path db = dir / "store.db";
  {
    mutua::store::SqliteOptions options;
    options.checkpoint_bytes = 256 << 10;
    options.page_bytes = page_bytes;
    auto store = mutua::store::open_sqlite(db.string(), options);
    ASSERT_TRUE(store) << store.error().message;
    const uintmax_t empty = size_of(db);
    for (int chunk = 0; chunk < 20; ++chunk) ASSERT_TRUE((*store)->load_history(lines(chunk, 2000)));
    // 40,000 lines are several MB: the database file grows only when a checkpoint copies the
    // WAL into it, and the only checkpoints before close are the background ones.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (size_of(db) < empty + (2u << 20) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_GE(size_of(db), empty + (2u << 20)) << "no checkpoint copied the WAL while the store was open";
  }
  EXPECT_EQ(page_size_of(db), page_size_is(page_bytes));
  auto reopened = mutua::store::open_sqlite(db.string());
  ASSERT_TRUE(reopened);
  std::vector<std::string> some;
  for (int chunk = 0; chunk < 20; ++chunk) some.push_back(fmt::format("{:011d}", 85000000000LL + chunk * 100000 + 1999));
  auto history = (*reopened)->history(some);
  ASSERT_TRUE(history);
  EXPECT_EQ(history->size(), 20u);  // the last line of every chunk is there
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Pages, StoreCheckpointsOfAPageSize, testing::Values(4096, 16384),
                         [](const testing::TestParamInfo<int>& p) { return fmt::format("Of{}Bytes", p.param); });

// A store keeps the page size it was made with: asked for another one later, it is opened and
// written to as it is.
TEST(StorePages, AStoreKeepsThePageSizeItWasMadeWith) {
  const fs::path dir = fs::temp_directory_path() / fmt::format("mutua-pages-{}", getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  EXPECT_EQ(mutua::store::SqliteOptions{}.page_bytes, 4096);
  for (const auto& [made, asked] : {std::pair{4096, 16384}, std::pair{16384, 4096}}) {
    const fs::path db = dir / fmt::format("made-{}.db", made);
    {
      mutua::store::SqliteOptions options;
      options.page_bytes = made;
      ASSERT_TRUE(mutua::store::open_sqlite(db.string(), options));
    }
    mutua::store::SqliteOptions options;
    options.page_bytes = asked;
    auto store = mutua::store::open_sqlite(db.string(), options);
    ASSERT_TRUE(store) << store.error().message;
    ASSERT_TRUE((*store)->load_history(lines(0, 100)));
    store->reset();
    EXPECT_EQ(page_size_of(db), page_size_is(made));
    auto read = mutua::store::sqlite_page_bytes(db.string());
    ASSERT_TRUE(read);
    EXPECT_EQ(*read, made);
  }
  mutua::store::SqliteOptions odd;
  odd.page_bytes = 3000;
  EXPECT_FALSE(mutua::store::open_sqlite((dir / "odd.db").string(), odd));
  fs::remove_all(dir);
}

// At the end of a batch the engine says no more writes are coming (Store::flush_in_background):
// the WAL is copied and emptied in the checkpointer's thread while the store is still open, so
// closing it has nothing left to copy. A reader still on a snapshot is not waited for.
TEST(StoreCheckpoints, AFlushInBackgroundEmptiesTheWalWhileTheStoreIsOpen) {
  const fs::path dir = fs::temp_directory_path() / fmt::format("mutua-flush-{}", getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path db = dir / "store.db";
  const fs::path wal = dir / "store.db-wal";
  mutua::store::SqliteOptions options;
  options.checkpoint_bytes = int64_t{1} << 40;  // never on its own
  auto wait_for_empty_wal = [&] {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (size_of(wal) > 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return size_of(wal);
  };
  {
    auto store = mutua::store::open_sqlite(db.string(), options);
    ASSERT_TRUE(store) << store.error().message;
    for (int chunk = 0; chunk < 5; ++chunk) ASSERT_TRUE((*store)->load_history(lines(chunk, 2000)));
    ASSERT_GT(size_of(wal), 1u << 20) << "the lines are not in the WAL";
    (*store)->flush_in_background();
    EXPECT_EQ(wait_for_empty_wal(), 0u) << "the WAL was not emptied while the store was open";
    // Written to again, and flushed while another connection reads a snapshot of the WAL: the
    // flush copies what it can and leaves the WAL for that reader, without waiting on it.
    ASSERT_TRUE((*store)->load_history(lines(5, 2000)));
    sqlite3* reader = nullptr;
    ASSERT_EQ(sqlite3_open_v2(db.string().c_str(), &reader, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(reader, "BEGIN; SELECT COUNT(*) FROM history;", nullptr, nullptr, nullptr), SQLITE_OK);
    ASSERT_TRUE((*store)->load_history(lines(6, 2000)));
    (*store)->flush_in_background();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    EXPECT_GT(size_of(wal), 0u) << "the WAL was emptied under a reader's snapshot";
    const auto closing = std::chrono::steady_clock::now();
    store->reset();
    // The checkpointer's connection has a 10 s busy timeout for its passive checkpoints: a flush
    // that waited on the reader would hold the close that long.
    EXPECT_LT(std::chrono::steady_clock::now() - closing, std::chrono::seconds(5));
    sqlite3_exec(reader, "COMMIT", nullptr, nullptr, nullptr);
    sqlite3_close(reader);
  }
  auto reopened = mutua::store::open_sqlite(db.string());
  ASSERT_TRUE(reopened);
  std::vector<std::string> some;
  for (int chunk = 0; chunk < 7; ++chunk) some.push_back(fmt::format("{:011d}", 85000000000LL + chunk * 100000 + 1999));
  auto history = (*reopened)->history(some);
  ASSERT_TRUE(history);
  EXPECT_EQ(history->size(), 7u);
  fs::remove_all(dir);
}

namespace {

// SQLite's counters of allocations are kept under one mutex for the whole process; with them
// off, sqlite3_memory_used() stays 0. Opened the way `mutua` opens a store: its version looked
// at first (which starts SQLite), then the store, written to and read from. (Run alone, as
// ctest runs each test: no other test of the process has started SQLite before.)
TEST(StoreConnections, AllocationsAreNotCountedUnderAProcessWideMutex) {
  const fs::path dir = fs::temp_directory_path() / fmt::format("mutua-memstatus-{}", getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path db = dir / "store.db";
  (void)mutua::store::sqlite_stored_version(db.string());  // no store there yet: refused, SQLite started
  auto store = mutua::store::open_sqlite(db.string());
  ASSERT_TRUE(store) << store.error().message;
  ASSERT_TRUE((*store)->load_history(lines(0, 500)));
  auto history = (*store)->history({fmt::format("{:011d}", 85000000000LL + 499)});
  ASSERT_TRUE(history);
  EXPECT_EQ(history->size(), 1u);
  EXPECT_EQ(sqlite3_memory_used(), 0) << "SQLite counts its allocations (SQLITE_CONFIG_MEMSTATUS on)";
  store->reset();
  fs::remove_all(dir);
}

}  // namespace
