// The fund's reference data: members and their insurability, providers, the nomenclature with
// its rule parameters, and the facts about patients the rules look up (hospital stays, care
// pathways, medical-house contracts, advisor agreements, palliative notifications, payment
// commitments, detentions). Loaded from documented CSV files (docs/refdata.md) into a store.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "mutua/tsv.h"
#include "mutua/error.h"
#include "mutua/model/envoi.h"

namespace mutua::model {

inline constexpr Date kOpenEnd = 99991231;  // an end date that is not known yet

struct Member {
  std::string niss;
  Date birth_date = 0;
  int sex = 0;                 // 1 male, 2 female
  std::string mutuality;       // mutuality of affiliation (3 digits)
  bool holder = true;          // TIT (holder) or PAC (dependant)
  Date death_date = 0;         // 0: alive, or not known to the fund
};

struct InsurabilityPeriod {
  std::string niss;
  Date start = 0, end = kOpenEnd;
  int ct1 = 0, ct2 = 0;
};

struct Provider {
  std::string inami;           // 11 digits
  std::string kind;            // nurse, gp, specialist, physio, hospital, grouping...
  std::string qualification;   // 3 digits (last three of the INAMI number for individuals)
  std::string bce;
  std::string iban_a, bic_a, iban_b, bic_b;
  bool grouping = false;       // fictitious 9... number of a grouping
  std::string member_of;       // the grouping this provider bills through, if any
  std::string language = "fr"; // fr or nl: the language of its responses
  std::string name;            // for payment files and letters (optional)
  std::vector<std::string> services;  // a hospital's service codes (ET 50 Z 13, 501320); empty = not checked
};

struct ProviderDestination {
  std::string inami;
  std::string union_code;      // federation, e.g. 300
  std::string destination;     // destination mutuality allowed in ET 20 zone 18
  bool puc = false;            // the provider's single point of contact
};

struct NomenclatureRule {
  std::string code;            // 6 digits
  Date valid_from = 0, valid_to = kOpenEnd;
  int64_t fee_cents = 0;       // insurance amount for units = 1 (0 = not checked)
  // Highest personal share per unit (ordinary / preferential CT ending in 1); -1 = not checked.
  int64_t personal_share_cents = -1, personal_share_cents_preferential = -1;
  bool needs_prescriber = false;
  char account = 'A';          // A federal, B medical council / group, C regional
  int sex = 0;                 // 0 any, 1 male only, 2 female only
  std::vector<std::string> kinds;  // provider kinds allowed (empty = any)
  int max_units = 0;           // per period, across providers and envois (0 = no limit)
  std::string max_period;      // day, week, month, year
  int renewal_days = 0;        // billed again for the patient only this many days after the last (500447; 0 = any time)
  int64_t ceiling_cents = 0;   // most the insurance pays for the code per patient and period (501942; 0 = none)
  std::string ceiling_period;  // day, week, month, year
  std::string role;            // basic_visit_1, forfait_A, multiple_visit_supplement...
  std::string sector;          // home_nursing, general_practice, physiotherapy...
  bool needs_laterality = false;
  bool needs_agreement = false;
  bool gmd = false;            // a GMD code (500433: not through eFact)
  bool ambulatory = true;      // subject to 500545 (hospital stay)
  // Billable only for a patient in a hospital stay: the invoice names the establishment of the
  // stay (ET 20 Z 15, 500455), the line its place (ET 50 Z 14, 501420) and the service the fund
  // knows from the admission (ET 50 Z 13, 501321).
  bool hospital = false;
  bool per_admission = false;  // a flat fee per admission: one day, the admission's (x0514, x0614, x0615)
  std::vector<std::string> services;  // service codes (ET 50 Z 13) the code may carry (501349; empty = any)
  std::vector<std::string> related;   // codes its related prestation (ET 50 Z 17) must be (501740 / 501753; empty = none needed)
  int64_t max_supplement_cents = -1;  // highest supplement (ET 50 Z 30) per unit (503043; -1 = not checked)
  int min_age = -1, max_age = -1;     // the patient's age in whole years on the date (500443; -1 = no limit)
  // The code's description, as the fund has it in the official languages (optional; the portal
  // shows it over the code).
  std::string label_fr, label_nl;
};

struct Cumulation {
  std::string code, other;
  std::string scope = "day";   // day (500444) or period (500445)
  int period_days = 0;         // for period: window in days around the date
};

// A rule parameter of the fund (parameters.csv) in place of the built-in value of
// data/rules/parameters.tsv (the error-rate threshold, the commitment's days, code lists...).
struct RuleParameter {
  std::string name, value;
};

// A CT1-CT2 combination the fund allows in ET 20 zone 27 (ct_codes.csv; 202703 / 202710).
struct CtCode {
  int ct1 = 0, ct2 = 0;
};

struct Prerequisite {
  std::string code, required;
  int within_days = 0;         // 0: any time before
};

struct Hospitalisation {
  std::string niss;
  std::string establishment;   // INAMI number
  std::string service;
  Date admission = 0, discharge = 0;  // discharge 0 = not known yet
  std::string kind = "hospital";      // hospital, or nursing_home (MRS/MRPA: 500424)
  int ct1 = -1, ct2 = -1;      // CT1/CT2 of the admission message (721900 / 730000); -1 = not given (500523 / 500623)
};

struct CarePathway {
  std::string niss, type;      // diabetes, renal...
  Date start = 0, end = kOpenEnd;
};

struct MedicalHouseContract {
  std::string niss, medical_house;
  Date start = 0, end = kOpenEnd;
  std::string disciplines = "MIK";  // M doctor, I nurse, K physiotherapist
};

struct Agreement {
  std::string niss, code;
  char decision = 'D';         // A accepted, N refused, D waiting information, O waiting INAMI, R no motivation
  Date request_date = 0, decision_date = 0, valid_from = 0, valid_to = kOpenEnd;
};

struct PalliativeNotification {
  std::string niss;
  Date doctor_notification = 0, nurse_notification = 0;
};

struct PaymentCommitment {     // insurability consultation 801000 -> 801900
  std::string niss, number;
  Date consulted = 0;          // valid 30 days from this date
  int ct1 = 0, ct2 = 0;
  std::string mutuality;
};

// A tariff consultation (eTar, GPs): the fund approved this insurance amount for this code on
// this date under an approval number, which the line's ET 51 zones 42-45 carry (514225).
struct TariffCommitment {
  std::string niss, number, code, provider;  // provider: 11 digits, empty = any
  Date date = 0;
  int64_t amount_cents = 0;
};

struct Detention {
  std::string niss;
  Date start = 0, end = kOpenEnd;
};

// Everything the fund knows about one patient, gathered for the rules.
struct PatientFacts {
  const Member* member = nullptr;
  std::vector<const InsurabilityPeriod*> insurability;
  std::vector<const Hospitalisation*> hospitalisations;
  std::vector<const CarePathway*> pathways;
  std::vector<const MedicalHouseContract*> medical_houses;
  std::vector<const Agreement*> agreements;
  std::vector<const PalliativeNotification*> palliative;
  std::vector<const PaymentCommitment*> commitments;
  std::vector<const Detention*> detentions;
  std::vector<const TariffCommitment*> tariff_commitments;
};

struct RefData {
  std::vector<Member> members;
  std::vector<InsurabilityPeriod> insurability;
  std::vector<Provider> providers;
  std::vector<ProviderDestination> destinations;
  std::vector<NomenclatureRule> nomenclature;
  std::vector<Cumulation> cumulations;
  std::vector<Prerequisite> prerequisites;
  std::vector<Hospitalisation> hospitalisations;
  std::vector<CarePathway> pathways;
  std::vector<MedicalHouseContract> medical_houses;
  std::vector<Agreement> agreements;
  std::vector<PalliativeNotification> palliative;
  std::vector<PaymentCommitment> commitments;
  std::vector<Detention> detentions;
  std::vector<CtCode> ct_codes;
  std::vector<TariffCommitment> tariff_commitments;
  std::vector<RuleParameter> parameters;
  // The files with at least one row in the whole fund's data (not only the patients loaded): a
  // rule on data a fund may not keep (tariff consultations) runs only where it keeps them.
  std::set<std::string> kept;
  // The shared tables as a store read them at this version of its reference data (every import
  // raises it), 0 when not read from a store: two connections' copies at one version are equal.
  int64_t version = 0;
};

// The indexes of a fund's shared tables (providers, nomenclature, destinations, cumulations,
// prerequisites, CT lists), over a RefData that must outlive them.
class SharedRefIndex {
 public:
  explicit SharedRefIndex(const RefData& shared);
  // Built once for a store's shared tables (a shared_ptr, never changed once made) and kept for
  // each envoi judged with them: rebuilt twice an envoi (its history needs, its judgement), the
  // 27k nomenclature rows and 60k destinations took 1 % of a run's CPU. The index keeps `shared`.
  static std::shared_ptr<const SharedRefIndex> of(const std::shared_ptr<const RefData>& shared);

