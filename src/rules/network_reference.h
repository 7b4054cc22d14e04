#pragma once

#include "rules/file_rule.h"

namespace mutua::rules {

// The network (MyCareNet) reference of ET 20 and ET 51 zones 42-45: part A (zone 45, the last
// byte) is 0, 1 or 2 (204533) and 2 in an ET 51 (514533), a digit in any case (204209 / 514201); the insurability period, the date the
// information was communicated and the maximum-billing counters (ET 20 zones 53-58, ET 51 zone
// 55) come only with a network reference (205311-205811, 515511); an ET 51's communication is
// at most two months after its service (515525). A part A given first (the zone starting with
// 2), as some writers did, is read as a network reference too, and so is a number alone,
// left-aligned and space-padded (FORMAT.md calls ET 51's zone the commitment number, type A):
// the parts' widths are in no source.
class NetworkReferenceRule : public FileRule {
 public:
  void record(const RecordView& rec, Findings& out) override;
};

}  // namespace mutua::rules
