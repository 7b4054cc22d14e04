#pragma once

#include "rules/file_rule.h"

namespace mutua::rules {

// The network (MyCareNet) reference of ET 20 and ET 51 zones 42-45, as the CIN's own files write
// it (mutua/network_reference.h): parts N, V and A (zones 43-45) are digits (204209 / 514201);
// part A, the first position of zone 45, is 0, 1 or 2 (204533) and 2 in an ET 51 (514533), whose
// parts N and V are zeros (514332); the insurability period, the date the information was
// communicated and the maximum-billing counters (ET 20 zones 53-58, ET 51 zone 55) come only
// with a network reference (205311-205811, 515511); an ET 51's communication is at most two
// months after its service (515525).
class NetworkReferenceRule : public FileRule {
 public:
  void record(const RecordView& rec, Findings& out) override;
};

}  // namespace mutua::rules
