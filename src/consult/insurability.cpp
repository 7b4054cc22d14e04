#include "mutua/consult/insurability.h"

#include <functional>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "mutua/tsv.h"
#include "mutua/check_digits.h"
#include "mutua/model/dates.h"

namespace mutua::consult {

namespace {

constexpr size_t kBatch = 20000;     // patients read from the store at once

// A CSV text cell (quoted, and never read as a formula by a spreadsheet).
std::string field(const std::string& v) { return format::csv_text(v); }

}  // namespace

InsurabilityAnswer answer(const model::RefIndex& ref, const std::string& niss, model::Date date) {
  InsurabilityAnswer a;
  a.consultation.niss = niss;
  a.consultation.date = date;
  const model::PatientFacts* f = ref.patient(niss);
  if (!f || !f->member) {
    a.reason = "not a member of the fund";
    return a;
  }
  a.member = true;
  a.consultation.mutuality = f->member->mutuality;
  a.consultation.holder = f->member->holder;
  if (f->member->death_date && f->member->death_date <= date) {
    // No insurability, and no commitment, on or after the death (the engine: 500549).
    a.reason = "deceased on " + model::iso(f->member->death_date);
    return a;
  }
  for (const auto* p : f->insurability)
    if (p->start <= date && date <= p->end) {
      a.consultation.insured = true;
      a.consultation.ct1 = p->ct1;
      a.consultation.ct2 = p->ct2;
    }
  if (!a.consultation.insured) a.reason = "no insurability period at that date";
  for (const auto* m : f->medical_houses)
    if (m->start <= date && date <= m->end) a.medical_houses.push_back(*m);
  for (const auto* p : f->pathways)
    if (p->start <= date && date <= p->end) a.pathways.push_back(*p);
  for (const auto* h : f->hospitalisations)
    if (h->admission <= date && (h->discharge == 0 || date <= h->discharge)) a.stays.push_back(*h);
  for (const auto* d : f->detentions) a.detained = a.detained || (d->start <= date && date <= d->end);
  return a;
}

namespace {
Result<std::vector<InsurabilityAnswer>> answers_from(model::RefDataStore& refdata, const std::vector<Request>& requests,
                                                     const std::vector<std::string>& files) {
  const model::RefData no_shared;
  std::set<std::string> unique;
  for (const auto& r : requests) unique.insert(r.niss);
  auto patients = refdata.load_patient_files(std::vector<std::string>(unique.begin(), unique.end()), files);
  if (!patients) return fail(patients.error());
  model::RefIndex ref(*patients, no_shared);
  std::vector<InsurabilityAnswer> out;
  out.reserve(requests.size());
  for (const auto& r : requests) out.push_back(answer(ref, r.niss, r.date));
  return out;
}
}  // namespace

Result<std::vector<InsurabilityAnswer>> look_up(ConsultStores store, const std::vector<Request>& requests) {
  // Only what the answer tells: no shared tables, no agreements or commitments.
  static const std::vector<std::string> files = {"members.csv",        "insurability.csv", "hospitalisations.csv",
                                                 "care_pathways.csv",  "medical_houses.csv", "detentions.csv"};
  return answers_from(store.refdata, requests, files);
}

Result<std::vector<InsurabilityAnswer>> look_up_status(model::RefDataStore& refdata, const std::vector<Request>& requests) {
  static const std::vector<std::string> files = {"members.csv", "insurability.csv"};
  return answers_from(refdata, requests, files);
}

Result<void> record(ConsultStores store, std::vector<InsurabilityAnswer>& answers, model::Date recorded,
                    const std::string& requested_by) {
  std::vector<model::Consultation> rows;
  rows.reserve(answers.size());
  for (auto& a : answers) {
    a.consultation.recorded = recorded;
    a.consultation.requested_by = requested_by;
    rows.push_back(a.consultation);
  }
  auto numbers = store.consultations.record_consultations(rows);
  if (!numbers) return fail(numbers.error());
  // How long a commitment covers: the fund's parameter, as the engine reads it.
  auto shared = store.refdata.shared_refdata();
  if (!shared) return fail(shared.error());
  const int days = static_cast<int>(model::rule_parameter_number(**shared, "commitment_valid_days"));
  for (size_t i = 0; i < answers.size(); ++i) {
    auto& a = answers[i];
    a.consultation.commitment = (*numbers)[i];
    if (!a.consultation.commitment.empty()) a.commitment_until = model::add_days(a.consultation.date, days);
  }
  return {};
}

Result<std::vector<InsurabilityAnswer>> consult(ConsultStores store, const std::vector<Request>& requests,
                                                model::Date recorded, const std::string& requested_by) {
  std::vector<InsurabilityAnswer> out;
  out.reserve(requests.size());
  for (size_t from = 0; from < requests.size(); from += kBatch) {
    std::vector<Request> part(requests.begin() + static_cast<std::ptrdiff_t>(from),
                              requests.begin() + static_cast<std::ptrdiff_t>(std::min(requests.size(), from + kBatch)));
    auto answers = look_up(store, part);
    if (!answers) return fail(answers.error());
    if (auto r = record(store, *answers, recorded, requested_by); !r) return fail(r.error());
    for (auto& a : *answers) out.push_back(std::move(a));
  }
  return out;
}

const char* answer_csv_header() {
  return "niss,date,insured,mutuality,ct1,ct2,holder,medical_house,medical_house_start,medical_house_end,pathways,"
         "hospitalised,commitment,commitment_until,reason";
}

std::string answer_csv_row(const InsurabilityAnswer& a) {
  const auto& c = a.consultation;
  std::string mh, mh_start, mh_end, pathways;
  if (!a.medical_houses.empty()) {
    const auto& m = a.medical_houses.front();
    mh = m.medical_house + (m.disciplines.empty() ? "" : ":" + m.disciplines);
    mh_start = model::iso(m.start);
    mh_end = m.end == model::kOpenEnd ? "" : model::iso(m.end);
  }
  for (const auto& p : a.pathways) pathways += (pathways.empty() ? "" : ";") + p.type;
  std::string stay;
  if (!a.stays.empty()) stay = a.stays.front().kind == "nursing_home" ? "nursing_home" : "hospital";
  return fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}", c.niss, model::iso(c.date), c.insured ? "V" : "X",
                     c.mutuality, c.insured ? fmt::format("{:03d}", c.ct1) : "", c.insured ? fmt::format("{:03d}", c.ct2) : "",
                     a.member ? (c.holder ? "TIT" : "PAC") : "", mh, mh_start, mh_end, pathways, stay, c.commitment,
                     a.commitment_until ? model::iso(a.commitment_until) : "", field(a.reason));
}

