// Atomicity: `mutua adjudicate --batch` is killed (SIGKILL) at 20 or more random moments and run
// again until it finishes; the store (every row of every table) and the response files must then
// be exactly those of an uninterrupted run: nothing doubled, nothing lost.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "baseline.h"

namespace fs = std::filesystem;

namespace {

using mutua::testing::dump;
using mutua::testing::files_of;
using mutua::testing::read_all;
using mutua::testing::spawn;
using mutua::testing::wait_exit;


int64_t count_envois(const std::string& db) {
  sqlite3* h = nullptr;
  int64_t n = -1;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(h, "SELECT COUNT(*) FROM envois", -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
      n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
  }
  sqlite3_close(h);
  return n;
}

TEST(Atomicity, KilledAtTwentyRandomMomentsTheStoreEqualsAnUninterruptedRun) {
  std::string dir = mutua::testing::temp_path("kill");
  fs::remove_all(dir);
  fs::create_directories(dir);
  // A world of several providers and months: about 60 envois, accepted and rejected.
  pid_t gen = spawn({"gen", "--seed", "11", "--members", "3000", "--providers", "40", "--lines", "60000",
                     "--envoi-lines", "3000", "--error-rate", "0.02", "--out", dir + "/world"},
                    dir + "/gen.log");
  ASSERT_EQ(wait_exit(gen), 0) << read_all(dir + "/gen.log");
  pid_t imp = spawn({"refdata", "import", dir + "/world/refdata", "--db", dir + "/base.db"}, dir + "/import.log");
  ASSERT_EQ(wait_exit(imp), 0) << read_all(dir + "/import.log");

  std::vector<std::string> envois;
  for (auto& e : fs::directory_iterator(dir + "/world/envois")) envois.push_back(e.path().string());
  std::sort(envois.begin(), envois.end());
  ASSERT_GE(envois.size(), 20u);
  auto args = [&](const std::string& db, const std::string& out) {
    std::vector<std::string> a = {"adjudicate", "--db", db, "--today", "2026-11-23", "--batch", "kill-test", "--out", out};
    a.insert(a.end(), envois.begin(), envois.end());
    return a;
  };

  // The uninterrupted run.
  fs::copy_file(dir + "/base.db", dir + "/straight.db");
  auto t0 = std::chrono::steady_clock::now();
  int straight_rc = wait_exit(spawn(args(dir + "/straight.db", dir + "/straight-out"), dir + "/straight.log"));
  auto full = std::chrono::steady_clock::now() - t0;
  ASSERT_GE(straight_rc, 0) << read_all(dir + "/straight.log");
  ASSERT_LE(straight_rc, 1) << read_all(dir + "/straight.log");

  // Running the finished batch again changes nothing; its time is the cost of a restart.
  const std::vector<std::string> tables = {"SELECT * FROM envois ORDER BY id", "SELECT * FROM envoi_files ORDER BY envoi_id",
                                           "SELECT * FROM responses ORDER BY envoi_id, message",
                                           "SELECT * FROM history_all ORDER BY id"};
  const std::string straight_dump = dump(dir + "/straight.db", tables);
  t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(wait_exit(spawn(args(dir + "/straight.db", dir + "/straight-out"), dir + "/straight.log")), straight_rc);
  auto restart = std::chrono::steady_clock::now() - t0;
  EXPECT_TRUE(dump(dir + "/straight.db", tables) == straight_dump) << "re-running a finished batch changed the store";

  // The same, killed again and again at random moments, then run to its end. Each run lives
  // for a restart plus a random share of the work: the kills fall all along the batch.
  fs::copy_file(dir + "/base.db", dir + "/killed.db");
  std::mt19937_64 rng(20261123);
  const auto us = [](auto d) { return std::chrono::duration_cast<std::chrono::microseconds>(d).count(); };
  // The window grows while kills strike before anything new was recorded (the first envoi also
  // loads the shared reference data), so that the kills travel along the whole batch.
  const int64_t base_window_us = us(restart) + us(full) / 40 + 1;
  int64_t window_us = base_window_us;
  int64_t last_count = 0;
  int kills = 0, runs = 0;
  std::set<int64_t> progress;  // envois recorded when a kill struck: the kills spread over the batch
  // Until a run got to the end of the batch before its kill, and at least 24 kills: kills after
  // the batch is recorded strike runs that only re-write the responses (nothing may change).
  // And until they struck at three points at least: on a loaded machine (tests beside it) the
  // window, sized on a quiet run, needs more kills to reach along the batch.
  bool finished = false;
  // A run outlived its window and recorded the whole batch while the kills had struck few points
  // yet (a loaded machine: each start takes longer, the window lags): later kills could only
  // strike re-runs, so the killed store and its files start again from the base.
  auto start_again = [&] {
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(dir + "/killed.db" + suffix);
    fs::remove_all(dir + "/killed-out");
    fs::copy_file(dir + "/base.db", dir + "/killed.db");
    last_count = 0;
    window_us = base_window_us;
  };
  while ((!finished || kills < 24 || progress.size() < 3) && runs < 400) {
    ++runs;
    pid_t pid = spawn(args(dir + "/killed.db", dir + "/killed-out"), dir + "/killed.log");
    // Anywhere from the start (store not yet open) to well into the run.
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::microseconds(rng() % static_cast<uint64_t>(window_us));
    int status = 0;
    bool ended = false;
    while (std::chrono::steady_clock::now() < deadline)
      if (waitpid(pid, &status, WNOHANG) == pid) {
        ended = true;
        break;
      } else {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    bool killed = false;
    if (!ended) {
      kill(pid, SIGKILL);
      wait_exit(pid, &killed);
    }
    finished = finished || ended || !killed;
    kills += killed;
    if (!killed) {
      if (progress.size() < 3 && runs < 300) start_again();
      continue;
    }
    const int64_t count = count_envois(dir + "/killed.db");
    progress.insert(count);
    // Longer while nothing new gets recorded (each start also loads the shared reference data),
    // a little shorter after progress: the window settles around the cost of a start. Up to four
    // quiet runs' time: with tests beside it (a browser...) a start can take that much longer.
    window_us = count == last_count ? std::min(window_us * 115 / 100, 4 * (us(full) + us(restart)))
                                    : std::max(window_us * 8 / 10, base_window_us);
    last_count = count;
  }
  EXPECT_GE(kills, 20);
  EXPECT_GE(progress.size(), 3u) << "the kills did not strike at different points of the batch";
  std::printf("full run %lld us, restart %lld us; %d kills in %d runs, struck with %zu different numbers of envois recorded (of %zu)\n", (long long)us(full), (long long)us(restart), kills, runs,
              progress.size(), envois.size());
  EXPECT_TRUE(finished);
  int last_rc = wait_exit(spawn(args(dir + "/killed.db", dir + "/killed-out"), dir + "/killed.log"));
  EXPECT_EQ(last_rc, straight_rc) << read_all(dir + "/killed.log");

  const std::string& a = straight_dump;
  const std::string b = dump(dir + "/killed.db", tables);
  EXPECT_GT(a.size(), 1000u);
  EXPECT_TRUE(a == b) << "the store after " << kills << " kills differs from the uninterrupted run";
  auto fa = files_of(dir + "/straight-out"), fb = files_of(dir + "/killed-out");
  EXPECT_EQ(fa.size(), fb.size());
  for (const auto& [name, bytes] : fa) {
    if (name.ends_with(".part")) continue;
    auto it = fb.find(name);
    ASSERT_NE(it, fb.end()) << name << " missing after the kills";
    EXPECT_TRUE(it->second == bytes) << name << " differs after the kills";
  }
  // Every envoi of the batch has exactly one reception.
  EXPECT_NE(a.find("kill-test"), std::string::npos);
}

}  // namespace
