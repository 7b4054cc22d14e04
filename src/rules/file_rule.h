// A family of checks that needs nothing but the file: it sees every record once, in order,
// and may keep state (totals, order, invoice numbers) until the end of the file.
#pragma once
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mutua/layout.h"
#include "mutua/model/envoi.h"
#include "mutua/reader.h"
#include "mutua/finding.h"

namespace mutua::rules {

struct FileContext {
  std::string file;
  MessageType message = MessageType::Unknown;
  Framing framing = Framing::Flat;
  std::string segment200;
  std::string segment300;
  model::Date today = 0;
  const Layout* layout = &Layout::builtin();
};

class FileRule {
 public:
  virtual ~FileRule() = default;
  virtual void begin(const FileContext& ctx, Findings& out) { ctx_ = &ctx; (void)out; }
  virtual void record(const RecordView& rec, Findings& out) = 0;
  virtual void end(Findings& out) { (void)out; }

 protected:
  // A finding located at a zone of a record.
  Finding at(const RecordView& rec, const Zone& zone, std::string code, std::string expected = {},
             std::string message = {}) const;
  // A finding about a whole record.
  Finding at(const RecordView& rec, std::string code, std::string message = {}) const;
  const FileContext* ctx_ = nullptr;
};

// Every file-only rule family, in the order they run.
std::vector<std::unique_ptr<FileRule>> make_file_rules();

// Helpers shared by rule families. The small ones are inline: they run on every zone of every
// record, and a call per zone showed in profiles of parse + validation.
bool is_valid_date(std::string_view yyyymmdd);        // a real calendar date
bool official(std::string_view code);                 // listed in the catalog

namespace swar {
// Eight characters as one little-endian word, the first in the lowest byte.
inline uint64_t load8(const char* p) {
  uint64_t x;
  std::memcpy(&x, p, 8);
  return x;
}
// Whether each of eight bytes is a digit: a byte below '0' sets its high bit when '0' is taken
// away, one above '9' when 0x46 is added; the lowest such byte is seen whatever the borrows and
// carries it sends up (all bytes below it are digits and send none).
inline bool all_digits(uint64_t x) {
  return (((x - 0x3030303030303030ULL) | (x + 0x4646464646464646ULL)) & 0x8080808080808080ULL) == 0;
}
// The value of eight digits (all_digits), the first the most significant: pairs, then fours,
// then the eight, each step one multiply.
inline uint64_t eight_digits(uint64_t x) {
  x = ((x & 0x0F0F0F0F0F0F0F0FULL) * 2561) >> 8;
  x = ((x & 0x00FF00FF00FF00FFULL) * 6553601) >> 16;
  return ((x & 0x0000FFFF0000FFFFULL) * 42949672960001ULL) >> 32;
}
}  // namespace swar

// Value of the digits, ignoring others. Words of eight digits go at once (dates, amounts: the
// file checks read every numeric zone of every record); what is left, one by one.
inline uint64_t digits_value(std::string_view s) {
  uint64_t v = 0;
  size_t at = 0;
  for (; at + 8 <= s.size(); at += 8) {
    const uint64_t x = swar::load8(s.data() + at);
    if (!swar::all_digits(x)) break;
    v = v * 100000000ULL + swar::eight_digits(x);
  }
  for (; at < s.size(); ++at)
    if (const char c = s[at]; c >= '0' && c <= '9') v = v * 10 + static_cast<uint64_t>(c - '0');
  return v;
}

// "+0001234" -> 1234, "-..." -> negative.
inline int64_t signed_value(std::string_view s) {
  if (s.empty()) return 0;
  auto magnitude = static_cast<int64_t>(digits_value(s.substr(1)));
  return s[0] == '-' ? -magnitude : magnitude;
}

inline bool is_digits(std::string_view s) {
  size_t at = 0;
  for (; at + 8 <= s.size(); at += 8)
    if (!swar::all_digits(swar::load8(s.data() + at))) return false;
  for (; at < s.size(); ++at)
    if (s[at] < '0' || s[at] > '9') return false;
  return !s.empty();
}

// Only spaces and zeros (an absent value). Loops, not find_first_not_of with a set: that
// searches the set for every character.
inline bool blank_or_zero(std::string_view s) {
  for (char c : s)
    if (c != ' ' && c != '0') return false;
  return true;
}

// The same, a sign allowed (an absent amount).
inline bool blank_or_zero_signed(std::string_view s) {
  for (char c : s)
    if (c != ' ' && c != '0' && c != '+' && c != '-') return false;
  return true;
}

// One zone number in every record kind of the built-in layout, looked up once: for rules that
// read the same zones of every record (a layout search per record showed in profiles).
class ZoneOfEachKind {
 public:
  explicit ZoneOfEachKind(std::string_view id);
  // The zone in that kind; the kind must have it (a broken build otherwise).
  const Zone& operator[](RecordKind kind) const { return *zones_[static_cast<int>(kind)]; }

 private:
  const Zone* zones_[kRecordKindCount];
};

}  // namespace mutua::rules
