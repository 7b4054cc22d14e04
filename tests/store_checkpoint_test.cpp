// The store's WAL is checkpointed beside the writer (store/sqlite_checkpointer.h): while the
// store is open and written to, its pages reach the database file, and nothing is lost.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

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

TEST(StoreCheckpoints, WalPagesReachTheDatabaseWhileTheStoreIsOpen) {
  const fs::path dir = fs::temp_directory_path() / fmt::format("mutua-ckpt-{}", getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path db = dir / "store.db";
  {
    mutua::store::SqliteOptions options;
    options.checkpoint_pages = 64;  // 256 KiB
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
  auto reopened = mutua::store::open_sqlite(db.string());
  ASSERT_TRUE(reopened);
  std::vector<std::string> some;
  for (int chunk = 0; chunk < 20; ++chunk) some.push_back(fmt::format("{:011d}", 85000000000LL + chunk * 100000 + 1999));
  auto history = (*reopened)->history(some);
  ASSERT_TRUE(history);
  EXPECT_EQ(history->size(), 20u);  // the last line of every chunk is there
  fs::remove_all(dir);
}
