#pragma once
#include <string>
#include <vector>

#include "rules/file_rule.h"

namespace mutua::rules {

// Zones a record must fill or leave empty according to another zone of the same record
// (data/rules/zone-conditions.tsv): the stay institution of a hospital invoice (201510 / 201511),
// the nursing aide or GMD manager a provider norm calls for (504911 / 504913 / 504915).
class ZoneConditionRule : public FileRule {
 public:
  ZoneConditionRule();
  void record(const RecordView& rec, Findings& out) override;

 private:
  enum class Want { Required, Forbidden, Differs };
  struct Condition {
    std::string code;
    const Zone* zone;
    const Zone* when_zone;
    std::vector<uint64_t> when;
    Want want;
    const Zone* other = nullptr;  // Differs
  };
  std::vector<Condition> conditions_[kRecordKindCount];
};

}  // namespace mutua::rules
