#include "mutua/reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace mutua {

namespace {
constexpr size_t kSegment200 = 67;
}

Reader::~Reader() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::unique_ptr<Reader>> Reader::open(const std::string& path, ReaderOptions options) {
  std::unique_ptr<Reader> r(new Reader());
  r->name_ = path;
  r->fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (r->fd_ < 0)
    return fail({.code = "", .message = fmt::format("cannot open: {}", std::strerror(errno)), .file = path});
  struct stat st {};
  if (::fstat(r->fd_, &st) == 0) {
    if (S_ISDIR(st.st_mode)) return fail({.code = "", .message = "is a directory", .file = path});
    r->file_size_ = static_cast<uint64_t>(st.st_size);
  }
#ifdef POSIX_FADV_SEQUENTIAL
  ::posix_fadvise(r->fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  r->buf_.resize(std::max<size_t>(options.buffer_size, 4096));
  if (auto h = r->read_header(); !h) return fail(h.error());
  return r;
}

Result<std::unique_ptr<Reader>> Reader::from_string(std::string data, std::string name, ReaderOptions options) {
  std::unique_ptr<Reader> r(new Reader());
  r->memory_ = std::move(data);
  if (auto s = r->start_in_memory(r->memory_, std::move(name), options); !s) return fail(s.error());
  return r;
}

Result<std::unique_ptr<Reader>> Reader::from_view(std::string_view data, std::string name, ReaderOptions options) {
  std::unique_ptr<Reader> r(new Reader());
  if (auto s = r->start_in_memory(data, std::move(name), options); !s) return fail(s.error());
  return r;
}

Result<void> Reader::start_in_memory(std::string_view data, std::string name, ReaderOptions options) {
  name_ = std::move(name);
  file_size_ = data.size();
  view_ = data;
  // The whole input fits in a buffer of its own size: a short file (a response, a test case)
  // does not zero megabytes it will never use.
  buf_.resize(std::max<size_t>(std::min<size_t>(options.buffer_size, data.size() + 1), 4096));
  return read_header();
}

bool Reader::fill() {
  if (eof_) return false;
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    buffer_offset_ += begin_;
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buf_.size()) return true;  // full: caller asked for less than the buffer
  size_t want = buf_.size() - end_;
  size_t got = 0;
  if (fd_ >= 0) {
    ssize_t n;
    do {
      n = ::read(fd_, buf_.data() + end_, want);
    } while (n < 0 && errno == EINTR);
    got = n > 0 ? static_cast<size_t>(n) : 0;
  } else {
    got = std::min(want, view_.size() - memory_pos_);
    std::memcpy(buf_.data() + end_, view_.data() + memory_pos_, got);
    memory_pos_ += got;
  }
  if (got == 0) {
    eof_ = true;
    return false;
  }
  end_ += got;
  return true;
}

Error Reader::problem(std::string code, uint64_t offset, uint64_t record, std::string message) const {
  return Error{.code = std::move(code), .message = std::move(message), .file = name_, .record = record,
               .record_type = "", .zone = "", .position = offset + 1};
}

Result<void> Reader::read_header() {
  // Enough for the longest header (67 + 610) with separators.
  while (end_ - begin_ < 700 && fill()) {}
  std::string_view avail(buf_.data() + begin_, end_ - begin_);
  if (avail.empty()) return fail(problem("Z00001", 0, 0, "the file is empty"));
  if (avail.size() < 6) return fail(problem("Z00003", 0, 0, fmt::format("the file has only {} bytes", avail.size())));
  message_ = message_type_from_name(avail.substr(0, 6));
  if (message_ == MessageType::Unknown && avail.substr(0, 3) == "\xEF\xBB\xBF") {
    // A text editor's UTF-8 byte-order mark: the official file starts with its message name.
    auto e = problem("Z00002", 0, 0,
                     "the file starts with a UTF-8 byte-order mark (bytes EF BB BF) before its message name: save it "
                     "without one (a billing file is plain ASCII)");
    e.record_type = "200";
    e.zone = "200";
    return fail(e);
  }
  if (message_ == MessageType::Unknown) {
    std::string shown;
    for (char c : avail.substr(0, 6)) shown += (c >= 32 && c < 127) ? c : '?';
    auto e = problem("Z00002", 0, 0,
                     fmt::format("segment 200 zone 200 is '{}', not a known message (920000, 931000, 920999, "
                                 "920098, 920099, 920900)", shown));
    e.record_type = "200";
    e.zone = "200";
    return fail(e);
  }
  if (is_detailed_response(message_)) {
    seg300_len_ = 610;
    record_length_ = 800;
  }
  auto separator_at = [&](size_t pos) -> size_t {
    if (pos < avail.size() && avail[pos] == '\n') return 1;
    if (pos + 1 < avail.size() && avail[pos] == '\r' && avail[pos + 1] == '\n') return 2;
    return 0;
  };
  size_t pos = kSegment200;
  size_t sep_after_200 = separator_at(pos);
  pos += sep_after_200;
  seg300_offset_ = pos;
  pos += seg300_len_;
  if (avail.size() < pos)
    return fail(problem("Z00003", 0, 0,
                        fmt::format("the file ends inside its header ({} bytes, the header of a {} message has {})",
                                    avail.size(), message_type_name(message_), pos)));
  size_t sep_after_300 = separator_at(pos);
  size_t sep = sep_after_300 ? sep_after_300 : sep_after_200;
  framing_ = sep == 0 ? Framing::Flat : sep == 1 ? Framing::LF : Framing::CRLF;
  pos += sep_after_300;
  header_.assign(avail.substr(0, pos));
  begin_ += pos;
  return {};
}

