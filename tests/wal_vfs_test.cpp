// The VFS that gathers a WAL's writes (src/store/wal_vfs.h): a commit is in the file when it is
// published, so another connection (here one through SQLite's own VFS, as another process or the
// sqlite3 tool would be) reads every committed row at once, and the file is sound after.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "store/wal_vfs.h"

namespace fs = std::filesystem;

namespace {

struct Db {
  sqlite3* db = nullptr;
  Db(const std::string& path, const char* vfs) {
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs), SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);
  }
  ~Db() { sqlite3_close_v2(db); }
  void exec(const std::string& sql) {
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "") << " in " << sql;
  }
  std::string text(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) return sqlite3_errmsg(db);
    if (sqlite3_step(s) == SQLITE_ROW) out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    else out = sqlite3_errmsg(db);
    sqlite3_finalize(s);
    return out;
  }
};

// A database file in a fresh directory of its own.
std::string fresh_file(const char* name) {
  auto dir = fs::temp_directory_path() / fmt::format("mutua-{}-{}", name, getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return (dir / "t.db").string();
}

// `n` rows of about 300 bytes from `first` on, in one transaction.
void insert_rows(Db& d, int first, int n) {
  d.exec("BEGIN");
  d.exec(fmt::format(
      "WITH RECURSIVE k(i) AS (SELECT {0} UNION ALL SELECT i + 1 FROM k WHERE i < {1}) "
      "INSERT INTO t (id, body) SELECT i, printf('%.300c', char(65 + i % 26)) FROM k",
      first, first + n - 1));
  d.exec("COMMIT");
}

}  // namespace

TEST(WalGathering, ACommitIsReadByAnotherConnectionAtOnceInFewWrites) {
  const char* vfs = mutua::store::wal_gathering_vfs();
  ASSERT_NE(vfs, nullptr);
  const std::string path = fresh_file("wal-gather");
  Db writer(path, vfs);
  // The store's settings: a transaction's pages fit in the cache until its commit.
  writer.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0; PRAGMA cache_size=-65536;");
  writer.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL); CREATE INDEX t_body ON t (body, id);");
  Db reader(path, nullptr);  // SQLite's own VFS: sees only what is in the file
  // The WAL's frames after each commit (never checkpointed here).
  int wal_pages = 0, frames_before = 0;
  sqlite3_wal_hook(
      writer.db,
      [](void* into, sqlite3*, const char*, int pages) {
        *static_cast<int*>(into) = pages;
        return SQLITE_OK;
      },
      &wal_pages);
  insert_rows(writer, 0, 1);  // the WAL's header and first frames
  frames_before = wal_pages;
  int64_t rows = 1, sum = 0;
  for (int round = 0; round < 6; ++round) {
    const long long before = mutua::store::wal_gathering_writes();
    const int n = 2000 + round * 3000;
    insert_rows(writer, static_cast<int>(rows), n);  // ids rows .. rows + n - 1
    const long long writes = mutua::store::wal_gathering_writes() - before;
    for (int i = 0; i < n; ++i) sum += rows + i;
    rows += n;
    // The other connection, right after the commit, every row and every page of the index.
    EXPECT_EQ(reader.text("SELECT COUNT(*) || ' ' || SUM(id) FROM t"), fmt::format("{} {}", rows, sum)) << round;
    EXPECT_EQ(reader.text("SELECT COUNT(*) FROM t INDEXED BY t_body WHERE body >= ''"), std::to_string(rows)) << round;
    // Hundreds of frames, two writes each without gathering, in writes of thirty frames.
    const int frames = wal_pages - frames_before;
    frames_before = wal_pages;
    EXPECT_GT(frames, 100) << round;
    EXPECT_LE(writes, frames / 25 + 2) << round << ": " << writes << " writes for " << frames << " frames";
  }
  EXPECT_EQ(reader.text("PRAGMA integrity_check"), "ok");
}

TEST(WalGathering, ATransactionLargerThanTheCacheWritingPagesAgainStaysSound) {
  // A small cache spills pages into the WAL mid-transaction; the same pages are written again in
  // their frames before the commit (SQLite writes over them): the writes go out of order.
  const std::string path = fresh_file("wal-spill");
  {
    Db writer(path, mutua::store::wal_gathering_vfs());
    writer.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=20;");
    writer.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL); CREATE INDEX t_body ON t (body, id);");
    Db reader(path, nullptr);
    writer.exec("BEGIN");
    writer.exec(
        "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 20000) "
        "INSERT INTO t (id, body) SELECT i, printf('%.200c', char(65 + (i * 7919) % 26)) FROM k");
    writer.exec("UPDATE t SET body = body || 'x' WHERE id % 3 = 0");
    writer.exec("DELETE FROM t WHERE id % 5 = 0");
    // Spilled frames: in pieces, and some written again in place.
    // Not committed: the other connection sees none of it.
    EXPECT_EQ(reader.text("SELECT COUNT(*) FROM t"), "0");
    writer.exec("COMMIT");
    EXPECT_EQ(reader.text("SELECT COUNT(*) || ' ' || SUM(LENGTH(body)) FROM t"),
              fmt::format("{} {}", 16000, 16000 * 200 + 5333));
    EXPECT_EQ(reader.text("PRAGMA integrity_check"), "ok");
  }
  // Closed without a checkpoint of ours: the file alone, through SQLite's own VFS.
  Db again(path, nullptr);
  EXPECT_EQ(again.text("SELECT COUNT(*) FROM t WHERE substr(body, -1) = 'x'"), std::to_string(5333));
  EXPECT_EQ(again.text("PRAGMA integrity_check"), "ok");
}

TEST(WalGathering, ACommitAfterARolledBackTransactionIsReadAtOnce) {
  // A transaction larger than the cache writes frames, then is rolled back: the next transaction
  // writes its frames over them, in the same places, its commit among them.
  const std::string path = fresh_file("wal-rollback");
  Db writer(path, mutua::store::wal_gathering_vfs());
  writer.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=30; PRAGMA wal_autocheckpoint=0;");
  writer.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
  Db reader(path, nullptr);
  int64_t rows = 0;
  for (int round = 0; round < 6; ++round) {
    // Every frame in the database: the pages are read from it, not the WAL, which starts over.
    if (round % 2 == 1) writer.exec(round == 3 ? "PRAGMA wal_checkpoint(TRUNCATE)" : "PRAGMA wal_checkpoint(RESTART)");
    writer.exec("BEGIN");
    writer.exec(fmt::format(
        "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 3000) "
        "INSERT INTO t (id, body) SELECT {} + i, printf('%.500c', 'r') FROM k",
        1000000 * (round + 1)));
    writer.exec("ROLLBACK");
    insert_rows(writer, static_cast<int>(rows), 7);
    rows += 7;
    EXPECT_EQ(reader.text("SELECT COUNT(*) FROM t"), std::to_string(rows)) << round;
    EXPECT_EQ(reader.text("PRAGMA integrity_check"), "ok") << round;
  }
  writer.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  insert_rows(writer, static_cast<int>(rows), 7);
  rows += 7;
  EXPECT_EQ(reader.text("SELECT COUNT(*) FROM t"), std::to_string(rows));
  EXPECT_EQ(reader.text("PRAGMA integrity_check"), "ok");
}
