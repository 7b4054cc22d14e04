#pragma once
#include <string>

#include "rules/file_rule.h"

namespace mutua::rules {

// The envelope and the billed period: segment 200 message type (Z20002), segment 300 repeating
// ET 10 (Z30002, Z30003), version (100403), sending number not zero (100703), billed month
// (102303), billed month after the creation date (102311) or after today (102310), billing
// date in the future (204710); the first and last dates of detail records (ET 30 / 40 / 50
// zones 5 and 6) after today (xx0510 / xx0610) or more than a month after the billed month
// (xx0547 / xx0647). Dates are judged against FileContext::today.
class BillingPeriodRule : public FileRule {
 public:
  void begin(const FileContext& ctx, Findings& out) override;
  void record(const RecordView& rec, Findings& out) override;

 private:
  Finding header_finding(RecordKind segment, const char* zone, std::string code, std::string expected,
                         std::string message = {}) const;
  uint64_t billed_ = 0;  // YYYYMM of ET 10 zones 22-23, 0 when unreadable
};

}  // namespace mutua::rules
