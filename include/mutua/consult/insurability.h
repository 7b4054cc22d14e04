// Insurability consultation (801000 -> 801900, DOMAIN.md "The billing loop" 3): is this person
// insured at this date, by which mutuality, with which holder codes CT1/CT2, as holder or
// dependant; a medical-house contract, care pathways, a hospital stay at that date; and, when
// insured, a payment commitment number valid 30 days that invoices carry (ET 20 zones 42-45).
// One at a time or a whole CSV (mass insurability).
#pragma once
#include <functional>
#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include "mutua/error.h"
#include "mutua/model/consultation.h"
#include "mutua/model/refdata.h"
#include "mutua/model/store.h"

namespace mutua::consult {

struct InsurabilityAnswer {
  model::Consultation consultation;   // niss, date, insured, mutuality, CT1/CT2, holder, commitment
  bool member = false;                // known to the fund at all
  std::string reason;                 // why X, for a person
  std::vector<model::MedicalHouseContract> medical_houses;  // in force at the date
  std::vector<model::CarePathway> pathways;                 // in force at the date
  std::vector<model::Hospitalisation> stays;                // covering the date
  bool detained = false;
  model::Date commitment_until = 0;   // last date the commitment covers
};

// What the fund's data say (no commitment yet: see consult()).
InsurabilityAnswer answer(const model::RefIndex& ref, const std::string& niss, model::Date date);

struct Request {
  std::string niss;
  model::Date date = 0;
};

// What an insurability consultation uses: the patients' data, and the consultations recorded.
struct ConsultStores {
  model::RefDataStore& refdata;
  model::ConsultationStore& consultations;
  ConsultStores(model::RefDataStore& refdata_, model::ConsultationStore& consultations_) : refdata(refdata_), consultations(consultations_) {}
  // A whole store has every role.
  ConsultStores(model::Store& s) : refdata(s), consultations(s) {}  // NOLINT(google-explicit-constructor): on purpose
};

// What the fund's data answer to these requests, read from the store (nothing recorded).
Result<std::vector<InsurabilityAnswer>> look_up(ConsultStores store, const std::vector<Request>& requests);
// Only whether each patient was a member and insured that day, and by which codes (mutuality,
// CT1 / CT2, the reason when not): the member and insurability tables alone, for lists that
// show a patient's status beside each line. Medical houses, pathways, stays and detentions
// are left empty.
Result<std::vector<InsurabilityAnswer>> look_up_status(model::RefDataStore& refdata, const std::vector<Request>& requests);
// Records the answers as consultations and fills in the commitment numbers issued for the
// insured ones; `recorded` is the day of the consultation (--today).
Result<void> record(ConsultStores store, std::vector<InsurabilityAnswer>& answers, model::Date recorded,
                    const std::string& requested_by);

// Answers and records the consultations (commitments issued for the insured ones), in batches.
// `recorded` is the day of the consultation (--today).
Result<std::vector<InsurabilityAnswer>> consult(ConsultStores store, const std::vector<Request>& requests,
                                                model::Date recorded, const std::string& requested_by);

// Mass insurability: reads `niss,date` rows (header optional, date YYYY-MM-DD or YYYYMMDD),
// writes one answer per row (docs/insurability.md). A bad row gets an answer line with its
// problem and is not consulted. Returns the number of rows answered; `problems` collects the bad ones.
Result<size_t> consult_csv(ConsultStores store, std::istream& in, std::ostream& out, model::Date recorded,
                           const std::string& requested_by, std::vector<Error>& problems,
                           const std::function<void(size_t, size_t)>& progress = {});

// The CSV header of the answers.
const char* answer_csv_header();
std::string answer_csv_row(const InsurabilityAnswer& a);

}  // namespace mutua::consult
