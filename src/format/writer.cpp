#include "mutua/writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "format/reuse_pool.h"
#include "mutua/check_digits.h"

namespace mutua {

// Large contents (a 100k-line envoi's response is 120 MB) go past the page cache (O_DIRECT,
// through an aligned buffer): filling fresh cache pages with the ten responses of a batch cost
// 4-5 s of CPU, more than building them. The tail that is not a whole block, and file systems
// that refuse O_DIRECT (tmpfs), take the ordinary way.
Result<void> write_whole_file(const std::string& path, std::string_view bytes) {
  constexpr size_t kBlock = 4096, kChunk = size_t{8} << 20;
  auto failed = [&](const char* what) {
    return fail({.code = "", .message = fmt::format("cannot {}: {}", what, std::strerror(errno)), .file = path});
  };
  size_t done = 0;
  int fd = -1;
  if (bytes.size() >= kChunk) fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_DIRECT, 0644);
  if (fd >= 0) {
    // The aligned buffer kept for the next file: made fresh, its 8 MB were faulted in anew for
    // each response written.
    struct Aligned {
      std::unique_ptr<char, decltype(&std::free)> bytes{static_cast<char*>(std::aligned_alloc(kBlock, kChunk)), &std::free};
    };
    static ReusePool<Aligned> buffers(4);
    ReusePool<Aligned>::Lease staging(buffers, [] { return std::make_unique<Aligned>(); });
    const auto& buffer = staging->bytes;
    const size_t whole = bytes.size() / kBlock * kBlock;
    while (buffer && done < whole) {
      const size_t n = std::min(kChunk, whole - done);
      std::memcpy(buffer.get(), bytes.data() + done, n);
      const ssize_t w = ::write(fd, buffer.get(), n);
      if (w <= 0) break;  // refused (EINVAL...): the rest the ordinary way
      done += static_cast<size_t>(w);
      if (static_cast<size_t>(w) % kBlock != 0) break;
    }
    if (::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_DIRECT) != 0) {
      auto e = failed("write");
      ::close(fd);
      return e;
    }
  } else {
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return failed("create");
  }
  while (done < bytes.size()) {
    const ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      auto e = failed("write");
      ::close(fd);
      return e;
    }
    done += static_cast<size_t>(w);
  }
  // On the disk before anyone relies on it (a payment file, a response the store points to).
  if (::fsync(fd) != 0) {
    auto e = failed("sync");
    ::close(fd);
    return e;
  }
  if (::close(fd) != 0) return failed("write");
  return {};
}

Result<void> write_file_atomically(const std::string& path, std::string_view bytes) {
  const std::string tmp = path + ".part";
  if (auto w = write_whole_file(tmp, bytes); !w) {
    ::unlink(tmp.c_str());
    return w;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    auto e = fail(Error{.code = "", .message = fmt::format("cannot rename into place: {}", std::strerror(errno)), .file = path});
    ::unlink(tmp.c_str());
    return e;
  }
  // The rename itself made durable: sync the directory that holds the name.
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  const int d = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d >= 0) {
    ::fsync(d);
    ::close(d);
  }
  return {};
}

Result<FileWriter> FileWriter::create(const std::string& path) {
  FileWriter w;
  w.path_ = path;
  w.file_ = std::fopen(path.c_str(), "wb");
  if (!w.file_)
    return fail({.code = "", .message = fmt::format("cannot create: {}", std::strerror(errno)), .file = path});
  std::setvbuf(w.file_, nullptr, _IOFBF, 1 << 20);
  return w;
}

FileWriter FileWriter::to_memory(std::string* sink) {
  FileWriter w;
  w.path_ = "memory";
  w.sink_ = sink;
  return w;
}

FileWriter::FileWriter(FileWriter&& o) noexcept
    : path_(std::move(o.path_)), file_(o.file_), sink_(o.sink_), written_(o.written_), failed_(o.failed_) {
  o.file_ = nullptr;
  o.sink_ = nullptr;
}

