// Checks a pain.001 payment file as a bank would before accepting it: well formed (xmllint),
// group header equal to its transactions, every IBAN and BIC valid, amounts with two decimals,
// SEPA characters only. Failures are reported as gtest failures.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace mutua::testing {

struct PainTransaction {
  std::string end_to_end_id, iban;
  int64_t cents = 0;
};

// The file's transactions, in order.
std::vector<PainTransaction> check_pain001(const std::string& file, const std::string& version = "001.001.09");

}  // namespace mutua::testing
