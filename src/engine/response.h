// Writes the fund's answers in the billing-file format (FORMAT.md §3) and as JSON.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "mutua/model/envoi.h"
#include "rules/lines/adjudication.h"

namespace mutua::engine {

// Per record: amounts accepted / refused (cents), for zone 114 / 115 and the totals.
struct Amounts {
  std::vector<int64_t> accepted, refused;
};

struct ResponseInput {
  const rules::Envoi* envoi = nullptr;
  const rules::Verdicts* verdicts = nullptr;
  const Amounts* amounts = nullptr;
  std::string message;          // 920900, 920099, 920098
  std::string types;            // type letters listed on records (920900: BFRS; 920098: E...)
  model::Date today = 0;
  int64_t error_rate_bp = 0;
  int refusal_type = 0;         // segment 300 zone 311: 0 none, 1 blocking error, 2 error rate
  std::string language = "fr";
};

// 920900 / 920099 / 920098: 200 + 300 (610) + every record with its 450-character block;
// 920900 ends with ET 91 per mutuality and ET 92 instead of ET 95 / 96.
std::string write_detail_response(const ResponseInput& in);
// A zone of the envelope found wrong, for the 920999: the record (index in the envoi, SIZE_MAX
// for segments 200 / 300), the zone, and its two-digit code (data/codes/zone-error-codes.tsv:
// 10 empty, 11 format, 20 value not allowed, 40 on zone 301 a sending number used twice).
struct EnvelopeMark {
  size_t record = SIZE_MAX;
  std::string zone;
  std::string code;
};
// The two-digit code of a preliminary finding: its value empty, its format, or its value.
std::string envelope_code(std::string_view finding_code, std::string_view value);
// 920999 as funds send it: segment 200 (status 40), segment 300 (160) and one ET 96, the file's
// totals as received, with the two-digit codes in the error zones of the zones found wrong (an
// ET 95's zone is marked on the ET 96's zone of the same meaning).
std::string write_refusal(const rules::Envoi& envoi, const std::vector<EnvelopeMark>& marks);

// The JSON form of a response: every record with all its codes, labels, comments and facts.
std::string response_json(const ResponseInput& in, const std::vector<std::string>& summary);

// Gives the responses' large strings back for the next envoi's (a batch does, once delivered):
// a 100k-line envoi's 920900 is 157 MB, whose huge pages were otherwise faulted in and zeroed
// afresh for every envoi. The responses are left empty.
void recycle_responses(std::vector<model::StoredResponse>& responses);

// ASCII form of a comment for the fixed-width file (accents dropped: one byte per character).
std::string ascii(std::string_view utf8);

}  // namespace mutua::engine
