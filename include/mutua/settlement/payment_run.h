// Payment runs (DOMAIN.md "The billing loop" 5 and "Decisions: Payments"): the accepted envois
// whose turn has come are paid in strict order of receipt within the run's budget; an envoi
// that does not fit waits, and so do all after it. One payment per envoi and account (A, B),
// set off against the provider's regularisations on that account; a transfer with a reference
// YYYY/2/nnnnnnn whenever something is paid (sequence per payment year of the fund running
// the store: a reference carries no fund number, so two alike would be ambiguous).
#pragma once
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "mutua/error.h"
#include "mutua/model/ledger.h"
#include "mutua/model/refdata.h"
#include "mutua/model/store.h"
#include "mutua/settlement/config.h"
#include "mutua/settlement/pain001.h"

namespace mutua::settlement {

// Payments are due within this many days of the receipt of the accepted file.
inline constexpr int kDueDays = 14;

std::string reference(int year, int64_t sequence);            // 2026/2/0000001
std::string statement_reference(int year, int64_t sequence);  // 0202620000001 (bank statement)

struct RunOptions {
  model::Date date = 0;           // the run's date: envois received up to it may be paid
  int64_t budget_cents = 0;       // what the run may pay in all
  std::string key;                // the run's unique name (default: its date, YYYY-MM-DD)
  model::Date execution = 0;      // requested execution date (default: date + the configured offset)
  std::string fund;               // the fund paying (configuration); empty: each envoi's federation
};

// An envoi not paid by the run, and why.
struct NotPaid {
  model::LedgerEnvoi envoi;
  int64_t net_cents = 0;          // what it would have paid
  int64_t days_waiting = 0;       // since its receipt
  bool overdue = false;           // past the 14 days
  std::string why;
};

struct RunPlan {
  model::PaymentRunOutcome outcome;
  std::vector<NotPaid> waiting;   // out of budget: this one and every later one
  std::vector<NotPaid> held;      // cannot be paid (no valid account on file): waits alone
  int64_t envois_paid = 0;
  int64_t account_c_cents = 0;    // account C of the envois settled, as they declared it
};

// The run over the awaiting envois (ledger(awaiting_only)), with the providers' accounts.
RunPlan plan_run(const model::LedgerState& awaiting, const std::vector<std::tuple<std::string, int, int64_t>>& last_sequences,
                 const model::RefData& ref, const RunOptions& options);

struct RunResult {
  model::PaymentRun run;
  std::vector<model::Payment> payments;
  std::vector<NotPaid> waiting, held;
  bool resumed = false;           // the run was already recorded: its payment file made again from the store
  std::string payment_file;       // name of the pain.001 file; empty when the run has no transfer
  std::string pain001;            // its content, for the caller to write or serve
  std::vector<CreditTransfer> transfers;  // what it holds
  int64_t account_c_cents = 0;
};

// What a payment run uses: the ledger, the envois it pays, the providers' accounts.
struct PaymentStores {
  model::LedgerStore& ledger;
  model::EnvoiStore& envois;
  model::RefDataStore& refdata;
  PaymentStores(model::LedgerStore& ledger_, model::EnvoiStore& envois_, model::RefDataStore& refdata_) : ledger(ledger_), envois(envois_), refdata(refdata_) {}
  // A whole store has every role.
  PaymentStores(model::Store& s) : ledger(s), envois(s), refdata(s) {}  // NOLINT(google-explicit-constructor): on purpose
};

// Plans and records (atomically) the run, and makes its pain.001 file. A run whose key is
// already recorded is not made again: its payment file is made again from the store, so a run
// killed at any moment is finished by running it again, never paid twice.
Result<RunResult> settle(PaymentStores store, const Config& config, RunOptions options);

// The statements the providers' banks would send for a run's credits: one CODA file per
// creditor account (name, content), each credit with the run's remittance as its free
// communication and the statement reference as the payer's reference. For tests and
// demonstrations of a provider's reconciliation: the real statements come from the banks.
std::vector<std::pair<std::string, std::string>> bank_statements(const Config& config, const RunResult& run, model::Date booked);

}  // namespace mutua::settlement
