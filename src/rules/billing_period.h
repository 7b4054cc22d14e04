#pragma once
#include <string>

#include "rules/file_rule.h"

namespace mutua::rules {

// The envelope and the billed period: segment 200 message type (Z20002), segment 300 repeating
// ET 10 (Z30002, Z30003), version (100403), sending number not zero (100703), billed month
// (102303), billed month after the creation date (102311) or after today (102310), billing
// date in the future (204710). Dates are judged against FileContext::today.
class BillingPeriodRule : public FileRule {
 public:
  void begin(const FileContext& ctx, Findings& out) override;
  void record(const RecordView& rec, Findings& out) override;

 private:
  Finding header_finding(RecordKind segment, const char* zone, std::string code, std::string expected,
                         std::string message = {}) const;
};

}  // namespace mutua::rules
