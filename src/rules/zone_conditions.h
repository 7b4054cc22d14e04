#pragma once
#include <string>
#include <vector>

#include "rules/file_rule.h"

namespace mutua::rules {

// Zones a record must fill or leave empty according to another zone of the same record
// (data/rules/zone-conditions.tsv): the stay institution of a hospital invoice (201510 / 201511),
// the nursing aide or GMD manager a provider norm calls for (504911 / 504913 / 504915), the
// account B of ET 10 against its code indice, the hospital dates and times of ET 20 against the
// invoice type, the references to a previous invoice against the billing type.
class ZoneConditionRule : public FileRule {
 public:
  ZoneConditionRule();
  void record(const RecordView& rec, Findings& out) override;

 private:
  enum class Want { Required, Forbidden, Differs, NotBefore, OneOf, Pattern };
  enum class When { In, NotIn, Present, Absent, SameAs, NotSameAs };
  struct Condition {
    std::string code;
    const Zone* zone;
    const Zone* when_zone;
    When when_is = When::In;
    std::vector<uint64_t> when;   // In / NotIn
    const Zone* when_other = nullptr;  // When::SameAs / NotSameAs: the zone compared with
    Want want = Want::Required;
    const Zone* other = nullptr;  // Differs, NotBefore
    std::vector<uint64_t> allowed;  // OneOf
    std::vector<std::string> patterns;  // Pattern: '?' any digit
  };
  static bool applies(const Condition& c, std::string_view when, std::string_view record);
  std::vector<Condition> conditions_[kRecordKindCount];
};

}  // namespace mutua::rules
