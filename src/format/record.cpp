#include "mutua/record.h"

namespace mutua {

std::string_view record_kind_name(RecordKind kind) {
  switch (kind) {
    case RecordKind::Segment200: return "200";
    case RecordKind::Segment300: return "300";
    case RecordKind::Segment300Response: return "300R";
    case RecordKind::Segment300Ack: return "300A";
    case RecordKind::Et10: return "10";
    case RecordKind::Et20: return "20";
    case RecordKind::Et30: return "30";
    case RecordKind::Et40: return "40";
    case RecordKind::Et50: return "50";
    case RecordKind::Et51: return "51";
    case RecordKind::Et52: return "52";
    case RecordKind::Et80: return "80";
    case RecordKind::Et90: return "90";
    case RecordKind::Et91: return "91";
    case RecordKind::Et92: return "92";
    case RecordKind::Et95: return "95";
    case RecordKind::Et96: return "96";
    case RecordKind::ResponseBlock: return "RESP";
    case RecordKind::Unknown: break;
  }
  return "?";
}

std::string_view record_type_label(RecordKind kind) {
  switch (kind) {
    case RecordKind::Segment300Response:
    case RecordKind::Segment300Ack: return "300";
    default: return record_kind_name(kind);
  }
}

RecordKind record_kind_from_type(std::string_view t) {
  if (t.size() < 2) return RecordKind::Unknown;
  switch (t[0]) {
    case '1': return t[1] == '0' ? RecordKind::Et10 : RecordKind::Unknown;
    case '2': return t[1] == '0' ? RecordKind::Et20 : RecordKind::Unknown;
    case '3': return t[1] == '0' ? RecordKind::Et30 : RecordKind::Unknown;
    case '4': return t[1] == '0' ? RecordKind::Et40 : RecordKind::Unknown;
    case '5':
      if (t[1] == '0') return RecordKind::Et50;
      if (t[1] == '1') return RecordKind::Et51;
      if (t[1] == '2') return RecordKind::Et52;
      return RecordKind::Unknown;
    case '8': return t[1] == '0' ? RecordKind::Et80 : RecordKind::Unknown;
    case '9':
      switch (t[1]) {
        case '0': return RecordKind::Et90;
        case '1': return RecordKind::Et91;
        case '2': return RecordKind::Et92;
        case '5': return RecordKind::Et95;
        case '6': return RecordKind::Et96;
        default: return RecordKind::Unknown;
      }
    default: return RecordKind::Unknown;
  }
}

RecordKind record_kind_from_name(std::string_view name) {
  for (int k = 0; k < kRecordKindCount; ++k)
    if (record_kind_name(static_cast<RecordKind>(k)) == name) return static_cast<RecordKind>(k);
  return RecordKind::Unknown;
}

MessageType message_type_from_name(std::string_view n) {
  if (n == "920000") return MessageType::Billing920000;
  if (n == "931000") return MessageType::Ack931000;
  if (n == "920999") return MessageType::Refusal920999;
  if (n == "920098") return MessageType::Preliminary920098;
  if (n == "920099") return MessageType::Rejection920099;
  if (n == "920900") return MessageType::Settlement920900;
  return MessageType::Unknown;
}

std::string_view message_type_name(MessageType t) {
  switch (t) {
    case MessageType::Billing920000: return "920000";
    case MessageType::Ack931000: return "931000";
    case MessageType::Refusal920999: return "920999";
    case MessageType::Preliminary920098: return "920098";
    case MessageType::Rejection920099: return "920099";
    case MessageType::Settlement920900: return "920900";
    case MessageType::Unknown: break;
  }
  return "unknown";
}

bool is_detailed_response(MessageType t) {
  return t == MessageType::Preliminary920098 || t == MessageType::Rejection920099 ||
         t == MessageType::Settlement920900;
}

std::string_view framing_name(Framing f) {
  switch (f) {
    case Framing::Flat: return "flat (no line separators)";
    case Framing::LF: return "LF-separated lines";
    case Framing::CRLF: return "CRLF-separated lines";
  }
  return "?";
}

std::string_view framing_separator(Framing f) {
  switch (f) {
    case Framing::Flat: return "";
    case Framing::LF: return "\n";
    case Framing::CRLF: return "\r\n";
  }
  return "";
}

}  // namespace mutua
