#pragma once
#include "rules/file_rule.h"

namespace mutua::rules {

class StructureRule : public FileRule {
 public:
  void begin(const FileContext& ctx, Findings& out) override;
  void record(const RecordView& rec, Findings& out) override;
  void end(Findings& out) override;

 private:
  RecordKind prev_ = RecordKind::Unknown;
  uint64_t expected_seq_ = 0, alternative_seq_ = 0;
  bool break_seq_ = false;
  uint64_t last_number_ = 0;
  bool seen_et10_ = false, after_et90_ = false, seen_total_ = false;
};

}  // namespace mutua::rules
