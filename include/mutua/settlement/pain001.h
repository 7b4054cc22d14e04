// ISO 20022 pain.001 (customer credit transfer initiation) for the bank: one payment
// information block debiting the fund's account, one transaction per transfer of a run.
// Version 001.001.09 (current SEPA rulebook) or 001.001.03. Text restricted to the SEPA
// character set (accents dropped, anything else becomes a space).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mutua/model/ledger.h"
#include "mutua/settlement/config.h"

namespace mutua::settlement {

struct CreditTransfer {
  std::string end_to_end;    // the bank-statement reference, 0YYYY2nnnnnnn
  int64_t cents = 0;         // > 0
  std::string creditor;      // provider name
  std::string iban, bic;     // bic may be empty (SEPA: optional inside the EEA)
  std::string remittance;    // unstructured, at most 140 characters
};

// Latin letters without accents, digits and / - ? : ( ) . , ' + space; at most `max` characters.
std::string sepa_text(std::string_view utf8, size_t max);

std::string write_pain001(const Config& config, const model::PaymentRun& run, const std::vector<CreditTransfer>& transfers);

}  // namespace mutua::settlement
