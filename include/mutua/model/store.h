// The store interface: what the engine needs to remember between envois (reference data,
// envoi numbers, accepted lines, responses). Implemented on SQLite (store/sqlite.h); kept free
// of any SQL dialect so another database can implement it. A store is used by one thread at a
// time (a server opens one per worker): implementations need not lock around their connection.
#pragma once
#include <algorithm>
#include <cstdint>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "mutua/error.h"
#include "mutua/model/envoi.h"
#include "mutua/model/advisor.h"
#include "mutua/model/consultation.h"
#include "mutua/model/dispute.h"
#include "mutua/model/accounts.h"
#include "mutua/model/history.h"
#include "mutua/model/ledger.h"
#include "mutua/model/refdata.h"
#include "mutua/model/requests.h"
#include "mutua/model/retention.h"

namespace mutua::model {

// How the fund answered an envoi.
enum class EnvoiStatus { Accepted, Rejected, Refused };  // 920900, 920099, 920999
std::string_view status_name(EnvoiStatus s);             // accepted, rejected, refused

// One reception of an envoi, as recorded.
struct EnvoiRecord {
  int64_t id = 0;                 // assigned by the store, in order of receipt
  std::string third_party;        // ET 10 zone 14 (11 digits)
  int year = 0, month = 0;        // billed year and month
  int number = 0;                 // sending number (ET 10 zone 7)
  EnvoiStatus status = EnvoiStatus::Refused;
  bool test = false;              // test files never enter history
  Date received = 0;              // --today of the run
  std::string file_name;
  std::string content_hash;       // of the received bytes
  std::string batch;              // reception batch (--batch), to resume an interrupted run
  int64_t error_rate_bp = 0;      // error rate in hundredths of a percent
  uint64_t lines = 0, rejected_lines = 0;
  int64_t asked_cents = 0, accepted_cents = 0, refused_cents = 0;
  std::string federation;
  // What the settlement pays: accepted per account (ET 50 zone 11), account C as the envoi's
  // ET 96 declares it (reported, not paid here), lines pending the advisor (500434).
  int64_t accepted_a_cents = 0, accepted_b_cents = 0, account_c_cents = 0, pending_cents = 0;
};

// A response file kept with its envoi.
struct StoredResponse {
  std::string message;            // 920900, 920099, 920999, 920098
  std::string bytes;              // the billing-format response
  std::string json;               // the same for programs
};

// Where the store stood when a judgement began reading it: the last envoi, history line and
// pending line recorded. record() refuses an outcome judged at a mark after which another
// process recorded an acceptance of the same envoi number or lines of the same patients (error
// code kStoreConflict, nothing written): judged again, the envoi gets the decisions it would have
// got had it come after them.
struct StoreMark {
  int64_t envoi = 0, history = 0, pending = 0;
};
inline constexpr const char* kStoreConflict = "Z00202";

// Everything an envoi's adjudication writes, recorded atomically.
struct EnvoiOutcome {
  EnvoiRecord envoi;
  std::vector<HistoryLine> accepted;      // lines entering history (empty for tests, rejections)
  std::vector<PendingLine> pending;       // lines left waiting on the medical advisor (500434)
  std::vector<int64_t> reversed_ids;      // history lines a credit note cancels
  std::vector<StoredResponse> responses;
  // When set, record() calls it once, on any thread, for the responses instead of reading
  // `responses`: the engine's responses to a 100k-line envoi take a tenth of a second to build,
  // which then overlaps with writing its history lines. The vector must outlive record().
  std::function<const std::vector<StoredResponse>&()> build_responses;
  std::string_view received_bytes;        // the envoi as received (for explain); the caller's
                                          // bytes, alive until record() returns
  std::string verdicts_json;              // per-record codes and facts
  // The mark the judgement read the store at, and the patients it read: when set, record()
  // checks nothing it depends on changed since (see StoreMark).
  std::optional<StoreMark> judged_at;
  std::vector<std::string> patients;
};

struct AgreementQuery {
  int64_t id = 0;                 // 0: any
  std::string niss, code, requested_by;  // empty: any
};

struct PendingQuery {
  int64_t envoi_id = 0;           // 0: any
  std::string niss, code;         // empty: any
  std::optional<PendingState> state;
};

// The history one patient's lines are judged against: every line of `codes`, and the lines of
// `on_days` whose first date is one of `days` (a nursing day counts the roles of that day only;
// most of a nursing patient's history is of such codes on other days). Each list sorted and
// unique; a code in both is wanted on every day. `on_days` is shared by the patients that want
// the same (every nursing patient of an envoi: the sixty-odd codes with a role), null for none.
struct PatientCodes {
  std::string niss;
  std::vector<std::string> codes;
  std::shared_ptr<const std::vector<std::string>> on_days;
  std::vector<Date> days;

