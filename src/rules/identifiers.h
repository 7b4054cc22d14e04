#pragma once
#include <vector>

#include "rules/file_rule.h"

namespace mutua::rules {

// Check digits of the identifiers the file carries (NISS, INAMI, IBAN, BCE, nomenclature)
// and of every record (zone 99). Codes xxzz02 (and xxzz05 for a malformed IBAN).
class IdentifierRule : public FileRule {
 public:
  IdentifierRule();
  void record(const RecordView& rec, Findings& out) override;

  enum class Id : uint8_t { Niss, Inami, Iban, Bce, Nomenclature };
  struct Check {
    const Zone* zone;
    Id id;
    std::string bad_digits;  // xxzz02
    std::string malformed;   // xxzz05 (IBAN) or xxzz03
  };
  // Every identifier zone this rule checks, per record kind (tests break each one).
  const std::vector<Check>& checks(RecordKind kind) const { return checks_[static_cast<int>(kind)]; }

 private:
  std::vector<Check> checks_[kRecordKindCount];
  std::string check_digit_code_[kRecordKindCount];  // xx9902
};

}  // namespace mutua::rules
