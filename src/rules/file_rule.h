// A family of checks that needs nothing but the file: it sees every record once, in order,
// and may keep state (totals, order, invoice numbers) until the end of the file.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "mutua/layout.h"
#include "mutua/model/envoi.h"
#include "mutua/reader.h"
#include "rules/finding.h"

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

// Helpers shared by rule families.
uint64_t digits_value(std::string_view s);            // value of the digits, ignoring others
int64_t signed_value(std::string_view s);             // "+0001234" -> 1234, "-..." -> negative
bool is_digits(std::string_view s);
bool is_valid_date(std::string_view yyyymmdd);        // a real calendar date
bool official(std::string_view code);                 // listed in the catalog
bool blank_or_zero(std::string_view s);               // only spaces and zeros (an absent value)
bool blank_or_zero_signed(std::string_view s);        // the same, a sign allowed (an absent amount)

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
