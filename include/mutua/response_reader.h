// Reading a fund's answer to a billing file (931000, 920999, 920098, 920099, 920900) for
// programs: the provider's software needs, for each line, whether it was accepted, its codes
// with their labels, the amounts and the comment, and for the file its status and totals.
// Built on the shapes of real funds' responses (docs/format.md, "What real files showed"):
// masks of 1s and 9s in echoed zones, error blocks left blank or as " 0000 ", 931000 padded
// with spaces or zeros, a 920999 of two headers and one ET 96 with two-digit zone codes, a last
// record cut short.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mutua/error.h"
#include "mutua/record.h"

namespace mutua {

// A two-digit error code of an envelope zone (segments 200 / 300, ET 91 / 92 / 95 / 96):
// zone 5011 says what is wrong with zone 501.
struct ZoneErrorCode {
  std::string zone;       // "5011"
  std::string data_zone;  // "501"
  std::string value;      // what the data zone holds
  std::string code;       // "20"
  std::string label_fr, label_nl, label_en;  // empty when the code's meaning is not known
};

// One of the (at most three) codes of a record's response block (zones 111-113).
struct RejectionCode {
  char letter = ' ';     // B, F, R, S or E; ' ' when the fund left it blank
  std::string code;      // six characters, as written
  std::string label_fr, label_nl;  // empty when the code is not in mutua's list
  bool known() const { return !label_fr.empty(); }
};

struct ResponseRecord {
  RecordKind kind = RecordKind::Unknown;
  std::string record_type;  // the record's first two characters ("50")
  uint64_t number = 0;      // 1-based position after the header
  uint64_t offset = 0;      // 0-based byte offset in the file
  bool cut_short = false;   // shorter than the message's record length (its last zones are missing)
  std::string bytes;        // the record as read
  // Detail records (ET 30 / 40 / 50 / 51 / 52): what the line was.
  std::string nomenclature, date, niss, provider;
  std::optional<int64_t> amount_billed;  // zone 19, cents
  // The response block (920098 / 920099 / 920900).
  std::vector<RejectionCode> codes;
  std::optional<int64_t> amount_accepted;  // zone 114, cents
  std::optional<int64_t> amount_refused;   // zone 115, cents
  std::string comment;                     // zone 149, without its padding
  std::string oa_reference_a, oa_reference_b;  // zones 109 / 110
  // Envelope records (ET 91 / 92 / 95 / 96): their two-digit zone codes.
  std::vector<ZoneErrorCode> zone_errors;
  bool rejected() const;  // a B, F or R code (S and E are signals)
};

// ET 91 / ET 92 of a 920900, ET 95 / ET 96 of a 920999: the totals of one mutuality or of the file.
struct ResponseTotals {
  std::string mutuality;
  std::optional<int64_t> asked_a, asked_b, asked_total;
  std::optional<int64_t> accepted_a, refused_a, accepted_b, refused_b, accepted_total, refused_total;
  std::string payment_reference_a, payment_reference_b;  // ET 91 zones 423 / 424
  std::optional<uint64_t> records;
};

struct Response {
  std::string file;
  MessageType type = MessageType::Unknown;
  std::string message;  // "920900"
  bool test = false;    // segment 200 zone 202 = 92
  std::string version, status, provider_reference, oa_reference;
  std::string acknowledged;  // 931000: the name of the message acknowledged (920000)
  std::string billing_month, sending_number, creation_date;  // segment 300 (not in a 931000)
  std::optional<int> error_rate_bp;  // zone 310, hundredths of a percent (920098 / 920099 / 920900)
  std::string refusal_type;          // zone 311
  std::vector<ZoneErrorCode> header_errors;
  std::vector<ResponseRecord> records;
  std::vector<ResponseTotals> mutualities;  // ET 91 (920900) or ET 95 (920999)
  std::optional<ResponseTotals> total;      // ET 92 or ET 96
  std::vector<Error> problems;              // what was read with trouble (a record cut short...)
  // Records with a code of each kind, and the distinct codes of the whole response.
  std::vector<RejectionCode> all_codes() const;
};

// Fails only when the bytes are no response at all (no header, unknown message).
Result<Response> read_response(std::string_view bytes, const std::string& name);
Result<Response> read_response_file(const std::string& path);

// Meaning of a two-digit envelope code for `data_zone` (zone-specific meanings first).
const ZoneErrorCode* zone_error_meaning(std::string_view data_zone, std::string_view code);

}  // namespace mutua