bool Reader::next(RecordView& out, std::vector<Error>& problems) {
  const size_t len = record_length_;
  if (framing_ == Framing::Flat) {
    if (end_ - begin_ < len) {
      while (end_ - begin_ < len && fill()) {}
    }
    size_t avail = end_ - begin_;
    if (avail == 0) return false;
    uint64_t offset = buffer_offset_ + begin_;
    if (avail < len) {
      // A trailing newline after the last record is a common tool habit, not an error.
      std::string_view rest(buf_.data() + begin_, avail);
      if (rest == "\n" || rest == "\r\n") {
        begin_ = end_;
        return false;
      }
      problems.push_back(problem("Z00003", offset, record_number_ + 1,
                                 fmt::format("last record has {} bytes, a record has {}", avail, len)));
      begin_ = end_;
      return false;
    }
    out.bytes = std::string_view(buf_.data() + begin_, len);
    out.separator = {};
    out.offset = offset;
    out.number = ++record_number_;
    out.kind = record_kind_from_type(out.bytes.substr(0, 2));
    begin_ += len;
    return true;
  }

  // Line forms: a record per line. A line longer than a record is skipped to its end,
  // streaming, so a file without any newline never fills memory.
  for (;;) {
    if (begin_ == end_ && !fill()) return false;
    size_t limit = len + 2;
    const char* start = buf_.data() + begin_;
    size_t avail = end_ - begin_;
    const void* nl = std::memchr(start, '\n', std::min(avail, limit));
    if (!nl && avail < limit && !eof_) {
      fill();
      continue;
    }
    uint64_t offset = buffer_offset_ + begin_;
    if (!nl && avail < limit) {
      // Last line, no terminator.
      std::string_view line(start, avail);
      begin_ = end_;
      if (line.size() != len) {
        problems.push_back(problem(line.size() < len ? "Z00003" : "Z00004", offset, record_number_ + 1,
                                   fmt::format("last line has {} characters, a record has {}", line.size(), len)));
        ++record_number_;
        return false;
      }
      out.bytes = line;
      out.separator = {};
      out.offset = offset;
      out.number = ++record_number_;
      out.kind = record_kind_from_type(line.substr(0, 2));
      return true;
    }
    if (!nl) {
      // No newline within a record's length: skip to the next newline.
      uint64_t skipped = 0;
      for (;;) {
        const char* s = buf_.data() + begin_;
        const void* p = std::memchr(s, '\n', end_ - begin_);
        if (p) {
          size_t n = static_cast<const char*>(p) - s + 1;
          skipped += n;
          begin_ += n;
          break;
        }
        skipped += end_ - begin_;
        begin_ = end_;
        if (!fill()) break;
      }
      problems.push_back(problem("Z00004", offset, ++record_number_,
                                 fmt::format("line of {} bytes, a record has {} characters: skipped", skipped, len)));
      continue;
    }
    size_t line_len = static_cast<const char*>(nl) - start;
    size_t sep_len = 1;
    if (line_len > 0 && start[line_len - 1] == '\r') {
      --line_len;
      sep_len = 2;
    }
    std::string_view line(start, line_len);
    std::string_view separator(start + line_len, sep_len);
    begin_ += line_len + sep_len;
    if (line.empty() && eof_ && begin_ == end_) return false;  // trailing blank line
    if ((sep_len == 2) != (framing_ == Framing::CRLF) && !reported_mixed_) {
      reported_mixed_ = true;
      problems.push_back(problem("Z00007", offset + line_len, record_number_ + 1,
                                 fmt::format("line ends with {} while the file uses {}",
                                             sep_len == 2 ? "CRLF" : "LF", framing_name(framing_))));
    }
    if (line.size() != len) {
      problems.push_back(problem("Z00004", offset, ++record_number_,
                                 fmt::format("line of {} characters, a record has {}: skipped", line.size(), len)));
      continue;
    }
    out.bytes = line;
    out.separator = separator;
    out.offset = offset;
    out.number = ++record_number_;
    out.kind = record_kind_from_type(line.substr(0, 2));
    return true;
  }
}

}  // namespace mutua
