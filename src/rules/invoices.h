#pragma once
#include <string>
#include <vector>

#include "rules/file_rule.h"

namespace mutua::rules {

// Invoice-level consistency that needs no fund data: ascending destination mutuality
// (201812), unique individual invoice numbers (202420), credit notes all negative (201140),
// and zones that must repeat another record's zone (the xxxx12 codes, data/rules/zone-links.tsv).
class InvoiceRule : public FileRule {
 public:
  InvoiceRule();
  void record(const RecordView& rec, Findings& out) override;
  void end(Findings& out) override;

 private:
  struct Link {
    std::string code;
    const Zone* zone;
    RecordKind other_kind;
    const Zone* other;
  };
  std::vector<Link> links_[kRecordKindCount];
  std::string last_et10_, last_et20_, last_et50_;
  std::string last_destination_;
  struct Number {
    uint64_t value;
    uint64_t record;
    uint64_t position;
  };
  std::vector<Number> invoice_numbers_;
  bool credit_note_ = false;
  bool credit_reported_ = false;
  Finding credit_template_;
};

}  // namespace mutua::rules