FileWriter::~FileWriter() {
  if (file_) std::fclose(file_);
}

void FileWriter::write(std::string_view bytes) {
  if (sink_) {
    sink_->append(bytes);
    written_ += bytes.size();
    return;
  }
  if (!file_ || bytes.empty()) return;
  if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) failed_ = true;
  written_ += bytes.size();
}

Result<void> FileWriter::close() {
  if (!file_) return {};
  bool ok = std::fflush(file_) == 0 && !failed_;
  int err = errno;
  ok = (std::fclose(file_) == 0) && ok;
  file_ = nullptr;
  if (!ok) return fail({.code = "", .message = fmt::format("write failed: {}", std::strerror(err)), .file = path_});
  return {};
}

Result<std::vector<Error>> copy_file(Reader& reader, FileWriter& out) {
  std::vector<Error> problems;
  out.write(reader.header_bytes());
  RecordView rec;
  while (reader.next(rec, problems)) {
    out.write(rec.bytes);
    out.write(rec.separator);
  }
  return problems;
}

namespace {

char empty_char(ZoneType t) {
  switch (t) {
    case ZoneType::Numeric:
    case ZoneType::Date:
    case ZoneType::DateOrSigned:
    case ZoneType::ReservedZero:
    case ZoneType::Signed: return '0';
    case ZoneType::SignChar: return '+';
    default: return ' ';
  }
}

}  // namespace

void echo_bytes(char* dst, std::string_view src) {
  // Copied whole, then checked eight bytes at a time (154k records of 350 bytes a response):
  // only a word holding a control byte is looked at byte by byte.
  std::memcpy(dst, src.data(), src.size());
  constexpr uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  auto fix = [dst](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      const auto c = static_cast<unsigned char>(dst[i]);
      if (c < 0x20 || c == 0x7F) dst[i] = '?';
    }
  };
  size_t i = 0;
  for (; i + 8 <= src.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, dst + i, 8);
    // A byte below 0x20 (Bit Twiddling Hacks' hasless), or equal to 0x7F (haszero of w ^ 0x7F..).
    const uint64_t below = (w - kOnes * 0x20) & ~w & kHigh;
    const uint64_t del = w ^ (kOnes * 0x7F);
    const uint64_t is_del = (del - kOnes) & ~del & kHigh;
    if (below | is_del) fix(i, i + 8);
  }
  fix(i, src.size());
}

std::string echoed(std::string_view src) {
  std::string out(src.size(), ' ');
  echo_bytes(out.data(), src);
  return out;
}

void put_zone(std::string& record, const Zone& z, std::string_view value) {
  char* dst = record.data() + z.pos - 1;
  if (value.size() > z.len) value = z.type == ZoneType::Alpha || z.type == ZoneType::ReservedFree
                                        ? value.substr(0, z.len)
                                        : value.substr(value.size() - z.len);
  if (z.type == ZoneType::Alpha || z.type == ZoneType::ReservedFree) {
    echo_bytes(dst, value);
    std::memset(dst + value.size(), ' ', z.len - value.size());
  } else {
    std::memset(dst, '0', z.len - value.size());
    std::memcpy(dst + z.len - value.size(), value.data(), value.size());
  }
}

void seal_record(std::string& record) {
  int cd = check::record_check_digits(std::string_view(record).substr(0, 348));
  record[348] = static_cast<char>('0' + cd / 10);
  record[349] = static_cast<char>('0' + cd % 10);
}

