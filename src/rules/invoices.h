#pragma once
#include <string>
#include <deque>
#include <vector>

#include "rules/file_rule.h"
#include "rules/period.h"

namespace mutua::rules {

// Invoice-level consistency that needs no fund data: ascending destination mutuality
// (201812), unique individual invoice numbers (202420), credit notes all negative (201140),
// zones that must repeat another record's zone (the xxxx12 codes) and dates that may not fall
// before the admission or after the discharge or billing date of their invoice (data/rules/zone-links.tsv).
class InvoiceRule : public FileRule {
 public:
  InvoiceRule();
  void record(const RecordView& rec, Findings& out) override;
  void end(Findings& out) override;

 private:
  // How the zone must compare with the other record's: repeat it, or (dates) not fall
  // before / after it; `unless_zone` holding `unless_value` exempts the record.
  enum class Relation { Same, NotBefore, NotAfter };
  struct Link {
    std::string code;
    const Zone* zone;
    RecordKind other_kind;
    const Zone* other;
    Relation relation = Relation::Same;
    const Zone* unless_zone = nullptr;
    std::string unless_value;
    PeriodLimit period;
  };
  std::vector<Link> links_[kRecordKindCount];
  std::string last_et10_, last_et20_, last_et50_;
  EnvoiPeriod period_;  // of the envoi's ET 10
  Finding niss_finding_;     // 200812 at the current invoice's ET 20
  // Zones of the detail records (ET 30, 40, 50), resolved once.
  struct DetailZones {
    const Zone *account, *billing, *units, *amount, *first;
  };
  DetailZones detail_[3];
  bool account_a_only_ = false;  // ET 10 zone 3 (code indice) = 0
  char invoice_type_ = ' ';      // ET 20 zone 10 of the current invoice
  bool ct2_900_ = false;         // its CT2 (ET 20 zone 27) is 900 or 901
  bool niss_varies_ = false;
  std::string last_destination_;
  // One per invoice for 202420, kept until the end of the file: packed in 16 bytes
  // (12-digit number < 2^40, record < 2^40, byte position < 2^48) and stored in a deque so
  // a large file's memory grows by chunks, never by a doubling copy.
  struct Number {
    uint64_t value : 40;
    uint64_t record_high : 24;
    uint64_t position : 48;
    uint64_t record_low : 16;
    uint64_t record() const { return (uint64_t{record_high} << 16) | record_low; }
  };
  static_assert(sizeof(Number) == 16);
  std::deque<Number> invoice_numbers_;
  bool credit_note_ = false;
  bool credit_reported_ = false;
  Finding credit_template_;
};

}  // namespace mutua::rules