Result<size_t> consult_csv(ConsultStores store, std::istream& in, std::ostream& out, model::Date recorded,
                           const std::string& requested_by, std::vector<Error>& problems,
                           const std::function<void(size_t, size_t)>& progress) {
  // Rows in order; bad ones are answered with their problem, not consulted.
  struct Row {
    size_t line = 0;
    std::string niss, date_text, problem;
    model::Date date = 0;
  };
  std::vector<Row> rows;
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (n == 1) {  // a spreadsheet's byte-order mark
      std::string_view first = line;
      format::skip_byte_order_mark(first);
      line.erase(0, line.size() - first.size());
    }
    if (line.empty()) continue;
    const size_t comma = line.find_first_of(",;");
    Row r;
    r.line = n;
    r.niss = line.substr(0, comma);
    r.date_text = comma == std::string::npos ? "" : line.substr(comma + 1);
    auto trim = [](std::string& s) {
      while (!s.empty() && (s.back() == ' ' || s.back() == '"')) s.pop_back();
      while (!s.empty() && (s.front() == ' ' || s.front() == '"')) s.erase(0, 1);
    };
    trim(r.niss);
    trim(r.date_text);
    if (n == 1 && r.niss == "niss") continue;  // header
    if (r.date_text.find(',') != std::string::npos) r.date_text = r.date_text.substr(0, r.date_text.find(','));
    r.date = model::parse_iso_date(r.date_text);
    if (r.niss.size() != 11 || check::niss(r.niss) != check::Verdict::Valid)
      r.problem = fmt::format("'{}' is not a valid NISS (11 digits, check digits)", r.niss);
    else if (!r.date || !model::valid_date(r.date))
      r.problem = fmt::format("'{}' is not a date (YYYY-MM-DD)", r.date_text);
    if (!r.problem.empty())
      problems.push_back({.code = "Z00610", .message = r.problem, .file = "", .record = n, .zone = r.niss.size() == 11 ? "date" : "niss"});
    rows.push_back(std::move(r));
  }
  std::vector<Request> requests;
  for (const auto& r : rows)
    if (r.problem.empty()) requests.push_back({r.niss, r.date});
  out << answer_csv_header() << '\n';
  std::vector<std::vector<Request>> batches;
  for (size_t from = 0; from < requests.size(); from += kBatch)
    batches.emplace_back(requests.begin() + static_cast<std::ptrdiff_t>(from),
                         requests.begin() + static_cast<std::ptrdiff_t>(std::min(requests.size(), from + kBatch)));
  size_t answered = 0, k = 0;
  for (size_t b = 0; b < batches.size() || (b == 0 && batches.empty()); ++b) {
    std::vector<InsurabilityAnswer> answers;
    if (!batches.empty()) {
      auto got = look_up(store, batches[b]);
      if (!got) return fail(got.error());
      answers = std::move(*got);
      if (auto r = record(store, answers, recorded, requested_by); !r) return fail(r.error());
    }
    // Write the rows of this batch, bad rows in their place.
    size_t used = 0;
    while (k < rows.size() && (used < answers.size() || !rows[k].problem.empty())) {
      const Row& r = rows[k++];
      if (!r.problem.empty()) {
        out << field(r.niss) << ',' << field(r.date_text) << ",,,,,,,,,,,,,"
            << field(fmt::format("line {}: {}", r.line, r.problem)) << '\n';
        continue;
      }
      out << answer_csv_row(answers[used++]) << '\n';
      ++answered;
    }
    if (progress) progress(answered, requests.size());
    if (batches.empty()) break;
  }
  return answered;
}

}  // namespace mutua::consult
