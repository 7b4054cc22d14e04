// The embedded default store: one SQLite file in WAL mode, schema migrations from
// data/store/sqlite/ applied on open (each in its own transaction, version in schema_version).
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "mutua/model/store.h"

namespace mutua::store {

struct SqliteOptions {
  // Reads through a memory map of up to this many bytes of the file (0: off). Look-ups spread
  // all over large tables (mass insurability: 100k NISS in the 1M-row patient tables) go from
  // 3.1 s to 1.75 s; elsewhere it gains nothing measurable and the mapped pages count in RSS.
  int64_t mmap_bytes = 0;
  // Past this many bytes in the WAL, a checkpoint runs in a thread and on a connection of its
  // own while the writer goes on (SQLite's own autocheckpoint stalls the commit that crosses
  // its threshold). 0: SQLite's autocheckpoint instead (at the same size).
  int64_t checkpoint_bytes = int64_t{50000} * 4096;
};

// The page size of a store this build creates (a store keeps the size it was made with):
// 16 KiB, where SQLite's default is 4 KiB. Reading a patient's history, a look-up in the
// million-row patient tables and the WAL's writes then take a quarter of the system calls, which
// on a virtual machine cost more than the bytes they copy (docs/performance.md, session 40).
inline constexpr int kSqlitePageBytes = 16384;

// Opens (creating and migrating when needed) the store at `path`.
Result<std::unique_ptr<model::Store>> open_sqlite(const std::string& path, const SqliteOptions& options = {});

// The schema version this build migrates to.
int sqlite_schema_version();
// The schema version of the file at `path` now (0: no schema yet), read without changing it.
Result<int> sqlite_stored_version(const std::string& path);

}  // namespace mutua::store
