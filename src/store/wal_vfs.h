// An SQLite VFS over the system's default one that writes a WAL's frames in large pieces.
//
// SQLite writes each WAL frame as two calls, its 24-byte header then its page: a 100k-line envoi's
// commit is 16k frames, 32k `pwrite` calls, and a system call costs several microseconds on the
// virtual machines mutua is measured on (docs/performance.md, session 41). This VFS gathers a WAL
// file's consecutive writes in a buffer and hands them to the file in a few calls when a
// transaction commits (the frame whose header carries the database's size: the WAL format's
// commit frame) and before anything else touches the file (a read, a sync, its size, a truncation,
// a write elsewhere, its closing). The writes reach the file in the order SQLite made them, and
// when the writer publishes a commit in the shared index, which is after it has written the
// commit frame, every frame is in the file as before: other connections and processes read the
// same bytes. The database file and every other file pass straight through.
#pragma once

namespace mutua::store {

// The VFS's name, registered (not as the default) on first use; null if it could not be.
const char* wal_gathering_vfs();

// How many times this process's WAL files were written to by the system (tests: a commit of many
// frames takes a few calls, not two a frame).
long long wal_gathering_writes();

}  // namespace mutua::store
