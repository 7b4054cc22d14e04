// The billing concepts of an envoi (sending): its header, invoices (one patient each) and
// prestations (billed acts). Values as the file carries them; money in integer cents.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace mutua::model {

// A date as YYYYMMDD; 0 when absent.
using Date = uint32_t;

struct Prestation {
  std::string nomenclature;   // 6 digits (written on 7 positions)
  // The detail record: 50 (a prestation), 30 (hospital days and flat fees: zone 22 is a number
  // of days), 40 (pharmaceutical supplies). An invoice lists its 30s, then 40s, then 50s.
  int record_type = 50;
  Date first_date = 0;
  Date last_date = 0;
  int norm = 0;               // ET 50 zone 3: service norm (9 = statistical record)
  int account = 0;            // 0 = account A, 1 = account B
  int urgency = 0;            // night / weekend / holiday
  std::string service_code = "990";
  std::string place;          // INAMI number of the place of service, may be empty
  std::string provider;       // INAMI number (11 digits)
  int provider_norm = 1;
  std::string related_code;   // relative prestation
  int64_t amount = 0;         // insurance reimbursement, cents
  Date prescription_date = 0;
  int units = 1;
  int identical_flag = 0;     // zone 23: derogation / 2nd identical prestation of the day
  std::string prescriber;     // INAMI number, may be empty
  int prescriber_norm = 0;
  int64_t personal_share = 0; // cents
  std::string reference;      // the provider's own line reference (zone 28)
  int64_t supplement = 0;     // cents
  int tp_exception = 0;       // third-party-payer exception (zone 32)
  int social_category = 0;    // zone 33 (9 = detained / interned)
  int laterality = 0;         // treated member (zone 34)
  int time_hhmm = 0;
  std::string gmd_holder;     // zone 49 (auxiliary provider / GMD holder)
  // ET 51 (tariff / payment commitment) and ET 52 (eID reading) attached to this line.
  bool has_commitment = false;
  std::string commitment_number;
  Date commitment_date = 0;
  bool has_eid = false;
  Date eid_read_date = 0;
  int eid_time_hhmm = 0;
};

struct Invoice {
  std::string affiliation;    // mutuality of affiliation (3 digits)
  std::string niss;           // 11 digits
  int sex = 1;
  int invoice_type = 3;       // 1 hospitalised, 3 ambulatory
  int billing_type = 0;       // 0 normal, 1 corrective, 3 credit note
  std::string provider;       // billing provider / institution (INAMI number)
  std::string stay_institution;
  std::string service;        // ET 20 / 80 zone 13: the service (document 721bis), 3 digits; empty = 000
  std::string destination;    // destination mutuality (the provider's PUC)
  uint64_t number = 0;        // individual invoice number
  int ct1 = 110, ct2 = 110;
  std::string reference;
  Date billing_date = 0;
  int limitation_waiver = 0;  // ET 20 zone 16: the limitation period (two years) is lifted for this invoice
  // Payment commitment of an insurability consultation (zones 42-45 part A = 2, 53-58).
  std::string commitment;     // empty when none
  Date insurability_start = 0, insurability_end = 0, commitment_date = 0;
  // Corrections: previous invoice / sending.
  uint64_t previous_invoice = 0;
  int previous_sending = 0;
  std::string previous_mutuality;
  int previous_year_month = 0;
  // The fund's references for accounts A and B (zones 38, 49), which a corrective invoice repeats.
  std::string fund_reference_a, fund_reference_b;
  Date admission_date = 0, discharge_date = 0;
  uint64_t admission_number = 0;  // ET 20 zone 19: the hospital's number of the stay
  std::vector<Prestation> lines;
};

struct EnvoiHeader {
  int sending_number = 1;     // 1..999, unique per provider and year
  std::string third_party;    // INAMI number of the billing provider / grouping (11 digits)
  int year = 0, month = 0;    // billed month
  Date created = 0;           // creation date
  std::string bce;            // enterprise number (10 digits), may be empty
  std::string iban_a, bic_a, iban_b, bic_b;
  std::string reference;
  bool test = false;          // test file: message type 92, version 9991999
  std::string federation;     // destination union, e.g. "300"
  std::string contact_last = "MUTUA", contact_first = "GENERATOR";
  int invoice_type = 3;       // segment 300 zone 308: 01 hospitalised / 03 ambulatory / 09 mixed
};

}  // namespace mutua::model