  const std::vector<std::string>& day_codes() const {
    static const std::vector<std::string> none;
    return on_days ? *on_days : none;
  }
  size_t code_count() const { return codes.size() + day_codes().size(); }
  // Every code asked, once, in order (for a read per code).
  std::vector<std::string_view> each_code() const {
    std::vector<std::string_view> all;
    std::set_union(codes.begin(), codes.end(), day_codes().begin(), day_codes().end(), std::back_inserter(all));
    return all;
  }
  // Whether a line of history of `code`, first dated `first`, is one of those asked.
  bool wants(std::string_view code, Date first) const {
    if (std::binary_search(codes.begin(), codes.end(), code, std::less<>())) return true;
    return on_days && std::binary_search(days.begin(), days.end(), first) &&
           std::binary_search(on_days->begin(), on_days->end(), code, std::less<>());
  }
  bool operator==(const PatientCodes& o) const {
    return niss == o.niss && codes == o.codes && days == o.days && day_codes() == o.day_codes();
  }
};

// The store, by role: a caller takes only the roles it needs (the engine reference data and
// envois; a payment run the ledger...). `Store` is all of them, as one backend (SQLite, and
// PostgreSQL next) implements them; tests/store_contract_test.cpp is what any backend must pass.

// Reference data: the fund's members, providers, nomenclature... (docs/refdata.md).
class RefDataStore {
 public:
  virtual ~RefDataStore() = default;

  // Reference data as parsed and checked at import (model/refdata_tables.h: the typed table of
  // each documented file): replaced as a whole, in one transaction (a file not given is emptied).
  virtual Result<void> replace_refdata(const RefData& data) = 0;
  // Everything, in file order, with what the fund recorded itself (commitments of its
  // consultations, its advisor's agreements) after each file's own rows.
  virtual Result<RefData> load_refdata() = 0;
  // Rows per reference file (members.csv...) as the store holds them.
  virtual Result<std::map<std::string, uint64_t>> refdata_counts() = 0;
  // The patient tables only (members, insurability, stays...), limited to these NISS: what the
  // engine needs of one envoi's patients.
  virtual Result<RefData> load_refdata_for(const std::vector<std::string>& niss) = 0;
  // The same, only these patient files (e.g. "members.csv", "insurability.csv").
  virtual Result<RefData> load_patient_files(const std::vector<std::string>& niss, const std::vector<std::string>& files) = 0;
  // A caller about to ask load_refdata_for() for many patients (a batch of envois) says about how
  // many: a store may then read its patient tables whole once rather than look each one up.
  virtual void expect_patients(uint64_t patients) { (void)patients; }
  // The patients (NISS, sorted, unique) of a patient file whose text `column` is `value`: the
  // patients enrolled in one medical house ("medical_houses.csv", "medical_house", its number).
  // Z00224 for a file that is not a patient file or a column it does not have.
  virtual Result<std::vector<std::string>> patients_where(const std::string& file, const std::string& column,
                                                          const std::string& value) = 0;
  // The tables shared by all envois (providers, destinations, nomenclature, cumulations,
  // prerequisites), parsed; the same object while no import happened since.
  virtual Result<std::shared_ptr<const RefData>> shared_refdata() = 0;
  // The shared tables as another connection to this same store read them (an envoi's reading
  // ahead): kept as this connection's own if their version is still the store's, instead of
  // being parsed a second time (a quarter of a second at 27k nomenclature codes).
  virtual void adopt_shared_refdata(std::shared_ptr<const RefData> data) { (void)data; }
};

// Receptions and history: envois as received and judged, their responses, accepted lines.
class EnvoiStore {
 public:
  virtual ~EnvoiStore() = default;

  // Receptions of an envoi number (provider, billed year, number), oldest first.
  virtual Result<std::vector<EnvoiRecord>> receptions(const std::string& third_party, int year, int number) = 0;
  // The receptions recorded under this batch and file name, oldest first (to resume a killed
  // run: the engine compares their content hashes, engine::find_in_batch).
  virtual Result<std::vector<EnvoiRecord>> batch_receptions(const std::string& batch, const std::string& file_name) = 0;
  virtual Result<std::optional<EnvoiRecord>> envoi(int64_t id) = 0;
  // The first reception recorded under this file name (0 when none).
  virtual Result<int64_t> first_reception_named(const std::string& file_name) = 0;
  virtual Result<std::vector<EnvoiRecord>> envois() = 0;
  // One provider's receptions (ET 10 zone 14), oldest first, read by the database's index.
  virtual Result<std::vector<EnvoiRecord>> envois_of(const std::string& third_party);

  // Accepted, not reversed lines of these patients from envois received before `before_envoi`
  // (0 = all).
  virtual Result<std::unordered_map<std::string, std::vector<HistoryLine>>> history(
      const std::vector<std::string>& niss, int64_t before_envoi = 0) = 0;

