#pragma once
#include <string>
#include <vector>

#include "rules/file_rule.h"

namespace mutua::rules {

// Flat-fee blocks: the statistical records of a flat fee (ET 50, norm 9) and the flat-fee record
// that follows them are one block, whose dates, patient, service and place must be the same in
// every record (500517, 500617, 500717, 500817, 500917, 501017, 501117, 501217, 501317,
// 501417). Each record is compared with the block's first; the one that differs carries the
// code. The flat fee's provider norm says who gave the care: 1 one nurse, so the statistical
// records name one provider (501614); 9 several, so one of them is another than the flat fee's
// (501615).
class BlockRule : public FileRule {
 public:
  void record(const RecordView& rec, Findings& out) override;

 private:
  std::string first_;  // the block's first record, empty outside a block
  std::vector<std::string> providers_;  // the distinct providers (zone 15) of its statistical records
};

}  // namespace mutua::rules
