// CODA, the Belgian banks' statement format (Febelfin "Coded statement of account", version 2):
// records of 128 characters; 0 header, 1 old balance, 2.1 / 2.2 / 2.3 a movement (amount,
// dates, communication, counterparty), 3.x information, 4 free text, 8 new balance, 9 trailer.
// Read to reconcile the fund's payments with what the provider billed; written to give the
// statement a provider's bank would send for a payment run's credits (tests and demos).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mutua/error.h"

namespace mutua::format {

struct CodaMove {
  uint64_t line = 0;               // 1-based line of its 2.1 record
  std::string sequence;            // positions 3-6, then 7-10 (detail)
  std::string bank_reference;      // 2.1 positions 11-31
  int64_t cents = 0;               // credit > 0, debit < 0
  int value_date = 0, entry_date = 0;  // YYYYMMDD
  std::string transaction_code;    // 8 digits; its first is the type (0-3 a movement, 5-8 a detail)
  bool globalised = false;         // a total whose details follow (position 125 > 0)
  std::string structured_type;     // "101" (Belgian structured communication) ...; empty when free
  std::string communication;       // free text of 2.1 + 2.2 + 2.3, or the structured one's digits
  std::string customer_reference;  // 2.2 positions 64-98: the payer's end-to-end reference
  std::string counterparty_bic;    // 2.2 positions 99-109
  std::string counterparty_account, counterparty_name;  // 2.3
};

struct CodaStatement {
  int creation_date = 0;           // YYYYMMDD
  std::string bank_id;             // header positions 12-14
  std::string account;             // the account the statement is of (IBAN for structures 2 and 3)
  std::string currency = "EUR";
  std::string holder;              // account holder's name
  int number = 0;                  // statement (paper) number, 1-999
  int64_t old_balance_cents = 0, new_balance_cents = 0;
  std::vector<CodaMove> moves;
};

struct CodaFile {
  std::vector<CodaStatement> statements;
  std::vector<Error> problems;     // records that could not be read (file, line, position), code Z00234
};

// A file's first record is a CODA header (version 2).
bool looks_like_coda(std::string_view text);

// Every statement of the file; a record that cannot be read is said with its line and position
// and skipped, the rest kept; totals that do not add up (trailer, balances) are said too.
// Text is windows-1252 (as the banks write it) and comes out UTF-8.
CodaFile read_coda(std::string_view text, const std::string& file_name);

// One statement of an IBAN account (structure 2), credits and debits as free communications,
// balances and trailer made to add up.
std::string write_coda(const CodaStatement& statement);

}  // namespace mutua::format
