#pragma once
#include <string>

#include "rules/file_rule.h"

namespace mutua::rules {

// Flat-fee blocks: the statistical records of a flat fee (ET 50, norm 9) and the flat-fee record
// that follows them are one block, whose dates, patient, service and place must be the same in
// every record (500517, 500617, 500817, 501317, 501417). Each record is compared with the
// block's first; the one that differs carries the code.
class BlockRule : public FileRule {
 public:
  void record(const RecordView& rec, Findings& out) override;

 private:
  std::string first_;  // the block's first record, empty outside a block
};

}  // namespace mutua::rules
