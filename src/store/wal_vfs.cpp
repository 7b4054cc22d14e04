#include "store/wal_vfs.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <new>
#include <vector>

namespace mutua::store {
namespace {

// Past this many bytes gathered, they go to the file at once; and no write is larger: SQLite's
// unix VFS writes at most 128 KiB less a byte in one call (it masks the size with 0x1ffff).
// 30 frames of 4 KiB pages.
constexpr size_t kGatherBytes = 31 * 4096;
// A WAL frame's header (the format's WAL_FRAME_HDRSIZE): page number, then the database's size
// in pages after the commit for a commit frame, 0 for any other.
constexpr int kFrameHeaderBytes = 24;

std::atomic<long long> system_writes{0};
sqlite3_vfs* base_vfs = nullptr;

// Our file: SQLite's object for the file of the VFS below it follows this one in the same block
// (szOsFile says how large the block is).
struct File {
  sqlite3_file base;    // must be first: SQLite sees this
  sqlite3_file* below;  // the VFS below's file, in the same block
  // WAL files only: what is gathered, from `start` on in the file.
  std::vector<char>* gathered;
  sqlite3_int64 start;
  bool commit_pending;  // a commit frame's header was gathered: its page goes out with it
};

sqlite3_file* below(sqlite3_file* f) { return reinterpret_cast<File*>(f)->below; }
sqlite3_vfs* below_vfs(sqlite3_vfs* v) { return static_cast<sqlite3_vfs*>(v->pAppData); }

int write_below(File* f, const char* data, size_t n, sqlite3_int64 offset) {
  ++system_writes;
  return f->below->pMethods->xWrite(f->below, data, static_cast<int>(n), offset);
}

// Everything gathered goes to the file below, in writes of at most kGatherBytes; the first error
// is the caller's.
int flush(File* f) {
  if (!f->gathered || f->gathered->empty()) return SQLITE_OK;
  int rc = SQLITE_OK;
  const auto& g = *f->gathered;
  for (size_t at = 0; at < g.size() && rc == SQLITE_OK; at += kGatherBytes)
    rc = write_below(f, g.data() + at, std::min(kGatherBytes, g.size() - at), f->start + static_cast<sqlite3_int64>(at));
  f->gathered->clear();
  return rc;
}

// WAL files: gathered writes.
int wal_close(sqlite3_file* p) {
  auto* f = reinterpret_cast<File*>(p);
  const int flushed = flush(f);
  delete f->gathered;
  f->gathered = nullptr;
  const int rc = f->below->pMethods ? f->below->pMethods->xClose(f->below) : SQLITE_OK;
  return flushed != SQLITE_OK ? flushed : rc;
}

int wal_read(sqlite3_file* p, void* out, int n, sqlite3_int64 offset) {
  auto* f = reinterpret_cast<File*>(p);
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return f->below->pMethods->xRead(f->below, out, n, offset);
}

int wal_write(sqlite3_file* p, const void* data, int n, sqlite3_int64 offset) {
  auto* f = reinterpret_cast<File*>(p);
  const auto* bytes = static_cast<const char*>(data);
  auto& g = *f->gathered;
  const sqlite3_int64 end = f->start + static_cast<sqlite3_int64>(g.size());
  // Elsewhere than right after what is gathered (SQLite writes a page of this transaction again
  // in the frame it already has, or the WAL starts over, or a rolled-back transaction's frames
  // are written over): what is gathered goes first. The file gets every write in the order
  // SQLite made them, so it ends as it would have without gathering.
  if (!g.empty() && offset != end)
    if (int rc = flush(f); rc != SQLITE_OK) return rc;
  // What would not fit in one write with it goes first.
  if (!g.empty() && g.size() + static_cast<size_t>(n) > kGatherBytes)
    if (int rc = flush(f); rc != SQLITE_OK) return rc;
  if (g.empty()) f->start = offset;
  g.insert(g.end(), bytes, bytes + n);
  const bool commit_header =
      n == kFrameHeaderBytes && (bytes[4] != 0 || bytes[5] != 0 || bytes[6] != 0 || bytes[7] != 0);
  if (commit_header) {
    f->commit_pending = true;  // its page is the next write
    return SQLITE_OK;
  }
  // The commit frame's page: the transaction goes out whole (whatever went out before it).
  if (f->commit_pending) {
    f->commit_pending = false;
    return flush(f);
  }
  return SQLITE_OK;
}

int wal_truncate(sqlite3_file* p, sqlite3_int64 size) {
  auto* f = reinterpret_cast<File*>(p);
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return f->below->pMethods->xTruncate(f->below, size);
}

int wal_sync(sqlite3_file* p, int flags) {
  auto* f = reinterpret_cast<File*>(p);
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return f->below->pMethods->xSync(f->below, flags);
}

int wal_file_size(sqlite3_file* p, sqlite3_int64* size) {
  auto* f = reinterpret_cast<File*>(p);
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return f->below->pMethods->xFileSize(f->below, size);
}

int wal_file_control(sqlite3_file* p, int op, void* arg) {
  auto* f = reinterpret_cast<File*>(p);
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return f->below->pMethods->xFileControl(f->below, op, arg);
}

// Every file: straight through.
int pass_close(sqlite3_file* p) {
  sqlite3_file* b = below(p);
  return b->pMethods ? b->pMethods->xClose(b) : SQLITE_OK;
}
int pass_read(sqlite3_file* p, void* out, int n, sqlite3_int64 offset) {
  return below(p)->pMethods->xRead(below(p), out, n, offset);
}
int pass_write(sqlite3_file* p, const void* data, int n, sqlite3_int64 offset) {
  return below(p)->pMethods->xWrite(below(p), data, n, offset);
}
int pass_truncate(sqlite3_file* p, sqlite3_int64 size) { return below(p)->pMethods->xTruncate(below(p), size); }
int pass_sync(sqlite3_file* p, int flags) { return below(p)->pMethods->xSync(below(p), flags); }
int pass_file_size(sqlite3_file* p, sqlite3_int64* size) { return below(p)->pMethods->xFileSize(below(p), size); }
int pass_lock(sqlite3_file* p, int level) { return below(p)->pMethods->xLock(below(p), level); }
int pass_unlock(sqlite3_file* p, int level) { return below(p)->pMethods->xUnlock(below(p), level); }
int pass_check_reserved(sqlite3_file* p, int* out) { return below(p)->pMethods->xCheckReservedLock(below(p), out); }
int pass_file_control(sqlite3_file* p, int op, void* arg) { return below(p)->pMethods->xFileControl(below(p), op, arg); }
int pass_sector_size(sqlite3_file* p) { return below(p)->pMethods->xSectorSize(below(p)); }
int pass_device(sqlite3_file* p) { return below(p)->pMethods->xDeviceCharacteristics(below(p)); }
int pass_shm_map(sqlite3_file* p, int page, int size, int extend, void volatile** out) {
  return below(p)->pMethods->xShmMap(below(p), page, size, extend, out);
}
int pass_shm_lock(sqlite3_file* p, int offset, int n, int flags) {
  return below(p)->pMethods->xShmLock(below(p), offset, n, flags);
}
void pass_shm_barrier(sqlite3_file* p) { below(p)->pMethods->xShmBarrier(below(p)); }
int pass_shm_unmap(sqlite3_file* p, int remove) { return below(p)->pMethods->xShmUnmap(below(p), remove); }
int pass_fetch(sqlite3_file* p, sqlite3_int64 offset, int n, void** out) {
  return below(p)->pMethods->xFetch(below(p), offset, n, out);
}
int pass_unfetch(sqlite3_file* p, sqlite3_int64 offset, void* data) {
  return below(p)->pMethods->xUnfetch(below(p), offset, data);
}

// Methods of the version the file below has (SQLite reads no further than iVersion says).
sqlite3_io_methods methods_like(const sqlite3_io_methods& b, bool wal) {
  sqlite3_io_methods m{};
  m.iVersion = b.iVersion;
  m.xClose = wal ? wal_close : pass_close;
  m.xRead = wal ? wal_read : pass_read;
  m.xWrite = wal ? wal_write : pass_write;
  m.xTruncate = wal ? wal_truncate : pass_truncate;
  m.xSync = wal ? wal_sync : pass_sync;
  m.xFileSize = wal ? wal_file_size : pass_file_size;
  m.xLock = pass_lock;
  m.xUnlock = pass_unlock;
  m.xCheckReservedLock = pass_check_reserved;
  m.xFileControl = wal ? wal_file_control : pass_file_control;
  m.xSectorSize = pass_sector_size;
  m.xDeviceCharacteristics = pass_device;
  if (b.iVersion >= 2) {
    m.xShmMap = pass_shm_map;
    m.xShmLock = pass_shm_lock;
    m.xShmBarrier = pass_shm_barrier;
    m.xShmUnmap = pass_shm_unmap;
  }
  if (b.iVersion >= 3) {
    m.xFetch = pass_fetch;
    m.xUnfetch = pass_unfetch;
  }
  return m;
}

// The methods tables live as long as the process; one pair per version of the file below (the
// default VFS gives every file the same).
struct MethodsOf {
  const sqlite3_io_methods* below;
  sqlite3_io_methods pass, wal;
};
std::mutex methods_mutex;
std::vector<MethodsOf*>& methods_seen() {
  static auto* seen = new std::vector<MethodsOf*>();
  return *seen;
}

const sqlite3_io_methods* methods_for(const sqlite3_io_methods* b, bool wal) {
  std::lock_guard lock(methods_mutex);
  for (auto* m : methods_seen())
    if (m->below == b) return wal ? &m->wal : &m->pass;
  auto* m = new MethodsOf{b, methods_like(*b, false), methods_like(*b, true)};
  methods_seen().push_back(m);
  return wal ? &m->wal : &m->pass;
}

int open_file(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* out, int flags, int* out_flags) {
  auto* f = reinterpret_cast<File*>(out);
  f->base.pMethods = nullptr;
  f->below = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(out) + sizeof(File));
  f->below->pMethods = nullptr;
  f->gathered = nullptr;
  f->start = 0;
  f->commit_pending = false;
  sqlite3_vfs* b = below_vfs(vfs);
  const int rc = b->xOpen(b, name, f->below, flags, out_flags);
  // A failed open may still have set methods: SQLite then calls xClose, which must reach it.
  if (!f->below->pMethods) return rc;
  const bool wal = (flags & SQLITE_OPEN_WAL) != 0;
  if (wal && rc == SQLITE_OK) {
    f->gathered = new (std::nothrow) std::vector<char>();
    if (f->gathered) f->gathered->reserve(kGatherBytes + 65536 + kFrameHeaderBytes);
  }
  f->base.pMethods = methods_for(f->below->pMethods, f->gathered != nullptr);
  return rc;
}

// The rest of the VFS is the one below's.
int vfs_delete(sqlite3_vfs* v, const char* name, int sync) { return below_vfs(v)->xDelete(below_vfs(v), name, sync); }
int vfs_access(sqlite3_vfs* v, const char* name, int flags, int* out) {
  return below_vfs(v)->xAccess(below_vfs(v), name, flags, out);
}
int vfs_full_path(sqlite3_vfs* v, const char* name, int n, char* out) {
  return below_vfs(v)->xFullPathname(below_vfs(v), name, n, out);
}
void* vfs_dl_open(sqlite3_vfs* v, const char* name) { return below_vfs(v)->xDlOpen(below_vfs(v), name); }
void vfs_dl_error(sqlite3_vfs* v, int n, char* out) { below_vfs(v)->xDlError(below_vfs(v), n, out); }
void (*vfs_dl_sym(sqlite3_vfs* v, void* h, const char* sym))(void) { return below_vfs(v)->xDlSym(below_vfs(v), h, sym); }
void vfs_dl_close(sqlite3_vfs* v, void* h) { below_vfs(v)->xDlClose(below_vfs(v), h); }
int vfs_randomness(sqlite3_vfs* v, int n, char* out) { return below_vfs(v)->xRandomness(below_vfs(v), n, out); }
int vfs_sleep(sqlite3_vfs* v, int us) { return below_vfs(v)->xSleep(below_vfs(v), us); }
int vfs_current_time(sqlite3_vfs* v, double* out) { return below_vfs(v)->xCurrentTime(below_vfs(v), out); }
int vfs_last_error(sqlite3_vfs* v, int n, char* out) {
  return below_vfs(v)->xGetLastError ? below_vfs(v)->xGetLastError(below_vfs(v), n, out) : 0;
}
int vfs_current_time_int64(sqlite3_vfs* v, sqlite3_int64* out) {
  return below_vfs(v)->xCurrentTimeInt64(below_vfs(v), out);
}

const char* register_vfs() {
  base_vfs = sqlite3_vfs_find(nullptr);
  if (!base_vfs || base_vfs->iVersion < 2 || !base_vfs->xCurrentTimeInt64) return nullptr;
  static sqlite3_vfs vfs{};
  vfs.iVersion = 2;
  vfs.szOsFile = static_cast<int>(sizeof(File)) + base_vfs->szOsFile;
  vfs.mxPathname = base_vfs->mxPathname;
  vfs.zName = "mutua-wal-gathering";
  vfs.pAppData = base_vfs;
  vfs.xOpen = open_file;
  vfs.xDelete = vfs_delete;
  vfs.xAccess = vfs_access;
  vfs.xFullPathname = vfs_full_path;
  vfs.xDlOpen = vfs_dl_open;
  vfs.xDlError = vfs_dl_error;
  vfs.xDlSym = vfs_dl_sym;
  vfs.xDlClose = vfs_dl_close;
  vfs.xRandomness = vfs_randomness;
  vfs.xSleep = vfs_sleep;
  vfs.xCurrentTime = vfs_current_time;
  vfs.xGetLastError = vfs_last_error;
  vfs.xCurrentTimeInt64 = vfs_current_time_int64;
  if (sqlite3_vfs_register(&vfs, 0) != SQLITE_OK) return nullptr;
  return vfs.zName;
}

}  // namespace

const char* wal_gathering_vfs() {
  static const char* name = register_vfs();
  return name;
}

long long wal_gathering_writes() { return system_writes.load(); }

}  // namespace mutua::store