namespace {

// The empty record of a kind: every zone at its empty value. Built once per kind.
std::string empty_record(RecordKind kind, bool with_response, const Layout& layout) {
  size_t len = layout.length(kind);
  if (with_response) len = layout.length(RecordKind::ResponseBlock);
  std::string bytes(len, ' ');
  auto init = [&](std::span<const Zone> zones) {
    for (const auto& z : zones) {
      std::memset(bytes.data() + z.pos - 1, empty_char(z.type), z.len);
      if (z.type == ZoneType::Signed) bytes[z.pos - 1] = '+';
    }
  };
  init(layout.zones(kind));
  if (with_response) init(layout.zones(RecordKind::ResponseBlock));
  auto type = record_kind_name(kind);
  if (type.size() == 2 && type[0] >= '0' && type[0] <= '9') bytes.replace(0, 2, type);
  if (with_response) {
    // No rejection: letters blank, codes 000000.
    for (const char* id : {"111b", "112b", "113b"}) put_zone(bytes, layout.at(RecordKind::ResponseBlock, id), "000000");
  }
  return bytes;
}

}  // namespace

RecordBuilder::RecordBuilder(RecordKind kind, bool with_response, const Layout& layout)
    : layout_(layout), kind_(kind), with_response_(with_response) {
  if (&layout != &Layout::builtin()) {
    bytes_ = empty_record(kind, with_response, layout);
    return;
  }
  // Records are built by the million: copy a template instead of walking the zones.
  static const auto templates = [] {
    std::array<std::array<std::string, 2>, kRecordKindCount> t;
    for (int k = 0; k < kRecordKindCount; ++k)
      for (int r = 0; r < 2; ++r) t[k][r] = empty_record(static_cast<RecordKind>(k), r == 1, Layout::builtin());
    return t;
  }();
  bytes_ = templates[static_cast<int>(kind)][with_response ? 1 : 0];
}

const Zone& RecordBuilder::zone(std::string_view id) const {
  if (const Zone* z = layout_.find(kind_, id)) return *z;
  return layout_.at(RecordKind::ResponseBlock, id);
}

RecordBuilder& RecordBuilder::text(const Zone& z, std::string_view v) {
  std::string_view value = v.substr(0, std::min<size_t>(v.size(), z.len));
  echo_bytes(bytes_.data() + z.pos - 1, value);
  std::memset(bytes_.data() + z.pos - 1 + value.size(), ' ', z.len - value.size());
  return *this;
}
RecordBuilder& RecordBuilder::text(std::string_view id, std::string_view v) { return text(zone(id), v); }

RecordBuilder& RecordBuilder::number(const Zone& z, uint64_t value) {
  char* dst = bytes_.data() + z.pos - 1;
  for (int i = z.len - 1; i >= 0; --i) {
    dst[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return *this;
}
RecordBuilder& RecordBuilder::number(std::string_view id, uint64_t v) { return number(zone(id), v); }

RecordBuilder& RecordBuilder::digits(const Zone& z, std::string_view v) {
  put_zone(bytes_, z, v);
  return *this;
}
RecordBuilder& RecordBuilder::digits(std::string_view id, std::string_view v) { return digits(zone(id), v); }

RecordBuilder& RecordBuilder::amount(const Zone& z, int64_t value) {
  char* dst = bytes_.data() + z.pos - 1;
  dst[0] = value < 0 ? '-' : '+';
  uint64_t magnitude = value < 0 ? static_cast<uint64_t>(-value) : static_cast<uint64_t>(value);
  for (int i = z.len - 1; i >= 1; --i) {
    dst[i] = static_cast<char>('0' + magnitude % 10);
    magnitude /= 10;
  }
  return *this;
}
RecordBuilder& RecordBuilder::amount(std::string_view id, int64_t v) { return amount(zone(id), v); }

RecordBuilder& RecordBuilder::raw(std::string_view id, std::string_view v) {
  const Zone& z = zone(id);
  std::memcpy(bytes_.data() + z.pos - 1, v.data(), std::min<size_t>(v.size(), z.len));
  return *this;
}

const std::string& RecordBuilder::finish(uint32_t sequence) {
  if (const Zone* seq = layout_.find(kind_, "2"); seq && kind_ >= RecordKind::Et10 && kind_ <= RecordKind::Et90) {
    number(*seq, sequence);
    seal_record(bytes_);
  }
  return bytes_;
}

}  // namespace mutua
