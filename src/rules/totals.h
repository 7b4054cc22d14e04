#pragma once
#include <map>
#include <set>
#include <string>

#include "rules/file_rule.h"

namespace mutua::rules {

// Totals and control numbers: ET 80 against its invoice's detail records (801910, 801510,
// 802710, 803010, 809802), ET 90 against the file (901910/11, 901510/11, 909802), ET 95 per
// destination mutuality and ET 96 for the file (project codes Z95xxx / Z96xxx).
// Source: FORMAT.md §1.4, §1.5.
class TotalsRule : public FileRule {
 public:
  void record(const RecordView& rec, Findings& out) override;
  void end(Findings& out) override;

 private:
  struct Sums {
    int64_t a = 0, b = 0, personal = 0, supplement = 0;
    uint64_t code_sum = 0;
  };
  Sums invoice_, detail_file_, trailer_file_;  // detail: from ET 30/40/50; trailer: from ET 80
  std::string mutuality_;
  bool in_invoice_ = false;
  std::map<std::string, Sums> by_mutuality_;
  std::set<std::string> mutualities_in_95_;
  std::string last_95_;
};

}  // namespace mutua::rules