  // The same, only the lines each patient's PatientCodes wants (what the rules read: see
  // rules::history_needed), each patient's lines in the order they were accepted. `wanted` is
  // in NISS order. The default filters history().
  virtual Result<std::unordered_map<std::string, std::vector<HistoryLine>>> history_of_codes(
      const std::vector<PatientCodes>& wanted, int64_t before_envoi = 0);

  // The current mark, to give back to record() with what was judged from here.
  virtual Result<StoreMark> mark() = 0;
  // Of `patients` (sorted), those with history or pending lines recorded after `since`, sorted:
  // the ones whose history, read at `since`, must be read again. The default: all of them.
  virtual Result<std::vector<std::string>> patients_recorded_since(const StoreMark& since,
                                                                   const std::vector<std::string>& patients) {
    (void)since;
    return patients;
  }
  // What was recorded after `since` of `patients` (sorted), to bring up to date a history read
  // at `since`: `again`, the patients to read again (sorted); `added`, for the others with lines
  // accepted since, those lines (not reversed), in the order accepted: they come after every
  // line read at `since`. A credit note reverses lines of its own patient and is a line of it,
  // with a negative amount: its patient is read again, as is one with lines pending the advisor
  // since. The default: every patient with lines since, read again.
  struct RecordedSince {
    std::vector<std::string> again;
    std::unordered_map<std::string, std::vector<HistoryLine>> added;
  };
  virtual Result<RecordedSince> recorded_since(const StoreMark& since, const std::vector<std::string>& patients) {
    auto changed = patients_recorded_since(since, patients);
    if (!changed) return tl::make_unexpected(changed.error());
    return RecordedSince{std::move(*changed), {}};
  }
  // Records an envoi with its lines and responses; all or nothing. Returns its id. An accepted
  // envoi number (third party, year, number, test) is unique in the store itself.
  virtual Result<int64_t> record(const EnvoiOutcome& outcome) = 0;
  virtual Result<std::vector<StoredResponse>> responses(int64_t envoi_id) = 0;
  // The messages of an envoi's responses (920900...), in order, without unpacking them.
  virtual Result<std::vector<std::string>> response_messages(int64_t envoi_id);
  // One response of an envoi (the last of that message), unpacked; nullopt when it has none.
  virtual Result<std::optional<StoredResponse>> response(int64_t envoi_id, const std::string& message);
  virtual Result<std::string> received_bytes(int64_t envoi_id) = 0;
  virtual Result<std::string> verdicts(int64_t envoi_id) = 0;

  // Bulk load of history (benchmarks, migrations): one transaction.
  virtual Result<void> load_history(const std::vector<HistoryLine>& lines) = 0;

  // A store may take accepted lines into a small table of recent history first, cheap to write,
  // and merge them into its large history later in key order (SQLite: docs/performance.md). The
  // lines waiting there; merging them, all or nothing, returns how many moved. Reads see a line
  // the same wherever it is. A store without one has none to merge.
  virtual Result<int64_t> recent_history_lines() { return int64_t{0}; }
  virtual Result<int64_t> merge_recent_history() { return int64_t{0}; }
  // No more writes for now (a batch's last envoi is recorded): work the store put off may start
  // beside what the caller still does (SQLite: its WAL copied into the database and emptied
  // while the last responses are written, instead of at close). Writes stay allowed.
  virtual void flush_in_background() {}
};

// Payments and ledger: what accepted envois are owed, payment runs, regularisations.
class LedgerStore {
 public:
  virtual ~LedgerStore() = default;

  // The ledger. `awaiting_only`: the accepted envois no run has settled yet, the
  // regularisations not wholly set off, and no payments (what a payment run needs); else
  // everything, with each envoi's sum of history lines when `history_sums` (ledger check).
  virtual Result<LedgerState> ledger(bool awaiting_only, bool history_sums) = 0;
  // The accepted envois, payments and regularisations within `scope`, and every payment run
  // (no pending lines, complements or compensations): what a search shows.
  virtual Result<LedgerState> ledger_in(const LedgerScope& scope) = 0;
  // The last reference sequence given per fund and year.
  virtual Result<std::vector<std::tuple<std::string, int, int64_t>>> last_sequences() = 0;
  virtual Result<std::optional<PaymentRun>> payment_run(const std::string& key) = 0;
  virtual Result<std::vector<Payment>> run_payments(int64_t run_id) = 0;
  // The payments of one envoi (its own and its complements'), oldest first.
  virtual Result<std::vector<Payment>> envoi_payments(int64_t envoi_id) = 0;
  // Records a payment run, its payments, compensations and new balances, and marks its envois
  // settled; all or nothing. Fails (nothing written) if one of them was settled meanwhile.
  virtual Result<int64_t> record_payment_run(const PaymentRunOutcome& run) = 0;
  virtual Result<int64_t> add_regularisation(const Regularisation& r) = 0;
};

// Insurability consultations and the payment commitments they give.
class ConsultationStore {
 public:
  virtual ~ConsultationStore() = default;

