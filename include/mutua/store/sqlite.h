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
  // The page size of a store made now (a power of two, 512 to 65536; a store keeps the size it
  // was made with). SQLite's 4 KiB suits the portal: each request reads its pages afresh (another
  // request's audit row has changed the file), and 16 KiB pages served 20-30 % fewer requests a
  // second. A store that mostly judges batches is better made with 16 KiB: a patient's history, a
  // look-up in the million-row patient tables and the WAL's writes take a quarter of the system
  // calls, about 10 % of a batch's CPU on this virtual machine (docs/performance.md, session 40).
  int page_bytes = 4096;
  // The most this connection's page cache holds. A connection that only reads ahead for the one
  // that judges wants little: each envoi's reading touches a page of history per patient once,
  // and another connection's commit empties the cache anyway, so a large one is memory filled
  // and given back at every envoi (fresh pages the kernel zeroes: docs/performance.md, session 41).
  int64_t cache_bytes = int64_t{64} << 20;
};

// Opens (creating and migrating when needed) the store at `path`.
Result<std::unique_ptr<model::Store>> open_sqlite(const std::string& path, const SqliteOptions& options = {});

// Whether `bytes` can be a store's page size (a power of two, 512 to 65536).
bool valid_sqlite_page_bytes(int64_t bytes);
// The page size of the store at `path`, read without changing it.
Result<int> sqlite_page_bytes(const std::string& path);

// The schema version this build migrates to.
int sqlite_schema_version();
// The schema version of the file at `path` now (0: no schema yet), read without changing it.
Result<int> sqlite_stored_version(const std::string& path);

}  // namespace mutua::store