 private:
  friend class RefIndex;
  std::shared_ptr<const RefData> keep_;  // set by of()
  std::unordered_map<std::string, const Provider*> providers_;
  std::unordered_map<std::string, std::vector<const NomenclatureRule*>> rules_;
  std::unordered_map<std::string, std::vector<const ProviderDestination*>> destinations_;
  std::unordered_map<std::string, std::vector<const Cumulation*>> cumulations_;
  std::unordered_map<std::string, std::vector<const Prerequisite*>> prerequisites_;
  std::unordered_set<int> ct1s_, ct2s_, ct_pairs_;  // pairs as ct1 * 1000 + ct2
};

// Indexes over a RefData (which must outlive it): by NISS, INAMI number and code.
class RefIndex {
 public:
  explicit RefIndex(const RefData& data) : RefIndex(data, data) {}
  // Patients from `patients`, providers, nomenclature, cumulations and prerequisites from
  // `shared` (both must outlive the index).
  RefIndex(const RefData& patients, const RefData& shared);
  // The same, the shared tables' indexes those kept for `shared` (SharedRefIndex::of).
  RefIndex(const RefData& patients, const std::shared_ptr<const RefData>& shared);
  const PatientFacts* patient(const std::string& niss) const;
  const Provider* provider(const std::string& inami) const;
  // The rule of a code in force at a date (nullptr when unknown or not valid then).
  const NomenclatureRule* rule(const std::string& code, Date date) const;
  bool code_known(const std::string& code) const { return shared_index_->rules_.count(code) > 0; }
  const std::vector<const ProviderDestination*>& destinations(const std::string& inami) const;
  const std::vector<const Cumulation*>& cumulations(const std::string& code) const;
  const std::vector<const Prerequisite*>& prerequisites(const std::string& code) const;
  // ET 20 zone 27 against the fund's CT1-CT2 list: Allowed (or no list given), a CT1 or CT2 the
  // list does not have (202703), or two known codes the list does not combine (202710).
  enum class CtVerdict { Allowed, UnknownCode, UnknownCombination };
  CtVerdict ct_check(int ct1, int ct2) const;
  // The fund keeps this reference file (it has rows), as `shared` says.
  bool keeps(const std::string& file) const { return shared_.kept.count(file) > 0; }
  const RefData& data() const { return data_; }
  const RefData& shared() const { return shared_; }

