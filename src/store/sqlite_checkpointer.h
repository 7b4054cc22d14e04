// WAL checkpoints in a thread and on a connection of their own.
//
// SQLite's autocheckpoint copies the WAL back into the database inside the commit that crossed
// the threshold: after a few 100k-line envois that is hundreds of MB of pages and a sync, and
// the next envoi waits for it (1.4 s of each third envoi in the engine benchmark). A passive
// checkpoint from another connection lets the writer go on meanwhile; the WAL is reused from its
// start once a checkpoint has copied all of it.
#pragma once
#include <sqlite3.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace mutua::store {

class BackgroundCheckpointer {
 public:
  // Installs itself as `db`'s WAL hook: past `pages` pages in the WAL, a checkpoint is asked.
  BackgroundCheckpointer(sqlite3* db, std::string path, int pages);
  // Waits for a running checkpoint, then closes its connection (the owner's connection, closed
  // last, makes the final checkpoint and removes the WAL as usual).
  ~BackgroundCheckpointer();
  // Copies the whole WAL and empties the file now, in the thread, if no connection is reading
  // or writing (else as much as a passive checkpoint can). The close then has nothing left to
  // copy and removes an empty file: unlinking a WAL of hundreds of MB takes a quarter of a
  // second, at the end of a batch where nothing else runs.
  void empty_wal_soon();
  BackgroundCheckpointer(const BackgroundCheckpointer&) = delete;
  BackgroundCheckpointer& operator=(const BackgroundCheckpointer&) = delete;

 private:
  static int on_commit(void* self, sqlite3* db, const char* schema, int pages);
  void run();

  sqlite3* owner_;
  std::string path_;
  int pages_;
  std::mutex mutex_;
  std::condition_variable wake_;
  void start_locked();

  bool wanted_ = false, empty_wanted_ = false, stopping_ = false;
  std::thread thread_;  // started on the first checkpoint asked
};

}  // namespace mutua::store
