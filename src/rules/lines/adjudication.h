// What the adjudication rule families see: an envoi cut into invoices and lines, the fund's
// facts about each patient, the accepted history, the rule parameters and comment templates,
// and the verdicts they add to. Each family lives in its own file of this directory.
#pragma once
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mutua/model/envoi.h"
#include "mutua/model/refdata.h"
#include "mutua/model/store.h"
#include "mutua/record.h"

namespace mutua::rules {

using model::Date;

// One record of the envoi, kept as received (the response echoes it): a view into the
// received bytes that Envoi::source keeps alive, not a copy.
struct EnvoiRecordBytes {
  RecordKind kind = RecordKind::Unknown;
  uint64_t number = 0;  // 1-based record number (ET 10 = 1)
  std::string_view bytes;
};

// A detail record: an ET 50 (with its ET 51 / 52) or an ET 30 / 40.
struct Line {
  size_t record = 0;           // index in Envoi::records
  std::vector<size_t> attached;  // ET 51 / 52 records of this line
  size_t invoice = 0;          // index in Envoi::invoices
  RecordKind kind = RecordKind::Et50;
  std::string code;            // 6 digits
  Date first = 0, last = 0;
  std::string niss;
  int sex = 0;
  int norm = 0;                // zone 3 (9 = statistical record of a flat fee)
  int account = 0;             // zone 11
  std::string service;         // zone 13, 3 digits as written
  std::string place;           // zone 14, 11 digits or empty
  std::string provider;        // zone 15, 11 digits
  int provider_norm = 0;       // zone 16
  std::string related;         // zone 17: the related prestation's code, 6 digits or empty
  int64_t amount = 0;          // zone 19, cents
  int units = 1;               // zone 22
  int identical = 0;           // zone 23
  std::string prescriber;      // zone 24, 11 digits or empty
  int64_t personal_share = 0;  // zone 27
  std::string reference;       // zone 28
  int64_t supplement = 0;      // zone 30
  int tp_exception = 0;        // zone 32
  int social_category = 0;     // zone 33
  int laterality = 0;          // zone 34
  bool eid = false;            // an ET 52 (eID read) is attached
  bool tariff_commitment = false;  // an ET 51 is attached
  size_t tariff_record = SIZE_MAX;  // its record index
  std::string tariff_number;   // its zones 42-45: the approval number of a tariff consultation (eTar)
  bool credit = false;         // amount < 0 (credit note)
};

struct Invoice {
  size_t et20 = 0, et80 = 0;   // record indexes (et80 = et20 when missing)
  std::string niss, affiliation, destination, provider;
  std::string stay;            // zone 15: establishment of stay, 11 digits or empty
  std::string service;         // zone 13: service (document 721bis), 3 digits
  int invoice_type = 3, billing_type = 0;
  uint64_t number = 0;
  int ct1 = 0, ct2 = 0;
  std::string commitment;      // payment commitment number (zones 42-45, part A = 2), empty if none
  Date admission = 0, discharge = 0;
  int previous_sending = 0;    // zone 34: corrective invoices
  int previous_year_month = 0; // zone 41: YYYYMM of the envoi corrected
  int limitation_waiver = 0;   // zone 16: the limitation period is lifted (501603 when not allowed)
  std::vector<size_t> lines;   // indexes in Envoi::lines
};

struct Envoi {
  std::shared_ptr<const std::string> source;  // the received bytes the records view
  std::string file;
  std::string header;          // segments 200 + 300 as received, without separators
  std::vector<EnvoiRecordBytes> records;
  std::vector<Invoice> invoices;
  std::vector<Line> lines;
  std::string third_party;     // ET 10 zone 14, 11 digits
  int number = 0, year = 0, month = 0;
  Date created = 0;
  std::string iban_a, iban_b, federation;
  int64_t account_c = 0;       // ET 96 zones 511-512, cents
  bool test = false;
  size_t et10 = SIZE_MAX, et90 = SIZE_MAX;
  // By record index: its line / invoice index, SIZE_MAX when none.
  std::vector<size_t> line_at, invoice_at;
};

// Rule parameters and zone 149 templates (data/rules/parameters.tsv, comments.tsv).
class RuleData {
 public:
  static const RuleData& builtin();
  // The built-in data with a fund's parameters (parameters.csv) in place of the built-in values.
  static const RuleData& with(const std::vector<model::RuleParameter>& fund);
  const std::string& text(const std::string& name) const;
  int64_t number(const std::string& name) const;
  const std::vector<std::string>& list(const std::string& name) const;
  bool in_list(const std::string& name, const std::string& value) const;
  // Fills a comment template; unknown codes give an empty comment.
  std::string comment(const std::string& code, const std::string& language,
                      const std::map<std::string, std::string>& facts) const;

