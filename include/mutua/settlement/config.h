// The fund's payment configuration (a JSON file, docs/settlement.md): the account debited, the
// name the bank sees, the execution delay and the pain.001 version. Not secret, but not data
// of the repo either: each fund writes its own.
#pragma once
#include <string>
#include <string_view>

#include "mutua/error.h"

namespace mutua::settlement {

struct Config {
  std::string fund_number;          // the fund (union) paying, e.g. 300; recorded with each payment
  std::string fund_name;            // debtor name
  std::string fund_iban;            // debtor account
  std::string fund_bic;             // debtor agent
  std::string initiating_party;     // GrpHdr/InitgPty/Nm (default: fund_name)
  std::string initiating_id;        // optional organisation id (e.g. the BCE number)
  int execution_offset_days = 1;    // execution date = run date + this
  std::string pain_version = "001.001.09";  // or 001.001.03
};

// Reads and checks a configuration file (IBAN and BIC checked, version known).
Result<Config> load_config(const std::string& path);
Result<Config> parse_config(std::string_view json, const std::string& origin);

// "1234.56", "1234,5", "1234" (euros) to cents; no floating point anywhere.
Result<int64_t> parse_euros(std::string_view text);
// Cents to "1234.56" (negative with a leading '-').
std::string euros(int64_t cents);

}  // namespace mutua::settlement
