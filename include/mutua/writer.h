// Writing billing files and responses: a buffered file writer, and a record builder that
// fills zones by the layout table (padding, signs) and computes the record check digits.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "mutua/error.h"
#include "mutua/layout.h"
#include "mutua/reader.h"

namespace mutua {

// Writes `bytes` to the file at `path` (created, or emptied first) in one go, for contents already
// whole in memory (responses, JSON). Large ones bypass the page cache.
Result<void> write_whole_file(const std::string& path, std::string_view bytes);
// The same into `path` + ".part", synced, then renamed to `path`: a reader never sees half a file,
// and a write error (a full disk) is an error, with nothing left at `path`.
Result<void> write_file_atomically(const std::string& path, std::string_view bytes);

class FileWriter {
 public:
  static Result<FileWriter> create(const std::string& path);
  // Appends to `sink` instead of a file (a billing file made to be judged, sent or stored).
  static FileWriter to_memory(std::string* sink);
  FileWriter(FileWriter&& other) noexcept;
  FileWriter& operator=(FileWriter&&) = delete;
  ~FileWriter();

  void write(std::string_view bytes);
  uint64_t bytes_written() const { return written_; }
  // Flushes and closes; reports a write error (disk full) with the file name.
  Result<void> close();

 private:
  FileWriter() = default;
  std::string path_;
  FILE* file_ = nullptr;
  std::string* sink_ = nullptr;
  uint64_t written_ = 0;
  bool failed_ = false;
};

// Copies a parsed file back out: header, then every record with the separator it had.
// parse -> write gives back the same bytes. Returns problems the reader met.
Result<std::vector<Error>> copy_file(Reader& reader, FileWriter& out);

class RecordBuilder {
 public:
  // A record of `kind`, 350 characters (800 with the response block when `with_response`),
  // every zone at its empty value: zeros for N/D/Z, spaces for A/X, "+0..." for S, '+' for G.
  explicit RecordBuilder(RecordKind kind, bool with_response = false, const Layout& layout = Layout::builtin());

  RecordBuilder& text(const Zone& zone, std::string_view value);  // left-aligned, space-padded
  RecordBuilder& text(std::string_view zone, std::string_view value);
  RecordBuilder& number(const Zone& zone, uint64_t value);        // right-aligned, zero-padded
  RecordBuilder& number(std::string_view zone, uint64_t value);
  RecordBuilder& digits(const Zone& zone, std::string_view value); // right-aligned, zero-padded
  RecordBuilder& digits(std::string_view zone, std::string_view value);
  RecordBuilder& amount(const Zone& zone, int64_t value);          // S zone: sign + digits
  RecordBuilder& amount(std::string_view zone, int64_t value);
  // Writes raw bytes at the zone without padding rules (for tests that break a zone).
  RecordBuilder& raw(std::string_view zone, std::string_view value);

  // Sets zone 2 (sequence) and zone 99 (check digits) for ET 10..90, and returns the record.
  const std::string& finish(uint32_t sequence);
  // Returns the record as is (ET 95 / 96 / 91 / 92, segments).
  const std::string& bytes() const { return bytes_; }
  std::string& mutable_bytes() { return bytes_; }
  RecordKind kind() const { return kind_; }

 private:
  const Zone& zone(std::string_view id) const;
  const Layout& layout_;
  RecordKind kind_;
  bool with_response_;
  std::string bytes_;
};

// Copies received bytes into a record being written. A control byte (LF, CR, NUL...) would
// split the record when its file is read back, so each becomes '?': a response echoes what it
// received, never something its reader cannot frame.
void echo_bytes(char* dst, std::string_view src);
std::string echoed(std::string_view src);

// Writes `value` into `record` at `zone` with the zone's padding rule.
void put_zone(std::string& record, const Zone& zone, std::string_view value);
// Recomputes zone 99 of an ET 10..90 record in place.
void seal_record(std::string& record);

}  // namespace mutua
