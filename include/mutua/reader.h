// Streaming reader of eFact billing files and responses. It never builds the whole file in
// memory: records are views into a fixed buffer, valid until the next call to next().
// It reads the official flat form and the LF / CRLF line forms, and says which it saw.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mutua/error.h"
#include "mutua/record.h"

namespace mutua {

struct RecordView {
  RecordKind kind = RecordKind::Unknown;  // from the first two characters
  std::string_view bytes;                 // the record, without separator
  std::string_view separator;             // "", "\n" or "\r\n" as found after it
  uint64_t number = 0;                    // 1-based record number (ET 10 is record 1)
  uint64_t offset = 0;                    // 0-based byte offset of the record in the file
};

struct ReaderOptions {
  size_t buffer_size = 4u << 20;
};

class Reader {
 public:
  // Fails (with Z00001 / Z00002 / Z00003) only when the file cannot be read at all: no
  // header, unknown message. Everything after the header is reported record by record.
  static Result<std::unique_ptr<Reader>> open(const std::string& path, ReaderOptions options = {});
  static Result<std::unique_ptr<Reader>> from_string(std::string data, std::string name,
                                                     ReaderOptions options = {});
  // The same without a copy: `data` must outlive the reader.
  static Result<std::unique_ptr<Reader>> from_view(std::string_view data, std::string name,
                                                   ReaderOptions options = {});
  ~Reader();

  MessageType message_type() const { return message_; }
  Framing framing() const { return framing_; }
  const std::string& name() const { return name_; }
  std::string_view segment200() const { return std::string_view(header_).substr(0, 67); }
  std::string_view segment300() const { return std::string_view(header_).substr(seg300_offset_, seg300_len_); }
  // The header exactly as in the file, separators included.
  std::string_view header_bytes() const { return header_; }
  uint16_t record_length() const { return record_length_; }
  uint64_t bytes_consumed() const { return buffer_offset_ + begin_; }
  uint64_t file_size() const { return file_size_; }

  // Reads the next record into `out`. Problems (wrong length, truncation, mixed separators)
  // are appended to `problems` with their position; records that cannot be cut out are
  // skipped, the rest is still read. Returns false at the end of the file.
  bool next(RecordView& out, std::vector<Error>& problems);

 private:
  Reader() = default;
  Result<void> read_header();
  bool fill();  // reads more input; false at end of input
  Error problem(std::string code, uint64_t offset, uint64_t record, std::string message) const;

  std::string name_;
  int fd_ = -1;
  Result<void> start_in_memory(std::string_view data, std::string name, ReaderOptions options);
  std::string memory_;     // from_string input
  std::string_view view_;  // what is read in memory: memory_ or the caller's bytes
  size_t memory_pos_ = 0;
  std::vector<char> buf_;
  size_t begin_ = 0, end_ = 0;
  uint64_t buffer_offset_ = 0;  // file offset of buf_[0]
  uint64_t file_size_ = 0;
  bool eof_ = false;
  MessageType message_ = MessageType::Unknown;
  Framing framing_ = Framing::Flat;
  std::string header_;
  size_t seg300_offset_ = 67, seg300_len_ = 160;
  uint16_t record_length_ = 350;
  uint64_t record_number_ = 0;
  bool reported_mixed_ = false;
};

}  // namespace mutua