 private:
  void index_patients();
  PatientFacts& facts_of(std::string_view niss);  // found, or added
  const RefData& data_;
  const RefData& shared_;
  // The patients' facts by NISS, open addressing on the NISS's hash (its high half kept as a tag,
  // the key a view into data_): looked up several times a line, a node-based map keyed by strings
  // missed the cache at its bucket, its node and its key (2.6 % of a run's CPU on bench/peer).
  struct PatientSlot {
    uint32_t tag = 0;
    uint32_t index = 0;  // into patient_facts_, + 1; 0: empty
  };
  std::vector<PatientSlot> patient_slots_;  // a power of two, at most half full
  std::vector<std::string_view> patient_keys_;
  std::vector<PatientFacts> patient_facts_;
  std::shared_ptr<const SharedRefIndex> shared_index_;
};

// The reference files as tables of text, by file name ("members.csv"): what a store keeps.
using RefTables = std::map<std::string, format::Table>;

// Reads the reference CSV files of a directory (docs/refdata.md), without judging them.
Result<RefTables> read_refdata_dir(const std::string& dir);
// Parses and checks tables. Every bad cell is reported with file, line and column; nothing is
// returned when any row is bad, so a caller never imports half a directory.
Result<RefData> parse_refdata(const RefTables& tables, const std::string& origin, std::vector<Error>& problems);
// Both.
Result<RefData> load_refdata_dir(const std::string& dir, std::vector<Error>& problems);

// True for the files of one patient each row (first column niss): members, insurability...
bool is_patient_file(const std::string& file);

// The built-in rule parameters (data/rules/parameters.tsv), by name.
const std::map<std::string, std::string>& builtin_rule_parameters();

// The value of a rule parameter: the fund's (parameters.csv) or the built-in one
// (data/rules/parameters.tsv); empty for a name neither has.
std::string rule_parameter(const RefData& shared, const std::string& name);
// The same for a whole-number parameter (error_rate_threshold_bp, commitment_valid_days...).
int64_t rule_parameter_number(const RefData& shared, const std::string& name);

// A nomenclature code's description: the fund's own (nomenclature.csv label_fr / label_nl, from
// its latest row that has one), else, for English and when the fund has none, mutua's paraphrase
// of the codes it knows (data/nomenclature/sample.csv). `lang` is the one of the text given
// ("" with the text when there is none).
struct CodeLabel {
  std::string text, lang;
};
CodeLabel code_label(const RefData& shared, const std::string& code, const std::string& lang);

// Names of the files load_refdata_dir reads, in order.
const std::vector<std::string>& refdata_files();

}  // namespace mutua::model
