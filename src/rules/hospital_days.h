#pragma once
#include <string>

#include "rules/file_rule.h"

namespace mutua::rules {

// Hospital days and flat fees (ET 30) against their invoice's stay (ET 20 zones 5, 6, 10). The
// norm of days (zone 3) says which end of the stay a record bills: 1 or 2 the admission, so its
// first day is the admission day or the next (300310), and no other record starts on the
// admission day (300311); 2 or 9 the discharge, so its last day is the discharge day or the one
// before (300312), and no other record ends on it (300313). A norm belongs to hospital invoices
// only (300314: invoice type 1). The number of days and the indicative amount carry the sign of
// the insurance amount (302212, 302412).
class HospitalDayRule : public FileRule {
 public:
  void record(const RecordView& rec, Findings& out) override;

 private:
  std::string et20_;  // the current invoice's header
};

}  // namespace mutua::rules
