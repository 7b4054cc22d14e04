// The record layouts, loaded from one declarative table (data/layout/records.tsv).
// A new version of the instructions is a change to that table, not to code.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mutua/error.h"
#include "mutua/record.h"

namespace mutua {

enum class ZoneType : uint8_t {
  Numeric,      // N: digits, right-aligned, zero-padded
  Alpha,        // A: free text, left-aligned, space-padded
  Signed,       // S: '+' or '-' then digits (amounts in cents, units)
  Date,         // D: YYYYMMDD, all zeros when absent
  DateOrSigned, // DS: a date (zeros when absent) or '+' / '-' then digits (ET 50 zone 47: the
                // agreement date of the official labels, a base value in one writer)
  SignChar,     // G: a lone '+' or '-' (segments 400/500)
  ReservedZero, // Z: reserved, zeros
  ReservedFree, // X: reserved, not checked (content unknown or spaces)
};

struct Zone {
  RecordKind record;
  std::string id;        // "19", "8a", "111b", "404"
  uint16_t pos;          // 1-based, in the record (response block: 351..800)
  uint16_t len;
  ZoneType type;
  std::string name;
  std::string confidence;  // V, V1 or I
  std::string code_zone;   // two digits used in error codes ("08" for "8a"); empty for segments
  bool blank_ok = false;   // type written "N?": all spaces is how a real writer leaves it unused

  std::string_view in(std::string_view record) const { return record.substr(pos - 1, len); }
  // Where the zone ends in the record (0-based, one past its last byte): a record shorter than
  // this cuts it.
  size_t end() const { return size_t{pos} - 1 + len; }
};

class Layout {
 public:
  // The layout table compiled into the binary.
  static const Layout& builtin();
  // Parses a layout table; rejects overlaps and gaps.
  static Result<Layout> parse(std::string_view tsv);

  std::span<const Zone> zones(RecordKind kind) const;
  // nullptr when the kind has no such zone.
  const Zone* find(RecordKind kind, std::string_view id) const;
  // Throws std::logic_error when absent: for zones the code relies on (a broken build, not input).
  const Zone& at(RecordKind kind, std::string_view id) const;
  // Length of the record kind (from its last zone).
  uint16_t length(RecordKind kind) const;

 private:
  void build_index();
  std::vector<Zone> by_kind_[kRecordKindCount];
  // Per kind, (packed id, index) sorted by id: find() is on every hot path (codec, engine).
  std::vector<std::pair<uint32_t, uint16_t>> index_[kRecordKindCount];
};

std::string_view zone_type_letter(ZoneType type);

}  // namespace mutua
