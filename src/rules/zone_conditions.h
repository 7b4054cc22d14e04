#pragma once
#include <string>
#include <vector>

#include "rules/file_rule.h"
#include "rules/period.h"

namespace mutua::rules {

// Zones a record must fill or leave empty according to another zone of the same record
// (data/rules/zone-conditions.tsv): the stay institution of a hospital invoice (201510 / 201511),
// the nursing aide or GMD manager a provider norm calls for (504911 / 504913 / 504915), the
// account B of ET 10 against its code indice, the hospital dates and times of ET 20 against the
// invoice type, the references to a previous invoice against the billing type; zones the
// official list retired (must be zeros) or introduced (must be filled) from a billing period.
class ZoneConditionRule : public FileRule {
 public:
  ZoneConditionRule();
  void begin(const FileContext& ctx, Findings& out) override;
  void record(const RecordView& rec, Findings& out) override;

 private:
  enum class Want { Required, Forbidden, Differs, Equals, NotBefore, OneOf, Pattern, Zeros, Digits, Date };
  enum class When { In, NotIn, Present, Absent, SameAs, NotSameAs, Any, Matches, DateFrom, DateBefore };

  struct Condition {
    std::string code;
    const Zone* zone;
    const Zone* when_zone;
    When when_is = When::In;
    std::vector<uint64_t> when;   // In / NotIn
    const Zone* when_other = nullptr;  // When::SameAs / NotSameAs: the zone compared with
    std::vector<std::string> when_patterns;  // When::Matches: '?' any digit
    uint64_t when_date = 0;                  // When::DateFrom / DateBefore: YYYYMMDD
    uint64_t when_date_end = 0;              // DateFrom: and before this day, if not 0
    Want want = Want::Required;
    const Zone* other = nullptr;  // Differs, Equals, NotBefore
    std::vector<uint64_t> allowed;  // OneOf
    std::vector<std::string> patterns;  // Pattern, When::Matches: '?' any digit
    PeriodLimit period;
    const Zone* and_zone = nullptr;  // a second condition: that zone holds one of and_values
    std::vector<std::string> and_values;
    bool and_not = false;      // zone=not:values: the second zone holds none of them
    bool and_pattern = false;  // zone=pattern:forms: the second zone has one of these forms
    size_t end = 0;            // the record must be this long to hold every zone named
  };
  static bool applies(const Condition& c, std::string_view when, std::string_view record);
  std::vector<Condition> conditions_[kRecordKindCount];
  // The conditions of each record kind whose period limit holds for the current envoi,
  // recomputed at each ET 10 (the period changes only there).
  std::vector<const Condition*> active_[kRecordKindCount];
  void activate();
  EnvoiPeriod period_;  // of the envoi's ET 10
  Finding invoice_finding_;     // 200140 at the current invoice's ET 20
  bool dates_reversed_ = false;  // the current invoice has an x0612
};

}  // namespace mutua::rules
