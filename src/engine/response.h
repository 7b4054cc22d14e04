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
// 920999: 200 + 300 (160) + the ET 95s and ET 96 as received, "01" in the error zone of the
// zone found wrong (2-digit envelope codes: no list exists, FORMAT.md §5).
std::string write_refusal(const rules::Envoi& envoi, const std::vector<std::pair<size_t, std::string>>& marks);

// The JSON form of a response: every record with all its codes, labels, comments and facts.
std::string response_json(const ResponseInput& in, const std::vector<std::string>& summary);

// ASCII form of a comment for the fixed-width file (accents dropped: one byte per character).
std::string ascii(std::string_view utf8);

}  // namespace mutua::engine
