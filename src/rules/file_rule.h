// A family of checks that needs nothing but the file: it sees every record once, in order,
// and may keep state (totals, order, invoice numbers) until the end of the file.
#pragma once
#include <memory>
#include <string>
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

// Value of the digits, ignoring others.
inline uint64_t digits_value(std::string_view s) {
  uint64_t v = 0;
  for (char c : s)
    if (c >= '0' && c <= '9') v = v * 10 + static_cast<uint64_t>(c - '0');
  return v;
}

// "+0001234" -> 1234, "-..." -> negative.
inline int64_t signed_value(std::string_view s) {
  if (s.empty()) return 0;
  auto magnitude = static_cast<int64_t>(digits_value(s.substr(1)));
  return s[0] == '-' ? -magnitude : magnitude;
}

inline bool is_digits(std::string_view s) {
  for (char c : s)
    if (c < '0' || c > '9') return false;
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
