// The provider's side of the exchange: what it sent, what came back, and where each envoi
// stands, kept in the provider's own SQLite file (its "book"), apart from any fund's store.
// send() posts billing files through a Transport (mutua's exchange, or a MyCareNet client);
// sync() gets what came back (acknowledgements, 931000, 920999 / 920099 / 920900 / 920098),
// files it under the envoi it answers, and confirms it; the same item delivered twice is kept
// once. docs/provider.md.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mutua/error.h"
#include "mutua/exchange/transport.h"
#include "mutua/model/dates.h"
#include "mutua/model/store.h"
#include "mutua/response_reader.h"

namespace mutua::provider {

// Where an envoi stands, as the sources name the states (docs/provider.md).
enum class EnvoiState {
  Waiting,       // recorded, not posted yet (or the post's answer was lost: posted again)
  Sent,          // the exchange took it (its acknowledgement)
  NotTaken,      // the exchange refused it (its reason)
  Acknowledged,  // the fund acknowledged receipt (931000)
  Accepted,      // 920900: settled; some lines may be rejected (to correct)
  Rejected,      // 920099: refused for billing errors or an error rate over the threshold (to correct and resend)
  Refused,       // 920999: refused at receipt (technical; to correct and resend with the same number)
  Paid,          // accepted, and its payment found on a bank statement (or finalised by hand)
};
std::string_view state_name(EnvoiState s);

struct SentEnvoi {
  int64_t id = 0;
  exchange::Environment environment = exchange::Environment::Production;
  std::string recipient;        // the union
  std::string input_reference;  // segment 200 zone 204, without its leading zeros
  std::string file_name;
  int envoi_number = 0;         // zone 301
  std::string billed_month;     // zone 300, YYYYMM
  EnvoiState state = EnvoiState::Waiting;
  std::string reason;           // the exchange's refusal, or the answer's summary
  std::vector<std::string> answers;  // messages received, in order (931000, 920900...)
  int64_t lines = 0, rejected_lines = 0;  // from the main answer
  int64_t accepted_cents = 0;
  int64_t paid_cents = 0;       // credits of the bank statements matched to it (complements included)
  std::vector<std::string> payment_references;  // YYYY/2/nnnnnnn of those credits
};

// A rejected line of an answer, to correct: its codes with their labels and the fix hint.
struct LineToCorrect {
  std::string input_reference;
  int envoi_number = 0;
  std::string message;          // 920900 / 920099 / 920999
  uint64_t record = 0;
  std::string record_type, niss, nomenclature, date;
  std::string code, label_fr, label_nl, comment, hint;
};

struct SendRound {
  int64_t sent = 0, not_taken = 0, waiting = 0;  // waiting: the exchange did not answer; posted again next time
  std::vector<Error> problems;                   // files that could not be recorded (unreadable...)
};

struct SyncRound {
  int64_t acknowledgements = 0, answers = 0, again = 0, unmatched = 0;
  std::vector<Error> problems;
};

// A patient's attestation (one invoice of the envoi): its lines, and the payment commitment of
// an insurability consultation when the provider made one.
struct AttestationLine {
  std::string code;             // nomenclature code, 6 digits
  model::Date date = 0;
  int64_t amount_cents = 0;     // the insurance's part
  int units = 1;
  std::string prescriber;       // INAMI number, may be empty
  model::Date prescription_date = 0;
  std::string performer;        // who gave the care (INAMI number); empty: the billing third party
  std::string related;          // the prestation this one is relative to (ET 50 zone 17), may be empty
  int64_t personal_share_cents = 0;  // the patient's part (ET 50 zone 27)
  std::string tariff_approval;  // approval number of a tariff consultation (eTar) for this line: an ET 51
  bool eid = false;             // the patient's eID was read for it (an ET 52)
  int eid_time = 0;             // when, HHMM
};

struct Attestation {
  std::string reference;        // the provider's own number for it, unique in the book
  std::string niss, affiliation, destination;  // the patient's mutuality (affiliation) and where it is billed (destination)
  int ct1 = 110, ct2 = 110, sex = 1;
  std::string commitment;       // payment commitment number of an insurability consultation, if any
  model::Date commitment_date = 0;
  int limitation_waiver = 0;    // the fund lifted the two-year limitation period (ET 20 zone 16)
  std::vector<AttestationLine> lines;
  // In the book:
  std::string state;            // waiting, batched, to correct, corrected, archived, paid
  std::string reason;           // why it is to correct
  int64_t envoi_id = 0;         // the envoi it went in
};

struct ImportOutcome {
  int64_t imported = 0, already = 0;
  int64_t corrected = 0;        // attestations to correct that the file gave anew
  std::vector<Error> problems;  // rows that could not be read: file, line, column
};

struct BatchOptions {
  exchange::Environment environment = exchange::Environment::Production;
  std::string provider;         // the third party billing (its INAMI number)
  std::string iban, bic, bce;   // its account for payments, its enterprise number (may be empty)
  model::Date today = 0;        // creation date of the files (0: today)
  // The fund's engine on the reference data the provider knows (store::memory_refdata): the
  // attestations whose lines it would reject are held back, to correct; empty: no pre-flight.
  // Called once, when the attestations are read, so the data may still be loading meanwhile
  // (seconds for a large grouping's patients); null from it fails the batch. The store is read
  // by several threads at once (the envois are judged on every core).
  std::function<model::RefDataStore*()> preflight;
};

struct HeldBack {
  std::string attestation;
  std::string code, label_fr, label_nl, comment, hint;
};

struct BatchOutcome {
  std::vector<SentEnvoi> envois;       // made and waiting to be sent
  std::vector<HeldBack> held_back;     // what pre-flight said the fund would reject
  std::vector<std::string> warnings;   // envois the pre-flight expected over 5 % of errors before holding back
  std::vector<std::pair<std::string, double>> timings;  // seconds per step, in order (provider batch --timings)
};

// A credit of a bank statement, and what it was matched to.
struct StatementLine {
  int64_t id = 0;
  std::string source;           // the statement file
  uint64_t line = 0;            // its line (CODA: the movement's 2.1 record; CSV: the row)
  model::Date booked = 0;
  int64_t cents = 0;
  std::string communication, payer_reference, counterparty;
  std::string payment_reference;  // YYYY/2/nnnnnnn, when the credit names one
  int envoi_number = 0;         // and the envoi and billed month its communication names
  std::string billed_month;
  bool complement = false;      // a complementary payment (lines an advisor approved later)
  std::string state;            // matched, complement, unmatched, finalised, not billing
  std::string reason;           // why it is unmatched, or the note of the hand that finalised it
  int64_t envoi_id = 0;         // the envoi it pays
};

struct ReconcileOutcome {
  int64_t credits = 0, already = 0;             // credits read; of them, read before (kept once)
  int64_t matched = 0, complements = 0, unmatched = 0, not_billing = 0;
  int64_t envois_paid = 0, attestations_paid = 0;
  std::vector<Error> problems;                  // what the statement could not say (line, position)
};

// What an unmatched credit pays, said by hand: an envoi (its input reference, or its number and
// billed month as "12/202611"), some attestations, or nothing of the book (`not_billing`).
struct Finalise {
  std::string envoi;
  std::vector<std::string> attestations;
  bool not_billing = false;
  std::string note;
};

class Book {
 public:
  static Result<std::unique_ptr<Book>> open(const std::string& path);
  ~Book();

