#include "store/sqlite_checkpointer.h"

namespace mutua::store {

BackgroundCheckpointer::BackgroundCheckpointer(sqlite3* db, std::string path, int pages)
    : owner_(db), path_(std::move(path)), pages_(pages) {
  sqlite3_wal_hook(db, &BackgroundCheckpointer::on_commit, this);
}

BackgroundCheckpointer::~BackgroundCheckpointer() {
  sqlite3_wal_hook(owner_, nullptr, nullptr);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

int BackgroundCheckpointer::on_commit(void* self, sqlite3*, const char*, int pages) {
  auto* c = static_cast<BackgroundCheckpointer*>(self);
  if (pages < c->pages_) return SQLITE_OK;
  {
    std::lock_guard<std::mutex> lock(c->mutex_);
    c->wanted_ = true;
    c->start_locked();
  }
  c->wake_.notify_one();
  return SQLITE_OK;
}

void BackgroundCheckpointer::empty_wal_soon() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    empty_wanted_ = true;
    start_locked();
  }
  wake_.notify_one();
}

void BackgroundCheckpointer::start_locked() {
  if (!thread_.joinable()) thread_ = std::thread(&BackgroundCheckpointer::run, this);
}

void BackgroundCheckpointer::run() {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK) {
    // Without its own connection it cannot help: the final checkpoint at close still happens.
    sqlite3_close_v2(db);
    return;
  }
  sqlite3_busy_timeout(db, 10000);
  // A connection learns that the file is in WAL mode on its first read; until then a
  // checkpoint is a silent no-op.
  sqlite3_exec(db, "PRAGMA schema_version", nullptr, nullptr, nullptr);
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return wanted_ || empty_wanted_ || stopping_; });
    if (stopping_ && !empty_wanted_) break;
    const bool empty = empty_wanted_;
    wanted_ = empty_wanted_ = false;
    lock.unlock();
    // Passive: copies what no reader still needs, never waits on the writer. A checkpoint that
    // fails (busy, I/O) is simply asked again at a later commit.
    (void)sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    if (empty) {
      // Then the file emptied: that takes the writer's lock (the copy above did not), so it
      // waits for no one, and is not done while a writer or a reader is on the WAL.
      sqlite3_busy_timeout(db, 0);
      (void)sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
      sqlite3_busy_timeout(db, 10000);
    }
    lock.lock();
    if (stopping_) break;
  }
  lock.unlock();
  sqlite3_close_v2(db);
}

}  // namespace mutua::store
