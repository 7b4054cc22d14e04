// The fund's automatic control of an envoi (REFAC in the sources): preliminary checks and
// envoi-number unicity (920999, with 920098 when the first was accepted), the file checks and
// the rule catalog against reference data and history, cascades, the error rate, and the
// response: 920099 (reject file) or 920900 (settlement), 920098 for informative findings.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "mutua/error.h"
#include "mutua/model/refdata.h"
#include "mutua/model/store.h"

namespace mutua::engine {

struct PreflightReport;
// A readable envoi cut into records, invoices and lines: the engine's own, opaque to callers.
struct ParsedEnvoi;

struct AdjudicateOptions {
  model::Date today = 0;
  int64_t threshold_bp = -1;   // error-rate threshold in 1/100 %; -1 = parameters.tsv (500)
  std::string batch;           // reception batch: re-running a batch resumes it (nothing doubled)
  bool record = true;          // false: judge only (pre-flight, explain), the store is not changed
  bool trace = false;          // keep what each rule family noted (explain)
  int64_t history_before = 0;  // judge against history of envois before this id (explain); 0 = all
  int64_t envoi_id = 0;        // record under this id, taken at receipt (model::QueueStore); 0 = the next
  // Read each patient's whole history, not only the codes the rules read (rules::history_needed):
  // the decisions are the same, only slower; tests prove it.
  bool whole_history = false;
  // With record = false: the decisions as data (Adjudication::rejected), no response written
  // (the provider's pre-flight, which only needs to know what the fund would reject).
  bool decisions_only = false;
};

// A line the fund would reject, with its codes (types B, F, R, S; E too when the envoi is rejected).
struct RejectedLine {
  uint64_t invoice = 0;  // ET 20 zone 24
  uint64_t record = 0;   // its record number in the file
  struct Code {
    std::string code;
    char type = 'R';
    std::string comment;
  };
  std::vector<Code> codes;
};

struct Adjudication {
  std::string message;                 // 920900, 920099 or 920999
  bool resumed = false;                // already recorded in this batch: responses as stored
  model::EnvoiRecord envoi;            // with its id when recorded
  std::vector<model::StoredResponse> responses;  // the main response first, then 920098 if any
  std::vector<std::string> summary;    // one line per reason, for a person
  std::vector<std::pair<std::string, double>> phases;  // seconds per pipeline step (--timings)
  int64_t lines = 0;                   // detail lines judged
  std::vector<RejectedLine> rejected;  // with decisions_only
};

// An envoi's patients and their reference data (read_ahead): read ahead on a connection of
// its own while the envoi before it is judged, and kept when an envoi is judged again (the
// store's mark guards history, not reference data, which envois do not write).
struct PatientData {
  std::vector<std::string> patients;  // the NISS of its lines and invoices, sorted
  model::RefData data;
};

// An envoi's history read ahead with its patients' reference data (read_ahead), at a mark of
// the store: when it is judged, only the patients with lines recorded since are read again.
// The judgement takes the lines (moved, not copied: 100k lines and more); judged again after a
// conflict, an envoi reads its history itself.
struct HistoryAhead {
  model::StoreMark mark;                            // read before the lines
  std::shared_ptr<const model::RefData> shared;     // the fund's shared data the needs were made with
  std::vector<model::PatientCodes> needs;           // rules::history_needed, as read
  std::unordered_map<std::string, std::vector<model::HistoryLine>> lines;
};

// A file as the fund receives it, with every check that needs no fund data done: the half of
// the pipeline that needs no store, so a batch prepares the next file while this one is judged.
struct Reception {
  std::string name;                              // file name, as in responses and errors
  std::shared_ptr<const std::string> bytes;      // the parsed envoi points into these
  std::string hash;                              // content_hash(bytes): batch resumption
  std::shared_ptr<ParsedEnvoi> parsed;           // null when unreadable
  std::shared_ptr<PreflightReport> report;       // the file checks (when readable)
  Error unreadable;                              // why, when parsed is null
  std::vector<std::pair<std::string, double>> phases;
  std::shared_ptr<const PatientData> patient_data;    // read ahead (read_ahead), or null
  std::shared_ptr<HistoryAhead> history_ahead;        // read ahead (read_ahead), or null
};

// The largest billing file there can be: six-digit record numbers, 999,999 records of 350 bytes
// with CRLF line ends, and the longest header. A larger file is refused unread.
inline constexpr uint64_t kMaxEnvoiBytes = 677 + 2 + 999999ULL * 352;

// Reads and checks a file on its own; `today` judges its dates. Never touches a store. A file
// over kMaxEnvoiBytes comes back unreadable (refused, 920999) without being read; a path that is
// no regular file (a pipe, a directory) is an error.
Reception receive(std::string bytes, std::string name, model::Date today);
Result<Reception> receive_file(const std::string& path, model::Date today);
// The same, with `beside_checks` run on another thread once the file is parsed, while its file
// checks run on this one (not run for an unreadable file): what reads the envoi's patients' data
// ahead when nothing else keeps the other core busy (a batch's first envoi, a single one). It
// reads only what the parse made (name, bytes, hash, the parsed envoi), never the file checks'
// report or the phases; both are done when receive returns.
using BesideChecks = std::function<void(const Reception&)>;
Reception receive(std::string bytes, std::string name, model::Date today, const BesideChecks& beside_checks);
Result<Reception> receive_file(const std::string& path, model::Date today, const BesideChecks& beside_checks);
// Only parses it (no file checks, no hash): what an exchange reads of a file to route it, or to
// refuse it as unreadable, before carrying it to the fund that checks it.
Reception read_envoi(std::shared_ptr<const std::string> bytes, std::string name);
// Identifies received bytes: their SHA-256 and size ("<64 hex digits>-<size>"). Receptions
// recorded by earlier versions of mutua carry legacy_content_hash() instead.
std::string content_hash(std::string_view bytes);
// The FNV-1a (64 bits) and size ("<16 hex digits>-<size>") earlier mutua recorded.
std::string legacy_content_hash(std::string_view bytes);
// The reception of these bytes a batch already recorded under this name, if any: what a batch
// run that was interrupted, started again with the same batch name, does not judge twice.
Result<std::optional<model::EnvoiRecord>> find_in_batch(model::EnvoiStore& store, const std::string& batch,
                                                        const Reception& reception);
// Who sent a readable reception: its third party (ET 10 zone 14); empty when unreadable.
std::string sender_of(const Reception& reception);
// The union it is addressed to ("300": its invoices' destination mutuality's), empty when unreadable.
std::string federation_of(const Reception& reception);

// What judging an envoi reads and writes: the reference data, and the envois (receptions,
// history, recording).
struct JudgingStores {
  model::RefDataStore& refdata;
  model::EnvoiStore& envois;
  JudgingStores(model::RefDataStore& refdata_, model::EnvoiStore& envois_) : refdata(refdata_), envois(envois_) {}
  // A whole store has every role.
  JudgingStores(model::Store& s) : refdata(s), envois(s) {}  // NOLINT(google-explicit-constructor): on purpose
};

// Reads a readable reception's patients' reference data (reception.patient_data) and the
// history its rules read (reception.history_ahead), for adjudicate to use instead of reading
// them then: a worker reads the next envoi's while it judges and records one, and then reads
// again only the history of the patients that one recorded lines of. Nothing to read for an
// unreadable one. With `helper` (another connection to the same store, used by nothing else
// meanwhile), the reference data and half of the history are read on it while the other half is
// read on `store`: on PostgreSQL the server then works for both at once.
Result<void> read_ahead(Reception& reception, JudgingStores store, model::Store* helper = nullptr);
// What read_ahead reads, kept apart from the reception: read beside its file checks
// (receive's beside_checks), then given to it (add_read_ahead). What was read before an error
// is kept, as read_ahead keeps it.
struct ReadAhead {
  // The envois of the batch this one opens (itself included), like it: their patients, about
  // this one's times this, are said to the store before it is read (RefDataStore::expect_patients).
  uint64_t envois_like_this = 1;
  std::shared_ptr<const PatientData> patient_data;
  std::shared_ptr<HistoryAhead> history_ahead;
  std::vector<std::pair<std::string, double>> phases;
};
Result<void> read_ahead_into(const Reception& reception, JudgingStores store, model::Store* helper, ReadAhead& out);
void add_read_ahead(Reception& reception, ReadAhead read);

// Judges a received envoi against the store and, unless options.record is false, records it
// (options.today must be the day `reception` was made with).
Result<Adjudication> adjudicate(Reception reception, JudgingStores store, const AdjudicateOptions& options);
// The same, from the bytes of a received envoi (`name` is its file name).
Result<Adjudication> adjudicate(const std::string& bytes, const std::string& name, JudgingStores store,
                                const AdjudicateOptions& options);
Result<Adjudication> adjudicate_file(const std::string& path, JudgingStores store, const AdjudicateOptions& options);

}  // namespace mutua::engine