  // Records each file (name, bytes; one already recorded under its reference is not recorded
  // again) and posts every envoi waiting in `env`.
  Result<SendRound> send(exchange::Transport& exchange, exchange::Environment env,
                         const std::vector<std::pair<std::string, std::string>>& named_files);
  // One get, filed and confirmed.
  Result<SyncRound> sync(exchange::Transport& exchange, exchange::Environment env, int max = 100);
  Result<std::vector<SentEnvoi>> envois();
  Result<std::vector<LineToCorrect>> to_correct();
  // The fund's answer `message` to envoi `id` (empty: its main answer, 920900, 920099 or
  // 920999), read; none yet: nullopt.
  Result<std::optional<Response>> answer(int64_t id, const std::string& message = "");

  // Attestations from a CSV file (docs/provider.md: one row per line, the attestation's columns
  // repeated); one to correct is replaced and "corrected"; any other already in the book is left
  // as it is.
  Result<ImportOutcome> import_attestations(const std::string& path);
  // The same from the file's content (`name` says where it came from in what is reported).
  Result<ImportOutcome> import_attestations_text(const std::string& text, const std::string& name);
  Result<std::vector<Attestation>> attestations();
  // Attestations to correct marked "corrected" (batched again as they are) or "archived" (lost:
  // not billed again, with why: 500423 already billed, 500450 medical house...).
  Result<int64_t> mark(const std::vector<std::string>& references, const std::string& state, const std::string& reason);
  // Groups the waiting (and corrected) attestations into envois, one per destination union and billed month,
  // numbered after every envoi of that year in the book; pre-flight holds back what the fund
  // would reject. The envois wait in the book for send().
  Result<BatchOutcome> batch(const BatchOptions& options);

  // The provider's own fix hint for a code (500450...), shown before the built-in one
  // (data/codes/hints.tsv) by to_correct() and batch(); an empty hint removes it.
  Result<void> set_hint(const std::string& code, const std::string& hint);
  Result<std::vector<std::pair<std::string, std::string>>> hints();

  // Reads a bank statement (CODA, or CSV with the columns docs/provider.md lists) and matches
  // each credit naming a fund's payment to the envoi it pays: by the payment reference the
  // fund's answer gave, else by the envoi number and billed month of its communication. The
  // envoi and its batched attestations are then paid. A statement read again adds nothing.
  Result<ReconcileOutcome> reconcile(const std::string& statement_path);
  Result<ReconcileOutcome> reconcile_text(const std::string& statement, const std::string& name);
  // The credits read, or only those in `state` (e.g. "unmatched").
  Result<std::vector<StatementLine>> statement_lines(const std::string& state = "");
  // An unmatched credit finalised by hand (docs/provider.md).
  Result<StatementLine> finalise(int64_t line_id, const Finalise& what);

  struct Impl;

 private:
  explicit Book(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mutua::provider
