#pragma once
#include <array>
#include <vector>

#include "rules/file_rule.h"

namespace mutua::rules {

// Zone content by zone type: numeric (xxzz01), signed amounts (xxzz05 / xxzz06 / xxzz01),
// dates (xxzz01), reserved zones (xxzz01 "content different from zero"), leading zeros
// (xxzz04). The codes come from the record type and zone number; the type from the layout.
class ZoneFormatRule : public FileRule {
 public:
  ZoneFormatRule();
  void record(const RecordView& rec, Findings& out) override;

  struct Check {
    const Zone* zone;
    std::string not_numeric;  // xxzz01 (or the project fallback)
    std::string bad_sign;     // xxzz05
    std::string inner_sign;   // xxzz06
    std::string leading;      // xxzz04
    int leading_zeros = 0;    // how many leading characters must be '0'
  };
  // Every zone this rule checks, per record kind (tests break each one).
  const std::vector<Check>& checks(RecordKind kind) const { return checks_[static_cast<int>(kind)]; }

 private:
  std::array<std::vector<Check>, kRecordKindCount> checks_;
  // Per kind, the class of each byte the checks want (check::ByteClass), and the checks that a
  // record passing that one scan still needs: leading zeros and calendar dates.
  std::array<std::string, kRecordKindCount> classes_;
  std::array<std::vector<const Check*>, kRecordKindCount> after_scan_;
  // Zones a real writer may leave all spaces (type "N?" in the layout): outside the template.
  std::array<std::vector<const Check*>, kRecordKindCount> blank_ok_;
  void check_zone(const Check& c, const RecordView& rec, Findings& out) const;
};

}  // namespace mutua::rules
