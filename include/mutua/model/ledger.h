// Money after adjudication: what an accepted envoi owes the provider, what each payment run
// transferred, the regularisations (a posteriori corrections) compensated on later payments.
// All amounts are integer cents. The ledger identity, checked by `mutua ledger check`:
// for every envoi and account, accepted = paid + compensated + awaiting payment.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "mutua/model/advisor.h"
#include "mutua/model/envoi.h"

namespace mutua::model {

// One settlement of an envoi (or of a complement) on one account, made by a payment run.
// paid + compensated = accepted. A bank transfer exists when paid > 0: it has a reference.
struct Payment {
  int64_t id = 0;
  int64_t run_id = 0;
  int64_t envoi_id = 0;
  char account = 'A';             // A federal, B medical council / group
  int64_t complement = 0;         // 0 for the envoi itself; else the complement's number (1, 2...)
  std::string fund;               // federation whose sequence numbers the reference
  int year = 0;                   // payment year
  int64_t sequence = 0;           // 0 when nothing was transferred
  std::string reference;          // YYYY/2/nnnnnnn, empty when nothing was transferred
  int64_t accepted_cents = 0;     // negative for a credit-note envoi
  int64_t compensated_cents = 0;  // regularisations set off (negative: credited to the provider)
  int64_t paid_cents = 0;         // transferred, never negative
  std::string third_party;        // who is paid (ET 10 zone 14)
  std::string iban, bic;          // the provider's account for `account`
  Date executed = 0;              // requested execution date of the transfer
};

// A posteriori correction (form M38 in the sources), a credit-note balance or a settled dispute.
// amount > 0: the provider owes the fund (deducted from the next payments on that account);
// amount < 0: the fund owes the provider (added to the next payment).
struct Regularisation {
  int64_t id = 0;
  std::string third_party;
  char account = 'A';
  int64_t amount_cents = 0;
  std::string reason;
  std::string origin = "M38";     // M38 (recorded by the fund), credit (negative envoi), dispute
  Date recorded = 0;
  int64_t envoi_id = 0;           // the envoi it concerns, if any
  uint64_t record = 0;            // the line (record number in that envoi), if any
  int64_t dispute_id = 0;
  int64_t set_off_cents = 0;      // set off by payments so far (read from the store)
};

// How much of a regularisation a payment set off.
struct Compensation {
  int64_t regularisation_id = 0;
  int64_t payment_id = 0;         // filled by the store when the run is recorded (index into the run's payments before)
  int64_t cents = 0;
};

struct PaymentRun {
  int64_t id = 0;
  std::string key;                // unique name of the run (default: its date)
  Date date = 0;
  Date execution = 0;
  int64_t budget_cents = 0;
  int64_t paid_cents = 0;
  int64_t transfers = 0;
  std::string payment_file;       // name of the pain.001 file written for it
};

// Everything a payment run writes, recorded atomically. Compensation::payment_id is the index
// of the payment in `payments`; new regularisations (credit-note balances) are referred to by
// negative ids -1, -2... in `compensations` when set off in the same run (never, today).
struct PaymentRunOutcome {
  PaymentRun run;
  std::vector<Payment> payments;
  std::vector<Compensation> compensations;
  std::vector<Regularisation> balances;   // credit-note envois turned into amounts owed
  std::vector<int64_t> settled_envois;    // envois settled without a payment (nothing accepted)
  // Approved pending lines paid by this run: (line id, complement number).
  std::vector<std::pair<int64_t, int64_t>> complement_lines;
};

// An accepted envoi as the ledger sees it.
struct LedgerEnvoi {
  int64_t id = 0;
  std::string third_party, fund;
  int year = 0, month = 0, number = 0;
  Date received = 0;
  int64_t accepted_a = 0, accepted_b = 0, account_c = 0, pending = 0;
  int64_t settled_run = 0;        // the run that settled it; 0 while awaiting payment
  int64_t history_cents = 0;      // sum of its lines in history (-1 when not read)
  int64_t history_lines = 0;
  // A complement (ledger(awaiting_only).complements): the approved lines of this envoi not paid
  // yet, as the complement `complement` (1, 2...); `received` is the day of the last approval
  // (its place in the order of payment), accepted_a / accepted_b their sums per account.
  int64_t complement = 0;
  std::vector<int64_t> line_ids;
};

// What the ledger holds: read at once, judged in memory (settlement, ledger check).
struct LedgerState {
  std::vector<LedgerEnvoi> envois;          // accepted, not test, in order of receipt
  std::vector<LedgerEnvoi> complements;     // approved lines awaiting payment, per envoi (awaiting_only)
  std::vector<PendingLine> pending_lines;   // every line left pending on the advisor (not awaiting_only)
  std::vector<Payment> payments;
  std::vector<Regularisation> regularisations;
  std::vector<Compensation> compensations;  // payment_id = the payment's id
  std::vector<PaymentRun> runs;
  // One billed line (third party, envoi number, creation date, invoice, record) in history under
  // more than one reception: accepted twice (ledger(false, true) only).
  struct RepeatedLine {
    std::string third_party;
    int envoi_number = 0;
    Date billed = 0;
    uint64_t invoice_number = 0, record = 0;
    std::vector<int64_t> envoi_ids;
  };
  std::vector<RepeatedLine> repeated_lines;
};

// The part of the ledger a search looks at (payments, letters, regularisations of some
// providers): read by the database's indexes, not the whole ledger. Conditions left empty do not
// filter.
struct LedgerScope {
  std::vector<std::string> third_parties;  // these payees only; empty: every one
  std::string reference;                   // the payment with this reference (YYYY/2/nnnnnnn) and its envoi
  int year = 0, month = 0;                 // the envois billed in this month and their payments
  std::string run;                         // the payments of this run (its key) and their envois
};

}  // namespace mutua::model