  // Records insurability consultations in one transaction. Each insured one gets a payment
  // commitment number (unique, never reused), returned in order ("" for the others); from then
  // on load_refdata_for() gives it as a row of commitments.csv, so the engine honours it.
  virtual Result<std::vector<std::string>> record_consultations(const std::vector<Consultation>& consultations) = 0;
};

// Medical-advisor agreements, their decisions and the lines waiting on them.
class AdvisorStore {
 public:
  virtual ~AdvisorStore() = default;

  // Medical-advisor agreements recorded by the fund. load_refdata_for() gives them as rows of
  // agreements.csv after the file's own (a request not decided yet as D: waiting), so the
  // engine judges lines against them.
  virtual Result<int64_t> record_agreement(const AgreementRecord& request) = 0;  // with its first event
  virtual Result<std::vector<AgreementRecord>> agreements(const AgreementQuery& query) = 0;
  virtual Result<std::vector<PendingLine>> pending_lines(const PendingQuery& query) = 0;
  // Records a decision, its event and the lines it settles; all or nothing. Fails (nothing
  // written) if one of those lines was settled meanwhile.
  virtual Result<void> record_decision(const AgreementDecision& decision) = 0;
};

// Disputes (contentieux) and their steps.
class DisputeStore {
 public:
  virtual ~DisputeStore() = default;

  // Disputes. open_dispute records it with its first event; `dispute_step` records a step with
  // the new state (and, for a settled one, its regularisation, linked both ways); all or
  // nothing, and only if the dispute is still in `expected` state (no two steps at once).
  virtual Result<int64_t> open_dispute(const Dispute& dispute) = 0;
  virtual Result<std::vector<Dispute>> disputes(int64_t id, const std::string& third_party) = 0;  // 0 / "": all
  virtual Result<void> dispute_step(int64_t id, DisputeState expected, const Dispute& after, const DisputeEvent& event,
                                    const std::optional<Regularisation>& regularisation) = 0;
};

// The retention period, over everything the other roles keep.
class RetentionStore {
 public:
  virtual ~RetentionStore() = default;

  // Removes or anonymises personal details older than `cutoff` (model/retention.h), in one
  // transaction; with `dry_run`, only counts them.
  virtual Result<RetentionReport> apply_retention(Date cutoff, bool dry_run) = 0;
};

// Received envois waiting to be judged, for workers on one or several machines (PostgreSQL):
// each reception takes its envoi id at receipt, so ids are the order of receipt whichever
// worker judges it; a worker records an envoi only when every earlier one is done, so the
// decisions are those of one process judging them in that order (docs/scale-out.md).
struct QueuedEnvoi {
  int64_t id = 0;          // the envoi id it is recorded under
  Date today = 0;          // the day it was received: its dates are judged from it
  std::string file_name;
  std::string bytes;
};

struct QueueStatus {
  int64_t waiting = 0, in_progress = 0, done = 0, failed = 0;
  struct Failure {
    int64_t id = 0;
    std::string file_name, error;
  };
  std::vector<Failure> failures;
};

class QueueStore {
 public:
  virtual ~QueueStore() = default;

  // Records a received envoi as waiting; returns its id (the envoi id it will be recorded under).
  virtual Result<int64_t> enqueue(const std::string& file_name, std::string_view bytes, Date today) = 0;
  // Takes the oldest waiting reception no other worker holds, and holds it (a worker that dies
  // lets it go); nullopt when none is free. One held at a time per store object.
  virtual Result<std::optional<QueuedEnvoi>> claim(const std::string& worker) = 0;
  // Done (message: the response sent) or failed (error: why); lets it go.
  virtual Result<void> finish(int64_t id, const std::string& message, const std::string& error) = 0;
  // Lets the held reception go, still waiting (another worker, or this one later, takes it).
  virtual Result<void> release() = 0;
  virtual Result<QueueStatus> queue_status() = 0;
};

// What record() answers an envoi with an id given at receipt (QueueStore) when an earlier
// reception is waiting and no worker holds it: the caller lets its own go and takes that one.
inline constexpr const char* kNotItsTurn = "Z00203";

class Store : public AccountStore,
              public RequestStore,
              public RefDataStore,
              public EnvoiStore,
              public LedgerStore,
              public ConsultationStore,
              public AdvisorStore,
              public DisputeStore,
              public RetentionStore,
              public QueueStore {
 public:
  ~Store() override = default;
};

}  // namespace mutua::model
