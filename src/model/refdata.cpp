#include "mutua/model/refdata.h"

#include <charconv>
#include <mutex>
#include <set>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include <fmt/format.h>

#include "format/embedded.h"
#include "mutua/tsv.h"
#include "format/utf8.h"
#include "mutua/model/dates.h"

namespace mutua::model {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------
// Index

SharedRefIndex::SharedRefIndex(const RefData& shared) {
  providers_.reserve(shared.providers.size());
  rules_.reserve(shared.nomenclature.size());
  for (const auto& p : shared.providers) providers_[p.inami] = &p;
  for (const auto& r : shared.nomenclature) rules_[r.code].push_back(&r);
  for (const auto& x : shared.destinations) destinations_[x.inami].push_back(&x);
  for (const auto& x : shared.cumulations) cumulations_[x.code].push_back(&x);
  for (const auto& x : shared.prerequisites) prerequisites_[x.code].push_back(&x);
  for (const auto& x : shared.ct_codes) {
    ct1s_.insert(x.ct1);
    ct2s_.insert(x.ct2);
    ct_pairs_.insert(x.ct1 * 1000 + x.ct2);
  }
}

std::shared_ptr<const SharedRefIndex> SharedRefIndex::of(const std::shared_ptr<const RefData>& shared) {
  // The last one made, for the RefData it was made for: the same control block (a weak pointer
  // keeps it, so no other RefData can take it over). A batch judges with one at a time.
  static std::mutex mutex;
  static std::weak_ptr<const RefData> made_for;
  static std::shared_ptr<const SharedRefIndex> made;
  std::lock_guard lock(mutex);
  if (made && !made_for.owner_before(shared) && !shared.owner_before(made_for) && !made_for.expired()) return made;
  auto index = std::make_shared<SharedRefIndex>(*shared);
  index->keep_ = shared;
  made_for = shared;
  made = index;
  return index;
}

RefIndex::RefIndex(const RefData& d, const RefData& shared)
    : data_(d), shared_(shared), shared_index_(std::make_shared<const SharedRefIndex>(shared)) {
  index_patients();
}

RefIndex::RefIndex(const RefData& d, const std::shared_ptr<const RefData>& shared)
    : data_(d), shared_(*shared), shared_index_(SharedRefIndex::of(shared)) {
  index_patients();
}

namespace {
uint64_t niss_hash(std::string_view niss) { return std::hash<std::string_view>{}(niss); }
}  // namespace

void RefIndex::index_patients() {
  const RefData& d = data_;
  size_t slots = 16;
  while (slots < d.members.size() * 2) slots *= 2;
  patient_slots_.assign(slots, PatientSlot{});
  patient_keys_.reserve(d.members.size());
  patient_facts_.reserve(d.members.size());
  for (const auto& m : d.members) facts_of(m.niss).member = &m;
  for (const auto& x : d.insurability) facts_of(x.niss).insurability.push_back(&x);
  for (const auto& x : d.hospitalisations) facts_of(x.niss).hospitalisations.push_back(&x);
  for (const auto& x : d.pathways) facts_of(x.niss).pathways.push_back(&x);
  for (const auto& x : d.medical_houses) facts_of(x.niss).medical_houses.push_back(&x);
  for (const auto& x : d.agreements) facts_of(x.niss).agreements.push_back(&x);
  for (const auto& x : d.palliative) facts_of(x.niss).palliative.push_back(&x);
  for (const auto& x : d.commitments) facts_of(x.niss).commitments.push_back(&x);
  for (const auto& x : d.detentions) facts_of(x.niss).detentions.push_back(&x);
  for (const auto& x : d.tariff_commitments) facts_of(x.niss).tariff_commitments.push_back(&x);
}

PatientFacts& RefIndex::facts_of(std::string_view niss) {
  if ((patient_facts_.size() + 1) * 2 > patient_slots_.size()) {
    // Rows of patients who are not members: twice the slots, every key placed again.
    std::vector<PatientSlot> grown(patient_slots_.size() * 2);
    const size_t mask = grown.size() - 1;
    for (size_t i = 0; i < patient_keys_.size(); ++i) {
      const uint64_t h = niss_hash(patient_keys_[i]);
      size_t at = h & mask;
      while (grown[at].index) at = (at + 1) & mask;
      grown[at] = {static_cast<uint32_t>(h >> 32), static_cast<uint32_t>(i + 1)};
    }
    patient_slots_ = std::move(grown);
  }
  const uint64_t h = niss_hash(niss);
  const auto tag = static_cast<uint32_t>(h >> 32);
  const size_t mask = patient_slots_.size() - 1;
  size_t at = h & mask;
  for (; patient_slots_[at].index; at = (at + 1) & mask) {
    const PatientSlot& s = patient_slots_[at];
    if (s.tag == tag && patient_keys_[s.index - 1] == niss) return patient_facts_[s.index - 1];
  }
  patient_keys_.push_back(niss);
  patient_facts_.emplace_back();
  patient_slots_[at] = {tag, static_cast<uint32_t>(patient_facts_.size())};
  return patient_facts_.back();
}

RefIndex::CtVerdict RefIndex::ct_check(int ct1, int ct2) const {
  const SharedRefIndex& s = *shared_index_;
  if (s.ct_pairs_.empty() || s.ct_pairs_.count(ct1 * 1000 + ct2)) return CtVerdict::Allowed;
  if (!s.ct1s_.count(ct1) || !s.ct2s_.count(ct2)) return CtVerdict::UnknownCode;
  return CtVerdict::UnknownCombination;
}

const PatientFacts* RefIndex::patient(const std::string& niss) const {
  if (patient_slots_.empty()) return nullptr;
  const uint64_t h = niss_hash(niss);
  const auto tag = static_cast<uint32_t>(h >> 32);
  const size_t mask = patient_slots_.size() - 1;
  for (size_t at = h & mask; patient_slots_[at].index; at = (at + 1) & mask) {
    const PatientSlot& s = patient_slots_[at];
    if (s.tag == tag && patient_keys_[s.index - 1] == niss) return &patient_facts_[s.index - 1];
  }
  return nullptr;
}

const Provider* RefIndex::provider(const std::string& inami) const {
  auto it = shared_index_->providers_.find(inami);
  return it == shared_index_->providers_.end() ? nullptr : it->second;
}

const NomenclatureRule* RefIndex::rule(const std::string& code, Date date) const {
  auto it = shared_index_->rules_.find(code);
  if (it == shared_index_->rules_.end()) return nullptr;
  for (const auto* r : it->second)
    if (r->valid_from <= date && date <= r->valid_to) return r;
  return nullptr;
}

namespace {
template <class T>
const std::vector<const T*>& lookup(const std::unordered_map<std::string, std::vector<const T*>>& m,
                                    const std::string& key) {
  static const std::vector<const T*> none;
  auto it = m.find(key);
  return it == m.end() ? none : it->second;
}
}  // namespace

const std::vector<const ProviderDestination*>& RefIndex::destinations(const std::string& inami) const {
  return lookup(shared_index_->destinations_, inami);
}
const std::vector<const Cumulation*>& RefIndex::cumulations(const std::string& code) const {
  return lookup(shared_index_->cumulations_, code);
}
const std::vector<const Prerequisite*>& RefIndex::prerequisites(const std::string& code) const {
  return lookup(shared_index_->prerequisites_, code);
}

// ---------------------------------------------------------------------------------------
// CSV loading

namespace {

// The first bytes of `s`, at most `max`, not cutting a UTF-8 character.
std::string utf8_prefix(std::string_view s, size_t max) {
  size_t n = std::min(max, s.size());
  while (n > 0 && n < s.size() && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return std::string(s.substr(0, n));
}

// Reads typed values from one row, reporting each bad cell with file, line and column.
class Row {
 public:
  Row(const format::Table& t, size_t i, const std::string& file, std::vector<Error>& problems)
      : t_(t), i_(i), file_(file), problems_(problems) {}

  bool ok() const { return ok_; }

  std::string text(const char* col, bool required = false) {
    int c = t_.column(col);
    std::string v = c >= 0 && static_cast<size_t>(c) < t_.rows[i_].size() ? t_.rows[i_][c] : std::string();
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.pop_back();
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.erase(v.begin());
    if (required && v.empty()) bad(col, v, "a value");
    if (!format::valid_utf8(v)) {
      bad(col, std::string(), "text in UTF-8 (the file holds bytes that are not: save it as UTF-8)");
      return std::string();
    }
    return v;
  }
  std::string digits(const char* col, size_t len, bool required = true) {
    std::string v = text(col, required);
    if (v.empty()) return v;
    if (v.size() != len || v.find_first_not_of("0123456789") != std::string::npos)
      bad(col, v, fmt::format("{} digits", len));
    return v;
  }
  Date date(const char* col, bool required, Date if_empty = 0) {
    std::string v = text(col, required);
    if (v.empty()) return if_empty;
    Date d = parse_iso_date(v);
    if (!d) bad(col, v, "a date YYYY-MM-DD");
    return d;
  }
  int64_t integer(const char* col, bool required, int64_t if_empty = 0, int64_t min = INT64_MIN,
                  int64_t max = INT64_MAX) {
    std::string v = text(col, required);
    if (v.empty()) return if_empty;
    size_t used = 0;
    int64_t x = 0;
    try {
      x = std::stoll(v, &used);
    } catch (...) {
      used = 0;
    }
    if (used != v.size() || x < min || x > max) {
      bad(col, v, fmt::format("a whole number from {} to {}", min, max));
      return if_empty;
    }
    return x;
  }
  bool flag(const char* col) {
    std::string v = text(col);
    if (v.empty() || v == "0" || v == "no" || v == "false") return false;
    if (v == "1" || v == "yes" || v == "true") return true;
    bad(col, v, "0 or 1");
    return false;
  }
  std::string one_of(const char* col, std::initializer_list<const char*> allowed, bool required,
                     const char* if_empty = "") {
    std::string v = text(col, required);
    if (v.empty()) return if_empty;
    for (const char* a : allowed)
      if (v == a) return v;
    std::string list;
    for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    bad(col, v, "one of " + list);
    return v;
  }
  // A value that reads but breaks a rule of its file.
  void reject(const char* col, const std::string& value, const std::string& expected) { bad(col, value, expected); }
  void period(const char* from_col, Date from, const char* to_col, Date to) {
    if (from && to && to < from) bad(to_col, iso(to), fmt::format("a date on or after {} ({})", from_col, iso(from)));
  }

 private:
  void bad(const char* col, const std::string& value, const std::string& expected) {
    ok_ = false;
    int c = t_.column(col);
    // A cell of 200 MB is not echoed whole: its start and its size say enough.
    const std::string shown = value.size() <= 80 ? value : fmt::format("{}... ({} bytes)", utf8_prefix(value, 60), value.size());
    problems_.push_back({.code = "Z00101",
                         .message = fmt::format("column {} ({}): '{}', expected {}", c + 1, col, shown, expected),
                         .file = file_,
                         .record = t_.line_numbers[i_],
                         .zone = col});
  }
  const format::Table& t_;
  size_t i_;
  const std::string& file_;
  std::vector<Error>& problems_;
  bool ok_ = true;
};

struct FileSpec {
  std::string name;
  std::vector<const char*> required_columns;
  std::function<void(Row&)> read;  // reads one row; the row is kept only when ok()
  std::vector<const char*> key = {};  // columns that identify a row: one row per key
};

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> split_list(const std::string& v) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : v) {
    if (c == ';' || c == '|') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else if (c != ' ') {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

}  // namespace

const std::vector<std::string>& refdata_files() {
  static const std::vector<std::string> names = {
      "members.csv",        "insurability.csv",  "providers.csv",      "provider_destinations.csv",
      "nomenclature.csv",   "cumulations.csv",   "prerequisites.csv",  "hospitalisations.csv",
      "care_pathways.csv",  "medical_houses.csv", "agreements.csv",    "palliative.csv",
      "commitments.csv",    "detentions.csv",    "ct_codes.csv",      "tariff_commitments.csv",
      "parameters.csv"};
  return names;
}

const std::map<std::string, std::string>& builtin_rule_parameters() {
  static const std::map<std::string, std::string> params = [] {
    std::map<std::string, std::string> out;
    auto t = format::parse_table(embedded::rule_parameters(), '\t');
    const int n = t.column("name"), v = t.column("value");
    for (const auto& row : t.rows) out[row[n]] = row[v];
    return out;
  }();
  return params;
}

// The bounds of the whole-number parameters ("0..10000" in parameters.tsv).
const std::map<std::string, std::pair<int64_t, int64_t>>& rule_parameter_bounds() {
  static const std::map<std::string, std::pair<int64_t, int64_t>> bounds = [] {
    std::map<std::string, std::pair<int64_t, int64_t>> out;
    auto t = format::parse_table(embedded::rule_parameters(), '\t');
    const int n = t.column("name"), b = t.column("bounds");
    for (const auto& row : t.rows) {
      const std::string& text = row[b];
      const size_t dots = text.find("..");
      if (dots != std::string::npos) out[row[n]] = {std::stoll(text.substr(0, dots)), std::stoll(text.substr(dots + 2))};
    }
    return out;
  }();
  return bounds;
}

std::string rule_parameter(const RefData& shared, const std::string& name) {
  for (const auto& p : shared.parameters)
    if (p.name == name) return p.value;
  auto it = builtin_rule_parameters().find(name);
  return it == builtin_rule_parameters().end() ? std::string() : it->second;
}

CodeLabel code_label(const RefData& shared, const std::string& code, const std::string& lang) {
  const NomenclatureRule* latest = nullptr;
  for (const auto& n : shared.nomenclature)
    if (n.code == code && (!n.label_fr.empty() || !n.label_nl.empty()) && (!latest || n.valid_from >= latest->valid_from))
      latest = &n;
  static const std::map<std::string, std::string> english = [] {
    std::map<std::string, std::string> out;
    auto t = format::parse_table(embedded::nomenclature_sample(), ',');
    const int c = t.column("code"), l = t.column("label_en");
    if (c >= 0 && l >= 0)
      for (const auto& row : t.rows) out[row[c]] = row[l];
    return out;
  }();
  const auto known = english.find(code);
  if (lang == "en" && known != english.end()) return {known->second, "en"};
  if (latest) {
    if (lang == "nl" && !latest->label_nl.empty()) return {latest->label_nl, "nl"};
    if (!latest->label_fr.empty()) return {latest->label_fr, "fr"};
    return {latest->label_nl, "nl"};
  }
  if (known != english.end()) return {known->second, "en"};
  return {};
}

int64_t rule_parameter_number(const RefData& shared, const std::string& name) {
  // Checked against its bounds at import; the built-in value when a store of an older mutua
  // holds something else.
  for (const std::string& v : {rule_parameter(shared, name), builtin_rule_parameters().at(name)}) {
    int64_t out = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec == std::errc() && end == v.data() + v.size()) return out;
  }
  return 0;
}

bool is_patient_file(const std::string& file) {
  static const std::set<std::string> patient = {"members.csv",        "insurability.csv", "hospitalisations.csv",
                                                "care_pathways.csv",  "medical_houses.csv", "agreements.csv",
                                                "palliative.csv",     "commitments.csv",  "detentions.csv",
                                                "tariff_commitments.csv"};
  return patient.count(file) > 0;
}

Result<RefData> parse_refdata(const RefTables& tables, const std::string& origin, std::vector<Error>& problems) {
  RefData d;
  const size_t before = problems.size();
  std::vector<FileSpec> specs = {
      {"members.csv", {"niss", "sex", "mutuality"}, [&](Row& r) {
         Member m;
         m.niss = r.digits("niss", 11);
         m.birth_date = r.date("birth_date", false);
         m.sex = static_cast<int>(r.integer("sex", true, 0, 1, 2));
         m.mutuality = r.digits("mutuality", 3);
         m.holder = r.one_of("holder", {"TIT", "PAC"}, false, "TIT") == "TIT";
         m.death_date = r.date("death_date", false);
         if (m.birth_date && m.death_date && m.death_date < m.birth_date)
           r.reject("death_date", iso(m.death_date), fmt::format("a date on or after birth_date ({})", iso(m.birth_date)));
         if (r.ok()) d.members.push_back(std::move(m));
       }, {"niss"}},
      {"insurability.csv", {"niss", "start", "ct1", "ct2"}, [&](Row& r) {
         InsurabilityPeriod p;
         p.niss = r.digits("niss", 11);
         p.start = r.date("start", true);
         p.end = r.date("end", false, kOpenEnd);
         r.period("start", p.start, "end", p.end);
         p.ct1 = static_cast<int>(r.integer("ct1", true, 0, 0, 999));
         p.ct2 = static_cast<int>(r.integer("ct2", true, 0, 0, 999));
         if (r.ok()) d.insurability.push_back(std::move(p));
       }},
      {"providers.csv", {"inami"}, [&](Row& r) {
         Provider p;
         p.inami = r.digits("inami", 11);
         p.kind = r.text("kind");
         p.qualification = r.text("qualification");
         if (p.qualification.empty() && p.inami.size() == 11) p.qualification = p.inami.substr(8);
         p.bce = r.text("bce");
         p.iban_a = r.text("iban_a");
         p.bic_a = r.text("bic_a");
         p.iban_b = r.text("iban_b");
         p.bic_b = r.text("bic_b");
         p.member_of = r.text("grouping");
         if (!p.member_of.empty()) p.member_of = r.digits("grouping", 11);
         p.grouping = !p.inami.empty() && p.inami[0] == '9';
         p.language = r.one_of("language", {"fr", "nl"}, false, "fr");
         p.name = r.text("name");
         p.services = split_list(r.text("services"));
         for (const auto& sv : p.services)
           if (sv.size() != 3 || sv.find_first_not_of("0123456789") != std::string::npos)
             r.reject("services", sv, "service codes of 3 digits separated by ';'");
         if (r.ok()) d.providers.push_back(std::move(p));
       }, {"inami"}},
      {"provider_destinations.csv", {"inami", "destination"}, [&](Row& r) {
         ProviderDestination x;
         x.inami = r.digits("inami", 11);
         x.union_code = r.text("union");
         x.destination = r.digits("destination", 3);
         x.puc = r.flag("puc");
         if (r.ok()) d.destinations.push_back(std::move(x));
       }, {"inami", "destination"}},
      {"nomenclature.csv", {"code"}, [&](Row& r) {
         NomenclatureRule n;
         n.code = r.digits("code", 6);
         n.fee_cents = r.integer("fee_cents", false, 0, 0);
         n.personal_share_cents = r.integer("personal_share_cents", false, -1, 0);
         n.personal_share_cents_preferential =
             r.integer("personal_share_cents_preferential", false, n.personal_share_cents, 0);
         n.needs_prescriber = r.flag("prescriber");
         n.valid_from = r.date("valid_from", false, 0);
         n.valid_to = r.date("valid_to", false, kOpenEnd);
         r.period("valid_from", n.valid_from, "valid_to", n.valid_to);
         n.account = r.one_of("account", {"A", "B", "C"}, false, "A")[0];
         std::string sex = r.one_of("sex", {"0", "1", "2"}, false, "0");
         n.sex = sex[0] - '0';
         n.kinds = split_list(r.text("kinds"));
         n.max_units = static_cast<int>(r.integer("max_units", false, 0, 0, 9999));
         n.max_period = r.one_of("max_period", {"day", "week", "month", "year"}, n.max_units > 0, "day");
         n.renewal_days = static_cast<int>(r.integer("renewal_days", false, 0, 0, 36500));
         n.ceiling_cents = r.integer("ceiling_cents", false, 0, 0);
         n.ceiling_period = r.one_of("ceiling_period", {"day", "week", "month", "year"}, false, "year");
         n.role = r.text("role");
         n.sector = r.text("sector");
         n.needs_laterality = r.flag("laterality");
         n.needs_agreement = r.flag("agreement");
         n.gmd = r.flag("gmd");
         std::string amb = r.text("ambulatory");
         n.ambulatory = amb.empty() || amb == "1" || amb == "yes";
         n.hospital = r.flag("hospital");
         n.per_admission = r.flag("per_admission");
         n.services = split_list(r.text("services"));
         for (const auto& sv : n.services)
           if (sv.size() != 3 || sv.find_first_not_of("0123456789") != std::string::npos)
             r.reject("services", sv, "service codes of 3 digits separated by ';'");
         n.related = split_list(r.text("related"));
         for (const auto& c : n.related)
           if (c.size() != 6 || c.find_first_not_of("0123456789") != std::string::npos)
             r.reject("related", c, "nomenclature codes of 6 digits separated by ';'");
         n.max_supplement_cents = r.integer("max_supplement_cents", false, -1, 0);
         n.min_age = static_cast<int>(r.integer("min_age", false, -1, 0, 150));
         n.max_age = static_cast<int>(r.integer("max_age", false, -1, 0, 150));
         n.label_fr = r.text("label_fr");
         n.label_nl = r.text("label_nl");
         if (n.min_age >= 0 && n.max_age >= 0 && n.max_age < n.min_age)
           r.reject("max_age", std::to_string(n.max_age), fmt::format("an age of at least min_age ({})", n.min_age));
         if (r.ok()) d.nomenclature.push_back(std::move(n));
       }, {"code", "valid_from"}},
      {"cumulations.csv", {"code", "other"}, [&](Row& r) {
         Cumulation c;
         c.code = r.digits("code", 6);
         c.other = r.digits("other", 6);
         c.scope = r.one_of("scope", {"day", "period"}, false, "day");
         c.period_days = static_cast<int>(r.integer("period_days", c.scope == "period", 0, 1, 3660));
         if (r.ok()) d.cumulations.push_back(std::move(c));
       }},
      {"prerequisites.csv", {"code", "required"}, [&](Row& r) {
         Prerequisite p;
         p.code = r.digits("code", 6);
         p.required = r.digits("required", 6);
         p.within_days = static_cast<int>(r.integer("within_days", false, 0, 0, 3660));
         if (r.ok()) d.prerequisites.push_back(std::move(p));
       }},
      {"hospitalisations.csv", {"niss", "admission"}, [&](Row& r) {
         Hospitalisation h;
         h.niss = r.digits("niss", 11);
         h.establishment = r.text("establishment");
         h.service = r.text("service");
         h.admission = r.date("admission", true);
         h.discharge = r.date("discharge", false, 0);
         r.period("admission", h.admission, "discharge", h.discharge);
         h.kind = r.one_of("kind", {"hospital", "nursing_home"}, false, "hospital");
         h.ct1 = static_cast<int>(r.integer("ct1", false, -1, 0, 999));
         h.ct2 = static_cast<int>(r.integer("ct2", false, -1, 0, 999));
         if ((h.ct1 < 0) != (h.ct2 < 0)) r.reject(h.ct1 < 0 ? "ct1" : "ct2", "", "both ct1 and ct2, or neither");
         if (r.ok()) d.hospitalisations.push_back(std::move(h));
       }},
      {"care_pathways.csv", {"niss", "type", "start"}, [&](Row& r) {
         CarePathway p;
         p.niss = r.digits("niss", 11);
         p.type = r.text("type", true);
         p.start = r.date("start", true);
         p.end = r.date("end", false, kOpenEnd);
         r.period("start", p.start, "end", p.end);
         if (r.ok()) d.pathways.push_back(std::move(p));
       }},
      {"medical_houses.csv", {"niss", "medical_house", "start"}, [&](Row& r) {
         MedicalHouseContract m;
         m.niss = r.digits("niss", 11);
         m.medical_house = r.text("medical_house", true);
         m.start = r.date("start", true);
         m.end = r.date("end", false, kOpenEnd);
         r.period("start", m.start, "end", m.end);
         std::string disc = r.text("disciplines");
         if (!disc.empty()) {
           m.disciplines.clear();
           for (char c : disc)
             if (c == 'M' || c == 'I' || c == 'K') m.disciplines += c;
             else if (c != ';' && c != ' ') r.one_of("disciplines", {"M", "I", "K"}, false);
         }
         if (r.ok()) d.medical_houses.push_back(std::move(m));
       }},
      {"agreements.csv", {"niss", "code", "decision"}, [&](Row& r) {
         Agreement a;
         a.niss = r.digits("niss", 11);
         a.code = r.digits("code", 6);
         a.decision = r.one_of("decision", {"A", "N", "D", "O", "R"}, true, "D")[0];
         a.request_date = r.date("request_date", false);
         a.decision_date = r.date("decision_date", false);
         a.valid_from = r.date("valid_from", false, 0);
         a.valid_to = r.date("valid_to", false, kOpenEnd);
         r.period("valid_from", a.valid_from, "valid_to", a.valid_to);
         if (r.ok()) d.agreements.push_back(std::move(a));
       }},
      {"palliative.csv", {"niss"}, [&](Row& r) {
         PalliativeNotification p;
         p.niss = r.digits("niss", 11);
         p.doctor_notification = r.date("doctor_notification", false);
         p.nurse_notification = r.date("nurse_notification", false);
         if (r.ok()) d.palliative.push_back(std::move(p));
       }},
      {"commitments.csv", {"niss", "number", "consulted"}, [&](Row& r) {
         PaymentCommitment c;
         c.niss = r.digits("niss", 11);
         c.number = r.text("number", true);
         c.consulted = r.date("consulted", true);
         c.ct1 = static_cast<int>(r.integer("ct1", false, 0, 0, 999));
         c.ct2 = static_cast<int>(r.integer("ct2", false, 0, 0, 999));
         c.mutuality = r.text("mutuality");
         if (r.ok()) d.commitments.push_back(std::move(c));
       }, {"number"}},
      {"detentions.csv", {"niss", "start"}, [&](Row& r) {
         Detention x;
         x.niss = r.digits("niss", 11);
         x.start = r.date("start", true);
         x.end = r.date("end", false, kOpenEnd);
         r.period("start", x.start, "end", x.end);
         if (r.ok()) d.detentions.push_back(std::move(x));
       }},
      {"tariff_commitments.csv", {"niss", "number", "code", "date", "amount_cents"}, [&](Row& r) {
         TariffCommitment x;
         x.niss = r.digits("niss", 11);
         x.number = r.text("number", true);
         x.number.erase(0, x.number.find_first_not_of('0'));  // compared without zero padding
         x.code = r.digits("code", 6);
         x.date = r.date("date", true);
         x.amount_cents = r.integer("amount_cents", true, 0, 0, 100000000);
         x.provider = r.digits("provider", 11, false);
         if (r.ok()) d.tariff_commitments.push_back(std::move(x));
       }},
      {"parameters.csv", {"name", "value"}, [&](Row& r) {
         RuleParameter x;
         x.name = r.text("name", true);
         x.value = r.text("value", true);
         auto it = builtin_rule_parameters().find(x.name);
         auto bounds = rule_parameter_bounds().find(x.name);
         if (it == builtin_rule_parameters().end()) {
           r.reject("name", x.name, "a parameter of data/rules/parameters.tsv");
         } else if (bounds != rule_parameter_bounds().end()) {
           // Parsed here, once, with its bounds: the rules read it as a number and trust it.
           const int64_t value = r.integer("value", true, 0, bounds->second.first, bounds->second.second);
           if (r.ok()) x.value = std::to_string(value);
         }
         if (r.ok()) d.parameters.push_back(std::move(x));
       }, {"name"}},
      {"ct_codes.csv", {"ct1", "ct2"}, [&](Row& r) {
         CtCode x;
         x.ct1 = static_cast<int>(r.integer("ct1", true, 0, 0, 999));
         x.ct2 = static_cast<int>(r.integer("ct2", true, 0, 0, 999));
         if (r.ok()) d.ct_codes.push_back(x);
       }, {"ct1", "ct2"}},
  };

  for (auto& spec : specs) {
    auto it = tables.find(spec.name);
    if (it == tables.end()) continue;
    const format::Table& t = it->second;
    if (!t.rows.empty()) d.kept.insert(spec.name);
    std::string file = (fs::path(origin) / spec.name).string();
    bool header_ok = true;
    for (const char* col : spec.required_columns)
      if (t.column(col) < 0) {
        problems.push_back({.code = "Z00102",
                            .message = fmt::format("the header has no column '{}'", col),
                            .file = file,
                            .record = 1,
                            .zone = col});
        header_ok = false;
      }
    for (const auto& p : t.problems)
      problems.push_back({.code = "Z00101",
                          .message = fmt::format("column {}: {}", p.column, p.message),
                          .file = file,
                          .record = p.line,
                          .zone = std::to_string(p.column)});
    if (!header_ok) continue;
    // A key appears once: a second row for it would silently win over the first.
    std::vector<int> key_columns;
    for (const char* k : spec.key) key_columns.push_back(t.column(k));
    std::map<std::vector<std::string>, size_t> first_line;
    for (size_t i = 0; i < t.rows.size(); ++i) {
      Row row(t, i, file, problems);
      spec.read(row);
      if (key_columns.empty()) continue;
      std::vector<std::string> key;
      for (int c : key_columns) key.push_back(c >= 0 && static_cast<size_t>(c) < t.rows[i].size() ? t.rows[i][c] : "");
      auto [it, fresh] = first_line.emplace(std::move(key), t.line_numbers[i]);
      if (!fresh) {
        std::string names;
        for (const char* k : spec.key) names += (names.empty() ? "" : ", ") + std::string(k);
        problems.push_back({.code = "Z00101",
                            .message = fmt::format("column {} ({}): the same {} as line {}: a key appears once",
                                                   key_columns[0] + 1, spec.key[0], names, it->second),
                            .file = file,
                            .record = t.line_numbers[i],
                            .zone = spec.key[0]});
      }
    }
  }
  if (problems.size() > before)
    return fail({.code = "Z00101",
                 .message = fmt::format("{} bad value(s); nothing imported (the first: {})", problems.size() - before,
                                        problems[before].to_string()),
                 .file = origin});
  return d;
}

namespace {
// Commas, as documented; a header with semicolons and no comma (what a spreadsheet in a Belgian
// or French locale exports as "CSV") is read with semicolons.
char separator_of(std::string_view text) {
  const std::string_view header = text.substr(0, text.find('\n'));
  return header.find(',') == std::string_view::npos && header.find(';') != std::string_view::npos ? ';' : ',';
}
}  // namespace

Result<RefTables> read_refdata_dir(const std::string& dir) {
  if (!fs::is_directory(dir)) return fail({.code = "Z00100", .message = "not a directory", .file = dir});
  RefTables tables;
  for (const auto& name : refdata_files()) {
    fs::path p = fs::path(dir) / name;
    if (!fs::exists(p)) continue;
    const std::string text = read_text(p);
    tables[name] = format::parse_table(text, separator_of(text));
  }
  return tables;
}

Result<RefData> load_refdata_dir(const std::string& dir, std::vector<Error>& problems) {
  auto tables = read_refdata_dir(dir);
  if (!tables) return fail(tables.error());
  return parse_refdata(*tables, dir, problems);
}

}  // namespace mutua::model
