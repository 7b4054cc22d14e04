// Record kinds and message types of the eFact billing file (FORMAT.md §1, §3).
#pragma once
#include <cstdint>
#include <string_view>

namespace mutua {

enum class RecordKind : uint8_t {
  Segment200, Segment300, Segment300Response, Segment300Ack,
  Et10, Et20, Et30, Et40, Et50, Et51, Et52, Et80, Et90,
  Et91, Et92, Et95, Et96,
  ResponseBlock,  // the 450 characters appended to each record of 920098 / 920099 / 920900
  Unknown,
};
inline constexpr int kRecordKindCount = static_cast<int>(RecordKind::Unknown) + 1;

// The layout-table name of a kind ("200", "300R", "50", "RESP").
std::string_view record_kind_name(RecordKind kind);
// The kind named "20", "95"...; Unknown for any other name.
RecordKind record_kind_from_name(std::string_view name);
// The kind a record's first two characters announce, or Unknown.
RecordKind record_kind_from_type(std::string_view two_chars);
// The two-digit record type ("50") or the segment number ("200").
std::string_view record_type_label(RecordKind kind);

enum class MessageType : uint8_t {
  Billing920000, Ack931000, Refusal920999, Preliminary920098, Rejection920099, Settlement920900,
  Unknown,
};
MessageType message_type_from_name(std::string_view six_chars);
std::string_view message_type_name(MessageType type);
// Responses with a 610-character segment 300 and 800-character records.
bool is_detailed_response(MessageType type);

enum class Framing : uint8_t { Flat, LF, CRLF };
std::string_view framing_name(Framing framing);
std::string_view framing_separator(Framing framing);

}  // namespace mutua