 private:
  void set(const std::string& name, const std::string& value);
  std::map<std::string, std::string> params_;
  std::map<std::string, std::vector<std::string>> lists_;  // params_ split on ';', once
  std::map<std::string, std::string> comments_;  // code + "/" + lang
};

// One code given to one record, with the facts that made the rule fire.
struct Verdict {
  std::string code;
  char type = 'R';
  std::string rule;            // family that gave it
  std::map<std::string, std::string> facts;
  std::string comment;         // zone 149 text in the provider's language
};

// What a family noted about a line (for `mutua explain`); collected only when tracing.
struct TraceNote {
  size_t record = 0;
  std::string rule;
  std::string note;
};

struct Verdicts {
  std::vector<std::vector<Verdict>> by_record;  // index = record index
  std::vector<TraceNote> trace;
  bool tracing = false;
  std::string language = "fr";
  const RuleData* data = nullptr;

  void add(size_t record, std::string code, std::string rule, std::map<std::string, std::string> facts = {});
  bool has(size_t record, std::string_view code) const;
  // The facts of a code given to a record (nullptr when it was not given).
  const std::map<std::string, std::string>* facts(size_t record, std::string_view code) const;
  // Takes back a code given to a record (one rule's finding folded into another's).
  void remove(size_t record, std::string_view code);
  // Rejected: a B, F or R code other than 500434 (pending).
  bool rejected(size_t record) const;
  bool pending(size_t record) const;  // 500434
  void note(size_t record, std::string rule, std::string text) {
    if (tracing) trace.push_back({record, std::move(rule), std::move(text)});
  }
};

// A note for `mutua explain`: its text is only built when tracing (notes are formatted on
// every line otherwise, a third of the engine's time).
#define MUTUA_NOTE(verdicts, ...)                            \
  do {                                                       \
    if ((verdicts).tracing) (verdicts).note(__VA_ARGS__);    \
  } while (0)

// One patient's lines in this envoi and what the fund knows about them.
struct Patient {
  std::string niss;
  const model::PatientFacts* facts = nullptr;  // nullptr: unknown to the fund
  std::vector<size_t> lines;                   // indexes in Envoi::lines, in file order
  const std::vector<model::HistoryLine>* history = nullptr;  // accepted earlier, may be null
};

struct Context {
  const Envoi& envoi;
  const model::RefIndex& ref;
  const RuleData& data;
  Verdicts& verdicts;
  Date today = 0;
  // Lines whose invoice carries a valid payment commitment (filled by the insurability family).
  std::vector<bool> committed;
};

// A rule family: runs once per patient (the rules that need no patient run on the envoi).
class LineRules {
 public:
  virtual ~LineRules() = default;
  virtual std::string_view name() const = 0;
  virtual void envoi(Context& ctx) { (void)ctx; }
  virtual void patient(Context& ctx, const Patient& p) { (void)ctx; (void)p; }
};

// The history codes each patient of the envoi is judged against (history_needs.cpp), in NISS
// order: what the store reads for run_rules.
std::vector<model::PatientCodes> history_needed(const Envoi& e, const model::RefIndex& ref);

// Every family in the order they run; the cascades (500118, 500119) are not among them:
// they run once after all of these.
std::vector<std::unique_ptr<LineRules>> make_line_rules();
void apply_cascades(Context& ctx, const std::vector<Patient>& patients);
// Last step: ET 30 / 40 lines get their record type's own codes in place of the ET 50 codes the
// families gave (data/rules/record-type-codes.tsv: 500420 -> 300420 / 400420...).
void apply_record_type_codes(Context& ctx);
// 500434, 300434, 400434: a line waiting for the medical advisor (not a rejection).
bool is_pending_code(std::string_view code);

// Helpers shared by families.
std::string fmt_cents(int64_t cents);                 // 1234 -> "12,34"
std::string join_list(const std::vector<std::string>& items);  // {"a", "b"} -> "a, b"
bool in_period(Date d, Date from, Date to);           // from <= d <= to (to 0 = open)
bool contains(const std::vector<std::string>& list, const std::string& value);
int64_t period_key(Date d, const std::string& period);  // same key = same day/week/month/year
// The period of a maximum or a ceiling, read once per line rather than for each line counted.
enum class Period : uint8_t { Day, Week, Month, Year };
Period period_of(std::string_view period);  // "year", "month", "week"; anything else is a day
int64_t period_key(Date d, Period period);
// Two nomenclature codes are the same. Codes have six digits: compared as such without a call
// to memcmp (the counting rules compare a line's code with each of its patient's history lines).
inline bool same_code(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  return a.size() == 6 ? std::memcmp(a.data(), b.data(), 6) == 0 : a == b;
}

}  // namespace mutua::rules
