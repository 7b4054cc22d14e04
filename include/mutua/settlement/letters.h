// Payment letters (avis de paiement / betalingsbericht): one per payment of a run, for the
// provider, in the provider's language. The PDF says what the envoi (or its complement, marked
// *) asked, what was accepted, refused, left pending on the advisor, which regularisations were
// set off and why, and what was paid to which account under which reference; per invoice, and
// every refused line with its codes. The CSV and XLSX give every line with the provider's
// invoice numbers.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mutua/error.h"
#include "mutua/model/store.h"
#include "mutua/settlement/config.h"

namespace mutua::settlement {

struct LetterLine {
  uint64_t invoice = 0, record = 0;
  std::string niss, code, reference;  // reference: the provider's own line reference (ET 50)
  model::Date date = 0;
  char account = 'A';
  int64_t asked = 0, accepted = 0, refused = 0;
  std::string status;                 // accepted, rejected, pending, approved
  std::string codes;                  // "500423 Prestation déjà ...; ..." in the letter's language
};

struct SetOff {
  int64_t regularisation_id = 0;
  std::string reason, origin;
  int64_t cents = 0;                  // positive: deducted; negative: added
};

struct Letter {
  model::Payment payment;
  model::EnvoiRecord envoi;
  std::string provider_name, language = "fr";
  std::string fund_name;
  model::Date run_date = 0;
  std::vector<SetOff> set_off;
  std::vector<LetterLine> lines;      // this payment's account only
  int64_t asked = 0, accepted = 0, refused = 0, pending = 0;  // of those lines
  // The envoi's line details went with the retention period (its payment is kept): the letter
  // gives what was paid and says why the lines are not listed.
  bool lines_removed = false;
};

// What payment letters read: the run in the ledger, the envois and their responses, the lines
// waiting on the advisor, the providers.
struct LetterStores {
  model::LedgerStore& ledger;
  model::EnvoiStore& envois;
  model::AdvisorStore& advisor;
  model::RefDataStore& refdata;
  LetterStores(model::LedgerStore& ledger_, model::EnvoiStore& envois_, model::AdvisorStore& advisor_, model::RefDataStore& refdata_) : ledger(ledger_), envois(envois_), advisor(advisor_), refdata(refdata_) {}
  // A whole store has every role.
  LetterStores(model::Store& s) : ledger(s), envois(s), advisor(s), refdata(s) {}  // NOLINT(google-explicit-constructor): on purpose
};

// The detail lines of an accepted envoi as its stored 920900 (JSON) says them, labels in
// `language` (fr, nl); nullopt when the retention period took its responses away.
Result<std::optional<std::vector<LetterLine>>> settled_lines(model::EnvoiStore& envois, int64_t envoi_id,
                                                             const std::string& language);

// The letters of a recorded run, from the store (responses, complements, compensations).
Result<std::vector<Letter>> gather_letters(LetterStores store, const Config& config, const std::string& run_key);
// The letter of one payment (its id in the ledger); nullopt when there is no such payment.
Result<std::optional<Letter>> gather_letter(LetterStores store, const Config& config, int64_t payment_id);

// File name stem of a letter: letter-2026-2-0000001, or letter-run-<id>-<envoi>-<account> when
// nothing was transferred.
std::string letter_name(const Letter& l);
std::string letter_csv(const Letter& l);
Result<void> write_letter_pdf(const Letter& l, const std::string& path);
Result<void> write_letter_xlsx(const Letter& l, const std::string& path);

}  // namespace mutua::settlement
